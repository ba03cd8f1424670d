"""Each environment is synthesized once per test session (``synthesized`` in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.infra.synth import Synthesized

ENVIRONMENTS = ("dev", "stage", "prod")


@pytest.fixture(params=ENVIRONMENTS)
def env(request, synthesized) -> Synthesized:
    return synthesized[request.param]
