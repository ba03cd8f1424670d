"""The Model Monitor analyzer image of a region, from the committed table.

``config/model_monitor_images.json`` is generated from the sagemaker SDK by
``make monitor-images``; reading it here keeps the SDK (about 5 s to import) out of synth.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from config.settings import ConfigError

IMAGES_FILE = Path(__file__).with_name("model_monitor_images.json")
_CONCRETE_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass(frozen=True)
class AnalyzerImage:
    region: str
    account: str
    repository: str
    uri: str


@functools.cache
def _table(path: Path = IMAGES_FILE) -> dict:
    return json.loads(path.read_text())


def supported_regions() -> tuple[str, ...]:
    return tuple(_table()["regions"])


def analyzer_image(region: str, *, key: str = "region") -> AnalyzerImage:
    """The analyzer image for ``region``; ``key`` names the setting in the error message."""
    table = _table()
    entry = table["regions"].get(region)
    if entry is None:
        if not _CONCRETE_REGION.match(str(region)):
            raise ConfigError(
                f"{key}: {region!r} is not a concrete region; Model Monitor needs one, because "
                "its analyzer image differs per region. Set it in config/environments.toml."
            )
        raise ConfigError(
            f"{key}: {region!r} has no SageMaker Model Monitor analyzer image; the "
            f"{len(table['regions'])} supported regions are the keys of "
            f"config/{IMAGES_FILE.name} (after a sagemaker SDK upgrade, run make monitor-images)"
        )
    return AnalyzerImage(
        region=region,
        account=entry["account"],
        repository=table["repository"],
        uri=entry["image_uri"],
    )
