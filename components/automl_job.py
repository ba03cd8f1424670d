"""Custom resource that runs a SageMaker Autopilot job (CreateAutoMLJobV2) to completion."""

from __future__ import annotations

from aws_cdk import Aws, CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from components import nag
from components.handler_provider import HandlerProvider, poll_budget, stack_status_statement
from config.settings import (
    AUTOML_POLLING_MARGIN_SECONDS,
    CUSTOM_RESOURCE_CAP_SECONDS,
    AutoMLSettings,
)


class AutoMLJob(Construct):
    """Starts the job, polls it once a minute and exposes its best candidate.

    A failed or stopped job fails the deploy with the job's own reason; deleting the
    resource stops a job that is still running. The budget was checked at synth.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        job_name_prefix: str,
        training_data_uri: str,
        output_uri: str,
        target_attribute: str,
        execution_role: iam.IRole,
        settings: AutoMLSettings,
        tags: dict[str, str],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        poll = 60
        wait = poll_budget(
            settings.max_job_runtime_seconds + AUTOML_POLLING_MARGIN_SECONDS,
            query_interval_seconds=poll,
            service_timeout_seconds=CUSTOM_RESOURCE_CAP_SECONDS,
        )
        self.provider = HandlerProvider(
            self,
            "Provider",
            on_event_handler="automl_job.handler.on_event",
            is_complete_handler="automl_job.handler.is_complete",
            description="Run the Autopilot job and report its best candidate",
            query_interval=Duration.seconds(poll),
            total_timeout=wait,
            timeout=Duration.minutes(2),
            encryption_key=encryption_key,
        )
        arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        job_arns = f"{arn}:automl-job/{job_name_prefix}-*"
        self.provider.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateAutoMLJobV2",
                    "sagemaker:DescribeAutoMLJobV2",
                    "sagemaker:StopAutoMLJob",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                ],
                resources=[job_arns],
            ),
            stack_status_statement(),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
        )
        if encryption_key:
            encryption_key.grant(self.provider.role, "kms:DescribeKey", "kms:CreateGrant")
        nag.acknowledge(
            self.provider.role,
            {
                nag.wildcard_resource(nag.arn("sagemaker", f"automl-job/{job_name_prefix}-*")): (
                    "Job names end in a hash of the job inputs, known only at deploy; "
                    "the prefix limits them to this stack's jobs"
                )
            },
        )

        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type="Custom::AutoMLJob",
            service_timeout=Duration.seconds(CUSTOM_RESOURCE_CAP_SECONDS),
            properties={
                "JobNamePrefix": job_name_prefix,
                "TrainingDataUri": training_data_uri,
                "OutputUri": output_uri,
                "RoleArn": execution_role.role_arn,
                "TargetAttribute": target_attribute,
                "ProblemType": settings.problem_type or "",
                "Objective": settings.objective or "",
                "Mode": settings.mode,
                # Unset (and refused with ENSEMBLING, which ignores it), it stays out of
                # the request and the job-name hash.
                **(
                    {"MaxCandidates": str(settings.max_candidates)}
                    if settings.max_candidates
                    else {}
                ),
                "MaxRuntimePerTrainingJobInSeconds": str(
                    settings.max_runtime_per_training_job_seconds
                ),
                "MaxAutoMLJobRuntimeInSeconds": str(settings.max_job_runtime_seconds),
                "KmsKeyId": encryption_key.key_arn if encryption_key else "",
                "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
            },
        )
        self.job_name = self.resource.get_att_string("JobName")
        self.best_candidate_name = self.resource.get_att_string("BestCandidateName")
        self.objective_metric_name = self.resource.get_att_string("ObjectiveMetricName")
        self.objective_metric_value = self.resource.get_att_string("ObjectiveMetricValue")
