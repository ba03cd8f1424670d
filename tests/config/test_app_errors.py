"""The app itself, as `cdk synth` runs it: exit code 1, one line per problem, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT


def _synth(context: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cdk_context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            **os.environ,
            "CDK_CONTEXT_JSON": json.dumps({**cdk_context, **context}),
            "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        },
        capture_output=True,
        text=True,
        check=False,
    )


def _environments_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "environments.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("context", "toml", "expected"),
    [
        (
            {"env": ""},
            None,
            "Configuration error: env = '' (-c env=...): empty; allowed: dev, stage, prod",
        ),
        (
            {"env": "qa"},
            None,
            "Configuration error: env = 'qa' (-c env=...): no [qa] table in "
            "environments.toml; allowed: dev, stage, prod",
        ),
        (
            {"env": "dev"},
            '[dev]\nremoval_policy = "destroy"\n[dev.endpoint]\ninstance_type = "ml.m5.larg"\n',
            "Configuration error: dev.endpoint.instance_type = 'ml.m5.larg': not a SageMaker "
            "real-time endpoint instance type; did you mean 'ml.m5.large'? allowed: "
            "ml.m5.large, ml.m5.xlarge, ml.m5.2xlarge, ml.m5.4xlarge, ml.m5.12xlarge, "
            "ml.m5.24xlarge",
        ),
        (
            {"env": "prod"},
            '[prod]\nremoval_policy = "destroy"\n',
            "Configuration error: prod.removal_policy = 'destroy': 'prod' is protected, and "
            "'destroy' lets `cdk destroy` delete its data bucket, access-log bucket and KMS "
            "key; allowed: 'retain', or 'destroy' with prod.acknowledge_data_deletion = 'prod'",
        ),
        (
            {"env": "dev"},
            '[dev]\nremoval_policy = "destroy"\n[dev.endpoint.deployment]\nstrategy = "canary"\n',
            "Configuration error: dev.endpoint.deployment.strategy = 'canary': a canary step "
            "is at most half of the variant's instances (TrafficRoutingConfig), so a fleet of "
            "one cannot take it; allowed: 'all-at-once', or endpoint.initial_instance_count "
            "of 2 or more",
        ),
    ],
    ids=["empty-env", "unknown-env", "instance-type-typo", "prod-destroy", "canary-of-one"],
)
def test_bad_configuration_exits_1_with_one_line_per_problem(tmp_path, context, toml, expected):
    if toml is not None:
        context = {**context, "environments_file": _environments_file(tmp_path, toml)}
    result = _synth(context, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(expected)
    assert all(line.startswith("Configuration error: ") for line in lines)
    assert not (tmp_path / "cdk.out").exists() or not any((tmp_path / "cdk.out").iterdir())
