"""Custom-resource entry point: stage a dataset as train.csv and holdout.csv in S3.

The physical ID is ``s3://<bucket>/<prefix>/<version>/``; a new version on Update gives
a new physical ID, and CloudFormation then deletes the old one.

Staging streams: the source is read once, validated record by record and spooled to
/tmp; the split is chosen from one byte per row; the spool is then streamed into two
S3 uploads, and the same pass keeps a bounded sample of the training rows for the
monitor's baseline profile (``profile.json``, drift_monitor/profile.py). Nothing is written
to S3 until the whole file has passed validation, and a failure while writing aborts every
upload, the profile's too, so a failed Create leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from cr_support import properties
from cr_support.logs import log
from dataset_staging import pre_split, profiling, sources, store, streams
from dataset_staging.csv_validation import Header
from dataset_staging.errors import DatasetError
from dataset_staging.settings import Location, StagingRequest, dataset_version, parse_physical_id
from dataset_staging.spool import Spool
from dataset_staging.validation import check_training_rows, validate
from drift_monitor import profile

# Stop this long before the Lambda timeout, so the uploads can still be aborted.
_ABORT_MARGIN_MS = 45_000
_DEADLINE_CHECK_ROWS = 20_000


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request_type = event["RequestType"]
    props = event.get("ResourceProperties", {})
    if request_type == "Delete":
        return _delete(event.get("PhysicalResourceId", ""), props)
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unsupported RequestType {request_type!r}")
    request = StagingRequest.from_properties(props)
    if request.pre_split:
        plan = pre_split.plan(request)
        location = Location.of(request.bucket, request.prefix, plan.version)
    else:
        source = sources.parse_source(request.source_uri)
        etag = sources.source_etag(source)
        location = Location.of(request.bucket, request.prefix, dataset_version(request, etag))
    if request_type == "Update" and event.get("PhysicalResourceId") == location.physical_id:
        data = _already_staged(location, request)
        if data is not None:
            log(location.version, "inputs unchanged and objects present; nothing staged")
            return {"PhysicalResourceId": location.physical_id, "Data": data}
    try:
        if request.pre_split:
            data = _copy_pre_split(request, plan, location)
        else:
            data = _stage(request, source, etag, location, _deadline(context))
    except DatasetError as error:
        log(location.version, "dataset rejected", reason=str(error))
        raise
    return {"PhysicalResourceId": location.physical_id, "Data": data}


def _deadline(context: Any) -> Callable[[], bool]:
    """True once the function is close to its timeout (never, without a Lambda context)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return lambda: False
    return lambda: remaining() < _ABORT_MARGIN_MS


def _data(
    location: Location, train_rows: str, holdout_rows: str, columns: int, fmt: str
) -> dict[str, str]:
    return {
        "TrainUri": location.uri(location.train_key),
        "HoldoutUri": location.uri(location.holdout_key),
        "TrainKey": location.train_key,
        "HoldoutKey": location.holdout_key,
        "ProfileUri": location.uri(location.profile_key),
        "ProfileKey": location.profile_key,
        "TrainRows": train_rows,
        "HoldoutRows": holdout_rows,
        "Version": location.version,
        "ColumnCount": str(columns),
        "SourceFormat": fmt,
    }


def _out_of_time(source_uri: str, rows: int) -> DatasetError:
    return DatasetError(
        f"staging {source_uri} did not finish within the function's timeout ({rows} rows "
        f"done); split the data into train and holdout files yourself, upload both to S3 "
        "and set dataset.source = 'pre-split' with dataset.train_uri and dataset.holdout_uri"
    )


def _stage(
    request: StagingRequest,
    source: sources.Source,
    etag: str,
    location: Location,
    out_of_time: Callable[[], bool],
) -> dict[str, str]:
    version = location.version
    log(version, "staging", source=request.source_uri, destination=location.physical_id)
    started = time.monotonic()
    with Spool() as spool:

        def keep(record: str) -> None:
            spool.add(record)
            if spool.records_added % _DEADLINE_CHECK_ROWS == 0 and out_of_time():
                raise _out_of_time(request.source_uri, spool.records_added)

        with (
            sources.open_source(source, etag) as stream,
            streams.csv_chunks(stream, request.archive_member, request.source_uri) as (
                chunks,
                label,
            ),
        ):
            checked = validate(
                chunks,
                label,
                target=request.target,
                holdout_fraction=request.holdout_fraction,
                min_training_rows=request.min_training_rows,
                seed=request.seed,
                on_record=keep,
            )
        validated = time.monotonic()
        rows = checked.strata.split_rows(request.holdout_fraction)
        columns = len(checked.header.columns)
        fmt = checked.header.source_format
        metadata = {"version": version, "columns": str(columns), "source-format": fmt}
        train = store.CsvWriter(
            location.bucket, location.train_key, {**metadata, "rows": str(checked.train_rows)}
        )
        holdout = store.CsvWriter(
            location.bucket, location.holdout_key, {**metadata, "rows": str(checked.holdout_rows)}
        )
        profile_writer = store.CsvWriter(
            location.bucket,
            location.profile_key,
            profile_metadata(location, checked.train_rows, request.positive_class),
            content_type="application/json",
        )
        sample = profiling.ProfileSample(
            checked.strata,
            fraction=request.holdout_fraction,
            training_rows=checked.train_rows,
            mean_bytes=spool.bytes / max(spool.records_added, 1),
        )
        try:
            _write_split(
                (train, holdout),
                checked.header,
                spool,
                rows,
                sample,
                out_of_time,
                request,
            )
            profile_writer.write(
                profiling.document(
                    header=checked.header,
                    target=request.target,
                    positive_class=request.positive_class,
                    records=sample.records(),
                    training_rows=checked.train_rows,
                    class_counts=profiling.training_class_counts(
                        checked.strata, request.holdout_fraction
                    ),
                    seed=request.seed,
                )
            )
            profile_writer.close()
        except BaseException:
            store.abort_all((train, holdout, profile_writer))
            raise
        finally:
            checked.strata.close()
    log(
        version,
        "staged",
        train_rows=checked.train_rows,
        holdout_rows=checked.holdout_rows,
        classes=len(checked.strata.classes),
        source_format=fmt,
        csv_bytes=spool.bytes,
        validate_seconds=round(validated - started, 1),
        total_seconds=round(time.monotonic() - started, 1),
    )
    return _data(location, str(checked.train_rows), str(checked.holdout_rows), columns, fmt)


