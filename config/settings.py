"""Typed, frozen settings for one environment, validated while the app synthesizes.

Every error names the key, the bad value and what is allowed, and is raised as
``ConfigError`` so ``app.py`` can print it without a traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from config import aws_catalog
from config.local_dataset import check_local_file
from config.local_dataset import resolve as resolve_local_path

ENVIRONMENTS_FILE = Path(__file__).with_name("environments.toml")
# The environment name ends up in "apstudio-<name>", the AutoML job-name prefix (at most
# 20 characters), and in bucket names: lowercase, and at most 11 characters.
ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MAX_ENVIRONMENT_NAME_LENGTH = 11
# An environment with this name is protected even without ``protected = true``.
ALWAYS_PROTECTED = "prod"

# CloudFormation fails any custom resource after one hour (ServiceTimeout max 3600 s).
CUSTOM_RESOURCE_CAP_SECONDS = 3600
# The AutoML job is waited for by an AWS::CloudFormation::WaitCondition, whose Timeout
# is at most 43,200 s (12 h; CloudFormation docs, "AWS::CloudFormation::WaitCondition").
WAIT_CONDITION_CAP_SECONDS = 43_200
# Between the job's budget and the wait's Timeout: job start-up, Autopilot's graceful
# stop at the runtime limit (it finishes the running trials and writes its reports)
# and the one-minute poll.
AUTOML_WAIT_MARGIN_SECONDS = 1_800
MAX_AUTOML_JOB_RUNTIME_SECONDS = WAIT_CONDITION_CAP_SECONDS - AUTOML_WAIT_MARGIN_SECONDS
# The state machine polls the job once a minute; a budget between two polls buys nothing.
AUTOML_POLL_INTERVAL_SECONDS = 60

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
# Autopilot's inference response keys (AWS docs, "Configure inference output in generated
# containers"). Regression models return only their prediction, as predicted_label.
ResponseKey = Literal["predicted_label", "probability", "probabilities", "labels"]
RESPONSE_KEYS: tuple[str, ...] = get_args(ResponseKey)
REGRESSION_RESPONSE_KEYS = ("predicted_label",)
DEFAULT_INSTANCE_TYPE = "ml.m5.large"


class ConfigError(ValueError):
    """The environment configuration is invalid; each line of the message is one problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SettingError(ValueError):
    """One bad setting: ``key = value: problem; allowed: ...``.

    ``key`` is relative to the model that raises it (the field's own name for a field
    validator); ``_describe`` prefixes the environment and the section.
    """

    def __init__(self, key: str, value: Any, problem: str, allowed: str, hint: str = "") -> None:
        self.key = key
        self.value = value
        self.detail = f"{problem}; {hint}allowed: {allowed}"
        super().__init__(f"{key} = {show(value)}: {self.detail}")


