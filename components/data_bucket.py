"""The project bucket for training data, AutoML output and captured endpoint traffic."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


class DataBucket(Construct):
    """An SSL-only, private, encrypted bucket whose name contains ``sagemaker``.

    AmazonSageMakerFullAccess grants object access only to buckets named with
    "sagemaker", so the quick-start execution role can use this one as is.
    Outside prod it is destroyed with its objects; in prod it is retained and versioned.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        retain: bool,
        server_access_logs: bool,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        removal_policy = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        encryption: dict[str, Any] = dict(
            encryption=s3.BucketEncryption.KMS
            if encryption_key
            else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=bool(encryption_key),
        )
        self.access_log_bucket: s3.Bucket | None = None
        if server_access_logs:
            # Server access logs only support SSE-S3 on the target bucket. Versioning keeps
            # a deleted or overwritten log for 30 days.
            self.access_log_bucket = s3.Bucket(
                self,
                "AccessLogs",
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
                versioned=True,
                removal_policy=removal_policy,
                auto_delete_objects=not retain,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        expiration=Duration.days(365),
                        noncurrent_version_expiration=Duration.days(30),
                    )
                ],
            )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=f"sagemaker-{name_prefix}-{Aws.ACCOUNT_ID}-{Aws.REGION}",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=retain,
            removal_policy=removal_policy,
            auto_delete_objects=not retain,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="data-bucket/" if server_access_logs else None,
            lifecycle_rules=[
                s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(7)),
            ],
            **encryption,
        )
