"""StudioAppsCleanup: tagging on Create, app and space deletion polls on Delete (Stubber)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from studio_cleanup import handler
from tests.fixtures import cfn_event

DOMAIN = "d-abc123"
VPC = "vpc-0123456789abcdef0"
KEY = "autopilot-studio:owner-stack"
STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/dev/1234"
OWNER_TAGS = [{"Key": KEY, "Value": STACK}]
INBOUND = f"security-group-for-inbound-nfs-{DOMAIN}"
OUTBOUND = f"security-group-for-outbound-nfs-{DOMAIN}"


def event(request: str, **extra) -> dict:
    properties = {"DomainId": DOMAIN, "VpcId": VPC, "OwnerTagKey": KEY, "OwnerTagValue": STACK}
    body = cfn_event(
        request,
        properties,
        logical_id="StudioAppsCleanup",
        resource_type="Custom::StudioAppsCleanup",
        stack_id=STACK,
    )
    return {**body, **extra}


def delete_event() -> dict:
    return event("Delete", PhysicalResourceId=f"studio-apps-cleanup-{DOMAIN}")


def domain(fs_id: str | None = "fs-0abc") -> dict:
    body = {"DomainId": DOMAIN, "Status": "InService"}
    if fs_id:
        body["HomeEfsFileSystemId"] = fs_id
    return body


def group_filters() -> list[dict]:
    return [
        {"Name": "group-name", "Values": [INBOUND, OUTBOUND]},
        {"Name": "vpc-id", "Values": [VPC]},
    ]


def app(name: str, status: str, *, user: str | None = None, space: str | None = None) -> dict:
    body = {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": name, "Status": status}
    if user:
        body["UserProfileName"] = user
    if space:
        body["SpaceName"] = space
    return body


def expect_apps(sm, apps: list) -> None:
    """A poll's first reads: the domain, then one page of its apps."""
    sm.add_response("describe_domain", domain(), {"DomainId": DOMAIN})
    sm.add_response("list_apps", {"Apps": apps}, {"DomainIdEquals": DOMAIN})


def expect_spaces(sm, spaces: list) -> None:
    sm.add_response("list_spaces", {"Spaces": spaces}, {"DomainIdEquals": DOMAIN})


class TestCreate:
    def test_tags_home_file_system_and_both_nfs_groups(self, stub):
        sagemaker, efs, ec2 = stub("sagemaker"), stub("efs"), stub("ec2")
        sagemaker.add_response("describe_domain", domain(), {"DomainId": DOMAIN})
        efs.add_response("tag_resource", {}, {"ResourceId": "fs-0abc", "Tags": OWNER_TAGS})
        ec2.add_response(
            "describe_security_groups",
            {
                "SecurityGroups": [
                    {"GroupId": "sg-0bbb", "GroupName": OUTBOUND},
                    {"GroupId": "sg-0aaa", "GroupName": INBOUND},
                ]
            },
            {"Filters": group_filters()},
        )
        ec2.add_response(
            "create_tags", {}, {"Resources": ["sg-0aaa", "sg-0bbb"], "Tags": OWNER_TAGS}
        )

        result = handler.apps_on_event(event("Create"))

        assert result == {
            "PhysicalResourceId": f"studio-apps-cleanup-{DOMAIN}",
            "Data": {"HomeEfsFileSystemId": "fs-0abc"},
        }

    def test_missing_groups_and_file_system_are_logged_not_fatal(self, stub):
        sagemaker, ec2 = stub("sagemaker"), stub("ec2")
        stub("efs")  # no TagResource may happen without a home file system
        sagemaker.add_response("describe_domain", domain(fs_id=None), {"DomainId": DOMAIN})
        ec2.add_response(
            "describe_security_groups",
            {"SecurityGroups": [{"GroupId": "sg-0aaa", "GroupName": INBOUND}]},
            {"Filters": group_filters()},
        )
        ec2.add_response("create_tags", {}, {"Resources": ["sg-0aaa"], "Tags": OWNER_TAGS})

        result = handler.apps_on_event(event("Update", PhysicalResourceId="old"))

        assert result["PhysicalResourceId"] == f"studio-apps-cleanup-{DOMAIN}"
        assert result["Data"] == {"HomeEfsFileSystemId": ""}

    def test_no_groups_at_all_creates_no_tags(self, stub):
        sagemaker, efs, ec2 = stub("sagemaker"), stub("efs"), stub("ec2")
        sagemaker.add_response("describe_domain", domain(), {"DomainId": DOMAIN})
        efs.add_response("tag_resource", {}, {"ResourceId": "fs-0abc", "Tags": OWNER_TAGS})
        ec2.add_response(
            "describe_security_groups", {"SecurityGroups": []}, {"Filters": group_filters()}
        )

        handler.apps_on_event(event("Create"))

    def test_missing_domain_fails_create(self, stub):
        stub("sagemaker").add_client_error(
            "describe_domain", "ResourceNotFound", "Domain not found", 400
        )
        with pytest.raises(RuntimeError, match=DOMAIN):
            handler.apps_on_event(event("Create"))

    def test_is_complete_for_create_makes_no_calls(self, stub):
        stub("sagemaker")
        assert handler.apps_is_complete(event("Create")) == {"IsComplete": True}


