"""Ensure the account-wide Projects/JumpStart roles exist, and remove only this stack's share.

The names are fixed and shared by every stack in the account (see role_specs), so:

- a role is created only when it is absent, tagged ``<owner key> = <this stack>``;
- a role another stack of this project created (it carries the owner key with another
  value) is *claimed*: this stack adds ``<owner key>:claim:<hash of its stack ID> = <stack ID>``;
- a role with neither (made by the console or by hand) is left exactly as it is;
- on delete, a stack removes its claim; the owner deletes a role only when no claim is
  left, and otherwise hands it to a claimant (owner tag rewritten, that claim removed), so
  the last stack standing removes it.

Stacks create, claim and release at the same time (two environments destroyed at once),
and IAM has no conditional tag write, so the owner announces a release before deciding:

1. The owner tags ``<its claim key>:releasing``, then reads the tags again and decides on
   what that read shows: hand over to the first claimant, or delete the role. Only the
   owner writes the owner tag, and IAM lets only the owner detach and delete (the
   handler's policy conditions on ``aws:ResourceTag``), so one stack at a time decides.
2. A stack that claims reads the tags again after writing its claim. While the owner's
   ``releasing`` tag is there, the owner may have decided before the claim landed: the
   claimant waits (bounded backoff) until the owner is done, and creates the role again
   if it was deleted.
3. A claimant that releases removes its claim first, then reads: while the owner's
   ``releasing`` tag is there the owner may be handing the role to it, so it waits for
   the owner's decision and, if it became the owner, releases as the owner.

Every decision is taken on a read made after this stack's own last write, so the roles
outlive the last stack that claims them, and no longer. The interleavings this covers
are enumerated step by step in
tests/runtime/projects_enablement/test_projects_two_environments.py. IAM is
eventually consistent (AWS docs, "Troubleshooting IAM": changes are not always
immediately visible); the pauses also give a write time to show.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log
from projects_enablement import backoff
from projects_enablement.role_specs import ROLE_PATH, ROLE_SPECS, RoleSpec

CLAIM_INFIX = ":claim:"
# Kept under the claim key pattern: the handler may tag only the owner and claim keys.
RELEASING_SUFFIX = ":releasing"


class RoleBusy(RuntimeError):
    """Another stack kept a role in mid-release for longer than the retries wait."""


def claim_key(owner_key: str, stack: str) -> str:
    """The tag key with which ``stack`` claims a role it reused (keys are capped at 128)."""
    return f"{owner_key}{CLAIM_INFIX}{hashlib.sha256(stack.encode()).hexdigest()[:16]}"


def releasing_key(owner_key: str, stack: str) -> str:
    """The tag with which the owner ``stack`` announces that it is releasing a role."""
    return claim_key(owner_key, stack) + RELEASING_SUFFIX


def _claims(tags: dict[str, str], owner_key: str) -> dict[str, str]:
    """Claim key -> claiming stack, without the owners' ``releasing`` announcements."""
    prefix = owner_key + CLAIM_INFIX
    return {
        k: v for k, v in tags.items() if k.startswith(prefix) and not k.endswith(RELEASING_SUFFIX)
    }


def _release_pending(tags: dict[str, str], owner_key: str) -> str | None:
    """The owner, when it has announced a release it has not finished."""
    owner = tags.get(owner_key)
    return owner if owner and releasing_key(owner_key, owner) in tags else None


@dataclass
class Ensured:
    """What one ensure pass did, so that a failed Create can undo exactly that."""

    created: list[str] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)


