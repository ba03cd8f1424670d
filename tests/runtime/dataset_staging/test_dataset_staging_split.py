"""The seeded, stratified train / holdout split."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from dataset_staging import split
from tools.synthetic.bank import bank_rows


def targets_of(count: int, yes_rate: float = 0.11) -> list[str]:
    return [row[-1] for row in bank_rows(count, yes_rate=yes_rate)]


def is_subsequence(part: list[int], whole: list[int]) -> bool:
    remaining = iter(whole)
    return all(item in remaining for item in part)


def test_same_seed_gives_same_split_and_other_seed_differs():
    targets = targets_of(2000)
    first = split.holdout_mask(targets, 0.05, 42)
    assert split.holdout_mask(list(targets), 0.05, 42) == first
    assert split.holdout_mask(targets, 0.05, 43) != first


def test_known_split_is_stable_across_interpreters():
    # sha256-ranked, so this never depends on the random module's algorithm.
    mask = split.holdout_mask(["a"] * 6 + ["b"] * 4, 0.25, 42)
    assert [i for i, held in enumerate(mask) if held] == [0, 1, 6]


def test_each_class_is_sampled_in_proportion():
    targets = targets_of(41188)
    mask = split.holdout_mask(targets, 0.05, 42)
    per_class = Counter(t for t, held in zip(targets, mask, strict=True) if held)
    totals = Counter(targets)
    assert totals == {"no": 36657, "yes": 4531}
    assert per_class == {"no": round(36657 * 0.05), "yes": round(4531 * 0.05)}


def test_render_keeps_order_and_loses_or_duplicates_nothing():
    records = [f"{i},{'yes' if i % 9 == 0 else 'no'}\n" for i in range(1000)]
    targets = [r.split(",")[1].strip() for r in records]
    mask = split.holdout_mask(targets, 0.1, 7)
    train = "id,y\n" + "".join(r for r, held in zip(records, mask, strict=True) if not held)
    holdout = "id,y\n" + "".join(r for r, held in zip(records, mask, strict=True) if held)
    train_lines = train.splitlines()
    holdout_lines = holdout.splitlines()
    assert train_lines[0] == holdout_lines[0] == "id,y"
    train_ids = [int(line.split(",")[0]) for line in train_lines[1:]]
    holdout_ids = [int(line.split(",")[0]) for line in holdout_lines[1:]]
    assert sorted(train_ids + holdout_ids) == list(range(1000))
    assert train_ids == sorted(train_ids)
    assert holdout_ids == sorted(holdout_ids)
    assert is_subsequence(holdout_ids, list(range(1000)))
    assert len(holdout_ids) == round(112 * 0.1) + round(888 * 0.1)


@pytest.mark.parametrize(
    ("rows", "fraction", "expected"),
    [(1, 0.05, 0), (2, 0.05, 1), (3, 0.05, 1), (19, 0.05, 1), (30, 0.05, 2), (100, 0.49, 49)],
)
def test_holdout_count(rows, fraction, expected):
    assert split.holdout_count(rows, fraction) == expected


def test_rare_classes_keep_a_training_row():
    mask = split.holdout_mask(["a"] * 50 + ["b"] * 2 + ["c"], 0.05, 1)
    held = Counter(t for t, h in zip(["a"] * 50 + ["b"] * 2 + ["c"], mask, strict=True) if h)
    assert held == {"a": 2, "b": 1}


def test_many_distinct_targets_fall_back_to_one_sample():
    targets = [str(i * 0.5) for i in range(400)]
    mask = split.holdout_mask(targets, 0.05, 3)
    assert sum(mask) == 20


def reference_mask(targets: list[str], fraction: float, seed: int) -> list[bool]:
    """The split rule written the obvious way: sort each class by rank, hold out the first."""
    strata: dict[str, list[int]] = {}
    for position, value in enumerate(targets):
        strata.setdefault(value, []).append(position)
    if len(strata) > split.MAX_STRATA:
        strata = {"": list(range(len(targets)))}
    mask = [False] * len(targets)
    for positions in strata.values():
        ranked = sorted(positions, key=lambda position: split._rank(seed, position))
        for position in ranked[: split.holdout_count(len(positions), fraction)]:
            mask[position] = True
    return mask


@pytest.mark.parametrize("trial", range(40))
def test_bounded_memory_selection_equals_sorting_every_class(trial, monkeypatch):
    rng = random.Random(trial)
    if trial % 2:  # many blocks in the row log, the last one partial
        monkeypatch.setattr(split._RowLog, "BLOCK_ROWS", rng.randint(1, 300))
    classes = rng.choice([2, 3, 7, 150])
    targets = [str(rng.randrange(classes)) for _ in range(rng.randint(1, 4000))]
    fraction = rng.choice([0.01, 0.05, 0.2, 0.49])
    seed = rng.randrange(1000)
    assert split.holdout_mask(targets, fraction, seed) == reference_mask(targets, fraction, seed)


def test_split_counts_match_the_mask():
    strata = split.Strata(42)
    targets = targets_of(5000)
    for value in targets:
        strata.add(value)
    train, holdout = strata.split_counts(0.05)
    mask = list(strata.holdout_flags(0.05))
    strata.close()
    assert (train, holdout) == (len(mask) - sum(mask), sum(mask)) == (4750, 250)
