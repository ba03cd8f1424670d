"""Records kept in a temporary file between validation and the split (/tmp on Lambda).

Each record is stored with a 4-byte length, since a quoted value may hold newlines.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator

_LENGTH = struct.Struct("<I")
_READ_BYTES = 1024 * 1024


class Spool:
    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=_READ_BYTES)  # noqa: SIM115 - closed by __exit__
        self.bytes = 0
        self.records_added = 0

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()

    def add(self, record: str) -> None:
        data = record.encode()
        self._file.write(_LENGTH.pack(len(data)))
        self._file.write(data)
        self.bytes += len(data)
        self.records_added += 1

    def records(self) -> Iterator[bytes]:
        self._file.flush()
        self._file.seek(0)
        read = self._file.read
        unpack = _LENGTH.unpack
        while header := read(4):
            (length,) = unpack(header)
            yield read(length)
