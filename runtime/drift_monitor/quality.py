"""Ground truth and the model-quality metrics of the rows it labels.

Ground-truth records are JSON lines in Model Monitor's shape (Developer Guide, "Ingest
ground truth labels and merge them with predictions"), under
``<ground-truth prefix>/yyyy/mm/dd/hh/``::

    {"groundTruthData": {"data": "yes\\nno\\n...", "encoding": "CSV"},
     "eventMetadata": {"eventId": "...", "inferenceId": "..."}, "eventVersion": "0"}

``data`` holds one label per line for every row of the request, in order. A record joins
the captured request with the same ``inferenceId``, or the same ``eventId`` when it has no
inference ID. Only the labels of sampled rows are kept, so memory follows the sample.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift_monitor.capture import decode


@dataclass
class GroundTruthCounts:
    objects: int = 0
    records: int = 0
    matched_records: int = 0
    malformed_lines: int = 0


def collect(
    objects: Iterable[Iterable[str | bytes]],
    wanted: Mapping[str, Collection[int]],
    counts: GroundTruthCounts,
) -> dict[str, dict[int, str]]:
    """{request key: {row index: label}} for the rows in ``wanted`` only."""
    labels: dict[str, dict[int, str]] = {}
    for lines in objects:
        counts.objects += 1
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                metadata = record.get("eventMetadata") or {}
                key = metadata.get("inferenceId") or metadata.get("eventId")
                text = decode(record["groundTruthData"])
            except (ValueError, KeyError, TypeError, AttributeError):
                counts.malformed_lines += 1
                continue
            if not key or text is None:
                counts.malformed_lines += 1
                continue
            counts.records += 1
            rows = wanted.get(key)
            if rows:
                counts.matched_records += 1
                values = [label.strip() for label in text.splitlines() if label.strip()]
                labels[key] = {index: values[index] for index in rows if index < len(values)}
    return labels


def _ratio(top: int, bottom: int) -> float | None:
    return top / bottom if bottom else None


def metrics(pairs: Iterable[tuple[str, str]], positive_class: str) -> dict[str, Any]:
    """F1, precision, recall and accuracy for the positive class over (actual, predicted)."""
    tp = fp = tn = fn = 0
    for actual, predicted in pairs:
        if actual == positive_class:
            if predicted == positive_class:
                tp += 1
            else:
                fn += 1
        elif predicted == positive_class:
            fp += 1
        else:
            tn += 1
    rows = tp + fp + tn + fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {
        "rows": rows,
        "positive_class": positive_class,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": _ratio(tp + tn, rows),
    }
