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
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.synthetic.bank import BANK_COLUMNS, bank_rows  # noqa: E402

MB = 1000 * 1000
SIZES_MB = (100, 1000, 5000) if os.environ.get("BENCH_LARGE") == "1" else (100, 1000)
BUCKET = "bench-staging"
SOURCE_BUCKET = "bench-source"
POOL_ROWS = 100_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    sys.path.insert(0, str(ROOT / "runtime"))
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    from dataset_staging import handler

    started = time.perf_counter()
    response = handler.on_event(
        {
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
    )
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, **response["Data"]}))


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
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TMPDIR": str(workdir),
    }
    child = subprocess.run(
        [sys.executable, __file__, "--child", endpoint, key],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    staged_log = [
        json.loads(line)
        for line in child.stderr.splitlines()
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
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-staging-"))
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        for _ in range(100):
            try:
                s3.list_buckets()
                break
            except Exception:  # the server is still starting
                time.sleep(0.1)
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=SOURCE_BUCKET)
        results = []
        for size_mb in SIZES_MB:
            results.append(_run(endpoint, s3, workdir, size_mb))
            print(json.dumps(results[-1]), flush=True)
        return results
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(results: list[dict[str, object]]) -> None:
    print(
        f"{'source':>9} {'rows':>10} {'time':>8} {'(read)':>8} {'MB/s':>6} {'peak RSS':>10} "
        f"{'train':>9} {'holdout':>9} {'yes train':>10} {'yes holdout':>12}"
    )
    for r in results:
        print(
            f"{r['source_mb']:>6} MB {r['rows']:>10} {r['seconds']:>6} s "
            f"{r['validate_and_spool_s']:>6} s "
            f"{r['throughput_mb_s']:>6} {r['peak_rss_mib']:>6} MiB {r['train_mb']:>6} MB "
            f"{r['holdout_mb']:>6} MB {r['train_positive_rate']:>10.4f} "
            f"{r['holdout_positive_rate']:>12.4f}"
        )


def main() -> None:
    results = staging_benchmark()
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "staging.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _stage_child(sys.argv[2], sys.argv[3])
    else:
        main()
