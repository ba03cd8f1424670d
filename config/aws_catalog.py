"""AWS's own lists of regions and endpoint instance types, read from botocore's data files.

The files are read directly (a few milliseconds, once per synth) instead of importing
botocore, which synth does not otherwise need.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.util
import json
import re
from functools import cache
from pathlib import Path

SAGEMAKER_MODEL = Path("sagemaker", "2017-07-24", "service-2.json.gz")
INSTANCE_TYPE_SHAPE = "ProductionVariantInstanceType"
PROCESSING_INSTANCE_TYPE_SHAPE = "ProcessingInstanceType"

# EC2's naming convention marks instance store volumes with a "d" among the attributes
# after the generation digit (m5d, c6gd, g4dn, p4de; AWS EC2 User Guide, "Amazon EC2
# instance type naming conventions"). These accelerated families have NVMe instance store
# without the letter (EC2 instance type specifications, "Instance store volumes").
NVME_FAMILIES_WITHOUT_D = frozenset(
    {
        "dl1",
        "g5",
        "g6",
        "g6e",
        "g7e",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "p6-b300",
        "p6e-gb200",
        "trn1",
        "trn1n",
        "trn2",
    }
)
# difflib's own default: below it, a suggestion is more noise than help.
SUGGESTION_CUTOFF = 0.6
_FAMILY = re.compile(r"(?P<series>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z]*)(-.*)?")


@cache
def _botocore_data() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it ships AWS's region and instance lists")
    return Path(next(iter(spec.submodule_search_locations)), "data")


@cache
def regions() -> tuple[str, ...]:
    """Every region of every partition botocore knows (aws, aws-cn, aws-us-gov, ...)."""
    document = json.loads((_botocore_data() / "partitions.json").read_text())
    return tuple(
        sorted(
            name
            for partition in document["partitions"]
            for name in partition["regions"]
            if not name.endswith("-global")
        )
    )


@cache
def _sagemaker_model_text() -> str:
    with gzip.open(_botocore_data() / SAGEMAKER_MODEL) as handle:
        return handle.read().decode()


@cache
def _sagemaker_enum(shape_name: str) -> tuple[str, ...]:
    text = _sagemaker_model_text()
    # Decode only the shape's own object: half the cost of parsing the 4 MB model.
    found = re.search(rf'"{shape_name}"\s*:\s*\{{', text)
    if found:
        shape, _ = json.JSONDecoder().raw_decode(text, found.end() - 1)
        if isinstance(shape, dict) and shape.get("enum"):
            return tuple(shape["enum"])
    return tuple(json.loads(text)["shapes"][shape_name]["enum"])


def endpoint_instance_types() -> tuple[str, ...]:
    """SageMaker's ``ProductionVariantInstanceType`` enum: every real-time endpoint type."""
    return _sagemaker_enum(INSTANCE_TYPE_SHAPE)


def processing_instance_types() -> tuple[str, ...]:
    """SageMaker's ``ProcessingInstanceType`` enum: baseline and monitoring job instances."""
    return _sagemaker_enum(PROCESSING_INSTANCE_TYPE_SHAPE)


def family(instance_type: str) -> str:
    """``ml.m5d.large`` -> ``m5d``."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 else ""


def has_local_storage(instance_type: str) -> bool:
    """Whether the instance has NVMe instance store, which a KMS key cannot encrypt.

    CreateEndpointConfig's ``KmsKeyId`` documentation: local storage volumes are encrypted
    by a hardware module on the instance, not by the key (older API versions rejected the
    request outright). The list it points to is EC2's "Instance store volumes".
    """
    name = family(instance_type)
    match = _FAMILY.fullmatch(name)
    return name in NVME_FAMILIES_WITHOUT_D or bool(match and "d" in match["attributes"])


def ebs_counterpart(instance_type: str) -> str | None:
    """``ml.m5d.large`` -> ``ml.m5.large``: the same size without instance store, if any."""
    _, name, size = instance_type.split(".")
    match = _FAMILY.fullmatch(name)
    if not match:
        return None
    attributes = match["attributes"].replace("d", "", 1)
    candidate = f"ml.{match['series']}{match['generation']}{attributes}{match[4] or ''}.{size}"
    known = candidate in endpoint_instance_types()
    return candidate if known and not has_local_storage(candidate) else None


def closest(value: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The allowed values nearest to ``value`` (ties kept, at most three), or none."""
    scored = [
        (difflib.SequenceMatcher(None, value, candidate).ratio(), candidate)
        for candidate in allowed
    ]
    best = max((score for score, _ in scored), default=0.0)
    if best < SUGGESTION_CUTOFF:
        return ()
    return tuple(candidate for score, candidate in scored if score == best)[:3]


def did_you_mean(value: str, allowed: tuple[str, ...]) -> str:
    """``did you mean 'x'? `` for the nearest allowed values, or an empty string."""
    matches = closest(value, allowed)
    if not matches:
        return ""
    return "did you mean " + " or ".join(repr(match) for match in matches) + "? "
