"""Read the source bytes (https URL or S3 object) and pick the CSV out of a zip."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass

from botocore.exceptions import ClientError

from cr_support import aws
from dataset_staging.csv_validation import list_names
from dataset_staging.errors import DatasetError

HTTP_TIMEOUT_SECONDS = 60
# Bounds memory: the handler holds the file and its parsed rows at once.
MAX_SOURCE_BYTES = 128 * 1024 * 1024
MAX_CSV_BYTES = 128 * 1024 * 1024
_USER_AGENT = "autopilot-studio-cdk-dataset-staging"


@dataclass(frozen=True)
class Source:
    uri: str
    bucket: str = ""
    key: str = ""

    @property
    def is_s3(self) -> bool:
        return bool(self.bucket)


def parse_source(uri: str) -> Source:
    if uri.startswith("https://") and len(uri) > len("https://"):
        return Source(uri=uri)
    if uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://") :].partition("/")
        if bucket and key and not key.endswith("/"):
            return Source(uri=uri, bucket=bucket, key=key)
        raise DatasetError(f"SourceUri '{uri}' must name one object: s3://bucket/key.csv")
    raise DatasetError(
        f"SourceUri '{uri}' is not supported; use an https:// URL or an s3://bucket/key URI"
    )


def _s3_failure(source: Source, error: ClientError) -> DatasetError:
    code = aws.error_code(error)
    return DatasetError(
        f"cannot read source {source.uri} ({code}); check that the object exists and "
        "that the staging function's role may s3:GetObject it"
    )


def source_etag(source: Source) -> str:
    """The S3 object's ETag (part of the dataset version); '' for a URL."""
    if not source.is_s3:
        return ""
    try:
        head = aws.client("s3").head_object(Bucket=source.bucket, Key=source.key)
    except ClientError as error:
        raise _s3_failure(source, error) from None
    if head.get("ContentLength", 0) > MAX_SOURCE_BYTES:
        raise _too_large(source.uri, head["ContentLength"])
    return head["ETag"]


def _too_large(uri: str, size: int) -> DatasetError:
    return DatasetError(
        f"{uri} is {size} bytes; the staging function handles at most {MAX_SOURCE_BYTES} "
        "bytes: use a smaller sample of the data"
    )


def fetch(source: Source, etag: str) -> bytes:
    """The raw source bytes; an S3 read is pinned to the ETag the version used."""
    if not source.is_s3:
        return _download(source.uri)
    try:
        response = aws.client("s3").get_object(Bucket=source.bucket, Key=source.key, IfMatch=etag)
    except ClientError as error:
        if aws.error_code(error) == "PreconditionFailed":
            raise DatasetError(
                f"source {source.uri} changed while it was being staged; deploy again"
            ) from None
        raise _s3_failure(source, error) from None
    with response["Body"] as body:
        return body.read()


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_SOURCE_BYTES:
                raise _too_large(url, int(length))
            data = response.read(MAX_SOURCE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise DatasetError(
            f"download of {url} failed: HTTP {error.code} {error.reason}; check that the URL "
            "is correct and publicly readable"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DatasetError(
            f"could not download {url}: {reason}; check the URL, or copy the file to S3 "
            "and use an s3:// SourceUri"
        ) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise _too_large(url, len(data))
    return data


def _is_zip(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def extract_csv(data: bytes, member: str, uri: str) -> tuple[bytes, str]:
    """The CSV bytes and a label naming them for messages."""
    if data.startswith(b"\x1f\x8b"):
        raise DatasetError(f"{uri} is gzip-compressed; provide a plain .csv or a .zip")
    if not _is_zip(data):
        if member:
            raise DatasetError(
                f"ArchiveMember '{member}' is set but {uri} is not a zip archive; "
                "leave ArchiveMember empty for a plain CSV"
            )
        return data, uri
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            names = [info.filename for info in infos]
            info = _choose_member(infos, names, member, uri)
            if info.flag_bits & 0x1:
                raise DatasetError(f"{uri}: member '{info.filename}' is password-protected")
            if info.file_size > MAX_CSV_BYTES:
                raise _too_large(f"{uri} member '{info.filename}'", info.file_size)
            return archive.read(info), f"{uri} member '{info.filename}'"
    # RuntimeError covers zipfile's unsupported compression methods (a subclass of it).
    except (zipfile.BadZipFile, RuntimeError, EOFError) as error:
        raise DatasetError(f"cannot read the zip archive {uri}: {error}") from None


def _choose_member(
    infos: list[zipfile.ZipInfo], names: list[str], member: str, uri: str
) -> zipfile.ZipInfo:
    if member:
        for info in infos:
            if info.filename == member:
                return info
        raise DatasetError(
            f"archive member '{member}' not found in {uri}; members are: {list_names(names)}"
        )
    csvs = [
        info
        for info in infos
        if info.filename.lower().endswith(".csv") and not info.filename.startswith("__MACOSX/")
    ]
    if len(csvs) == 1:
        return csvs[0]
    if "xl/workbook.xml" in names:
        raise DatasetError(f"{uri} is an Excel workbook; export the sheet as CSV (UTF-8)")
    raise DatasetError(
        f"{uri} is a zip with {len(csvs)} .csv members; set ArchiveMember to the one to "
        f"use; members are: {list_names(names)}"
    )
