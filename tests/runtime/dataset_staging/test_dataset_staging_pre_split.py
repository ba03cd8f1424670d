"""Pre-split input: the user's train and holdout objects, checked by sample and copied."""

from __future__ import annotations

import json

import pytest

from dataset_staging import handler, pre_split
from dataset_staging.errors import DatasetError
from dataset_staging.settings import StagingRequest, dataset_version
from tests.fixtures import event_builder
from tests.runtime.dataset_staging.faults import fail_profile_upload
from tools.synthetic.bank import bank_rows, comma_csv, uci_semicolon_csv

BUCKET = "sagemaker-project-data"
USER_BUCKET = "my-team-data"
TRAIN = f"s3://{USER_BUCKET}/bank/train.csv"
HOLDOUT = f"s3://{USER_BUCKET}/bank/holdout.csv"
PROPS = {
    "Bucket": BUCKET,
    "Prefix": "datasets",
    "SourceUri": "",
    "TrainSourceUri": TRAIN,
    "HoldoutSourceUri": HOLDOUT,
    "TargetAttribute": "y",
    "HoldoutFraction": "0.05",
    "Seed": "42",
    "MinTrainingRows": "500",
}


event = event_builder(PROPS, logical_id="Dataset", resource_type="Custom::TrainingDataset")


@pytest.fixture
def s3(moto_clients):
    client = moto_clients("s3")
    client.create_bucket(Bucket=BUCKET)
    client.create_bucket(Bucket=USER_BUCKET)
    return client


def upload(s3, train: bytes, holdout: bytes) -> None:
    s3.put_object(Bucket=USER_BUCKET, Key="bank/train.csv", Body=train)
    s3.put_object(Bucket=USER_BUCKET, Key="bank/holdout.csv", Body=holdout)


def staged(s3) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_pre_split_files_are_copied_as_they_are(s3):
    train, holdout = comma_csv(bank_rows(900)), comma_csv(bank_rows(100, seed=3))
    upload(s3, train, holdout)

    response = handler.on_event(event(), None)

    data = response["Data"]
    assert (data["TrainRows"], data["HoldoutRows"], data["SourceFormat"]) == (
        "uncounted",
        "uncounted",
        "pre-split",
    )
    assert data["ColumnCount"] == "21"
    assert s3.get_object(Bucket=BUCKET, Key=data["TrainKey"])["Body"].read() == train
    assert s3.get_object(Bucket=BUCKET, Key=data["HoldoutKey"])["Body"].read() == holdout
    head = s3.head_object(Bucket=BUCKET, Key=data["TrainKey"])
    assert head["ContentType"] == "text/csv"
    assert head["Metadata"]["source-format"] == "pre-split"
    # The profile comes from the train file's first rows (a uniform sample needs it all).
    document = json.loads(s3.get_object(Bucket=BUCKET, Key=data["ProfileKey"])["Body"].read())
    assert document["sample"]["method"] == "first-rows"
    assert document["sample"]["rows"] == 900
    assert document["columns"] == train.decode().splitlines()[0].split(",")[:-1]


def test_failed_profile_upload_removes_both_copies(s3, monkeypatch):
    upload(s3, comma_csv(bank_rows(900)), comma_csv(bank_rows(100)))
    fail_profile_upload(monkeypatch, "profile upload failed")
    with pytest.raises(RuntimeError, match="profile upload failed"):
        handler.on_event(event(), None)
    assert staged(s3) == []


def test_version_follows_both_objects(s3):
    upload(s3, comma_csv(bank_rows(900)), comma_csv(bank_rows(100, seed=3)))
    first = handler.on_event(event(), None)
    again = handler.on_event(event("Update", first["PhysicalResourceId"]), None)
    assert again == first
    s3.put_object(Bucket=USER_BUCKET, Key="bank/holdout.csv", Body=comma_csv(bank_rows(99)))
    changed = handler.on_event(event("Update", first["PhysicalResourceId"]), None)
    assert changed["PhysicalResourceId"] != first["PhysicalResourceId"]


def test_headers_must_match(s3):
    holdout = comma_csv(bank_rows(100), header=("age", *(f"c{i}" for i in range(19)), "y"))
    upload(s3, comma_csv(bank_rows(900)), holdout)
    with pytest.raises(
        DatasetError, match=r"^the header of .*holdout\.csv \(dataset\.holdout_uri\)"
    ):
        handler.on_event(event(), None)
    assert staged(s3) == []


def test_semicolon_files_are_refused(s3):
    upload(s3, uci_semicolon_csv(bank_rows(900)), comma_csv(bank_rows(100)))
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event(), None)
    assert str(raised.value) == (
        f"{TRAIN} is semicolon-separated; pre-split files are used as they are, so save them "
        "comma-separated"
    )


