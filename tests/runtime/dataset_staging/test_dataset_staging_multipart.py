"""Streamed output: multipart uploads that complete, or leave nothing behind."""

from __future__ import annotations

import io

import moto.s3.models
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from dataset_staging import handler, store
from dataset_staging.errors import DatasetError
from dataset_staging.settings import StagingRequest, dataset_version
from tools.synthetic.bank import bank_rows, comma_csv

BUCKET = "sagemaker-project-data"
SOURCE_KEY = "uploads/bank.csv"
PART = 16 * 1024
PROPS = {
    "Bucket": BUCKET,
    "Prefix": "datasets",
    "SourceUri": f"s3://{BUCKET}/{SOURCE_KEY}",
    "TargetAttribute": "y",
    "HoldoutFraction": "0.05",
    "Seed": "42",
    "MinTrainingRows": "500",
}


def create(**props: str) -> dict:
    return {"RequestType": "Create", "ResourceProperties": {**PROPS, **props}}


@pytest.fixture
def small_parts(monkeypatch):
    """16 KiB parts, so a small file takes the multipart path (moto allows it here)."""
    monkeypatch.setattr(store, "PART_BYTES", PART)
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 256)


@pytest.fixture
def s3(moto_clients, small_parts):
    client = moto_clients("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def staged_keys(s3) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="datasets/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def uploads_in_progress(s3) -> list[str]:
    return [item["Key"] for item in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


def test_parts_are_real_s3_parts():
    assert 5 * 1024 * 1024 <= store.PART_BYTES <= 16 * 1024 * 1024


def test_large_output_is_uploaded_in_parts_and_matches_the_single_put(s3, monkeypatch):
    data = comma_csv(bank_rows(2000))
    s3.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=data)

    streamed = handler.on_event(create(), None)

    # A multipart object's ETag ends in -<number of parts>.
    etag = s3.head_object(Bucket=BUCKET, Key=streamed["Data"]["TrainKey"])["ETag"]
    assert int(etag.strip('"').rsplit("-", 1)[1]) > 1
    assert uploads_in_progress(s3) == []
    streamed_bodies = [
        s3.get_object(Bucket=BUCKET, Key=streamed["Data"][key])["Body"].read()
        for key in ("TrainKey", "HoldoutKey")
    ]
    head = s3.head_object(Bucket=BUCKET, Key=streamed["Data"]["TrainKey"])
    assert head["ContentType"] == "text/csv"
    assert head["Metadata"]["rows"] == "1900"

    # The same inputs through single PutObject calls give the same bytes.
    monkeypatch.setattr(store, "PART_BYTES", len(data) * 2)
    s3.delete_objects(
        Bucket=BUCKET,
        Delete={"Objects": [{"Key": key} for key in staged_keys(s3)]},
    )
    whole = handler.on_event(create(), None)
    assert whole == streamed
    assert [
        s3.get_object(Bucket=BUCKET, Key=whole["Data"][key])["Body"].read()
        for key in ("TrainKey", "HoldoutKey")
    ] == streamed_bodies


def test_failure_after_train_parts_were_uploaded_leaves_nothing(s3, monkeypatch):
    s3.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=comma_csv(bank_rows(2000)))
    real_flush = store.CsvWriter._flush
    flushed = []

    def flush_then_fail(writer):
        if writer.key.endswith("holdout.csv") or len(flushed) == 3:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Slow"}}, "UploadPart")
        real_flush(writer)
        flushed.append(writer.key)

    monkeypatch.setattr(store.CsvWriter, "_flush", flush_then_fail)
    with pytest.raises(ClientError, match="SlowDown"):
        handler.on_event(create(), None)

    assert len(flushed) == 3 and all(key.endswith("train.csv") for key in flushed)
    assert staged_keys(s3) == []
    assert uploads_in_progress(s3) == []


