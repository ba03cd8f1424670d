"""The monitoring function end to end on moto: real-time and batch capture, ground truth,
the report it writes and the metrics it publishes."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from drift_monitor import handler
from tests.runtime.drift_monitor import drift_fixtures as fx
from tools.synthetic.bank import bank_rows

BUCKET = "apstudio-dev-sagemaker-111111111111"
ENDPOINT = "apstudio-dev-endpoint"
CAPTURE = f"datacapture/{ENDPOINT}/AllTraffic"
RUN = "2026-12-03T15:15:00Z"
HOUR_13 = datetime(2026, 12, 3, 13, 20, 5, tzinfo=UTC)
HOUR_14 = datetime(2026, 12, 3, 14, 40, 1, tzinfo=UTC)


@pytest.fixture
def world(moto_clients, monkeypatch):
    """A staged dataset (the real staging handler) and the function's environment."""
    s3 = moto_clients("s3")
    s3.create_bucket(Bucket=BUCKET)
    data = fx.stage_dataset(s3, BUCKET)
    environment = fx.environment(
        bucket=BUCKET, profile_key=data["ProfileKey"], endpoint=ENDPOINT, WINDOW_HOURS="2"
    )
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return s3, moto_clients


def put_lines(s3, key: str, lines: list[str]) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(lines) + "\n").encode())


