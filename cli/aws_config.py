"""Find the AWS profile, region and credentials the way the AWS CLI does, or say what to do.

Region, first match wins (AWS CLI v2, "Configuration and credential file settings"):
``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's ``region``. boto3 1.44
reads only the last two, while the AWS CLI and the CDK CLI also read ``AWS_REGION``, so it
is passed to boto3 explicitly. Profile: ``--profile``, then ``AWS_PROFILE`` (boto3 reads it).
"""

from __future__ import annotations

import os
from typing import Any

from cli.errors import EvaluationError

NO_CREDENTIALS = (
    "no AWS credentials found: run `aws configure` (access keys), or `aws sso login "
    "--profile NAME` and set AWS_PROFILE=NAME"
)
NO_REGION = (
    "no AWS region configured: set AWS_REGION=REGION, or give your profile one with "
    "`aws configure set region REGION`"
)


def _profile_hint(profile: str | None) -> str:
    return f" --profile {profile}" if profile else ""


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session for ``profile`` and ``region``, resolved as the AWS CLI would."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    region = region or os.environ.get("AWS_REGION") or None
    name = profile or os.environ.get("AWS_PROFILE") or None
    try:
        boto_session = boto3.Session(profile_name=profile or None, region_name=region)
        # AWS_PROFILE is only looked up at the first call; check it now, in one place.
        if name and name not in boto_session.available_profiles:
            raise ProfileNotFound(profile=name)
    except ProfileNotFound:
        raise EvaluationError(
            f"AWS profile {name!r} is not in your AWS config files: check AWS_PROFILE / "
            f"--profile, or create it with `aws configure --profile {name}` or "
            f"`aws configure sso --profile {name}`"
        ) from None
    return boto_session


def region_of(boto_session: Any) -> str:
    """The session's region; one line on what to set when there is none."""
    if not boto_session.region_name:
        raise EvaluationError(NO_REGION)
    return boto_session.region_name


def credentials_problem(error: Exception, profile: str | None) -> str | None:
    """What to do about a credentials error from botocore; None for any other error."""
    from botocore.exceptions import (
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
        SSOError,
        TokenRetrievalError,
    )

    login = f"aws sso login{_profile_hint(profile)}"
    if isinstance(error, TokenRetrievalError | SSOError):
        return f"your AWS SSO session has expired or is missing: run `{login}`"
    if isinstance(error, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(error, PartialCredentialsError):
        return f"incomplete AWS credentials ({error}): run `aws configure{_profile_hint(profile)}`"
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
            return f"your AWS credentials have expired: refresh them (`{login}`, or new keys)"
        if code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}:
            return (
                "AWS rejected your credentials (" + code + "): check them with "
                f"`aws configure{_profile_hint(profile)}` or `{login}`"
            )
    return None