def test_one_class_in_the_train_sample_is_refused(s3):
    upload(s3, comma_csv(bank_rows(900, yes_rate=0)), comma_csv(bank_rows(100)))
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event(), None)
    assert str(raised.value) == (
        "target column 'y' (dataset.target_attribute) has a single class 'no' in the first "
        f"900 rows of {TRAIN} (dataset.train_uri); Autopilot needs at least 2 distinct target "
        "values (shuffle the file if it is sorted by target)"
    )


def test_missing_target_and_bad_rows_in_the_sample_are_refused(s3):
    upload(s3, comma_csv(bank_rows(900)), b"age,y\n1,no\n")
    with pytest.raises(DatasetError, match="the header of"):
        handler.on_event(event(), None)
    upload(s3, comma_csv(bank_rows(900)) + b"1,2\n", comma_csv(bank_rows(100)))
    with pytest.raises(DatasetError, match=r"^line 902 has 2 fields but the header has 21"):
        handler.on_event(event(), None)
    with pytest.raises(DatasetError, match=r"^target column 'label' \(dataset.target_attribute\)"):
        handler.on_event(event(TargetAttribute="label"), None)


def test_missing_object_names_it(s3):
    s3.put_object(Bucket=USER_BUCKET, Key="bank/train.csv", Body=comma_csv(bank_rows(900)))
    with pytest.raises(DatasetError, match=rf"^cannot read source {HOLDOUT} \(404\)"):
        handler.on_event(event(), None)


def test_failed_holdout_copy_removes_the_train_copy(s3, monkeypatch):
    upload(s3, comma_csv(bank_rows(900)), comma_csv(bank_rows(100)))
    real_copy = pre_split._copy

    def fail_on_holdout(source, *args):
        if source.key.endswith("holdout.csv"):
            raise RuntimeError("copy failed")
        real_copy(source, *args)

    monkeypatch.setattr(pre_split, "_copy", fail_on_holdout)
    with pytest.raises(RuntimeError, match="copy failed"):
        handler.on_event(event(), None)
    assert staged(s3) == []


class Any:
    def __eq__(self, other):
        return True

    __hash__ = None


def test_objects_above_5_gib_are_copied_in_parts(stub, monkeypatch):
    monkeypatch.setattr(pre_split, "COPY_OBJECT_MAX_BYTES", 100)
    monkeypatch.setattr(pre_split, "COPY_PART_BYTES", 150)
    train, holdout = comma_csv(bank_rows(3)), comma_csv(bank_rows(2))
    version = dataset_version(StagingRequest.from_properties(PROPS), '"t"', '"h"')
    request = StagingRequest.from_properties(PROPS)
    planned = pre_split.Plan(
        train=pre_split._s3_source(TRAIN, "dataset.train_uri"),
        holdout=pre_split._s3_source(HOLDOUT, "dataset.holdout_uri"),
        train_etag='"t"',
        holdout_etag='"h"',
        train_size=len(train),
        holdout_size=len(holdout),
        version=version,
    )
    s3 = stub("s3")
    key = f"datasets/{version}/"
    for name, size, etag in (("train", len(train), '"t"'), ("holdout", len(holdout), '"h"')):
        s3.add_response(
            "create_multipart_upload",
            {"UploadId": f"u-{name}"},
            {
                "Bucket": BUCKET,
                "Key": f"{key}{name}.csv",
                "ContentType": "text/csv",
                "Metadata": Any(),
            },
        )
        parts = []
        for number, start in enumerate(range(0, size, 150), start=1):
            s3.add_response(
                "upload_part_copy",
                {"CopyPartResult": {"ETag": f'"{name}{number}"'}},
                {
                    "Bucket": BUCKET,
                    "Key": f"{key}{name}.csv",
                    "UploadId": f"u-{name}",
                    "PartNumber": number,
                    "CopySource": {"Bucket": USER_BUCKET, "Key": f"bank/{name}.csv"},
                    "CopySourceIfMatch": etag,
                    "CopySourceRange": f"bytes={start}-{min(start + 150, size) - 1}",
                },
            )
            parts.append({"PartNumber": number, "ETag": f'"{name}{number}"'})
        s3.add_response(
            "complete_multipart_upload",
            {},
            {
                "Bucket": BUCKET,
                "Key": f"{key}{name}.csv",
                "UploadId": f"u-{name}",
                "MultipartUpload": {"Parts": parts},
            },
        )
    location = handler.Location.of(BUCKET, "datasets", version)
    pre_split.copy(planned, location, {"rows": "uncounted"})
    assert request.pre_split
