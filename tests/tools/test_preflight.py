"""The credentials preflight: one line and exit 1 before anything is installed or synthesized."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from tools import preflight

ROOT = Path(__file__).resolve().parents[2]
ARN = "arn:aws:sts::111111111111:assumed-role/Admin/alice"

# make's own failure line; a nested make (as under `make test`) says make[1].
MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\*")


def sts(response=None, error_code=None):
    client = boto3.Session().client("sts", region_name="us-east-1")
    stubber = Stubber(client)
    if error_code:
        stubber.add_client_error("get_caller_identity", error_code, "expired", 403)
    else:
        stubber.add_response("get_caller_identity", response, {})
    stubber.activate()
    return client


IDENTITY = {"UserId": "AROAEXAMPLE:alice", "Account": "111111111111", "Arn": ARN}


def environments(tmp_path, account=None, region=None):
    path = tmp_path / "environments.toml"
    lines = ["[dev]", 'removal_policy = "destroy"']
    lines += [f'account = "{account}"'] if account else []
    lines += [f'region = "{region}"'] if region else []
    path.write_text("\n".join(lines) + "\n")
    return path


def test_says_who_and_where(tmp_path):
    line = preflight.check(
        "dev", None, None, environments=environments(tmp_path), sts=sts(IDENTITY)
    )
    assert line == f"AWS account 111111111111, region us-east-1, as {ARN}"


def test_the_environments_region_is_used_when_the_cli_has_none(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    path = environments(tmp_path, region="eu-west-1")
    line = preflight.check("dev", None, None, environments=path, sts=sts(IDENTITY))
    assert "region eu-west-1" in line


def test_wrong_account_names_the_key(tmp_path):
    path = environments(tmp_path, account="222222222222")
    with pytest.raises(preflight.EvaluationError) as raised:
        preflight.check("dev", None, None, environments=path, sts=sts(IDENTITY))
    assert str(raised.value) == (
        "your credentials are for account 111111111111, but dev.account = '222222222222' in "
        "config/environments.toml: switch profile (AWS_PROFILE) or fix the key"
    )


def test_expired_credentials_say_to_log_in(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "ml")
    (tmp_path / "credentials").write_text(
        "[ml]\naws_access_key_id = AKID\naws_secret_access_key = s\n"
    )
    (tmp_path / "config").write_text("[profile ml]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with pytest.raises(preflight.EvaluationError) as raised:
        preflight.check(
            "dev",
            None,
            None,
            environments=environments(tmp_path),
            sts=sts(error_code="ExpiredToken"),
        )
    assert str(raised.value) == (
        "your AWS credentials have expired: refresh them "
        "(`aws sso login --profile ml`, or new keys)"
    )


def test_no_credentials_is_one_line_and_exit_1(no_aws_config, capsys):
    assert preflight.main(["--env", "dev"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error: no AWS credentials found: run `aws configure` (access keys), or `aws sso login "
        "--profile NAME` and set AWS_PROFILE=NAME\n"
    )


def test_unknown_aws_profile_is_one_line(no_aws_config, monkeypatch, capsys):
    monkeypatch.setenv("AWS_PROFILE", "nope")
    assert preflight.main(["--env", "dev"]) == 1
    assert capsys.readouterr().err == (
        "error: AWS profile 'nope' is not in your AWS config files: check AWS_PROFILE / "
        "--profile, or create it with `aws configure --profile nope` or "
        "`aws configure sso --profile nope`\n"
    )


def test_no_region_is_one_line_and_exit_1(no_aws_config, monkeypatch, capsys):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert preflight.main([]) == 1
    assert capsys.readouterr().err.startswith("error: no AWS region configured: set AWS_REGION")


# --- through make: nothing heavy runs before the check -----------------------------------


def fake_tool(path: Path, script: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def make_env(no_aws_config, tmp_path):
    """Run make with a recording uv (its `run` uses this Python) and a recording cdk."""
    if not shutil.which("make"):
        pytest.fail("make is required")
    log = tmp_path / "calls.log"
    uv = fake_tool(
        tmp_path / "uv",
        f'echo "uv $*" >> {log}\n'
        'if [ "$1" = run ]; then while [ "$1" != python ]; do shift; done; shift\n'
        f'  exec {sys.executable} "$@"; fi\n',
    )
    cdk = fake_tool(tmp_path / "cdk", f'echo "cdk $*" >> {log}\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*goals: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        done = subprocess.run(
            ["make", "--no-print-directory", *goals, f"UV={uv}", f"CDK={cdk}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        calls = log.read_text().splitlines() if log.exists() else []
        return done, calls

    return run


@pytest.mark.parametrize("goal", ["deploy", "diff", "destroy", "bootstrap", "integ"])
def test_make_stops_at_the_preflight_without_credentials(make_env, goal):
    done, calls = make_env(goal, "ENV=dev")
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if not MAKE_ERROR.match(line)]
    assert ours == [
        "error: no AWS credentials found: run `aws configure` (access keys), or `aws sso login "
        "--profile NAME` and set AWS_PROFILE=NAME"
    ]
    # Only the preflight ran: no sync of the project, no npm, no cdk.
    assert len(calls) == 1 and calls[0].startswith("uv run --frozen --quiet --only-group aws")
    assert done.stdout == ""
