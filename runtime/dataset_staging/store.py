"""S3 writes (streamed as multipart uploads), reads of what was staged, prefix deletion."""

from __future__ import annotations

from typing import cast

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log

# S3 parts are at least 5 MiB except the last; 8 MiB keeps two writers' buffers small.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
PART_BYTES = 8 * 1024 * 1024


class CsvWriter:
    """Writes one object as it goes: a single PutObject when it fits in one part,
    otherwise a multipart upload that ``abort`` removes again.

    Only ``PART_BYTES`` are buffered at a time.
    """

    def __init__(
        self, bucket: str, key: str, metadata: dict[str, str], content_type: str = "text/csv"
    ) -> None:
        self.bucket = bucket
        self.key = key
        self._metadata = metadata
        self._content_type = content_type
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._upload_id = ""
        self._parts: list[dict[str, object]] = []
        self.completed = False

    def write(self, data: bytes) -> None:
        self._buffer.append(data)
        self._buffered += len(data)
        if self._buffered >= PART_BYTES:
            self._flush()

    def _start(self) -> None:
        if not self._upload_id:
            self._upload_id = aws.client("s3").create_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                ContentType=self._content_type,
                Metadata=self._metadata,
            )["UploadId"]

    def copy_part(self, number: int, source: dict[str, str], etag: str, byte_range: str) -> None:
        """One part copied server-side from another object (for copies above 5 GiB)."""
        self._start()
        response = aws.client("s3").upload_part_copy(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            CopySource=source,
            CopySourceIfMatch=etag,
            CopySourceRange=byte_range,
        )
        self._parts.append({"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]})

    def _flush(self) -> None:
        s3 = aws.client("s3")
        self._start()
        body = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        number = len(self._parts) + 1
        response = s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def close(self) -> None:
        s3 = aws.client("s3")
        if not self._upload_id:
            s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=b"".join(self._buffer),
                ContentType=self._content_type,
                Metadata=self._metadata,
            )
        else:
            if self._buffered:
                self._flush()
            s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer.clear()
        self.completed = True

    def abort(self) -> None:
        """Leave nothing behind: abort the upload, or delete the finished object."""
        s3 = aws.client("s3")
        if self.completed:
            s3.delete_object(Bucket=self.bucket, Key=self.key)
        elif self._upload_id:
            s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
        self._buffer.clear()


def abort_all(writers: tuple[CsvWriter, ...]) -> None:
    """Abort every writer; a failed abort is logged, not raised over the first error."""
    for writer in writers:
        try:
            writer.abort()
        except Exception as error:  # the original failure matters more
            log(writer.key, "could not abort the upload", error=repr(error))


def read_metadata(bucket: str, key: str) -> dict[str, str] | None:
    """The object's user metadata, or None when the object is missing."""
    try:
        head = aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if aws.is_not_found(error, "404", "NoSuchKey", "NotFound"):
            return None
        raise
    return cast(dict[str, str], head.get("Metadata", {}))


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
