"""The analysis core: a window's captured rows against the baseline profile, as a report.

Pure Python over iterables, so the Lambda (S3), ``make drift-check`` (local files) and
the tests feed it alike. The rows are sampled as they stream past: at most ``max_rows``,
uniformly over the whole window (reservoir sampling, Vitter's algorithm R, seeded), so
memory and time per row stay bounded at any traffic. Every check then runs on the sample.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from typing import Any

from drift_monitor import drift, quality
from drift_monitor.capture import Row, prediction

# Below this many sampled rows no feature or prediction is called drifted: a handful of
# requests say little about a distribution (the report still shows the scores).
MIN_ROWS = 100
REPORT_FORMAT = 1


class Reservoir:
    """A uniform sample of at most ``size`` items of a stream of unknown length."""

    def __init__(self, size: int, seed: int | str) -> None:
        self.size = size
        self.seen = 0
        self.items: list[Any] = []
        self._random = random.Random(seed)

    def add(self, item: Any) -> None:
        if self.seen < self.size:
            self.items.append(item)
        else:
            slot = self._random.randrange(self.seen + 1)
            if slot < self.size:
                self.items[slot] = item
        self.seen += 1


def sample_rows(rows: Iterable[Row], max_rows: int, seed: int | str) -> Reservoir:
    reservoir = Reservoir(max_rows, seed)
    add = reservoir.add
    for row in rows:
        add(row)
    return reservoir


def analyse(
    baseline: Mapping[str, Any],
    rows: Iterable[Row],
    *,
    max_rows: int,
    seed: int | str,
    thresholds: drift.Thresholds,
    response_keys: tuple[str, ...],
    positive_class: str,
    ground_truth: Callable[[dict[str, set[int]]], Iterable[Iterable[str | bytes]]] | None = None,
) -> dict[str, Any]:
    """The report of one window (without where and when, which the caller adds)."""
    reservoir = sample_rows(rows, max_rows, seed)
    sample = reservoir.items
    judged = len(sample) >= MIN_ROWS
    columns = baseline["columns"]
    parsed = [row.fields() for row in sample]
    features = {
        name: drift.feature(
            baseline["features"][name], [fields[index] for fields in parsed], thresholds, judged
        )
        for index, name in enumerate(columns)
    }
    del parsed
    drifted = [name for name, verdict in features.items() if verdict["drifted"]]
    predicted = [
        (row, answer)
        for row in sample
        if row.output is not None and (answer := prediction(row.output, response_keys))
    ]
    prediction_report = drift.prediction(
        [answer.label for _, answer in predicted],
        positive_class,
        baseline["positive_rate"],
        thresholds,
    )
    prediction_report["drifted"] = judged and prediction_report["drifted"]
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "rows": len(sample),
        "rows_seen": reservoir.seen,
        "max_rows": max_rows,
        "judged": judged,
        "min_rows": MIN_ROWS,
        "features": features,
        "drifted_features": drifted,
        "drifted_feature_share": len(drifted) / len(columns) if columns else 0.0,
        "max_psi": max((verdict["score"] for verdict in features.values()), default=0.0),
        "prediction": prediction_report,
        "thresholds": asdict(thresholds),
    }
    if ground_truth is not None:
        report |= _model_quality(predicted, ground_truth, positive_class)
    return report


def labelled(
    predicted: list[tuple[Row, Any]],
    ground_truth: Callable[[dict[str, set[int]]], Iterable[Iterable[str | bytes]]],
) -> tuple[list[tuple[str, str]], quality.GroundTruthCounts, int]:
    """(actual, predicted) of the predicted rows that ground truth labels, the counts,
    and how many rows had a record without their label."""
    wanted: dict[str, set[int]] = {}
    for row, _ in predicted:
        if row.key:
            wanted.setdefault(row.key, set()).add(row.index)
    counts = quality.GroundTruthCounts()
    labels = quality.collect(ground_truth(wanted), wanted, counts) if wanted else {}
    pairs = []
    unlabelled = 0
    for row, answer in predicted:
        request = labels.get(row.key) if row.key else None
        if request is None:
            continue
        if row.index in request:
            pairs.append((request[row.index], answer.label))
        else:
            unlabelled += 1
    return pairs, counts, unlabelled


def _model_quality(
    predicted: list[tuple[Row, Any]],
    ground_truth: Callable[[dict[str, set[int]]], Iterable[Iterable[str | bytes]]],
    positive_class: str,
) -> dict[str, Any]:
    pairs, counts, unlabelled = labelled(predicted, ground_truth)
    result: dict[str, Any] = {
        "ground_truth": {**asdict(counts), "rows_without_label": unlabelled},
    }
    if pairs:
        result["model_quality"] = quality.metrics(pairs, positive_class)
    return result