def reports(s3) -> list[dict]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="monitoring/reports/")
    return [
        json.loads(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
        for item in listing.get("Contents", [])
    ]


def test_drifted_realtime_traffic_with_ground_truth(world):
    s3, _ = world
    rows = fx.drifted(bank_rows(1500, seed=21))
    requests = [rows[start : start + 500] for start in range(0, 1500, 500)]
    ids = [f"evaluate-{index}" for index in range(3)]
    # Hour 13: two CSV requests with inference IDs; hour 14: one BASE64 request with an
    # inference ID, one malformed line, and one request with only an event ID.
    put_lines(s3, fx.capture_key(CAPTURE, HOUR_13, "a1b2"), [
        fx.capture_line(fx.features(requests[0]), inference_id=ids[0], when=HOUR_13),
        fx.capture_line(fx.features(requests[1]), inference_id=ids[1], when=HOUR_13),
    ])  # fmt: skip
    put_lines(s3, fx.capture_key(CAPTURE, HOUR_14, "c3d4"), [
        fx.capture_line(
            fx.features(requests[2]), encoding="BASE64", inference_id=ids[2], when=HOUR_14
        ),
        '{"captureData": {"endpointInput": {"data": "not base64!", "encoding": "BASE64"}}}',
        fx.capture_line(fx.features(bank_rows(5, seed=2)), event_id="event-only", when=HOUR_14),
    ])  # fmt: skip
    # Outside the window: the run's own hour, and the hour before the window.
    for when in (HOUR_14 + timedelta(hours=1), HOUR_13 - timedelta(hours=1)):
        put_lines(s3, fx.capture_key(CAPTURE, when, "zz"), [
            fx.capture_line(fx.features(bank_rows(50, seed=3)), when=when),
        ])  # fmt: skip
    truth = [[row[-1] for row in request] for request in requests]
    # Labels arrive in the run's hour, one record per request.
    put_lines(s3, "ground-truth/2026/12/03/15/evaluate-1.jsonl", [
        fx.ground_truth_line(key, labels) for key, labels in zip(ids, truth, strict=True)
    ])  # fmt: skip

    result = handler.handler({"time": RUN})

    (report,) = reports(s3)
    assert result["report"] == (
        f"s3://{BUCKET}/monitoring/reports/2026/12/03/15/20261203T151500Z.json"
    )
    assert report["window"] == {
        "start": "2026-12-03T13:00:00Z",
        "end": "2026-12-03T15:00:00Z",
        "run_time": RUN,
        "hours": 2,
    }
    assert (report["rows"], report["rows_seen"]) == (1505, 1505)
    assert report["counts"]["realtime"] == {
        "objects": 2,
        "lines": 5,
        "malformed_lines": 1,
        "requests": 4,
        "rows": 1505,
        "malformed_rows": 0,
        "unpaired_requests": 0,
        "skipped_objects": 0,
    }
    assert {"age", "job"} <= set(report["drifted_features"])
    assert "duration" not in report["drifted_features"]
    assert "unseen_values" in report["features"]["job"]["reasons"]
    assert report["features"]["job"]["unseen_values"] == ["gig-worker"]
    expected = [(label, fx.answer(row)[0]) for request in requests for row, label in zip(
        request, (row[-1] for row in request), strict=True)]  # fmt: skip
    tp = sum(actual == predicted == "yes" for actual, predicted in expected)
    quality = report["model_quality"]
    assert quality["rows"] == 1500
    assert quality["tp"] == tp
    assert quality["accuracy"] == pytest.approx(
        sum(actual == predicted for actual, predicted in expected) / 1500
    )
    assert report["ground_truth"]["matched_records"] == 3
    assert set(result["metrics"]) == {
        "RowsAnalysed",
        "DriftedFeatureShare",
        "MaxPSI",
        "PredictedPositiveRate",
        "F1",
    }
    assert result["metrics"]["RowsAnalysed"] == 1505


def test_batch_capture_is_monitored(world):
    s3, _ = world
    start = datetime(2026, 12, 3, 14, 2, 0, tzinfo=UTC)
    files = {"part-0.csv": bank_rows(300, seed=31), "part-1.csv": bank_rows(200, seed=32)}
    ids = {name: [str(uuid.uuid4()) for _ in rows] for name, rows in files.items()}
    for name, rows in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"batch/in/{name}", Body=fx.csv_text(
            [row[:-1] for row in rows]).encode())  # fmt: skip
        s3.put_object(
            Bucket=BUCKET,
            Key=f"batch/out/{name}.out",
            Body=fx.batch_output(rows, start, ids[name]).encode(),
        )
    hour = "2026/12/03/14"
    s3.put_object(
        Bucket=BUCKET,
        Key=f"datacapture/batch/input/{hour}/job-1.manifest",
        Body=fx.manifest(f"s3://{BUCKET}/batch/in/", list(files)),
    )
    s3.put_object(
        Bucket=BUCKET,
        Key=f"datacapture/batch/output/{hour}/job-1.manifest",
        Body=fx.manifest(f"s3://{BUCKET}/batch/out/", [f"{n}.out" for n in files]),
    )
    # Batch ground truth: one record per row, keyed by its generated inference ID.
    put_lines(s3, f"ground-truth/{hour}/batch-labels.jsonl", [
        fx.ground_truth_line(ids[name][index], [row[-1]])
        for name, rows in files.items() for index, row in enumerate(rows)
    ])  # fmt: skip

    handler.handler({"time": RUN})

    (report,) = reports(s3)
    assert report["rows"] == 500
    assert report["counts"]["batch"]["rows"] == 500
    assert report["counts"]["batch"]["requests"] == 2
    assert report["counts"]["realtime"]["rows"] == 0
    assert report["drifted_features"] == []
    assert report["model_quality"]["rows"] == 500


def test_an_idle_window_is_a_normal_report(world, caplog):
    s3, _ = world
    caplog.set_level(logging.INFO, logger="autopilot_studio")

    result = handler.handler({"time": RUN})

    (report,) = reports(s3)
    assert report["rows"] == 0
    assert report["drifted_features"] == []
    assert "model_quality" not in report
    assert result["metrics"] == {"RowsAnalysed": 0.0}
    assert json.loads(caplog.records[-1].getMessage())["rows"] == 0


def test_a_missing_profile_fails_the_run(world, monkeypatch):
    monkeypatch.setenv("PROFILE_KEY", "datasets/0123456789abcdef/profile.json")
    with pytest.raises(RuntimeError, match=r"profile .* \(PROFILE_KEY\) does not exist"):
        handler.handler({"time": RUN})
    s3, _ = world
    assert reports(s3) == []
