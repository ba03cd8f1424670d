"""Is the stack that sent this Create still waiting for it?

CloudFormation stops waiting for a custom resource when another resource fails (or its
own ServiceTimeout fires) and later sends Delete with an invented physical ID. The
Provider framework's poller keeps calling is_complete regardless, so the poller is the
one place that can still remove what the abandoned Create made.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log

# A Create polled while the stack is in one of these was abandoned.
ABANDONED_STATUSES = frozenset(
    {
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_FAILED",
        "ROLLBACK_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_FAILED",
        "DELETE_COMPLETE",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    }
)


def create_abandoned(event: dict[str, Any]) -> bool:
    """True when this is a Create whose stack is rolling back or being deleted."""
    if event.get("RequestType") != "Create" or not event.get("StackId"):
        return False
    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=event["StackId"])
    except ClientError as error:
        if aws.is_throttling(error):
            return False
        if aws.error_code(error) == "ValidationError":
            return True  # the stack is gone
        raise
    status = (stacks.get("Stacks") or [{}])[0].get("StackStatus", "")
    if status in ABANDONED_STATUSES:
        log(event.get("LogicalResourceId", ""), "create abandoned by its stack", status=status)
        return True
    return False


def rolling_back(event: dict[str, Any]) -> bool:
    """True when the event's stack rolls back or is deleted, whatever the request type:
    what a Create or Update makes now, no Delete will ever name."""
    return create_abandoned({**event, "RequestType": "Create"})


def invented_physical_id(event: dict[str, Any]) -> bool:
    """CloudFormation's ID for a resource it never heard from: ``<stack>-<logicalId>-<suffix>``."""
    stack_id = str(event.get("StackId", ""))
    parts = stack_id.split(":stack/", 1)
    if len(parts) != 2:
        return False
    stack_name = parts[1].split("/", 1)[0]
    prefix = f"{stack_name}-{event.get('LogicalResourceId', '')}-"
    return str(event.get("PhysicalResourceId", "")).startswith(prefix)
