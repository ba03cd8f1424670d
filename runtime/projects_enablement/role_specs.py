"""The 11 account-wide roles SageMaker Projects and JumpStart need, as the console makes them.

Sources:
- Names and the /service-role/ path: AWS docs "Granting SageMaker Studio Permissions Required to
  Use Projects" (sagemaker-projects-studio-updates: since July 25, 2024 project templates need
  the per-service roles), and the iam:PassRole resources of the AWS managed policies below,
  which name each role under arn:aws:iam::*:role/service-role/.
- Managed policies and who uses them: AWS docs "AWS managed policies for SageMaker projects and
  JumpStart" (security-iam-awsmanpol-sc). The Launch role gets
  AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy; each
  AmazonSageMakerServiceCatalogProducts<Service>ServiceRolePolicy is "attached to an IAM role
  that the AmazonSageMakerServiceCatalogProductsLaunchRole passes to the AWS resources created
  by <Service>". Paths as IAM lists them: the Admin and CodeBuild policies sit at /, the
  others under service-role/.
- The Execution role: sagemaker.amazonaws.com with AmazonSageMakerFullAccess (the CodeBuild and
  Lambda policies pass it to SageMaker; no dedicated managed policy exists).
- The Use role: the console creates it trusting ten services and attaches a generated
  customer-managed policy, service-role/AmazonSageMakerServiceCatalogProductsUseRole-<timestamp>.
  AWS does not publish that policy's text; ``use_role_policy`` restates the statements the
  console has generated unchanged since 2021 (as exported from console-created accounts), and
  is kept inline so it lives and dies with the role.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLE_PATH = "/service-role/"
PREFIX = "AmazonSageMakerServiceCatalogProducts"
CONSOLE_DESCRIPTION = (
    "SageMaker role created from the SageMaker AWS Management Console. This role has the "
    "permissions required to {verb} the Amazon SageMaker portfolio of products from AWS "
    "ServiceCatalog."
)


@dataclass(frozen=True)
class RoleSpec:
    name: str
    services: tuple[str, ...]
    # Path and name of AWS managed policies, under arn:<partition>:iam::aws:policy/.
    managed_policies: tuple[str, ...]
    description: str
    # (policy name, document for a partition): the console's generated policy, kept inline.
    inline_policy: tuple[str, Callable[[str], dict[str, Any]]] | None = field(
        default=None, compare=False
    )

    def trust_policy(self) -> str:
        principal = self.services[0] if len(self.services) == 1 else list(self.services)
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": principal},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )

    def policy_arns(self, partition: str) -> list[str]:
        return [f"arn:{partition}:iam::aws:policy/{policy}" for policy in self.managed_policies]


def _statement(actions: list[str], resources: list[str] | str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def use_role_policy(partition: str) -> dict[str, Any]:
    """The statements of the console's generated Use role policy, in this partition."""
    p = partition
    buckets = [f"arn:{p}:s3:::aws-glue-*", f"arn:{p}:s3:::sagemaker-*"]
    sagemaker_studio = [
        f"arn:{p}:sagemaker:*:*:{kind}/*"
        for kind in ("domain", "user-profile", "app", "flow-definition")
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement(
                [
                    f"cloudformation:{a}"
                    for a in (
                        "CreateChangeSet",
                        "CreateStack",
                        "DescribeChangeSet",
                        "DeleteChangeSet",
                        "DeleteStack",
                        "DescribeStacks",
                        "ExecuteChangeSet",
                        "SetStackPolicy",
                        "UpdateStack",
                    )
                ],
                f"arn:{p}:cloudformation:*:*:stack/sagemaker-*",
            ),
            _statement(["cloudwatch:PutMetricData"], "*"),
            _statement(
                ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
                [
                    f"arn:{p}:codebuild:*:*:project/sagemaker-*",
                    f"arn:{p}:codebuild:*:*:build/sagemaker-*",
                ],
            ),
            _statement(
                [
                    f"codecommit:{a}"
                    for a in (
                        "CancelUploadArchive",
                        "GetBranch",
                        "GetCommit",
                        "GetUploadArchiveStatus",
                        "UploadArchive",
                    )
                ],
                f"arn:{p}:codecommit:*:*:sagemaker-*",
            ),
            _statement(
                ["codepipeline:StartPipelineExecution"], f"arn:{p}:codepipeline:*:*:sagemaker-*"
            ),
            _statement(["ec2:DescribeRouteTables"], "*"),
            _statement(
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:Describe*",
                    "ecr:GetAuthorizationToken",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "*",
            ),
            _statement(
                [
                    f"ecr:{a}"
                    for a in (
                        "BatchDeleteImage",
                        "CompleteLayerUpload",
                        "CreateRepository",
                        "DeleteRepository",
                        "InitiateLayerUpload",
                        "PutImage",
                        "UploadLayerPart",
                    )
                ],
                [f"arn:{p}:ecr:*:*:repository/sagemaker-*"],
            ),
            _statement(
                [
                    f"events:{a}"
                    for a in (
                        "DeleteRule",
                        "DescribeRule",
                        "PutRule",
                        "PutTargets",
                        "RemoveTargets",
                    )
                ],
                [f"arn:{p}:events:*:*:rule/sagemaker-*"],
            ),
            _statement(
                ["firehose:PutRecord", "firehose:PutRecordBatch"],
                f"arn:{p}:firehose:*:*:deliverystream/sagemaker-*",
            ),
            _statement(
                [
                    f"glue:{a}"
                    for a in (
                        "BatchCreatePartition",
                        "BatchDeletePartition",
                        "BatchDeleteTable",
                        "BatchDeleteTableVersion",
                        "BatchGetPartition",
                        "CreateDatabase",
                        "CreatePartition",
                        "CreateTable",
                        "DeletePartition",
                        "DeleteTable",
                        "DeleteTableVersion",
                        "GetDatabase",
                        "GetPartition",
                        "GetPartitions",
                        "GetTable",
                        "GetTables",
                        "GetTableVersion",
                        "GetTableVersions",
                        "SearchTables",
                        "UpdatePartition",
                        "UpdateTable",
                        "GetUserDefinedFunctions",
                    )
                ],
                [
                    f"arn:{p}:glue:*:*:catalog",
                    f"arn:{p}:glue:*:*:database/default",
                    f"arn:{p}:glue:*:*:database/global_temp",
                    f"arn:{p}:glue:*:*:database/sagemaker-*",
                    f"arn:{p}:glue:*:*:table/sagemaker-*",
                    f"arn:{p}:glue:*:*:tableVersion/sagemaker-*",
                ],
            ),
            _statement(["iam:PassRole"], [f"arn:{p}:iam::*:role/service-role/{PREFIX}Use*"]),
            _statement(["lambda:InvokeFunction"], [f"arn:{p}:lambda:*:*:function:sagemaker-*"]),
            _statement(
                [
                    "logs:CreateLogDelivery",
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DeleteLogDelivery",
                    "logs:Describe*",
                    "logs:GetLogDelivery",
                    "logs:GetLogEvents",
                    "logs:ListLogDeliveries",
                    "logs:PutLogEvents",
                    "logs:PutResourcePolicy",
                    "logs:UpdateLogDelivery",
                ],
                "*",
            ),
            _statement(
                [
                    f"s3:{a}"
                    for a in (
                        "CreateBucket",
                        "DeleteBucket",
                        "GetBucketAcl",
                        "GetBucketCors",
                        "GetBucketLocation",
                        "ListAllMyBuckets",
                        "ListBucket",
                        "ListBucketMultipartUploads",
                        "PutBucketCors",
                        "PutObjectAcl",
                    )
                ],
                buckets,
            ),
            _statement(
                [
                    f"s3:{a}"
                    for a in (
                        "AbortMultipartUpload",
                        "DeleteObject",
                        "GetObject",
                        "GetObjectVersion",
                        "PutObject",
                    )
                ],
                buckets,
            ),
            {"Effect": "Allow", "Action": ["sagemaker:*"], "NotResource": sagemaker_studio},
            _statement(
                [
                    f"states:{a}"
                    for a in (
                        "DescribeExecution",
                        "DescribeStateMachine",
                        "DescribeStateMachineForExecution",
                        "GetExecutionHistory",
                        "ListExecutions",
                        "ListTagsForResource",
                        "StartExecution",
                        "StopExecution",
                        "TagResource",
                        "UntagResource",
                        "UpdateStateMachine",
                    )
                ],
                [
                    f"arn:{p}:states:*:*:stateMachine:sagemaker-*",
                    f"arn:{p}:states:*:*:execution:sagemaker-*:*",
                ],
            ),
            _statement(["states:ListStateMachines"], "*"),
            _statement(
                ["codestar-connections:UseConnection"],
                f"arn:{p}:codestar-connections:*:*:connection/*",
                Condition={"StringEqualsIgnoreCase": {"aws:ResourceTag/sagemaker": "true"}},
            ),
        ],
    }


