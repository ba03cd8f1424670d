"""Faults the staging tests inject."""

from __future__ import annotations

from dataset_staging import handler


def fail_profile_upload(monkeypatch, message: str) -> None:
    """Closing (uploading) the profile raises RuntimeError(message); other objects upload."""
    original = handler.store.CsvWriter.close

    def close(self):
        if self.key.endswith("profile.json"):
            raise RuntimeError(message)
        original(self)

    monkeypatch.setattr(handler.store.CsvWriter, "close", close)
