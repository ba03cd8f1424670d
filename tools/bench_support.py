"""What the staging and monitoring benchmarks share: a local moto_server, a measured child
process that runs one handler, and where results go."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[tuple[str, Any]]:
    """A moto_server on 127.0.0.1: its endpoint and an S3 client, once it answers."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = str(Path(sys.executable).with_name("moto_server"))
    server = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        for _ in range(100):
            try:
                s3.list_buckets()
                break
            except Exception:  # the server is still starting
                time.sleep(0.1)
        yield endpoint, s3
    finally:
        server.terminate()
        server.wait()


def measure_child(
    script: str, *args: str, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    """Run ``script --child ARGS`` with the bench credentials: its last line, parsed, and
    what it logged."""
    child = subprocess.run(
        [sys.executable, script, "--child", *args],
        env={**os.environ, **CREDENTIALS, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1]), child.stderr


def in_child(endpoint: str, run: Callable[[], dict[str, Any]]) -> None:
    """In the measured process: ``run()`` with AWS pointed at ``endpoint``, then one JSON
    line with its result, wall time and the process's peak RSS."""
    sys.path.insert(0, str(ROOT / "runtime"))
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, **result}))


# A table column: its header, width, the result key and how its value is shown.
Column = tuple[str, int, str, str]


def report(name: str, results: list[dict[str, Any]], columns: list[Column]) -> None:
    """Save ``results`` as bench-results/<name>.json and print them as a table."""
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(" ".join(f"{header:>{width}}" for header, width, _, _ in columns))
    for row in results:
        print(" ".join(f"{shown.format(row[key]):>{width}}" for _, width, key, shown in columns))


def main(run: Callable[[], None], child: Callable[..., None]) -> None:
    """``script --child ARGS`` runs ``child(*ARGS)`` (the measured process), else ``run()``."""
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:])
    else:
        run()
