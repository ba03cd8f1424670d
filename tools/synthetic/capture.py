"""Captured traffic written exactly as SageMaker writes it, from generated bank-like rows.

Real-time capture: one JSON line per request (Developer Guide, "Capture data from
real-time endpoint"), input and output, CSV or BASE64 encoded, many rows per request,
``inferenceId`` only when the caller sent one, objects under ``yyyy/mm/dd/hh/`` named
``<mm-ss-mmm>-<random>.jsonl``. Batch capture: input/ and output/ manifests per hour that
name the job's objects, outputs with the inference ID and start time appended.
Ground truth: Model Monitor's groundTruthData records. Shared by the tests and the
benchmarks.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import uuid
from datetime import datetime

from tools.synthetic.bank import BANK_COLUMNS, bank_rows

FEATURES = BANK_COLUMNS[:-1]
RESPONSE_KEYS = ("predicted_label", "probability")


def training_csv(count: int = 3000, seed: int = 7) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BANK_COLUMNS)
    writer.writerows(bank_rows(count, seed=seed))
    return buffer.getvalue().encode()


def drifted(rows: list[list[str]], seed: int = 1) -> list[list[str]]:
    """Older customers, a job the training data never had; everything else unchanged."""
    rng = random.Random(seed)
    changed = []
    for row in rows:
        row = list(row)
        row[0] = str(int(row[0]) + 30)
        if rng.random() < 0.4:
            row[1] = "gig-worker"
        changed.append(row)
    return changed


def features(rows: list[list[str]]) -> list[list[str]]:
    """What the endpoint receives: the rows without the target (the last column)."""
    return [row[:-1] for row in rows]


def answer(row: list[str]) -> tuple[str, float]:
    """A fake model: long calls say yes."""
    p_yes = min(0.97, 0.03 + int(row[10]) / 9000)
    return ("yes", p_yes) if p_yes >= 0.5 else ("no", 1 - p_yes)


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _section(mode: str, text: str, encoding: str, content_type: str) -> dict:
    data = text if encoding == "CSV" else base64.b64encode(text.encode()).decode()
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_line(
    features: list[list[str]],
    *,
    encoding: str = "CSV",
    output_encoding: str | None = None,
    inference_id: str | None = None,
    event_id: str | None = None,
    when: datetime,
    answers: list[str] | None = None,
) -> str:
    """One request as data capture stores it."""
    lines = (
        answers if answers is not None else ["{},{:.4f}".format(*answer(row)) for row in features]
    )
    metadata = {
        "eventId": event_id or str(uuid.uuid4()),
        "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if inference_id:
        metadata["inferenceId"] = inference_id
    return json.dumps(
        {
            "captureData": {
                "endpointInput": _section("INPUT", csv_text(features), encoding, "text/csv"),
                "endpointOutput": _section(
                    "OUTPUT",
                    "\n".join(lines) + "\n",
                    output_encoding or encoding,
                    "text/csv; charset=utf-8",
                ),
            },
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
    )


def capture_key(prefix: str, when: datetime, suffix: str) -> str:
    return f"{prefix}/{when:%Y/%m/%d/%H}/{when:%M-%S}-{when.microsecond // 1000:03d}-{suffix}.jsonl"


def ground_truth_line(key: str, labels: list[str], *, by: str = "inferenceId") -> str:
    return json.dumps(
        {
            "groundTruthData": {"data": "\n".join(labels), "encoding": "CSV"},
            "eventMetadata": {by: key},
            "eventVersion": "0",
        }
    )


def manifest(prefix_uri: str, names: list[str]) -> bytes:
    return json.dumps([{"prefix": prefix_uri}, *names]).encode()


def batch_output(rows: list[list[str]], start: datetime, ids: list[str] | None) -> str:
    """A transform job's .out file: one CSV line per input line; with GenerateInferenceId
    the inference ID and the job's start time follow (the docs show a space after the
    first comma)."""
    lines = []
    for index, row in enumerate(rows):
        label, probability = answer(row)
        line = f"{label},{probability:.4f}"
        if ids is not None:
            line += f", {ids[index]},{start:%Y-%m-%dT%H:%M:%SZ}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def environment(*, bucket: str, profile_key: str, endpoint: str, **overrides: str) -> dict:
    """The monitoring function's environment, as the stack sets it."""
    return {
        "BUCKET": bucket,
        "PROFILE_KEY": profile_key,
        "CAPTURE_PREFIX": f"datacapture/{endpoint}/AllTraffic",
        "BATCH_CAPTURE_PREFIX": "datacapture/batch",
        "GROUND_TRUTH_PREFIX": "ground-truth",
        "REPORTS_PREFIX": "monitoring/reports",
        "TARGET": "y",
        "POSITIVE_CLASS": "yes",
        "RESPONSE_KEYS": "predicted_label,probability",
        "MAX_ROWS": "5000",
        "WINDOW_HOURS": "1",
        "PSI_THRESHOLD": "0.2",
        "UNSEEN_THRESHOLD": "0.1",
        "COMPLETENESS_DROP_THRESHOLD": "0.1",
        "PREDICTION_DRIFT_THRESHOLD": "0.1",
        "METRIC_NAMESPACE": "AutopilotStudio/Monitoring",
        "ENDPOINT_NAME": endpoint,
        **overrides,
    }
