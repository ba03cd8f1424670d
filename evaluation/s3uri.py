"""s3:// URI helpers."""

from __future__ import annotations

from evaluation.errors import EvaluationError


def split(uri: str) -> tuple[str, str]:
    """Return (bucket, key) for ``s3://bucket/key``."""
    if not uri.startswith("s3://"):
        raise EvaluationError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise EvaluationError(f"no bucket in S3 URI {uri!r}")
    return bucket, key
