"""Facts every test shares: the project's paths, the offline account and region, and the
custom-resource requests CloudFormation sends through the CDK Provider framework."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# The account and region every template is synthesized for, and the lifecycle harness's
# account (moto runs as it there: MOTO_ACCOUNT_ID).
ACCOUNT = "111111111111"
REGION = "us-east-1"
# moto's own default account, which handler and command tests that use moto run as.
MOTO_ACCOUNT = "123456789012"

STACK_NAME = "AutopilotStudio-dev"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/0f1e2d3c-4b5a-6978"
SERVICE_TOKEN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider"
REQUEST_ID = "5d4c3b2a-1f0e-4d3c-9b8a-7f6e5d4c3b2a"


def cfn_event(
    request_type: str,
    properties: dict[str, Any],
    *,
    logical_id: str,
    resource_type: str = "Custom::Resource",
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
    stack_id: str = STACK_ID,
) -> dict[str, Any]:
    """A Create, Update or Delete request as the Provider framework hands it to on_event.

    Properties arrive as CloudFormation passes them (strings, lists and maps); the
    physical ID is there for Update and Delete, the old properties for Update.
    """
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": properties.get("ServiceToken", SERVICE_TOKEN),
        "StackId": stack_id,
        "RequestId": REQUEST_ID,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {"ServiceToken": SERVICE_TOKEN, **properties},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    return event


class Capture:
    """Matches any value in a Stubber's expected_params and keeps it in ``value``."""

    value = None

    def __eq__(self, other):
        self.value = other
        return True

    __hash__ = None  # type: ignore[assignment]


def expect_error(
    stubber: Any, operation: str, code: str, message: str = "", status: int = 400, **params: Any
) -> None:
    """The stubbed ``operation`` fails with ``code``; with ``params``, only for exactly those."""
    stubber.add_client_error(
        operation,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        expected_params=params or None,
    )


def event_builder(
    defaults: dict[str, Any], *, logical_id: str, resource_type: str, stack_id: str = STACK_ID
) -> Callable[..., dict[str, Any]]:
    """``event(request_type="Create", physical_id=None, **props)`` for one resource: the
    ``defaults`` properties with ``props`` over them."""

    def event(
        request_type: str = "Create", physical_id: str | None = None, **props: Any
    ) -> dict[str, Any]:
        return cfn_event(
            request_type,
            {**defaults, **props},
            logical_id=logical_id,
            resource_type=resource_type,
            physical_id=physical_id,
            stack_id=stack_id,
        )

    return event
