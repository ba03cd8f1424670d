"""Bounded retries with a short, growing pause, behind a seam tests can skip."""

from __future__ import annotations

import time

# Another stack's release of a role takes a few IAM calls (about a second); six tries wait
# up to 7.75 s in all, well inside the handlers' two-minute timeout.
ATTEMPTS = 6
FIRST_PAUSE_SECONDS = 0.25
MAX_PAUSE_SECONDS = 4.0


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def pause(attempt: int) -> None:
    """Wait before try ``attempt + 1``: 0.25 s, then twice as long each time, at most 4 s."""
    sleep(min(FIRST_PAUSE_SECONDS * 2**attempt, MAX_PAUSE_SECONDS))