def show(value: Any) -> str:
    """A value as the user wrote it (TOML arrays arrive here as tuples)."""
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def _one_of(values: Any) -> str:
    return ", ".join(show(value) for value in values)


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
        if self.mode == "existing" and not self.vpc_id:
            raise SettingError(
                "vpc_id", self.vpc_id, "network.mode 'existing' needs the VPC", "'vpc-...'"
            )
        if self.mode == "existing" and not self.subnet_ids:
            raise SettingError(
                "subnet_ids",
                self.subnet_ids,
                "network.mode 'existing' needs the subnets for Studio",
                "['subnet-...', 'subnet-...']",
            )
        if self.mode == "dedicated" and (self.vpc_id or self.subnet_ids):
            key, value = ("vpc_id", self.vpc_id) if self.vpc_id else ("subnet_ids", self.subnet_ids)
            raise SettingError(
                key, value, "only used with network.mode 'existing'", "unset with 'dedicated'"
            )
        for subnet_id in self.subnet_ids:
            if not subnet_id.startswith("subnet-"):
                raise SettingError(
                    "subnet_ids",
                    self.subnet_ids,
                    f"{subnet_id!r} is not a subnet ID",
                    "'subnet-...' IDs",
                )
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
    # false: the domain gets no home EFS (HomeEfsFileSystemCreation: Disabled), so there is
    # nothing to clean up; new Studio spaces keep their files on their own EBS volumes only.
    home_efs_file_system: bool = True


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
            try:
                check_local_file(
                    self.path,
                    archive_member=self.archive_member or "",
                    target=self.target_attribute,
                    holdout_fraction=self.holdout_fraction,
                    min_training_rows=self.min_training_rows,
                )
            except ValueError as problem:
                raise SettingError(
                    "path",
                    self.path,
                    str(problem),
                    "a CSV or .zip file, relative to the project root, that passes the "
                    "staging checks",
                ) from None
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
    # Unset: Autopilot's own default. Ensembling ignores it (it runs 10 trials; AWS docs,
    # "Training modes and algorithm support"), so it is refused there.
    max_candidates: int | None = Field(None, ge=1, le=750)
    max_runtime_per_training_job_seconds: int = Field(900, ge=60)
    max_job_runtime_seconds: int = Field(1800, ge=600)

    @model_validator(mode="after")
    def _check(self) -> AutoMLSettings:
        if (self.problem_type is None) != (self.objective is None):
            key, value = (
                ("objective", self.objective)
                if self.problem_type is None
                else ("problem_type", self.problem_type)
            )
            raise SettingError(
                key,
                value,
                "problem_type and objective must be set together or both left out "
                "(CreateAutoMLJobV2 rejects one without the other)",
                "both set, or both unset for Autopilot to infer them",
            )
        if self.problem_type is not None:
            allowed = OBJECTIVES_BY_PROBLEM_TYPE[self.problem_type]
            if self.objective not in allowed:
                raise SettingError(
                    "objective",
                    self.objective,
                    f"does not fit problem_type {self.problem_type!r}",
                    ", ".join(allowed),
                )
        if self.max_candidates is not None and self.mode == "ENSEMBLING":
            raise SettingError(
                "max_candidates",
                self.max_candidates,
                "Autopilot ignores it in mode 'ENSEMBLING' (it runs its own 10 trials)",
                "unset with 'ENSEMBLING', or mode 'HYPERPARAMETER_TUNING' or 'AUTO'",
            )
        for key in ("max_runtime_per_training_job_seconds", "max_job_runtime_seconds"):
            value = getattr(self, key)
            if value % AUTOML_POLL_INTERVAL_SECONDS:
                below = value - value % AUTOML_POLL_INTERVAL_SECONDS
                raise SettingError(
                    key,
                    value,
                    f"not a whole number of the {AUTOML_POLL_INTERVAL_SECONDS} s poll interval",
                    f"a multiple of {AUTOML_POLL_INTERVAL_SECONDS}, "
                    f"e.g. {below} or {below + AUTOML_POLL_INTERVAL_SECONDS}",
                )
        if self.max_job_runtime_seconds > MAX_AUTOML_JOB_RUNTIME_SECONDS:
            raise SettingError(
                "max_job_runtime_seconds",
                self.max_job_runtime_seconds,
                f"with the {AUTOML_WAIT_MARGIN_SECONDS} s wait margin it exceeds "
                f"CloudFormation's {WAIT_CONDITION_CAP_SECONDS} s (12 h) wait-condition limit",
                f"600 to {MAX_AUTOML_JOB_RUNTIME_SECONDS}",
            )
        if self.max_runtime_per_training_job_seconds > self.max_job_runtime_seconds:
            raise SettingError(
                "max_runtime_per_training_job_seconds",
                self.max_runtime_per_training_job_seconds,
                "a training job cannot outlast the whole AutoML job",
                f"at most max_job_runtime_seconds ({self.max_job_runtime_seconds})",
            )
        return self


