"""One JSON log line per event, always carrying the resource it is about."""

from __future__ import annotations

import json
import logging
from typing import Any

_logger = logging.getLogger("autopilot_studio")
_logger.setLevel(logging.INFO)


def log(resource: str, message: str, **fields: Any) -> None:
    _logger.info(json.dumps({"resource": resource, "message": message, **fields}, default=str))
