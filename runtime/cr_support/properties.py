"""Typed reads of custom-resource properties.

CloudFormation passes every scalar property to the handler as a string, so each read
converts and names the property when the value is missing or malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PropertyError(ValueError):
    """A resource property is missing or malformed."""


def _raw(props: Mapping[str, Any], key: str, default: Any) -> Any:
    value = props.get(key, default)
    if value is None:
        raise PropertyError(f"resource property '{key}' is required")
    return value


def string(props: Mapping[str, Any], key: str, default: str | None = None) -> str:
    return str(_raw(props, key, default))


def optional_string(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return str(value) if value not in (None, "") else None


def integer(props: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = _raw(props, key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PropertyError(
            f"resource property '{key}' must be an integer, got {value!r}"
        ) from None


def number(props: Mapping[str, Any], key: str, default: float | None = None) -> float:
    value = _raw(props, key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PropertyError(f"resource property '{key}' must be a number, got {value!r}") from None


def boolean(props: Mapping[str, Any], key: str, default: bool | None = None) -> bool:
    value = _raw(props, key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise PropertyError(f"resource property '{key}' must be true or false, got {value!r}")


def string_list(props: Mapping[str, Any], key: str, default: list[str] | None = None) -> list[str]:
    value = _raw(props, key, default)
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return [str(item) for item in value]


def s3_uri(props: Mapping[str, Any], key: str, *, strip_trailing_slash: bool = False) -> str:
    value = string(props, key)
    if strip_trailing_slash:
        value = value.rstrip("/")
    if not value.startswith("s3://") or len(value) <= len("s3://"):
        raise PropertyError(f"resource property '{key}' must be an s3:// URI, got {value!r}")
    return value


def role_arn(props: Mapping[str, Any], key: str = "RoleArn") -> str:
    value = string(props, key)
    if not value.startswith("arn:") or ":role/" not in value:
        raise PropertyError(f"resource property '{key}' must be an IAM role ARN, got {value!r}")
    return value
