"""Lazily created boto3 clients with bounded standard-mode retries.

Handlers call ``aws.client("sagemaker")`` at call time (never at import), so tests can
swap the factory for a botocore ``Stubber``-backed client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Standard mode retries throttling and transient errors with jittered backoff.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 6},
    user_agent_extra="autopilot-studio-cdk",
)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
    }
)


@functools.cache
def client(service_name: str) -> Any:
    # boto3's stubs type client() per service-name literal; the name is a variable here.
    create: Callable[..., Any] = boto3.client
    return create(service_name, config=RETRY_CONFIG)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", "")


def is_throttling(error: ClientError) -> bool:
    return error_code(error) in THROTTLING_CODES


def is_not_found(error: ClientError, *extra_codes: str) -> bool:
    """True for the many ways AWS says "that does not exist"."""
    code = error_code(error)
    if code in {"ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity", *extra_codes}:
        return True
    # SageMaker answers ValidationException for some missing resources.
    message = error_message(error).lower()
    return code == "ValidationException" and (
        "could not find" in message or "does not exist" in message or "not found" in message
    )
