"""Deterministic, seeded, stratified train / holdout split.

Each row gets a pseudo-random rank from sha256(seed, row position); within each target
class the lowest-ranked rows go to the holdout. The result depends only on the seed and
the data, never on the Python version, and both outputs keep the original row order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

# Above this many distinct target values (e.g. a regression target) the split is a plain
# seeded sample of all rows instead of one sample per class.
MAX_STRATA = 100


def holdout_count(class_rows: int, fraction: float) -> int:
    """round(n * fraction), at least 1, but never a class's only row nor all its rows."""
    if class_rows < 2:
        return 0
    return min(max(round(class_rows * fraction), 1), class_rows - 1)


def _rank(seed: int, position: int) -> bytes:
    return hashlib.sha256(f"{seed}:{position}".encode()).digest()[:8]


def holdout_mask(targets: Sequence[str], fraction: float, seed: int) -> list[bool]:
    """True for each row that goes to the holdout set."""
    strata: dict[str, list[int]] = {}
    for position, value in enumerate(targets):
        strata.setdefault(value, []).append(position)
    if len(strata) > MAX_STRATA:
        strata = {"": list(range(len(targets)))}
    mask = [False] * len(targets)
    for positions in strata.values():
        chosen = sorted(positions, key=lambda position: _rank(seed, position))
        for position in chosen[: holdout_count(len(positions), fraction)]:
            mask[position] = True
    return mask


@dataclass(frozen=True)
class Split:
    train: bytes
    holdout: bytes
    train_rows: int
    holdout_rows: int


def render(header: str, records: Sequence[str], mask: Sequence[bool]) -> Split:
    """Both files as UTF-8 bytes, each with the header and rows in source order."""
    train = [header]
    holdout = [header]
    for record, held_out in zip(records, mask, strict=True):
        (holdout if held_out else train).append(record)
    return Split(
        train="".join(train).encode(),
        holdout="".join(holdout).encode(),
        train_rows=len(train) - 1,
        holdout_rows=len(holdout) - 1,
    )
