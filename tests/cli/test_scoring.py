"""Batching, response parsing and retries of the endpoint scoring."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cli import scoring
from cli.errors import EvaluationError
from cli.scoring import Prediction

ENDPOINT = "apstudio-dev-endpoint"


def rows(count, width=5):
    return [[f"r{i}", *(str(i * k) for k in range(1, width))] for i in range(count)]


@pytest.mark.parametrize(
    ("count", "size", "expected"), [(2000, 500, 4), (1001, 500, 3), (3, 500, 1)]
)
def test_batches_are_ceil_rows_over_batch_size(count, size, expected):
    data = rows(count)
    batches = scoring.make_batches(data, size)
    assert len(batches) == expected
    assert sum(b.stop - b.start for b in batches) == count
    assert all(b.body.count(b"\n") == b.stop - b.start for b in batches)
    assert b"".join(b.body for b in batches) == "".join(map(scoring.encode_row, data)).encode()


def test_payload_guard_splits_before_the_byte_limit():
    data = [["x" * 99] for _ in range(25)]  # 100 bytes per line
    batches = scoring.make_batches(data, batch_size=500, max_bytes=1000)
    assert [b.stop - b.start for b in batches] == [10, 10, 5]
    assert all(len(b.body) <= 1000 for b in batches)


def test_a_row_over_the_limit_is_an_error():
    with pytest.raises(EvaluationError, match="exceeds 10 bytes"):
        scoring.make_batches([["x" * 20]], batch_size=5, max_bytes=10)


def test_rows_are_csv_quoted():
    assert scoring.encode_row(["a,b", 'c"d', "e"]) == '"a,b","c""d",e\n'


def test_parse_two_keys():
    parsed = scoring.parse_response("yes,0.87\nno,0.91\n", ["predicted_label", "probability"])
    assert parsed == [Prediction("yes", 0.87), Prediction("no", 0.91)]


@pytest.mark.parametrize(
    "line",
    [
        "yes,0.87,\"[0.13, 0.87]\",\"['no', 'yes']\"",
        "yes,0.87,[0.13, 0.87],['no', 'yes']",
    ],
)
def test_parse_all_four_keys_quoted_or_not(line):
    keys = ["predicted_label", "probability", "probabilities", "labels"]
    assert scoring.parse_line(line, keys) == Prediction("yes", 0.87, (0.13, 0.87), ("no", "yes"))


def test_parse_rejects_wrong_field_count():
    with pytest.raises(EvaluationError, match="expected 2"):
        scoring.parse_line("yes", ["predicted_label", "probability"])


def body(text):
    data = text.encode()
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def runtime():
    client = boto3.client("sagemaker-runtime", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def params(data, number=1):
    return {
        "EndpointName": ENDPOINT,
        "Body": data,
        "ContentType": "text/csv",
        "Accept": "text/csv",
        "InferenceId": f"evaluate-run1-{number:05d}",
    }


def test_score_sends_batches_and_retries_throttling(runtime, monkeypatch):
    sleeps = []
    monkeypatch.setattr(scoring.time, "sleep", sleeps.append)
    data = [["1", "a"], ["2", "b"], ["3", "c"]]
    runtime.add_client_error(
        "invoke_endpoint", "ThrottlingException", "Rate exceeded", 400,
        expected_params=params(b"1,a\n2,b\n"),
    )  # fmt: skip
    runtime.add_client_error(
        "invoke_endpoint", "ModelError", "Received client error (429)", 424,
        expected_params=params(b"1,a\n2,b\n"),
        modeled_fields={"OriginalStatusCode": 429},
    )  # fmt: skip
    runtime.add_response(
        "invoke_endpoint", {"Body": body("yes,0.9\nno,0.8\n")}, params(b"1,a\n2,b\n")
    )
    runtime.add_response("invoke_endpoint", {"Body": body("no,0.7\n")}, params(b"3,c\n", 2))
    first = datetime(2026, 12, 3, 14, 59, 59, tzinfo=UTC)
    second = datetime(2026, 12, 3, 15, tzinfo=UTC)
    moments = iter([first, second])

    result = scoring.score(
        runtime.client,
        ENDPOINT,
        data,
        ["predicted_label", "probability"],
        2,
        io.StringIO(),
        ids=scoring.inference_ids("run1"),
        clock=lambda: next(moments),
    )

    assert [p.label for p in result.predictions] == ["yes", "no", "no"]
    assert (result.batches, result.requests) == (2, 4)
    assert sleeps == [1, 2]
    # Retries keep the request's InferenceId; each answered request is recorded once.
    assert result.sent == [
        scoring.Sent("evaluate-run1-00001", 0, 2, first),
        scoring.Sent("evaluate-run1-00002", 2, 3, second),
    ]


def test_inference_ids_are_unique_per_request_and_run():
    first, second = scoring.inference_ids(), scoring.inference_ids()
    ids = {first(n) for n in range(1, 1000)} | {second(n) for n in range(1, 1000)}
    assert len(ids) == 1998
    assert all(len(i) <= 64 and i.isprintable() and " " not in i for i in ids)


def test_score_does_not_retry_other_errors(runtime, monkeypatch):
    monkeypatch.setattr(scoring.time, "sleep", lambda _: None)
    runtime.add_client_error("invoke_endpoint", "ValidationException", "bad input", 400)
    with pytest.raises(Exception, match="bad input"):
        scoring.score(runtime.client, ENDPOINT, [["1"]], ["predicted_label"], 10, io.StringIO())


def test_score_checks_prediction_count(runtime):
    runtime.add_response("invoke_endpoint", {"Body": body("yes\n")})
    with pytest.raises(EvaluationError, match="sent 2 rows but the endpoint returned 1"):
        scoring.score(
            runtime.client, ENDPOINT, [["1"], ["2"]], ["predicted_label"], 10, io.StringIO()
        )
