"""S3 writes, reads of what was staged before, and prefix deletion."""

from __future__ import annotations

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log


def put_csv(bucket: str, key: str, body: bytes, metadata: dict[str, str]) -> None:
    aws.client("s3").put_object(
        Bucket=bucket, Key=key, Body=body, ContentType="text/csv", Metadata=metadata
    )


def read_metadata(bucket: str, key: str) -> dict[str, str] | None:
    """The object's user metadata, or None when the object is missing."""
    try:
        head = aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if aws.is_not_found(error, "404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head.get("Metadata", {})


def delete_prefix(bucket: str, key_prefix: str, resource: str) -> int:
    """Delete every object under the prefix; a missing bucket or prefix is done."""
    s3 = aws.client("s3")
    deleted = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix):
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not objects:
                continue
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise RuntimeError(
                    f"could not delete {len(errors)} object(s) under s3://{bucket}/{key_prefix}; "
                    f"first: {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )
            deleted += len(objects)
    except ClientError as error:
        if aws.error_code(error) == "NoSuchBucket":
            log(resource, "bucket already gone", bucket=bucket)
            return deleted
        raise
    log(resource, "deleted staged objects", bucket=bucket, prefix=key_prefix, count=deleted)
    return deleted
