"""Benchmarks kept out of the test suite: synth time per environment against a
one-bucket floor app, the offline test suite's wall time (serial against parallel), and
dataset staging (tools/bench_staging.py: ~100 MB and ~1 GB, ~5 GB too with BENCH_LARGE=1)
and one drift-monitor run over windows of 10k, 100k and 1M captured rows
(tools/bench_drift.py).

    make bench                              # writes bench-results/*.json, prints tables
    BENCH_STAGING=0 make bench              # skip the staging benchmark (a few minutes)
    BENCH_DRIFT=0 make bench                # skip the monitoring benchmark (a few minutes)
    python tools/bench.py --suite-only      # only the suite comparison

The suite runs alternate (serial, parallel, serial, ...) so that load from other processes
falls on both alike; BENCH_SUITE_ROUNDS sets how many pairs (default 1).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_drift
import bench_staging

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from config import environment_names  # noqa: E402

ENVIRONMENTS = environment_names()
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SUITE_ROUNDS = int(os.environ.get("BENCH_SUITE_ROUNDS", "1"))
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
# Serial is how the suite ran before it was parallel; parallel is pyproject's -n auto.
SUITE_MODES = {"serial": ["-n", "0"], "parallel": []}


def _context(env_name: str | None) -> str:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    if env_name:
        context["env"] = env_name
    return json.dumps(context)


def _timed(command: list[str], extra_env: dict[str, str]) -> float:
    env = {**os.environ, **extra_env}
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _synth_seconds(script: str, env_name: str | None) -> float:
    samples = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as outdir:
            samples.append(
                _timed(
                    [sys.executable, script],
                    {"CDK_OUTDIR": outdir, "CDK_CONTEXT_JSON": _context(env_name)},
                )
            )
    return statistics.median(samples)


def suite_seconds() -> dict[str, list[float]]:
    """Wall time of the whole suite per mode, alternating modes round by round."""
    samples: dict[str, list[float]] = {mode: [] for mode in SUITE_MODES}
    for _ in range(SUITE_ROUNDS):
        for mode, options in SUITE_MODES.items():
            samples[mode].append(round(_timed([*PYTEST, *options], {}), 2))
    return samples


def main() -> None:
    suite_only = "--suite-only" in sys.argv[1:]
    results: dict[str, object] = {"cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    if not suite_only:
        floor = _synth_seconds("tools/floor_app.py", None)
        per_env = {name: _synth_seconds("app.py", name) for name in ENVIRONMENTS}
        results |= {
            "repeats": REPEATS,
            "floor_one_bucket_app_s": round(floor, 2),
            "synth_s": {name: round(value, 2) for name, value in per_env.items()},
            "synth_all_environments_s": round(sum(per_env.values()), 2),
            "synth_to_floor_ratio": {
                name: round(value / floor, 2) for name, value in per_env.items()
            },
        }
        print(f"floor (one-bucket app)        {floor:6.2f} s")
        for name, value in per_env.items():
            print(f"synth {name:<6}                  {value:6.2f} s  ({value / floor:.2f}x floor)")
        print(f"synth, all environments       {sum(per_env.values()):6.2f} s")
    suite = suite_seconds()
    serial, parallel = (statistics.median(suite[mode]) for mode in ("serial", "parallel"))
    results |= {
        "test_suite_s": suite,
        "test_suite_parallel_to_serial": round(parallel / serial, 2),
    }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"offline test suite, serial    {serial:6.2f} s  {suite['serial']}")
    print(f"offline test suite, parallel  {parallel:6.2f} s  {suite['parallel']}")
    print(f"parallel / serial             {parallel / serial:6.2f}")
    if not suite_only and os.environ.get("BENCH_STAGING", "1") != "0":
        bench_staging.main()
    if not suite_only and os.environ.get("BENCH_DRIFT", "1") != "0":
        bench_drift.main()


if __name__ == "__main__":
    main()
