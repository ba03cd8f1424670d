"""Every S3 and CloudWatch request of one run, checked against botocore's service models.

These are the requests the function's IAM policy is scoped to.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from botocore.response import StreamingBody

from drift_monitor import handler, profile
from drift_monitor.settings import ConfigError
from tests.fixtures import Capture
from tests.runtime.drift_monitor import drift_fixtures as fx
from tools.synthetic.bank import BANK_COLUMNS, bank_rows

BUCKET = "apstudio-dev-sagemaker-111111111111"
PROFILE_KEY = "datasets/0123456789abcdef/profile.json"
CAPTURE = "datacapture/apstudio-dev-endpoint/AllTraffic"
ENV = fx.environment(
    bucket=BUCKET, profile_key=PROFILE_KEY, endpoint="apstudio-dev-endpoint", MAX_ROWS="1000"
)
RUN_TIME = datetime(2026, 12, 3, 15, 15, tzinfo=UTC)


@pytest.fixture
def env(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def profile_document() -> bytes:
    rows = bank_rows(2000, seed=4)
    document = profile.build(
        header=BANK_COLUMNS,
        target="y",
        positive_class="yes",
        rows=rows,
        training_rows=len(rows),
        sample={"method": "highest-seeded-rank"},
    )
    return json.dumps(document).encode()


def listing(prefix: str, *keys: str) -> dict:
    return {
        "IsTruncated": False,
        "Name": BUCKET,
        "Prefix": prefix,
        "KeyCount": len(keys),
        "Contents": [{"Key": key, "Size": 1} for key in keys],
    }


def test_one_run_makes_exactly_these_requests(stub, env):
    s3, cloudwatch = stub("s3"), stub("cloudwatch")
    rows = bank_rows(150, seed=8)
    when = datetime(2026, 12, 3, 14, 5, 1, tzinfo=UTC)
    capture_key = fx.capture_key(CAPTURE, when, "4d2c")
    capture = fx.capture_line(fx.features(rows), inference_id="evaluate-0", when=when) + "\n"
    truth_key = "ground-truth/2026/12/03/15/evaluate.jsonl"
    truth = fx.ground_truth_line("evaluate-0", [row[-1] for row in rows]) + "\n"

    s3.add_response(
        "get_object", {"Body": body(profile_document())}, {"Bucket": BUCKET, "Key": PROFILE_KEY}
    )
    hour = f"{CAPTURE}/2026/12/03/14/"
    s3.add_response(
        "list_objects_v2", listing(hour, capture_key), {"Bucket": BUCKET, "Prefix": hour}
    )
    s3.add_response(
        "get_object", {"Body": body(capture.encode())}, {"Bucket": BUCKET, "Key": capture_key}
    )
    for side in ("input", "output"):
        prefix = f"datacapture/batch/{side}/2026/12/03/14/"
        s3.add_response("list_objects_v2", listing(prefix), {"Bucket": BUCKET, "Prefix": prefix})
    for hour, keys in (("14", ()), ("15", (truth_key,))):
        prefix = f"ground-truth/2026/12/03/{hour}/"
        s3.add_response(
            "list_objects_v2", listing(prefix, *keys), {"Bucket": BUCKET, "Prefix": prefix}
        )
    s3.add_response(
        "get_object", {"Body": body(truth.encode())}, {"Bucket": BUCKET, "Key": truth_key}
    )
    report = Capture()
    s3.add_response(
        "put_object",
        {"ETag": '"e"'},
        {
            "Bucket": BUCKET,
            "Key": "monitoring/reports/2026/12/03/15/20261203T151500Z.json",
            "Body": report,
            "ContentType": "application/json",
        },
    )  # fmt: skip
    metric_data = Capture()
    cloudwatch.add_response(
        "put_metric_data",
        {},
        {"Namespace": "AutopilotStudio/Monitoring", "MetricData": metric_data},
    )

    handler.handler({"time": "2026-12-03T15:15:00Z"})

    written = json.loads(report.value)
    assert written["rows"] == 150
    assert written["model_quality"]["rows"] == 150
    dimensions = [{"Name": "EndpointName", "Value": "apstudio-dev-endpoint"}]
    assert [(m["MetricName"], m["Unit"]) for m in metric_data.value] == [
        ("RowsAnalysed", "Count"),
        ("DriftedFeatureShare", "None"),
        ("MaxPSI", "None"),
        ("PredictedPositiveRate", "None"),
        ("F1", "None"),
    ]
    assert all(m["Dimensions"] == dimensions for m in metric_data.value)
    assert all(m["Timestamp"] == RUN_TIME for m in metric_data.value)
    assert metric_data.value[0]["Value"] == 150
    assert metric_data.value[4]["Value"] == written["model_quality"]["f1"]


def test_a_profile_staged_for_another_positive_class_fails_in_one_line(stub, env, monkeypatch):
    monkeypatch.setenv("POSITIVE_CLASS", "no")
    s3 = stub("s3")
    s3.add_response("get_object", {"Body": body(profile_document())},
                    {"Bucket": BUCKET, "Key": PROFILE_KEY})  # fmt: skip
    with pytest.raises(ConfigError) as raised:
        handler.handler({"time": "2026-12-03T15:15:00Z"})
    assert str(raised.value) == (
        f"environment variable POSITIVE_CLASS is 'no' but the profile s3://{BUCKET}/"
        f"{PROFILE_KEY} was staged with 'yes'; deploy again so both come from the same config"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BUCKET", "", "environment variable BUCKET must be set"),
        ("MAX_ROWS", "many", "MAX_ROWS must be a whole number from 1 to 1000000, got 'many'"),
        ("MAX_ROWS", "0", "MAX_ROWS must be a whole number from 1 to 1000000, got '0'"),
        ("WINDOW_HOURS", "200", "WINDOW_HOURS must be a whole number from 1 to 168"),
        ("PSI_THRESHOLD", "-1", "PSI_THRESHOLD must be a number above 0, got '-1'"),
        ("UNSEEN_THRESHOLD", "2", "UNSEEN_THRESHOLD must be a number above 0 and at most 1"),
        ("RESPONSE_KEYS", "probability", "RESPONSE_KEYS must list predicted_label once"),
        ("METRIC_NAMESPACE", "AWS/SageMaker", "METRIC_NAMESPACE must not start with AWS/"),
        ("CAPTURE_PREFIX", "s3://b/datacapture", "CAPTURE_PREFIX is a key prefix in BUCKET"),
    ],
)
def test_bad_configuration_fails_before_any_request(stub, env, monkeypatch, name, value, message):
    stub("s3")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        handler.handler({"time": "2026-12-03T15:15:00Z"})


def test_an_event_without_a_time_fails_in_one_line(stub, env):
    stub("s3")
    with pytest.raises(ValueError, match=r"^the event has no ISO 8601 'time' \(''\)"):
        handler.handler({})
