"""Each environment is synthesized once per test session (``synthesized`` in tests/conftest.py).

The environments are the TOML file's tables: a new one is tested without editing tests.
"""

from __future__ import annotations

import pytest

from config import environment_names
from tests.infra.synth import Synthesized

ENVIRONMENTS = environment_names()


@pytest.fixture(params=ENVIRONMENTS)
def env(request, synthesized) -> Synthesized:
    return synthesized[request.param]
