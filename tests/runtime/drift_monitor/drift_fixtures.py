"""The drift monitor's test fixtures: the committed make drift-check files and a staged
dataset in moto; the capture shapes themselves are tools/synthetic/capture.py."""

from __future__ import annotations

from datetime import datetime

from tools.synthetic.bank import bank_rows
from tools.synthetic.capture import (
    FEATURES,
    RESPONSE_KEYS,
    answer,
    batch_output,
    capture_key,
    capture_line,
    csv_text,
    drifted,
    environment,
    features,
    ground_truth_line,
    manifest,
    training_csv,
)

__all__ = [
    "FEATURES",
    "RESPONSE_KEYS",
    "answer",
    "batch_output",
    "capture_key",
    "capture_line",
    "csv_text",
    "drifted",
    "environment",
    "features",
    "ground_truth_line",
    "manifest",
    "training_csv",
]


def write_drift_check_fixtures(folder) -> None:
    """The committed make drift-check fixtures (tests/runtime/drift_monitor/fixtures/):
    a training CSV, two hours of capture with drifted age and job, and their labels."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "training.csv").write_bytes(training_csv(2000, seed=7))
    rows = drifted(bank_rows(900, seed=21))
    hours = (datetime(2026, 12, 3, 13, 20, 5), datetime(2026, 12, 3, 14, 40, 1))
    requests = [rows[0:400], rows[400:800], rows[800:900]]
    lines = {
        hours[0]: [
            capture_line(features(requests[0]), inference_id="evaluate-0", when=hours[0]),
            capture_line(features(requests[1]), inference_id="evaluate-1", when=hours[0]),
        ],
        hours[1]: [
            capture_line(
                features(requests[2]), encoding="BASE64", event_id="event-2", when=hours[1]
            ),
            '{"captureData": {"endpointInput": {"data": "%%%", "encoding": "BASE64"}}}',
        ],
    }
    for when, records in lines.items():
        path = folder / "capture" / capture_key("AllTraffic", when, "4d2c")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(records) + "\n")
    truth = folder / "ground-truth" / "2026/12/03/15/evaluate.jsonl"
    truth.parent.mkdir(parents=True, exist_ok=True)
    keyed = [("evaluate-0", "inferenceId"), ("evaluate-1", "inferenceId"), ("event-2", "eventId")]
    truth.write_text(
        "\n".join(
            ground_truth_line(key, [row[-1] for row in request], by=by)
            for (key, by), request in zip(keyed, requests, strict=True)
        )
        + "\n"
    )


def stage_dataset(s3, bucket: str, rows: int = 3000) -> dict:
    """Stage a training CSV with the real staging handler; its Data (ProfileKey, ...)."""
    from dataset_staging import handler as staging

    s3.put_object(Bucket=bucket, Key="uploads/bank.csv", Body=training_csv(rows))
    return staging.on_event(
        {
            "RequestType": "Create",
            "ResourceProperties": {
                "Bucket": bucket,
                "Prefix": "datasets",
                "SourceUri": f"s3://{bucket}/uploads/bank.csv",
                "TargetAttribute": "y",
                "PositiveClass": "yes",
            },
        }
    )["Data"]
