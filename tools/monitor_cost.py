"""Print the README's Model Monitor cost table from config/environments.toml.

    python tools/monitor_cost.py [--price 0.23]

Processing jobs are billed per second of instance time, start-up included. The example
price is ml.m5.xlarge processing in us-east-1; check your region's price. The test in
tests/infra/test_model_monitor.py fails when the README's table no longer matches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import environment_names, load_settings  # noqa: E402

EXAMPLE_PRICE_PER_HOUR = 0.23  # ml.m5.xlarge processing, us-east-1
# A data-quality run or the baseline on the bank data: start-up plus a few minutes.
TYPICAL_JOB_MINUTES = 10


def _dollars(value: float) -> str:
    return f"${value:.2f}"


def table(price_per_hour: float = EXAMPLE_PRICE_PER_HOUR) -> str:
    lines = [
        "| environment | schedule | runs/day | instance | baseline, once per deploy "
        "| each run (typical / at most) | per day |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in environment_names():
        monitor = load_settings(name).monitor
        if not monitor.enabled:
            lines.append(f"| {name} | off | 0 | - | - | - | $0.00 |")
            continue
        hourly = price_per_hour * monitor.instance_count
        typical = hourly * TYPICAL_JOB_MINUTES / 60
        at_most = hourly * monitor.max_runtime_seconds / 3600
        lines.append(
            f"| {name} | `{monitor.schedule_expression}` | {monitor.runs_per_day} "
            f"| {monitor.instance_count} x {monitor.instance_type} | {_dollars(typical)} "
            f"| {_dollars(typical)} / {_dollars(at_most)} "
            f"| {_dollars(typical * monitor.runs_per_day)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--price", type=float, default=EXAMPLE_PRICE_PER_HOUR)
    print(table(parser.parse_args().price))


if __name__ == "__main__":
    main()