USE_ROLE_POLICY_NAME = f"{PREFIX}UseRolePolicy"


def _service_role(service: str, principal: str, policy: str, what: str) -> RoleSpec:
    return RoleSpec(
        name=f"{PREFIX}{service}Role",
        services=(f"{principal}.amazonaws.com",),
        managed_policies=(policy,),
        description=(
            f"Passed by {PREFIX}LaunchRole to the {what} that SageMaker project and JumpStart "
            "products create."
        ),
    )


def _per_service_policy(service: str, *, service_role_path: bool = True) -> str:
    name = f"{PREFIX}{service}ServiceRolePolicy"
    return f"service-role/{name}" if service_role_path else name


LAUNCH_ROLE = RoleSpec(
    name=f"{PREFIX}LaunchRole",
    services=("servicecatalog.amazonaws.com",),
    managed_policies=("AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy",),
    description=CONSOLE_DESCRIPTION.format(verb="launch"),
)

USE_ROLE = RoleSpec(
    name=f"{PREFIX}UseRole",
    services=tuple(
        f"{s}.amazonaws.com"
        for s in (
            "apigateway",
            "cloudformation",
            "codebuild",
            "codepipeline",
            "events",
            "firehose",
            "glue",
            "lambda",
            "sagemaker",
            "states",
        )
    ),
    managed_policies=(),
    description=CONSOLE_DESCRIPTION.format(verb="use"),
    inline_policy=(USE_ROLE_POLICY_NAME, use_role_policy),
)