def _tags(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def _read_tags(name: str) -> dict[str, str]:
    return _tags(_pages(aws.client("iam").list_role_tags, "Tags", RoleName=name))


def _record(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def _managed_policy_arns(partition: str) -> set[str]:
    return {arn for spec in ROLE_SPECS for arn in spec.policy_arns(partition)}


def _reconcile_policies(spec: RoleSpec, partition: str, attached: list[str] | None = None) -> None:
    """Attach the spec's policies; on a role we own, detach project policies the spec dropped."""
    iam = aws.client("iam")
    wanted = spec.policy_arns(partition)
    for arn in wanted:
        iam.attach_role_policy(RoleName=spec.name, PolicyArn=arn)
    # Earlier versions gave the Use role the per-service policies instead of its own.
    for arn in set(attached or ()) & (_managed_policy_arns(partition) - set(wanted)):
        iam.detach_role_policy(RoleName=spec.name, PolicyArn=arn)
    if spec.inline_policy:
        name, document = spec.inline_policy
        iam.put_role_policy(
            RoleName=spec.name, PolicyName=name, PolicyDocument=json.dumps(document(partition))
        )


def _create(spec: RoleSpec, key: str, value: str) -> bool:
    """Create the role; False if someone else created it first."""
    try:
        aws.client("iam").create_role(
            RoleName=spec.name,
            Path=ROLE_PATH,
            AssumeRolePolicyDocument=spec.trust_policy(),
            Description=spec.description,
            Tags=[{"Key": key, "Value": value}],
        )
    except ClientError as error:
        if aws.error_code(error) == "EntityAlreadyExists":
            return False
        raise
    log(spec.name, "created role")
    return True


def _ensure_role(spec: RoleSpec, key: str, value: str, partition: str, done: Ensured) -> None:
    iam = aws.client("iam")
    claim = claim_key(key, value)
    owner = None
    for attempt in range(backoff.ATTEMPTS):
        try:
            tags = _tags(iam.get_role(RoleName=spec.name)["Role"].get("Tags", []))
        except ClientError as error:
            if not aws.is_not_found(error):
                raise
            if _create(spec, key, value):
                # Recorded before its policies, so a failure below still rolls it back.
                _record(done.created, spec.name)
                _reconcile_policies(spec, partition)
                return
            log(spec.name, "role was created concurrently, checking who owns it")
            continue

        owner = tags.get(key)
        if owner == value:
            if releasing_key(key, value) in tags:  # left by an interrupted delete
                iam.untag_role(RoleName=spec.name, TagKeys=[releasing_key(key, value)])
            _reconcile_policies(spec, partition, _attached_policy_arns(spec.name))
            log(spec.name, "role exists and is owned by this stack")
            return
        if owner is None:
            log(spec.name, "role exists and was not made by this project, leaving it as is")
            return
        if tags.get(claim) != value:
            try:
                iam.tag_role(RoleName=spec.name, Tags=[{"Key": claim, "Value": value}])
                _record(done.claimed, spec.name)
                tags = _read_tags(spec.name)
            except ClientError as error:
                if not aws.is_not_found(error):
                    raise
                log(spec.name, "role was deleted while this stack claimed it, creating it")
                continue
        releasing = _release_pending(tags, key)
        if releasing is None:
            log(spec.name, "role belongs to another stack of this project; claimed it", owner=owner)
            return
        # The owner may have decided before this claim landed: wait for its decision.
        log(spec.name, "owner is releasing the role, waiting", owner=releasing)
        backoff.pause(attempt)
    raise RoleBusy(
        f"{spec.name}: another stack ({owner or 'unknown'}) kept creating or releasing this "
        f"role through {backoff.ATTEMPTS} tries; retry once that stack's deploy or delete is done"
    )


def ensure_roles(key: str, value: str, partition: str) -> Ensured:
    """Create the absent roles and claim the reused ones.

    On Create, a failure means no Delete will follow, so what this call did is undone
    before the error propagates.
    """
    done = Ensured()
    try:
        for spec in ROLE_SPECS:
            _ensure_role(spec, key, value, partition, done)
    except Exception:
        roll_back(done, key, value)
        raise
    return done


def roll_back(done: Ensured, key: str, value: str) -> None:
    """Best effort: undo a failed Create's roles and claims, since no Delete will follow."""
    for name in [*done.created, *done.claimed]:
        try:
            release_role(name, key, value)
        except ClientError as error:
            log(name, "could not roll back the role", error=str(error))


def _pages(method: Callable[..., Any], result_key: str, **request: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = method(**request)
        items.extend(page.get(result_key, []))
        if not page.get("IsTruncated"):
            return items
        request["Marker"] = page["Marker"]


def _attached_policy_arns(name: str) -> list[str]:
    iam = aws.client("iam")
    attached = _pages(iam.list_attached_role_policies, "AttachedPolicies", RoleName=name)
    return [p["PolicyArn"] for p in attached]


def _delete_role(name: str) -> None:
    iam = aws.client("iam")
    for arn in _attached_policy_arns(name):
        iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    for policy_name in _pages(iam.list_role_policies, "PolicyNames", RoleName=name):
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def release_role(name: str, key: str, value: str, *, keep: bool = False) -> str:
    """Drop this stack's share of the role; returns what happened, for the log.

    With ``keep`` (SageMaker projects still use the roles), an owner without claimants
    leaves the role in place and drops the project's tags, so no later stack deletes it.
    """
    iam = aws.client("iam")
    mine = claim_key(key, value)
    outcome = "kept"
    try:
        tags = _read_tags(name)
        if mine in tags:
            iam.untag_role(RoleName=name, TagKeys=[mine])
            outcome = "unclaimed"
            tags = _read_tags(name)
        for attempt in range(backoff.ATTEMPTS):
            owner = tags.get(key)
            if owner == value:
                return _release_owned(name, key, value, keep=keep)
            if outcome == "unclaimed" and _release_pending(tags, key):
                # The owner may be handing the role to this stack: wait for its decision.
                log(name, "owner is releasing the role, waiting", owner=owner)
                backoff.pause(attempt)
                tags = _read_tags(name)
                continue
            if outcome == "unclaimed":
                log(name, "released this stack's claim on the role")
            else:
                log(name, "role is not owned by this stack, leaving it as is")
            return outcome
    except ClientError as error:
        if aws.is_not_found(error):
            log(name, "role not found, nothing to delete")
            return "absent"
        raise
    raise RoleBusy(
        f"{name}: stack {owner} is still releasing this role after {backoff.ATTEMPTS} "
        "tries; delete this stack again once that stack's delete has finished"
    )


def _release_owned(name: str, key: str, value: str, *, keep: bool = False) -> str:
    """As the owner: announce, read again, then hand over to a claimant or delete (with
    ``keep``, disown)."""
    iam = aws.client("iam")
    releasing = releasing_key(key, value)
    iam.tag_role(RoleName=name, Tags=[{"Key": releasing, "Value": value}])
    # Decided on this read: a claim written after it sees the announcement and waits.
    claims = _claims(_read_tags(name), key)
    claims.pop(claim_key(key, value), None)
    if claims:
        heir_key = min(claims)
        heir = claims[heir_key]
        iam.tag_role(RoleName=name, Tags=[{"Key": key, "Value": heir}])
        iam.untag_role(RoleName=name, TagKeys=[heir_key, releasing])
        log(name, "role is still used by another stack; handed it over", heir=heir)
        return "handed-over"
    if keep:
        iam.untag_role(RoleName=name, TagKeys=[key, releasing])
        log(name, "SageMaker projects still use the role: kept it, without this project's tags")
        return "kept-for-projects"
    try:
        _delete_role(name)
    except ClientError as error:
        if not aws.is_not_found(error):
            # Claimants wait on the announcement only while the release is under way.
            iam.untag_role(RoleName=name, TagKeys=[releasing])
        raise
    log(name, "deleted role")
    return "deleted"


def release_roles(key: str, value: str, *, keep: bool = False) -> dict[str, str]:
    """Release every role (``keep``: delete none); what happened to each."""
    return {spec.name: release_role(spec.name, key, value, keep=keep) for spec in ROLE_SPECS}
