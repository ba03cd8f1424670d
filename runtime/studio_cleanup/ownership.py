"""The owner tag that marks the home resources this stack may delete, and domain liveness."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from botocore.exceptions import ClientError

from cr_support import aws

# SageMaker tags the home EFS file system with the ARN of the domain that owns it.
SAGEMAKER_DOMAIN_TAG = "ManagedByAmazonSageMakerResource"
_DOMAIN_ARN_ID = re.compile(r":domain/(d-[a-z0-9]+)$")
_NFS_GROUP_NAME = re.compile(r"^security-group-for-(?:inbound|outbound)-nfs-(d-[a-z0-9]+)$")

DOMAIN_GONE = "gone"
DOMAIN_DELETING = "deleting"
DOMAIN_ALIVE = "alive"


@dataclass(frozen=True)
class OwnerTag:
    key: str
    value: str

    def as_tags(self) -> list[dict[str, str]]:
        """EFS TagResource and EC2 CreateTags both take [{Key, Value}]."""
        return [{"Key": self.key, "Value": self.value}]

    def matches(self, tags: list[dict[str, Any]] | None) -> bool:
        return any(t.get("Key") == self.key and t.get("Value") == self.value for t in tags or [])


def nfs_security_group_names(domain_id: str) -> list[str]:
    """The two groups SageMaker creates for the home EFS mount targets of a domain."""
    return [
        f"security-group-for-inbound-nfs-{domain_id}",
        f"security-group-for-outbound-nfs-{domain_id}",
    ]


def domain_id_from_tags(tags: list[dict[str, Any]] | None) -> str | None:
    for tag in tags or []:
        if tag.get("Key") == SAGEMAKER_DOMAIN_TAG:
            match = _DOMAIN_ARN_ID.search(str(tag.get("Value", "")))
            return match.group(1) if match else None
    return None


def domain_id_from_group_name(name: str) -> str | None:
    match = _NFS_GROUP_NAME.match(name or "")
    return match.group(1) if match else None


def describe_domain(domain_id: str) -> dict[str, Any] | None:
    """DescribeDomain, or None once the domain no longer exists."""
    try:
        return cast(dict[str, Any], aws.client("sagemaker").describe_domain(DomainId=domain_id))
    except ClientError as error:
        if aws.is_not_found(error):
            return None
        raise


def domain_state(domain_id: str) -> str:
    """gone, deleting or alive; a live domain keeps its home file system and groups."""
    domain = describe_domain(domain_id)
    if domain is None:
        return DOMAIN_GONE
    if domain.get("Status") == "Deleting":
        return DOMAIN_DELETING
    return DOMAIN_ALIVE
