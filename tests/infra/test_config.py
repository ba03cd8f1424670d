"""Bad configuration fails synth with a message naming the key, value and what is allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import parse_settings

ROOT = Path(__file__).resolve().parents[2]


def _error(raw: dict, env_name: str = "dev") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(env_name, {"removal_policy": "destroy", **raw})
    return str(caught.value)


def test_committed_environments_are_valid():
    for name in ("dev", "stage", "prod"):
        settings = load_settings(name)
        assert settings.stack_name == f"AutopilotStudio-{name}"
    assert load_settings("prod").retains_data
    assert not load_settings("dev").retains_data


def test_unknown_environment_lists_the_allowed_ones():
    with pytest.raises(
        ConfigError, match=r"unknown environment 'qa' in 'env'; allowed: dev, stage, prod"
    ):
        load_settings("qa")


def test_unknown_key_lists_the_allowed_keys():
    message = _error({"automl": {"max_candidate": 5}})
    assert "dev.automl.max_candidate: unknown key" in message
    assert "max_candidates" in message


def test_wrong_type_names_key_and_value():
    message = _error({"endpoint": {"capture_sampling_percentage": "50"}})
    assert "dev.endpoint.capture_sampling_percentage" in message
    assert "valid integer" in message and "'50'" in message


def test_value_out_of_range_names_the_bound():
    message = _error({"endpoint": {"capture_sampling_percentage": 150}})
    assert "dev.endpoint.capture_sampling_percentage" in message
    assert "less than or equal to 100" in message and "150" in message


def test_literal_value_lists_the_allowed_values():
    message = _error({"automl": {"mode": "FAST"}})
    assert "dev.automl.mode" in message
    assert "'ENSEMBLING', 'HYPERPARAMETER_TUNING' or 'AUTO'" in message and "'FAST'" in message


def test_removal_policy_is_required():
    with pytest.raises(ConfigError, match=r"dev.removal_policy: required key is missing"):
        parse_settings("dev", {})


def test_time_budget_over_the_custom_resource_cap_names_the_limit_and_the_way_out():
    message = _error({"automl": {"max_job_runtime_seconds": 3300}})
    assert "max_job_runtime_seconds=3300" in message
    assert "3600 s custom-resource limit" in message
    assert "at most 3000" in message


def test_problem_type_and_objective_go_together():
    message = _error({"automl": {"problem_type": None, "objective": "F1"}})
    assert "problem_type and objective must be set together" in message


def test_objective_must_fit_the_problem_type():
    message = _error({"automl": {"problem_type": "Regression", "objective": "F1"}})
    assert "allowed: MSE, RMSE, MAE, R2" in message


def test_existing_network_needs_vpc_and_subnets():
    message = _error({"network": {"mode": "existing", "vpc_id": "vpc-0123456789abcdef0"}})
    assert "mode 'existing' needs both vpc_id" in message


def test_dataset_source_needs_its_location():
    assert "needs path" in _error({"dataset": {"source": "local-file"}})
    assert "needs uri = 's3://" in _error({"dataset": {"source": "s3-uri", "uri": "bucket/x"}})


def test_reserved_tag_prefix_is_rejected():
    assert "reserved 'aws:' prefix" in _error({"tags": {"aws:owner": "me"}})


def test_settings_are_frozen():
    settings = load_settings("dev")
    with pytest.raises(ValueError, match="frozen"):
        settings.automl.max_candidates = 3  # type: ignore[misc]


def test_app_prints_the_error_without_a_traceback():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps({**context, "env": "qa"})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Configuration error: unknown environment 'qa'" in result.stderr
    assert "Traceback" not in result.stderr
