"""Each environment is synthesized once per test run and shared by the infra tests, across
pytest-xdist workers too (tests/once_per_run.py).

The environments are the TOML file's tables: a new one is tested without editing tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import environment_names, load_settings
from tests.infra.synth import Synthesized, synthesize
from tests.once_per_run import once

ENVIRONMENTS = environment_names()


def _synthesized_once(tmp_path_factory, name: str) -> Synthesized:
    def produce(outdir: Path) -> dict:
        done = synthesize(load_settings(name), outdir)
        return {
            "template_path": str(done.template_path),
            "nag_findings": done.nag_findings,
            "termination_protection": done.termination_protection,
        }

    shared = once(tmp_path_factory, f"cdk-{name}", produce)
    template_path = Path(shared["template_path"])
    return Synthesized(
        settings=load_settings(name),
        template=json.loads(template_path.read_text()),
        template_path=template_path,
        nag_findings=[tuple(finding) for finding in shared["nag_findings"]],
        termination_protection=shared["termination_protection"],
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Synthesized]:
    return {name: _synthesized_once(tmp_path_factory, name) for name in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def env(request, synthesized) -> Synthesized:
    return synthesized[request.param]
