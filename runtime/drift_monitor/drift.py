"""Per-feature drift and prediction drift of a window's sample against the profile.

Each feature is judged on four checks; any one marks it drifted:

- PSI, the population stability index, sum((a - e) * ln(a / e)) over the profile's bins
  (numbers) or its listed values plus "other" (categories), on the non-missing values.
  Empty bins count as ``EPSILON`` (1e-4, the value Evidently fills in), so a value range
  or category the baseline never had still scores. Drifted when PSI >= PSI_THRESHOLD.
- Unseen values (categories with a complete baseline domain): the share of values the
  baseline never had, drifted above UNSEEN_THRESHOLD.
- Completeness drop: the baseline's non-missing share minus the window's, drifted above
  COMPLETENESS_DROP_THRESHOLD.
- Type mismatch: text in a numeric feature (its share above UNSEEN_THRESHOLD), or only
  numbers in a categorical one whose baseline values were mostly not numbers.

The score is the PSI, the method "psi"; the details say which checks fired.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from drift_monitor import profile

EPSILON = 1e-4
METHOD = "psi"


@dataclass(frozen=True)
class Thresholds:
    psi: float = 0.2
    unseen: float = 0.1
    completeness_drop: float = 0.1
    prediction_drift: float = 0.1


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    total = 0.0
    for before, after in zip(expected, actual, strict=True):
        before = before if before > 0 else EPSILON
        after = after if after > 0 else EPSILON
        total += (after - before) * math.log(after / before)
    return total


def _numeric(
    baseline: Mapping[str, Any], present: list[str], thresholds: Thresholds
) -> dict[str, Any]:
    numbers = [parsed for value in present if (parsed := profile.number(value)) is not None]
    text_share = (len(present) - len(numbers)) / len(present) if present else 0.0
    edges = baseline["bins"]["edges"]
    details: dict[str, Any] = {"non_numeric_share": text_share}
    if numbers:
        current = profile.numeric_summary(numbers, edges)
        details["psi"] = psi(baseline["bins"]["fractions"], current["bins"]["fractions"])
        details["current"] = current
    details["type_mismatch"] = text_share > thresholds.unseen
    return details


def _categorical(baseline: Mapping[str, Any], present: list[str]) -> dict[str, Any]:
    counts, overflow = profile.count_values(present)
    known = baseline["values"]
    details: dict[str, Any] = {}
    if present:
        total = len(present)
        listed = [counts.get(value, 0) for value in known]
        actual = [count / total for count in listed]
        actual.append((total - sum(listed)) / total)
        details["psi"] = psi([*known.values(), baseline["other"]], actual)
        details["current"] = profile.categorical_summary(counts, total, overflow)
        if baseline.get("complete_domain"):
            unseen = Counter({v: c for v, c in counts.items() if v not in known})
            details["unseen_share"] = (sum(unseen.values()) + overflow) / total
            details["unseen_values"] = [value for value, _ in unseen.most_common(5)]
    all_numbers = bool(present) and all(profile.number(value) is not None for value in present)
    details["type_mismatch"] = all_numbers and baseline.get("numeric_share", 0.0) < 0.5
    return details


def feature(
    baseline: Mapping[str, Any], values: Sequence[str], thresholds: Thresholds, judged: bool
) -> dict[str, Any]:
    """One feature's verdict over the window's sampled ``values``."""
    present = [value for value in values if not profile.is_missing(value)]
    completeness = len(present) / len(values) if values else 0.0
    drop = baseline["completeness"] - completeness
    if baseline["type"] == profile.NUMERIC:
        details = _numeric(baseline, present, thresholds)
    else:
        details = _categorical(baseline, present)
    score = details.pop("psi", 0.0)
    reasons = []
    if score >= thresholds.psi:
        reasons.append("psi")
    if details.get("unseen_share", 0.0) > thresholds.unseen:
        reasons.append("unseen_values")
    if drop > thresholds.completeness_drop:
        reasons.append("completeness_drop")
    if details["type_mismatch"]:
        reasons.append("type_mismatch")
    return {
        "drifted": judged and bool(reasons),
        "score": score,
        "method": METHOD,
        "reasons": reasons if judged else [],
        "type": baseline["type"],
        "completeness": {"baseline": baseline["completeness"], "current": completeness},
        "completeness_drop": drop,
        **details,
    }


def prediction(
    labels: Sequence[str], positive_class: str, training_rate: float, thresholds: Thresholds
) -> dict[str, Any]:
    """The predicted positive rate against the training data's positive rate."""
    if not labels:
        return {"rows": 0, "drifted": False}
    rate = sum(label == positive_class for label in labels) / len(labels)
    change = rate - training_rate
    return {
        "rows": len(labels),
        "predicted_positive_rate": rate,
        "training_positive_rate": training_rate,
        "change": change,
        "drifted": abs(change) > thresholds.prediction_drift,
        "predicted_classes": {
            value: count / len(labels) for value, count in Counter(labels).most_common(10)
        },
    }
