"""Open the source (https URL or S3 object) as a readable stream."""

from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from botocore.exceptions import ClientError

from cr_support import aws
from dataset_staging.errors import DatasetError
from dataset_staging.streams import MAX_CSV_BYTES, too_large

HTTP_TIMEOUT_SECONDS = 60
_USER_AGENT = "autopilot-studio-cdk-dataset-staging"


@dataclass(frozen=True)
class Source:
    uri: str
    bucket: str = ""
    key: str = ""

    @property
    def is_s3(self) -> bool:
        return bool(self.bucket)


def parse_source(uri: str, key: str = "dataset.uri") -> Source:
    if uri.startswith("https://") and len(uri) > len("https://"):
        return Source(uri=uri)
    if uri.startswith("s3://"):
        bucket, _, object_key = uri[len("s3://") :].partition("/")
        if bucket and object_key and not object_key.endswith("/"):
            return Source(uri=uri, bucket=bucket, key=object_key)
        raise DatasetError(f"{key} '{uri}' must name one object: s3://bucket/key.csv")
    raise DatasetError(
        f"{key} '{uri}' is not supported; use an https:// URL or an s3://bucket/key URI"
    )


def _s3_failure(source: Source, error: ClientError) -> DatasetError:
    code = aws.error_code(error)
    return DatasetError(
        f"cannot read source {source.uri} ({code}); check that the object exists and "
        "that the staging function's role may s3:GetObject it"
    )


def head(source: Source, limit: int | None = MAX_CSV_BYTES) -> tuple[str, int]:
    """The S3 object's ETag (part of the dataset version) and size; ('', -1) for a URL."""
    if not source.is_s3:
        return "", -1
    try:
        response = aws.client("s3").head_object(Bucket=source.bucket, Key=source.key)
    except ClientError as error:
        raise _s3_failure(source, error) from None
    size = response.get("ContentLength", 0)
    if limit is not None and size > limit:
        raise too_large(source.uri, size)
    return response["ETag"], size


def source_etag(source: Source) -> str:
    return head(source)[0]


@contextlib.contextmanager
def open_source(source: Source, etag: str) -> Iterator[BinaryIO]:
    """The raw source as a readable stream; an S3 read is pinned to the version's ETag."""
    if not source.is_s3:
        with _download(source.uri) as response:
            yield response
        return
    try:
        response = aws.client("s3").get_object(Bucket=source.bucket, Key=source.key, IfMatch=etag)
    except ClientError as error:
        if aws.error_code(error) == "PreconditionFailed":
            raise DatasetError(
                f"source {source.uri} changed while it was being staged; deploy again"
            ) from None
        raise _s3_failure(source, error) from None
    with contextlib.closing(response["Body"]) as body:
        yield body


@contextlib.contextmanager
def _download(url: str) -> Iterator[BinaryIO]:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        response = urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        raise DatasetError(
            f"download of {url} failed: HTTP {error.code} {error.reason}; check that the URL "
            "is correct and publicly readable"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        raise _unreachable(url, error) from None
    with response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > MAX_CSV_BYTES:
            raise too_large(url, int(length))
        yield response


def _unreachable(url: str, error: Exception) -> DatasetError:
    reason = getattr(error, "reason", error)
    return DatasetError(
        f"could not download {url}: {reason}; check the URL, or copy the file to S3 "
        "and set dataset.source = 's3-uri'"
    )
