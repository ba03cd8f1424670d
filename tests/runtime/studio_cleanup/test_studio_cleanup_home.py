"""StudioHomeCleanup: the home EFS and NFS groups, tagged on Create, deleted after the domain.

Lifecycle tests run EFS, EC2 (and SageMaker where moto has it) in moto; the cases moto
cannot produce (DependencyViolation, mount targets in the deleting state) use Stubber.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from cr_support import aws
from studio_cleanup import handler
from tests.fixtures import REGION, cfn_event

DOMAIN = "d-abc123"
KEY = "autopilot-studio:owner-stack"
STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/dev/1234"
OWNER_TAGS = [{"Key": KEY, "Value": STACK}]
SAGEMAKER_TAG = "ManagedByAmazonSageMakerResource"
HOME_FS = "fs-0123456789abcdef0"
OTHER_FS = "fs-0fedcba9876543210"


def domain_arn(domain_id: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:111111111111:domain/{domain_id}"


def props(vpc_id: str, **extra) -> dict:
    return {"VpcId": vpc_id, "OwnerTagKey": KEY, "OwnerTagValue": STACK, **extra}


def home_event(request: str, vpc_id: str, **extra_props) -> dict:
    return cfn_event(
        request,
        props(vpc_id, **extra_props),
        logical_id="StudioHomeCleanup",
        resource_type="Custom::StudioHomeCleanup",
        physical_id=None if request == "Create" else f"studio-home-cleanup-{vpc_id}",
        stack_id=STACK,
    )


def apps_create_event(vpc_id: str, domain_id: str = DOMAIN) -> dict:
    return {
        "RequestType": "Create",
        "StackId": STACK,
        "LogicalResourceId": "StudioAppsCleanup",
        "ResourceProperties": {**props(vpc_id), "DomainId": domain_id},
    }


def finish(event: dict, max_polls: int = 10) -> int:
    """Poll is_complete like the Provider framework does; return the number of polls."""
    for poll in range(1, max_polls + 1):
        if handler.home_is_complete(event)["IsComplete"]:
            return poll
    raise AssertionError(f"not complete after {max_polls} polls")


class World:
    """A VPC holding a Studio-like home: EFS with mount targets and the two NFS groups."""

    def __init__(self, ec2, efs):
        self.ec2, self.efs = ec2, efs
        self.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            ec2.create_subnet(
                VpcId=self.vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}"
            )["Subnet"]["SubnetId"]
            for i, az in enumerate("ab")
        ]

    def group(self, name: str, vpc: str | None = None) -> str:
        return self.ec2.create_security_group(
            GroupName=name, Description=name, VpcId=vpc or self.vpc
        )["GroupId"]

    def home(self, domain_id: str) -> tuple[str, str, str]:
        inbound = self.group(f"security-group-for-inbound-nfs-{domain_id}")
        outbound = self.group(f"security-group-for-outbound-nfs-{domain_id}")
        nfs = {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049}
        self.ec2.authorize_security_group_ingress(
            GroupId=inbound, IpPermissions=[{**nfs, "UserIdGroupPairs": [{"GroupId": outbound}]}]
        )
        self.ec2.authorize_security_group_egress(
            GroupId=outbound, IpPermissions=[{**nfs, "UserIdGroupPairs": [{"GroupId": inbound}]}]
        )
        fs_id = self.efs.create_file_system(
            CreationToken=f"home-{domain_id}",
            Tags=[{"Key": SAGEMAKER_TAG, "Value": domain_arn(domain_id)}],
        )["FileSystemId"]
        for subnet in self.subnets:
            self.efs.create_mount_target(
                FileSystemId=fs_id, SubnetId=subnet, SecurityGroups=[inbound]
            )
        return fs_id, inbound, outbound

    def file_system_ids(self) -> set[str]:
        return {fs["FileSystemId"] for fs in self.efs.describe_file_systems()["FileSystems"]}

    def mount_target_count(self, fs_id: str) -> int:
        return len(self.efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"])

    def group_ids(self) -> set[str]:
        return {g["GroupId"] for g in self.ec2.describe_security_groups()["SecurityGroups"]}

    def group_tags(self, group_id: str) -> list[dict]:
        groups = self.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        return groups[0].get("Tags", [])

    def fs_tags(self, fs_id: str) -> list[dict]:
        return self.efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["Tags"]


@pytest.fixture
def world(moto_clients) -> World:
    return World(moto_clients("ec2"), moto_clients("efs"))


def tag_like_create(monkeypatch, moto_clients, world: World, fs_id: str, domain_id: str):
    """Run StudioAppsCleanup Create with DescribeDomain stubbed and EFS/EC2 in moto."""
    sagemaker = Stubber(boto3.client("sagemaker", region_name=REGION))
    sagemaker.add_response(
        "describe_domain",
        {"DomainId": domain_id, "HomeEfsFileSystemId": fs_id, "Status": "InService"},
        {"DomainId": domain_id},
    )
    sagemaker.activate()
    monkeypatch.setattr(
        aws, "client", lambda name: sagemaker.client if name == "sagemaker" else moto_clients(name)
    )
    result = handler.apps_on_event(apps_create_event(world.vpc, domain_id))
    sagemaker.assert_no_pending_responses()
    monkeypatch.setattr(aws, "client", moto_clients)
    return result


def test_lifecycle_tags_then_deletes_only_the_stacks_home(monkeypatch, moto_clients, world):
    fs_id, inbound, outbound = world.home(DOMAIN)
    # Someone else's file system and group in the same VPC, and a tagged group elsewhere.
    foreign_group = world.group("someone-elses-nfs")
    foreign_fs = world.efs.create_file_system(CreationToken="foreign")["FileSystemId"]
    world.efs.create_mount_target(
        FileSystemId=foreign_fs, SubnetId=world.subnets[0], SecurityGroups=[foreign_group]
    )
    other_vpc = world.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other_vpc_group = world.group("tagged-in-another-vpc", vpc=other_vpc)
    world.ec2.create_tags(Resources=[other_vpc_group], Tags=OWNER_TAGS)

    result = tag_like_create(monkeypatch, moto_clients, world, fs_id, DOMAIN)

    assert result["Data"] == {"HomeEfsFileSystemId": fs_id}
    assert OWNER_TAGS[0] in world.fs_tags(fs_id)
    assert OWNER_TAGS[0] in world.group_tags(inbound)
    assert OWNER_TAGS[0] in world.group_tags(outbound)
    assert OWNER_TAGS[0] not in world.fs_tags(foreign_fs)

    # The domain is gone (moto has no such domain); the home cleanup runs.
    delete = home_event("Delete", world.vpc)
    assert handler.home_on_event(delete) == {
        "PhysicalResourceId": f"studio-home-cleanup-{world.vpc}"
    }
    # Poll 1 deletes mount targets and the groups; poll 2 deletes the file system.
    assert finish(delete) == 2

    assert world.file_system_ids() == {foreign_fs}
    assert world.mount_target_count(foreign_fs) == 1
    groups = world.group_ids()
    assert inbound not in groups
    assert outbound not in groups
    assert {foreign_group, other_vpc_group} <= groups

    # Idempotent: a second Delete finds nothing and completes at once.
    assert finish(delete) == 1
    assert world.file_system_ids() == {foreign_fs}


def test_home_of_a_domain_that_still_exists_is_kept(monkeypatch, moto_clients, world):
    sagemaker = moto_clients("sagemaker")
    live_domain = sagemaker.create_domain(
        DomainName="replacement",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::111111111111:role/exec"},
        SubnetIds=world.subnets,
        VpcId=world.vpc,
    )["DomainArn"].rsplit("/", 1)[-1]
    fs_id, inbound, outbound = world.home(live_domain)
    tag_like_create(monkeypatch, moto_clients, world, fs_id, live_domain)

    assert finish(home_event("Delete", world.vpc)) == 1

    assert fs_id in world.file_system_ids()
    assert world.mount_target_count(fs_id) == 2
    assert {inbound, outbound} <= world.group_ids()


def test_retain_home_file_system_keeps_everything(monkeypatch, moto_clients, world):
    fs_id, inbound, outbound = world.home(DOMAIN)
    tag_like_create(monkeypatch, moto_clients, world, fs_id, DOMAIN)

    retain = home_event("Delete", world.vpc, RetainHomeFileSystem="true")
    assert handler.home_is_complete(retain) == {"IsComplete": True}

    assert fs_id in world.file_system_ids()
    assert world.mount_target_count(fs_id) == 2
    assert {inbound, outbound} <= world.group_ids()


def test_create_and_update_only_return_a_stable_id(stub):
    for service in ("efs", "ec2", "sagemaker"):
        stub(service)  # registered without responses: any call fails the test
    create = home_event("Create", "vpc-1")
    assert handler.home_on_event(create) == {"PhysicalResourceId": "studio-home-cleanup-vpc-1"}
    assert handler.home_is_complete(create) == {"IsComplete": True}
    update = home_event("Update", "vpc-1")
    assert handler.home_on_event(update) == {"PhysicalResourceId": "studio-home-cleanup-vpc-1"}


def test_empty_retain_flag_means_not_retained(stub):
    stub("sagemaker")
    efs, ec2 = stub("efs"), stub("ec2")
    created = home_event("Create", "vpc-1", RetainHomeFileSystem="")
    assert handler.home_on_event(created) == {"PhysicalResourceId": "studio-home-cleanup-vpc-1"}
    efs.add_response("describe_file_systems", {"FileSystems": []}, {})
    ec2.add_response(
        "describe_security_groups", {"SecurityGroups": []}, {"Filters": tag_filters("vpc-1")}
    )
    delete = home_event("Delete", "vpc-1", RetainHomeFileSystem="")
    assert handler.home_is_complete(delete) == {"IsComplete": True}


def test_bad_retain_flag_fails_create(stub):
    with pytest.raises(ValueError, match="RetainHomeFileSystem"):
        handler.home_on_event(home_event("Create", "vpc-1", RetainHomeFileSystem="maybe"))


def tag_filters(vpc_id: str) -> list[dict]:
    return [{"Name": f"tag:{KEY}", "Values": [STACK]}, {"Name": "vpc-id", "Values": [vpc_id]}]


def test_groups_are_revoked_first_and_dependency_violation_retries(stub):
    efs, ec2, sagemaker = stub("efs"), stub("ec2"), stub("sagemaker")
    efs.add_response("describe_file_systems", {"FileSystems": []}, {})
    nfs = {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049}
    ec2.add_response(
        "describe_security_groups",
        {
            "SecurityGroups": [
                {
                    "GroupId": "sg-in",
                    "GroupName": f"security-group-for-inbound-nfs-{DOMAIN}",
                    "IpPermissions": [
                        {
                            **nfs,
                            "UserIdGroupPairs": [
                                {"GroupId": "sg-out", "UserId": "111111111111", "Description": "x"}
                            ],
                            "IpRanges": [],
                        }
                    ],
                    "IpPermissionsEgress": [],
                },
                {
                    "GroupId": "sg-out",
                    "GroupName": f"security-group-for-outbound-nfs-{DOMAIN}",
                    "IpPermissions": [],
                    "IpPermissionsEgress": [
                        {
                            **nfs,
                            "UserIdGroupPairs": [{"GroupId": "sg-in", "UserId": "111111111111"}],
                        }
                    ],
                },
            ]
        },
        {"Filters": tag_filters("vpc-1")},
    )
    # One DescribeDomain for both groups of the same domain.
    sagemaker.add_client_error("describe_domain", "ResourceNotFound", "gone", 400)
    ec2.add_response(
        "revoke_security_group_ingress",
        {"Return": True},
        {
            "GroupId": "sg-in",
            "IpPermissions": [
                {**nfs, "UserIdGroupPairs": [{"GroupId": "sg-out", "UserId": "111111111111"}]}
            ],
        },
    )
    ec2.add_response(
        "revoke_security_group_egress",
        {"Return": True},
        {
            "GroupId": "sg-out",
            "IpPermissions": [
                {**nfs, "UserIdGroupPairs": [{"GroupId": "sg-in", "UserId": "111111111111"}]}
            ],
        },
    )
    ec2.add_client_error(
        "delete_security_group",
        "DependencyViolation",
        "resource sg-in has a dependent object",
        400,
        expected_params={"GroupId": "sg-in"},
    )
    ec2.add_response("delete_security_group", {}, {"GroupId": "sg-out"})

    assert handler.home_is_complete(home_event("Delete", "vpc-1")) == {"IsComplete": False}


def test_paginated_file_systems_and_deleting_mount_targets(stub):
    efs, ec2, sagemaker = stub("efs"), stub("ec2"), stub("sagemaker")
    efs.add_response(
        "describe_file_systems",
        {
            "FileSystems": [file_system(OTHER_FS, tags=[])],
            "NextMarker": "m2",
        },
        {},
    )
    efs.add_response(
        "describe_file_systems",
        {
            "FileSystems": [
                file_system(
                    HOME_FS,
                    tags=[*OWNER_TAGS, {"Key": SAGEMAKER_TAG, "Value": domain_arn(DOMAIN)}],
                )
            ]
        },
        {"Marker": "m2"},
    )
    sagemaker.add_client_error("describe_domain", "ResourceNotFound", "gone", 400)
    efs.add_response(
        "describe_mount_targets",
        {
            "MountTargets": [
                mount_target("fsmt-0000000001", HOME_FS, "deleting"),
                mount_target("fsmt-0000000002", HOME_FS, "available"),
                mount_target("fsmt-0000000003", HOME_FS, "deleted"),
            ]
        },
        {"FileSystemId": HOME_FS},
    )
    efs.add_response("delete_mount_target", {}, {"MountTargetId": "fsmt-0000000002"})
    ec2.add_response(
        "describe_security_groups", {"SecurityGroups": []}, {"Filters": tag_filters("vpc-1")}
    )

    assert handler.home_is_complete(home_event("Delete", "vpc-1")) == {"IsComplete": False}


def test_file_system_still_in_use_retries(stub):
    efs, ec2 = stub("efs"), stub("ec2")
    stub("sagemaker")  # no domain tag, so no DescribeDomain
    efs.add_response(
        "describe_file_systems", {"FileSystems": [file_system(HOME_FS, tags=OWNER_TAGS)]}, {}
    )
    efs.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": HOME_FS})
    efs.add_client_error("delete_file_system", "FileSystemInUse", "in use", 409)
    ec2.add_response(
        "describe_security_groups", {"SecurityGroups": []}, {"Filters": tag_filters("vpc-1")}
    )

    assert handler.home_is_complete(home_event("Delete", "vpc-1")) == {"IsComplete": False}


def test_throttled_poll_is_not_complete(stub):
    stub("efs").add_client_error("describe_file_systems", "ThrottlingException", "slow down", 429)
    stub("ec2")
    stub("sagemaker")
    assert handler.home_is_complete(home_event("Delete", "vpc-1")) == {"IsComplete": False}


def file_system(fs_id: str, *, tags: list[dict]) -> dict:
    return {
        "OwnerId": "111111111111",
        "CreationToken": fs_id,
        "FileSystemId": fs_id,
        "CreationTime": "2024-01-01T00:00:00Z",
        "LifeCycleState": "available",
        "NumberOfMountTargets": 0,
        "SizeInBytes": {"Value": 0},
        "PerformanceMode": "generalPurpose",
        "Tags": tags,
    }


def mount_target(mt_id: str, fs_id: str, state: str) -> dict:
    return {
        "MountTargetId": mt_id,
        "FileSystemId": fs_id,
        "SubnetId": "subnet-0000000001",
        "LifeCycleState": state,
    }
