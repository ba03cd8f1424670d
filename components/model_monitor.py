"""Model Monitor data quality: a baseline of the training data, a schedule and an alert."""

from __future__ import annotations

import hashlib
import json

from aws_cdk import Aws, CustomResource, Duration, Fn, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from components import nag
from components.handler_provider import (
    HandlerProvider,
    job_poll_budget,
    pass_to_sagemaker,
    stack_status_statement,
)
from config.settings import CUSTOM_RESOURCE_CAP_SECONDS, MonitorSettings

BASELINE_PREFIX = "monitoring/baseline"
REPORTS_PREFIX = "monitoring/reports"
# Where the monitoring container finds the captured requests and writes its report
# (the sagemaker SDK's DefaultModelMonitor uses the same paths).
CAPTURE_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
# A monitoring execution is a processing job; its state-change event carries the
# DescribeProcessingJob fields, ExitMessage "CompletedWithViolations" among them
# (EventBridge reference, "Amazon SageMaker AI events": SageMaker Processing Job State
# Change; AWS docs, "Interpret results": the execution's terminal states).
VIOLATIONS_EXIT_MESSAGE = "CompletedWithViolations"


class ModelMonitor(Construct):
    """Baseline job (custom resource), data-quality job definition, schedule and alert.

    The baseline runs as soon as the baseline file is staged, in parallel with AutoML.
    The schedule reads the endpoint's captured input and goes before the endpoint on
    delete (it depends on it), since a schedule blocks deleting its endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        image_uri: str,
        settings: MonitorSettings,
        bucket: s3.IBucket,
        baseline_dataset_uri: str,
        endpoint_name: str,
        execution_role: iam.IRole,
        tags: dict[str, str],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        job_prefix = f"{name_prefix}-baseline"
        self.provider = HandlerProvider(
            self,
            "BaselineProvider",
            on_event_handler="monitor_baseline.handler.on_event",
            is_complete_handler="monitor_baseline.handler.is_complete",
            description="Model Monitor baseline of the training data (a processing job)",
            query_interval=Duration.minutes(1),
            total_timeout=job_poll_budget(),
            timeout=Duration.minutes(2),
            encryption_key=encryption_key,
            waiter_log_name=f"{name_prefix}-baseline-provider",
        )
        jobs = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:processing-job/"
        self.provider.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:AddTags",
                ],
                resources=[f"{jobs}{job_prefix}-*"],
            ),
            stack_status_statement(),
            pass_to_sagemaker(execution_role),
        )
        if encryption_key:
            encryption_key.grant(self.provider.role, "kms:DescribeKey", "kms:CreateGrant")
        nag.acknowledge(
            self.provider.role,
            {
                nag.wildcard_resource(nag.arn("sagemaker", f"processing-job/{job_prefix}-*")): (
                    "Baseline job names end in a hash of their inputs, known only at deploy; "
                    "the prefix limits them to this stack's baseline jobs"
                )
            },
        )
        self.baseline = CustomResource(
            self,
            "Baseline",
            service_token=self.provider.service_token,
            resource_type="Custom::ModelMonitorBaseline",
            service_timeout=Duration.seconds(CUSTOM_RESOURCE_CAP_SECONDS),
            properties={
                "JobNamePrefix": job_prefix,
                "BaselineDatasetUri": baseline_dataset_uri,
                "OutputUri": f"s3://{bucket.bucket_name}/{BASELINE_PREFIX}",
                "ImageUri": image_uri,
                "RoleArn": execution_role.role_arn,
                "InstanceType": settings.instance_type,
                "InstanceCount": str(settings.instance_count),
                "VolumeSizeInGB": str(settings.volume_size_gb),
                "MaxRuntimeInSeconds": str(settings.max_runtime_seconds),
                "KmsKeyId": encryption_key.key_arn if encryption_key else "",
                "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
            },
        )
        self.statistics_uri = self.baseline.get_att_string("StatisticsS3Uri")
        self.constraints_uri = self.baseline.get_att_string("ConstraintsS3Uri")

        self.job_definition = self._job_definition(
            name_prefix=name_prefix,
            image_uri=image_uri,
            settings=settings,
            bucket=bucket,
            endpoint_name=endpoint_name,
            execution_role=execution_role,
            encryption_key=encryption_key,
            tags=tags,
        )
        self.schedule_name = f"{name_prefix}-data-quality"
        self.schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Schedule",
            monitoring_schedule_name=self.schedule_name,
            endpoint_name=endpoint_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=self.job_definition.job_definition_name,
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=settings.schedule_expression
                ),
            ),
        )
        self.schedule.add_resource_dependency(self.job_definition)
        self.topic = self._alert(settings, encryption_key)

    def _job_definition(
        self,
        *,
        name_prefix: str,
        image_uri: str,
        settings: MonitorSettings,
        bucket: s3.IBucket,
        endpoint_name: str,
        execution_role: iam.IRole,
        encryption_key: kms.IKey | None,
        tags: dict[str, str],
    ) -> sagemaker.CfnDataQualityJobDefinition:
        cfn = sagemaker.CfnDataQualityJobDefinition
        key_arn = encryption_key.key_arn if encryption_key else None
        props = {
            "data_quality_app_specification": cfn.DataQualityAppSpecificationProperty(
                image_uri=image_uri,
                environment={
                    "publish_cloudwatch_metrics": (
                        "Enabled" if settings.publish_cloudwatch_metrics else "Disabled"
                    )
                },
            ),
            "data_quality_baseline_config": cfn.DataQualityBaselineConfigProperty(
                constraints_resource=cfn.ConstraintsResourceProperty(s3_uri=self.constraints_uri),
                statistics_resource=cfn.StatisticsResourceProperty(s3_uri=self.statistics_uri),
            ),
            "data_quality_job_input": cfn.DataQualityJobInputProperty(
                endpoint_input=cfn.EndpointInputProperty(
                    endpoint_name=endpoint_name, local_path=CAPTURE_LOCAL_PATH
                )
            ),
            "data_quality_job_output_config": cfn.MonitoringOutputConfigProperty(
                kms_key_id=key_arn,
                monitoring_outputs=[
                    cfn.MonitoringOutputProperty(
                        s3_output=cfn.S3OutputProperty(
                            local_path=OUTPUT_LOCAL_PATH,
                            s3_uri=f"s3://{bucket.bucket_name}/{REPORTS_PREFIX}",
                            s3_upload_mode="EndOfJob",
                        )
                    )
                ],
            ),
            "job_resources": cfn.MonitoringResourcesProperty(
                cluster_config=cfn.ClusterConfigProperty(
                    instance_count=settings.instance_count,
                    instance_type=settings.instance_type,
                    volume_size_in_gb=settings.volume_size_gb,
                    volume_kms_key_id=key_arn,
                )
            ),
            # One instance by default, but encrypt traffic between instances if there are more.
            "network_config": cfn.NetworkConfigProperty(
                enable_inter_container_traffic_encryption=True
            ),
            "role_arn": execution_role.role_arn,
            "stopping_condition": cfn.StoppingConditionProperty(
                max_runtime_in_seconds=settings.max_runtime_seconds
            ),
        }
        definition = cfn(self, "DataQualityJobDefinition", **props)
        # Job definitions are replaced on any change (Tags included: create-only in the
        # resource schema), so a fixed name would collide with the old one: hash the
        # synthesized inputs and the stack's tags, which Tags.of(stack) adds only later,
        # plus the baseline's own input hash (its URIs change behind an unchanged GetAtt).
        resolved = [Stack.of(self).resolve(definition._cfn_properties), sorted(tags.items())]
        synth_hash = hashlib.sha256(
            json.dumps(resolved, sort_keys=True, default=str).encode()
        ).hexdigest()[:8]
        baseline_hash = self.baseline.get_att_string("Digest")
        definition.job_definition_name = Fn.join(
            "-", [f"{name_prefix}-dq-{synth_hash}", baseline_hash]
        )
        return definition

    def _alert(self, settings: MonitorSettings, encryption_key: kms.IKey | None) -> sns.Topic:
        topic = sns.Topic(
            self,
            "Alerts",
            display_name="Model Monitor violations",
            master_key=encryption_key,
            enforce_ssl=True,
        )
        if encryption_key is None:
            nag.acknowledge(
                topic,
                {
                    "AwsSolutions-SNS2": (
                        "Violation notices name features and the schedule, no data; dev and "
                        "stage skip the customer-managed key (encryption.customer_managed_key)"
                    )
                },
            )
        else:
            # EventBridge publishes to an encrypted topic only if the key lets it
            # (AWS docs, "Amazon SNS permissions" in the EventBridge user guide).
            encryption_key.grant(
                iam.ServicePrincipal("events.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
            )
        if settings.alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(settings.alert_email))
        rule = events.Rule(
            self,
            "ViolationsRule",
            description="A Model Monitor execution of this schedule found violations",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Processing Job State Change"],
                detail={
                    "MonitoringScheduleArn": [self.schedule.attr_monitoring_schedule_arn],
                    "ExitMessage": [{"prefix": VIOLATIONS_EXIT_MESSAGE}],
                },
            ),
        )
        rule.add_target(targets.SnsTopic(topic))
        return topic
