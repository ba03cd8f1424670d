"""Entry points for the two Studio cleanup custom resources (CDK Provider framework).

StudioAppsCleanup is created after the domain and user profile, so it is deleted before
them: its Delete removes the apps and spaces that block deleting them. It also tags the
domain's home EFS and NFS security groups with the stack's owner tag.

StudioHomeCleanup is created before the domain, so it is deleted after it: its Delete
removes the tagged home file system and security groups, which only works once the
domain is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws, properties
from cr_support.logs import log
from studio_cleanup import apps_and_spaces, home_efs
from studio_cleanup.ownership import OwnerTag


def _owner(props: dict[str, Any]) -> OwnerTag:
    return OwnerTag(
        key=properties.string(props, "OwnerTagKey"),
        value=properties.string(props, "OwnerTagValue"),
    )


def _retain_home(props: dict[str, Any]) -> bool:
    if properties.optional_string(props, "RetainHomeFileSystem") is None:
        return False
    return properties.boolean(props, "RetainHomeFileSystem")


def _poll(resource: str, step: Callable[[], object]) -> dict[str, Any]:
    """Run one delete poll; a throttled poll is simply not complete yet."""
    try:
        return {"IsComplete": bool(step())}
    except ClientError as error:
        if aws.is_throttling(error):
            log(resource, "throttled, retrying next poll", error=aws.error_code(error))
            return {"IsComplete": False}
        raise


def _begin(event: dict[str, Any], kind: str, key: str) -> tuple[dict[str, Any], str, str]:
    """The properties, the ``key`` property that names the resource in logs, and the
    physical ID (``<kind>-<that value>``, or the one a Delete carries)."""
    props = event["ResourceProperties"]
    value = properties.string(props, key)
    log(value, f"{event['RequestType']} {kind}")
    physical_id = f"{kind}-{value}"
    if event["RequestType"] == "Delete":
        # is_complete does the deleting, poll by poll.
        physical_id = event.get("PhysicalResourceId") or physical_id
    return props, value, physical_id


def apps_on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    props, domain_id, physical_id = _begin(event, "studio-apps-cleanup", "DomainId")
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": physical_id}
    vpc_id = properties.string(props, "VpcId")
    file_system_id = home_efs.tag_home_resources(domain_id, vpc_id, _owner(props))
    return {
        "PhysicalResourceId": physical_id,
        "Data": {"HomeEfsFileSystemId": file_system_id or ""},
    }


def apps_is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event["RequestType"] != "Delete":
        return {"IsComplete": True}
    props = event["ResourceProperties"]
    domain_id = properties.string(props, "DomainId")
    keep = properties.optional_string(props, "UserProfileName")
    return _poll(domain_id, lambda: apps_and_spaces.cleanup_step(domain_id, keep_profile=keep))


def home_on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    props, _, physical_id = _begin(event, "studio-home-cleanup", "VpcId")
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": physical_id}
    # Fail the deploy early on a missing or malformed property, not at delete time.
    _owner(props)
    _retain_home(props)
    return {"PhysicalResourceId": physical_id}


def home_is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event["RequestType"] != "Delete":
        return {"IsComplete": True}
    props = event["ResourceProperties"]
    vpc_id = properties.string(props, "VpcId")
    if _retain_home(props):
        log(vpc_id, "RetainHomeFileSystem is true: keeping home file systems and NFS groups")
        return {"IsComplete": True}
    owner = _owner(props)
    dedicated = properties.boolean(props, "DedicatedVpc", False)
    return _poll(vpc_id, lambda: home_efs.cleanup_step(vpc_id, owner, dedicated))


_Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# One provider serves both kinds; the resource type picks the handler.
_HANDLERS: dict[str, tuple[_Handler, _Handler]] = {
    "Custom::StudioAppsCleanup": (apps_on_event, apps_is_complete),
    "Custom::StudioHomeCleanup": (home_on_event, home_is_complete),
}


def _handlers(event: dict[str, Any]) -> tuple[_Handler, _Handler]:
    kind = event.get("ResourceType", "")
    if kind not in _HANDLERS:
        raise ValueError(f"unsupported ResourceType {kind!r}; expected one of {sorted(_HANDLERS)}")
    return _HANDLERS[kind]


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _handlers(event)[0](event, context)


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _handlers(event)[1](event, context)
