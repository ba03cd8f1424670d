"""Rows out of captured traffic: real-time capture records and batch transform captures.

Real-time capture (SageMaker Developer Guide, "Capture data from real-time endpoint"): one
JSON object per request and line::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "...", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "...", "encoding": "BASE64"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "..."},
     "eventVersion": "0"}

``encoding`` is CSV (or JSON) for content types listed in CaptureContentTypeHeader and
BASE64 otherwise; ``inferenceId`` is there only when the caller sent one. A request may
carry many CSV rows; the i-th input row pairs with the i-th output line. Features come
from the input only and predictions from the output only: Model Monitor read the two
concatenated, so the output's columns shifted every feature (sagemaker-python-sdk#3277).

Batch transform capture: see batch.py; its rows end up in the same ``Row`` shape.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Counts:
    """What a run read, including what it could not use (reported, never fatal)."""

    objects: int = 0
    lines: int = 0
    malformed_lines: int = 0
    requests: int = 0
    rows: int = 0
    malformed_rows: int = 0
    # Requests whose output had a different number of lines than the input had rows:
    # their rows count for drift, their predictions are dropped.
    unpaired_requests: int = 0
    skipped_objects: int = 0


@dataclass(frozen=True)
class Row:
    """One captured row: its features (a raw CSV line or the parsed fields), the output
    line the model answered for it (None when unknown), and the ground-truth join key."""

    features: str | list[str]
    output: str | None
    key: str | None
    index: int

    def fields(self) -> list[str]:
        return self.features if isinstance(self.features, list) else self.features.split(",")


class NotCapture(ValueError):
    """A JSON line that is not a capture record (drift-check refuses such input)."""


def decode(section: dict[str, Any] | None) -> str | None:
    """The payload's text; None when the section is absent. Raises ValueError if bad."""
    if not section:
        return None
    data = section.get("data", "")
    encoding = str(section.get("encoding", "")).upper()
    if encoding == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("invalid base64 payload") from None
    if not isinstance(data, str):
        raise ValueError("payload data is not text")
    return data


def csv_lines(text: str, width: int, counts: Counts) -> list[str | list[str] | None]:
    """The CSV rows of a payload in order; a row without exactly ``width`` fields is
    counted and stays as None, so later rows keep their position (outputs and ground
    truth pair by position).

    Most payloads have no quotes, so each line stays a string and is split only if the
    row is sampled; a payload with a quote goes through csv.reader.
    """
    rows: list[str | list[str] | None] = []
    if '"' not in text:
        for line in text.splitlines():
            if line:
                rows.append(line if line.count(",") == width - 1 else None)
    else:
        try:
            rows = [
                fields if len(fields) == width else None
                for fields in csv.reader(io.StringIO(text))
                if fields
            ]
        except csv.Error:
            rows = [None]
    counts.malformed_rows += rows.count(None)
    return rows


def output_lines(text: str | None) -> list[str]:
    return [line for line in text.splitlines() if line.strip()] if text else []


def record_rows(line: str | bytes, width: int, counts: Counts) -> Iterator[Row]:
    """The rows of one real-time capture line; a malformed line is counted, not raised."""
    try:
        record = json.loads(line)
        capture = record["captureData"]
        metadata = record.get("eventMetadata") or {}
        inputs = decode(capture.get("endpointInput"))
        outputs = decode(capture.get("endpointOutput"))
    except (ValueError, KeyError, TypeError, AttributeError):
        counts.malformed_lines += 1
        return
    if inputs is None:
        counts.malformed_lines += 1
        return
    counts.requests += 1
    key = metadata.get("inferenceId") or metadata.get("eventId")
    rows = csv_lines(inputs, width, counts)
    answers: Sequence[str | None] = output_lines(outputs)
    if len(answers) != len(rows):
        if outputs is not None or rows:
            counts.unpaired_requests += 1
        answers = [None] * len(rows)
    for index, (features, answer) in enumerate(zip(rows, answers, strict=True)):
        if features is not None:
            yield Row(features, answer, key, index)


def is_capture_record(line: str | bytes) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and isinstance(record.get("captureData"), dict)


def object_rows(lines: Iterable[str | bytes], width: int, counts: Counts) -> Iterator[Row]:
    """Every row of one capture object, streamed line by line."""
    counts.objects += 1
    for line in lines:
        if not line.strip():
            continue
        counts.lines += 1
        for row in record_rows(line, width, counts):
            counts.rows += 1
            yield row


def split_response(line: str) -> list[str]:
    """A response line's fields: commas inside brackets or double quotes do not split
    (the probabilities and labels keys are lists, quoted or not)."""
    if '"' not in line and "[" not in line:
        return [part.strip() for part in line.split(",")]
    fields: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
            continue
        if not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth = max(depth - 1, 0)
        if char == "," and not quoted and depth == 0:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    fields.append("".join(current).strip())
    return fields


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float | None


def prediction(line: str, keys: Sequence[str]) -> Prediction | None:
    """The predicted label (and probability) in one output line; None if it has not
    exactly one field per response key."""
    fields = split_response(line)
    if len(fields) != len(keys):
        return None
    values = dict(zip(keys, fields, strict=True))
    probability = None
    if "probability" in values:
        try:
            probability = float(values["probability"])
        except ValueError:
            probability = None
    return Prediction(values["predicted_label"], probability)
