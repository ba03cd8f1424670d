"""Test-wide setup: offline AWS credentials, the pinned Node on PATH, stub helpers."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from config import environment_names
from cr_support import aws
from tests.fixtures import REGION as TEST_REGION
from tests.fixtures import ROOT as PROJECT_ROOT
from tests.speedups import install as install_speedups

install_speedups()

# Every table of config/environments.toml: a new environment is tested without edits.
ENVIRONMENTS = environment_names()

# jsii starts Node on the first aws_cdk import; use the pinned one from package.json.
_node_bin = PROJECT_ROOT / "node_modules" / ".bin"
if _node_bin.is_dir():
    os.environ["PATH"] = f"{_node_bin}{os.pathsep}{os.environ.get('PATH', '')}"


# Each worker starts its own jsii Node process and synthesizes what it needs; beyond four
# workers, start-up and memory cost more than they save.
MAX_WORKERS = 4


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: the CPUs this process may use (a container's limit too), at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch):
    """Fake credentials and a fixed region, so nothing can reach a real account."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_REGION", TEST_REGION)
    aws.client.cache_clear()


@pytest.fixture
def no_aws_config(monkeypatch, tmp_path):
    """No credentials, profile or config files anywhere; returns the empty config folder."""
    for key in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    ):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
def stub(monkeypatch):
    """Return ``make(service) -> Stubber`` whose client the handlers will receive.

    The client uses the project's retry config; Stubber validates every request
    against botocore's service model. Each stubber must be fully consumed.
    """
    stubbers: dict[str, Stubber] = {}

    def client_for(service_name: str):
        if service_name in stubbers:
            return stubbers[service_name].client
        if service_name == "cloudformation":
            return stack_in_progress_client()
        raise AssertionError(f"handler called unstubbed service {service_name!r}")

    def make(service_name: str) -> Stubber:
        client = boto3.client(service_name, region_name=TEST_REGION, config=aws.RETRY_CONFIG)
        stubber = Stubber(client)
        stubber.activate()
        stubbers[service_name] = stubber
        return stubber

    monkeypatch.setattr(aws, "client", client_for)
    yield make
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


@pytest.fixture
def moto_clients(monkeypatch):
    """Route handler clients to moto's in-memory AWS for the test's duration."""
    from moto import mock_aws

    with mock_aws():
        cache: dict[str, object] = {}

        def client_for(service_name: str):
            if service_name == "cloudformation":
                return stack_in_progress_client()
            if service_name not in cache:
                client = boto3.client(service_name, region_name=TEST_REGION)
                if service_name == "sagemaker":
                    client.meta.events.register("before-call", _no_monitoring_schedules)
                cache[service_name] = client
            return cache[service_name]

        monkeypatch.setattr(aws, "client", client_for)
        yield client_for


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    """Every environment synthesized once per run, shared by infra and lifecycle tests."""

    from config import load_settings
    from tests.synth import synthesize_once

    return {
        name: synthesize_once(tmp_path_factory, f"cdk-{name}", lambda _, n=name: load_settings(n))
        for name in environment_names()
    }


def _no_monitoring_schedules(model, **_):
    """moto lacks ListMonitoringSchedules: in moto tests no endpoint has a schedule.

    The request was validated against the service model before this hook runs; the
    lifecycle harness's fake account models schedules themselves.
    """
    from botocore.awsrequest import AWSResponse

    if model.name != "ListMonitoringSchedules":
        return None
    return AWSResponse("https://sagemaker.invalid", 200, {}, None), {
        "MonitoringScheduleSummaries": []
    }


def stack_in_progress_client():
    """CloudFormation for handler tests: every stack is still being created.

    Pollers ask DescribeStacks whether their Create was abandoned; handler tests that do
    not script a rollback get a stack that is still waiting. Requests are validated.
    """
    from botocore.awsrequest import AWSResponse

    client = boto3.client("cloudformation", region_name=TEST_REGION)

    def answer(model, **_):
        if model.name != "DescribeStacks":
            raise AssertionError(f"unexpected CloudFormation call {model.name}")
        stack = {
            "StackName": "stack",
            "CreationTime": "2026-01-01T00:00:00Z",
            "StackStatus": "CREATE_IN_PROGRESS",
        }
        return AWSResponse("https://cloudformation.invalid", 200, {}, None), {"Stacks": [stack]}

    client.meta.events.register("before-call", answer)
    return client


@pytest.fixture(params=ENVIRONMENTS)
def env(request, synthesized):
    """One environment's synthesized template, for every table in environments.toml."""
    return synthesized[request.param]


def four_hour_hpo_settings(_folder: Path | None = None):
    """dev with a 4-hour HPO budget: the wait condition outlasts CloudFormation's hour."""
    from config import load_settings

    settings = load_settings("dev")
    automl = settings.automl.model_copy(
        update={
            "mode": "HYPERPARAMETER_TUNING",
            "max_job_runtime_seconds": 14_400,
            "max_candidates": 100,
        }
    )
    return settings.model_copy(update={"automl": automl})


@pytest.fixture(scope="session")
def four_hour_hpo(tmp_path_factory):
    """The 4-hour HPO variant, synthesized once per run."""
    from tests.synth import synthesize_once

    return synthesize_once(tmp_path_factory, "cdk-four-hour-hpo", four_hour_hpo_settings)
