"""Custom resources that make ``cdk destroy`` of a Studio domain complete.

CloudFormation cannot delete a domain while users' apps and spaces exist, and after
the domain goes, SageMaker leaves its home EFS and two NFS security groups in the VPC,
which block the VPC's deletion. Two resources bracket the domain to handle both.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from components import arns, nag
from components.handler_provider import HandlerProvider, ProvidedConstruct

# Tag that marks the home EFS and NFS security groups as this stack's to delete.
OWNER_TAG_KEY = "autopilot-studio:owner-stack"

# SageMaker's own tag on a domain's home EFS and NFS groups: the domain's ARN.
SAGEMAKER_DOMAIN_TAG = "ManagedByAmazonSageMakerResource"


def owned_by(owner_tag_value: str) -> dict[str, Any]:
    """The IAM condition: the resource carries this stack's owner tag."""
    return {"StringEquals": {f"aws:ResourceTag/{OWNER_TAG_KEY}": owner_tag_value}}


def _vpc_arn(vpc: ec2.IVpc) -> str:
    return arns.arn("ec2", f"vpc/{vpc.vpc_id}")


def _home_delete_statements(
    *, efs_conditions: dict[str, Any], group_conditions: dict[str, Any], claim: bool = False
) -> list[iam.PolicyStatement]:
    """Delete a home file system (mount targets first) and NFS groups matching conditions."""
    efs_actions = ["elasticfilesystem:DescribeMountTargets"]
    if claim:
        efs_actions.append("elasticfilesystem:TagResource")
    efs_actions += ["elasticfilesystem:DeleteMountTarget", "elasticfilesystem:DeleteFileSystem"]
    return [
        iam.PolicyStatement(
            actions=efs_actions,
            resources=[arns.arn("elasticfilesystem", "file-system/*")],
            conditions=efs_conditions,
        ),
        iam.PolicyStatement(
            actions=[
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:DeleteSecurityGroup",
            ],
            resources=[arns.arn("ec2", "security-group/*")],
            conditions=group_conditions,
        ),
    ]


