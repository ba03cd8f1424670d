r"""Check a name against the API member that receives it, as botocore's model states it.

botocore's validator checks lengths of strings only when it builds a request, and never
patterns; the service models carry both (``min``, ``max``, ``pattern`` on the shape), and
AWS rejects a request that breaks them. Patterns are Java regular expressions (IAM's use
Unicode classes such as ``\p{L}``), so they are matched with the ``regex`` package.
"""

from __future__ import annotations

import functools

import botocore.session
import regex


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def rule(service: str, operation: str, member: str) -> tuple[int, int | None, str | None]:
    """(min length, max length, pattern) of one request member: ``Name``, or a path into
    structures and lists such as ``Tags[].Key``."""
    shape = _session().get_service_model(service).operation_model(operation).input_shape
    for part in member.split("."):
        name = part.removesuffix("[]")
        shape = shape.members[name]
        if part.endswith("[]"):
            shape = shape.member
    metadata = shape.metadata
    return metadata.get("min", 0), metadata.get("max"), metadata.get("pattern")


def check(service: str, operation: str, member: str, value: str) -> None:
    """AssertionError naming the rule ``value`` breaks, if any."""
    low, high, pattern = rule(service, operation, member)
    where = f"{service} {operation}.{member}"
    assert isinstance(value, str), f"{where}: {value!r} is not a string"
    assert len(value) >= low, f"{where}: {value!r} is shorter than {low}"
    assert high is None or len(value) <= high, f"{where}: {value!r} is longer than {high}"
    assert pattern is None or regex.fullmatch(pattern, value), (
        f"{where}: {value!r} does not match {pattern}"
    )
