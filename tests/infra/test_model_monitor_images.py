"""The committed Model Monitor image table: equal to the SDK's, and read without the SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from config import ConfigError
from config.model_monitor_images import IMAGES_FILE, analyzer_image, supported_regions
from tests.conftest import PROJECT_ROOT
from tests.once_per_run import once
from tools import model_monitor_images as generator

# Importing the SDK costs seconds and warns about its own docstrings: build the table once.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")


@pytest.fixture(scope="module")
def sdk_table(tmp_path_factory):
    # Shared by the pytest-xdist workers: one SDK import per run (tests/once_per_run.py).
    return once(tmp_path_factory, "monitor-images", lambda _folder: generator.build_table())


def test_committed_table_matches_the_sdk(sdk_table):
    committed = json.loads(IMAGES_FILE.read_text())
    problem = generator.differences(committed, sdk_table)
    assert problem is None, problem


def test_a_region_the_sdk_adds_fails_with_the_regenerate_command():
    committed = json.loads(IMAGES_FILE.read_text())
    newer = json.loads(IMAGES_FILE.read_text())
    newer["regions"]["xx-new-1"] = {"account": "000000000000", "image_uri": "x"}
    newer["regions"]["us-east-1"]["account"] = "999999999999"
    del newer["regions"]["af-south-1"]

    problem = generator.differences(committed, newer)

    assert problem == (
        "config/model_monitor_images.json is out of date with the sagemaker SDK (regions the "
        "SDK adds: xx-new-1; regions the SDK drops: af-south-1; regions whose image changed: "
        "us-east-1). Run `make monitor-images` and commit the result."
    )


def test_generator_writes_what_is_committed(sdk_table, tmp_path, monkeypatch):
    monkeypatch.setattr(generator, "build_table", lambda: sdk_table)
    out = tmp_path / "images.json"
    assert generator.main(["--out", str(out)]) == 0
    assert out.read_text() == IMAGES_FILE.read_text()


@pytest.mark.parametrize(
    ("region", "registry"),
    [
        ("us-east-1", "156813124566.dkr.ecr.us-east-1.amazonaws.com"),
        ("cn-north-1", "453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_lookup(region, registry):
    uri = f"{registry}/sagemaker-model-monitor-analyzer"
    image = analyzer_image(region)
    assert image.uri == uri
    assert image.account == uri.split(".")[0]
    assert image.repository == "sagemaker-model-monitor-analyzer"
    assert region in supported_regions()


def test_unsupported_region_is_one_clear_line():
    with pytest.raises(ConfigError) as caught:
        analyzer_image("us-gov-west-1", key="prod.region")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("prod.region: 'us-gov-west-1' has no SageMaker Model Monitor")
    assert f"{len(supported_regions())} supported regions" in message
    assert "config/model_monitor_images.json" in message
    assert "make monitor-images" in message


def test_unresolved_region_token_is_named():
    token = "${Token[AWS.Region.8]}"
    with pytest.raises(ConfigError) as caught:
        analyzer_image(token)
    assert str(caught.value).startswith(f"region: {token!r} is not a concrete region")


def test_lookup_does_not_import_the_sdk():
    probe = (
        "import sys\n"
        "from config.model_monitor_images import analyzer_image\n"
        "analyzer_image('eu-west-1')\n"
        "assert not [m for m in sys.modules if m.startswith('sagemaker')], 'SDK imported'\n"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, check=True)
