"""Ensure the account-wide Projects/JumpStart roles exist, and remove only this stack's share.

The names are fixed and shared by every stack in the account (see role_specs), so:

- a role is created only when it is absent, tagged ``<owner key> = <this stack>``;
- a role another stack of this project created (it carries the owner key with another
  value) is *claimed*: this stack adds ``<owner key>:claim:<hash of its stack ID> = <stack ID>``;
- a role with neither (made by the console or by hand) is left exactly as it is;
- on delete, a stack removes its claim; the owner deletes a role only when no claim is
  left, and otherwise hands it to a claimant (owner tag rewritten, that claim removed), so
  the last stack standing removes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log
from projects_enablement.role_specs import ROLE_PATH, ROLE_SPECS, RoleSpec

CLAIM_INFIX = ":claim:"


def claim_key(owner_key: str, stack: str) -> str:
    """The tag key with which ``stack`` claims a role it reused (keys are capped at 128)."""
    return f"{owner_key}{CLAIM_INFIX}{hashlib.sha256(stack.encode()).hexdigest()[:16]}"


@dataclass
class Ensured:
    """What one ensure pass did, so that a failed Create can undo exactly that."""

    created: list[str] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)


def _tags(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


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
    try:
        tags = _tags(iam.get_role(RoleName=spec.name)["Role"].get("Tags", []))
    except ClientError as error:
        if not aws.is_not_found(error):
            raise
        if _create(spec, key, value):
            # Recorded before its policies, so a failure below still rolls it back.
            done.created.append(spec.name)
            _reconcile_policies(spec, partition)
            return
        log(spec.name, "role was created concurrently, checking who owns it")
        tags = _tags(iam.get_role(RoleName=spec.name)["Role"].get("Tags", []))

    owner = tags.get(key)
    if owner == value:
        _reconcile_policies(spec, partition, _attached_policy_arns(spec.name))
        log(spec.name, "role exists and is owned by this stack")
    elif owner is not None:
        claim = claim_key(key, value)
        if tags.get(claim) != value:
            iam.tag_role(RoleName=spec.name, Tags=[{"Key": claim, "Value": value}])
            done.claimed.append(spec.name)
        log(spec.name, "role belongs to another stack of this project; claimed it", owner=owner)
    else:
        log(spec.name, "role exists and was not made by this project, leaving it as is")


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


def _pages(method, result_key: str, **request) -> list:
    items: list = []
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


def release_role(name: str, key: str, value: str) -> str:
    """Drop this stack's share of the role; returns what happened, for the log."""
    iam = aws.client("iam")
    try:
        tags = _tags(_pages(iam.list_role_tags, "Tags", RoleName=name))
        mine = claim_key(key, value)
        if mine in tags:
            iam.untag_role(RoleName=name, TagKeys=[mine])
            log(name, "released this stack's claim on the role")
            return "unclaimed"
        if tags.get(key) != value:
            log(name, "role is not owned by this stack, leaving it as is")
            return "kept"
        claims = sorted(k for k in tags if k.startswith(key + CLAIM_INFIX))
        if claims:
            heir = tags[claims[0]]
            iam.tag_role(RoleName=name, Tags=[{"Key": key, "Value": heir}])
            iam.untag_role(RoleName=name, TagKeys=[claims[0]])
            log(name, "role is still used by another stack; handed it over", heir=heir)
            return "handed-over"
        _delete_role(name)
    except ClientError as error:
        if aws.is_not_found(error):
            log(name, "role not found, nothing to delete")
            return "absent"
        raise
    log(name, "deleted role")
    return "deleted"


def release_roles(key: str, value: str) -> list[str]:
    """Release every role; return the names this stack deleted."""
    return [spec.name for spec in ROLE_SPECS if release_role(spec.name, key, value) == "deleted"]
