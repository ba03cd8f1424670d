"""Send the held-out rows to the endpoint in CSV batches and parse the answers."""

from __future__ import annotations

import ast
import csv
import io
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from typing import Any, TextIO

from cli.errors import EvaluationError
from runtime.drift_monitor.capture import split_response

CONTENT_TYPE = "text/csv"
# InvokeEndpoint accepts up to 6 MB; stay well below it.
MAX_PAYLOAD_BYTES = 5_000_000
MAX_ATTEMPTS = 5
RETRYABLE_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "InternalFailure", "ModelNotReadyException"}
)
LIST_KEYS = frozenset({"probabilities", "labels"})


@dataclass(frozen=True)
class Batch:
    start: int
    stop: int
    body: bytes


@dataclass(frozen=True)
class Prediction:
    label: str | None = None
    probability: float | None = None
    probabilities: tuple[float, ...] | None = None
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Sent:
    """One answered request: its InferenceId, the rows it carried and when it was sent."""

    inference_id: str
    start: int
    stop: int
    sent_at: datetime


@dataclass(frozen=True)
class ScoreResult:
    predictions: list[Prediction]
    requests: int
    batches: int
    sent: list[Sent] = dataclass_field(default_factory=list)


def inference_ids(run_id: str | None = None) -> Callable[[int], str]:
    """Request number -> InferenceId, unique per request and run (InvokeEndpoint allows
    1-64 printable characters; data capture stores it as eventMetadata.inferenceId)."""
    run_id = run_id or uuid.uuid4().hex[:16]
    return lambda number: f"evaluate-{run_id}-{number:05d}"


def encode_row(row: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def make_batches(
    rows: Sequence[Sequence[str]], batch_size: int, max_bytes: int = MAX_PAYLOAD_BYTES
) -> list[Batch]:
    """Group rows into bodies of at most ``batch_size`` rows and ``max_bytes`` bytes."""
    if batch_size < 1:
        raise EvaluationError("batch size must be at least 1")
    batches: list[Batch] = []
    lines: list[bytes] = []
    size = 0
    start = 0
    for index, row in enumerate(rows):
        line = encode_row(row).encode("utf-8")
        if len(line) > max_bytes:
            raise EvaluationError(f"held-out row {index + 1} alone exceeds {max_bytes} bytes")
        if lines and (len(lines) >= batch_size or size + len(line) > max_bytes):
            batches.append(Batch(start, index, b"".join(lines)))
            lines, size, start = [], 0, index
        lines.append(line)
        size += len(line)
    if lines:
        batches.append(Batch(start, len(rows), b"".join(lines)))
    return batches


def _retryable(error: Any) -> bool:
    response = error.response
    code = response.get("Error", {}).get("Code", "")
    if code in RETRYABLE_CODES:
        return True
    status = response.get("OriginalStatusCode") or response.get("Error", {}).get(
        "OriginalStatusCode"
    )
    return code == "ModelError" and str(status) == "429"


def invoke(
    runtime: Any,
    endpoint_name: str,
    body: bytes,
    counter: list[int],
    inference_id: str | None = None,
) -> str:
    """One batch, with a bounded retry on throttling on top of botocore's own."""
    from botocore.exceptions import ClientError

    extra = {"InferenceId": inference_id} if inference_id else {}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        counter[0] += 1
        try:
            response = runtime.invoke_endpoint(
                EndpointName=endpoint_name,
                Body=body,
                ContentType=CONTENT_TYPE,
                Accept=CONTENT_TYPE,
                **extra,
            )
            return response["Body"].read().decode("utf-8")
        except ClientError as error:
            if not _retryable(error) or attempt == MAX_ATTEMPTS:
                raise
            time.sleep(min(2 ** (attempt - 1), 20))
    raise AssertionError("unreachable")


def _list_value(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise EvaluationError(f"cannot read a list from {text!r}") from None
    if not isinstance(value, list | tuple):
        raise EvaluationError(f"expected a list, got {text!r}")
    return list(value)


def response_fields(line: str, keys: Sequence[str]) -> list[str]:
    """One response line's fields, one per key, as text without quotes."""
    fields = next(csv.reader([line]))
    if len(fields) != len(keys):
        # The monitor's own splitter: commas in brackets or quotes do not split.
        fields = split_response(line)
    if len(fields) != len(keys):
        raise EvaluationError(
            f"response line {line!r} has {len(fields)} fields, expected {len(keys)} "
            f"({', '.join(keys)})"
        )
    return [field.strip() for field in fields]


def parse_line(line: str, keys: Sequence[str]) -> Prediction:
    return parse_fields(response_fields(line, keys), keys, line)


def parse_fields(fields: Sequence[str], keys: Sequence[str], line: str) -> Prediction:
    """The typed prediction in ``fields`` (from ``response_fields``) of response ``line``."""
    values: dict[str, Any] = {}
    for key, field in zip(keys, fields, strict=True):
        text = field.strip()
        try:
            if key == "predicted_label":
                values["label"] = text
            elif key == "probability":
                values["probability"] = float(text)
            elif key == "probabilities":
                values["probabilities"] = tuple(float(v) for v in _list_value(text))
            elif key == "labels":
                values["labels"] = tuple(str(v) for v in _list_value(text))
        except (TypeError, ValueError):
            raise EvaluationError(f"cannot read {key} from {text!r} in {line!r}") from None
    return Prediction(**values)


def parse_response(text: str, keys: Sequence[str]) -> list[Prediction]:
    return [parse_line(line, keys) for line in text.splitlines() if line.strip()]


def score(
    runtime: Any,
    endpoint_name: str,
    rows: Sequence[Sequence[str]],
    keys: Sequence[str],
    batch_size: int,
    progress: TextIO | None = None,
    *,
    ids: Callable[[int], str] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScoreResult:
    """Every row scored, one InferenceId per request (so ground truth can join it)."""
    progress = progress if progress is not None else sys.stderr
    ids = ids or inference_ids()
    batches = make_batches(rows, batch_size)
    predictions: list[Prediction] = []
    answered: list[Sent] = []
    counter = [0]
    for number, batch in enumerate(batches, start=1):
        sent_at = clock()
        text = invoke(runtime, endpoint_name, batch.body, counter, ids(number))
        parsed = parse_response(text, keys)
        sent = batch.stop - batch.start
        if len(parsed) != sent:
            raise EvaluationError(
                f"request {number} sent {sent} rows but the endpoint returned "
                f"{len(parsed)} predictions"
            )
        predictions.extend(parsed)
        answered.append(Sent(ids(number), batch.start, batch.stop, sent_at))
        print(
            f"scored {batch.stop}/{len(rows)} rows ({number}/{len(batches)} requests)",
            file=progress,
            flush=True,
        )
    return ScoreResult(
        predictions=predictions, requests=counter[0], batches=len(batches), sent=answered
    )
