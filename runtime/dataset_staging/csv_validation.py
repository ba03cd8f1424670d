"""Decode, check and normalise a CSV stream into comma-separated records.

Everything here works on a stream of chunks and holds one record at a time, so memory
does not grow with the file. A comma-separated source keeps every record's original
text. A semicolon-separated source (the UCI original of the bank-marketing data) is
re-written as plain CSV, quoting only where needed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .errors import DatasetError

COMMA = "comma"
SEMICOLON_CONVERTED = "semicolon-converted"
CHUNK_BYTES = 1024 * 1024

_MAX_LISTED = 40
_SNIFF_ROWS = 20
_SNIFF_CHARS = 65536
# csv's own field limit is 128 KiB; a "line" far beyond it is a missing newline or quote.
MAX_LINE_CHARS = 8 * 1024 * 1024


def list_names(names: list[str] | tuple[str, ...], limit: int = _MAX_LISTED) -> str:
    """Comma-joined names, shortened so error messages stay small."""
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names) - limit} more)"
    return shown


def decode_stream(chunks: Iterable[bytes], source: str) -> Iterator[str]:
    """UTF-8 text of the source, chunk by chunk, without a byte-order mark."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    newlines = 0  # in the chunks before this one (held-back bytes are never b"\n")
    first = True
    for chunk in _first_block(chunks):
        if not chunk:
            continue
        if first and chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise DatasetError(f"{source} is UTF-16 text; save it as UTF-8 CSV")
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise DatasetError(
                f"{source} looks like a binary file (NUL byte at byte offset {offset + nul}); "
                "provide a UTF-8 CSV text file, or a .zip that contains one"
            )
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = newlines + (pending + chunk)[: error.start].count(b"\n") + 1
            raise _not_utf8(source, error, offset - len(pending), line) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        offset += len(chunk)
        newlines += chunk.count(b"\n")
        if text:
            yield text
    pending = decoder.getstate()[0]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise _not_utf8(source, error, offset - len(pending), newlines + 1) from None