class DeploymentSettings(_Settings):
    """How a new model reaches the endpoint: SageMaker's deployment guardrails.

    Blue/green always; ``canary`` or ``linear`` shift traffic in steps, and any of the
    rollback alarms (5XX errors, model errors, p99 model latency) rolls the update back
    (AWS docs, "Deployment guardrails"; API TrafficRoutingConfig, AutoRollbackConfig).
    """

    strategy: Literal["all-at-once", "canary", "linear"] = "all-at-once"
    # Share of the new fleet per step (CAPACITY_PERCENT): canary at most 50, linear 10-50.
    canary_percent: int = Field(10, ge=1, le=50)
    linear_step_percent: int = Field(25, ge=10, le=50)
    # Between traffic steps, and the final baking before the old fleet goes (0-3600 s).
    wait_seconds: int = Field(600, ge=0, le=3600)
    baking_seconds: int = Field(600, ge=0, le=3600)
    # Rollback alarms, each over one-minute periods.
    errors_5xx_threshold: int = Field(1, ge=1)
    model_errors_threshold: int = Field(1, ge=1)
    latency_p99_ms: int = Field(2000, ge=1, le=60_000)

    @property
    def steps(self) -> int:
        """Traffic-shifting waits before all traffic is on the new fleet."""
        if self.strategy == "canary":
            return 1
        if self.strategy == "linear":
            return -(-100 // self.linear_step_percent) - 1
        return 0

    @property
    def max_execution_seconds(self) -> int:
        """MaximumExecutionTimeoutInSeconds: the steps and baking, plus an hour to provision
        and drain (600-28800 s)."""
        return min(max(self.steps * self.wait_seconds + self.baking_seconds + 3600, 600), 28800)


class AutoscalingSettings(_Settings):
    """Target tracking on invocations per instance (Application Auto Scaling)."""

    enabled: bool = False
    min_capacity: int = Field(1, ge=1, le=20)
    max_capacity: int = Field(3, ge=1, le=20)
    # SageMakerVariantInvocationsPerInstance: requests per instance per minute.
    target_invocations_per_instance: int = Field(100, ge=1, le=100_000)
    scale_in_cooldown_seconds: int = Field(300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(60, ge=0, le=3600)

    @model_validator(mode="after")
    def _range(self) -> AutoscalingSettings:
        if self.min_capacity > self.max_capacity:
            raise SettingError(
                "min_capacity",
                self.min_capacity,
                f"above max_capacity ({self.max_capacity})",
                f"1 to {self.max_capacity}",
            )
        return self


class EndpointSettings(_Settings):
    """The real-time endpoint serving the best candidate, with data capture."""

    instance_type: str = DEFAULT_INSTANCE_TYPE
    initial_instance_count: int = Field(1, ge=1, le=10)
    capture_sampling_percentage: int = Field(100, ge=0, le=100)
    inference_response_keys: tuple[ResponseKey, ...] = Field(
        ("predicted_label", "probability"), min_length=1
    )
    deployment: DeploymentSettings = DeploymentSettings()
    autoscaling: AutoscalingSettings = AutoscalingSettings()

    @field_validator("instance_type")
    @classmethod
    def _known_instance_type(cls, value: str) -> str:
        known = aws_catalog.endpoint_instance_types()
        if value in known:
            return value
        family = f"ml.{aws_catalog.family(value)}."
        same_family = [name for name in known if name.startswith(family)]
        allowed = (
            ", ".join(same_family)
            if same_family
            else "a SageMaker ProductionVariantInstanceType; families: "
            + ", ".join(sorted({name.rsplit(".", 1)[0] for name in known}))
        )
        raise SettingError(
            "instance_type",
            value,
            "not a SageMaker real-time endpoint instance type",
            allowed,
            hint=aws_catalog.did_you_mean(value, known),
        )

    @field_validator("inference_response_keys", mode="before")
    @classmethod
    def _known_keys(cls, value: Any) -> Any:
        key = "inference_response_keys"
        allowed = f"a list of {_one_of(RESPONSE_KEYS)}, e.g. ['predicted_label', 'probability']"
        if isinstance(value, str):
            raise SettingError(key, value, "must be a list, not one string", allowed)
        if not isinstance(value, tuple):
            return value  # pydantic names the wrong type
        if not value:
            raise SettingError(key, value, "empty", allowed)
        for item in value:
            if item not in RESPONSE_KEYS:
                hint = aws_catalog.did_you_mean(str(item), RESPONSE_KEYS)
                raise SettingError(key, value, f"{item!r} is not a key", allowed, hint=hint)
            if value.count(item) > 1:
                raise SettingError(key, value, f"lists {item!r} twice", allowed)
        return value


# The analysis runs on an EventBridge schedule; each run reads the whole hours since the
# previous one, so the interval must divide a day. Minutes past the hour leave time for
# capture files, which land a few minutes after their hour (DESIGN: "Capture records").
_HOURLY_CRON = re.compile(r"^cron\((?P<minute>\d{1,2}) \* \* \* \? \*\)$")
_DAILY_CRON = re.compile(r"^cron\((?P<minute>\d{1,2}) (?P<hour>\d{1,2}) \* \* \? \*\)$")
_EVERY_N_CRON = re.compile(
    r"^cron\((?P<minute>\d{1,2}) (?P<start>\*|\d{1,2})/(?P<every>\d{1,2}) \* \* \? \*\)$"
)
_RATE = re.compile(r"^rate\((?P<count>\d+) (?P<unit>hours?|days?)\)$")
HOURLY_SCHEDULE = "cron(15 * * * ? *)"
DAILY_SCHEDULE = "cron(15 0 * * ? *)"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def window_hours(expression: str) -> int | None:
    """Hours between two runs of an EventBridge schedule expression; None if not supported."""
    hourly, daily = _HOURLY_CRON.match(expression), _DAILY_CRON.match(expression)
    every, rate = _EVERY_N_CRON.match(expression), _RATE.match(expression)
    minute = next((m["minute"] for m in (hourly, daily, every) if m), "0")
    if int(minute) > 59:
        return None
    if hourly:
        return 1
    if daily:
        return 24 if int(daily["hour"]) <= 23 else None
    if every:
        start, hours = every["start"], int(every["every"])
        start_ok = start == "*" or int(start) < hours
        return hours if start_ok and 1 <= hours <= 24 and 24 % hours == 0 else None
    if rate:
        count = int(rate["count"])
        hours = count * (24 if rate["unit"].startswith("day") else 1)
        singular = rate["unit"] in ("hour", "day")
        return hours if (count == 1) == singular and hours in (1, 2, 3, 4, 6, 8, 12, 24) else None
    return None


class MonitorSettings(_Settings):
    """Drift and model-quality analysis of the captured traffic, on a schedule.

    An EventBridge rule runs a Lambda over the capture files of the hours since the last
    run; it publishes a few CloudWatch metrics, which alarms watch and report to SNS.
    """

    enabled: bool = False
    schedule_expression: str = HOURLY_SCHEDULE
    # Rows analysed per run at most, sampled uniformly: bounds the run's memory and time.
    max_rows_per_run: int = Field(20_000, ge=500, le=200_000)
    # A feature drifts when its PSI, its share of unseen categories or its completeness
    # drop crosses these (PSI: 0.1 moderate, 0.2 significant).
    psi_threshold: float = Field(0.2, gt=0, le=10)
    unseen_threshold: float = Field(0.1, gt=0, le=1)
    completeness_drop_threshold: float = Field(0.1, gt=0, le=1)
    # The predicted positive rate may move this far from the training positive rate.
    prediction_drift_threshold: float = Field(0.1, gt=0, le=1)
    # Alarm when more than this share of the features drifted in a run.
    drift_share_alarm: float = Field(0.3, gt=0, le=1)
    # Alarm when F1 (where ground truth was uploaded) falls below the best candidate's
    # F1 minus this; or below min_f1, which the F1 alarm needs when the objective is not F1.
    f1_tolerance: float = Field(0.1, ge=0, le=1)
    min_f1: float | None = Field(None, ge=0, le=1)
    # Alarm when a run analysed no rows (or did not run): for endpoints with steady traffic.
    alarm_on_no_traffic: bool = False
    alert_email: str | None = None

    @field_validator("schedule_expression")
    @classmethod
    def _known_schedule(cls, value: str) -> str:
        if window_hours(value) is not None:
            return value
        raise SettingError(
            "schedule_expression",
            value,
            "not an EventBridge schedule whose runs are evenly spaced over a day",
            f"{HOURLY_SCHEDULE!r} (hourly at minute 15), 'cron(M H * * ? *)' (daily, e.g. "
            f"{DAILY_SCHEDULE!r}), 'cron(M */N * * ? *)' (every N hours, N dividing 24) or "
            "'rate(N hours)'",
        )

    @field_validator("alert_email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is None or _EMAIL.match(value):
            return value
        raise SettingError("alert_email", value, "not an e-mail address", "name@example.com")

    @property
    def window_hours(self) -> int:
        """Hours of capture each run reads: the time since the previous run."""
        return window_hours(self.schedule_expression) or 1

    @property
    def runs_per_day(self) -> int:
        return 24 // self.window_hours


class EnvironmentSettings(_Settings):
    """Everything that differs between dev, stage and prod."""

    name: str
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: str | None = None
    removal_policy: Literal["destroy", "retain"]
    # Termination protection, and no "destroy" without the acknowledgement below.
    # An environment named prod is always protected.
    protected: bool | None = None
    # Must name the environment, so that copying a table does not copy the consent.
    acknowledge_data_deletion: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    network: NetworkSettings = NetworkSettings()
    storage: StorageSettings = StorageSettings()
    encryption: EncryptionSettings = EncryptionSettings()
    studio: StudioSettings = StudioSettings()
    dataset: DatasetSettings = DatasetSettings()
    automl: AutoMLSettings = AutoMLSettings()
    endpoint: EndpointSettings = EndpointSettings()
    monitor: MonitorSettings = MonitorSettings()

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        known = aws_catalog.regions()
        if value is None or value in known:
            return value
        raise SettingError(
            "region",
            value,
            "not a region in botocore's partition data",
            ", ".join(known),
            hint=aws_catalog.did_you_mean(value, known),
        )

    @model_validator(mode="after")
    def _check_tags(self) -> EnvironmentSettings:
        for key in self.tags:
            if key.lower().startswith("aws:"):
                raise SettingError(
                    f"tags.{key}",
                    self.tags[key],
                    "the 'aws:' prefix is reserved for AWS",
                    "any other key",
                )
        return self

    @model_validator(mode="after")
    def _check_protection(self) -> EnvironmentSettings:
        if self.name == ALWAYS_PROTECTED and self.protected is False:
            raise SettingError(
                "protected",
                False,
                f"an environment named {ALWAYS_PROTECTED!r} is always protected",
                "true, or leave it out",
            )
        acknowledged = self.acknowledge_data_deletion
        needs_acknowledgement = self.is_protected and self.removal_policy == "destroy"
        if needs_acknowledgement and acknowledged != self.name:
            raise SettingError(
                "removal_policy",
                self.removal_policy,
                f"{self.name!r} is protected, and 'destroy' lets `cdk destroy` delete its data "
                "bucket, access-log bucket and KMS key",
                f"'retain', or 'destroy' with {self.name}.acknowledge_data_deletion = "
                f"{self.name!r}",
            )
        if acknowledged is not None and not needs_acknowledgement:
            raise SettingError(
                "acknowledge_data_deletion",
                acknowledged,
                "only a protected environment with removal_policy = 'destroy' needs it, and a "
                "stale acknowledgement would let a later switch to 'destroy' pass unnoticed",
                "leave it out here",
            )
        return self

    @model_validator(mode="after")
    def _check_combinations(self) -> EnvironmentSettings:
        for key in ("target_attribute", "positive_class"):
            value = getattr(self.dataset, key)
            if not value.strip():
                raise SettingError(
                    f"dataset.{key}",
                    value,
                    "blank",
                    "a column name from the CSV header (target_attribute) or one of the "
                    "target's values (positive_class), e.g. 'y' and 'yes'",
                )
        if self.studio.app_network_access_type == "VpcOnly" and self.network.mode == "dedicated":
            raise SettingError(
                "studio.app_network_access_type",
                "VpcOnly",
                "the dedicated VPC has no NAT gateway and no VPC endpoints, so Studio apps "
                "could reach nothing",
                "'PublicInternetOnly' with network.mode = 'dedicated'; 'VpcOnly' with "
                "network.mode = 'existing' and subnets that reach the SageMaker API and "
                "runtime, STS, S3 and CloudWatch Logs (NAT or VPC endpoints)",
            )
        instance_type = self.endpoint.instance_type
        if self.encryption.customer_managed_key and aws_catalog.has_local_storage(instance_type):
            raise SettingError(
                "endpoint.instance_type",
                instance_type,
                "its NVMe instance storage is encrypted by the instance's hardware, never by "
                "the customer-managed key (CreateEndpointConfig refuses or ignores KmsKeyId "
                "there)",
                "an EBS-backed type with encryption.customer_managed_key = true, e.g. "
                + repr(aws_catalog.ebs_counterpart(instance_type) or DEFAULT_INSTANCE_TYPE)
                + ", or customer_managed_key = false",
            )
        if self.monitor.enabled and self.dataset.source == "pre-split":
            raise SettingError(
                "monitor.enabled",
                True,
                "the monitor's baseline profile of the training rows is written while "
                "staging splits a dataset; pre-split files are copied as they are",
                "false with dataset.source = 'pre-split', or another dataset.source",
            )
        self._check_response_keys()
        self._check_monitor()
        self._check_serving()
        return self

    def _check_monitor(self) -> None:
        monitor = self.monitor
        if not monitor.enabled:
            return
        keys = self.endpoint.inference_response_keys
        if "predicted_label" not in keys:
            raise SettingError(
                "endpoint.inference_response_keys",
                keys,
                "the monitor reads each response's predicted_label (prediction drift, model "
                "quality)",
                "a list that includes 'predicted_label', with monitor.enabled = true",
            )
        classifies = self.automl.problem_type in (
            "BinaryClassification",
            "MulticlassClassification",
        )
        if classifies and self.automl.objective != "F1" and monitor.min_f1 is None:
            raise SettingError(
                "monitor.min_f1",
                None,
                f"the F1 alarm compares live F1 with the training F1, but automl.objective is "
                f"{self.automl.objective!r}",
                "a number between 0 and 1 (the lowest acceptable F1), or automl.objective = 'F1'",
            )

    def _check_serving(self) -> None:
        endpoint = self.endpoint
        deployment, scaling = endpoint.deployment, endpoint.autoscaling
        count = endpoint.initial_instance_count
        if deployment.strategy != "all-at-once" and count < 2:
            raise SettingError(
                "endpoint.deployment.strategy",
                deployment.strategy,
                f"a {deployment.strategy} step is at most half of the variant's instances "
                "(TrafficRoutingConfig), so a fleet of one cannot take it",
                "'all-at-once', or endpoint.initial_instance_count of 2 or more",
            )
        if scaling.enabled and not scaling.min_capacity <= count <= scaling.max_capacity:
            raise SettingError(
                "endpoint.initial_instance_count",
                count,
                "outside the autoscaling range the endpoint starts in",
                f"{scaling.min_capacity} to {scaling.max_capacity} "
                "(endpoint.autoscaling.min_capacity to max_capacity)",
            )
        if scaling.enabled and deployment.strategy != "all-at-once" and scaling.min_capacity < 2:
            raise SettingError(
                "endpoint.autoscaling.min_capacity",
                scaling.min_capacity,
                f"an update retains the scaled instance count, and a {deployment.strategy} "
                "step needs a fleet of at least 2",
                "2 or more with a canary or linear endpoint.deployment.strategy",
            )

    def _check_response_keys(self) -> None:
        keys = self.endpoint.inference_response_keys
        if keys == REGRESSION_RESPONSE_KEYS:
            return
        problem_type = self.automl.problem_type
        if problem_type == "Regression":
            problem = (
                "a Regression model returns only its prediction (one container in "
                "ensembling, two in HPO: feature transform and regressor)"
            )
        elif problem_type is None:
            problem = (
                "automl.problem_type is unset, so Autopilot may infer Regression, whose "
                "models return only predicted_label"
            )
        else:
            return
        raise SettingError(
            "endpoint.inference_response_keys",
            keys,
            problem,
            f"{show(REGRESSION_RESPONSE_KEYS)}"
            + ("" if problem_type else ", or set automl.problem_type and objective"),
        )

    @property
    def is_protected(self) -> bool:
        """Termination protection on, and no accidental switch to 'destroy'."""
        return bool(self.protected) or self.name == ALWAYS_PROTECTED

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


def read_environments(path: Path = ENVIRONMENTS_FILE) -> dict[str, dict[str, Any]]:
    """The TOML file's environment tables, by name, in file order."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(
            f"environments_file = {str(path)!r}: {error.strerror or error}; allowed: a "
            "readable TOML file, by default config/environments.toml"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path.name}: not valid TOML: {error}") from None
    for name, table in document.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"{name} = {show(table)}: top-level keys of {path.name} are environments; "
                f"allowed: a table, e.g. [{name}] with removal_policy = 'destroy'"
            )
        if len(name) > MAX_ENVIRONMENT_NAME_LENGTH or not ENVIRONMENT_NAME.fullmatch(name):
            raise ConfigError(
                f"[{name}] in {path.name}: not a usable environment name (it goes into stack, "
                f"bucket and job names); allowed: 1-{MAX_ENVIRONMENT_NAME_LENGTH} lowercase "
                "letters, digits and single hyphens, starting with a letter, e.g. [qa]"
            )
    return document


def environment_names(path: Path = ENVIRONMENTS_FILE) -> tuple[str, ...]:
    """Every environment the TOML file defines; tests and tools iterate over these."""
    return tuple(read_environments(path))


def load_settings(env_name: str, path: Path = ENVIRONMENTS_FILE) -> EnvironmentSettings:
    """Read ``path`` and return the validated settings of ``env_name``."""
    environments = read_environments(path)
    allowed = ", ".join(environments) or f"none (add a table such as [dev] to {path.name})"
    if not env_name.strip():
        raise ConfigError(f"env = {env_name!r} (-c env=...): empty; allowed: {allowed}")
    if env_name not in environments:
        hint = aws_catalog.did_you_mean(env_name, tuple(environments))
        raise ConfigError(
            f"env = {env_name!r} (-c env=...): no [{env_name}] table in {path.name}; "
            f"{hint}allowed: {allowed}"
        )
    return parse_settings(env_name, environments[env_name])


def parse_settings(env_name: str, raw: dict[str, Any]) -> EnvironmentSettings:
    """Validate one environment's table; every problem becomes one line of the error."""
    if "name" in raw:
        raise ConfigError(
            f"{env_name}.name = {show(raw['name'])}: unknown key (the table's name is the "
            f"environment's name); allowed keys here: {', '.join(_fields_at([]))}"
        )
    try:
        return EnvironmentSettings.model_validate({**_tuples(raw), "name": env_name})
    except ValidationError as error:
        raise ConfigError(*(_describe(env_name, item) for item in error.errors())) from None


def _tuples(value: Any) -> Any:
    """TOML arrays arrive as lists; the frozen models hold tuples."""
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def _describe(env_name: str, item: Any) -> str:
    """One line: ``<env>.<section>.<key> = <value>: <problem>; allowed: <what>``."""
    location = [str(part) for part in item["loc"]]
    key = ".".join([env_name, *location])
    error = (item.get("ctx") or {}).get("error")
    if isinstance(error, SettingError):
        if not location or location[-1] != error.key:
            key = f"{key}.{error.key}"
        return f"{key} = {show(error.value)}: {error.detail}"
    if item["type"] == "extra_forbidden":
        fields = _fields_at(location[:-1])
        hint = aws_catalog.did_you_mean(location[-1], tuple(fields))
        return (
            f"{key} = {show(item['input'])}: unknown key; {hint}"
            f"allowed keys here: {', '.join(fields)}"
        )
    if item["type"] == "missing":
        return f"{key}: required key is missing; allowed: {_allowed_values(location)}"
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "value_error":
        return f"{key}: {message}"
    return f"{key} = {show(item['input'])}: {message[:1].lower()}{message[1:]}"


def _allowed_values(location: list[str]) -> str:
    field = _model_at(location[:-1]).model_fields.get(location[-1]) if location else None
    values = get_args(field.annotation) if field else ()
    return " or ".join(show(value) for value in values) or "see the configuration reference"


def _model_at(location: list[str]) -> type[BaseModel]:
    model: type[BaseModel] = EnvironmentSettings
    for part in location:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return model


def _fields_at(location: list[str]) -> list[str]:
    return [name for name in _model_at(location).model_fields if name != "name"]
