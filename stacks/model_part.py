"""The Model part: training data, the AutoML job, the endpoint and its optional monitor."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, CfnMapping, Stack, Token

from components.automl_job import AutoMLJob
from components.dataset import TrainingDataset
from components.model_endpoint import ModelEndpoint
from components.model_monitor import ModelMonitor
from config.model_monitor_images import analyzer_image, supported_regions
from config.settings import EnvironmentSettings
from stacks.foundations import Foundations

AUTOML_OUTPUT_PREFIX = "automl-output"


def monitor_image_uri(stack: Stack, settings: EnvironmentSettings) -> str | None:
    """The region's Model Monitor analyzer image; None when the monitor is off.

    A stack with a concrete region is checked at synth. A region-agnostic one (no region in
    the TOML and none from the CLI, as in an offline `make synth`) looks the image up at
    deploy from a mapping of every supported region.
    """
    if not settings.monitor.enabled:
        return None
    if Token.is_unresolved(stack.region):
        mapping = CfnMapping(
            stack,
            "ModelMonitorAnalyzerImages",
            mapping={
                region: {"ImageUri": analyzer_image(region).uri} for region in supported_regions()
            },
        )
        return mapping.find_in_map(Aws.REGION, "ImageUri")
    key = f"{settings.name}.region (with monitor.enabled = true)"
    return analyzer_image(stack.region, key=key).uri


@dataclass(frozen=True)
class ModelPart:
    """Handles of the Model constructs, created directly in the stack."""

    dataset: TrainingDataset
    automl: AutoMLJob
    endpoint: ModelEndpoint
    capture_uri: str
    monitor: ModelMonitor | None

    @classmethod
    def build(
        cls,
        stack: Stack,
        *,
        settings: EnvironmentSettings,
        foundations: Foundations,
        monitor_image: str | None,
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
            tags=settings.tags,
            encryption_key=encryption_key,
        )
        capture_uri = f"s3://{bucket.bucket_name}/{settings.storage.capture_prefix}"
        endpoint = ModelEndpoint(
            stack,
            "Endpoint",
            name_prefix=settings.resource_prefix,
            automl_job_name=automl.job_name,
            best_candidate_name=automl.best_candidate_name,
            automl_job_name_prefix=settings.resource_prefix,
            execution_role=execution_role,
            settings=settings.endpoint,
            capture_destination_uri=capture_uri,
            tags=settings.tags,
            encryption_key=encryption_key,
        )
        monitor = None
        if settings.monitor.enabled:
            monitor = ModelMonitor(
                stack,
                "Monitor",
                name_prefix=settings.resource_prefix,
                image_uri=monitor_image,
                settings=settings.monitor,
                bucket=bucket,
                baseline_dataset_uri=dataset.baseline_uri,
                endpoint_name=endpoint.resource.get_att_string("EndpointName"),
                execution_role=execution_role,
                tags=settings.tags,
                encryption_key=encryption_key,
            )
            # A schedule blocks deleting its endpoint: created after it, deleted before it.
            monitor.schedule.node.add_dependency(endpoint.resource)

        # prod's KMS grants live in the execution role's policy: start nothing before it.
        consumers = [automl.resource, endpoint.resource]
        consumers += [monitor.baseline, monitor.job_definition] if monitor else []
        for consumer in consumers:
            consumer.node.add_dependency(execution_role)
        # Everything that writes into the bucket goes before the bucket is emptied.
        auto_delete = bucket.node.try_find_child("AutoDeleteObjectsCustomResource")
        if auto_delete is not None:
            for writer in (dataset, automl, endpoint, *([monitor] if monitor else [])):
                writer.node.add_dependency(auto_delete)
        return cls(
            dataset=dataset,
            automl=automl,
            endpoint=endpoint,
            capture_uri=capture_uri,
            monitor=monitor,
        )
