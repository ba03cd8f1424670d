"""Snapshot of each environment's template; refresh with `make update-snapshots`."""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from config import environment_names
from tests.synth import masked


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("name", environment_names())
def test_template_matches_snapshot(synthesized, snapshot_json, name):
    assert masked(synthesized[name].template) == snapshot_json
