"""Tag, and after the domain is gone delete, a domain's home EFS and its NFS security groups.

DeleteDomain keeps the home file system by default, and SageMaker leaves the inbound and
outbound NFS groups in the VPC, where they block deleting it. CloudFormation cannot see
either, so the stack tags them while the domain exists and deletes what carries its tag
once the domain is gone.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log
from studio_cleanup.ownership import (
    DOMAIN_ALIVE,
    DOMAIN_DELETING,
    SAGEMAKER_DOMAIN_TAG,
    OwnerTag,
    describe_domain,
    domain_id_from_group_name,
    domain_id_from_tags,
    domain_state,
    nfs_security_group_names,
)

EFS_NOT_FOUND = ("FileSystemNotFound", "MountTargetNotFound")
EC2_NOT_FOUND = ("InvalidGroup.NotFound", "InvalidPermission.NotFound")
GONE_STATES = frozenset({"deleting", "deleted"})


def tag_home_resources(domain_id: str, vpc_id: str, owner: OwnerTag) -> str | None:
    """Tag the domain's home file system and NFS groups; return the file system ID."""
    domain = describe_domain(domain_id)
    if domain is None:
        raise RuntimeError(f"domain {domain_id} not found; cannot tag its home resources")
    file_system_id = domain.get("HomeEfsFileSystemId")
    if file_system_id:
        aws.client("efs").tag_resource(ResourceId=file_system_id, Tags=owner.as_tags())
        log(domain_id, "tagged home file system", file_system_id=file_system_id)
    else:
        log(domain_id, "domain reports no home file system")

    names = nfs_security_group_names(domain_id)
    groups = (
        aws.client("ec2")
        .describe_security_groups(
            Filters=[
                {"Name": "group-name", "Values": names},
                {"Name": "vpc-id", "Values": [vpc_id]},
            ]
        )
        .get("SecurityGroups", [])
    )
    found = {group["GroupName"]: group["GroupId"] for group in groups}
    missing = [name for name in names if name not in found]
    if missing:
        log(domain_id, "NFS security groups not found", missing=missing, vpc_id=vpc_id)
    if found:
        aws.client("ec2").create_tags(Resources=sorted(found.values()), Tags=owner.as_tags())
        log(domain_id, "tagged NFS security groups", groups=found)
    return file_system_id


class _DomainGuard:
    """Never delete the home of a domain that still exists (e.g. a replacement domain)."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}

    def state(self, domain_id: str | None) -> str | None:
        if domain_id is None:
            return None
        if domain_id not in self._states:
            self._states[domain_id] = domain_state(domain_id)
        return self._states[domain_id]


def tagged_file_systems(owner: OwnerTag, vpc_id: str | None = None) -> list[dict[str, Any]]:
    """File systems with the owner tag; with ``vpc_id``, also SageMaker's in that VPC.

    SageMaker tags a domain's home EFS with the domain's ARN from the start, so a deploy
    that failed before the stack's own tagging step still finds it
    (docs/ARCHITECTURE.md, "Studio facts").
    """
    client = aws.client("efs")
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {}
    while True:
        page = client.describe_file_systems(**request)
        for fs in page.get("FileSystems", []):
            if owner.matches(fs.get("Tags")):
                found.append(fs)
            elif vpc_id and domain_id_from_tags(fs.get("Tags")) and _in_vpc(fs, vpc_id):
                # Claim it first: once its mount targets are gone, nothing ties it to the VPC.
                client.tag_resource(ResourceId=fs["FileSystemId"], Tags=owner.as_tags())
                log(
                    vpc_id,
                    "claimed SageMaker's home file system",
                    file_system_id=fs["FileSystemId"],
                )
                found.append(fs)
        if not page.get("NextMarker"):
            return found
        request["Marker"] = page["NextMarker"]


def _in_vpc(file_system: dict[str, Any], vpc_id: str) -> bool:
    targets = _mount_targets(file_system["FileSystemId"])
    return any(target.get("VpcId") == vpc_id for target in targets)


def _mount_targets(file_system_id: str) -> list[dict[str, Any]]:
    client = aws.client("efs")
    targets: list[dict[str, Any]] = []
    request: dict[str, Any] = {"FileSystemId": file_system_id}
    while True:
        page = client.describe_mount_targets(**request)
        targets.extend(page.get("MountTargets", []))
        if not page.get("NextMarker"):
            return targets
        request["Marker"] = page["NextMarker"]


def _delete_mount_targets(resource: str, file_system_id: str) -> int:
    """Issue deletes for live mount targets; return how many still exist."""
    remaining = 0
    for target in _mount_targets(file_system_id):
        state = target.get("LifeCycleState", "")
        if state == "deleted":
            continue
        remaining += 1
        if state == "deleting":
            continue
        try:
            aws.client("efs").delete_mount_target(MountTargetId=target["MountTargetId"])
        except ClientError as error:
            if aws.is_not_found(error, *EFS_NOT_FOUND):
                remaining -= 1
                continue
            raise
        log(resource, "deleting mount target", mount_target_id=target["MountTargetId"])
    return remaining


def _file_systems_step(
    owner: OwnerTag, guard: _DomainGuard, fallback: str, vpc_id: str | None
) -> bool:
    """Delete mount targets, then file systems. True while something is still pending."""
    pending = False
    for fs in tagged_file_systems(owner, vpc_id):
        fs_id = fs["FileSystemId"]
        domain_id = domain_id_from_tags(fs.get("Tags"))
        resource = domain_id or fallback
        if fs.get("LifeCycleState") in GONE_STATES:
            continue
        state = guard.state(domain_id)
        if state == DOMAIN_ALIVE:
            log(resource, "domain still exists, keeping its home file system", file_system_id=fs_id)
            continue
        if state == DOMAIN_DELETING:
            pending = True
            continue
        try:
            remaining = _delete_mount_targets(resource, fs_id)
            if remaining:
                log(resource, "waiting for mount targets", file_system_id=fs_id, left=remaining)
                pending = True
                continue
            aws.client("efs").delete_file_system(FileSystemId=fs_id)
        except ClientError as error:
            if aws.is_not_found(error, *EFS_NOT_FOUND):
                continue
            if aws.error_code(error) == "FileSystemInUse":
                pending = True
                continue
            raise
        log(resource, "deleted home file system", file_system_id=fs_id)
    return pending


def tagged_security_groups(
    vpc_id: str, owner: OwnerTag, sagemaker_managed: bool = False
) -> list[dict[str, Any]]:
    """Groups in the VPC with the owner tag, and optionally SageMaker's NFS groups there."""
    tag_filters = [{"Name": f"tag:{owner.key}", "Values": [owner.value]}]
    if sagemaker_managed:
        tag_filters.append({"Name": "tag-key", "Values": [SAGEMAKER_DOMAIN_TAG]})
    client = aws.client("ec2")
    groups: dict[str, dict[str, Any]] = {}
    for tag_filter in tag_filters:
        request: dict[str, Any] = {"Filters": [tag_filter, {"Name": "vpc-id", "Values": [vpc_id]}]}
        while True:
            page = client.describe_security_groups(**request)
            for group in page.get("SecurityGroups", []):
                if tag_filter is tag_filters[0] or domain_id_from_group_name(group["GroupName"]):
                    groups[group["GroupId"]] = group
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return list(groups.values())