def test_failure_after_train_completed_deletes_it(s3, monkeypatch):
    s3.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=comma_csv(bank_rows(2000)))
    real_close = store.CsvWriter.close

    def close_train_only(writer):
        if writer.key.endswith("holdout.csv"):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "PutObject")
        real_close(writer)

    monkeypatch.setattr(store.CsvWriter, "close", close_train_only)
    with pytest.raises(ClientError, match="InternalError"):
        handler.on_event(create(), None)
    assert staged_keys(s3) == []
    assert uploads_in_progress(s3) == []


class NearTimeout:
    """A Lambda context whose remaining time runs out after ``calls`` checks."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def get_remaining_time_in_millis(self) -> int:
        self.calls -= 1
        return 600_000 if self.calls > 0 else 10_000


def test_running_out_of_time_aborts_with_what_to_do(s3, monkeypatch):
    monkeypatch.setattr(handler, "_DEADLINE_CHECK_ROWS", 100)
    s3.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=comma_csv(bank_rows(2000)))
    # 20 checks while reading (every 100 rows), then out of time while writing.
    with pytest.raises(DatasetError) as raised:
        handler.on_event(create(), NearTimeout(calls=25))
    assert str(raised.value) == (
        f"staging s3://{BUCKET}/{SOURCE_KEY} did not finish within the function's timeout "
        "(400 rows done); split the data into train and holdout files yourself, upload both "
        "to S3 and set dataset.source = 'pre-split' with dataset.train_uri and "
        "dataset.holdout_uri"
    )
    assert staged_keys(s3) == []
    assert uploads_in_progress(s3) == []


def test_rejection_at_the_last_line_writes_nothing(s3):
    data = comma_csv(bank_rows(2000)) + b"1,2,3\n"
    s3.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=data)
    with pytest.raises(DatasetError, match=r"^line 2002 has 3 fields but the header has 21"):
        handler.on_event(create(), None)
    assert staged_keys(s3) == []
    assert uploads_in_progress(s3) == []


# The exact calls, checked against botocore's S3 model.

ETAG = '"0123456789abcdef0123456789abcdef"'


def test_multipart_calls_and_abort_on_failure(stub, monkeypatch):
    monkeypatch.setattr(store, "PART_BYTES", PART)
    data = comma_csv(bank_rows(600))
    request = StagingRequest.from_properties(PROPS)
    prefix = f"datasets/{dataset_version(request, ETAG)}/"
    s3 = stub("s3")
    s3.add_response(
        "head_object",
        {"ETag": ETAG, "ContentLength": len(data)},
        {"Bucket": BUCKET, "Key": SOURCE_KEY},
    )
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(data), len(data)), "ETag": ETAG},
        {"Bucket": BUCKET, "Key": SOURCE_KEY, "IfMatch": ETAG},
    )
    train_key = f"{prefix}train.csv"
    s3.add_response(
        "create_multipart_upload",
        {"UploadId": "up-1", "Bucket": BUCKET, "Key": train_key},
        {
            "Bucket": BUCKET,
            "Key": train_key,
            "ContentType": "text/csv",
            "Metadata": {
                "version": prefix.split("/")[1],
                "columns": "21",
                "source-format": "comma",
                "rows": "570",
            },
        },
    )
    s3.add_response(
        "upload_part",
        {"ETag": '"p1"'},
        {
            "Bucket": BUCKET,
            "Key": train_key,
            "UploadId": "up-1",
            "PartNumber": 1,
            "Body": Anything(),
        },
    )
    s3.add_client_error(
        "upload_part",
        service_error_code="RequestTimeout",
        http_status_code=400,
        expected_params={
            "Bucket": BUCKET,
            "Key": train_key,
            "UploadId": "up-1",
            "PartNumber": 2,
            "Body": Anything(),
        },
    )
    s3.add_response(
        "abort_multipart_upload",
        {},
        {"Bucket": BUCKET, "Key": train_key, "UploadId": "up-1"},
    )
    with pytest.raises(ClientError, match="RequestTimeout"):
        handler.on_event(create(), None)


class Anything:
    def __eq__(self, other):
        return True

    __hash__ = None
