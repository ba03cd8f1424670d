"""An offline account per scenario, with every handler's AWS clients pointed at it."""

from __future__ import annotations

import functools
import json
import urllib.request

import pytest

from cr_support import aws, clock
from projects_enablement import backoff
from tests.lifecycle.engine import TICK_SECONDS
from tests.lifecycle.fakes import ACCOUNT, Account, FakeInternet


@functools.cache
def _managed_policies() -> str:
    """moto's AWS managed policies, cut down to the ones the Projects roles attach."""
    from moto.iam import aws_managed_policies

    data = json.loads(aws_managed_policies.aws_managed_policies_data)
    wanted = ("ServiceCatalogProducts", "AmazonSageMakerFullAccess")
    return json.dumps({k: v for k, v in data.items() if any(w in k for w in wanted)})


@pytest.fixture
def account(monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setattr("moto.iam.models.aws_managed_policies_data", _managed_policies())
    monkeypatch.setattr(urllib.request, "urlopen", FakeInternet().urlopen)
    with mock_aws():
        world = Account()
        monkeypatch.setattr(aws, "client", world.client)
        monkeypatch.setattr(clock, "now", lambda: world.now * TICK_SECONDS)
        # Handlers that wait in place (the portfolio share, another stack's role release)
        # wait no real time here.
        monkeypatch.setattr(clock, "sleep", lambda seconds: None)
        monkeypatch.setattr(backoff, "sleep", lambda seconds: None)
        yield world
