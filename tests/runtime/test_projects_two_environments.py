"""Two environments in one account share the Projects roles and portfolio (moto IAM).

dev deploys first: it enables the portfolio and creates the 11 roles. stage deploys
second: it finds them and claims the roles. Destroying dev must leave both working for
stage; destroying stage afterwards removes the roles.
"""

from __future__ import annotations

from projects_fakes import DOCUMENTED_ROLES, KEY, ROLE_NAMES, attached, role_names, role_tags
from projects_fakes import stubs as stubs  # the fixture

from projects_enablement import handler, roles

ACCOUNT = "111111111111"
ENVIRONMENTS = {
    name: {
        "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/apstudio-{name}/{suffix}",
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/apstudio-{name}-execution",
    }
    for name, suffix in (("dev", "0a1b"), ("stage", "2c3d"))
}


def event(env: str, request: str, physical_id: str | None = None) -> dict:
    stack = ENVIRONMENTS[env]["StackId"]
    body = {
        "RequestType": request,
        "StackId": stack,
        "LogicalResourceId": "ProjectsAndJumpStartResource",
        "ResourceProperties": {
            "ServiceToken": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:provider",
            "ExecutionRoleArn": ENVIRONMENTS[env]["ExecutionRoleArn"],
            "OwnerTagKey": KEY,
            "OwnerTagValue": stack,
        },
    }
    if physical_id:
        body["PhysicalResourceId"] = physical_id
    return body


def deploy(stubs, env: str, *, portfolio_enabled: bool) -> str:
    """Create as the Provider framework runs it: on_event, then is_complete with its output."""
    stubs.status("Enabled" if portfolio_enabled else "Disabled")
    if not portfolio_enabled:
        stubs.enable()
    created = handler.on_event(event(env, "Create"))
    stubs.portfolio_visible()
    stubs.associate(ENVIRONMENTS[env]["ExecutionRoleArn"])
    poll = {**event(env, "Create"), **created}
    assert handler.is_complete(poll)["IsComplete"] is True
    return created["PhysicalResourceId"]


def destroy(stubs, env: str, physical_id: str, *, still_associated: tuple[str, ...]) -> None:
    delete = event(env, "Delete", physical_id)
    assert handler.on_event(delete) == {"PhysicalResourceId": physical_id}
    stubs.portfolio_visible()
    stubs.disassociate(ENVIRONMENTS[env]["ExecutionRoleArn"])
    if physical_id.endswith("enabled-by-stack"):
        stubs.principals(*still_associated)
        if not still_associated:
            stubs.status("Enabled")
            stubs.disable()
    assert handler.is_complete(delete) == {"IsComplete": True}


def test_destroying_one_environment_keeps_roles_and_portfolio_for_the_other(stubs):
    iam = stubs.iam
    dev, stage = (ENVIRONMENTS[e]["StackId"] for e in ("dev", "stage"))

    dev_id = deploy(stubs, "dev", portfolio_enabled=False)
    stage_id = deploy(stubs, "stage", portfolio_enabled=True)

    assert (dev_id, stage_id) == (
        "sagemaker-projects/enabled-by-stack",
        "sagemaker-projects/pre-enabled",
    )
    stage_claim = roles.claim_key(KEY, stage)
    for name in ROLE_NAMES:
        assert role_tags(iam, name) == {KEY: dev, stage_claim: stage}

    # stage's execution role is still associated: no status check, no disable.
    destroy(stubs, "dev", dev_id, still_associated=(ENVIRONMENTS["stage"]["ExecutionRoleArn"],))
    stubs.assert_consumed()

    assert role_names(iam) == set(ROLE_NAMES)
    for name, (_, policies) in DOCUMENTED_ROLES.items():
        assert role_tags(iam, name) == {KEY: stage}
        assert attached(iam, name) == policies

    # stage deployed onto an enabled portfolio, so it leaves it enabled; the roles go.
    destroy(stubs, "stage", stage_id, still_associated=())
    assert role_names(iam) == set()


def test_an_update_of_the_second_environment_does_not_touch_the_first_ones_roles(stubs):
    iam = stubs.iam
    dev = ENVIRONMENTS["dev"]["StackId"]
    deploy(stubs, "dev", portfolio_enabled=False)
    stage_id = deploy(stubs, "stage", portfolio_enabled=True)
    before = {name: attached(iam, name) for name in ROLE_NAMES}

    stubs.status("Enabled")
    result = handler.on_event(event("stage", "Update", stage_id))

    assert result["Data"]["CreatedRoles"] == ""
    assert result["Data"]["ClaimedRoles"] == ""  # already claimed
    assert {name: attached(iam, name) for name in ROLE_NAMES} == before
    assert all(role_tags(iam, name)[KEY] == dev for name in ROLE_NAMES)
