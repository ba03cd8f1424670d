"""The infra tests run once per environment; ``synthesized`` (tests/conftest.py) synthesizes
each once per run, shared across pytest-xdist workers (tests/once_per_run.py).

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
