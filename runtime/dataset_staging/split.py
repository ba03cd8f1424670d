"""Deterministic, seeded, stratified train / holdout split, in bounded memory.

Each row gets a pseudo-random rank from sha256(seed, row position); within each target
class the ``round(n * fraction)`` lowest-ranked rows go to the holdout (ties, which
need a 64-bit collision, go to the earlier row). The result depends only on the seed
and the data, never on the Python version, and both outputs keep the original row order.

The exact per-class selection needs no list of rows: while the rows stream past,
``Strata`` keeps one byte per row (its class). Choosing the lowest ranks then takes two
passes over those bytes, recomputing each rank: the first builds a histogram of the
ranks' top 16 bits per class, which gives the bucket holding each class's cut-off; the
second takes every row below that bucket and sorts only the rows inside it (about
n / 65536 per class). Memory is one byte per row plus 256 KiB per class.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Iterable

from dataset_staging.errors import DatasetError

# Above this many distinct target values (e.g. a regression target) the split is a plain
# seeded sample of all rows instead of one sample per class.
MAX_STRATA = 100
_OVERFLOW = MAX_STRATA  # the class byte of values seen after MAX_STRATA others
_BUCKET_SHIFT = 48  # top 16 bits of a 64-bit rank


def holdout_count(class_rows: int, fraction: float) -> int:
    """round(n * fraction), at least 1, but never a class's only row nor all its rows."""
    if class_rows < 2:
        return 0
    return min(max(round(class_rows * fraction), 1), class_rows - 1)


def _rank(seed: int, position: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{position}".encode()).digest()[:8])


class Strata:
    """The target class of every row, one byte each, in row order."""

    def __init__(self) -> None:
        self.labels = bytearray()
        self._index: dict[str, int] = {}
        self._counts: list[int] = []
        self.overflow = False

    def add(self, value: str) -> None:
        index = self._index.get(value)
        if index is None:
            if len(self._index) < MAX_STRATA:
                index = self._index[value] = len(self._index)
                self._counts.append(0)
            else:
                index = _OVERFLOW
                self.overflow = True
        if index != _OVERFLOW:
            self._counts[index] += 1
        self.labels.append(index)

    @property
    def rows(self) -> int:
        return len(self.labels)

    @property
    def classes(self) -> Counter[str]:
        """Rows per class; only the first MAX_STRATA classes when there are more."""
        return Counter({value: self._counts[index] for value, index in self._index.items()})

    def _stratum_sizes(self) -> list[int]:
        """Rows per stratum: per class, or one stratum of every row past MAX_STRATA."""
        return [self.rows] if self.overflow else list(self._counts)

    def split_counts(self, fraction: float) -> tuple[int, int]:
        """(train rows, holdout rows) the split will give."""
        holdout = sum(holdout_count(size, fraction) for size in self._stratum_sizes())
        return self.rows - holdout, holdout

    def check_classes(self, target: str) -> None:
        """At least two distinct target values are required."""
        if len(self._index) < 2:
            only = next(iter(self._index), "")
            raise DatasetError(
                f"target column '{target}' has a single class '{only}' in all {self.rows} "
                "data rows; Autopilot needs at least 2 distinct target values"
            )

    def holdout_mask(self, fraction: float, seed: int) -> bytearray:
        """1 for each row that goes to the holdout set; reuses the label bytes."""
        if self.overflow:
            self.labels[:] = bytes(self.rows)
        wanted = [holdout_count(size, fraction) for size in self._stratum_sizes()]
        histograms = {s: array("I", bytes(4 << 16)) for s, k in enumerate(wanted) if k}
        labels = self.labels
        for position, stratum in enumerate(labels):
            if stratum in histograms:
                histograms[stratum][_rank(seed, position) >> _BUCKET_SHIFT] += 1
        cut: dict[int, tuple[int, int]] = {}  # stratum -> (bucket, rows needed from it)
        for stratum, histogram in histograms.items():
            remaining = wanted[stratum]
            for bucket, count in enumerate(histogram):
                if remaining <= count:
                    cut[stratum] = (bucket, remaining)
                    break
                remaining -= count
        boundary: dict[int, list[tuple[int, int]]] = {stratum: [] for stratum in cut}
        for position, stratum in enumerate(labels):
            held = 0
            if stratum in cut:
                rank = _rank(seed, position)
                bucket = rank >> _BUCKET_SHIFT
                if bucket < cut[stratum][0]:
                    held = 1
                elif bucket == cut[stratum][0]:
                    boundary[stratum].append((rank, position))
            labels[position] = held
        for stratum, candidates in boundary.items():
            candidates.sort()
            for _, position in candidates[: cut[stratum][1]]:
                labels[position] = 1
        return labels


def holdout_mask(targets: Iterable[str], fraction: float, seed: int) -> list[bool]:
    """True for each row that goes to the holdout set (the in-memory form of Strata)."""
    strata = Strata()
    for value in targets:
        strata.add(value)
    return [bool(held) for held in strata.holdout_mask(fraction, seed)]
