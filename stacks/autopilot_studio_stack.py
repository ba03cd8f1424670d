"""One environment: Studio domain, data bucket, AutoML job and a data-capturing endpoint."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Fn, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from components import nag
from components.automl_job import AutoMLJob
from components.data_bucket import DataBucket
from components.dataset import TrainingDataset
from components.model_endpoint import ModelEndpoint
from components.model_monitor import ModelMonitor
from components.network import StudioNetwork
from components.projects import ProjectsAndJumpStart
from components.studio import QuickStartExecutionRole, StudioDomain
from components.studio_cleanup import StudioAppsCleanup, StudioHomeCleanup
from config.model_monitor_images import analyzer_image
from config.settings import EnvironmentSettings

AUTOML_OUTPUT_PREFIX = "automl-output"


class AutopilotStudioStack(Stack):
    """Everything one environment needs, wired in dependency order for a clean destroy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._settings = settings
        # Checked before any construct stages an asset: a bad region writes nothing.
        self._monitor_image = self._analyzer_image(settings)
        # Config tags go on every resource except the domain and its profile, whose
        # tags stay fixed so a tag edit can never replace them.
        for key, value in settings.tags.items():
            Tags.of(self).add(
                key,
                value,
                exclude_resource_types=["AWS::SageMaker::Domain", "AWS::SageMaker::UserProfile"],
            )

        encryption_key = self._encryption_key(settings)
        network = StudioNetwork(
            self, "Network", settings=settings.network, encryption_key=encryption_key
        )
        data = DataBucket(
            self,
            "Data",
            name_prefix=settings.resource_prefix,
            retain=settings.retains_data,
            server_access_logs=settings.storage.server_access_logs,
            encryption_key=encryption_key,
        )
        data.bucket.node.default_child.override_logical_id("DataBucket")
        bucket = data.bucket
        self._bucket = bucket
        self._acknowledge_bucket_findings(data, settings)

        execution_role = QuickStartExecutionRole(
            self, "ExecutionRole", canvas_enabled=settings.studio.canvas_enabled
        ).role
        bucket.grant_read_write(execution_role)
        self._acknowledge_execution_role_findings(execution_role, settings)
        if encryption_key:
            encryption_key.grant_encrypt_decrypt(execution_role)
            # Training and endpoint volumes: SageMaker attaches the key through a grant.
            execution_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:CreateGrant"],
                    resources=[encryption_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )

        home_cleanup = StudioHomeCleanup(
            self,
            "StudioHomeCleanup",
            vpc=network.vpc,
            owner_tag_value=Aws.STACK_ID,
            retain_home_file_system=settings.studio.retain_home_file_system,
            dedicated_vpc=settings.network.mode == "dedicated",
            encryption_key=encryption_key,
        )
        home_cleanup.node.add_dependency(network)
        studio = StudioDomain(
            self,
            "Studio",
            domain_name=settings.resource_prefix,
            environment_name=settings.name,
            network=network,
            execution_role=execution_role,
            user_profile_name=settings.studio.user_profile_name,
            canvas_enabled=settings.studio.canvas_enabled,
            app_network_access_type=settings.studio.app_network_access_type,
            home_efs_file_system=settings.studio.home_efs_file_system,
            encryption_key=encryption_key,
        )
        # Created before the domain, so deleted after it: removes the home EFS and NFS groups.
        studio.domain.node.add_dependency(home_cleanup)
        apps_cleanup = StudioAppsCleanup(
            self,
            "StudioAppsCleanup",
            domain=studio.domain,
            vpc=network.vpc,
            owner_tag_value=Aws.STACK_ID,
            user_profile_name=settings.studio.user_profile_name,
            encryption_key=encryption_key,
        )
        # Deleted before the profile and the domain: removes apps and spaces users started.
        apps_cleanup.node.add_dependency(studio.user_profile)

        if settings.studio.projects_and_jumpstart_enabled:
            projects = ProjectsAndJumpStart(
                self,
                "ProjectsAndJumpStart",
                execution_role=execution_role,
                owner_tag_value=Aws.STACK_ID,
                encryption_key=encryption_key,
            )
            projects.node.add_dependency(studio.user_profile)

        dataset = TrainingDataset(
            self,
            "TrainingData",
            bucket=bucket,
            settings=settings.dataset,
            retain_on_delete=settings.retains_data,
            encryption_key=encryption_key,
        )
        automl = AutoMLJob(
            self,
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
            self,
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
        monitor = self._monitor(
            settings,
            dataset=dataset,
            endpoint=endpoint,
            execution_role=execution_role,
            encryption_key=encryption_key,
        )
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

        self._outputs(
            studio=studio,
            bucket_name=bucket.bucket_name,
            dataset=dataset,
            automl=automl,
            endpoint=endpoint,
            capture_uri=capture_uri,
            monitor=monitor,
        )

    def _analyzer_image(self, settings: EnvironmentSettings) -> str | None:
        if not settings.monitor.enabled:
            return None
        region = "unset" if Token.is_unresolved(self.region) else self.region
        key = f"{settings.name}.region (with monitor.enabled = true)"
        return analyzer_image(region, key=key).uri

    def _monitor(self, settings, *, dataset, endpoint, execution_role, encryption_key):
        if not settings.monitor.enabled:
            return None
        monitor = ModelMonitor(
            self,
            "Monitor",
            name_prefix=settings.resource_prefix,
            image_uri=self._monitor_image,
            settings=settings.monitor,
            bucket=self._bucket,
            baseline_dataset_uri=dataset.baseline_uri,
            endpoint_name=endpoint.resource.get_att_string("EndpointName"),
            execution_role=execution_role,
            tags=settings.tags,
            encryption_key=encryption_key,
        )
        # A schedule blocks deleting its endpoint: created after it, deleted before it.
        monitor.schedule.node.add_dependency(endpoint.resource)
        return monitor

    def _acknowledge_bucket_findings(self, data: DataBucket, settings: EnvironmentSettings) -> None:
        if data.access_log_bucket is None:
            nag.acknowledge(
                data.bucket,
                {
                    "AwsSolutions-S1": (
                        f"Server access logs are off in {settings.name} to save cost; "
                        "CloudTrail data events can be enabled instead. Set "
                        "storage.server_access_logs = true to turn them on"
                    )
                },
            )
        else:
            nag.acknowledge(
                data.access_log_bucket,
                {"AwsSolutions-S1": "This is the access-log destination; it cannot log to itself"},
            )

    def _acknowledge_execution_role_findings(self, role, settings: EnvironmentSettings) -> None:
        managed = ["AmazonSageMakerFullAccess"]
        if settings.studio.canvas_enabled:
            managed.append("AmazonSageMakerCanvasFullAccess")
        findings = {
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]": (
                "Quick-start parity: the console's quick setup gives Studio's execution role "
                f"{name}, which users expect"
            )
            for name in managed
        }
        findings.update(nag.s3_grant_findings("CDK's read/write grant on the project bucket only"))
        findings.update(
            nag.kms_grant_findings("CDK's encrypt/decrypt grant on the project key only")
        )
        findings[nag.wildcard_resource(f"{nag.attribute_ref(self._bucket)}/*")] = (
            "Studio users, Autopilot and the endpoint read and write any object in the "
            "project bucket, and only there"
        )
        nag.acknowledge(role, findings)

    @property
    def availability_zones(self) -> list[str]:
        # Fn::GetAZs at deploy time instead of a context lookup at synth.
        configured = self._settings.network.availability_zones
        if configured:
            return list(configured)
        return [Fn.select(index, Fn.get_azs()) for index in range(2)]

    def _encryption_key(self, settings: EnvironmentSettings) -> kms.Key | None:
        if not settings.encryption.customer_managed_key:
            return None
        key = kms.Key(
            self,
            "EncryptionKey",
            alias=f"alias/{settings.resource_prefix}",
            description=(
                f"Data, AutoML output, captured traffic, Studio, logs and Lambda environments "
                f"({settings.name})"
            ),
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if settings.retains_data else RemovalPolicy.DESTROY,
        )
        # CloudWatch Logs encrypts with the key only if the key policy lets its regional
        # service principal do so, for this account's log groups (AWS docs,
        # "Encrypt log data in CloudWatch Logs using AWS KMS").
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )
        return key

    def _outputs(
        self, *, studio, bucket_name, dataset, automl, endpoint, capture_uri, monitor
    ) -> None:
        s = self._settings
        env = s.name
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
                capture_uri,
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
            CfnOutput(self, name, value=value, description=description)
