"""The day-2 edits users make, one at a time, never break the stack update.

For every environment in ``config/environments.toml``, each edit below is applied to that
environment's table, the app is synthesized again and its template judged against the
unchanged one (``update_safety.judge``): no replaced resource may keep a fixed name; the
domain, user profile, bucket, KMS key (and so the home EFS) are never replaced; and a
custom resource whose inputs changed never reuses its old names.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from config import (
    AutoscalingSettings,
    DeploymentSettings,
    EndpointSettings,
    MonitorSettings,
    environment_names,
    parse_settings,
    read_environments,
)
from tests.stacks.update_safety import judge
from tests.synth import synthesize_template

ENVIRONMENTS = environment_names()


@dataclass(frozen=True)
class Edit:
    name: str
    # (the environment's TOML table, its parsed settings) -> the edited table
    apply: Callable[[dict[str, Any], Any], dict[str, Any]]


def _set(section: str, key: str, choose: Callable[[Any], Any]) -> Edit:
    def apply(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
        current = getattr(getattr(settings, section), key)
        raw.setdefault(section, {})[key] = choose(current)
        return raw

    return Edit(f"{section}.{key}", apply)


def _other(*choices: Any) -> Callable[[Any], Any]:
    """The first choice that differs from the current value."""
    return lambda current: next(c for c in choices if c != current)


def _add_tag(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
    raw["tags"] = {**raw.get("tags", {}), "cost-center": "ml-42"}
    return raw


def _change_tag(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
    tags = dict(raw.get("tags") or {"team": "ml"})
    first = next(iter(tags))
    tags[first] = f"{tags[first]}-renamed"
    raw["tags"] = tags
    return raw


ENDPOINT_EDITS = {
    "instance_type": _other("ml.m5.xlarge", "ml.m5.large"),
    "initial_instance_count": lambda n: n + 1,
    "capture_sampling_percentage": _other(100, 50),
    "inference_response_keys": lambda keys: (
        [k for k in keys if k != "probabilities"]
        if "probabilities" in keys
        else [*keys, "probabilities"]
    ),
}
# One edit for each setting that shapes resources, and one for each group of settings
# that only tunes update-in-place properties (alarm thresholds, timings, capacities): the
# fields of a group change disjoint properties, so a safe group means each one is safe.
NEXT_STRATEGY = {"all-at-once": "canary", "canary": "linear", "linear": "all-at-once"}


def _strategy(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
    endpoint = raw.setdefault("endpoint", {})
    strategy = NEXT_STRATEGY[settings.endpoint.deployment.strategy]
    endpoint.setdefault("deployment", {})["strategy"] = strategy
    if strategy != "all-at-once":  # a step is at most half the fleet
        endpoint["initial_instance_count"] = max(2, settings.endpoint.initial_instance_count)
        if settings.endpoint.autoscaling.enabled:
            endpoint["autoscaling"]["min_capacity"] = max(
                2, settings.endpoint.autoscaling.min_capacity
            )
    return raw


def _tuning(
    *path: str, deltas: dict[str, float], choices: dict[str, Callable[[Any], Any]] | None = None
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """An edit of the table at ``path``: each of ``deltas`` moved by its amount, each of
    ``choices`` set to what its chooser picks instead of the current value."""

    def apply(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
        current, table = settings, raw
        for key in path:
            current, table = getattr(current, key), table.setdefault(key, {})
        table.update({key: getattr(current, key) + delta for key, delta in deltas.items()})
        for key, choose in (choices or {}).items():
            table[key] = choose(getattr(current, key))
        return raw

    return apply


_deployment_tuning = _tuning(
    "endpoint",
    "deployment",
    deltas={
        "wait_seconds": 60,
        "baking_seconds": 60,
        "errors_5xx_threshold": 1,
        "model_errors_threshold": 1,
        "latency_p99_ms": 500,
    },
    choices={"canary_percent": _other(20, 10), "linear_step_percent": _other(20, 25)},
)


def _autoscaling_toggle(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
    endpoint = raw.setdefault("endpoint", {})
    on = not settings.endpoint.autoscaling.enabled
    scaling = endpoint.setdefault("autoscaling", {})
    scaling["enabled"] = on
    if on:
        count = settings.endpoint.initial_instance_count
        scaling["min_capacity"] = count
        scaling["max_capacity"] = max(count, settings.endpoint.autoscaling.max_capacity)
    return raw


_autoscaling_tuning = _tuning(
    "endpoint",
    "autoscaling",
    deltas={
        "max_capacity": 1,
        "target_invocations_per_instance": 50,
        "scale_in_cooldown_seconds": 60,
        "scale_out_cooldown_seconds": 30,
    },
)


def _autoscaling_minimum(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
    endpoint = raw.setdefault("endpoint", {})
    current = settings.endpoint.autoscaling
    endpoint.setdefault("autoscaling", {})["min_capacity"] = current.min_capacity + 1
    endpoint["autoscaling"]["max_capacity"] = max(current.max_capacity, current.min_capacity + 1)
    endpoint["initial_instance_count"] = max(
        settings.endpoint.initial_instance_count, current.min_capacity + 1
    )
    return raw


MONITOR_EDITS = {
    "enabled": lambda on: not on,
    "schedule_expression": _other("cron(30 6 * * ? *)", "cron(15 * * * ? *)"),
    "alarm_on_no_traffic": lambda on: not on,
    "alert_email": _other("ml-team@example.com", None),
}


_monitor_tuning = _tuning(
    "monitor",
    deltas={
        "max_rows_per_run": 1000,
        "psi_threshold": 0.05,
        "unseen_threshold": 0.05,
        "completeness_drop_threshold": 0.05,
        "prediction_drift_threshold": 0.05,
        "drift_share_alarm": 0.1,
        "f1_tolerance": 0.05,
    },
)


def _monitor_floor(raw: dict[str, Any], settings: Any) -> dict[str, Any]:
    raw.setdefault("monitor", {})["min_f1"] = 0.5 if settings.monitor.min_f1 is None else None
    return raw


# Every field of these settings is edited alone or in a group above.
COVERED = {
    "endpoint": set(ENDPOINT_EDITS) | {"deployment", "autoscaling"},
    "endpoint.deployment": {
        "strategy", "canary_percent", "linear_step_percent", "wait_seconds", "baking_seconds",
        "errors_5xx_threshold", "model_errors_threshold", "latency_p99_ms",
    },
    "endpoint.autoscaling": {
        "enabled", "min_capacity", "max_capacity", "target_invocations_per_instance",
        "scale_in_cooldown_seconds", "scale_out_cooldown_seconds",
    },
    "monitor": set(MONITOR_EDITS) | {
        "max_rows_per_run", "psi_threshold", "unseen_threshold", "completeness_drop_threshold",
        "prediction_drift_threshold", "drift_share_alarm", "f1_tolerance", "min_f1",
    },
}  # fmt: skip

EDITS = [
    Edit("tags: add a tag", _add_tag),
    Edit("tags: change a value", _change_tag),
    *(_set("endpoint", key, choose) for key, choose in ENDPOINT_EDITS.items()),
    Edit("endpoint.deployment.strategy", _strategy),
    Edit("endpoint.deployment: timings and alarm thresholds", _deployment_tuning),
    Edit("endpoint.autoscaling.enabled", _autoscaling_toggle),
    Edit("endpoint.autoscaling.min_capacity", _autoscaling_minimum),
    Edit("endpoint.autoscaling: capacity, target and cooldowns", _autoscaling_tuning),
    _set("automl", "max_job_runtime_seconds", lambda seconds: seconds + 600),
    _set("automl", "mode", _other("ENSEMBLING", "AUTO")),
    _set("studio", "canvas_enabled", lambda on: not on),
    _set("studio", "projects_and_jumpstart_enabled", lambda on: not on),
    *(_set("monitor", key, choose) for key, choose in MONITOR_EDITS.items()),
    Edit("monitor: thresholds and sample size", _monitor_tuning),
    Edit("monitor.min_f1", _monitor_floor),
    _set("dataset", "seed", lambda seed: seed + 1),
    _set("dataset", "holdout_fraction", _other(0.1, 0.05)),
]


def test_every_endpoint_and_monitor_setting_has_an_edit():
    assert COVERED["endpoint"] == set(EndpointSettings.model_fields)
    assert COVERED["endpoint.deployment"] == set(DeploymentSettings.model_fields)
    assert COVERED["endpoint.autoscaling"] == set(AutoscalingSettings.model_fields)
    assert COVERED["monitor"] == set(MonitorSettings.model_fields)
    assert len(EDITS) >= 12


def edited_settings(env: str, edit: Edit):
    raw = copy.deepcopy(read_environments()[env])
    base = parse_settings(env, raw)
    edited = edit.apply(copy.deepcopy(raw), base)
    # None removes a key (TOML has no null).
    for section in edited.values():
        if isinstance(section, dict):
            for key in [k for k, v in section.items() if v is None]:
                del section[key]
    return parse_settings(env, edited)


@pytest.mark.parametrize("edit", EDITS, ids=[edit.name for edit in EDITS])
@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_edit_updates_safely(env_name, edit, synthesized, tmp_path):
    settings = edited_settings(env_name, edit)
    before = synthesized[env_name].template
    after = synthesize_template(settings, tmp_path)
    assert after != before or (edit.name.startswith("monitor.") and not settings.monitor.enabled)
    verdict = judge(before, after, stack_name=settings.stack_name)
    assert verdict.unsafe == ()
