"""The two account-wide service roles SageMaker Projects and JumpStart need.

The names are fixed and shared by every stack in the account, so a role is created only
when it is absent, and tagged with the stack's owner tag. Delete removes only roles that
carry that tag.

Trust principals and policies follow what the SageMaker console creates; see
docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-sc.html. The console gives
the use role a generated customer-managed policy; here it gets the AWS managed
per-service policies written for roles the launch role passes to provisioned products.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log

ROLE_PATH = "/service-role/"


@dataclass(frozen=True)
class RoleSpec:
    name: str
    services: tuple[str, ...]
    # Path and name of AWS managed policies, under arn:<partition>:iam::aws:policy/.
    managed_policies: tuple[str, ...]
    description: str

    def trust_policy(self) -> str:
        principal = self.services[0] if len(self.services) == 1 else list(self.services)
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": principal},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )

    def policy_arns(self, partition: str) -> list[str]:
        return [f"arn:{partition}:iam::aws:policy/{policy}" for policy in self.managed_policies]


LAUNCH_ROLE = RoleSpec(
    name="AmazonSageMakerServiceCatalogProductsLaunchRole",
    services=("servicecatalog.amazonaws.com",),
    managed_policies=("AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy",),
    description="Service Catalog launches SageMaker project and JumpStart products with it.",
)

USE_ROLE = RoleSpec(
    name="AmazonSageMakerServiceCatalogProductsUseRole",
    services=(
        "apigateway.amazonaws.com",
        "cloudformation.amazonaws.com",
        "codebuild.amazonaws.com",
        "codepipeline.amazonaws.com",
        "events.amazonaws.com",
        "firehose.amazonaws.com",
        "glue.amazonaws.com",
        "lambda.amazonaws.com",
        "sagemaker.amazonaws.com",
        "states.amazonaws.com",
    ),
    # Paths as IAM lists them: the CodeBuild policy is not under service-role/.
    managed_policies=(
        "service-role/AmazonSageMakerServiceCatalogProductsApiGatewayServiceRolePolicy",
        "service-role/AmazonSageMakerServiceCatalogProductsCloudformationServiceRolePolicy",
        "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
        "service-role/AmazonSageMakerServiceCatalogProductsCodePipelineServiceRolePolicy",
        "service-role/AmazonSageMakerServiceCatalogProductsEventsServiceRolePolicy",
        "service-role/AmazonSageMakerServiceCatalogProductsFirehoseServiceRolePolicy",
        "service-role/AmazonSageMakerServiceCatalogProductsGlueServiceRolePolicy",
        "service-role/AmazonSageMakerServiceCatalogProductsLambdaServiceRolePolicy",
    ),
    description="Resources provisioned from SageMaker project and JumpStart products use it.",
)

ROLE_SPECS: tuple[RoleSpec, ...] = (LAUNCH_ROLE, USE_ROLE)


def _has_tag(tags: list[dict[str, str]], key: str, value: str) -> bool:
    return any(t.get("Key") == key and t.get("Value") == value for t in tags)


def _attach_policies(spec: RoleSpec, partition: str) -> None:
    iam = aws.client("iam")
    for arn in spec.policy_arns(partition):
        iam.attach_role_policy(RoleName=spec.name, PolicyArn=arn)


def _ensure_role(spec: RoleSpec, key: str, value: str, partition: str) -> bool:
    """Create the role if absent; True if this call created it."""
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName=spec.name)["Role"]
    except ClientError as error:
        if not aws.is_not_found(error):
            raise
    else:
        if _has_tag(role.get("Tags", []), key, value):
            # Ours from an earlier deploy: make sure its policies are attached.
            _attach_policies(spec, partition)
            log(spec.name, "role exists and is owned by this stack")
        else:
            log(spec.name, "role exists and is not owned by this stack, leaving it as is")
        return False

    try:
        iam.create_role(
            RoleName=spec.name,
            Path=ROLE_PATH,
            AssumeRolePolicyDocument=spec.trust_policy(),
            Description=spec.description,
            Tags=[{"Key": key, "Value": value}],
        )
    except ClientError as error:
        if aws.error_code(error) == "EntityAlreadyExists":
            log(spec.name, "role was created concurrently by someone else, leaving it as is")
            return False
        raise
    log(spec.name, "created role")
    _attach_policies(spec, partition)
    return True


def ensure_roles(key: str, value: str, partition: str) -> list[str]:
    """Create the absent roles; return the names this call created.

    On Create, a failure means no Delete will follow, so roles created by this call are
    removed again before the error propagates.
    """
    created: list[str] = []
    try:
        for spec in ROLE_SPECS:
            if _ensure_role(spec, key, value, partition):
                created.append(spec.name)
    except Exception:
        roll_back(created, key, value)
        raise
    return created


def roll_back(created: list[str], key: str, value: str) -> None:
    """Best effort: delete roles a failed Create made, since no Delete will follow."""
    for name in created:
        try:
            delete_role_if_owned(name, key, value)
        except ClientError as error:
            log(name, "could not roll back created role", error=str(error))


def _role_tags(name: str) -> list[dict[str, str]]:
    iam = aws.client("iam")
    tags: list[dict[str, str]] = []
    request: dict[str, str] = {"RoleName": name}
    while True:
        page = iam.list_role_tags(**request)
        tags.extend(page.get("Tags", []))
        if not page.get("IsTruncated"):
            return tags
        request["Marker"] = page["Marker"]


def _attached_policy_arns(name: str) -> list[str]:
    iam = aws.client("iam")
    arns: list[str] = []
    request: dict[str, str] = {"RoleName": name}
    while True:
        page = iam.list_attached_role_policies(**request)
        arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
        if not page.get("IsTruncated"):
            return arns
        request["Marker"] = page["Marker"]


def _inline_policy_names(name: str) -> list[str]:
    iam = aws.client("iam")
    names: list[str] = []
    request: dict[str, str] = {"RoleName": name}
    while True:
        page = iam.list_role_policies(**request)
        names.extend(page.get("PolicyNames", []))
        if not page.get("IsTruncated"):
            return names
        request["Marker"] = page["Marker"]


def delete_role_if_owned(name: str, key: str, value: str) -> bool:
    """Delete the role only if it carries the owner tag; True if it was deleted."""
    iam = aws.client("iam")
    try:
        if not _has_tag(_role_tags(name), key, value):
            log(name, "role is not owned by this stack, leaving it as is")
            return False
        for arn in _attached_policy_arns(name):
            iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        for policy_name in _inline_policy_names(name):
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        iam.delete_role(RoleName=name)
    except ClientError as error:
        if aws.is_not_found(error):
            log(name, "role not found, nothing to delete")
            return False
        raise
    log(name, "deleted role")
    return True


def delete_owned_roles(key: str, value: str) -> list[str]:
    return [spec.name for spec in ROLE_SPECS if delete_role_if_owned(spec.name, key, value)]
