"""Upload the held-out labels of each scored request as ground truth for the monitor.

One record per request, in Model Monitor's ground-truth shape, keyed by the request's
InferenceId (which data capture stores as ``eventMetadata.inferenceId``)::

    {"groundTruthData": {"data": "yes\\nno\\n...", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<InferenceId>", "inferenceId": "<InferenceId>"},
     "eventVersion": "0"}

Records go under ``<GroundTruthS3Uri>/yyyy/mm/dd/hh/`` of the hour each request was sent,
one object per hour and run, so the monitor's next run joins them to that hour's capture.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cli import s3uri
from cli.scoring import Sent


def record(inference_id: str, labels: Sequence[str]) -> dict[str, Any]:
    return {
        "groundTruthData": {"data": "\n".join(labels), "encoding": "CSV"},
        "eventMetadata": {"eventId": inference_id, "inferenceId": inference_id},
        "eventVersion": "0",
    }


def upload(s3: Any, ground_truth_uri: str, sent: Sequence[Sent], labels: Sequence[str]) -> dict:
    """Write the records; returns where they went, for the report."""
    bucket, prefix = s3uri.split(ground_truth_uri.rstrip("/"))
    by_hour: dict[str, list[str]] = {}
    for request in sent:
        folder = f"{prefix}/{request.sent_at:%Y/%m/%d/%H}/"
        line = json.dumps(record(request.inference_id, labels[request.start : request.stop]))
        by_hour.setdefault(folder, []).append(line)
    run_id = sent[0].inference_id.rsplit("-", 1)[0] if sent else "evaluate"
    keys = []
    for folder, lines in by_hour.items():
        key = f"{folder}{run_id}.jsonl"
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=("\n".join(lines) + "\n").encode("utf-8"),
            ContentType="application/x-ndjson",
        )
        keys.append(f"s3://{bucket}/{key}")
    return {"location": ground_truth_uri, "records": len(sent), "objects": keys}
