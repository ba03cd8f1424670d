"""The baseline profile: what the training data looked like, in one small JSON document.

Staging writes it to ``datasets/<version>/profile.json`` from the training rows; the
monitor compares each window of captured traffic with it; ``make drift-check`` builds the
same document from a local training CSV. Format 1::

    {
      "format": 1,
      "target": "y",
      "positive_class": "yes",
      "columns": ["age", "job", ...],         # what the endpoint receives, in order
      "rows": 39129,                          # training rows
      "sample": {"method": "highest-seeded-rank", "rows": 39129, "max_rows": 50000,
                 "max_bytes": 16777216, "seed": 42},
      "target_classes": {"no": 0.8873, "yes": 0.1127},   # share of training rows
      "positive_rate": 0.1127,
      "features": {
        "age": {"type": "numeric", "completeness": 1.0, "mean": 40.0, "std": 10.4,
                "min": 17.0, "max": 98.0,
                "bins": {"edges": [28.0, 31.0, ...], "fractions": [0.098, ...]}},
        "job": {"type": "categorical", "completeness": 1.0,
                "values": {"admin.": 0.253, ...}, "other": 0.0, "distinct": 12,
                "complete_domain": true, "numeric_share": 0.0}
      }
    }

Rules, shared by staging, the monitor and the offline check:

- A value is missing when it is empty or blank. Completeness is the non-missing share.
- A feature is numeric when it has a non-missing value and every non-missing value is a
  finite decimal number; otherwise it is categorical.
- Numeric bins: ``edges`` are the distinct deciles (10 % .. 90 %, linear interpolation
  between order statistics, as numpy's default); bin i holds the values v with
  ``edges[i-1] < v <= edges[i]``, the first and last bins are open-ended, so values outside
  the training range land in the outer bins. ``fractions`` are the training shares.
- Categorical ``values`` are the shares of the ``MAX_VALUES`` most frequent values (ties in
  value order), ``other`` the share of the rest; ``complete_domain`` says that every value
  seen is listed, which the unseen-value check needs.
- Statistics are over a sample of the training rows: all of them up to ``MAX_SAMPLE_ROWS``
  rows and about ``MAX_SAMPLE_BYTES`` of CSV; beyond that, the rows with the highest seeded
  rank (``sample.method``), a uniform sample that never meets the holdout, which takes the
  lowest ranks. ``target_classes`` counts every training row when the class counts are
  known (at most 100 classes), otherwise the sample. Pre-split datasets are not read
  whole: their profile is the train file's first rows (``sample.method`` "first-rows") and
  ``rows`` counts those.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

FORMAT = 1
MAX_SAMPLE_ROWS = 50_000
MAX_SAMPLE_BYTES = 16 * 1024 * 1024
MAX_VALUES = 100
# Distinct values counted per categorical column; rarer ones beyond this go to "other".
MAX_DISTINCT = 10_000
NUMERIC = "numeric"
CATEGORICAL = "categorical"
_DECILES = tuple(k / 10 for k in range(1, 10))


class ProfileError(ValueError):
    """A profile document is not one this code can read."""


def is_missing(value: str) -> bool:
    return not value.strip()


def number(value: str) -> float | None:
    """The value as a finite number, or None (Python's float also reads '1_0' and 'inf')."""
    try:
        parsed = float(value)
    except ValueError:
        return None
    if "_" in value or not math.isfinite(parsed):
        return None
    return parsed


def sample_size(training_rows: int, mean_record_bytes: float) -> int:
    """How many training rows the profile samples: all, up to the row and byte caps."""
    by_bytes = int(MAX_SAMPLE_BYTES // max(mean_record_bytes, 1.0))
    return max(1, min(training_rows, MAX_SAMPLE_ROWS, by_bytes))


class TopRanked:
    """The ``size`` items with the highest rank seen so far (ties: the earlier position)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[tuple[int, int, Any]] = []

    def offer(self, rank: int, position: int, item: Any) -> None:
        if self.size <= 0:
            return
        entry = (rank, -position, item)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        elif entry[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, entry)

    def items(self) -> list[tuple[int, Any]]:
        """(position, item) of the kept items, in position order."""
        return sorted((-negative, item) for _, negative, item in self._heap)


def bin_index(edges: Sequence[float], value: float) -> int:
    """The bin of ``value``: edges[i-1] < value <= edges[i]."""
    return bisect_left(edges, value)


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def numeric_summary(
    values: Sequence[float], edges: Sequence[float] | None = None
) -> dict[str, Any]:
    """Mean, standard deviation (population), range and bin fractions of ``values``.

    Without ``edges`` the deciles of ``values`` become the edges.
    """
    ordered = sorted(values)
    if edges is None:
        edges = sorted({_quantile(ordered, q) for q in _DECILES})
    counts = [0] * (len(edges) + 1)
    for value in ordered:
        counts[bin_index(edges, value)] += 1
    count = len(ordered)
    mean = math.fsum(ordered) / count
    variance = math.fsum((value - mean) ** 2 for value in ordered) / count
    return {
        "mean": mean,
        "std": math.sqrt(variance),
        "min": ordered[0],
        "max": ordered[-1],
        "bins": {"edges": list(edges), "fractions": [c / count for c in counts]},
    }


def categorical_summary(counts: Counter[str], total: int, overflow: int = 0) -> dict[str, Any]:
    """Shares of the most frequent values, the rest as ``other``."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top = ranked[:MAX_VALUES]
    shares = {value: count / total for value, count in top}
    listed = sum(count for _, count in top)
    numeric = sum(count for value, count in counts.items() if number(value) is not None)
    return {
        "values": shares,
        "other": (total - listed) / total,
        "distinct": len(counts) + (1 if overflow else 0),
        "complete_domain": not overflow and len(ranked) <= MAX_VALUES,
        "numeric_share": numeric / total,
    }


def count_values(values: Iterable[str]) -> tuple[Counter[str], int]:
    """Counts of each value, at most MAX_DISTINCT of them, and how many were left out."""
    counts: Counter[str] = Counter()
    overflow = 0
    for value in values:
        if value in counts or len(counts) < MAX_DISTINCT:
            counts[value] += 1
        else:
            overflow += 1
    return counts, overflow


def feature_profile(values: Sequence[str]) -> dict[str, Any]:
    """One column's entry in ``features``."""
    present = [value for value in values if not is_missing(value)]
    completeness = len(present) / len(values) if values else 0.0
    numbers = [number(value) for value in present]
    if present and all(parsed is not None for parsed in numbers):
        return {
            "type": NUMERIC,
            "completeness": completeness,
            **numeric_summary(cast(list[float], numbers)),
        }
    counts, overflow = count_values(present)
    summary = (
        categorical_summary(counts, len(present), overflow)
        if present
        else {"values": {}, "other": 0.0, "distinct": 0, "complete_domain": True}
    )
    return {"type": CATEGORICAL, "completeness": completeness, **summary}


def build(
    *,
    header: Sequence[str],
    target: str,
    positive_class: str,
    rows: Sequence[Sequence[str]],
    training_rows: int,
    sample: Mapping[str, Any],
    class_counts: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The profile document of the sampled training ``rows`` (header order, target in)."""
    if not rows:
        raise ProfileError("the profile needs at least one training row")
    target_index = list(header).index(target)
    columns = [name for index, name in enumerate(header) if index != target_index]
    if class_counts is None:
        class_counts = Counter(row[target_index] for row in rows)
    total = sum(class_counts.values())
    classes = {value: count / total for value, count in sorted(class_counts.items())}
    features = {
        name: feature_profile([row[index] for row in rows])
        for index, name in enumerate(header)
        if index != target_index
    }
    return {
        "format": FORMAT,
        "target": target,
        "positive_class": positive_class,
        "columns": columns,
        "rows": training_rows,
        "sample": {**sample, "rows": len(rows)},
        "target_classes": classes,
        "positive_rate": classes.get(positive_class, 0.0),
        "features": features,
    }


def check(document: Any, where: str) -> dict[str, Any]:
    """The document, after checking it is a profile of a format this code reads."""
    if not isinstance(document, dict) or "format" not in document:
        raise ProfileError(f"{where} is not a baseline profile (no 'format')")
    if document["format"] != FORMAT:
        raise ProfileError(
            f"{where} has profile format {document['format']!r}; this code reads format "
            f"{FORMAT}: deploy again so staging writes it anew"
        )
    for key in ("target", "positive_class", "columns", "features", "positive_rate"):
        if key not in document:
            raise ProfileError(f"{where} is missing '{key}'")
    missing = [name for name in document["columns"] if name not in document["features"]]
    if missing:
        raise ProfileError(f"{where} has no feature entry for {', '.join(missing)}")
    return document
