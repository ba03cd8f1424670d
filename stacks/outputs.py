"""The stack's outputs: what `make` targets and users read after a deploy."""

from __future__ import annotations

from aws_cdk import CfnOutput, Fn, Stack

from components.drift_monitor import GROUND_TRUTH_PREFIX, REPORTS_PREFIX
from components.studio import StudioDomain
from config import EnvironmentSettings
from stacks.model_part import ModelPart


def add_outputs(
    stack: Stack,
    *,
    settings: EnvironmentSettings,
    studio: StudioDomain,
    bucket_name: str,
    model: ModelPart,
    encryption_key_arn: str | None = None,
) -> None:
    s = settings
    env = s.name
    dataset, automl, serving, monitor = model.dataset, model.automl, model.serving, model.monitor
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
        "ModelName": (
            automl.model_name,
            "SageMaker model of the best candidate; `make batch-predict` scores files with it",
        ),
        "EndpointName": (
            serving.endpoint_name,
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
    if encryption_key_arn is not None:
        outputs["EncryptionKeyArn"] = (
            encryption_key_arn,
            "The stack's KMS key: bucket objects, capture and jobs are encrypted with it",
        )
    if monitor is not None:
        bucket = f"s3://{bucket_name}"
        outputs.update(
            {
                "BatchCaptureS3Uri": (
                    model.batch_capture_uri,
                    "Where `make batch-predict` jobs capture their inputs and outputs",
                ),
                "GroundTruthS3Uri": (
                    f"{bucket}/{GROUND_TRUTH_PREFIX}",
                    "Upload labels here (yyyy/mm/dd/hh/*.jsonl) for model-quality monitoring",
                ),
                "MonitoringReportsS3Uri": (
                    f"{bucket}/{REPORTS_PREFIX}",
                    f"One JSON report per monitoring run; `make monitor ENV={env}` reads them",
                ),
                "BaselineProfileS3Uri": (
                    dataset.profile_uri,
                    "The training data's profile the monitor compares traffic with",
                ),
                "MonitoringFunctionName": (
                    monitor.function.function_name,
                    "The scheduled analysis function (its logs tell about failed runs)",
                ),
                "MonitoringAlertTopicArn": (
                    monitor.topic.topic_arn,
                    "SNS topic the monitoring alarms notify",
                ),
            }
        )
    for name, (value, description) in outputs.items():
        CfnOutput(stack, name, value=value, description=description)
