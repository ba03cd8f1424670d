"""Recognising a Create that CloudFormation gave up on, and the IDs it invents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cr_support import stack
from tests.fixtures import cfn_event

STACK_ID = "arn:aws:cloudformation:us-east-1:111111111111:stack/AutopilotStudio-dev/0f1e"


def event(request_type: str = "Create", physical_id: str | None = None) -> dict:
    return cfn_event(
        request_type, {}, logical_id="AutoML0F1", physical_id=physical_id, stack_id=STACK_ID
    )


def expect_status(stub, status: str) -> None:
    stub("cloudformation").add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "AutopilotStudio-dev",
                    "StackId": STACK_ID,
                    "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
                    "StackStatus": status,
                }
            ]
        },
        {"StackName": STACK_ID},
    )


@pytest.mark.parametrize(
    ("status", "abandoned"),
    [
        ("CREATE_IN_PROGRESS", False),
        ("UPDATE_IN_PROGRESS", False),
        ("ROLLBACK_IN_PROGRESS", True),
        ("ROLLBACK_COMPLETE", True),
        ("DELETE_IN_PROGRESS", True),
        ("UPDATE_ROLLBACK_IN_PROGRESS", True),
    ],
)
def test_a_create_polled_while_its_stack_rolls_back_was_abandoned(stub, status, abandoned):
    expect_status(stub, status)
    assert stack.create_abandoned(event()) is abandoned


def test_only_creates_are_ever_abandoned(stub):
    stub("cloudformation")  # no call expected
    assert stack.create_abandoned(event("Update")) is False
    assert stack.create_abandoned(event("Delete")) is False


def test_a_stack_that_is_gone_abandoned_its_creates(stub):
    stub("cloudformation").add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK_ID} does not exist"
    )
    assert stack.create_abandoned(event()) is True


def test_a_throttled_look_keeps_polling(stub):
    stub("cloudformation").add_client_error("describe_stacks", "Throttling", "Rate exceeded")
    assert stack.create_abandoned(event()) is False


@pytest.mark.parametrize(
    ("physical_id", "invented"),
    [
        ("AutopilotStudio-dev-AutoML0F1-1XKZ2ABCDEF3", True),
        ("apstudio-dev-ff3f0fcd12362b434d7", False),
        ("AutopilotStudio-prod-AutoML0F1-1XKZ2ABCDEF3", False),
        ("", False),
    ],
)
def test_invented_physical_ids_are_recognised(physical_id, invented):
    assert stack.invented_physical_id(event("Delete", physical_id)) is invented
