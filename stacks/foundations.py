"""What every part of the stack shares: the key, the network, the bucket and the execution role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from components import arns, nag
from components.data_bucket import DataBucket
from components.network import StudioNetwork
from components.studio import QuickStartExecutionRole
from config import EnvironmentSettings


@dataclass(frozen=True)
class Foundations:
    """Handles the Studio and Model parts build on, created directly in the stack."""

    encryption_key: kms.Key | None
    network: StudioNetwork
    data: DataBucket
    execution_role: iam.Role

    @property
    def bucket(self) -> s3.Bucket:
        return self.data.bucket

    @classmethod
    def build(cls, stack: Stack, *, settings: EnvironmentSettings) -> Foundations:
        encryption_key = _encryption_key(stack, settings)
        network = StudioNetwork(
            stack,
            "Network",
            settings=settings.network,
            retain_flow_logs=settings.retains_data,
            encryption_key=encryption_key,
        )
        data = DataBucket(
            stack,
            "Data",
            name_prefix=settings.resource_prefix,
            retain=settings.retains_data,
            server_access_logs=settings.storage.server_access_logs,
            encryption_key=encryption_key,
        )
        cast(s3.CfnBucket, data.bucket.node.default_child).override_logical_id("DataBucket")
        _acknowledge_bucket_findings(data, settings)

        execution_role = QuickStartExecutionRole(
            stack, "ExecutionRole", canvas_enabled=settings.studio.canvas_enabled
        ).role
        data.bucket.grant_read_write(execution_role)
        _acknowledge_execution_role_findings(execution_role, data.bucket, settings)
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
        return cls(
            encryption_key=encryption_key,
            network=network,
            data=data,
            execution_role=execution_role,
        )


def _encryption_key(stack: Stack, settings: EnvironmentSettings) -> kms.Key | None:
    if not settings.encryption.customer_managed_key:
        return None
    key = kms.Key(
        stack,
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
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": (arns.arn("logs", "log-group:*"))}
            },
        )
    )
    return key


def _acknowledge_bucket_findings(data: DataBucket, settings: EnvironmentSettings) -> None:
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


def _acknowledge_execution_role_findings(
    role: iam.Role, bucket: s3.Bucket, settings: EnvironmentSettings
) -> None:
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
    findings.update(nag.kms_grant_findings("CDK's encrypt/decrypt grant on the project key only"))
    findings[nag.wildcard_resource(f"{nag.attribute_ref(bucket)}/*")] = (
        "Studio users, Autopilot and the endpoint read and write any object in the "
        "project bucket, and only there"
    )
    nag.acknowledge(role, findings)
