"""Each environment is synthesized once per test session and shared by the infra tests.

The environments are the TOML file's tables: a new one is tested without editing tests.
"""

from __future__ import annotations

import pytest

from config import environment_names, load_settings
from tests.infra.synth import Synthesized, synthesize

ENVIRONMENTS = environment_names()


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Synthesized]:
    return {
        name: synthesize(load_settings(name), tmp_path_factory.mktemp(f"cdk-{name}"))
        for name in ENVIRONMENTS
    }


@pytest.fixture(params=ENVIRONMENTS)
def env(request, synthesized) -> Synthesized:
    return synthesized[request.param]
