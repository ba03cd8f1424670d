"""s3:// URI helpers."""

from __future__ import annotations

from typing import Any

from cli.errors import EvaluationError

# What S3 answers for a missing object or bucket (HeadObject answers a bare 404).
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404"})


def split(uri: str) -> tuple[str, str]:
    """Return (bucket, key) for ``s3://bucket/key``."""
    if not uri.startswith("s3://"):
        raise EvaluationError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise EvaluationError(f"no bucket in S3 URI {uri!r}")
    return bucket, key


def not_found(error: Any) -> str | None:
    """The S3 error code when a ClientError says the object or bucket is missing."""
    code = error.response.get("Error", {}).get("Code", "")
    return code if code in NOT_FOUND_CODES else None


def read(s3: Any, uri: str, what: str, *, first_bytes: int | None = None) -> bytes:
    """The object's bytes (only the first ``first_bytes`` when given); one line naming
    ``what`` is missing when it does not exist."""
    from botocore.exceptions import ClientError

    bucket, key = split(uri)
    request = {"Bucket": bucket, "Key": key}
    if first_bytes:
        request["Range"] = f"bytes=0-{first_bytes - 1}"
    try:
        return s3.get_object(**request)["Body"].read()
    except ClientError as error:
        if code := not_found(error):
            raise EvaluationError(f"{what} {uri} not found ({code})") from None
        raise
