"""Data-capture records as SageMaker writes them, and the bounded wait for them."""

from __future__ import annotations

import base64
import io
import json

import boto3
import pytest

from cli import capture
from cli.errors import EvaluationError

# One line of a capture file, as SageMaker writes it (CSV content type listed in
# CaptureContentTypeHeader, so the input is stored as CSV text).
CSV_RECORD = json.dumps(
    {
        "captureData": {
            "endpointInput": {
                "observedContentType": "text/csv",
                "mode": "INPUT",
                "data": "56,housemaid,married,basic.4y,no,no,no,telephone,may,mon,261,1,999,0,"
                "nonexistent,1.1,93.994,-36.4,4.857,5191.0\n"
                "57,services,married,high.school,unknown,no,no,telephone,may,mon,149,1,999,0,"
                "nonexistent,1.1,93.994,-36.4,4.857,5191.0",
                "encoding": "CSV",
            },
            "endpointOutput": {
                "observedContentType": "text/csv; charset=utf-8",
                "mode": "OUTPUT",
                "data": base64.b64encode(b"no,0.9731\nno,0.9544\n").decode(),
                "encoding": "BASE64",
            },
        },
        "eventMetadata": {
            "eventId": "0b3a5e2c-5d0f-4a8e-9b0a-7f4b0a4f1c2d",
            "inferenceTime": "2025-01-01T12:00:05Z",
        },
        "eventVersion": "0",
    }
)


def test_decode_record_csv_input_and_base64_output():
    record = capture.decode_record(CSV_RECORD)
    assert record.event_id == "0b3a5e2c-5d0f-4a8e-9b0a-7f4b0a4f1c2d"
    assert record.inference_time == "2025-01-01T12:00:05Z"
    assert record.input.mode == "INPUT"
    assert record.input.encoding == "CSV"
    assert record.input.text.startswith("56,housemaid,married")
    assert record.input.text.count("\n") == 1
    assert record.output.content_type == "text/csv; charset=utf-8"
    assert record.output.text == "no,0.9731\nno,0.9544\n"


def test_first_record_of_a_jsonl_file_and_bad_input():
    assert capture.first_record("\n" + CSV_RECORD + "\n" + CSV_RECORD).output.mode == "OUTPUT"
    with pytest.raises(EvaluationError, match="not a SageMaker data-capture record"):
        capture.decode_record('{"hello": 1}')
    with pytest.raises(EvaluationError, match="empty"):
        capture.first_record("\n")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://b/datacapture/dev", ("b", "datacapture/dev/ep/")),
        ("s3://b/datacapture/dev/", ("b", "datacapture/dev/ep/")),
        ("s3://b/datacapture/dev/ep", ("b", "datacapture/dev/ep/")),
        ("s3://b", ("b", "ep/")),
    ],
)
def test_capture_prefix(uri, expected):
    assert capture.capture_prefix(uri, "ep") == expected


def test_preview_truncates():
    assert capture.preview("a\nb") == "a\\nb"
    assert capture.preview("x" * 300, 10) == "x" * 10 + "... (300 chars)"


@pytest.fixture
def s3(monkeypatch):
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="capture-bucket")
        yield client


def test_wait_finds_the_newest_file(s3):
    prefix = "datacapture/dev/apstudio-dev-endpoint/AllTraffic/2025/01/01/12/"
    s3.put_object(Bucket="capture-bucket", Key=prefix + "00-05-123-a.jsonl", Body=CSV_RECORD)
    s3.put_object(Bucket="capture-bucket", Key="datacapture/dev/other-endpoint/x.jsonl", Body="")
    check = capture.wait_for_capture(
        s3, "s3://capture-bucket/datacapture/dev", "apstudio-dev-endpoint", 0, io.StringIO()
    )
    assert check["found"] is True
    assert check["files"] == 1
    assert check["file"].endswith("00-05-123-a.jsonl")
    assert check["record"]["output"]["text"] == "no,0.9731\nno,0.9544\n"


def test_wait_is_bounded_and_reports_nothing_found(s3, monkeypatch):
    sleeps = []
    monkeypatch.setattr(capture.time, "sleep", sleeps.append)
    check = capture.wait_for_capture(
        s3, "s3://capture-bucket/datacapture/dev", "apstudio-dev-endpoint", 40, io.StringIO()
    )
    assert check["found"] is False
    assert "no capture files after 40s" in check["note"]
    assert sleeps == [capture.POLL_SECONDS] * 3


def test_wait_polls_until_a_file_appears(s3, monkeypatch):
    def sleep(_):
        s3.put_object(
            Bucket="capture-bucket",
            Key="datacapture/dev/apstudio-dev-endpoint/AllTraffic/2025/01/01/12/late.jsonl",
            Body=CSV_RECORD,
        )

    monkeypatch.setattr(capture.time, "sleep", sleep)
    check = capture.wait_for_capture(
        s3, "s3://capture-bucket/datacapture/dev", "apstudio-dev-endpoint", 120, io.StringIO()
    )
    assert check["found"] is True
