"""The stack's outputs: what `make` targets and users read after a deploy."""

from __future__ import annotations

from aws_cdk import CfnOutput, Fn, Stack

from components.studio import StudioDomain
from config.settings import EnvironmentSettings
from stacks.model_part import ModelPart


def add_outputs(
    stack: Stack,
    *,
    settings: EnvironmentSettings,
    studio: StudioDomain,
    bucket_name: str,
    model: ModelPart,
) -> None:
    s = settings
    env = s.name
    dataset, automl, endpoint, monitor = model.dataset, model.automl, model.endpoint, model.monitor
    # name: (value, description); the descriptions show in the console and describe-stacks.
    outputs = {
        "StudioDomainId": (
            studio.domain_id,
            f"SageMaker Studio domain; `make studio ENV={env}` opens it",
        ),
        "StudioDomainUrl": (studio.console_url, "The domain's page in the SageMaker console"),
        "StudioUserProfileName": (
            s.studio.user_profile_name,
            "Default Studio user profile, the one `make studio` signs in as",
        ),
        "DataBucketName": (
            bucket_name,
            "Project bucket: datasets/, automl-output/ and captured endpoint traffic",
        ),
        "TrainingDataS3Uri": (dataset.train_uri, "Training split the AutoML job reads"),
        "HoldoutDataS3Uri": (
            dataset.holdout_uri,
            f"Held-out rows, never trained on; `make evaluate` / `make invoke ENV={env}` "
            "send them to the endpoint",
        ),
        "TargetAttribute": (s.dataset.target_attribute, "Target column the model predicts"),
        "PositiveClass": (s.dataset.positive_class, "Class scored as positive by evaluate"),
        "AutoMLJobName": (
            automl.job_name,
            f"Autopilot job; `make leaderboard ENV={env}` ranks its candidates",
        ),
        "BestCandidateName": (
            automl.best_candidate_name,
            "Best candidate, the model behind the endpoint",
        ),
        "BestCandidateObjectiveMetric": (
            Fn.join("=", [automl.objective_metric_name, automl.objective_metric_value]),
            "Best candidate's objective metric=value on Autopilot's validation data",
        ),
        "EndpointName": (
            endpoint.endpoint_name,
            "Real-time endpoint (text/csv in, CSV out); billed per instance-hour until destroy",
        ),
        "InferenceResponseKeys": (
            ",".join(s.endpoint.inference_response_keys),
            "Fields of each CSV response line, in order",
        ),
        "DataCaptureS3Uri": (
            model.capture_uri,
            "Where the endpoint writes captured requests and responses (JSON Lines)",
        ),
    }
    if monitor is not None:
        outputs["MonitoringScheduleName"] = (
            monitor.schedule_name,
            f"Model Monitor data-quality schedule; `make monitor ENV={env}` reports it",
        )
        outputs["MonitoringAlertTopicArn"] = (
            monitor.topic.topic_arn,
            "SNS topic told when a monitoring run finds violations",
        )
    for name, (value, description) in outputs.items():
        CfnOutput(stack, name, value=value, description=description)
