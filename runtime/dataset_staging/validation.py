"""The dataset checks, shared by synth (a local file) and the staging function.

``validate`` reads the CSV once, as a stream, and applies every check the data must
pass: encoding, header, field counts, target column, classes, and the training rows
left after the split. The staging function passes ``on_record`` to keep each record.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import streams
from .csv_validation import CsvReader, Header, decode_stream
from .errors import DatasetError
from .split import Strata


@dataclass(frozen=True)
class Validated:
    header: Header
    strata: Strata
    train_rows: int
    holdout_rows: int


def check_training_rows(train_rows: int, holdout_rows: int, minimum: int) -> None:
    if train_rows < minimum:
        raise DatasetError(
            f"only {train_rows} training rows after holding out {holdout_rows} of "
            f"{train_rows + holdout_rows} data rows; Autopilot needs at least {minimum} "
            "(dataset.min_training_rows): add rows or lower dataset.holdout_fraction"
        )


def validate(
    chunks: Iterable[bytes],
    label: str,
    *,
    target: str,
    holdout_fraction: float,
    min_training_rows: int,
    seed: int | None,
    on_record: Callable[[str], object] | None = None,
) -> Validated:
    """Check the whole CSV; raise DatasetError with the first problem found.

    With ``seed`` the result can also choose the split (``strata.holdout_mask``); without
    it, only the counts the checks need are kept.
    """
    reader = CsvReader(decode_stream(chunks, label), label, target)
    strata = Strata(seed)
    add = strata.add
    for record, value in reader:
        add(value)
        if on_record is not None:
            on_record(record)
    strata.check_classes(target)
    train_rows, holdout_rows = strata.split_counts(holdout_fraction)
    check_training_rows(train_rows, holdout_rows, min_training_rows)
    return Validated(reader.header, strata, train_rows, holdout_rows)


def validate_local_file(
    path: str,
    *,
    archive_member: str,
    target: str,
    holdout_fraction: float,
    min_training_rows: int,
) -> Validated:
    """What the staging function would say about this file, checked before deploy."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            archive = streams.is_zip(file.read(4))
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror or error}") from None
    limit = streams.MAX_ARCHIVE_BYTES if archive else streams.MAX_CSV_BYTES
    if size > limit:
        raise streams.too_large(path, size, limit)
    try:
        with streams.open_local_csv(path, archive_member) as (chunks, label):
            return validate(
                chunks,
                label,
                target=target,
                holdout_fraction=holdout_fraction,
                min_training_rows=min_training_rows,
                seed=None,
            )
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror or error}") from None
