"""The staging handler end to end on moto S3."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request

import pytest

from cr_support.properties import PropertyError
from dataset_staging import handler
from dataset_staging.errors import DatasetError
from tests.fixtures import cfn_event
from tools.synthetic.bank import bank_rows, comma_csv, sample_zip, uci_semicolon_csv

BUCKET = "sagemaker-project-data"
SAMPLE_URL = (
    "https://sagemaker-sample-data-us-west-2.s3-us-west-2.amazonaws.com"
    "/autopilot/direct_marketing/bank-additional.zip"
)
MEMBER = "bank-additional/bank-additional-full.csv"


def event(request_type: str = "Create", physical_id: str | None = None, **props: str) -> dict:
    properties = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "Bucket": BUCKET,
        "Prefix": "datasets",
        "SourceUri": SAMPLE_URL,
        "ArchiveMember": MEMBER,
        "TargetAttribute": "y",
        "HoldoutFraction": "0.05",
        "Seed": "42",
        "MinTrainingRows": "500",
        "RetainOnDelete": "false",
        **props,
    }
    result = cfn_event(
        request_type,
        properties,
        logical_id="Dataset",
        resource_type="Custom::TrainingDataset",
        physical_id=physical_id,
        stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/dev/1",
    )
    return result


class FakeResponse(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


@pytest.fixture
def downloads(monkeypatch):
    """Serve a payload for the sample URL and record every download."""
    state = {"payload": b"", "calls": []}

    def urlopen(request, timeout):
        state["calls"].append((request.full_url, timeout))
        return FakeResponse(state["payload"])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return state


@pytest.fixture
def s3(moto_clients):
    client = moto_clients("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def keys(s3, prefix: str = "") -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def body(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def content_type_and_metadata(s3, key: str) -> tuple[str, dict[str, str]]:
    head = s3.head_object(Bucket=BUCKET, Key=key)
    return head["ContentType"], head["Metadata"]


def test_https_zip_is_staged_end_to_end(s3, downloads):
    data = comma_csv(bank_rows(1200))
    downloads["payload"] = sample_zip(data)

    response = handler.on_event(event(), None)

    version = response["Data"]["Version"]
    assert len(version) == 16
    assert response["PhysicalResourceId"] == f"s3://{BUCKET}/datasets/{version}/"
    assert response["Data"] == {
        "TrainUri": f"s3://{BUCKET}/datasets/{version}/train.csv",
        "HoldoutUri": f"s3://{BUCKET}/datasets/{version}/holdout.csv",
        "TrainKey": f"datasets/{version}/train.csv",
        "HoldoutKey": f"datasets/{version}/holdout.csv",
        "ProfileUri": f"s3://{BUCKET}/datasets/{version}/profile.json",
        "ProfileKey": f"datasets/{version}/profile.json",
        "TrainRows": "1140",
        "HoldoutRows": "60",
        "Version": version,
        "ColumnCount": "21",
        "SourceFormat": "comma",
    }
    assert downloads["calls"] == [(SAMPLE_URL, 60)]
    assert keys(s3) == [
        f"datasets/{version}/holdout.csv",
        f"datasets/{version}/profile.json",
        f"datasets/{version}/train.csv",
    ]
    train = body(s3, f"datasets/{version}/train.csv").decode().splitlines(keepends=True)
    holdout = body(s3, f"datasets/{version}/holdout.csv").decode().splitlines(keepends=True)
    source = data.decode().splitlines(keepends=True)
    assert train[0] == holdout[0] == source[0]
    assert sorted(train[1:] + holdout[1:]) == sorted(source[1:])
    assert sum(line.endswith(",yes\n") for line in holdout) == round(132 * 0.05)
    # The monitor's profile: every training row (fewer than the sample cap), target out.
    profile = json.loads(body(s3, f"datasets/{version}/profile.json"))
    assert profile["columns"] == train[0].strip().split(",")[:-1]
    assert (profile["rows"], profile["sample"]["rows"]) == (1140, 1140)
    assert profile["positive_rate"] == sum(line.endswith(",yes\n") for line in train) / 1140
    profile_metadata = {"version": version, "rows": "1140", "format": "1", "positive-class": "yes"}
    assert content_type_and_metadata(s3, f"datasets/{version}/profile.json") == (
        "application/json",
        profile_metadata,
    )
    train_metadata = {"version": version, "columns": "21", "source-format": "comma", "rows": "1140"}
    assert content_type_and_metadata(s3, f"datasets/{version}/train.csv") == (
        "text/csv",
        train_metadata,
    )


def test_s3_semicolon_source_is_converted_and_versioned_by_etag(s3):
    rows = bank_rows(800)
    s3.put_object(Bucket=BUCKET, Key="uploads/bank.csv", Body=uci_semicolon_csv(rows))
    props = {"SourceUri": f"s3://{BUCKET}/uploads/bank.csv", "ArchiveMember": ""}

    first = handler.on_event(event(**props), None)

    assert first["Data"]["SourceFormat"] == "semicolon-converted"
    assert (first["Data"]["TrainRows"], first["Data"]["HoldoutRows"]) == ("760", "40")
    staged = body(s3, first["Data"]["TrainKey"]) + body(s3, first["Data"]["HoldoutKey"])
    expected = {",".join(row) for row in rows}
    lines = [line for line in staged.decode().splitlines() if not line.startswith("age,")]
    assert set(lines) == expected
    assert len(lines) == len(expected)

    s3.put_object(Bucket=BUCKET, Key="uploads/bank.csv", Body=uci_semicolon_csv(bank_rows(801)))
    second = handler.on_event(event("Update", first["PhysicalResourceId"], **props), None)
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]
    assert second["Data"]["HoldoutRows"] == "40"


def test_update_with_unchanged_inputs_does_not_restage(s3, downloads, monkeypatch):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    created = handler.on_event(event(), None)
    physical_id = created["PhysicalResourceId"]
    puts = []
    monkeypatch.setattr(handler.store.CsvWriter, "close", lambda self: puts.append(self.key))

    updated = handler.on_event(event("Update", physical_id, MinTrainingRows="600"), None)

    assert updated == created
    assert downloads["calls"] == [(SAMPLE_URL, 60)]
    assert puts == []


def test_update_restages_when_objects_are_missing(s3, downloads):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    created = handler.on_event(event(), None)
    s3.delete_object(Bucket=BUCKET, Key=created["Data"]["HoldoutKey"])

    updated = handler.on_event(event("Update", created["PhysicalResourceId"]), None)

    assert updated == created
    assert len(downloads["calls"]) == 2
    assert len(keys(s3)) == 3


def test_update_reuse_still_enforces_min_training_rows(s3, downloads):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    created = handler.on_event(event(), None)
    with pytest.raises(DatasetError, match=r"^only 950 training rows after holding out 50 of"):
        handler.on_event(
            event("Update", created["PhysicalResourceId"], MinTrainingRows="1000"), None
        )


def test_changed_seed_stages_a_new_version_beside_the_old(s3, downloads):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    created = handler.on_event(event(), None)
    updated = handler.on_event(event("Update", created["PhysicalResourceId"], Seed="7"), None)
    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
    assert len(keys(s3)) == 6
    old_holdout = body(s3, created["Data"]["HoldoutKey"])
    new_holdout = body(s3, updated["Data"]["HoldoutKey"])
    assert old_holdout != new_holdout


def test_too_few_training_rows_is_rejected_with_counts(s3, downloads):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(520)))
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event(), None)
    assert str(raised.value) == (
        "only 494 training rows after holding out 26 of 520 data rows; Autopilot needs at "
        "least 500 (dataset.min_training_rows): add rows or lower dataset.holdout_fraction"
    )
    assert keys(s3) == []


def test_http_errors_are_reported(monkeypatch, s3):
    def refuse(request, timeout):
        raise urllib.error.HTTPError(request.full_url, 403, "Forbidden", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event(), None)
    assert str(raised.value) == (
        f"download of {SAMPLE_URL} failed: HTTP 403 Forbidden; check that the URL is "
        "correct and publicly readable"
    )


def test_unreachable_url_is_reported(monkeypatch, s3):
    def unreachable(request, timeout):
        raise urllib.error.URLError("timed out")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(DatasetError, match=r"^could not download .*: timed out; check the URL"):
        handler.on_event(event(), None)


def test_missing_s3_source_is_reported(s3):
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event(SourceUri=f"s3://{BUCKET}/nope.csv", ArchiveMember=""), None)
    assert str(raised.value) == (
        f"cannot read source s3://{BUCKET}/nope.csv (404); check that the object exists and "
        "that the staging function's role may s3:GetObject it"
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"HoldoutFraction": "0.5"}, "'HoldoutFraction' must be between 0 and 0.5, got 0.5"),
        ({"HoldoutFraction": "0"}, "'HoldoutFraction' must be between 0 and 0.5, got 0.0"),
        ({"Seed": "x"}, "'Seed' must be an integer, got 'x'"),
        ({"TargetAttribute": ""}, "'TargetAttribute' must not be empty"),
        ({"MinTrainingRows": "0"}, "'MinTrainingRows' must be at least 1"),
    ],
)
def test_bad_properties_are_rejected(props, message):
    with pytest.raises(PropertyError, match=message):
        handler.on_event(event(**props), None)


def test_delete_removes_the_prefix_and_is_idempotent(s3, downloads):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    created = handler.on_event(event(), None)
    s3.put_object(Bucket=BUCKET, Key="datasets/other/train.csv", Body=b"keep")
    s3.put_object(Bucket=BUCKET, Key=created["Data"]["TrainKey"] + ".extra", Body=b"x")
    physical_id = created["PhysicalResourceId"]

    assert handler.on_event(event("Delete", physical_id), None) == {
        "PhysicalResourceId": physical_id
    }
    assert keys(s3) == ["datasets/other/train.csv"]
    handler.on_event(event("Delete", physical_id), None)
    assert keys(s3) == ["datasets/other/train.csv"]


def test_delete_with_retain_keeps_objects(s3, downloads):
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    created = handler.on_event(event(), None)
    handler.on_event(event("Delete", created["PhysicalResourceId"], RetainOnDelete="true"), None)
    assert len(keys(s3)) == 3


def test_delete_when_bucket_is_gone(moto_clients):
    physical_id = "s3://sagemaker-gone/datasets/0123456789abcdef/"
    assert handler.on_event(event("Delete", physical_id), None) == {
        "PhysicalResourceId": physical_id
    }


def test_every_log_line_names_the_dataset_version(s3, downloads, caplog):
    caplog.set_level(logging.INFO, logger="autopilot_studio")
    downloads["payload"] = sample_zip(comma_csv(bank_rows(1000)))
    version = handler.on_event(event(), None)["Data"]["Version"]
    lines = [json.loads(record.getMessage()) for record in caplog.records]
    assert [line["message"] for line in lines] == ["staging", "staged"]
    assert {line["resource"] for line in lines} == {version}
    assert lines[1]["train_rows"] == 950