def _request_permission(permission: dict[str, Any]) -> dict[str, Any]:
    """Keep only the fields that identify a rule, so it can be revoked as described."""
    rule: dict[str, Any] = {"IpProtocol": permission["IpProtocol"]}
    for port in ("FromPort", "ToPort"):
        if port in permission:
            rule[port] = permission[port]
    ranges = [{"CidrIp": r["CidrIp"]} for r in permission.get("IpRanges", [])]
    ipv6 = [{"CidrIpv6": r["CidrIpv6"]} for r in permission.get("Ipv6Ranges", [])]
    prefixes = [{"PrefixListId": p["PrefixListId"]} for p in permission.get("PrefixListIds", [])]
    pairs = [
        {k: v for k, v in pair.items() if k in ("GroupId", "UserId")}
        for pair in permission.get("UserIdGroupPairs", [])
    ]
    for key, value in (
        ("IpRanges", ranges),
        ("Ipv6Ranges", ipv6),
        ("PrefixListIds", prefixes),
        ("UserIdGroupPairs", pairs),
    ):
        if value:
            rule[key] = value
    return rule


def _revoke_all_rules(resource: str, group: dict[str, Any]) -> None:
    # The inbound and outbound NFS groups reference each other, which blocks deleting
    # either one while the other's rules still exist.
    ec2 = aws.client("ec2")
    group_id = group["GroupId"]
    for field, revoke in (
        ("IpPermissions", ec2.revoke_security_group_ingress),
        ("IpPermissionsEgress", ec2.revoke_security_group_egress),
    ):
        rules = [_request_permission(p) for p in group.get(field, [])]
        if not rules:
            continue
        try:
            revoke(GroupId=group_id, IpPermissions=rules)
        except ClientError as error:
            if not aws.is_not_found(error, *EC2_NOT_FOUND):
                raise
        else:
            log(resource, "revoked rules", group_id=group_id, direction=field, count=len(rules))


def _security_groups_step(
    vpc_id: str, owner: OwnerTag, guard: _DomainGuard, sagemaker_managed: bool
) -> bool:
    """Revoke all rules of every tagged group, then delete them. True while any remain."""
    pending = False
    deletable: list[tuple[str, dict[str, Any]]] = []
    for group in tagged_security_groups(vpc_id, owner, sagemaker_managed):
        domain_id = domain_id_from_group_name(group.get("GroupName", ""))
        resource = domain_id or vpc_id
        state = guard.state(domain_id)
        if state == DOMAIN_ALIVE:
            log(resource, "domain still exists, keeping its NFS group", group_id=group["GroupId"])
            continue
        if state == DOMAIN_DELETING:
            pending = True
            continue
        deletable.append((resource, group))

    for resource, group in deletable:
        _revoke_all_rules(resource, group)
    for resource, group in deletable:
        group_id = group["GroupId"]
        try:
            aws.client("ec2").delete_security_group(GroupId=group_id)
        except ClientError as error:
            if aws.is_not_found(error, *EC2_NOT_FOUND):
                continue
            if aws.error_code(error) == "DependencyViolation":
                # Network interfaces of deleting mount targets are still attached.
                log(resource, "group still in use, retrying next poll", group_id=group_id)
                pending = True
                continue
            raise
        log(resource, "deleted NFS security group", group_id=group_id)
    return pending


def cleanup_step(vpc_id: str, owner: OwnerTag, sagemaker_managed: bool = False) -> bool:
    """One poll of the delete. True once no tagged file system or group is left.

    With ``sagemaker_managed`` (the stack's own, dedicated VPC), SageMaker-tagged home
    file systems and NFS groups of domains that no longer exist are removed too.
    """
    guard = _DomainGuard()
    scope = vpc_id if sagemaker_managed else None
    file_systems_pending = _file_systems_step(owner, guard, fallback=vpc_id, vpc_id=scope)
    groups_pending = _security_groups_step(vpc_id, owner, guard, sagemaker_managed)
    done = not (file_systems_pending or groups_pending)
    log(vpc_id, "home cleanup poll", done=done)
    return done
