"""Integration test app: deploy a small environment for real, call its endpoint, find the capture.

integ-runner synthesizes this file, deploys the stack and then the assertion stack, and
destroys both afterwards. It needs an AWS account; see "Integration test (real account)"
in the README for the command, the time and the cost.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# integ-runner runs this file from its own directory; the project's packages live at the root.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import aws_cdk as cdk  # noqa: E402
from aws_cdk import integ_tests_alpha as integ  # noqa: E402

from app import build_app  # noqa: E402
from components.data_bucket import DataBucket  # noqa: E402
from components.serving import ModelServing  # noqa: E402
from config import EnvironmentSettings, parse_settings  # noqa: E402

TEST_NAME = "AutopilotStudioInteg"

# The smallest environment the config allows that still trains, serves and captures.
INTEG_SETTINGS: dict[str, Any] = {
    "removal_policy": "destroy",
    "tags": {"project": "autopilot-studio", "environment": "integ"},
    "network": {"mode": "dedicated"},
    "studio": {
        "canvas_enabled": False,
        # Account-wide Service Catalog roles and portfolio: left alone by the test.
        "projects_and_jumpstart_enabled": False,
    },
    "dataset": {"source": "bank-marketing-sample"},
    "automl": {
        "mode": "ENSEMBLING",
        "max_runtime_per_training_job_seconds": 600,
        "max_job_runtime_seconds": 600,
    },
    "endpoint": {
        "instance_type": "ml.m5.large",
        "initial_instance_count": 1,
        "capture_sampling_percentage": 100,
    },
}

# One bank-marketing client: the 20 feature columns in training order, no target (y).
FEATURE_ROW = (
    "56,housemaid,married,basic.4y,no,no,no,telephone,may,mon,"
    "261,1,999,0,nonexistent,1.1,93.994,-36.4,4.857,5191.0"
)

# SageMaker delivers captured traffic in batches, usually within a few minutes.
CAPTURE_TIMEOUT = cdk.Duration.minutes(20)
CAPTURE_INTERVAL = cdk.Duration.seconds(30)


def integ_settings() -> EnvironmentSettings:
    return parse_settings("integ", INTEG_SETTINGS)


def project_context() -> dict[str, Any]:
    """The feature flags of cdk.json, so the deployed stack matches what users deploy."""
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    context.pop("env", None)
    return context


def capture_prefix(settings: EnvironmentSettings, endpoint_name: str) -> str:
    """Where SageMaker writes the endpoint's captured traffic inside the bucket."""
    return f"{settings.storage.capture_prefix}/{endpoint_name}/AllTraffic/"


def _child(stack: cdk.Stack, construct_id: str, kind: type) -> Any:
    child = stack.node.find_child(construct_id)
    if not isinstance(child, kind):
        raise TypeError(f"{stack.stack_name}/{construct_id} is not a {kind.__name__}")
    return child


def build(app: cdk.App) -> integ.IntegTest:
    """Add the environment's stack and the integ test with its assertions to ``app``."""
    settings = integ_settings()
    # As app.py builds it, cdk-nag included; without an account or region the stack is
    # env-agnostic and integ-runner picks both at deploy time.
    stack = build_app(app, settings)
    endpoint_name = _child(stack, "Serving", ModelServing).endpoint_name
    bucket_name = _child(stack, "Data", DataBucket).bucket.bucket_name

    test = integ.IntegTest(
        app,
        TEST_NAME,
        test_cases=[stack],
        # A second deploy to exercise updates would double the AutoML time and cost.
        stack_update_workflow=False,
    )
    assertions = test.assertions

    describe = assertions.aws_api_call(
        "SageMaker", "describeEndpoint", {"EndpointName": endpoint_name}
    ).expect(
        integ.ExpectedResult.object_like(
            {
                "EndpointStatus": "InService",
                "DataCaptureConfig": {
                    "EnableCapture": True,
                    "CurrentSamplingPercentage": settings.endpoint.capture_sampling_percentage,
                },
            }
        )
    )

    invoke = assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {"EndpointName": endpoint_name, "ContentType": "text/csv", "Body": FEATURE_ROW},
    ).expect(
        # The first response key is predicted_label: the bank-marketing target's yes or no.
        integ.ExpectedResult.object_like({"Body": integ.Match.string_like_regexp(r"^(yes|no)")})
    )

    prefix = capture_prefix(settings, endpoint_name)
    list_capture = assertions.aws_api_call(
        "S3",
        "listObjectsV2",
        {"Bucket": bucket_name, "Prefix": prefix, "MaxKeys": 10},
    )
    list_capture.expect(
        integ.ExpectedResult.object_like(
            {
                "Contents": integ.Match.array_with(
                    [
                        integ.Match.object_like(
                            {"Key": integ.Match.string_like_regexp(rf"^{prefix}.+\.jsonl$")}
                        )
                    ]
                )
            }
        )
    ).wait_for_assertions(total_timeout=CAPTURE_TIMEOUT, interval=CAPTURE_INTERVAL)
    # The waiter's function makes the calls. ListObjectsV2 is authorized by s3:ListBucket,
    # which the policy generated from the API name (s3:ListObjectsV2) does not grant.
    list_capture.waiter_provider.add_to_role_policy(
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:{cdk.Aws.PARTITION}:s3:::{bucket_name}"],
        }
    )

    describe.next(invoke).next(list_capture)
    return test


def main() -> None:
    app = cdk.App(context=project_context())
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
