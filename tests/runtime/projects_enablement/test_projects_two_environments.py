"""Two environments in one account share the Projects roles and portfolio (moto IAM).

dev deploys first: it enables the portfolio and creates the 11 roles. stage deploys
second: it finds them and claims the roles. Destroying dev must leave both working for
stage; destroying stage afterwards removes the roles, unless a SageMaker project still
needs them.
"""

from __future__ import annotations

import os

import pytest

from cr_support import aws
from projects_enablement import backoff, handler, role_specs, roles
from tests.fixtures import ACCOUNT, cfn_event
from tests.runtime.projects_enablement.fakes import (
    DOCUMENTED_ROLES,
    KEY,
    PORTFOLIO,
    ROLE_NAMES,
    Scheduler,
    SteppedIam,
    attached,
    project,
    role_names,
    role_tags,
)
from tests.runtime.projects_enablement.fakes import stubs as stubs  # the fixture

ENVIRONMENTS = {
    name: {
        "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/apstudio-{name}/{suffix}",
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/apstudio-{name}-execution",
    }
    for name, suffix in (("dev", "0a1b"), ("stage", "2c3d"))
}


def event(env: str, request: str, physical_id: str | None = None) -> dict:
    stack = ENVIRONMENTS[env]["StackId"]
    properties = {
        "ExecutionRoleArn": ENVIRONMENTS[env]["ExecutionRoleArn"],
        "OwnerTagKey": KEY,
        "OwnerTagValue": stack,
    }
    return cfn_event(
        request,
        properties,
        logical_id="ProjectsAndJumpStartResource",
        resource_type="Custom::SageMakerProjectsEnablement",
        physical_id=physical_id or None,
        stack_id=stack,
    )


def deploy(stubs, env: str, *, portfolio_enabled: bool) -> str:
    """Create: one on_event, which also waits for the share and associates the role."""
    stubs.status("Enabled" if portfolio_enabled else "Disabled")
    if not portfolio_enabled:
        stubs.enable()
    stubs.portfolio_shared(ENVIRONMENTS[env]["ExecutionRoleArn"])
    created = handler.on_event(event(env, "Create"))
    assert created["Data"]["PortfolioId"] == PORTFOLIO
    return created["PhysicalResourceId"]


def destroy(
    stubs,
    env: str,
    physical_id: str,
    *,
    still_associated: tuple[str, ...],
    projects: tuple[dict, ...] | list[dict] = (),
) -> None:
    """Delete: one on_event; the portfolio is disabled only by the stack that enabled it,
    when no other principal and no SageMaker project needs it."""
    delete = event(env, "Delete", physical_id)
    stubs.projects(list(projects))
    stubs.portfolio_visible()
    stubs.disassociate(ENVIRONMENTS[env]["ExecutionRoleArn"])
    if physical_id.endswith("enabled-by-stack"):
        stubs.principals(*still_associated)
        if not still_associated and not projects:
            stubs.status("Enabled")
            stubs.disable()
    assert handler.on_event(delete) == {"PhysicalResourceId": physical_id}
    stubs.assert_consumed()


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

    assert role_names(iam) == set(ROLE_NAMES)
    for name, (_, policies) in DOCUMENTED_ROLES.items():
        assert role_tags(iam, name) == {KEY: stage}
        assert attached(iam, name) == policies

    # stage deployed onto an enabled portfolio, so it leaves it enabled; the roles go.
    destroy(stubs, "stage", stage_id, still_associated=())
    assert role_names(iam) == set()


def test_a_project_left_in_the_account_keeps_the_roles_and_portfolio_after_both_are_gone(stubs):
    iam = stubs.iam
    dev = ENVIRONMENTS["dev"]["StackId"]
    dev_id = deploy(stubs, "dev", portfolio_enabled=False)
    stage_id = deploy(stubs, "stage", portfolio_enabled=True)
    churn = [project("churn-mlops", "CreateCompleted")]

    # The claimant goes first: its claims go, dev still owns the roles.
    destroy(stubs, "stage", stage_id, still_associated=(), projects=churn)
    for name in ROLE_NAMES:
        assert role_tags(iam, name) == {KEY: dev}

    # dev enabled the portfolio and no principal is left, but the project needs it and the
    # roles: no status check, no disable, and the roles stay without the project's tags.
    destroy(stubs, "dev", dev_id, still_associated=(), projects=churn)
    assert role_names(iam) == set(ROLE_NAMES)
    for name, (_, policies) in DOCUMENTED_ROLES.items():
        assert role_tags(iam, name) == {}
        assert attached(iam, name) == policies

    # A later deploy finds them as the console leaves them, and leaves them as they are.
    stubs.status("Enabled")
    stubs.portfolio_shared(ENVIRONMENTS["dev"]["ExecutionRoleArn"])
    created = handler.on_event(event("dev", "Create"))
    assert created["Data"]["CreatedRoles"] == created["Data"]["ClaimedRoles"] == ""
    assert all(role_tags(iam, name) == {} for name in ROLE_NAMES)


