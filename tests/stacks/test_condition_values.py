"""Condition values that must name a whole resource do: no ARN ends in an empty name.

A state machine without a name made CDK write its KMS condition as
``kms:EncryptionContext:aws:states:stateMachineArn = arn:...:stateMachine:``, which never
matches a real execution, so prod's AutoML wait could not use its key. Every
``kms:EncryptionContext:*``, ``aws:SourceArn`` and ``aws:SourceAccount`` value of every
policy, and every Lambda permission's ``SourceArn`` / ``SourceAccount``, is rendered the
way CloudFormation would resolve it and checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.gates.intrinsics import Renderer

CHECKED_KEY = re.compile(r"^(kms:EncryptionContext:.+|aws:SourceArn|aws:SourceAccount)$", re.I)
# Policy documents by where they sit in a resource's properties.
POLICY_PROPERTIES = ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy")


def problem(key: str, value: str) -> str | None:
    """What is wrong with one rendered value, or None."""
    if key.lower() == "aws:sourceaccount":
        return None if re.fullmatch(r"\d{12}", value) else "not a 12-digit account"
    if not value.startswith("arn:"):
        return None  # an encryption-context value that is not an ARN
    parts = value.split(":", 5)
    if len(parts) != 6 or not all(parts[i] for i in (1, 2)):
        return "not an ARN of six parts with a partition and a service"
    resource = parts[5]
    if not resource:
        return "the ARN has no resource"
    if any(not piece for piece in re.split(r"[:/]", resource)):
        return f"an empty name in the ARN's resource {resource!r}"
    return None


def condition_values(template: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, key, value) for every checked condition key and Lambda permission source."""
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents = [props[name] for name in POLICY_PROPERTIES if name in props]
        documents += [policy["PolicyDocument"] for policy in props.get("Policies", [])]
        for document in documents:
            statements = document["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                for operator, keys in statement.get("Condition", {}).items():
                    for key, value in keys.items():
                        if CHECKED_KEY.match(key):
                            yield f"{logical_id} {operator}", key, value
        if resource["Type"] == "AWS::Lambda::Permission":
            for key in ("SourceArn", "SourceAccount"):
                if key in props:
                    yield f"{logical_id} {key}", f"aws:{key}", props[key]


def test_every_checked_condition_value_is_whole(env):
    renderer = Renderer(env.template, stack_name=env.settings.stack_name)
    found = list(condition_values(env.template))
    bad = []
    for where, key, value in found:
        for rendered in (v for v in _as_list(renderer.render(value))):
            reason = problem(key, rendered)
            if reason:
                bad.append(f"{where} {key} = {rendered!r}: {reason}")
    assert found, "every environment has such conditions (execution role trust, logs key)"
    assert bad == []


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        (
            "kms:EncryptionContext:aws:states:stateMachineArn",
            "arn:aws:states:r:1:stateMachine:",
            False,
        ),
        (
            "kms:EncryptionContext:aws:states:stateMachineArn",
            "arn:aws:states:r:1:stateMachine:w",
            True,
        ),
        ("aws:SourceArn", "arn:aws:s3:::bucket", True),
        ("aws:SourceArn", "arn:aws:s3:::", False),
        ("aws:SourceArn", "arn:aws:sagemaker:r:1:endpoint//x", False),
        ("aws:SourceArn", "arn:aws:logs:r:1:*", True),
        ("aws:SourceAccount", "111111111111", True),
        ("aws:SourceAccount", "", False),
    ],
)
def test_the_check_itself(key, value, ok):
    assert (problem(key, value) is None) is ok


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
