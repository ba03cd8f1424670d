"""Wall-clock seconds, behind a seam tests can move without sleeping."""

from __future__ import annotations

import time


def now() -> float:
    return time.time()


def sleep(seconds: float) -> None:
    time.sleep(seconds)
