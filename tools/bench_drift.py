"""Monitoring benchmark: one run of the drift monitor over windows of captured traffic.

    python tools/bench_drift.py            # windows of 10k, 100k and 1M captured rows

A moto_server on 127.0.0.1 holds a staged profile and one hour of real-time capture
(requests of 500 rows, 50 requests per object, as make evaluate sends them) plus one
ground-truth record per request. Each window is analysed by a separate process (the real
handler, its boto3 clients pointed at the server) that reports its wall time and peak
RSS, so the numbers are the function's alone; MAX_ROWS is the sampling bound. S3 here is
local, so a real run adds network time per object; the 15-minute estimate below is the
measured rows per second times the Lambda timeout less a one-minute margin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import bench_support
from bench_support import CREDENTIALS, ROOT, in_child, measure_child, moto_server

sys.path.insert(0, str(ROOT))

BUCKET = "bench-monitor"
ENDPOINT = "bench-endpoint"
WINDOWS = (10_000, 100_000, 1_000_000)
MAX_ROWS = int(os.environ.get("BENCH_DRIFT_MAX_ROWS", "50000"))
ROWS_PER_REQUEST = 500
REQUESTS_PER_OBJECT = 50
LAMBDA_SECONDS = 15 * 60 - 60
RUN_TIME = "2026-12-03T15:15:00Z"


def _environment(profile_key: str, capture: str) -> dict[str, str]:
    from tools.synthetic import capture as fx

    return fx.environment(
        bucket=BUCKET,
        profile_key=profile_key,
        endpoint=ENDPOINT,
        CAPTURE_PREFIX=capture,
        GROUND_TRUTH_PREFIX=f"{capture}-ground-truth",
        MAX_ROWS=str(MAX_ROWS),
    )


def _upload_window(s3, capture: str, rows: int) -> int:
    """One hour of capture; returns the bytes uploaded."""
    from tools.synthetic import capture as fx
    from tools.synthetic.bank import bank_rows

    when = datetime(2026, 12, 3, 14, 20, tzinfo=UTC)
    pool = [fx.features(bank_rows(ROWS_PER_REQUEST, seed=seed)) for seed in range(20)]
    labels = [["no"] * ROWS_PER_REQUEST for _ in pool]
    requests = rows // ROWS_PER_REQUEST
    uploaded = 0
    for first in range(0, requests, REQUESTS_PER_OBJECT):
        numbers = range(first, min(first + REQUESTS_PER_OBJECT, requests))
        ids = [f"bench-{uuid.uuid4().hex[:12]}-{n}" for n in numbers]
        lines = [
            fx.capture_line(pool[n % len(pool)], inference_id=i, when=when)
            for n, i in zip(numbers, ids, strict=True)
        ]
        body = ("\n".join(lines) + "\n").encode()
        key = fx.capture_key(capture, when.replace(second=first % 60), f"{first:06d}")
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        truth = "\n".join(
            fx.ground_truth_line(i, labels[n % len(labels)])
            for n, i in zip(numbers, ids, strict=True)
        )
        s3.put_object(
            Bucket=BUCKET,
            Key=f"{capture}-ground-truth/2026/12/03/15/{first:06d}.jsonl",
            Body=truth.encode(),
        )
        uploaded += len(body)
    return uploaded


def _child(endpoint: str, environment: str) -> None:
    """Runs in the measured process: the handler, end to end, nothing else."""
    os.environ.update(json.loads(environment))

    def analyse() -> dict[str, object]:
        from drift_monitor import handler

        return handler.handler({"time": RUN_TIME})

    in_child(endpoint, analyse)


def drift_benchmark() -> list[dict[str, object]]:
    with moto_server() as (endpoint, s3):
        s3.create_bucket(Bucket=BUCKET)
        profile_key = _stage_profile(s3)
        results = []
        for rows in WINDOWS:
            capture = f"datacapture/{ENDPOINT}-{rows}/AllTraffic"
            uploaded = _upload_window(s3, capture, rows)
            measured, _ = measure_child(
                __file__, endpoint, json.dumps(_environment(profile_key, capture))
            )
            results.append(
                {
                    "window_rows": rows,
                    "capture_mb": round(uploaded / 1e6, 1),
                    "rows_analysed": measured["rows"],
                    "seconds": round(measured["seconds"], 2),
                    "rows_per_s": round(rows / measured["seconds"]),
                    "peak_rss_mib": round(measured["peak_rss_mib"], 1),
                    "max_rows": MAX_ROWS,
                    "rows_in_15_min": int(rows / measured["seconds"] * LAMBDA_SECONDS),
                }
            )
            print(json.dumps(results[-1]), flush=True)
        return results


def _stage_profile(s3) -> str:
    """The real staging handler writes the profile, in a child pointed at the server."""
    from tools.synthetic import capture as fx

    s3.put_object(Bucket=BUCKET, Key="uploads/bank.csv", Body=fx.training_csv(20_000))
    code = (
        "import json, sys; sys.path.insert(0, 'runtime');"
        "from dataset_staging import handler;"
        "print(json.dumps(handler.on_event({'RequestType': 'Create', 'ResourceProperties': {"
        f"'Bucket': '{BUCKET}', 'Prefix': 'datasets', 'SourceUri': 's3://{BUCKET}/uploads/"
        "bank.csv', 'TargetAttribute': 'y'}})['Data']))"
    )
    env = {**os.environ, **CREDENTIALS, "AWS_ENDPOINT_URL": s3.meta.endpoint_url}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["ProfileKey"]


COLUMNS = [
    ("window", 10, "window_rows", "{}"),
    ("capture", 10, "capture_mb", "{} MB"),
    ("analysed", 9, "rows_analysed", "{}"),
    ("time", 8, "seconds", "{} s"),
    ("rows/s", 9, "rows_per_s", "{}"),
    ("peak RSS", 10, "peak_rss_mib", "{} MiB"),
    ("rows in 15 min", 15, "rows_in_15_min", "{}"),
]


def run() -> None:
    bench_support.report("drift", drift_benchmark(), COLUMNS)


if __name__ == "__main__":
    bench_support.main(run, _child)
