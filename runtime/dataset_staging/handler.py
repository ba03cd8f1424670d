"""Custom-resource entry point: stage a dataset as train.csv and holdout.csv in S3.

The physical ID is ``s3://<bucket>/<prefix>/<version>/``; a new version on Update gives
a new physical ID, and CloudFormation then deletes the old one.
"""

from __future__ import annotations

from typing import Any

from cr_support import properties
from cr_support.logs import log
from dataset_staging import csv_validation, sources, split, store
from dataset_staging.errors import DatasetError
from dataset_staging.settings import Location, StagingRequest, dataset_version, parse_physical_id


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request_type = event["RequestType"]
    props = event.get("ResourceProperties", {})
    if request_type == "Delete":
        return _delete(event.get("PhysicalResourceId", ""), props)
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unsupported RequestType {request_type!r}")
    request = StagingRequest.from_properties(props)
    source = sources.parse_source(request.source_uri)
    etag = sources.source_etag(source)
    location = Location.of(request.bucket, request.prefix, dataset_version(request, etag))
    if request_type == "Update" and event.get("PhysicalResourceId") == location.physical_id:
        data = _already_staged(location, request)
        if data is not None:
            log(location.version, "inputs unchanged and objects present; nothing staged")
            return {"PhysicalResourceId": location.physical_id, "Data": data}
    try:
        data = _stage(request, source, etag, location)
    except DatasetError as error:
        log(location.version, "dataset rejected", reason=str(error))
        raise
    return {"PhysicalResourceId": location.physical_id, "Data": data}


def _data(location: Location, train_rows: int, holdout_rows: int, columns: int, fmt: str):
    return {
        "TrainUri": location.uri(location.train_key),
        "HoldoutUri": location.uri(location.holdout_key),
        "TrainKey": location.train_key,
        "HoldoutKey": location.holdout_key,
        "TrainRows": str(train_rows),
        "HoldoutRows": str(holdout_rows),
        "Version": location.version,
        "ColumnCount": str(columns),
        "SourceFormat": fmt,
    }


def _check_training_rows(train_rows: int, holdout_rows: int, minimum: int) -> None:
    if train_rows < minimum:
        raise DatasetError(
            f"only {train_rows} training rows after holding out {holdout_rows} of "
            f"{train_rows + holdout_rows} data rows; Autopilot needs at least {minimum} "
            "(MinTrainingRows): add rows or lower HoldoutFraction"
        )


def _stage(
    request: StagingRequest, source: sources.Source, etag: str, location: Location
) -> dict[str, str]:
    version = location.version
    log(version, "staging", source=request.source_uri, destination=location.physical_id)
    raw = sources.fetch(source, etag)
    csv_bytes, label = sources.extract_csv(raw, request.archive_member, request.source_uri)
    del raw
    text = csv_validation.decode(csv_bytes, label)
    del csv_bytes
    table = csv_validation.parse(text, request.target)
    del text
    classes = csv_validation.check_classes(table, request.target)
    mask = split.holdout_mask(table.targets, request.holdout_fraction, request.seed)
    result = split.render(table.header, table.records, mask)
    columns = len(table.columns)
    fmt = table.source_format
    del table, mask
    _check_training_rows(result.train_rows, result.holdout_rows, request.min_training_rows)
    metadata = {"version": version, "columns": str(columns), "source-format": fmt}
    store.put_csv(
        location.bucket,
        location.train_key,
        result.train,
        {**metadata, "rows": str(result.train_rows)},
    )
    store.put_csv(
        location.bucket,
        location.holdout_key,
        result.holdout,
        {**metadata, "rows": str(result.holdout_rows)},
    )
    log(
        version,
        "staged",
        train_rows=result.train_rows,
        holdout_rows=result.holdout_rows,
        classes=len(classes),
        source_format=fmt,
    )
    return _data(location, result.train_rows, result.holdout_rows, columns, fmt)


def _already_staged(location: Location, request: StagingRequest) -> dict[str, str] | None:
    train = store.read_metadata(location.bucket, location.train_key)
    holdout = store.read_metadata(location.bucket, location.holdout_key) if train else None
    if not train or not holdout:
        return None
    try:
        train_rows = int(train["rows"])
        holdout_rows = int(holdout["rows"])
        columns = int(train["columns"])
        fmt = train["source-format"]
    except (KeyError, ValueError):
        return None
    _check_training_rows(train_rows, holdout_rows, request.min_training_rows)
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
