"""The baseline profile staging writes: bounded sample, deterministic, training rows only."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import pytest

from dataset_staging import handler, profiling
from dataset_staging.split import Strata
from drift_monitor import profile
from tests.fixtures import cfn_event
from tests.runtime.dataset_staging.faults import fail_profile_upload
from tools.synthetic.bank import BANK_COLUMNS, bank_rows, comma_csv

BUCKET = "sagemaker-project-data"


def event(**props: str) -> dict:
    properties = {
        "Bucket": BUCKET,
        "Prefix": "datasets",
        "SourceUri": f"s3://{BUCKET}/uploads/bank.csv",
        "TargetAttribute": "y",
        "HoldoutFraction": "0.1",
        "Seed": "42",
        "MinTrainingRows": "100",
        **props,
    }
    return cfn_event(
        "Create", properties, logical_id="Dataset", resource_type="Custom::TrainingDataset"
    )


@pytest.fixture
def s3(moto_clients):
    client = moto_clients("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def stage(s3, rows, **props):
    s3.put_object(Bucket=BUCKET, Key="uploads/bank.csv", Body=comma_csv(rows))
    data = handler.on_event(event(**props), None)["Data"]
    read = s3.get_object
    train = read(Bucket=BUCKET, Key=data["TrainKey"])["Body"].read().decode()
    document = read(Bucket=BUCKET, Key=data["ProfileKey"])["Body"].read()
    return data, train, document


def staged_keys(s3):
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="datasets/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def strata_of(rows, seed=42):
    strata = Strata(seed)
    for row in rows:
        strata.add(row[-1])
    return strata


@pytest.mark.parametrize("cap", [1, 250, 1999, 2000])
def test_sample_is_exactly_the_highest_ranked_training_rows(monkeypatch, cap):
    monkeypatch.setattr(profile, "MAX_SAMPLE_ROWS", cap)
    rows = bank_rows(4000, seed=11)
    strata = strata_of(rows)
    split = list(strata.split_rows(0.1))
    training = [position for position, (held, _) in enumerate(split) if not held]
    sample = profiling.ProfileSample(
        strata, fraction=0.1, training_rows=len(training), mean_bytes=200
    )
    for position, (held, bucket) in enumerate(split):
        if not held:
            sample.offer(position, bucket, b"%d" % position)

    kept = [int(record) for record in sample.records()]
    by_rank = sorted(training, key=lambda p: (strata.rank(p), -p), reverse=True)
    assert sample.size == cap
    assert kept == sorted(by_rank[:cap])
    strata.close()


def test_byte_cap_bounds_the_sample_of_wide_rows(monkeypatch):
    monkeypatch.setattr(profile, "MAX_SAMPLE_BYTES", 100_000)
    assert profile.sample_size(1_000_000, mean_record_bytes=1000) == 100
    assert profile.sample_size(1_000_000, mean_record_bytes=1) == profile.MAX_SAMPLE_ROWS
    assert profile.sample_size(30, mean_record_bytes=10) == 30


def test_sampling_memory_stays_at_the_sample_not_the_file(monkeypatch):
    """300,000 training-sized records (about 40 MB) stream past; what the sample holds
    is bounded by its 2,000 rows."""
    monkeypatch.setattr(profile, "MAX_SAMPLE_ROWS", 2000)
    template = ",".join(bank_rows(1)[0][:-1])
    count = 300_000
    strata = Strata(42)
    for position in range(count):
        strata.add("yes" if position % 9 == 0 else "no")
    rows = strata.split_rows(0.1)
    train_rows = strata.split_counts(0.1)[0]
    tracemalloc.start()
    try:
        sample = profiling.ProfileSample(
            strata, fraction=0.1, training_rows=train_rows, mean_bytes=len(template) + 6
        )
        for position, (held, bucket) in enumerate(rows):
            if not held:
                sample.offer(position, bucket, f"{template},{position}\n".encode())
        records = sample.records()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        strata.close()
    streamed = count * (len(template) + 8)
    assert len(records) == 2000
    assert peak < 1_500_000 < streamed / 20


def test_large_file_profile_samples_the_cap(s3, monkeypatch):
    monkeypatch.setattr(profile, "MAX_SAMPLE_ROWS", 1000)
    data, _, raw = stage(s3, bank_rows(30_000, seed=5))
    document = json.loads(raw)
    assert document["sample"] == {
        "method": "highest-seeded-rank",
        "max_rows": 1000,
        "max_bytes": profile.MAX_SAMPLE_BYTES,
        "seed": 42,
        "rows": 1000,
    }
    assert document["rows"] == int(data["TrainRows"]) == 27_000


def test_same_seed_gives_the_same_profile_and_another_seed_another_sample(s3, monkeypatch):
    monkeypatch.setattr(profile, "MAX_SAMPLE_ROWS", 300)
    rows = bank_rows(3000, seed=9)
    _, _, first = stage(s3, rows)
    for key in staged_keys(s3):
        s3.delete_object(Bucket=BUCKET, Key=key)
    _, _, again = stage(s3, rows)
    _, _, other = stage(s3, rows, Seed="7")
    assert first == again
    assert json.loads(first)["features"] != json.loads(other)["features"]


def test_profile_describes_training_rows_only(s3, monkeypatch):
    """Held-out rows get an age the training rows never have; the profile never sees it."""
    monkeypatch.setattr(profile, "MAX_SAMPLE_ROWS", 10_000)
    rows = bank_rows(2000, seed=3)
    strata = strata_of(rows, seed=42)
    held = list(strata.holdout_flags(0.1))
    strata.close()
    for row, is_held in zip(rows, held, strict=True):
        if is_held:
            row[0] = "1000"
    data, train, raw = stage(s3, rows)
    document = json.loads(raw)
    train_rows = list(csv.reader(io.StringIO(train)))[1:]
    ages = sorted(float(row[0]) for row in train_rows)
    age = document["features"]["age"]
    assert age["max"] == ages[-1] < 1000
    assert age["mean"] == pytest.approx(sum(ages) / len(ages))
    assert document["rows"] == len(train_rows) == int(data["TrainRows"])
    yes = sum(row[-1] == "yes" for row in train_rows)
    assert document["target_classes"]["yes"] == pytest.approx(yes / len(train_rows))
    assert document["columns"] == list(BANK_COLUMNS[:-1])


@pytest.mark.parametrize("failing", ["profile-build", "profile-upload"])
def test_failure_while_profiling_leaves_nothing(s3, monkeypatch, failing):
    if failing == "profile-build":

        def broken(**_):
            raise RuntimeError("profile failed")

        monkeypatch.setattr(profiling, "document", broken)
    else:
        fail_profile_upload(monkeypatch, "profile failed")
    s3.put_object(Bucket=BUCKET, Key="uploads/bank.csv", Body=comma_csv(bank_rows(1000)))
    with pytest.raises(RuntimeError, match="profile failed"):
        handler.on_event(event(), None)
    assert staged_keys(s3) == []


def test_update_restages_a_version_without_a_profile(s3):
    data, _, first = stage(s3, bank_rows(1000))
    s3.delete_object(Bucket=BUCKET, Key=data["ProfileKey"])
    physical_id = f"s3://{BUCKET}/datasets/{data['Version']}/"
    update = {**event(), "RequestType": "Update", "PhysicalResourceId": physical_id}

    assert handler.on_event(update, None)["Data"] == data
    assert s3.get_object(Bucket=BUCKET, Key=data["ProfileKey"])["Body"].read() == first


def test_a_new_positive_class_restages_in_place(s3):
    data, _, _ = stage(s3, bank_rows(1000))
    physical_id = f"s3://{BUCKET}/datasets/{data['Version']}/"
    update = event(PositiveClass="no")
    update |= {"RequestType": "Update", "PhysicalResourceId": physical_id}

    response = handler.on_event(update, None)

    assert response["PhysicalResourceId"] == physical_id
    document = json.loads(s3.get_object(Bucket=BUCKET, Key=data["ProfileKey"])["Body"].read())
    assert document["positive_class"] == "no"
    assert document["positive_rate"] == pytest.approx(document["target_classes"]["no"])
