"""The source's bytes as a stream of CSV chunks: size limits, zip members.

No AWS calls here: synth uses this module to check a local file without boto3.
A zip archive is spooled to a temporary file (zip's directory is at its end) and its
member is streamed out of it; a plain CSV streams straight through.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO

from .csv_validation import CHUNK_BYTES, list_names
from .errors import DatasetError

# The largest CSV the function splits within its 14-minute timeout: 1 GB staged at
# 13.6-20.8 MB/s (tools/bench_staging.py, three runs), so 5 GiB takes 4.3-6.6 minutes,
# at most half the timeout; the rest is margin for a slower Lambda vCPU.
MAX_CSV_BYTES = 5 * 1024**3
# A zip archive is spooled to /tmp beside the CSV spool; together they fit the
# function's ephemeral storage (components/dataset.py).
MAX_ARCHIVE_BYTES = 2 * 1024**3


def _size_gib(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB"


def too_large(uri: str, size: int | None = None, limit: int = MAX_CSV_BYTES) -> DatasetError:
    """The limit, and what to do above it."""
    actual = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    what = "zip archives of" if limit == MAX_ARCHIVE_BYTES else "CSV files of"
    return DatasetError(
        f"{uri} is {actual}; the staging function splits {what} at most {limit} bytes "
        f"({_size_gib(limit)}) within its 14-minute timeout: split the data into "
        "train and holdout files yourself, upload both to S3 and set dataset.source = "
        "'pre-split' with dataset.train_uri and dataset.holdout_uri"
    )


def _chunks(stream: IO[bytes], uri: str, limit: int) -> Iterator[bytes]:
    """The stream's bytes in chunks, refusing more than ``limit`` in total."""
    total = 0
    while True:
        try:
            chunk = stream.read(CHUNK_BYTES)
        except OSError as error:
            raise DatasetError(f"reading {uri} failed: {error}; deploy again") from None
        if not chunk:
            return
        total += len(chunk)
        if total > limit:
            raise too_large(uri, limit=limit)
        yield chunk


def is_zip(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


@contextlib.contextmanager
def csv_chunks(stream: BinaryIO, member: str, uri: str) -> Iterator[tuple[Iterator[bytes], str]]:
    """The CSV's bytes in chunks, and a label naming them for messages."""
    chunks = _chunks(stream, uri, MAX_CSV_BYTES)
    first = next(chunks, b"")
    if first.startswith(b"\x1f\x8b"):
        raise DatasetError(f"{uri} is gzip-compressed; provide a plain .csv or a .zip")
    if not is_zip(first):
        if member:
            raise DatasetError(
                f"dataset.archive_member '{member}' is set but {uri} is not a zip archive; "
                "leave dataset.archive_member empty for a plain CSV"
            )

        def whole() -> Iterator[bytes]:
            yield first
            yield from chunks

        yield whole(), uri
        return
    with tempfile.TemporaryFile() as spool:
        written = 0
        for chunk in itertools.chain([first], chunks):
            written += len(chunk)
            if written > MAX_ARCHIVE_BYTES:
                raise too_large(uri, limit=MAX_ARCHIVE_BYTES)
            spool.write(chunk)
        spool.seek(0)
        with _member(spool, member, uri) as result:
            yield result


@contextlib.contextmanager
def open_local_csv(path: str, member: str = "") -> Iterator[tuple[Iterator[bytes], str]]:
    """A local file's CSV bytes in chunks (a zip is read in place, not copied)."""
    with open(path, "rb") as file:
        if is_zip(file.read(4)):
            file.seek(0)
            with _member(file, member, path) as result:
                yield result
            return
        file.seek(0)
        with csv_chunks(file, member, path) as result:
            yield result


@contextlib.contextmanager
def _member(file: BinaryIO, member: str, uri: str) -> Iterator[tuple[Iterator[bytes], str]]:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, RuntimeError, EOFError) as error:
        raise DatasetError(f"cannot read the zip archive {uri}: {error}") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        names = [info.filename for info in infos]
        info = _choose_member(infos, names, member, uri)
        if info.flag_bits & 0x1:
            raise DatasetError(f"{uri}: member '{info.filename}' is password-protected")
        label = f"{uri} member '{info.filename}'"
        if info.file_size > MAX_CSV_BYTES:
            raise too_large(label, info.file_size)
        try:
            opened = archive.open(info)
        # RuntimeError covers zipfile's unsupported compression methods (a subclass of it).
        except (zipfile.BadZipFile, RuntimeError, EOFError) as error:
            raise DatasetError(f"cannot read the zip archive {uri}: {error}") from None
        with opened:
            yield _unzipped(opened, uri, label), label


def _unzipped(opened: IO[bytes], uri: str, label: str) -> Iterator[bytes]:
    try:
        yield from _chunks(opened, label, MAX_CSV_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DatasetError(f"cannot read the zip archive {uri}: {error}") from None


def _choose_member(
    infos: list[zipfile.ZipInfo], names: list[str], member: str, uri: str
) -> zipfile.ZipInfo:
    if member:
        for info in infos:
            if info.filename == member:
                return info
        raise DatasetError(
            f"dataset.archive_member '{member}' not found in {uri}; members are: "
            f"{list_names(names)}"
        )
    csvs = [
        info
        for info in infos
        if info.filename.lower().endswith(".csv") and not info.filename.startswith("__MACOSX/")
    ]
    if len(csvs) == 1:
        return csvs[0]
    if "xl/workbook.xml" in names:
        raise DatasetError(f"{uri} is an Excel workbook; export the sheet as CSV (UTF-8)")
    raise DatasetError(
        f"{uri} is a zip with {len(csvs)} .csv members; set dataset.archive_member to the one "
        f"to use; members are: {list_names(names)}"
    )
