"""Custom resource that stages, validates and splits the training data."""

from __future__ import annotations

from aws_cdk import CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from components import nag
from components.handler_provider import HandlerProvider
from config.settings import DatasetSettings

DATASET_PREFIX = "datasets"


class TrainingDataset(Construct):
    """Copies the source CSV into the bucket as ``train.csv`` and ``holdout.csv``.

    The source is the public bank-marketing sample, a local file (uploaded as a CDK
    asset), an https URL or an ``s3://`` object. Bad data fails the deploy with a
    reason a person can act on. Re-staging happens only when the source or the split
    settings change.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        settings: DatasetSettings,
        retain_on_delete: bool,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.provider = HandlerProvider(
            self,
            "Provider",
            on_event_handler="dataset_staging.handler.on_event",
            is_complete_handler=None,
            description="Stage, validate and split the training data",
            memory_size=2048,
            timeout=Duration.minutes(10),
            encryption_key=encryption_key,
        )
        source_uri = settings.source_uri
        if settings.source == "local-file":
            asset = s3_assets.Asset(self, "LocalFile", path=settings.path)
            asset.grant_read(self.provider.role)
            source_uri = asset.s3_object_url
        elif settings.source == "s3-uri":
            source_bucket, _, source_key = settings.uri.removeprefix("s3://").partition("/")
            self.provider.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[f"arn:aws:s3:::{source_bucket}/{source_key}"],
                )
            )
        bucket.grant_read_write(self.provider.role, f"{DATASET_PREFIX}/*")
        nag.acknowledge(
            self.provider.role,
            {
                **nag.s3_grant_findings("CDK's bucket grant, limited to the datasets/ prefix"),
                **nag.kms_grant_findings("CDK's grant on the project key, for the bucket"),
                nag.wildcard_resource(f"{nag.attribute_ref(bucket)}/{DATASET_PREFIX}/*"): (
                    "Staged objects are written under datasets/<version>/, a hash known "
                    "only at deploy time"
                ),
            },
        )

        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type="Custom::TrainingDataset",
            properties={
                "Bucket": bucket.bucket_name,
                "Prefix": DATASET_PREFIX,
                "SourceUri": source_uri,
                "ArchiveMember": settings.source_archive_member,
                "TargetAttribute": settings.target_attribute,
                "HoldoutFraction": str(settings.holdout_fraction),
                "Seed": str(settings.seed),
                "MinTrainingRows": str(settings.min_training_rows),
                "RetainOnDelete": str(retain_on_delete).lower(),
            },
        )
        self.train_uri = self.resource.get_att_string("TrainUri")
        self.holdout_uri = self.resource.get_att_string("HoldoutUri")
        self.train_rows = self.resource.get_att_string("TrainRows")
        self.holdout_rows = self.resource.get_att_string("HoldoutRows")
