"""cdk-nag acknowledgements, each with its reason, attached where the finding arises."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

S3_GRANT_ACTIONS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")


def acknowledge(scope: IConstruct, findings: dict[str, str]) -> None:
    """Acknowledge each finding ID on ``scope`` (and its children) with its reason."""
    Validations.of(scope).acknowledge(
        *(Acknowledgment(id=finding, reason=reason) for finding, reason in findings.items())
    )


def attribute_ref(construct: IConstruct, attribute: str = "Arn") -> str:
    """How cdk-nag prints a reference to ``construct``'s attribute inside a finding ID."""
    element = (
        construct
        if isinstance(construct, CfnElement)
        else cast(CfnElement, construct.node.default_child)
    )
    logical_id = Stack.of(element).resolve(element.logical_id)
    return f"<{logical_id}.{attribute}>"


def wildcard_resource(resource: str) -> str:
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def wildcard_arn(service: str, resource: str) -> str:
    """The IAM5 finding of a wildcard in a resource of ``service`` in this account and region."""
    return wildcard_resource(arn(service, resource))


def s3_grant_findings(reason: str) -> dict[str, str]:
    """The action groups of a CDK bucket grant, acknowledged with one reason."""
    return {f"AwsSolutions-IAM5[Action::{action}]": reason for action in S3_GRANT_ACTIONS}


def kms_grant_findings(reason: str) -> dict[str, str]:
    """The action groups of a CDK key grant (encrypt/decrypt), with one reason."""
    return {
        f"AwsSolutions-IAM5[Action::{action}]": reason
        for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*")
    }


def arn(service: str, resource: str) -> str:
    """A finding's rendering of arn:${AWS::Partition}:<service>:${Region}:${Account}:<resource>."""
    return f"arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"