def _first_block(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, the first ones joined into 64 KiB, so a binary file's NUL byte is
    found before its first invalid UTF-8 byte, as when the file is read whole."""
    chunks = iter(chunks)
    start: list[bytes] = []
    size = 0
    for chunk in chunks:
        start.append(chunk)
        size += len(chunk)
        if size >= _SNIFF_CHARS:
            break
    yield b"".join(start)
    yield from chunks


def _not_utf8(source: str, error: UnicodeDecodeError, base: int, line: int) -> DatasetError:
    return DatasetError(
        f"{source} is not UTF-8 text: byte 0x{error.object[error.start]:02x} at byte offset "
        f"{base + error.start} (line {line}) is invalid; save the file with UTF-8 encoding"
    )


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return [line]


def _consistent(lines: list[str], delimiter: str, width: int) -> bool:
    return all(len(_split(line, delimiter)) == width for line in lines)


def detect_delimiter(text: str, more: bool = False) -> str:
    """',' or ';' from the header row; anything else is rejected with the reason.

    ``text`` is the start of the file; ``more`` says whether the file goes on after it.
    """
    chunk = text[:_SNIFF_CHARS]
    lines = chunk.splitlines()
    if (more or len(text) > len(chunk)) and len(lines) > 1:
        lines.pop()
    lines = [line for line in lines if line.strip()][: _SNIFF_ROWS + 1]
    header = lines[0]
    commas = len(_split(header, ","))
    semicolons = len(_split(header, ";"))
    if commas > 1 and semicolons == 1:
        return ","
    if semicolons > 1 and commas == 1:
        return ";"
    if commas > 1 and semicolons > 1:
        if _consistent(lines, ",", commas):
            return ","
        if _consistent(lines, ";", semicolons):
            return ";"
        raise DatasetError(
            f"cannot tell the delimiter: the header splits into {commas} fields on commas "
            f"and {semicolons} on semicolons, and the first rows match neither; separate "
            "columns with commas and quote values that contain a comma"
        )
    if "\t" in header:
        raise DatasetError(
            "the file is tab-separated; save it as comma-separated CSV "
            "(a header row of column names separated by commas)"
        )
    raise DatasetError(
        f"the header row has a single column ({header[:60]!r}); a CSV needs the target "
        "column and at least one feature column, separated by commas"
    )


class _Tap:
    """Feeds one record's lines to csv.reader and keeps them: the line already read,
    then as many more as a quoted value with line breaks needs."""

    def __init__(self, first: str, lines: Iterator[str]) -> None:
        self._first: str | None = first
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _Tap:
        return self

    def __next__(self) -> str:
        if self._first is not None:
            line, self._first = self._first, None
        else:
            line = next(self._lines)
        self.taken.append(line)
        return line


# Lines the fast path may split with str.split: no quotes, no stray carriage return,
# and short enough that csv's field size limit cannot apply.
_FAST_MAX_CHARS = csv.field_size_limit()


def _lines(chunks: Iterable[str], classic_mac: bool) -> Iterator[str]:
    """Lines with their endings, split on '\\n' only (classic Mac files: on '\\r')."""
    pending = ""
    number = 0
    for chunk in chunks:
        if classic_mac:
            chunk = chunk.replace("\r", "\n")
        text = pending + chunk if pending else chunk
        start = 0
        while True:
            end = text.find("\n", start) + 1
            if not end:
                break
            number += 1
            yield text[start:end]
            start = end
        pending = text[start:]
        if len(pending) > MAX_LINE_CHARS:
            raise DatasetError(
                f"line {number + 1} is longer than {MAX_LINE_CHARS // (1024 * 1024)} MiB "
                "without a line break; check the file's line endings and quotes"
            )
    if pending:
        yield pending


def _line_ending(raw: str) -> str:
    if raw.endswith("\r\n"):
        return "\r\n"
    if raw.endswith(("\n", "\r")):
        return raw[-1]
    return "\n"


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def check_header(columns: list[str], target: str) -> int:
    """Index of the target column, after checking every column has a unique name."""
    if target not in columns:
        message = (
            f"target column '{target}' (dataset.target_attribute) not found; "
            f"columns are: {list_names(columns)}"
        )
        folded = [name for name in columns if name.strip().casefold() == target.strip().casefold()]
        if folded:
            message += f"; did you mean '{folded[0]}'? (names are case-sensitive)"
        elif any(_is_number(name) for name in columns):
            message += "; the first row looks like data: add a header row of column names"
        raise DatasetError(message)
    for position, name in enumerate(columns, start=1):
        if not name.strip():
            raise DatasetError(
                f"header column {position} has no name; the first row must name every column"
            )
    seen: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if name in seen:
            raise DatasetError(
                f"duplicate column name '{name}' in the header (columns {seen[name]} and "
                f"{position}); column names must be unique"
            )
        seen[name] = position
    return seen[target] - 1


def _peek(text: Iterator[str], source: str) -> tuple[str, bool]:
    """The first 64 KiB of text (more if it is blank) and whether the file goes on."""
    start: list[str] = []
    size = 0
    for chunk in text:
        start.append(chunk)
        size += len(chunk)
        if size > _SNIFF_CHARS and "".join(start).strip():
            return "".join(start), True
        if size > MAX_LINE_CHARS:
            break
    joined = "".join(start)
    if not joined.strip():
        raise DatasetError(f"{source} is empty; provide a CSV file with a header row and data")
    return joined, False


@dataclass(frozen=True)
class Header:
    """The validated header row, comma-separated and ending in a newline."""

    text: str
    columns: tuple[str, ...]
    target_index: int
    source_format: str


class CsvReader:
    """Validated records of a CSV text stream, one at a time.

    Reading the header happens on construction; iterating yields each data record
    (comma-separated, ending in a newline) with its target value.
    """

    def __init__(self, text: Iterable[str], source: str, target: str) -> None:
        chunks = iter(text)
        start, more = _peek(chunks, source)
        self.delimiter = detect_delimiter(start, more)
        self._convert = self.delimiter != ","
        classic_mac = "\n" not in start and "\r" in start

        def rest() -> Iterator[str]:
            yield start
            yield from chunks

        self._lines = _lines(rest(), classic_mac)
        self._line_number = 0
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self.rows = 0
        self.header = self._read_header(target)

    def _as_comma(self, fields: list[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(fields)
        return self._buffer.getvalue()

    def _next(self) -> tuple[int, list[str], str] | None:
        """The next non-blank record: its first line number, fields and raw text.

        Most lines hold a whole record without quotes and are split directly; a line
        with a quote goes through csv.reader, which reads on over quoted line breaks.
        """
        delimiter = self.delimiter
        for line in self._lines:
            self._line_number += 1
            start = self._line_number
            body = line[:-1] if line.endswith("\n") else line
            if body.endswith("\r"):
                body = body[:-1]
            if '"' not in body and "\r" not in body and len(body) < _FAST_MAX_CHARS:
                if body:
                    return start, body.split(delimiter), line
                continue
            tap = _Tap(line, self._lines)
            reader = csv.reader(tap, delimiter=delimiter, strict=True)
            try:
                fields = next(reader, [])
            except csv.Error as error:
                raise DatasetError(
                    f"malformed CSV in the record starting at line {start}: {error}; "
                    "check for an unbalanced double quote"
                ) from None
            self._line_number += reader.line_num - 1
            if fields:
                return start, fields, "".join(tap.taken)
        return None

    def _read_header(self, target: str) -> Header:
        first = self._next()
        if first is None:  # pragma: no cover - _peek found a non-blank line
            raise DatasetError("the file has no header row")
        _, fields, raw = first
        target_index = check_header(fields, target)
        self._newline = _line_ending(raw)
        text = self._as_comma(fields) if self._convert else raw
        if not text.endswith(("\n", "\r")):
            text += self._newline
        return Header(
            text=text,
            columns=tuple(fields),
            target_index=target_index,
            source_format=SEMICOLON_CONVERTED if self._convert else COMMA,
        )

    def __iter__(self) -> Iterator[tuple[str, str]]:
        width = len(self.header.columns)
        target_index = self.header.target_index
        delimiter_name = "semicolons" if self._convert else "commas"
        while (item := self._next()) is not None:
            start, fields, raw = item
            if len(fields) != width:
                raise DatasetError(
                    f"line {start} has {len(fields)} field{'s' if len(fields) != 1 else ''} "
                    f"but the header has {width}; "
                    f"every row needs one value per column, separated by {delimiter_name} "
                    "(check for a missing value, a stray delimiter or an unquoted delimiter "
                    "inside a value)"
                )
            self.rows += 1
            if self._convert:
                record = self._as_comma(fields)
            else:
                record = raw if raw.endswith(("\n", "\r")) else raw + self._newline
            yield record, fields[target_index]
        if not self.rows:
            raise DatasetError("the file has a header row but no data rows")
