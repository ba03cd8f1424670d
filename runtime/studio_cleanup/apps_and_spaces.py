"""Delete the Studio apps and spaces users started in the UI.

They block deleting the user profile and the domain, and CloudFormation does not know
about them. Each call to ``cleanup_step`` is one poll: it (re)issues deletes and says
whether anything is still on its way out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log
from studio_cleanup.ownership import describe_domain

# Apps in these states hold nothing and need no delete.
FINISHED_APP_STATUSES = frozenset({"Deleted", "Failed"})
DELETING = "Deleting"
# Still starting or updating: SageMaker may refuse the delete until they settle.
SETTLING_STATUSES = frozenset({"Pending", "Updating"})


def _retry_later(error: ClientError, status: str) -> bool:
    code = aws.error_code(error)
    return code == "ResourceInUse" or (
        status in SETTLING_STATUSES and code == "ValidationException"
    )


def _list_all(operation: str, result_key: str, domain_id: str) -> list[dict[str, Any]]:
    """Every page of a SageMaker List call filtered to the domain."""
    client = aws.client("sagemaker")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"DomainIdEquals": domain_id}
    while True:
        page = getattr(client, operation)(**request)
        items.extend(page.get(result_key, []))
        if not page.get("NextToken"):
            return items
        request["NextToken"] = page["NextToken"]


def list_apps(domain_id: str) -> list[dict[str, Any]]:
    return _list_all("list_apps", "Apps", domain_id)


def list_spaces(domain_id: str) -> list[dict[str, Any]]:
    return _list_all("list_spaces", "Spaces", domain_id)


def _app_owner(app: dict[str, Any]) -> dict[str, str]:
    # An app belongs to a user profile (Studio Classic) or to a space (new Studio UI).
    if app.get("SpaceName"):
        return {"SpaceName": app["SpaceName"]}
    if app.get("UserProfileName"):
        return {"UserProfileName": app["UserProfileName"]}
    return {}


def delete_apps(domain_id: str) -> int:
    """Issue DeleteApp for every live app; return how many apps are not finished yet."""
    client = aws.client("sagemaker")
    pending = 0
    for app in list_apps(domain_id):
        status = app.get("Status", "")
        if status in FINISHED_APP_STATUSES:
            continue
        pending += 1
        if status == DELETING:
            continue
        request = {
            "DomainId": domain_id,
            "AppType": app["AppType"],
            "AppName": app["AppName"],
            **_app_owner(app),
        }
        if not _delete(domain_id, client.delete_app, request, status, kind="app"):
            pending -= 1
    return pending


def delete_spaces(domain_id: str) -> int:
    """Issue DeleteSpace for every space not already deleting; return how many remain."""
    client = aws.client("sagemaker")
    spaces = list_spaces(domain_id)
    for space in spaces:
        name = space["SpaceName"]
        status = space.get("Status", "")
        if status == DELETING:
            continue
        request = {"DomainId": domain_id, "SpaceName": name}
        _delete(domain_id, client.delete_space, request, status, kind="space")
    return len(spaces)


def _delete(
    domain_id: str,
    delete: Callable[..., Any],
    request: dict[str, str],
    status: str,
    *,
    kind: str,
) -> bool:
    """Issue one delete; False when the app or space is already gone. One that is busy
    (still starting, say) is left for the next poll."""
    try:
        delete(**request)
    except ClientError as error:
        if aws.is_not_found(error):
            return False
        if not _retry_later(error, status):
            raise
        log(domain_id, f"{kind} busy, retrying next poll", request=request, status=status)
        return True
    log(domain_id, f"deleting {kind}", request=request, status=status)
    return True


def delete_extra_profiles(domain_id: str, keep_profile: str | None) -> int:
    """Delete user profiles added outside the stack; they block deleting the domain."""
    client = aws.client("sagemaker")
    profiles = _list_all("list_user_profiles", "UserProfiles", domain_id)
    extra = [p for p in profiles if p["UserProfileName"] != keep_profile]
    for profile in extra:
        if profile.get("Status") == DELETING:
            continue
        try:
            client.delete_user_profile(
                DomainId=domain_id, UserProfileName=profile["UserProfileName"]
            )
        except ClientError as error:
            if aws.is_not_found(error):
                continue
            if not _retry_later(error, profile.get("Status", "")):
                raise
        log(
            domain_id,
            "deleting user profile added outside the stack",
            profile=profile["UserProfileName"],
        )
    return len(extra)


def cleanup_step(domain_id: str, keep_profile: str | None = None) -> bool:
    """One poll of the delete: apps, spaces, then extra profiles. True once nothing is left."""
    if describe_domain(domain_id) is None:
        log(domain_id, "domain not found, nothing to clean up")
        return True
    pending_apps = delete_apps(domain_id)
    if pending_apps:
        log(domain_id, "waiting for apps to delete", pending_apps=pending_apps)
        return False
    pending_spaces = delete_spaces(domain_id)
    if pending_spaces:
        log(domain_id, "waiting for spaces to delete", pending_spaces=pending_spaces)
        return False
    if keep_profile is not None:
        pending_profiles = delete_extra_profiles(domain_id, keep_profile)
        if pending_profiles:
            log(domain_id, "waiting for extra user profiles", pending_profiles=pending_profiles)
            return False
    log(domain_id, "no apps, spaces or extra profiles left")
    return True
