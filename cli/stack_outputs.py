"""Read what the evaluation needs from the deployed stack's outputs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cli.errors import EvaluationError

REQUIRED = (
    "EndpointName",
    "DataCaptureS3Uri",
    "HoldoutDataS3Uri",
    "TargetAttribute",
    "InferenceResponseKeys",
    "PositiveClass",
)
# GroundTruthS3Uri comes with the monitoring function; older stacks have none.
OPTIONAL = ("AutoMLJobName", "BestCandidateObjectiveMetric", "GroundTruthS3Uri")


def stack_name_for(env: str) -> str:
    return f"AutopilotStudio-{env}"


def resource_prefix_for(env: str) -> str:
    """The prefix of the environment's SageMaker resource names (``resource_prefix`` in
    config/environment.py): IAM policies scoped to it cover what the commands create too."""
    return f"apstudio-{env}"


@dataclass(frozen=True)
class StackOutputs:
    stack_name: str
    endpoint_name: str
    data_capture_uri: str
    holdout_uri: str
    target_attribute: str
    response_keys: tuple[str, ...]
    positive_class: str
    automl_job_name: str | None = None
    objective_metric: str | None = None
    ground_truth_uri: str | None = None


def _lookup(outputs: dict[str, str], key: str) -> str | None:
    if key in outputs:
        return outputs[key]
    # An output declared inside a construct gets a path prefix and a hash suffix.
    matches = [v for k, v in outputs.items() if re.fullmatch(rf"\w*{key}[0-9A-F]{{8}}", k)]
    return matches[0] if len(matches) == 1 else None


def describe(cloudformation: Any, stack_name: str, region: str | None = None) -> dict[str, Any]:
    """The stack's description; a clear error when it is not deployed."""
    from botocore.exceptions import ClientError

    try:
        return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "does not exist" in message:
            where = f" in {region}" if region else ""
            raise EvaluationError(
                f"stack {stack_name} is not deployed{where}. Deploy it first "
                "(make deploy ENV=<env>), or pass --stack-name / --region."
            ) from None
        raise


def output_values(stack: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str | None]:
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    return {key: _lookup(outputs, key) for key in keys}


def read(cloudformation: Any, stack_name: str, region: str | None = None) -> StackOutputs:
    stack = describe(cloudformation, stack_name, region)
    require(stack, stack_name, REQUIRED)
    values = output_values(stack, REQUIRED + OPTIONAL)
    keys = tuple(k.strip() for k in values["InferenceResponseKeys"].split(",") if k.strip())
    return StackOutputs(
        stack_name=stack_name,
        endpoint_name=values["EndpointName"],
        data_capture_uri=values["DataCaptureS3Uri"],
        holdout_uri=values["HoldoutDataS3Uri"],
        target_attribute=values["TargetAttribute"],
        response_keys=keys,
        positive_class=values["PositiveClass"],
        automl_job_name=values["AutoMLJobName"],
        objective_metric=values["BestCandidateObjectiveMetric"],
        ground_truth_uri=values["GroundTruthS3Uri"],
    )


def require(stack: dict[str, Any], stack_name: str, keys: tuple[str, ...]) -> dict[str, str]:
    """The ``keys`` outputs of a described stack; one line naming any that are missing."""
    values = output_values(stack, keys)
    missing = [key for key in keys if not values[key]]
    if missing:
        raise EvaluationError(
            f"stack {stack_name} ({stack.get('StackStatus', 'unknown status')}) is missing "
            f"outputs: {', '.join(missing)}. Is it fully deployed from this version?"
        )
    return {key: str(values[key]) for key in keys}
