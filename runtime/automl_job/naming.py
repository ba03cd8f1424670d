"""Deterministic AutoML job names: prefix plus a hash of where and what the job is."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from cr_support.properties import PropertyError

MAX_NAME_LENGTH = 32
MAX_PREFIX_LENGTH = 20
JOB_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")
_PREFIX_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}")


def check_prefix(prefix: str) -> str:
    if len(prefix) > MAX_PREFIX_LENGTH or not _PREFIX_PATTERN.fullmatch(prefix):
        raise PropertyError(
            f"resource property 'JobNamePrefix' must be 1-{MAX_PREFIX_LENGTH} letters, digits "
            f"and hyphens, starting and ending with a letter or digit; got {prefix!r}"
        )
    return prefix


def is_job_name(value: str) -> bool:
    # The pattern alone lets hyphens run past 32 characters.
    return 0 < len(value) <= MAX_NAME_LENGTH and JOB_NAME_PATTERN.fullmatch(value) is not None


def job_name(prefix: str, stack_id: str, logical_id: str, inputs: Mapping[str, Any]) -> str:
    """``<prefix>-<sha256 hex>`` cut to 32 characters.

    SageMaker never frees an AutoML job name, so the name changes with the stack, the
    resource and every input that shapes the job, and stays stable otherwise.
    """
    check_prefix(prefix)
    canonical = json.dumps(
        {"StackId": stack_id, "LogicalResourceId": logical_id, "Inputs": dict(inputs)},
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{prefix}-{digest}"[:MAX_NAME_LENGTH]


# A job that failed or was stopped keeps its name forever; a retry takes the next one.
MAX_ATTEMPTS = 5


def attempt_names(name: str) -> list[str]:
    """``name``, then ``name`` cut to fit ``-r2`` ... ``-r5``."""
    names = [name]
    for attempt in range(2, MAX_ATTEMPTS + 1):
        suffix = f"-r{attempt}"
        names.append(f"{name[: MAX_NAME_LENGTH - len(suffix)].rstrip('-')}{suffix}")
    return names


def execution_name(job_name: str, wait_handle_url: str) -> str:
    """The wait's state machine execution: one per job and wait condition handle.

    A Delete recomputes it from the event. A job adopted by a new handle (a retried
    update) gets a new execution, which signals that handle.
    """
    digest = hashlib.sha256(wait_handle_url.encode()).hexdigest()[:12]
    return f"{job_name}-{digest}"
