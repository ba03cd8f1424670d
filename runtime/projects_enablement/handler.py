"""Entry point for the Projects/JumpStart enablement custom resource (CDK Provider framework).

Everything happens in ``on_event``, well inside its timeout, so the resource needs no
poller (and none of the framework's waiter functions):

- Create and Update enable the SageMaker Service Catalog portfolio if needed, make sure
  the 11 service roles exist (roles.py), wait the seconds it takes for the portfolio to
  be shared into the account, and associate the Studio execution role with it.
- Delete undoes only what this stack did: it disables the portfolio only if this stack
  enabled it and no other principal (another environment's execution role) is still
  associated with it, and releases the roles. While SageMaker projects exist in the
  region, both the portfolio and the roles stay: the projects' own stacks are updated and
  deleted as the Launch and Use roles, and would be stuck without them.

The physical ID records whether this stack enabled the portfolio, and stays the same on
Update, so that a replacement never triggers a Delete that would disable it.
"""

from __future__ import annotations

from typing import Any

from cr_support import properties
from cr_support.logs import log
from projects_enablement import backoff, portfolio, roles

PHYSICAL_ID_PREFIX = "sagemaker-projects/"
ENABLED_BY_STACK = "enabled-by-stack"
PRE_ENABLED = "pre-enabled"
# The share shows up seconds after enabling; wait up to five minutes for it.
VISIBLE_ATTEMPTS = 30
VISIBLE_PAUSE_SECONDS = 10
# Another stack releasing the same roles: try the whole release this often.
RELEASE_ATTEMPTS = 3


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
    role_arn = properties.string(event["ResourceProperties"], "ExecutionRoleArn")
    log(role_arn, f"{request} SageMaker Projects enablement")
    if request == "Delete":
        return _delete(event)
    if request not in ("Create", "Update"):
        raise ValueError(f"unsupported RequestType {request!r}")
    return _enable(event)


def _enable(event: dict[str, Any]) -> dict[str, Any]:
    request, props = event["RequestType"], event["ResourceProperties"]
    role_arn = properties.string(props, "ExecutionRoleArn")
    key = properties.string(props, "OwnerTagKey")
    value = properties.string(props, "OwnerTagValue")
    ensured = roles.ensure_roles(key, value, _partition(role_arn))
    try:
        enabled_now = False
        if not portfolio.is_enabled():
            portfolio.enable()
            enabled_now = True
            log(role_arn, "enabled the SageMaker Service Catalog portfolio")
        portfolio_id = portfolio.wait_until_visible(VISIBLE_ATTEMPTS, VISIBLE_PAUSE_SECONDS)
        if portfolio_id is None:
            raise RuntimeError(
                "the SageMaker portfolio was enabled but did not appear among the account's "
                f"accepted portfolio shares within {VISIBLE_ATTEMPTS * VISIBLE_PAUSE_SECONDS} s; "
                "check Studio's Projects settings in the console, then deploy again"
            )
        portfolio.associate(portfolio_id, role_arn)
    except Exception:
        if request == "Create":  # no Delete follows a failed Create
            roles.roll_back(ensured, key, value)
        raise

    if request == "Update":
        physical_id = event["PhysicalResourceId"]
        old_role_arn = (event.get("OldResourceProperties") or {}).get("ExecutionRoleArn")
        if old_role_arn and old_role_arn != role_arn:
            portfolio.disassociate(portfolio_id, old_role_arn)
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
            "PortfolioId": portfolio_id,
        },
    }


def _delete(event: dict[str, Any]) -> dict[str, Any]:
    physical_id = event.get("PhysicalResourceId", "")
    props = event["ResourceProperties"]
    role_arn = properties.string(props, "ExecutionRoleArn")
    projects = portfolio.live_projects()
    if projects:
        # Stack events show no text for a successful delete; the log and README say it.
        log(
            role_arn,
            "SageMaker projects still use the Service Catalog roles and portfolio; keeping "
            "both (delete the projects, then the roles, to remove them)",
            projects=projects[:20],
            count=len(projects),
        )
    portfolio_id = portfolio.find_portfolio_id()
    others: list[str] = []
    if portfolio_id is None:
        log(role_arn, "SageMaker portfolio not found, nothing to disassociate")
    else:
        portfolio.disassociate(portfolio_id, role_arn)
        if _enabled_by_stack(physical_id):
            others = portfolio.other_principals(portfolio_id, role_arn)

    if not _enabled_by_stack(physical_id):
        log(role_arn, "portfolio was enabled before this stack, leaving it enabled")
    elif others or projects:
        log(role_arn, "portfolio still in use, leaving it enabled", others=others)
    elif portfolio.is_enabled():
        portfolio.disable()
        log(role_arn, "disabled the SageMaker Service Catalog portfolio this stack enabled")
    else:
        log(role_arn, "portfolio already disabled")

    key = properties.string(props, "OwnerTagKey")
    value = properties.string(props, "OwnerTagValue")
    for attempt in range(RELEASE_ATTEMPTS):
        try:
            released = roles.release_roles(key, value, keep=bool(projects))
            break
        except roles.RoleBusy:
            if attempt + 1 == RELEASE_ATTEMPTS:
                raise
            backoff.pause(backoff.ATTEMPTS)  # another stack's delete is under way
    log(role_arn, "Projects enablement removed", roles=released)
    return {"PhysicalResourceId": physical_id}
