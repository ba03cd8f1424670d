"""Every S3 call the staging handler makes, checked against botocore's S3 model."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from botocore.response import StreamingBody

from dataset_staging import handler, streams
from dataset_staging.errors import DatasetError
from dataset_staging.settings import StagingRequest, dataset_version
from tests.fixtures import Capture, event_builder, expect_error
from tools.synthetic.bank import bank_rows, comma_csv

BUCKET = "sagemaker-project-data"
SOURCE_BUCKET = "cdk-hnb659fds-assets-123456789012-us-east-1"
SOURCE_KEY = "0f1e2d3c.csv"
ETAG = '"9b2cf535f27731c974343645a3985328"'
PROPS = {
    "Bucket": BUCKET,
    "Prefix": "datasets",
    "SourceUri": f"s3://{SOURCE_BUCKET}/{SOURCE_KEY}",
    "ArchiveMember": "",
    "TargetAttribute": "y",
    "HoldoutFraction": "0.05",
    "Seed": "42",
    "MinTrainingRows": "500",
    "RetainOnDelete": "false",
}
VERSION = dataset_version(StagingRequest.from_properties(PROPS), ETAG)
PREFIX = f"datasets/{VERSION}/"
PHYSICAL_ID = f"s3://{BUCKET}/{PREFIX}"


event = event_builder(PROPS, logical_id="Dataset", resource_type="Custom::TrainingDataset")


def head_source(s3, size: int = 1000) -> None:
    s3.add_response(
        "head_object",
        {"ETag": ETAG, "ContentLength": size, "ContentType": "text/csv"},
        {"Bucket": SOURCE_BUCKET, "Key": SOURCE_KEY},
    )


def test_version_is_pinned_to_inputs_and_etag():
    request = StagingRequest.from_properties(PROPS)
    assert dataset_version(StagingRequest.from_properties(dict(PROPS)), ETAG) == VERSION
    assert dataset_version(request, '"other"') != VERSION
    for key, value in [
        ("SourceUri", "s3://b/other.csv"),
        ("ArchiveMember", "x.csv"),
        ("TargetAttribute", "label"),
        ("HoldoutFraction", "0.1"),
        ("Seed", "1"),
    ]:
        changed = StagingRequest.from_properties({**PROPS, key: value})
        assert dataset_version(changed, ETAG) != VERSION, key
    unchanged = StagingRequest.from_properties({**PROPS, "MinTrainingRows": "900"})
    assert dataset_version(unchanged, ETAG) == VERSION


def test_create_from_s3_makes_exactly_these_calls(stub):
    data = comma_csv(bank_rows(1000))
    s3 = stub("s3")
    head_source(s3, len(data))
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(data), len(data)), "ETag": ETAG},
        {"Bucket": SOURCE_BUCKET, "Key": SOURCE_KEY, "IfMatch": ETAG},
    )
    bodies = {"train": Capture(), "holdout": Capture(), "profile": Capture()}
    common = {"version": VERSION, "columns": "21", "source-format": "comma"}
    for name, rows in (("train", "950"), ("holdout", "50")):
        s3.add_response(
            "put_object",
            {"ETag": '"e"'},
            {
                "Bucket": BUCKET,
                "Key": f"{PREFIX}{name}.csv",
                "Body": bodies[name],
                "ContentType": "text/csv",
                "Metadata": {**common, "rows": rows},
            },
        )
    s3.add_response(
        "put_object",
        {"ETag": '"e"'},
        {
            "Bucket": BUCKET,
            "Key": f"{PREFIX}profile.json",
            "Body": bodies["profile"],
            "ContentType": "application/json",
            "Metadata": {"version": VERSION, "rows": "950", "format": "1", "positive-class": "yes"},
        },
    )

    response = handler.on_event(event("Create"), None)

    assert response["PhysicalResourceId"] == PHYSICAL_ID
    assert response["Data"]["TrainRows"] == "950"
    train, holdout = bodies["train"].value, bodies["holdout"].value
    assert train.count(b"\n") == 951
    assert holdout.count(b"\n") == 51
    assert sorted(train.splitlines()[1:] + holdout.splitlines()[1:]) == sorted(
        data.splitlines()[1:]
    )
    # The profile: the header without the target, all 950 training rows sampled.
    profile = json.loads(bodies["profile"].value)
    assert profile["columns"] == train.splitlines()[0].decode().split(",")[:-1]
    assert profile["sample"]["rows"] == 950


def test_update_with_unchanged_inputs_only_reads_metadata(stub):
    s3 = stub("s3")
    head_source(s3)
    for name, rows in (("train", "950"), ("holdout", "50")):
        s3.add_response(
            "head_object",
            {
                "ContentLength": 10,
                "Metadata": {
                    "version": VERSION,
                    "columns": "21",
                    "source-format": "comma",
                    "rows": rows,
                },
            },
            {"Bucket": BUCKET, "Key": f"{PREFIX}{name}.csv"},
        )
    s3.add_response(
        "head_object",
        {
            "ContentLength": 10,
            "Metadata": {"version": VERSION, "rows": "950", "format": "1", "positive-class": "yes"},
        },
        {"Bucket": BUCKET, "Key": f"{PREFIX}profile.json"},
    )

    response = handler.on_event(event("Update", PHYSICAL_ID), None)

    assert response == {
        "PhysicalResourceId": PHYSICAL_ID,
        "Data": {
            "TrainUri": f"{PHYSICAL_ID}train.csv",
            "HoldoutUri": f"{PHYSICAL_ID}holdout.csv",
            "TrainKey": f"{PREFIX}train.csv",
            "HoldoutKey": f"{PREFIX}holdout.csv",
            "ProfileUri": f"{PHYSICAL_ID}profile.json",
            "ProfileKey": f"{PREFIX}profile.json",
            "TrainRows": "950",
            "HoldoutRows": "50",
            "Version": VERSION,
            "ColumnCount": "21",
            "SourceFormat": "comma",
        },
    }


def test_update_does_not_hide_access_errors_on_staged_objects(stub):
    s3 = stub("s3")
    head_source(s3)
    expect_error(s3, "head_object", "403", status=403, Bucket=BUCKET, Key=f"{PREFIX}train.csv")
    with pytest.raises(Exception, match="403"):
        handler.on_event(event("Update", PHYSICAL_ID), None)


def test_source_changed_between_head_and_get(stub):
    s3 = stub("s3")
    head_source(s3)
    expect_error(
        s3,
        "get_object",
        "PreconditionFailed",
        status=412,
        Bucket=SOURCE_BUCKET,
        Key=SOURCE_KEY,
        IfMatch=ETAG,
    )
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event("Create"), None)
    assert str(raised.value) == (
        f"source s3://{SOURCE_BUCKET}/{SOURCE_KEY} changed while it was being staged; deploy again"
    )


def test_oversized_source_is_refused_before_download(stub):
    s3 = stub("s3")
    size = streams.MAX_CSV_BYTES + 1
    head_source(s3, size=size)
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event("Create"), None)
    assert str(raised.value) == (
        f"s3://{SOURCE_BUCKET}/{SOURCE_KEY} is {size} bytes; the staging function splits CSV "
        "files of at most 5368709120 bytes (5.0 GiB) within its 14-minute timeout: split the "
        "data into train and holdout files yourself, upload both to S3 and set "
        "dataset.source = 'pre-split' with dataset.train_uri and dataset.holdout_uri"
    )


def listed(*keys: str, token: str | None = None) -> dict:
    page = {
        "IsTruncated": token is not None,
        "Contents": [
            {"Key": key, "Size": 1, "ETag": '"e"', "LastModified": datetime(2025, 1, 1, tzinfo=UTC)}
            for key in keys
        ],
        "Name": BUCKET,
        "Prefix": PREFIX,
        "KeyCount": len(keys),
        "MaxKeys": 1000,
    }
    if token:
        page["NextContinuationToken"] = token
    return page


def test_delete_pages_through_the_prefix(stub):
    s3 = stub("s3")
    s3.add_response(
        "list_objects_v2",
        listed(f"{PREFIX}train.csv", token="t1"),
        {"Bucket": BUCKET, "Prefix": PREFIX},
    )
    s3.add_response(
        "delete_objects",
        {"Deleted": []},
        {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": f"{PREFIX}train.csv"}], "Quiet": True}},
    )
    s3.add_response(
        "list_objects_v2",
        listed(f"{PREFIX}holdout.csv"),
        {"Bucket": BUCKET, "Prefix": PREFIX, "ContinuationToken": "t1"},
    )
    s3.add_response(
        "delete_objects",
        {"Deleted": []},
        {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": f"{PREFIX}holdout.csv"}], "Quiet": True}},
    )
    assert handler.on_event(event("Delete", PHYSICAL_ID), None) == {
        "PhysicalResourceId": PHYSICAL_ID
    }


def test_delete_of_an_empty_prefix_deletes_nothing(stub):
    s3 = stub("s3")
    s3.add_response(
        "list_objects_v2",
        {"IsTruncated": False, "Name": BUCKET, "Prefix": PREFIX, "KeyCount": 0},
        {"Bucket": BUCKET, "Prefix": PREFIX},
    )
    handler.on_event(event("Delete", PHYSICAL_ID), None)


def test_delete_with_missing_bucket_is_done(stub):
    s3 = stub("s3")
    expect_error(s3, "list_objects_v2", "NoSuchBucket", status=404, Bucket=BUCKET, Prefix=PREFIX)
    handler.on_event(event("Delete", PHYSICAL_ID), None)


def test_delete_reports_objects_it_could_not_delete(stub):
    s3 = stub("s3")
    s3.add_response(
        "list_objects_v2", listed(f"{PREFIX}train.csv"), {"Bucket": BUCKET, "Prefix": PREFIX}
    )
    s3.add_response(
        "delete_objects",
        {
            "Errors": [
                {"Key": f"{PREFIX}train.csv", "Code": "AccessDenied", "Message": "Access Denied"}
            ]
        },
        {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": f"{PREFIX}train.csv"}], "Quiet": True}},
    )
    with pytest.raises(RuntimeError) as raised:
        handler.on_event(event("Delete", PHYSICAL_ID), None)
    assert str(raised.value) == (
        f"could not delete 1 object(s) under s3://{BUCKET}/{PREFIX}; "
        f"first: {PREFIX}train.csv: AccessDenied Access Denied"
    )


@pytest.mark.parametrize(
    "physical_id",
    [
        "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED",
        "",
        f"s3://{BUCKET}/",
        f"s3://{BUCKET}/datasets/",
        f"s3://{BUCKET}/datasets/{VERSION}",
    ],
)
def test_delete_ignores_physical_ids_it_did_not_issue(stub, physical_id):
    stub("s3")
    assert handler.on_event(event("Delete", physical_id), None) == {
        "PhysicalResourceId": physical_id
    }


def test_delete_with_retain_makes_no_calls(stub):
    stub("s3")
    handler.on_event(event("Delete", PHYSICAL_ID, RetainOnDelete="true"), None)
