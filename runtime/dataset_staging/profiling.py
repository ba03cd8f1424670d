"""The monitor's baseline profile, built while the split is written (no pass of its own).

The sample is the training rows with the highest seeded rank (split.py's rank): the split
holds out each class's lowest ranks, so the highest ones are a uniform sample of the
training rows. Its size is drift_monitor.profile.sample_size: every training row up to
50,000 rows and about 16 MiB of CSV. Rows in rank buckets above the sample's lowest bucket
are kept as they stream past; inside that bucket (about rows / 4096 of them) the full ranks
decide, so only those rows are ranked again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any, cast

from dataset_staging import streams
from dataset_staging.csv_validation import CsvReader, Header, decode_stream
from dataset_staging.split import Strata, holdout_count, ranker
from drift_monitor import profile

SAMPLE_METHOD = "highest-seeded-rank"


class ProfileSample:
    """Collects the sampled training records during the split's write pass."""

    def __init__(
        self, strata: Strata, *, fraction: float, training_rows: int, mean_bytes: float
    ) -> None:
        self.size = profile.sample_size(training_rows, mean_bytes)
        self._lowest_bucket, needed = strata.top_sample_plan(fraction, self.size)
        self._rank = strata.rank
        self._above: list[tuple[int, bytes]] = []
        self._boundary = profile.TopRanked(needed)

    def offer(self, position: int, bucket: int, record: bytes) -> None:
        """One training row (never a held-out one) as it is written."""
        if bucket > self._lowest_bucket:
            self._above.append((position, record))
        elif bucket == self._lowest_bucket:
            self._boundary.offer(self._rank(position), position, record)

    def records(self) -> list[bytes]:
        """The sampled records in file order."""
        kept = sorted(self._above + self._boundary.items())
        return [record for _, record in kept]


def training_class_counts(strata: Strata, fraction: float) -> dict[str, int] | None:
    """Training rows per class, exactly; None past split.MAX_STRATA classes."""
    if strata.overflow:
        return None
    return {
        value: count - holdout_count(count, fraction) for value, count in strata.classes.items()
    }


def document(
    *,
    header: Header,
    target: str,
    positive_class: str,
    records: list[bytes],
    training_rows: int,
    class_counts: Mapping[str, int] | None,
    seed: int | None,
    method: str = SAMPLE_METHOD,
) -> bytes:
    """profile.json's bytes for the sampled records (comma-separated, one per item)."""
    text = b"".join(records).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    built = profile.build(
        header=header.columns,
        target=target,
        positive_class=positive_class,
        rows=rows,
        training_rows=training_rows,
        class_counts=class_counts,
        sample={
            "method": method,
            "max_rows": profile.MAX_SAMPLE_ROWS,
            "max_bytes": profile.MAX_SAMPLE_BYTES,
            "seed": seed,
        },
    )
    return json.dumps(built, indent=1).encode("utf-8")


def local_profile(path: str, *, target: str, positive_class: str, seed: int = 42) -> dict[str, Any]:
    """The profile of a local training CSV, every row a training row: what staging would
    write for it, sampled the same way (the highest seeded ranks), for make drift-check."""
    counts = Strata(None)
    rank = ranker(seed)
    kept = profile.TopRanked(profile.MAX_SAMPLE_ROWS)
    with streams.open_local_csv(path) as (chunks, label):
        reader = CsvReader(decode_stream(chunks, label), label, target)
        for position, (record, value) in enumerate(reader):
            counts.add(value)
            kept.offer(rank(position), position, record.encode())
    records = [record for _, record in kept.items()]
    return cast(
        dict[str, Any],
        json.loads(
            document(
                header=reader.header,
                target=target,
                positive_class=positive_class,
                records=records,
                training_rows=counts.rows,
                class_counts=None if counts.overflow else counts.classes,
                seed=seed,
            )
        ),
    )
