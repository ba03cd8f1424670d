"""ARNs of the resources the stack's policies name, in the stack's own partition, region
and account (pseudo parameters, so a template without a concrete region stays valid)."""

from __future__ import annotations

from aws_cdk import Aws


def arn(service: str, resource: str, *, regional: bool = True, in_account: bool = True) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>``; global services (IAM)
    leave the region empty, and service integrations and S3 objects the account too."""
    region = Aws.REGION if regional else ""
    account = Aws.ACCOUNT_ID if in_account else ""
    return f"arn:{Aws.PARTITION}:{service}:{region}:{account}:{resource}"