def profile_metadata(
    location: Location, train_rows: int | str, positive_class: str
) -> dict[str, str]:
    return {
        "version": location.version,
        "rows": str(train_rows),
        "format": str(profile.FORMAT),
        "positive-class": positive_class,
    }


def _write_split(
    writers: tuple[store.CsvWriter, store.CsvWriter],
    header: Header,
    spool: Spool,
    rows: Iterator[tuple[bool, int]],
    sample: profiling.ProfileSample,
    out_of_time: Callable[[], bool],
    request: StagingRequest,
) -> None:
    """Stream the spooled records into train and holdout, keeping the profile's sample
    of the training rows on the way; the caller aborts every writer on failure."""
    train, holdout = writers
    train.write(header.text.encode())
    holdout.write(header.text.encode())
    for position, ((held, bucket), record) in enumerate(zip(rows, spool.records(), strict=True)):
        if held:
            holdout.write(record)
        else:
            train.write(record)
            sample.offer(position, bucket, record)
        if position % _DEADLINE_CHECK_ROWS == 0 and out_of_time():
            raise _out_of_time(request.source_uri, position)
    train.close()
    holdout.close()


def _copy_pre_split(
    request: StagingRequest, plan: pre_split.Plan, location: Location
) -> dict[str, str]:
    log(
        location.version,
        "checking pre-split files",
        train=request.train_source_uri,
        holdout=request.holdout_source_uri,
    )
    sampled = pre_split.check(request, plan)
    columns = len(sampled.columns)
    metadata = {
        "version": location.version,
        "columns": str(columns),
        "source-format": pre_split.SOURCE_FORMAT,
        "rows": pre_split.UNCOUNTED,
    }
    profile_body = profiling.document(
        header=sampled.header,
        target=request.target,
        positive_class=request.positive_class,
        records=[record.encode() for record in sampled.records],
        training_rows=sampled.rows,
        class_counts=None,
        seed=None,
        method=pre_split.PROFILE_SAMPLE_METHOD,
    )
    profile_writer = store.CsvWriter(
        location.bucket,
        location.profile_key,
        profile_metadata(location, pre_split.UNCOUNTED, request.positive_class),
        content_type="application/json",
    )
    pre_split.copy(plan, location, metadata)
    try:
        profile_writer.write(profile_body)
        profile_writer.close()
    except BaseException:
        pre_split.remove_copies(location)
        raise
    log(location.version, "staged pre-split files", columns=columns)
    uncounted = pre_split.UNCOUNTED
    return _data(location, uncounted, uncounted, columns, pre_split.SOURCE_FORMAT)


def _already_staged(location: Location, request: StagingRequest) -> dict[str, str] | None:
    train = store.read_metadata(location.bucket, location.train_key)
    holdout = store.read_metadata(location.bucket, location.holdout_key) if train else None
    if not train or not holdout:
        return None
    try:
        train_rows, holdout_rows = train["rows"], holdout["rows"]
        columns = int(train["columns"])
        fmt = train["source-format"]
        counted = fmt != pre_split.SOURCE_FORMAT
        counts = (int(train_rows), int(holdout_rows)) if counted else (0, 0)
    except (KeyError, ValueError):
        return None
    staged_profile = store.read_metadata(location.bucket, location.profile_key) or {}
    if staged_profile.get("format") != str(profile.FORMAT):
        return None  # staged before profile.json existed, or in an older format
    if staged_profile.get("positive-class") != request.positive_class:
        return None  # the profile's positive rate is for another class
    if counted:
        check_training_rows(*counts, request.min_training_rows)
    return _data(location, train_rows, holdout_rows, columns, fmt)


def _delete(physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    location = parse_physical_id(physical_id)
    if location is None:
        log(physical_id or "dataset", "not a staged dataset; nothing to delete")
        return {"PhysicalResourceId": physical_id}
    if properties.boolean(props, "RetainOnDelete", False):
        log(location.version, "RetainOnDelete is true; objects kept", prefix=location.physical_id)
        return {"PhysicalResourceId": physical_id}
    store.delete_prefix(location.bucket, location.key_prefix, location.version)
    return {"PhysicalResourceId": physical_id}
