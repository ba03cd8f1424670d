"""Entry points for the Projects/JumpStart enablement custom resource (CDK Provider framework).

on_event enables the SageMaker Service Catalog portfolio if needed and makes sure the 11
service roles exist (roles.py). is_complete waits for the portfolio to be shared into the
account and associates the Studio execution role with it; on Delete it undoes only what
this stack did: it disables the portfolio only if this stack enabled it and no other
principal (another environment's execution role) is still associated with it.

The physical ID records whether this stack enabled the portfolio, and stays the same on
Update, so that a replacement never triggers a Delete that would disable it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws, properties
from cr_support.logs import log
from projects_enablement import portfolio, roles

PHYSICAL_ID_PREFIX = "sagemaker-projects/"
ENABLED_BY_STACK = "enabled-by-stack"
PRE_ENABLED = "pre-enabled"


def _physical_id(enabled_by_stack: bool) -> str:
    return PHYSICAL_ID_PREFIX + (ENABLED_BY_STACK if enabled_by_stack else PRE_ENABLED)


def _enabled_by_stack(physical_id: str | None) -> bool:
    return physical_id == _physical_id(True)


def _partition(role_arn: str) -> str:
    parts = role_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "iam":
        raise properties.PropertyError(
            f"resource property 'ExecutionRoleArn' must be an IAM role ARN, got {role_arn!r}"
        )
    return parts[1]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request = event["RequestType"]
    props = event["ResourceProperties"]
    role_arn = properties.string(props, "ExecutionRoleArn")
    log(role_arn, f"{request} SageMaker Projects enablement")
    if request == "Delete":
        # is_complete undoes what this stack did, tolerating throttled polls.
        return {"PhysicalResourceId": event["PhysicalResourceId"]}

    key = properties.string(props, "OwnerTagKey")
    value = properties.string(props, "OwnerTagValue")
    ensured = roles.ensure_roles(key, value, _partition(role_arn))

    enabled_now = False
    try:
        if not portfolio.is_enabled():
            portfolio.enable()
            enabled_now = True
            log(role_arn, "enabled the SageMaker Service Catalog portfolio")
    except Exception:
        if request == "Create":
            roles.roll_back(ensured, key, value)
        raise

    if request == "Update":
        physical_id = event["PhysicalResourceId"]
        if enabled_now and not _enabled_by_stack(physical_id):
            log(role_arn, "re-enabled a portfolio this stack did not first enable; Delete keeps it")
    else:
        physical_id = _physical_id(enabled_now)
    return {
        "PhysicalResourceId": physical_id,
        "Data": {
            "CreatedRoles": ",".join(ensured.created),
            "ClaimedRoles": ",".join(ensured.claimed),
            "PortfolioEnabledByStack": _flag(_enabled_by_stack(physical_id)),
        },
    }


def _complete_create_or_update(event: dict[str, Any]) -> dict[str, Any]:
    props = event["ResourceProperties"]
    role_arn = properties.string(props, "ExecutionRoleArn")
    portfolio_id = portfolio.find_portfolio_id()
    if portfolio_id is None:
        log(role_arn, "SageMaker portfolio not visible yet")
        return {"IsComplete": False}
    portfolio.associate(portfolio_id, role_arn)

    old_role_arn = (event.get("OldResourceProperties") or {}).get("ExecutionRoleArn")
    if event["RequestType"] == "Update" and old_role_arn and old_role_arn != role_arn:
        portfolio.disassociate(portfolio_id, old_role_arn)

    data = dict(event.get("Data") or {})
    data.setdefault("CreatedRoles", "")
    data.setdefault("ClaimedRoles", "")
    data["PortfolioEnabledByStack"] = _flag(_enabled_by_stack(event.get("PhysicalResourceId")))
    data["PortfolioId"] = portfolio_id
    return {"IsComplete": True, "Data": data}


def _complete_delete(event: dict[str, Any]) -> dict[str, Any]:
    props = event["ResourceProperties"]
    role_arn = properties.string(props, "ExecutionRoleArn")
    portfolio_id = portfolio.find_portfolio_id()
    others: list[str] = []
    if portfolio_id is None:
        log(role_arn, "SageMaker portfolio not found, nothing to disassociate")
    else:
        portfolio.disassociate(portfolio_id, role_arn)
        if _enabled_by_stack(event.get("PhysicalResourceId")):
            others = portfolio.other_principals(portfolio_id, role_arn)

    if not _enabled_by_stack(event.get("PhysicalResourceId")):
        log(role_arn, "portfolio was enabled before this stack, leaving it enabled")
    elif others:
        # Another environment (or a console user) still uses Projects in this account.
        log(role_arn, "portfolio still has other principals, leaving it enabled", others=others)
    elif portfolio.is_enabled():
        portfolio.disable()
        log(role_arn, "disabled the SageMaker Service Catalog portfolio this stack enabled")
    else:
        log(role_arn, "portfolio already disabled")

    deleted = roles.release_roles(
        properties.string(props, "OwnerTagKey"), properties.string(props, "OwnerTagValue")
    )
    log(role_arn, "Projects enablement removed", deleted_roles=deleted)
    return {"IsComplete": True}


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    try:
        if event["RequestType"] == "Delete":
            return _complete_delete(event)
        return _complete_create_or_update(event)
    except ClientError as error:
        if aws.is_throttling(error):
            log(
                str(event.get("ResourceProperties", {}).get("ExecutionRoleArn", "")),
                "throttled, retrying next poll",
                error=aws.error_code(error),
            )
            return {"IsComplete": False}
        raise
