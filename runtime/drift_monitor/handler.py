"""Lambda entry point, invoked by an EventBridge scheduled rule.

The event's ``time`` ("2026-12-03T15:15:00Z") sets the window: the WINDOW_HOURS whole
hours before its hour. The schedule runs some minutes past the hour because SageMaker
writes capture files a few minutes after their hour ends.
"""

from __future__ import annotations

import os
from typing import Any

from drift_monitor import run, window
from drift_monitor.settings import Settings


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = Settings.from_environment(os.environ)
    return run.run(settings, window.event_time(event))
