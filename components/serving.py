"""The real-time endpoint: native config and endpoint, rollback alarms and autoscaling.

CloudFormation does what a handler used to: the config gets a generated name and is
replaced when it changes; a new config name makes CloudFormation call UpdateEndpoint,
a blue/green deployment under the endpoint's ``DeploymentConfig``; a failed or rolled
back update returns to the old config; and destroy deletes the endpoint, then the config.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from components import arns
from config import DeploymentSettings, EndpointSettings

VARIANT_NAME = "AllTraffic"
# Captured CSV is stored as CSV, not base64 (docs/ARCHITECTURE.md, "Endpoint facts").
CSV = "text/csv"
TRAFFIC_ROUTING = {"all-at-once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}


class ModelServing(Construct):
    """An ml.m5.large (by default) endpoint that captures requests and responses.

    ``model_name`` is the SageMaker model to serve; ``capture_uri`` where capture goes.
    Exposes ``endpoint_name``, ``endpoint``, ``config`` and ``rollback_alarms``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        model_name: str,
        capture_uri: str,
        settings: EndpointSettings,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        key_arn = encryption_key.key_arn if encryption_key else None
        cfn = sagemaker.CfnEndpointConfig
        # Every property of a config is create-only: its name is left to CloudFormation,
        # so a change makes a new config beside the old one.
        self.config = cfn(
            self,
            "Config",
            production_variants=[
                cfn.ProductionVariantProperty(
                    variant_name=VARIANT_NAME,
                    model_name=model_name,
                    instance_type=settings.instance_type,
                    initial_instance_count=settings.initial_instance_count,
                    initial_variant_weight=1,
                )
            ],
            data_capture_config=cfn.DataCaptureConfigProperty(
                enable_capture=True,
                initial_sampling_percentage=settings.capture_sampling_percentage,
                destination_s3_uri=capture_uri,
                capture_options=[
                    cfn.CaptureOptionProperty(capture_mode="Input"),
                    cfn.CaptureOptionProperty(capture_mode="Output"),
                ],
                capture_content_type_header=cfn.CaptureContentTypeHeaderProperty(
                    csv_content_types=[CSV]
                ),
                kms_key_id=key_arn,
            ),
            kms_key_id=key_arn,
        )
        self.rollback_alarms = self._rollback_alarms(settings.deployment)
        scaling = settings.autoscaling
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.config.attr_endpoint_config_name,
            deployment_config=self._deployment_config(settings.deployment),
            # With autoscaling, the new fleet starts at the scaled instance count, so an
            # update does not shrink a busy endpoint; capture and weights follow the new
            # config (AWS docs, "Update endpoints that use auto scaling").
            retain_all_variant_properties=True if scaling.enabled else None,
            exclude_retained_variant_properties=(
                [
                    sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=kind)
                    for kind in ("DesiredWeight", "DataCaptureConfig")
                ]
                if scaling.enabled
                else None
            ),
        )
        self.scalable_target = self._autoscaling(settings) if scaling.enabled else None

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": VARIANT_NAME},
            statistic=statistic,
            period=Duration.minutes(1),
        )

    def _rollback_alarms(self, deployment: DeploymentSettings) -> list[cloudwatch.Alarm]:
        """The alarms SageMaker watches while it shifts traffic and bakes the new fleet."""
        specs = [
            ("Invocation5XXErrors", "Sum", deployment.errors_5xx_threshold, "5XX errors"),
            ("InvocationModelErrors", "Sum", deployment.model_errors_threshold, "model errors"),
            # ModelLatency is in microseconds.
            ("ModelLatency", "p99", deployment.latency_p99_ms * 1000, "p99 model latency"),
        ]
        return [
            cloudwatch.Alarm(
                self,
                f"{metric}Alarm",
                alarm_description=(
                    f"{self.endpoint_name}: {what} at or above {threshold} in a minute; "
                    "rolls back a model update in progress"
                ),
                metric=self._metric(metric, statistic),
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for metric, statistic, threshold, what in specs
        ]

    def _deployment_config(
        self, deployment: DeploymentSettings
    ) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        cfn = sagemaker.CfnEndpoint
        kind = TRAFFIC_ROUTING[deployment.strategy]
        percent = {"canary": deployment.canary_percent, "linear": deployment.linear_step_percent}
        size = (
            cfn.CapacitySizeProperty(type="CAPACITY_PERCENT", value=percent[deployment.strategy])
            if deployment.strategy in percent
            else None
        )
        return cfn.DeploymentConfigProperty(
            blue_green_update_policy=cfn.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=cfn.TrafficRoutingConfigProperty(
                    type=kind,
                    # Required by the API even for ALL_AT_ONCE, where nothing waits.
                    wait_interval_in_seconds=deployment.wait_seconds if size else 0,
                    canary_size=size if deployment.strategy == "canary" else None,
                    linear_step_size=size if deployment.strategy == "linear" else None,
                ),
                termination_wait_in_seconds=deployment.baking_seconds,
                maximum_execution_timeout_in_seconds=deployment.max_execution_seconds,
            ),
            auto_rollback_configuration=cfn.AutoRollbackConfigProperty(
                alarms=[cfn.AlarmProperty(alarm_name=a.alarm_name) for a in self.rollback_alarms]
            ),
        )

    def _autoscaling(self, settings: EndpointSettings) -> autoscaling.CfnScalableTarget:
        scaling = settings.autoscaling
        # No RoleARN: Application Auto Scaling uses its service-linked role for SageMaker
        # (AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint), created on first use.
        target = autoscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=f"endpoint/{self.endpoint_name}/variant/{VARIANT_NAME}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
        )
        target.add_dependency(self.endpoint)
        cfn = autoscaling.CfnScalingPolicy
        cfn(
            self,
            "InvocationsPerInstance",
            policy_name=f"{self.endpoint_name}-invocations-per-instance",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=cfn.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=scaling.target_invocations_per_instance,
                predefined_metric_specification=cfn.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                scale_out_cooldown=scaling.scale_out_cooldown_seconds,
            ),
        )
        return target

    @property
    def endpoint_arn(self) -> str:
        return arns.arn("sagemaker", f"endpoint/{self.endpoint_name}")
