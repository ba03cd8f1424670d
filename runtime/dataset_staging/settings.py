"""The resource properties, the dataset version and where a version lives in S3."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cr_support import properties
from cr_support.properties import PropertyError

# Bump when the staged output would differ for the same inputs.
STAGING_FORMAT = 1
_PHYSICAL_ID = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/((?:[^/]+/)*[0-9a-f]{16}/)$")


@dataclass(frozen=True)
class StagingRequest:
    bucket: str
    prefix: str
    source_uri: str
    archive_member: str
    train_source_uri: str
    holdout_source_uri: str
    target: str
    holdout_fraction: float
    seed: int
    min_training_rows: int
    # The class the monitor's profile and quality metrics call positive; not part of the
    # version (a change re-stages in place, so AutoML does not train again).
    positive_class: str = "yes"

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> StagingRequest:
        fraction = properties.number(props, "HoldoutFraction", 0.05)
        if not 0 < fraction < 0.5:
            raise PropertyError(
                f"resource property 'HoldoutFraction' must be between 0 and 0.5, got {fraction}; "
                "set dataset.holdout_fraction"
            )
        min_rows = properties.integer(props, "MinTrainingRows", 500)
        if min_rows < 1:
            raise PropertyError(
                "resource property 'MinTrainingRows' must be at least 1; "
                "set dataset.min_training_rows"
            )
        request = cls(
            bucket=properties.string(props, "Bucket"),
            prefix=properties.string(props, "Prefix", "").strip("/"),
            source_uri=properties.string(props, "SourceUri", ""),
            archive_member=properties.string(props, "ArchiveMember", ""),
            train_source_uri=properties.string(props, "TrainSourceUri", ""),
            holdout_source_uri=properties.string(props, "HoldoutSourceUri", ""),
            target=properties.string(props, "TargetAttribute"),
            holdout_fraction=fraction,
            seed=properties.integer(props, "Seed", 42),
            min_training_rows=min_rows,
            positive_class=properties.string(props, "PositiveClass", "yes"),
        )
        for key, value in (
            ("Bucket", request.bucket),
            ("TargetAttribute", request.target),
            ("PositiveClass", request.positive_class),
        ):
            if not value:
                raise PropertyError(f"resource property '{key}' must not be empty")
        if request.pre_split != bool(request.holdout_source_uri):
            raise PropertyError(
                "resource properties 'TrainSourceUri' and 'HoldoutSourceUri' go together"
            )
        if request.pre_split == bool(request.source_uri):
            raise PropertyError(
                "set either resource property 'SourceUri' or 'TrainSourceUri' and "
                "'HoldoutSourceUri'"
            )
        return request

    @property
    def pre_split(self) -> bool:
        """The user supplies train and holdout files; the function only checks and copies."""
        return bool(self.train_source_uri)


def dataset_version(request: StagingRequest, source_etag: str, holdout_etag: str = "") -> str:
    """16 hex characters that change whenever the staged files would change.

    For pre-split input, ``source_etag`` is the train object's and ``holdout_etag`` the
    holdout object's.
    """
    identity: dict[str, Any] = {
        "SourceUri": request.source_uri,
        "ArchiveMember": request.archive_member,
        "TargetAttribute": request.target,
        "HoldoutFraction": request.holdout_fraction,
        "Seed": request.seed,
        "StagingFormat": STAGING_FORMAT,
    }
    if request.pre_split:
        identity["TrainSourceUri"] = request.train_source_uri
        identity["HoldoutSourceUri"] = request.holdout_source_uri
    if source_etag:
        identity["SourceETag"] = source_etag
    if holdout_etag:
        identity["HoldoutSourceETag"] = holdout_etag
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Location:
    bucket: str
    key_prefix: str

    @classmethod
    def of(cls, bucket: str, prefix: str, version: str) -> Location:
        return cls(bucket, f"{prefix}/{version}/" if prefix else f"{version}/")

    @property
    def version(self) -> str:
        return self.key_prefix.rstrip("/").rsplit("/", 1)[-1]

    @property
    def physical_id(self) -> str:
        return f"s3://{self.bucket}/{self.key_prefix}"

    @property
    def train_key(self) -> str:
        return f"{self.key_prefix}train.csv"

    @property
    def holdout_key(self) -> str:
        return f"{self.key_prefix}holdout.csv"

    @property
    def profile_key(self) -> str:
        """The baseline profile of the training rows (drift_monitor/profile.py)."""
        return f"{self.key_prefix}profile.json"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def parse_physical_id(physical_id: str) -> Location | None:
    """The location a physical ID names; None for anything this handler did not issue."""
    match = _PHYSICAL_ID.match(physical_id or "")
    return Location(match.group(1), match.group(2)) if match else None
