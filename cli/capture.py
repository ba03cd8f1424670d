"""Find and decode the endpoint's data-capture files.

SageMaker writes JSON lines under ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/``,
one record per request::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "...", "encoding": "CSV"},
                     "endpointOutput": {...}},
     "eventMetadata": {"eventId": "...", "inferenceTime": "..."}, "eventVersion": "0"}

``encoding`` is CSV or JSON for content types listed in CaptureContentTypeHeader and
BASE64 otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from cli import s3uri
from cli.errors import EvaluationError

POLL_SECONDS = 15
PREVIEW_CHARS = 200


@dataclass(frozen=True)
class CapturedPayload:
    mode: str
    content_type: str
    encoding: str
    text: str


@dataclass(frozen=True)
class CaptureRecord:
    event_id: str | None
    inference_time: str | None
    input: CapturedPayload | None
    output: CapturedPayload | None


def capture_prefix(data_capture_uri: str, endpoint_name: str) -> tuple[str, str]:
    bucket, key = s3uri.split(data_capture_uri.rstrip("/"))
    parts = [part for part in key.split("/") if part]
    if not parts or parts[-1] != endpoint_name:
        parts.append(endpoint_name)
    return bucket, "/".join(parts) + "/"


def decode_payload(section: dict[str, Any] | None) -> CapturedPayload | None:
    if not section:
        return None
    encoding = str(section.get("encoding", "")).upper()
    data = section.get("data", "")
    if encoding == "BASE64":
        try:
            text = base64.b64decode(data).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            raise EvaluationError("capture record has invalid base64 data") from None
    else:
        text = data if isinstance(data, str) else json.dumps(data)
    return CapturedPayload(
        mode=str(section.get("mode", "")),
        content_type=str(section.get("observedContentType", "")),
        encoding=encoding,
        text=text,
    )


def decode_record(line: str) -> CaptureRecord:
    try:
        record = json.loads(line)
        capture = record["captureData"]
    except (ValueError, KeyError, TypeError):
        raise EvaluationError("not a SageMaker data-capture record") from None
    metadata = record.get("eventMetadata") or {}
    return CaptureRecord(
        event_id=metadata.get("eventId"),
        inference_time=metadata.get("inferenceTime"),
        input=decode_payload(capture.get("endpointInput")),
        output=decode_payload(capture.get("endpointOutput")),
    )


def first_record(text: str) -> CaptureRecord:
    for line in text.splitlines():
        if line.strip():
            return decode_record(line)
    raise EvaluationError("the capture file is empty")


def list_capture_files(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    paginator = s3.get_paginator("list_objects_v2")
    files = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        files.extend(o for o in page.get("Contents", []) if o["Key"].endswith(".jsonl"))
    return files


def wait_for_capture(
    s3: Any,
    data_capture_uri: str,
    endpoint_name: str,
    wait_seconds: float,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """Poll for capture files (bounded), decode the newest one's first record."""
    progress = progress if progress is not None else sys.stderr
    bucket, prefix = capture_prefix(data_capture_uri, endpoint_name)
    location = f"s3://{bucket}/{prefix}"
    checks = 1 + math.ceil(max(wait_seconds, 0) / POLL_SECONDS)
    files: list[dict[str, Any]] = []
    for check in range(checks):
        files = list_capture_files(s3, bucket, prefix)
        if files or check == checks - 1:
            break
        print(f"waiting for data capture under {location} ...", file=progress, flush=True)
        time.sleep(POLL_SECONDS)
    if not files:
        return {
            "found": False,
            "location": location,
            "files": 0,
            "note": f"no capture files after {wait_seconds:g}s; SageMaker writes them in "
            "batches, usually within a few minutes. Re-run later or raise --capture-wait.",
        }
    newest = max(files, key=lambda o: (o["LastModified"], o["Key"]))
    body = s3.get_object(Bucket=bucket, Key=newest["Key"])["Body"].read()
    record = first_record(body.decode("utf-8"))
    return {
        "found": True,
        "location": location,
        "files": len(files),
        "file": f"s3://{bucket}/{newest['Key']}",
        "record": asdict(record),
    }


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    flat = text.replace("\n", "\\n")
    return flat if len(flat) <= limit else flat[:limit] + f"... ({len(text)} chars)"
