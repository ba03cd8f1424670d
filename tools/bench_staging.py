"""Staging benchmark: stage generated bank-like CSVs from an S3 served by moto_server.

    python tools/bench_staging.py          # ~100 MB and ~1 GB; BENCH_LARGE=1 adds ~5 GB

Each size is staged by a separate process (the real handler, its boto3 client pointed
at moto_server on 127.0.0.1), which reports its own wall time and peak RSS, so the
numbers are the staging function's alone. Generated files live in a temporary folder
and are deleted afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import bench_support
from bench_support import ROOT, in_child, measure_child, moto_server
from boto3.s3.transfer import TransferConfig

sys.path.insert(0, str(ROOT))
from tools.synthetic.bank import BANK_COLUMNS, bank_rows

MB = 1000 * 1000
SIZES_MB = (100, 1000, 5000) if os.environ.get("BENCH_LARGE") == "1" else (100, 1000)
BUCKET = "bench-staging"
SOURCE_BUCKET = "bench-source"
POOL_ROWS = 100_000


def _generate(path: Path, size_mb: int) -> int:
    """A bank-like CSV of about size_mb MB: rows drawn from a pool, 11 % with y = yes."""
    pool = [",".join(row) + "\n" for row in bank_rows(POOL_ROWS, seed=size_mb)]
    rng = random.Random(f"draw-{size_mb}")
    target = size_mb * MB
    written = 0
    with path.open("w", buffering=8 * 1024 * 1024) as out:
        out.write(",".join(BANK_COLUMNS) + "\n")
        while written < target:
            block = "".join(rng.choices(pool, k=10_000))
            out.write(block)
            written += len(block)
    return path.stat().st_size


def _stage_child(endpoint: str, key: str) -> None:
    """Runs in the measured process: the handler, end to end, nothing else."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")

    def stage() -> dict[str, object]:
        from dataset_staging import handler

        event = {
            "RequestType": "Create",
            "ResourceProperties": {
                "Bucket": BUCKET,
                "Prefix": "datasets",
                "SourceUri": f"s3://{SOURCE_BUCKET}/{key}",
                "TargetAttribute": "y",
                "HoldoutFraction": "0.05",
                "Seed": "42",
                "MinTrainingRows": "500",
            },
        }
        return handler.on_event(event)["Data"]

    in_child(endpoint, stage)


def _positives(s3, key: str) -> tuple[int, int, int]:
    """(bytes, rows, rows with y = yes) of a staged object, read as a stream."""
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
    size = rows = yes = 0
    tail = b""
    for chunk in body.iter_chunks(8 * 1024 * 1024):
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        lines, tail = data[:cut], data[cut:]
        size += len(chunk)
        rows += lines.count(b"\n")
        yes += lines.count(b",yes\n")
    return size, rows - 1, yes


def _run(endpoint: str, s3, workdir: Path, size_mb: int) -> dict[str, object]:
    path = workdir / f"bank-{size_mb}mb.csv"
    source_bytes = _generate(path, size_mb)
    key = path.name
    s3.upload_file(str(path), SOURCE_BUCKET, key, Config=TransferConfig(max_concurrency=2))
    path.unlink()
    result, log = measure_child(__file__, endpoint, key, env={"TMPDIR": str(workdir)})
    staged_log = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"message": "staged"' in line
    ][-1]
    train_bytes, train_rows, train_yes = _positives(s3, result["TrainKey"])
    holdout_bytes, holdout_rows, holdout_yes = _positives(s3, result["HoldoutKey"])
    assert str(train_rows) == result["TrainRows"], (train_rows, result["TrainRows"])
    assert str(holdout_rows) == result["HoldoutRows"], (holdout_rows, result["HoldoutRows"])
    s3.delete_object(Bucket=SOURCE_BUCKET, Key=key)
    for staged in (result["TrainKey"], result["HoldoutKey"]):
        s3.delete_object(Bucket=BUCKET, Key=staged)
    return {
        "source_mb": round(source_bytes / MB, 1),
        "rows": train_rows + holdout_rows,
        "seconds": round(result["seconds"], 1),
        "validate_and_spool_s": staged_log["validate_seconds"],
        "throughput_mb_s": round(source_bytes / MB / result["seconds"], 1),
        "peak_rss_mib": round(result["peak_rss_mib"], 1),
        "train_mb": round(train_bytes / MB, 1),
        "holdout_mb": round(holdout_bytes / MB, 1),
        "train_rows": train_rows,
        "holdout_rows": holdout_rows,
        "train_positive_rate": round(train_yes / train_rows, 5),
        "holdout_positive_rate": round(holdout_yes / holdout_rows, 5),
    }


def staging_benchmark() -> list[dict[str, object]]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-staging-"))
    try:
        with moto_server() as (endpoint, s3):
            s3.create_bucket(Bucket=BUCKET)
            s3.create_bucket(Bucket=SOURCE_BUCKET)
            results = []
            for size_mb in SIZES_MB:
                results.append(_run(endpoint, s3, workdir, size_mb))
                print(json.dumps(results[-1]), flush=True)
            return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


COLUMNS = [
    ("source", 9, "source_mb", "{} MB"),
    ("rows", 10, "rows", "{}"),
    ("time", 8, "seconds", "{} s"),
    ("(read)", 8, "validate_and_spool_s", "{} s"),
    ("MB/s", 6, "throughput_mb_s", "{}"),
    ("peak RSS", 10, "peak_rss_mib", "{} MiB"),
    ("train", 9, "train_mb", "{} MB"),
    ("holdout", 9, "holdout_mb", "{} MB"),
    ("yes train", 10, "train_positive_rate", "{:.4f}"),
    ("yes holdout", 12, "holdout_positive_rate", "{:.4f}"),
]


def run() -> None:
    bench_support.report("staging", staging_benchmark(), COLUMNS)


if __name__ == "__main__":
    bench_support.main(run, _stage_child)
