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

from cli.aws_config import NO_CREDENTIALS, NO_REGION
from tests.fixtures import ROOT
from tools import preflight

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
    assert captured.err == f"error: {NO_CREDENTIALS}\n"


def test_unknown_aws_profile_is_one_line(no_aws_config, monkeypatch, capsys):
    monkeypatch.setenv("AWS_PROFILE", "nope")
    assert preflight.main(["--env", "dev"]) == 1
    assert capsys.readouterr().err == f"error: {UNKNOWN_PROFILE}\n"


def test_no_region_and_no_credentials_are_two_lines_and_exit_1(no_aws_config, monkeypatch, capsys):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert preflight.main([]) == 1
    assert capsys.readouterr().err == f"error: {NO_CREDENTIALS}\nerror: {NO_REGION}\n"


# --- every problem at once ---------------------------------------------------------------

UNKNOWN_PROFILE = (
    "AWS profile 'nope' is not in your AWS config files: check AWS_PROFILE / --profile, or "
    "create it with `aws configure --profile nope` or `aws configure sso --profile nope`"
)
SSO_EXPIRED = "your AWS SSO session has expired or is missing: run `aws sso login --profile ml`"
KEYS_EXPIRED = (
    "your AWS credentials have expired: refresh them (`aws sso login --profile ml`, or new keys)"
)
WRONG_ACCOUNT = (
    "your credentials are for account 111111111111, but dev.account = '222222222222' in "
    "config/environments.toml: switch profile (AWS_PROFILE) or fix the key"
)


def aws_setup(folder: Path, monkeypatch, credentials: str, region: bool) -> None:
    """One machine's AWS set-up, in config files only (no_aws_config cleared the rest)."""
    if not region:
        monkeypatch.delenv("AWS_REGION")
        monkeypatch.delenv("AWS_DEFAULT_REGION")
    region_line = "region = eu-west-1\n" if region else ""
    if credentials == "keys" or credentials == "expired-keys":
        monkeypatch.setenv("AWS_PROFILE", "ml")
        (folder / "credentials").write_text(
            "[ml]\naws_access_key_id = AKID\naws_secret_access_key = s\n"
        )
        (folder / "config").write_text("[profile ml]\n" + region_line)
    elif credentials == "sso":
        # A profile logged in with `aws sso login` whose token is gone (no token cache).
        monkeypatch.setenv("AWS_PROFILE", "ml")
        monkeypatch.setenv("HOME", str(folder))
        (folder / "config").write_text(
            "[profile ml]\nsso_session = corp\nsso_account_id = 111111111111\n"
            "sso_role_name = Admin\n" + region_line + "[sso-session corp]\n"
            "sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        )
    elif credentials == "unknown-profile":
        monkeypatch.setenv("AWS_PROFILE", "nope")
        if region:
            monkeypatch.setenv("AWS_REGION", "eu-west-1")
    elif region:  # no credentials, a region from the default profile
        (folder / "config").write_text("[default]\n" + region_line)


def recording_sts(credentials: str) -> Stubber:
    """STS answering only for working or expired keys; any other call fails the test."""
    stubber = Stubber(boto3.Session().client("sts", region_name="us-east-1"))
    if credentials == "keys":
        stubber.add_response("get_caller_identity", IDENTITY, {})
    elif credentials == "expired-keys":
        stubber.add_client_error("get_caller_identity", "ExpiredToken", "expired", 403)
    stubber.activate()
    return stubber


@pytest.mark.parametrize(
    ("credentials", "region", "account", "expected"),
    [
        ("none", False, None, [NO_CREDENTIALS, NO_REGION]),
        ("none", True, "222222222222", [NO_CREDENTIALS]),
        ("keys", False, None, [NO_REGION]),
        ("keys", False, "222222222222", [NO_REGION, WRONG_ACCOUNT]),
        ("keys", True, "222222222222", [WRONG_ACCOUNT]),
        ("expired-keys", False, "222222222222", [KEYS_EXPIRED, NO_REGION]),
        ("expired-keys", True, None, [KEYS_EXPIRED]),
        ("sso", False, None, [SSO_EXPIRED, NO_REGION]),
        ("sso", True, "222222222222", [SSO_EXPIRED]),
        ("unknown-profile", False, None, [UNKNOWN_PROFILE, NO_REGION]),
        ("unknown-profile", True, "222222222222", [UNKNOWN_PROFILE]),
    ],
)
def test_every_problem_is_reported_at_once(
    no_aws_config, monkeypatch, capsys, credentials, region, account, expected
):
    # Made first: an unknown AWS_PROFILE would stop any boto3 session.
    sts_stub, main_sts_stub = recording_sts(credentials), recording_sts(credentials)
    aws_setup(no_aws_config, monkeypatch, credentials, region)
    path = environments(no_aws_config, account=account)

    with pytest.raises(preflight.PreflightError) as raised:
        preflight.check("dev", None, None, environments=path, sts=sts_stub.client)
    assert raised.value.problems == expected
    sts_stub.assert_no_pending_responses()

    # The command prints the same lines, each once, and exits 1.
    monkeypatch.setattr(preflight, "check", _with_sts(preflight.check, main_sts_stub.client, path))
    assert preflight.main(["--env", "dev"]) == 1
    assert capsys.readouterr().err.splitlines() == [f"error: {line}" for line in expected]
    main_sts_stub.assert_no_pending_responses()


def _with_sts(check, client, path):
    return lambda env, profile, region: check(env, profile, region, environments=path, sts=client)


def test_working_credentials_without_a_region_ask_sts_in_us_east_1(no_aws_config, monkeypatch):
    aws_setup(no_aws_config, monkeypatch, "keys", region=False)
    asked: list[str] = []

    def answer(request, **_):
        from botocore.awsrequest import AWSResponse

        asked.append(request.url)
        body = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<GetCallerIdentityResult><Arn>{ARN}</Arn><UserId>AROAEXAMPLE:alice</UserId>"
            "<Account>111111111111</Account></GetCallerIdentityResult>"
            "</GetCallerIdentityResponse>"
        ).encode()
        return AWSResponse(request.url, 200, {}, _Raw(body))

    real_session = preflight.aws_config.session

    def session(profile, region):
        boto_session = real_session(profile, region)
        boto_session.events.register("before-send.sts.GetCallerIdentity", answer)
        return boto_session

    monkeypatch.setattr(preflight.aws_config, "session", session)
    with pytest.raises(preflight.PreflightError) as raised:
        preflight.check("dev", None, None, environments=environments(no_aws_config))
    assert raised.value.problems == [NO_REGION]
    assert asked == ["https://sts.us-east-1.amazonaws.com/"]


class _Raw:
    """The raw body botocore reads from a sent request's response."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


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

    def run(*goals: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        # The environment as the test left it when it runs make.
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
    assert ours == [f"error: {NO_CREDENTIALS}"]
    # Only the preflight ran: no sync of the project, no npm, no cdk.
    assert len(calls) == 1 and calls[0].startswith("uv run --frozen --quiet --only-group aws")
    assert done.stdout == ""


def test_make_deploy_on_a_bare_machine_names_credentials_and_region(make_env, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    done, calls = make_env("deploy", "ENV=dev")
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if not MAKE_ERROR.match(line)]
    assert ours == [f"error: {NO_CREDENTIALS}", f"error: {NO_REGION}"]
    assert len(calls) == 1
