"""Typed, frozen settings for one environment, validated while the app synthesizes.

Every error names the key, the bad value and what is allowed, and is raised as
``ConfigError`` so ``app.py`` can print it without a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.local_dataset import check_local_file
from config.local_dataset import resolve as resolve_local_path

ENVIRONMENTS_FILE = Path(__file__).with_name("environments.toml")

# CloudFormation fails any custom resource after one hour (ServiceTimeout max 3600 s).
CUSTOM_RESOURCE_CAP_SECONDS = 3600
# Room for job start-up, the graceful stop at the runtime limit and one-minute polling.
AUTOML_POLLING_MARGIN_SECONDS = 600

BANK_MARKETING_SAMPLE_URL = (
    "https://sagemaker-sample-data-us-west-2.s3-us-west-2.amazonaws.com"
    "/autopilot/direct_marketing/bank-additional.zip"
)
BANK_MARKETING_SAMPLE_MEMBER = "bank-additional/bank-additional-full.csv"
_S3_OBJECT_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*[^/]$"

OBJECTIVES_BY_PROBLEM_TYPE = {
    "BinaryClassification": ("F1", "Accuracy", "AUC", "BalancedAccuracy", "Precision", "Recall"),
    "MulticlassClassification": (
        "Accuracy",
        "BalancedAccuracy",
        "F1macro",
        "PrecisionMacro",
        "RecallMacro",
    ),
    "Regression": ("MSE", "RMSE", "MAE", "R2"),
}


class ConfigError(ValueError):
    """The environment configuration is invalid; the message says how."""


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class NetworkSettings(_Settings):
    """A dedicated VPC (default), or the user's own VPC and subnets."""

    mode: Literal["dedicated", "existing"] = "dedicated"
    vpc_cidr: str = Field("10.42.0.0/16", pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")
    availability_zones: tuple[str, ...] | None = Field(None, min_length=2, max_length=3)
    vpc_id: str | None = Field(None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    subnet_ids: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _existing_needs_ids(self) -> NetworkSettings:
        if self.mode == "existing" and (not self.vpc_id or not self.subnet_ids):
            raise ValueError(
                "mode 'existing' needs both vpc_id (vpc-...) and subnet_ids (subnet-...)"
            )
        if self.mode == "dedicated" and (self.vpc_id or self.subnet_ids):
            raise ValueError("vpc_id and subnet_ids are only allowed with mode 'existing'")
        for subnet_id in self.subnet_ids:
            if not subnet_id.startswith("subnet-"):
                raise ValueError(f"subnet_ids entry {subnet_id!r} is not a subnet ID (subnet-...)")
        return self


class StorageSettings(_Settings):
    """The project bucket."""

    server_access_logs: bool = False
    capture_prefix: str = Field("datacapture", pattern=r"^[a-z0-9][a-z0-9-]*$")


class EncryptionSettings(_Settings):
    """A customer-managed KMS key for bucket, AutoML, capture, endpoint and domain."""

    customer_managed_key: bool = False


class StudioSettings(_Settings):
    """The Studio domain and its default user profile."""

    user_profile_name: str = Field("default-user", pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    canvas_enabled: bool = False
    projects_and_jumpstart_enabled: bool = True
    app_network_access_type: Literal["PublicInternetOnly", "VpcOnly"] = "PublicInternetOnly"
    retain_home_file_system: bool = False


class DatasetSettings(_Settings):
    """Where the training data comes from and how the held-out set is split off.

    A local file is checked here, at synth, by the staging function's own validator.
    ``pre-split`` takes ready-made train and holdout objects and skips the split.
    """

    source: Literal["bank-marketing-sample", "local-file", "s3-uri", "url", "pre-split"] = (
        "bank-marketing-sample"
    )
    path: str | None = None
    uri: str | None = None
    archive_member: str | None = None
    train_uri: str | None = Field(None, pattern=_S3_OBJECT_URI)
    holdout_uri: str | None = Field(None, pattern=_S3_OBJECT_URI)
    target_attribute: str = Field("y", min_length=1)
    positive_class: str = Field("yes", min_length=1)
    holdout_fraction: float = Field(0.05, gt=0, lt=0.5)
    seed: int = Field(42, ge=0)
    min_training_rows: int = Field(500, ge=500)

    @model_validator(mode="after")
    def _source_needs_location(self) -> DatasetSettings:
        if self.source == "local-file" and not self.path:
            raise ValueError("source 'local-file' needs path (a CSV file in this repository)")
        if self.source == "s3-uri" and not (self.uri or "").startswith("s3://"):
            raise ValueError("source 's3-uri' needs uri = 's3://bucket/key.csv'")
        if self.source == "url" and not (self.uri or "").startswith("https://"):
            raise ValueError("source 'url' needs uri = 'https://...'")
        if self.source == "pre-split":
            if not (self.train_uri and self.holdout_uri):
                raise ValueError(
                    "source 'pre-split' needs train_uri and holdout_uri "
                    "('s3://bucket/train.csv' and 's3://bucket/holdout.csv')"
                )
            if self.train_uri == self.holdout_uri:
                raise ValueError("train_uri and holdout_uri must name two different objects")
            if self.archive_member:
                raise ValueError("archive_member does not apply to source 'pre-split'")
        elif self.train_uri or self.holdout_uri:
            raise ValueError("train_uri and holdout_uri are only allowed with source 'pre-split'")
        return self

    @model_validator(mode="after")
    def _local_file_passes_the_staging_checks(self) -> DatasetSettings:
        if self.source == "local-file" and self.path:
            check_local_file(
                self.path,
                archive_member=self.archive_member or "",
                target=self.target_attribute,
                holdout_fraction=self.holdout_fraction,
                min_training_rows=self.min_training_rows,
            )
        return self

    @property
    def source_uri(self) -> str | None:
        """The URI the staging handler reads; None for a local file (a CDK asset)."""
        if self.source == "bank-marketing-sample":
            return BANK_MARKETING_SAMPLE_URL
        if self.source == "pre-split":
            return None
        return self.uri

    @property
    def local_path(self) -> str | None:
        """The local file's absolute path (the TOML's path is relative to the project)."""
        return str(resolve_local_path(self.path)) if self.path else None

    @property
    def source_archive_member(self) -> str:
        if self.source == "bank-marketing-sample":
            return BANK_MARKETING_SAMPLE_MEMBER
        return self.archive_member or ""


class AutoMLSettings(_Settings):
    """The Autopilot job (CreateAutoMLJobV2, tabular) and its time budget."""

    mode: Literal["ENSEMBLING", "HYPERPARAMETER_TUNING", "AUTO"] = "ENSEMBLING"
    problem_type: (
        Literal["BinaryClassification", "MulticlassClassification", "Regression"] | None
    ) = "BinaryClassification"
    objective: str | None = "F1"
    max_candidates: int = Field(10, ge=1, le=750)
    max_runtime_per_training_job_seconds: int = Field(900, ge=60)
    max_job_runtime_seconds: int = Field(1800, ge=600)

    @model_validator(mode="after")
    def _check(self) -> AutoMLSettings:
        if (self.problem_type is None) != (self.objective is None):
            raise ValueError(
                "problem_type and objective must be set together or both left out "
                "(CreateAutoMLJobV2 rejects one without the other)"
            )
        if self.problem_type is not None:
            allowed = OBJECTIVES_BY_PROBLEM_TYPE[self.problem_type]
            if self.objective not in allowed:
                raise ValueError(
                    f"objective {self.objective!r} does not fit problem_type "
                    f"{self.problem_type!r}; allowed: {', '.join(allowed)}"
                )
        budget = self.max_job_runtime_seconds + AUTOML_POLLING_MARGIN_SECONDS
        if budget > CUSTOM_RESOURCE_CAP_SECONDS:
            limit = CUSTOM_RESOURCE_CAP_SECONDS - AUTOML_POLLING_MARGIN_SECONDS
            raise ValueError(
                f"max_job_runtime_seconds={self.max_job_runtime_seconds} plus the "
                f"{AUTOML_POLLING_MARGIN_SECONDS} s polling margin exceeds CloudFormation's "
                f"{CUSTOM_RESOURCE_CAP_SECONDS} s custom-resource limit; set it to at most "
                f"{limit}, or train longer outside the stack (longer jobs need a wait "
                "condition, which this project does not support yet)"
            )
        if self.max_runtime_per_training_job_seconds > self.max_job_runtime_seconds:
            raise ValueError(
                "max_runtime_per_training_job_seconds must not exceed max_job_runtime_seconds"
            )
        return self


class EndpointSettings(_Settings):
    """The real-time endpoint serving the best candidate, with data capture."""

    instance_type: str = Field("ml.m5.large", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    initial_instance_count: int = Field(1, ge=1, le=10)
    capture_sampling_percentage: int = Field(100, ge=0, le=100)
    inference_response_keys: tuple[
        Literal["predicted_label", "probability", "probabilities", "labels"], ...
    ] = Field(("predicted_label", "probability"), min_length=1)


class EnvironmentSettings(_Settings):
    """Everything that differs between dev, stage and prod."""

    name: str
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
    removal_policy: Literal["destroy", "retain"]
    tags: dict[str, str] = Field(default_factory=dict)
    network: NetworkSettings = NetworkSettings()
    storage: StorageSettings = StorageSettings()
    encryption: EncryptionSettings = EncryptionSettings()
    studio: StudioSettings = StudioSettings()
    dataset: DatasetSettings = DatasetSettings()
    automl: AutoMLSettings = AutoMLSettings()
    endpoint: EndpointSettings = EndpointSettings()

    @model_validator(mode="after")
    def _check_tags(self) -> EnvironmentSettings:
        for key in self.tags:
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} uses the reserved 'aws:' prefix")
        return self

    @property
    def stack_name(self) -> str:
        return f"AutopilotStudio-{self.name}"

    @property
    def resource_prefix(self) -> str:
        """Prefix of every SageMaker resource name; IAM policies are scoped to it."""
        return f"apstudio-{self.name}"

    @property
    def retains_data(self) -> bool:
        return self.removal_policy == "retain"


def load_settings(env_name: str, path: Path = ENVIRONMENTS_FILE) -> EnvironmentSettings:
    """Read ``path`` and return the validated settings of ``env_name``."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path.name} is not valid TOML: {error}") from None
    if env_name not in document:
        allowed = ", ".join(document) or "(none defined)"
        raise ConfigError(f"unknown environment {env_name!r} in 'env'; allowed: {allowed}")
    return parse_settings(env_name, document[env_name])


def parse_settings(env_name: str, raw: dict[str, Any]) -> EnvironmentSettings:
    try:
        return EnvironmentSettings.model_validate({**_tuples(raw), "name": env_name})
    except ValidationError as error:
        lines = [_describe(env_name, item) for item in error.errors()]
        raise ConfigError(
            f"invalid settings for environment {env_name!r}:\n  " + "\n  ".join(lines)
        ) from None


def _tuples(value: Any) -> Any:
    """TOML arrays arrive as lists; the frozen models hold tuples."""
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def _describe(env_name: str, item: Any) -> str:
    location = [str(part) for part in item["loc"]]
    key = ".".join([env_name, *location])
    if item["type"] == "extra_forbidden":
        allowed = ", ".join(_fields_at(location[:-1]))
        return f"{key}: unknown key; allowed keys here: {allowed}"
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "missing":
        return f"{key}: required key is missing"
    if location and item["type"] != "value_error":
        return f"{key}: {message} (got {item['input']!r})"
    return f"{key}: {message}"


def _fields_at(location: list[str]) -> list[str]:
    model: type[BaseModel] = EnvironmentSettings
    for part in location:
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return [name for name in model.model_fields if name != "name"]
