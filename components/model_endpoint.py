"""Custom resource that serves the best candidate from a data-capturing endpoint."""

from __future__ import annotations

from aws_cdk import Aws, CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from components import nag
from components.handler_provider import (
    HandlerProvider,
    job_poll_budget,
    pass_to_sagemaker,
    stack_status_statement,
)
from config.settings import CUSTOM_RESOURCE_CAP_SECONDS, EndpointSettings


class ModelEndpoint(Construct):
    """Model, endpoint config (with data capture) and a real-time endpoint.

    Autopilot's one-click deploy cannot enable data capture, so the handler creates the
    three resources itself. Updates are blue/green through UpdateEndpoint, with the
    endpoint name kept stable; deletion removes every model and config it created.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        automl_job_name: str,
        best_candidate_name: str,
        automl_job_name_prefix: str,
        execution_role: iam.IRole,
        settings: EndpointSettings,
        capture_destination_uri: str,
        tags: dict[str, str],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = f"{name_prefix}-endpoint"
        self.provider = HandlerProvider(
            self,
            "Provider",
            on_event_handler="model_endpoint.handler.on_event",
            is_complete_handler="model_endpoint.handler.is_complete",
            description="Deploy the best candidate to a data-capturing endpoint",
            query_interval=Duration.minutes(1),
            total_timeout=job_poll_budget(),
            timeout=Duration.minutes(2),
            encryption_key=encryption_key,
            waiter_log_name=f"{name_prefix}-endpoint-provider",
        )
        arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        models = f"{arn}:model/{name_prefix}-m-*"
        configs = f"{arn}:endpoint-config/{name_prefix}-c-*"
        endpoint = f"{arn}:endpoint/{self.endpoint_name}"
        self.provider.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:DescribeAutoMLJobV2"],
                resources=[f"{arn}:automl-job/{automl_job_name_prefix}-*"],
            ),
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateModel",
                    "sagemaker:DescribeModel",
                    "sagemaker:DeleteModel",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                ],
                resources=[models],
            ),
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:DeleteEndpointConfig",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                ],
                resources=[configs],
            ),
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateEndpoint",
                    "sagemaker:UpdateEndpoint",
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:DeleteEndpoint",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                ],
                resources=[endpoint, configs],
            ),
            # ListModels, ListEndpointConfigs and ListMonitoringSchedules support no
            # resource-level scoping.
            iam.PolicyStatement(
                actions=[
                    "sagemaker:ListModels",
                    "sagemaker:ListEndpointConfigs",
                    "sagemaker:ListMonitoringSchedules",
                ],
                resources=["*"],
            ),
            # Any schedule on this endpoint blocks its deletion, hand-added ones too, so
            # their names are unknown; the handler deletes only those listed for it.
            iam.PolicyStatement(
                actions=["sagemaker:DeleteMonitoringSchedule"],
                resources=[f"{arn}:monitoring-schedule/*"],
            ),
            stack_status_statement(),
            pass_to_sagemaker(execution_role),
        )
        if encryption_key:
            encryption_key.grant(self.provider.role, "kms:DescribeKey", "kms:CreateGrant")
        generated = "Names end in a hash of their inputs, known only at deploy; the prefix "
        nag.acknowledge(
            self.provider.role,
            {
                nag.wildcard_resource(
                    nag.arn("sagemaker", f"automl-job/{automl_job_name_prefix}-*")
                ): "Reads the best candidate of this stack's AutoML jobs (hashed names)",
                nag.wildcard_resource(nag.arn("sagemaker", f"model/{name_prefix}-m-*")): (
                    generated + "limits them to this stack's models"
                ),
                nag.wildcard_resource(
                    nag.arn("sagemaker", f"endpoint-config/{name_prefix}-c-*")
                ): generated + "limits them to this stack's endpoint configs",
                nag.wildcard_resource("*"): (
                    "sagemaker:ListModels, ListEndpointConfigs and ListMonitoringSchedules "
                    "support no resource-level scoping; results are filtered by this stack's "
                    "prefix or endpoint name"
                ),
                nag.wildcard_resource(nag.arn("sagemaker", "monitoring-schedule/*")): (
                    "Deleting the endpoint must first delete every monitoring schedule on it, "
                    "including ones users added by hand, whose names the stack cannot know; "
                    "the handler deletes only schedules listed for this endpoint"
                ),
            },
        )

        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type="Custom::ModelEndpoint",
            service_timeout=Duration.seconds(CUSTOM_RESOURCE_CAP_SECONDS),
            properties={
                "EndpointName": self.endpoint_name,
                "ResourceNamePrefix": name_prefix,
                "AutoMLJobName": automl_job_name,
                "BestCandidateName": best_candidate_name,
                "RoleArn": execution_role.role_arn,
                "InstanceType": settings.instance_type,
                "InitialInstanceCount": str(settings.initial_instance_count),
                "InferenceResponseKeys": list(settings.inference_response_keys),
                "CaptureDestinationS3Uri": capture_destination_uri,
                "CaptureSamplingPercentage": str(settings.capture_sampling_percentage),
                "KmsKeyId": encryption_key.key_arn if encryption_key else "",
                "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
            },
        )
        self.endpoint_arn = self.resource.get_att_string("EndpointArn")
        self.capture_uri = self.resource.get_att_string("DataCaptureS3Uri")
