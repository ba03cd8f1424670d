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

from config import environment_names
from config.settings import EndpointSettings, MonitorSettings, parse_settings, read_environments
from tests.infra.synth import synthesize_template
from tests.infra.update_safety import judge

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
MONITOR_EDITS = {
    "enabled": lambda on: not on,
    "schedule_expression": _other("cron(0 6 ? * * *)", "cron(0 * ? * * *)"),
    "instance_type": _other("ml.m5.large", "ml.m5.xlarge"),
    "instance_count": lambda n: n + 1,
    "volume_size_gb": lambda n: n + 10,
    "max_runtime_seconds": _other(1200, 1800),
    "publish_cloudwatch_metrics": lambda on: not on,
    "alert_email": _other("ml-team@example.com", None),
}

EDITS = [
    Edit("tags: add a tag", _add_tag),
    Edit("tags: change a value", _change_tag),
    *(_set("endpoint", key, choose) for key, choose in ENDPOINT_EDITS.items()),
    _set("automl", "max_job_runtime_seconds", lambda seconds: seconds + 600),
    _set("automl", "mode", _other("ENSEMBLING", "AUTO")),
    _set("studio", "canvas_enabled", lambda on: not on),
    _set("studio", "projects_and_jumpstart_enabled", lambda on: not on),
    *(_set("monitor", key, choose) for key, choose in MONITOR_EDITS.items()),
    _set("dataset", "seed", lambda seed: seed + 1),
    _set("dataset", "holdout_fraction", _other(0.1, 0.05)),
]


def test_every_endpoint_and_monitor_setting_has_an_edit():
    assert set(ENDPOINT_EDITS) == set(EndpointSettings.model_fields)
    assert set(MONITOR_EDITS) == set(MonitorSettings.model_fields)
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