PER_SERVICE_ROLES: tuple[RoleSpec, ...] = (
    _service_role(
        "ApiGateway", "apigateway", _per_service_policy("ApiGateway"), "API Gateway APIs"
    ),
    _service_role(
        "Cloudformation",
        "cloudformation",
        _per_service_policy("Cloudformation"),
        "CloudFormation stacks",
    ),
    _service_role(
        "CodeBuild",
        "codebuild",
        _per_service_policy("CodeBuild", service_role_path=False),
        "CodeBuild projects",
    ),
    _service_role(
        "CodePipeline",
        "codepipeline",
        _per_service_policy("CodePipeline"),
        "CodePipeline pipelines",
    ),
    _service_role("Events", "events", _per_service_policy("Events"), "EventBridge rules"),
    _service_role(
        "Firehose", "firehose", _per_service_policy("Firehose"), "Data Firehose delivery streams"
    ),
    _service_role("Glue", "glue", _per_service_policy("Glue"), "Glue jobs and crawlers"),
    _service_role("Lambda", "lambda", _per_service_policy("Lambda"), "Lambda functions"),
    _service_role(
        "Execution", "sagemaker", "AmazonSageMakerFullAccess", "SageMaker jobs and models"
    ),
)

ROLE_SPECS: tuple[RoleSpec, ...] = (LAUNCH_ROLE, USE_ROLE, *PER_SERVICE_ROLES)
