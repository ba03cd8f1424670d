"""The one error type for data the user has to fix."""

from __future__ import annotations


class DatasetError(ValueError):
    """The source data cannot be staged; the message says what to change."""
