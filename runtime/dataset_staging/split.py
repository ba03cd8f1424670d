"""Deterministic, seeded, stratified train / holdout split, in bounded memory.

Each row gets a pseudo-random rank from sha256(seed, row position); within each target
class the ``round(n * fraction)`` lowest-ranked rows go to the holdout (ties, which
need a 64-bit collision, go to the earlier row). The result depends only on the seed
and the data, never on the Python version, and both outputs keep the original row order.

The exact per-class selection needs no list of rows. While the rows stream past,
``Strata`` writes three bytes per row to a temporary file (its class and the top 12 bits
of its rank) and keeps a histogram of those bits per class, which gives the bucket
holding each class's cut-off. Every row below that bucket is held out; only the rows
inside it (about n / 4096 per class) are ranked again and sorted.
"""

from __future__ import annotations

import hashlib
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import cast

from .errors import DatasetError

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
    return ranker(seed)(position)


def ranker(seed: int) -> Callable[[int], int]:
    """_rank for one seed, with the seed's part of the hash computed once."""
    prefix = hashlib.sha256(f"{seed}:".encode())
    copy = prefix.copy

    def rank(position: int) -> int:
        digest = copy()
        digest.update(b"%d" % position)
        return int.from_bytes(digest.digest()[:8])

    return rank


class _RowLog:
    """Each row's class byte and rank bucket, in a temporary file, written in blocks
    (a 4-byte row count, the class bytes, then the buckets)."""

    BLOCK_ROWS = 65536

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Strata.close
        self.labels = bytearray()
        self.buckets = array("H")

    def flush(self) -> None:
        if self.labels:
            self._file.write(len(self.labels).to_bytes(4, "little"))
            self._file.write(self.labels)
            self._file.write(self.buckets.tobytes())
            self.labels = bytearray()
            self.buckets = array("H")

    def rows(self) -> Iterator[tuple[int, int]]:
        """(class byte, bucket) of every row, in order."""
        self.flush()
        self._file.seek(0)
        while size := self._file.read(4):
            count = int.from_bytes(size, "little")
            labels = self._file.read(count)
            buckets = array("H")
            buckets.frombytes(self._file.read(2 * count))
            yield from zip(labels, buckets, strict=True)

    def close(self) -> None:
        self._file.close()


class Strata:
    """The target classes' counts and, with a seed, what the split needs of every row.

    Per row that is one class byte and a 2-byte rank bucket, kept in a temporary file,
    so memory does not grow with the rows.
    """

    def __init__(self, seed: int | None) -> None:
        """With ``seed`` None only the class counts are kept (enough to check them)."""
        self.seed = seed
        self._rank = ranker(seed or 0)
        self._log = _RowLog() if seed is not None else None
        self._histograms: list[array[int]] = []
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
        log = self._log
        if log is not None:
            bucket = self._rank(self.rows) >> _BUCKET_SHIFT
            self._histograms[index][bucket] += 1
            log.labels.append(index)
            log.buckets.append(bucket)
            if len(log.labels) == _RowLog.BLOCK_ROWS:
                log.flush()
        self.rows += 1

    def close(self) -> None:
        if self._log is not None:
            self._log.close()

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

    def rank(self, position: int) -> int:
        """The row's full 64-bit rank (the split keeps only its top 12 bits per row)."""
        return self._rank(position)

    def _cuts(self, fraction: float) -> tuple[list[array[int]], list[tuple[int, int]]]:
        """Per stratum: its histogram and (the bucket holding the cut-off, rows still
        needed from it)."""
        if self._log is None:
            raise ValueError("Strata(seed=None) keeps counts only; it cannot split")
        histograms = self._histograms
        if self.overflow:
            combined = array("I", bytes(4 << _BUCKET_BITS))
            for histogram in histograms:
                for bucket, count in enumerate(histogram):
                    combined[bucket] += count
            histograms = [combined]
        cut = [
            _cut(histograms[stratum], holdout_count(size, fraction))
            for stratum, size in enumerate(self._stratum_sizes())
        ]
        return histograms, cut

    def holdout_flags(self, fraction: float) -> Iterator[bool]:
        """For each row in order, whether it goes to the holdout set."""
        for held, _ in self.split_rows(fraction):
            yield held

    def split_rows(self, fraction: float) -> Iterator[tuple[bool, int]]:
        """For each row in order: whether it goes to the holdout set, and its rank bucket."""
        _, cut = self._cuts(fraction)
        row_log = cast(_RowLog, self._log)  # _cuts raised if there is none
        single = self.overflow
        boundary: list[list[int]] = [[] for _ in cut]
        for position, (label, bucket) in enumerate(row_log.rows()):
            stratum = 0 if single else label
            if bucket == cut[stratum][0]:
                boundary[stratum].append(position)
        chosen: set[int] = set()
        for stratum, positions in enumerate(boundary):
            ranked = sorted(positions, key=lambda position: (self._rank(position), position))
            chosen.update(ranked[: cut[stratum][1]])
        for position, (label, bucket) in enumerate(row_log.rows()):
            cut_bucket = cut[0 if single else label][0]
            held = bucket < cut_bucket or (bucket == cut_bucket and position in chosen)
            yield held, bucket

    def top_sample_plan(self, fraction: float, size: int) -> tuple[int, int]:
        """Where the ``size`` highest-ranked training rows start: (bucket, rows needed
        from it). Every training row in a higher bucket is in the sample; inside the
        bucket, the ``needed`` highest full ranks are. (-1, 0) takes every training row.
        """
        histograms, cut = self._cuts(fraction)
        training = [0] * (1 << _BUCKET_BITS)
        for histogram, (cut_bucket, taken) in zip(histograms, cut, strict=True):
            for bucket in range(max(cut_bucket, 0), 1 << _BUCKET_BITS):
                count = histogram[bucket]
                training[bucket] += count - taken if bucket == cut_bucket else count
        above = 0
        for bucket in range((1 << _BUCKET_BITS) - 1, -1, -1):
            if above + training[bucket] >= size:
                return bucket, size - above
            above += training[bucket]
        return -1, 0


def _cut(histogram: array[int], wanted: int) -> tuple[int, int]:
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
    try:
        for value in targets:
            strata.add(value)
        return list(strata.holdout_flags(fraction))
    finally:
        strata.close()
