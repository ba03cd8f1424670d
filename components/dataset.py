"""Custom resource that stages, validates and splits the training data."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from components import arns, nag
from components.handler_provider import ProvidedConstruct
from config import DatasetSettings

DATASET_PREFIX = "datasets"
# Sized from tools/bench_staging.py: peak RSS stays near 130 MiB whatever the input, so
# memory is chosen for CPU: staging is single-threaded and CPU-bound, and 1,769 MB is one
# full vCPU (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
STAGING_MEMORY_MB = 1769
# /tmp holds the spooled CSV (at most 5 GiB, plus 7 bytes a row for lengths, classes and
# rank buckets: about 0.4 GiB) and a zip archive (at most 2 GiB) at once; see
# MAX_CSV_BYTES and MAX_ARCHIVE_BYTES in runtime/dataset_staging/streams.py.
STAGING_EPHEMERAL_STORAGE_MB = 8192
# 5 GiB (MAX_CSV_BYTES) at the slowest measured 13.6 MB/s takes 6.6 minutes: the other
# half of the timeout is margin, and the handler aborts cleanly 45 s before it.
STAGING_TIMEOUT = Duration.minutes(14)


class TrainingDataset(ProvidedConstruct):
    """Copies the source CSV into the bucket as ``train.csv`` and ``holdout.csv``.

    The source is the public bank-marketing sample, a local file (uploaded as a CDK
    asset and checked at synth), an https URL, an ``s3://`` object, or ready-made
    train and holdout objects (``pre-split``), which are checked and copied. Bad data
    fails the deploy with a reason a person can act on. Re-staging happens only when
    the source or the split settings change.
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
        super().__init__(
            scope,
            construct_id,
            package="dataset_staging",
            description="Stage, validate and split the training data",
            memory_size=STAGING_MEMORY_MB,
            timeout=STAGING_TIMEOUT,
            encryption_key=encryption_key,
        )
        function = cast(lambda_.CfnFunction, self.provider.on_event_function.node.default_child)
        function.ephemeral_storage = lambda_.CfnFunction.EphemeralStorageProperty(
            size=STAGING_EPHEMERAL_STORAGE_MB
        )
        source_uri = settings.source_uri
        source_properties: dict[str, str] = {}
        if settings.source == "local-file":
            # The settings' validator requires each source's own keys.
            asset = s3_assets.Asset(self, "LocalFile", path=cast(str, settings.local_path))
            # Read on this one object, not asset.grant_read's whole asset bucket.
            self.provider.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[asset.bucket.arn_for_objects(asset.s3_object_key)],
                )
            )
            source_uri = asset.s3_object_url
        elif settings.source == "s3-uri":
            self._allow_reading(cast(str, settings.uri))
        elif settings.source == "pre-split":
            train_uri, holdout_uri = cast(str, settings.train_uri), cast(str, settings.holdout_uri)
            self._allow_reading(train_uri, holdout_uri)
            source_properties = {
                "TrainSourceUri": train_uri,
                "HoldoutSourceUri": holdout_uri,
            }
        bucket.grant_read_write(self.provider.role, f"{DATASET_PREFIX}/*")
        self.provider.acknowledge(
            {
                **nag.s3_grant_findings("CDK's bucket grant, limited to the datasets/ prefix"),
                **nag.kms_grant_findings("CDK's grant on the project key, for the bucket"),
                nag.wildcard_resource(f"{nag.attribute_ref(bucket)}/{DATASET_PREFIX}/*"): (
                    "Staged objects are written under datasets/<version>/, a hash known "
                    "only at deploy time"
                ),
            }
        )

        self.resource = self.provider.custom_resource(
            self,
            "Resource",
            resource_type="Custom::TrainingDataset",
            properties={
                "Bucket": bucket.bucket_name,
                "Prefix": DATASET_PREFIX,
                "SourceUri": source_uri or "",
                **source_properties,
                "ArchiveMember": settings.source_archive_member,
                "TargetAttribute": settings.target_attribute,
                "PositiveClass": settings.positive_class,
                "HoldoutFraction": str(settings.holdout_fraction),
                "Seed": str(settings.seed),
                "MinTrainingRows": str(settings.min_training_rows),
                "RetainOnDelete": str(retain_on_delete).lower(),
            },
        )
        self.train_uri = self.resource.get_att_string("TrainUri")
        self.holdout_uri = self.resource.get_att_string("HoldoutUri")
        # The monitor's baseline: a profile of the training rows (drift_monitor reads it).
        self.profile_uri = self.resource.get_att_string("ProfileUri")
        self.profile_key = self.resource.get_att_string("ProfileKey")
        self.train_rows = self.resource.get_att_string("TrainRows")
        self.holdout_rows = self.resource.get_att_string("HoldoutRows")

    def _allow_reading(self, *uris: str) -> None:
        """s3:GetObject on exactly these objects (the staging function reads or copies them)."""
        self.provider.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[
                    arns.arn("s3", f"{uri.removeprefix('s3://')}", regional=False, in_account=False)
                    for uri in uris
                ],
            )
        )
