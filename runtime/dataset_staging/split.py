"""Deterministic, seeded, stratified train / holdout split, in bounded memory.

Each row gets a pseudo-random rank from sha256(seed, row position); within each target
class the ``round(n * fraction)`` lowest-ranked rows go to the holdout (ties, which
need a 64-bit collision, go to the earlier row). The result depends only on the seed
and the data, never on the Python version, and both outputs keep the original row order.

The exact per-class selection needs no list of rows. While the rows stream past,
``Strata`` keeps three bytes per row (its class and the top 12 bits of its rank) and a
histogram of those bits per class, which gives the bucket holding each class's cut-off.
Every row below that bucket is held out; only the rows inside it (about n / 4096 per
class) are ranked again and sorted.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable

from dataset_staging.errors import DatasetError

# Above this many distinct target values (e.g. a regression target) the split is a plain
# seeded sample of all rows instead of one sample per class.
MAX_STRATA = 100
_OVERFLOW = MAX_STRATA  # the class byte of values seen after MAX_STRATA others
_BUCKET_BITS = 12
_BUCKET_SHIFT = 64 - _BUCKET_BITS


def holdout_count(class_rows: int, fraction: float) -> int:
    """round(n * fraction), at least 1, but never a class's only row nor all its rows."""
    if class_rows < 2:
        return 0
    return min(max(round(class_rows * fraction), 1), class_rows - 1)


def _rank(seed: int, position: int) -> int:
    """The first 8 bytes of sha256(b"<seed>:<position>"), as an unsigned integer."""
    return _ranker(seed)(position)


def _ranker(seed: int) -> Callable[[int], int]:
    """_rank for one seed, with the seed's part of the hash computed once."""
    prefix = hashlib.sha256(f"{seed}:".encode())
    copy = prefix.copy

    def rank(position: int) -> int:
        digest = copy()
        digest.update(b"%d" % position)
        return int.from_bytes(digest.digest()[:8])

    return rank


class Strata:
    """The target class and rank bucket of every row, in row order."""

    def __init__(self, seed: int | None) -> None:
        """With ``seed`` None only the class counts are kept (enough to check them)."""
        self.seed = seed
        self._ranked = seed is not None
        self._rank = _ranker(seed or 0)
        self.labels = bytearray()
        self._buckets = array("H")
        self._histograms: list[array] = []
        self._index: dict[str, int] = {}
        self._counts: list[int] = []
        self.overflow = False
        self.rows = 0

    def add(self, value: str) -> None:
        index = self._index.get(value)
        if index is None:
            if len(self._index) < MAX_STRATA:
                index = self._index[value] = len(self._index)
                self._counts.append(0)
            else:
                index = _OVERFLOW
                self.overflow = True
            while len(self._histograms) <= index:
                self._histograms.append(array("I", bytes(4 << _BUCKET_BITS)))
        if index != _OVERFLOW:
            self._counts[index] += 1
        self.rows += 1
        if self._ranked:
            bucket = self._rank(len(self.labels)) >> _BUCKET_SHIFT
            self._histograms[index][bucket] += 1
            self._buckets.append(bucket)
            self.labels.append(index)

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
                f"target column '{target}' (dataset.target_attribute) has a single class "
                f"'{only}' in all {self.rows} data rows; Autopilot needs at least 2 distinct "
                "target values"
            )

    def holdout_mask(self, fraction: float) -> bytearray:
        """1 for each row that goes to the holdout set; reuses the label bytes."""
        if not self._ranked:
            raise ValueError("Strata(seed=None) keeps counts only; it cannot split")
        labels = self.labels
        histograms = self._histograms
        if self.overflow:
            labels[:] = bytes(self.rows)
            combined = array("I", bytes(4 << _BUCKET_BITS))
            for histogram in histograms:
                for bucket, count in enumerate(histogram):
                    combined[bucket] += count
            histograms = [combined]
        # Per stratum: (the bucket holding the cut-off, rows still needed from it).
        cut: list[tuple[int, int]] = []
        for stratum, size in enumerate(self._stratum_sizes()):
            cut.append(_cut(histograms[stratum], holdout_count(size, fraction)))
        boundary: list[list[int]] = [[] for _ in cut]
        for position, (stratum, bucket) in enumerate(zip(labels, self._buckets, strict=True)):
            cut_bucket = cut[stratum][0]
            labels[position] = bucket < cut_bucket
            if bucket == cut_bucket:
                boundary[stratum].append(position)
        for stratum, positions in enumerate(boundary):
            ranked = sorted(positions, key=lambda position: (self._rank(position), position))
            for position in ranked[: cut[stratum][1]]:
                labels[position] = 1
        self._buckets = array("H")
        return labels


def _cut(histogram: array, wanted: int) -> tuple[int, int]:
    """The bucket holding the wanted-th lowest rank, and how many rows to take from it."""
    if not wanted:
        return -1, 0
    remaining = wanted
    for bucket, count in enumerate(histogram):
        if remaining <= count:
            return bucket, remaining
        remaining -= count
    raise AssertionError("a histogram holds every row of its stratum")


def holdout_mask(targets: Iterable[str], fraction: float, seed: int) -> list[bool]:
    """True for each row that goes to the holdout set (the in-memory form of Strata)."""
    strata = Strata(seed)
    for value in targets:
        strata.add(value)
    return [bool(held) for held in strata.holdout_mask(fraction)]