class TestDelete:
    def test_on_event_only_returns_the_physical_id(self, stub):
        stub("sagemaker")
        assert handler.apps_on_event(delete_event()) == {
            "PhysicalResourceId": f"studio-apps-cleanup-{DOMAIN}"
        }

    def test_deletes_live_apps_across_pages_and_skips_finished_or_deleting(self, stub):
        sm = stub("sagemaker")
        sm.add_response("describe_domain", domain(), {"DomainId": DOMAIN})
        sm.add_response(
            "list_apps",
            {
                "Apps": [
                    app("default", "InService", user="alice"),
                    app("old", "Deleted", user="alice"),
                ],
                "NextToken": "page-2",
            },
            {"DomainIdEquals": DOMAIN},
        )
        sm.add_response(
            "list_apps",
            {
                "Apps": [
                    app("going", "Deleting", space="bob-space"),
                    app("booting", "Pending", space="lab"),
                    app("broken", "Failed", user="alice"),
                ]
            },
            {"DomainIdEquals": DOMAIN, "NextToken": "page-2"},
        )
        sm.add_response(
            "delete_app",
            {},
            {
                "DomainId": DOMAIN,
                "AppType": "JupyterLab",
                "AppName": "default",
                "UserProfileName": "alice",
            },
        )
        sm.add_response(
            "delete_app",
            {},
            {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "booting", "SpaceName": "lab"},
        )

        # Spaces are not touched while apps are still on their way out.
        assert handler.apps_is_complete(delete_event()) == {"IsComplete": False}

    def test_deletes_spaces_once_apps_are_finished(self, stub):
        sm = stub("sagemaker")
        expect_apps(sm, [app("old", "Deleted", space="lab")])
        expect_spaces(sm, [{"DomainId": DOMAIN, "SpaceName": "lab", "Status": "InService"}])
        sm.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "lab"})

        assert handler.apps_is_complete(delete_event()) == {"IsComplete": False}

    def test_space_pagination_and_deleting_space_not_reissued(self, stub):
        sm = stub("sagemaker")
        expect_apps(sm, [])
        sm.add_response(
            "list_spaces",
            {
                "Spaces": [{"DomainId": DOMAIN, "SpaceName": "a", "Status": "Deleting"}],
                "NextToken": "t2",
            },
            {"DomainIdEquals": DOMAIN},
        )
        sm.add_response(
            "list_spaces",
            {"Spaces": [{"DomainId": DOMAIN, "SpaceName": "b", "Status": "Delete_Failed"}]},
            {"DomainIdEquals": DOMAIN, "NextToken": "t2"},
        )
        sm.add_response("delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "b"})

        assert handler.apps_is_complete(delete_event()) == {"IsComplete": False}

    @pytest.mark.parametrize(
        ("apps", "delete_says"),
        [
            ([app("x", "Deleted", user="alice"), app("y", "Failed", space="s")], None),
            # An app already gone counts as done.
            ([app("x", "InService", user="alice")], "App does not exist"),
        ],
        ids=["all-finished", "already-gone"],
    )
    def test_complete_when_no_app_or_space_is_left(self, stub, apps, delete_says):
        sm = stub("sagemaker")
        expect_apps(sm, apps)
        if delete_says:
            sm.add_client_error("delete_app", "ResourceNotFound", delete_says, 400)
        expect_spaces(sm, [])

        assert handler.apps_is_complete(delete_event()) == {"IsComplete": True}

    def test_busy_app_and_space_retry_next_poll(self, stub):
        sm = stub("sagemaker")
        expect_apps(sm, [app("x", "Pending", space="lab")])
        sm.add_client_error("delete_app", "ValidationException", "App is still starting", 400)
        assert handler.apps_is_complete(delete_event()) == {"IsComplete": False}

        expect_apps(sm, [])
        expect_spaces(sm, [{"DomainId": DOMAIN, "SpaceName": "lab", "Status": "Updating"}])
        sm.add_client_error("delete_space", "ResourceInUse", "Space is updating", 400)
        assert handler.apps_is_complete(delete_event()) == {"IsComplete": False}

    def test_refused_delete_of_a_running_app_fails(self, stub):
        sm = stub("sagemaker")
        expect_apps(sm, [app("x", "InService", user="alice")])
        sm.add_client_error("delete_app", "ValidationException", "bad app type", 400)

        with pytest.raises(ClientError, match="bad app type"):
            handler.apps_is_complete(delete_event())

    def test_missing_domain_means_nothing_to_do(self, stub):
        stub("sagemaker").add_client_error(
            "describe_domain", "ResourceNotFound", f"Domain {DOMAIN} not found", 400
        )
        assert handler.apps_is_complete(delete_event()) == {"IsComplete": True}

    @pytest.mark.parametrize("operation", ["describe_domain", "list_apps"])
    def test_throttled_poll_is_not_complete(self, stub, operation):
        sm = stub("sagemaker")
        if operation == "list_apps":
            sm.add_response("describe_domain", domain(), {"DomainId": DOMAIN})
        sm.add_client_error(operation, "ThrottlingException", "Rate exceeded", 400)

        assert handler.apps_is_complete(delete_event()) == {"IsComplete": False}

    def test_unexpected_error_fails_the_delete(self, stub):
        sm = stub("sagemaker")
        sm.add_response("describe_domain", domain(), {"DomainId": DOMAIN})
        sm.add_client_error("list_apps", "AccessDeniedException", "not allowed", 400)

        with pytest.raises(ClientError, match="AccessDenied"):
            handler.apps_is_complete(delete_event())