def test_an_update_of_the_second_environment_does_not_touch_the_first_ones_roles(stubs):
    iam = stubs.iam
    dev = ENVIRONMENTS["dev"]["StackId"]
    deploy(stubs, "dev", portfolio_enabled=False)
    stage_id = deploy(stubs, "stage", portfolio_enabled=True)
    before = {name: attached(iam, name) for name in ROLE_NAMES}

    stubs.status("Enabled")
    stubs.portfolio_shared(ENVIRONMENTS["stage"]["ExecutionRoleArn"])
    result = handler.on_event(event("stage", "Update", stage_id))

    assert result["Data"]["CreatedRoles"] == ""
    assert result["Data"]["ClaimedRoles"] == ""  # already claimed
    assert {name: attached(iam, name) for name in ROLE_NAMES} == before
    assert all(role_tags(iam, name)[KEY] == dev for name in ROLE_NAMES)


# --- stacks that claim and release at the same moment ------------------------------------
#
# Every interleaving of the stacks' IAM steps (projects_fakes.Scheduler), each from the
# same starting tags, each ending with the invariant: the role exists exactly while a
# stack still uses it, its owner tag names one of those stacks, every other one of them
# has its claim, no stack that is gone keeps a claim, nothing is left announced, and the
# role keeps its policies.

STACKS = {name: f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/apstudio-{name}/1" for name in (
    "owner", "a", "b", "c", "new")}  # fmt: skip
ROLE = role_specs.LAUNCH_ROLE
POLICIES = set(ROLE.policy_arns("aws"))


def act(stack: str, action: str):
    """What one stack does: release its share (keeping the role while SageMaker projects
    use it), or ensure the role (create or claim it)."""
    if action in ("release", "release, keep"):
        keep = action == "release, keep"
        return lambda: roles.release_role(ROLE.name, KEY, STACKS[stack], keep=keep)
    return lambda: roles._ensure_role(ROLE, KEY, STACKS[stack], "aws", roles.Ensured())


def initial_tags(owner: str | None, claimants: tuple[str, ...]) -> dict[str, str] | None:
    if owner is None:
        return None
    tags = {KEY: STACKS[owner]}
    tags.update({roles.claim_key(KEY, STACKS[c]): STACKS[c] for c in claimants})
    return tags


def run_schedule(monkeypatch, choices, *, owner, claimants, actors):
    """One schedule from the given tags; returns the account's IAM and the scheduler."""
    scheduler = Scheduler(choices)
    callers = dict(enumerate(STACKS[stack] for stack, _ in actors))
    iam = SteppedIam(scheduler, callers)
    tags = initial_tags(owner, claimants)
    if tags is not None:
        iam.add_role(ROLE.name, tags, POLICIES)
    monkeypatch.setattr(aws, "client", lambda name: iam.client())
    monkeypatch.setattr(backoff, "sleep", lambda seconds: scheduler.point("pause"))
    scheduler.run([act(stack, action) for stack, action in actors])
    return iam, scheduler


def explore(monkeypatch, check, *, preemptions: int | None = None, **scenario) -> int:
    """Run every schedule, depth first, replaying each prefix; returns how many ran.

    ``preemptions`` bounds how often a schedule switches away from a stack that could have
    gone on (as CHESS does); None enumerates every schedule.
    """
    pending: list[tuple[list[int], int]] = [([], 0)]
    count = 0
    while pending:
        prefix, switches = pending.pop()
        iam, scheduler = run_schedule(monkeypatch, prefix, **scenario)
        count += 1
        trace = scheduler.trace
        check(iam, scheduler, [chosen for chosen, _, _ in trace])
        # Past the prefix each step is the default, which never preempts.
        for step in range(len(prefix), len(trace)):
            chosen, runnable, can_go_on = trace[step]
            taken = [c for c, _, _ in trace[:step]]
            for other in runnable:
                if other == chosen:
                    continue
                more = switches + (can_go_on and other != taken[-1])
                if preemptions is None or more <= preemptions:
                    pending.append(([*taken, other], more))
    return count


def invariant(live: set[str]):
    live_ids = {STACKS[s] for s in live}

    def check(iam, scheduler, schedule):
        assert scheduler.errors == {}, schedule
        role = iam.roles.get(ROLE.name)
        if not live:
            assert role is None, (schedule, role)
            return
        assert role is not None, schedule
        tags = role["tags"]
        owner = tags.get(KEY)
        claims = {k: v for k, v in tags.items() if k != KEY}
        assert owner in live_ids, (schedule, tags)
        assert claims == {roles.claim_key(KEY, s): s for s in live_ids - {owner}}, (schedule, tags)
        assert role["attached"] == POLICIES and role["inline"] == {}, schedule

    return check


