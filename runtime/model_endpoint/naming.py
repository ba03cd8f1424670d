"""Deterministic names for the models and endpoint configs the resource creates.

``<prefix>-m-<scope>-<digest>`` and ``<prefix>-c-<scope>-<digest>``: ``scope`` is a short
hash of the endpoint name, so the models and configs of two endpoints sharing a prefix
(an EndpointName replacement) never match each other's cleanup filter; ``digest`` hashes
the inputs, so old names are computable from OldResourceProperties.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

MAX_NAME_LENGTH = 63
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
MODEL = "m"
CONFIG = "c"
SCOPE_LENGTH = 6
DIGEST_LENGTH = 10
# "-m-" + scope + "-" + digest
SUFFIX_LENGTH = 3 + SCOPE_LENGTH + 1 + DIGEST_LENGTH
MAX_PREFIX_LENGTH = MAX_NAME_LENGTH - SUFFIX_LENGTH


def is_valid_name(name: Any) -> bool:
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def is_valid_prefix(prefix: Any) -> bool:
    return is_valid_name(prefix) and len(prefix) <= MAX_PREFIX_LENGTH


def _hash(*parts: Any) -> str:
    text = json.dumps(parts, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scope(endpoint_name: str) -> str:
    # SageMaker compares names case-insensitively.
    return _hash("endpoint", endpoint_name.lower())[:SCOPE_LENGTH]


def name_filter(prefix: str, kind: str, endpoint_name: str) -> str:
    """The NameContains value that lists this endpoint's generated names of one kind."""
    return f"{prefix}-{kind}-{scope(endpoint_name)}-"


def generated_name(prefix: str, kind: str, endpoint_name: str, *inputs: Any) -> str:
    name = f"{name_filter(prefix, kind, endpoint_name)}{_hash(kind, *inputs)[:DIGEST_LENGTH]}"
    if not is_valid_name(name) or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"generated name {name!r} is not a valid SageMaker name")
    return name


def is_generated(name: str, prefix: str, kind: str, endpoint_name: str) -> bool:
    """True only for names this resource generates, not for look-alikes NameContains finds."""
    pattern = re.escape(name_filter(prefix, kind, endpoint_name)) + f"[0-9a-f]{{{DIGEST_LENGTH}}}"
    return re.fullmatch(pattern, name) is not None
