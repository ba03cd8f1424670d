"""The Model part: training data, the AutoML job, the endpoint and its optional monitor."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn, Stack

from components.automl_job import AutoMLJob
from components.dataset import TrainingDataset
from components.drift_monitor import DriftMonitor
from components.serving import VARIANT_NAME, ModelServing
from config import EnvironmentSettings
from stacks.foundations import Foundations

AUTOML_OUTPUT_PREFIX = "automl-output"


def f1_floor(settings: EnvironmentSettings, objective_value: str) -> str | None:
    """The F1 the monitor's quality alarm holds live traffic to; None without F1."""
    monitor, automl = settings.monitor, settings.automl
    if monitor.min_f1 is not None:
        return str(monitor.min_f1)
    if automl.objective != "F1":
        return None
    return Fn.join("", [objective_value, f" - {monitor.f1_tolerance}"])


@dataclass(frozen=True)
class ModelPart:
    """Handles of the Model constructs, created directly in the stack."""

    dataset: TrainingDataset
    automl: AutoMLJob
    serving: ModelServing
    capture_uri: str
    batch_capture_uri: str
    monitor: DriftMonitor | None

    @classmethod
    def build(
        cls, stack: Stack, *, settings: EnvironmentSettings, foundations: Foundations
    ) -> ModelPart:
        bucket, execution_role = foundations.bucket, foundations.execution_role
        encryption_key = foundations.encryption_key
        dataset = TrainingDataset(
            stack,
            "TrainingData",
            bucket=bucket,
            settings=settings.dataset,
            retain_on_delete=settings.retains_data,
            encryption_key=encryption_key,
        )
        automl = AutoMLJob(
            stack,
            "AutoML",
            job_name_prefix=settings.resource_prefix,
            training_data_uri=dataset.train_uri,
            output_uri=f"s3://{bucket.bucket_name}/{AUTOML_OUTPUT_PREFIX}/",
            target_attribute=settings.dataset.target_attribute,
            execution_role=execution_role,
            settings=settings.automl,
            inference_response_keys=settings.endpoint.inference_response_keys,
            tags=settings.tags,
            encryption_key=encryption_key,
        )
        capture_prefix = settings.storage.capture_prefix
        capture_uri = f"s3://{bucket.bucket_name}/{capture_prefix}"
        serving = ModelServing(
            stack,
            "Serving",
            endpoint_name=f"{settings.resource_prefix}-endpoint",
            model_name=automl.model_name,
            capture_uri=capture_uri,
            settings=settings.endpoint,
            encryption_key=encryption_key,
        )
        monitor = None
        if settings.monitor.enabled:
            monitor = DriftMonitor(
                stack,
                "Monitor",
                settings=settings.monitor,
                bucket=bucket,
                profile_key=dataset.profile_key,
                capture_prefix=f"{capture_prefix}/{serving.endpoint_name}/{VARIANT_NAME}",
                batch_capture_prefix=f"{capture_prefix}/batch",
                endpoint_name=serving.endpoint_name,
                target_attribute=settings.dataset.target_attribute,
                positive_class=settings.dataset.positive_class,
                response_keys=settings.endpoint.inference_response_keys,
                f1_floor=(
                    f1_floor(settings, automl.objective_metric_value)
                    if settings.automl.problem_type
                    in ("BinaryClassification", "MulticlassClassification")
                    else None
                ),
                encryption_key=encryption_key,
            )

        # prod's KMS grants live in the execution role's policy: start nothing before it.
        for consumer in (automl.resource, automl.result, serving.config, serving.endpoint):
            consumer.node.add_dependency(execution_role)
        # Everything that writes into the bucket goes before the bucket is emptied.
        auto_delete = bucket.node.try_find_child("AutoDeleteObjectsCustomResource")
        if auto_delete is not None:
            for writer in (dataset, automl, serving, *([monitor] if monitor else [])):
                writer.node.add_dependency(auto_delete)
        return cls(
            dataset=dataset,
            automl=automl,
            serving=serving,
            capture_uri=capture_uri,
            batch_capture_uri=f"{capture_uri}/batch",
            monitor=monitor,
        )
