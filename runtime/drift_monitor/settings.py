"""The function's configuration, read from its environment once per invocation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drift_monitor.drift import Thresholds

# A run must finish well inside the Lambda timeout (tools/bench_drift.py measures rows/s).
MAX_SAMPLE_ROWS = 1_000_000
MAX_WINDOW_HOURS = 24 * 7


class ConfigError(ValueError):
    """An environment variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    bucket: str
    profile_key: str
    capture_prefix: str
    batch_capture_prefix: str
    ground_truth_prefix: str
    reports_prefix: str
    target: str
    positive_class: str
    response_keys: tuple[str, ...]
    max_rows: int
    window_hours: int
    thresholds: Thresholds
    metric_namespace: str
    endpoint_name: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        keys = tuple(key.strip() for key in _text(env, "RESPONSE_KEYS").split(",") if key.strip())
        if "predicted_label" not in keys or len(set(keys)) != len(keys):
            raise ConfigError(
                f"environment variable RESPONSE_KEYS must list predicted_label once, "
                f"got {env.get('RESPONSE_KEYS')!r}"
            )
        namespace = _text(env, "METRIC_NAMESPACE")
        if namespace.startswith("AWS/"):
            raise ConfigError("environment variable METRIC_NAMESPACE must not start with AWS/")
        return cls(
            bucket=_text(env, "BUCKET"),
            profile_key=_text(env, "PROFILE_KEY"),
            capture_prefix=_prefix(env, "CAPTURE_PREFIX"),
            batch_capture_prefix=_prefix(env, "BATCH_CAPTURE_PREFIX"),
            ground_truth_prefix=_prefix(env, "GROUND_TRUTH_PREFIX"),
            reports_prefix=_prefix(env, "REPORTS_PREFIX"),
            target=_text(env, "TARGET"),
            positive_class=_text(env, "POSITIVE_CLASS"),
            response_keys=keys,
            max_rows=_integer(env, "MAX_ROWS", 1, MAX_SAMPLE_ROWS),
            window_hours=_integer(env, "WINDOW_HOURS", 1, MAX_WINDOW_HOURS),
            thresholds=Thresholds(
                psi=_number(env, "PSI_THRESHOLD", 0.2, upper=None),
                unseen=_number(env, "UNSEEN_THRESHOLD", 0.1),
                completeness_drop=_number(env, "COMPLETENESS_DROP_THRESHOLD", 0.1),
                prediction_drift=_number(env, "PREDICTION_DRIFT_THRESHOLD", 0.1),
            ),
            metric_namespace=namespace,
            endpoint_name=_text(env, "ENDPOINT_NAME"),
        )


def _text(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} must be set")
    return value


def _prefix(env: Mapping[str, str], name: str) -> str:
    value = _text(env, name).strip("/")
    if value.startswith("s3://"):
        raise ConfigError(
            f"environment variable {name} is a key prefix in BUCKET, not an S3 URI: {value!r}"
        )
    return value


def _integer(env: Mapping[str, str], name: str, lower: int, upper: int) -> int:
    text = _text(env, name)
    try:
        value = int(text)
    except ValueError:
        value = lower - 1
    if not lower <= value <= upper:
        raise ConfigError(
            f"environment variable {name} must be a whole number from {lower} to {upper}, "
            f"got {text!r}"
        )
    return value


def _number(env: Mapping[str, str], name: str, default: float, upper: float | None = 1.0) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and (upper is None or value <= upper)):
        bound = f"above 0 and at most {upper:g}" if upper is not None else "above 0"
        raise ConfigError(f"environment variable {name} must be a number {bound}, got {text!r}")
    return value
