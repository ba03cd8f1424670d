"""Which hours a run reads, and the hourly key prefixes SageMaker writes them under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    """The ``hours`` whole hours before the hour of the run: [start, end)."""

    run_time: datetime
    start: datetime
    end: datetime

    @classmethod
    def before(cls, run_time: datetime, hours: int) -> Window:
        end = run_time.replace(minute=0, second=0, microsecond=0)
        return cls(run_time, end - hours * HOUR, end)

    def capture_hours(self) -> list[datetime]:
        return _hours(self.start, self.end)

    def ground_truth_hours(self) -> list[datetime]:
        """From the window's start up to and including the run's hour: labels come late."""
        return _hours(self.start, self.end + HOUR)

    def as_dict(self) -> dict[str, str]:
        return {"start": iso(self.start), "end": iso(self.end), "run_time": iso(self.run_time)}


def _hours(start: datetime, end: datetime) -> list[datetime]:
    hours = []
    moment = start
    while moment < end:
        hours.append(moment)
        moment += HOUR
    return hours


def hour_prefix(prefix: str, hour: datetime) -> str:
    """``<prefix>/yyyy/mm/dd/hh/``."""
    return f"{prefix.strip('/')}/{hour:%Y/%m/%d/%H}/"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(event: dict[str, Any]) -> datetime:
    """The scheduled event's ``time`` (EventBridge: ISO 8601, UTC); ValueError if absent."""
    text = str(event.get("time", ""))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"the event has no ISO 8601 'time' ({text!r}); invoke the function from its "
            'EventBridge schedule or with {"time": "2026-12-03T15:15:00Z"}'
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
