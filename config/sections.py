"""One model per section of an environment's table: network, storage, studio, dataset, ..."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config import aws_catalog
from config.errors import SettingError, _one_of
from config.limits import (
    AUTOML_POLL_INTERVAL_SECONDS,
    AUTOML_WAIT_MARGIN_SECONDS,
    BANK_MARKETING_SAMPLE_MEMBER,
    BANK_MARKETING_SAMPLE_URL,
    DEFAULT_INSTANCE_TYPE,
    DEPLOYMENT_PROVISIONING_SECONDS,
    DEPLOYMENT_TIMEOUT_CAP_SECONDS,
    MAX_AUTOML_JOB_RUNTIME_SECONDS,
    OBJECTIVES_BY_PROBLEM_TYPE,
    RESPONSE_KEYS,
    WAIT_CONDITION_CAP_SECONDS,
    ResponseKey,
)
from config.local_dataset import check_local_file
from config.local_dataset import resolve as resolve_local_path

_S3_OBJECT_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*[^/]$"


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

    @model_validator(mode="after")
    def _fits_the_execution_timeout(self) -> DeploymentSettings:
        waiting = self.steps * self.wait_seconds + self.baking_seconds
        budget = DEPLOYMENT_TIMEOUT_CAP_SECONDS - DEPLOYMENT_PROVISIONING_SECONDS
        if waiting > budget:
            raise SettingError(
                "wait_seconds",
                self.wait_seconds,
                f"{self.steps} traffic steps of it and baking_seconds = {self.baking_seconds} "
                f"wait {waiting} s; with an hour to provision, an update would outlast "
                f"SageMaker's {DEPLOYMENT_TIMEOUT_CAP_SECONDS} s deployment limit",
                f"at most {(budget - self.baking_seconds) // self.steps} with these steps and "
                "baking, or fewer steps (a larger linear_step_percent)",
            )
        return self

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
# capture files, which land a few minutes after their hour
# (docs/ARCHITECTURE.md, "Monitoring facts").
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
