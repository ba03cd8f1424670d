"""What an environment costs per day while it sits idle: its endpoint instances, from config.

    python tools/idle_cost.py [ENV ...]      # every environment in config/environments.toml

Real-time endpoints bill per instance-second while InService, used or not; Studio costs
nothing until a user starts an app, and S3, Lambda and Step Functions cost cents.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from config import ConfigError, environment_names, load_settings  # noqa: E402

PRICE_REGION = "us-east-1"
# On-demand SageMaker real-time inference, USD per instance-hour in us-east-1, for the
# default instance type only (AWS "Amazon SageMaker pricing", Real-Time Inference).
HOURLY_USD = {"ml.m5.large": 0.115}


def idle_cost_line(name: str) -> str:
    settings = load_settings(name)
    instance, count = settings.endpoint.instance_type, settings.endpoint.initial_instance_count
    where = settings.region or "your region"
    fleet = f"{count} x {instance}"
    price = HOURLY_USD.get(instance)
    if price is None:
        return (
            f"{name:<6} {fleet:<20} price not in this table: instance-hours x 24 at the "
            f"SageMaker real-time inference price in {where}"
        )
    daily = price * count * 24
    return (
        f"{name:<6} {fleet:<20} ${daily:,.2f}/day, ${daily * 30:,.0f}/month "
        f"(${price}/h each in {PRICE_REGION}; check your region's price)"
    )


def main(argv: list[str]) -> int:
    names = argv or list(environment_names())
    try:
        lines = [idle_cost_line(name) for name in names]
    except ConfigError as error:
        for problem in error.problems:
            print(f"Configuration error: {problem}", file=sys.stderr)
        return 1
    print("Idle cost of a deployed environment (the endpoint; `make destroy ENV=...` stops it):")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