class StudioCleanupProvider(ProvidedConstruct):
    """One provider for both cleanups: they share the ``studio_cleanup`` handler package."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            package="studio_cleanup",
            polls=True,
            description=(
                "Delete Studio apps and spaces before the domain, its home EFS and NFS "
                "security groups after it"
            ),
            query_interval=Duration.seconds(30),
            total_timeout=Duration.minutes(30),
            timeout=Duration.minutes(2),
            encryption_key=encryption_key,
            waiter_log_name=f"{name_prefix}-studio-cleanup-provider",
        )


class StudioAppsCleanup(Construct):
    """Depends on the domain and profile, so it is deleted first.

    On create it tags the domain's home EFS and NFS security groups with the owner tag;
    on delete it removes every app and space users started in the domain.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider: HandlerProvider,
        domain: sagemaker.CfnDomain,
        vpc: ec2.IVpc,
        owner_tag_value: str,
        user_profile_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        domain_id, domain_arn = domain.attr_domain_id, domain.attr_domain_arn
        self.provider = provider
        # Its own policy, not the provider role's default one: these statements name the
        # domain, which is created after the home cleanup that shares the provider.
        self.policy = iam.Policy(self, "Policy", roles=[provider.role])
        self.policy.add_statements(
            iam.PolicyStatement(actions=["sagemaker:DescribeDomain"], resources=[domain_arn]),
            iam.PolicyStatement(
                actions=["sagemaker:DeleteApp"],
                resources=[arns.arn("sagemaker", f"app/{domain_id}/*")],
            ),
            iam.PolicyStatement(
                actions=["sagemaker:DeleteSpace"],
                resources=[arns.arn("sagemaker", f"space/{domain_id}/*")],
            ),
            # Profiles users added outside the stack block deleting the domain.
            iam.PolicyStatement(
                actions=["sagemaker:DeleteUserProfile"],
                resources=[arns.arn("sagemaker", f"user-profile/{domain_id}/*")],
            ),
            # List calls and DescribeSecurityGroups support no resource-level scoping.
            iam.PolicyStatement(
                actions=[
                    "sagemaker:ListApps",
                    "sagemaker:ListSpaces",
                    "sagemaker:ListUserProfiles",
                    "ec2:DescribeSecurityGroups",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                actions=["elasticfilesystem:TagResource"],
                resources=[arns.arn("elasticfilesystem", "file-system/*")],
                conditions={
                    "StringEquals": {"aws:ResourceTag/ManagedByAmazonSageMakerResource": domain_arn}
                },
            ),
            iam.PolicyStatement(
                actions=["ec2:CreateTags"],
                resources=[arns.arn("ec2", "security-group/*")],
                conditions={
                    "ArnEquals": {"ec2:Vpc": _vpc_arn(vpc)},
                    "StringEquals": {f"aws:RequestTag/{OWNER_TAG_KEY}": owner_tag_value},
                },
            ),
        )
        domain_ref = nag.attribute_ref(domain, "DomainId")
        nag.acknowledge(
            self.policy,
            {
                nag.wildcard_arn("sagemaker", f"app/{domain_ref}/*"): (
                    "Apps that users start in this domain have names unknown at deploy"
                ),
                nag.wildcard_arn("sagemaker", f"space/{domain_ref}/*"): (
                    "Spaces that users create in this domain have names unknown at deploy"
                ),
                nag.wildcard_arn("sagemaker", f"user-profile/{domain_ref}/*"): (
                    "Profiles that users add to this domain have names unknown at deploy"
                ),
                nag.wildcard_resource("*"): (
                    "sagemaker:ListApps, sagemaker:ListSpaces, sagemaker:ListUserProfiles and "
                    "ec2:DescribeSecurityGroups support no resource-level scoping"
                ),
                nag.wildcard_arn("elasticfilesystem", "file-system/*"): (
                    "SageMaker creates the home EFS at deploy; the condition limits tagging "
                    "to the file system tagged with this domain's ARN"
                ),
                nag.wildcard_arn("ec2", "security-group/*"): (
                    "SageMaker creates the NFS groups at deploy; the condition limits "
                    "tagging to groups in this stack's VPC"
                ),
            },
        )
        self.resource = self.provider.custom_resource(
            self,
            "Resource",
            resource_type="Custom::StudioAppsCleanup",
            properties={
                "DomainId": domain_id,
                "VpcId": vpc.vpc_id,
                "OwnerTagKey": OWNER_TAG_KEY,
                "OwnerTagValue": owner_tag_value,
                "UserProfileName": user_profile_name,
            },
        )
        self.resource.node.add_dependency(self.policy)


class StudioHomeCleanup(Construct):
    """The domain depends on it, so it is deleted after the domain.

    On delete it removes the tagged home EFS (mount targets first) and the tagged NFS
    security groups, so the VPC can go too.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider: HandlerProvider,
        vpc: ec2.IVpc,
        owner_tag_value: str,
        retain_home_file_system: bool,
        dedicated_vpc: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.provider = provider
        owned = owned_by(owner_tag_value)
        self.provider.add_to_policy(
            # Describe calls support no resource-level scoping.
            iam.PolicyStatement(
                actions=[
                    "elasticfilesystem:DescribeFileSystems",
                    "ec2:DescribeSecurityGroups",
                ],
                resources=["*"],
            ),
            # Guard: never delete the home of a domain that still exists.
            iam.PolicyStatement(
                actions=["sagemaker:DescribeDomain"],
                resources=[arns.arn("sagemaker", "domain/*")],
            ),
            *_home_delete_statements(efs_conditions=owned, group_conditions=owned),
            # EFS deletes a mount target's network interface with the caller's rights.
            iam.PolicyStatement(
                actions=["ec2:DeleteNetworkInterface"],
                resources=[arns.arn("ec2", "network-interface/*")],
                conditions={"ArnEquals": {"ec2:Vpc": _vpc_arn(vpc)}},
            ),
        )
        if dedicated_vpc:
            # A first deploy that failed before StudioAppsCleanup tagged anything: SageMaker's
            # own tag (its domain's ARN) marks the home EFS and NFS groups in this stack's VPC;
            # the cleanup claims the file system with the owner tag before emptying it.
            sagemaker_tagged = {
                "StringLike": {
                    f"aws:ResourceTag/{SAGEMAKER_DOMAIN_TAG}": (arns.arn("sagemaker", "domain/*"))
                }
            }
            self.provider.add_to_policy(
                *_home_delete_statements(
                    efs_conditions=sagemaker_tagged,
                    group_conditions={**sagemaker_tagged, "ArnEquals": {"ec2:Vpc": _vpc_arn(vpc)}},
                    claim=True,
                )
            )
        self.provider.acknowledge(
            {
                nag.wildcard_resource("*"): (
                    "elasticfilesystem:DescribeFileSystems and ec2:DescribeSecurityGroups "
                    "support no resource-level scoping"
                ),
                nag.wildcard_arn("elasticfilesystem", "file-system/*"): (
                    "The home EFS is created by SageMaker; the condition limits deletes to "
                    "file systems carrying this stack's owner tag"
                ),
                nag.wildcard_arn("ec2", "security-group/*"): (
                    "The NFS groups are created by SageMaker; the condition limits deletes "
                    "to groups carrying this stack's owner tag"
                ),
                nag.wildcard_arn("sagemaker", "domain/*"): (
                    "Read-only guard: the domain ID is read from the tagged file system at "
                    "delete time, after this stack's domain is gone"
                ),
                nag.wildcard_arn("ec2", "network-interface/*"): (
                    "EFS removes mount-target interfaces with the caller's rights; the "
                    "condition limits it to this stack's VPC"
                ),
            }
        )
        self.resource = self.provider.custom_resource(
            self,
            "Resource",
            resource_type="Custom::StudioHomeCleanup",
            properties={
                "VpcId": vpc.vpc_id,
                "OwnerTagKey": OWNER_TAG_KEY,
                "OwnerTagValue": owner_tag_value,
                "RetainHomeFileSystem": str(retain_home_file_system).lower(),
                "DedicatedVpc": str(dedicated_vpc).lower(),
            },
        )
