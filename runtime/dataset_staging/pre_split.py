"""Pre-split input: the user's own train and holdout objects, checked and copied.

Only the headers and a sample of each file are read (the files can be larger than the
function could split in time); the copies into the staging prefix are server-side. The
monitor's profile is built from the train file's sample: its first SAMPLE_ROWS rows
(``sample.method`` "first-rows"), since a uniform sample would need the whole file.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from cr_support import aws
from dataset_staging import sources, store, streams
from dataset_staging.csv_validation import COMMA, CsvReader, Header, decode_stream, list_names
from dataset_staging.errors import DatasetError
from dataset_staging.settings import Location, StagingRequest, dataset_version

SOURCE_FORMAT = "pre-split"
# Row counts of pre-split files are not known without reading them whole.
UNCOUNTED = "uncounted"
SAMPLE_ROWS = 10_000
PROFILE_SAMPLE_METHOD = "first-rows"
# CopyObject copies at most 5 GiB; larger objects are copied in parts.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
COPY_OBJECT_MAX_BYTES = 5 * 1024**3
COPY_PART_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class Plan:
    train: sources.Source
    holdout: sources.Source
    train_etag: str
    holdout_etag: str
    train_size: int
    holdout_size: int
    version: str


@dataclass(frozen=True)
class Sampled:
    header: Header
    classes: Counter[str]
    records: list[str]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.header.columns

    @property
    def rows(self) -> int:
        return len(self.records)


def plan(request: StagingRequest) -> Plan:
    """Both objects, their ETags and sizes, and the dataset version they give."""
    train = _s3_source(request.train_source_uri, "dataset.train_uri")
    holdout = _s3_source(request.holdout_source_uri, "dataset.holdout_uri")
    train_etag, train_size = sources.head(train, limit=None)
    holdout_etag, holdout_size = sources.head(holdout, limit=None)
    return Plan(
        train,
        holdout,
        train_etag,
        holdout_etag,
        train_size,
        holdout_size,
        dataset_version(request, train_etag, holdout_etag),
    )


def _s3_source(uri: str, key: str) -> sources.Source:
    source = sources.parse_source(uri, key)
    if not source.is_s3:
        raise DatasetError(f"{key} '{uri}' must be an s3://bucket/key.csv URI")
    return source


def _sample(source: sources.Source, etag: str, target: str) -> Sampled:
    with (
        sources.open_source(source, etag) as stream,
        streams.csv_chunks(stream, "", source.uri) as (chunks, label),
    ):
        if label != source.uri:
            raise DatasetError(
                f"{source.uri} is a zip archive; pre-split files must be plain CSV files"
            )
        reader = CsvReader(decode_stream(chunks, label), label, target)
        if reader.header.source_format != COMMA:
            raise DatasetError(
                f"{source.uri} is semicolon-separated; pre-split files are used as they are, "
                "so save them comma-separated"
            )
        sampled = list(itertools.islice(reader, SAMPLE_ROWS))
    classes = Counter(value for _, value in sampled)
    return Sampled(reader.header, classes, [record for record, _ in sampled])


def check(request: StagingRequest, planned: Plan) -> Sampled:
    """Check headers, a sample of rows, the target and its classes; the train sample."""
    train = _sample(planned.train, planned.train_etag, request.target)
    holdout = _sample(planned.holdout, planned.holdout_etag, request.target)
    if holdout.columns != train.columns:
        raise DatasetError(
            f"the header of {planned.holdout.uri} (dataset.holdout_uri) differs from the "
            f"header of {planned.train.uri} (dataset.train_uri): "
            f"{list_names(list(holdout.columns))} vs {list_names(list(train.columns))}; "
            "both files need the same columns in the same order"
        )
    if len(train.classes) < 2:
        (only,) = train.classes
        raise DatasetError(
            f"target column '{request.target}' (dataset.target_attribute) has a single class "
            f"'{only}' in the first {train.rows} rows of {planned.train.uri} "
            "(dataset.train_uri); Autopilot needs at least 2 distinct target values "
            "(shuffle the file if it is sorted by target)"
        )
    return train


def copy(planned: Plan, location: Location, metadata: dict[str, str]) -> None:
    """Server-side copies of both files into the staging prefix; all or nothing."""
    done: list[str] = []
    try:
        for source, etag, size, key in (
            (planned.train, planned.train_etag, planned.train_size, location.train_key),
            (planned.holdout, planned.holdout_etag, planned.holdout_size, location.holdout_key),
        ):
            _copy(source, etag, size, location.bucket, key, metadata)
            done.append(key)
    except BaseException:
        _delete_keys(location.bucket, done)
        raise


def remove_copies(location: Location) -> None:
    """Delete both copies again (a later write of the same version failed)."""
    _delete_keys(location.bucket, [location.train_key, location.holdout_key])


def _delete_keys(bucket: str, keys: list[str]) -> None:
    s3 = aws.client("s3")
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)


def _copy(
    source: sources.Source, etag: str, size: int, bucket: str, key: str, metadata: dict[str, str]
) -> None:
    s3 = aws.client("s3")
    copy_source = {"Bucket": source.bucket, "Key": source.key}
    if size <= COPY_OBJECT_MAX_BYTES:
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource=copy_source,
            CopySourceIfMatch=etag,
            MetadataDirective="REPLACE",
            ContentType="text/csv",
            Metadata=metadata,
        )
        return
    writer = store.CsvWriter(bucket, key, metadata)
    try:
        for number, start in enumerate(range(0, size, COPY_PART_BYTES), start=1):
            end = min(start + COPY_PART_BYTES, size) - 1
            writer.copy_part(number, copy_source, etag, f"bytes={start}-{end}")
        writer.close()
    except BaseException:
        store.abort_all((writer,))
        raise
