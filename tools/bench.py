"""Benchmarks kept out of the test suite: synth time per environment against a
one-bucket floor app, the offline test suite's wall time (serial against parallel), and
dataset staging (tools/bench_staging.py: ~100 MB and ~1 GB, ~5 GB too with BENCH_LARGE=1)
and one drift-monitor run over windows of 10k, 100k and 1M captured rows
(tools/bench_drift.py).

    make bench                              # writes bench-results/*.json, prints tables
    BENCH_STAGING=0 make bench              # skip the staging benchmark (a few minutes)
    BENCH_DRIFT=0 make bench                # skip the monitoring benchmark (a few minutes)
    python tools/bench.py --suite-only      # only the suite comparison
    python tools/bench.py --synth-only      # only synth against the floor, in paired rounds

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
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
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


def _synth_once(script: str, env_name: str | None) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        return _timed(
            [sys.executable, script],
            {"CDK_OUTDIR": outdir, "CDK_CONTEXT_JSON": _context(env_name)},
        )


def synth_rounds() -> list[dict[str, float]]:
    """Paired rounds: the floor, then each environment, so load falls on all alike."""
    return [
        {
            "floor": _synth_once("tools/floor_app.py", None),
            **{name: _synth_once("app.py", name) for name in ENVIRONMENTS},
        }
        for _ in range(REPEATS)
    ]


def suite_seconds() -> dict[str, list[float]]:
    """Wall time of the whole suite per mode, alternating modes round by round."""
    samples: dict[str, list[float]] = {mode: [] for mode in SUITE_MODES}
    for _ in range(SUITE_ROUNDS):
        for mode, options in SUITE_MODES.items():
            samples[mode].append(round(_timed([*PYTEST, *options], {}), 2))
    return samples


def main() -> None:
    suite_only = "--suite-only" in sys.argv[1:]
    synth_only = "--synth-only" in sys.argv[1:]
    results: dict[str, object] = {"cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    if not suite_only:
        rounds = synth_rounds()
        floor = statistics.median(r["floor"] for r in rounds)
        per_env = {name: statistics.median(r[name] for r in rounds) for name in ENVIRONMENTS}
        paired = {
            name: statistics.median(r[name] / r["floor"] for r in rounds) for name in ENVIRONMENTS
        }
        results |= {
            "repeats": REPEATS,
            "synth_rounds_s": [{k: round(v, 2) for k, v in r.items()} for r in rounds],
            "floor_one_bucket_app_s": round(floor, 2),
            "synth_s": {name: round(value, 2) for name, value in per_env.items()},
            "synth_all_environments_s": round(sum(per_env.values()), 2),
            "synth_to_floor_paired_ratio": {k: round(v, 2) for k, v in paired.items()},
        }
        print(f"floor (one-bucket app)        {floor:6.2f} s")
        for name, value in per_env.items():
            print(
                f"synth {name:<6}                  {value:6.2f} s  "
                f"({paired[name]:.2f}x floor, median of paired rounds)"
            )
        print(f"synth, all environments       {sum(per_env.values()):6.2f} s")
    if not synth_only:
        suite = suite_seconds()
        serial, parallel = (statistics.median(suite[mode]) for mode in ("serial", "parallel"))
        results |= {
            "test_suite_s": suite,
            "test_suite_parallel_to_serial": round(parallel / serial, 2),
        }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    if not synth_only:
        print(f"offline test suite, serial    {serial:6.2f} s  {suite['serial']}")
        print(f"offline test suite, parallel  {parallel:6.2f} s  {suite['parallel']}")
        print(f"parallel / serial             {parallel / serial:6.2f}")
    if synth_only:
        return
    if not suite_only and os.environ.get("BENCH_STAGING", "1") != "0":
        bench_staging.run()
    if not suite_only and os.environ.get("BENCH_DRIFT", "1") != "0":
        bench_drift.run()


if __name__ == "__main__":
    main()