# Three stacks have too many schedules to run them all; every schedule with up to this many
# preemptions runs (most concurrency bugs need one or two: Musuvathi and Qadeer, "Iterative
# context bounding for systematic testing of multithreaded programs", PLDI 2007).
# ROLES_PREEMPTIONS=3 runs more (about 23 s for the three releases alone).
THREE_STACKS_PREEMPTIONS = 2
R, E = "release", "ensure"
# name: (owner, claimants, what each acting stack does, the stacks using the role after)
SCENARIOS = {
    "owner and claimant release": ("owner", ("a",), [("owner", R), ("a", R)], set()),
    "two claimants release": ("owner", ("a", "b"), [("a", R), ("b", R)], {"owner"}),
    "owner and claimant release, one claimant stays": (
        "owner", ("a", "b"), [("owner", R), ("a", R)], {"b"}),
    "owner and claimant hand over at once": (
        "owner", ("a", "b", "c"), [("owner", R), ("a", R)], {"b", "c"}),
    "a claim races the owner's delete": ("owner", (), [("owner", R), ("new", E)], {"new"}),
    "a claim races a handover": ("owner", ("a",), [("owner", R), ("new", E)], {"a", "new"}),
    "a claim races a claimant's release": (
        "owner", ("a",), [("a", R), ("new", E)], {"owner", "new"}),
    "two stacks create the role at once": (None, (), [("a", E), ("new", E)], {"a", "new"}),
    "three stacks release at once": (
        "owner", ("a", "b"), [("owner", R), ("a", R), ("b", R)], set()),
    "a claim races the owner's and a claimant's release": (
        "owner", ("a",), [("owner", R), ("a", R), ("new", E)], {"new"}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_interleaving_keeps_the_role_exactly_while_a_stack_uses_it(monkeypatch, name):
    owner, claimants, actors, live = SCENARIOS[name]
    count = explore(
        monkeypatch,
        invariant(live),
        preemptions=None
        if len(actors) == 2
        else int(os.environ.get("ROLES_PREEMPTIONS", THREE_STACKS_PREEMPTIONS)),
        owner=owner,
        claimants=claimants,
        actors=actors,
    )
    print(f"{name}: {count} schedules")
    # Each stack takes several steps, so there are many orders to try.
    assert count > len(actors), count


def kept_invariant(live: set[str], claimed: set[str]):
    """Releases that keep the role for SageMaker projects: the role and its policies stay,
    nothing is left announced, and no stack that is gone owns or claims it (so no later
    stack deletes it). An owner left is a stack still using it, which every other one
    claims; with none, the role is left as the console leaves one, and a stack that
    ensures it then leaves it as it is. A stack that claimed it from the start (in
    ``claimed``) and still uses it is handed the role: an owner is left."""
    live_ids = {STACKS[s] for s in live}

    def check(iam, scheduler, schedule):
        assert scheduler.errors == {}, schedule
        role = iam.roles.get(ROLE.name)
        assert role is not None, schedule
        tags = role["tags"]
        owner = tags.get(KEY)
        assert owner is None or owner in live_ids, (schedule, tags)
        assert owner is not None or not claimed, (schedule, tags)
        claims = {k: v for k, v in tags.items() if k != KEY}
        assert set(claims.values()) <= live_ids - {owner}, (schedule, tags)
        assert all(k == roles.claim_key(KEY, v) for k, v in claims.items()), (schedule, tags)
        if owner is not None:
            for stack in live_ids - {owner}:
                assert roles.claim_key(KEY, stack) in tags, (schedule, tags)
        assert role["attached"] == POLICIES and role["inline"] == {}, schedule

    return check


K = "release, keep"
KEPT_SCENARIOS = {
    "owner and claimant keep the role": ("owner", ("a",), [("owner", K), ("a", K)], set()),
    "owner and claimant keep it, one claimant stays": (
        "owner", ("a", "b"), [("owner", K), ("a", K)], {"b"}),
    "a claim races the owner keeping it": ("owner", (), [("owner", K), ("new", E)], {"new"}),
    "a claim races a handover that keeps it": (
        "owner", ("a",), [("owner", K), ("new", E)], {"a", "new"}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(KEPT_SCENARIOS))
def test_every_interleaving_of_releases_that_keep_the_role_leaves_it_to_its_users(
    monkeypatch, name
):
    owner, claimants, actors, live = KEPT_SCENARIOS[name]
    count = explore(
        monkeypatch,
        kept_invariant(live, live & set(claimants)),
        owner=owner,
        claimants=claimants,
        actors=actors,
    )
    assert count > len(actors), count


@pytest.mark.parametrize("name", ["owner and claimant release", "a claim races the owner's delete"])
def test_the_exploration_finds_the_race_when_stacks_do_not_wait_for_the_owner(monkeypatch, name):
    # Without waiting on the owner's announcement, a claimant that releases can miss a
    # handover (the role outlives it), and a new claim can miss a delete (the role is gone).
    monkeypatch.setattr(roles, "_release_pending", lambda tags, key: None)
    owner, claimants, actors, live = SCENARIOS[name]
    with pytest.raises(AssertionError):
        explore(monkeypatch, invariant(live), owner=owner, claimants=claimants, actors=actors)
