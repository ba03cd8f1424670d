"""Decode, check and normalise a CSV source into comma-separated records.

A comma-separated source keeps every record's original text. A semicolon-separated
source (the UCI original of the bank-marketing data) is re-written as plain CSV,
quoting only where needed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from dataset_staging.errors import DatasetError

COMMA = "comma"
SEMICOLON_CONVERTED = "semicolon-converted"

_MAX_LISTED = 40
_SNIFF_ROWS = 20


@dataclass(frozen=True)
class Table:
    """A validated CSV: comma-separated header and records, each ending in a newline."""

    header: str
    columns: tuple[str, ...]
    records: list[str]
    targets: list[str]
    source_format: str
    target_index: int

    @property
    def row_count(self) -> int:
        return len(self.records)


def list_names(names: list[str] | tuple[str, ...], limit: int = _MAX_LISTED) -> str:
    """Comma-joined names, shortened so error messages stay small."""
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names) - limit} more)"
    return shown


def decode(data: bytes, source: str) -> str:
    """UTF-8 text of the source, without a byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DatasetError(f"{source} is UTF-16 text; save it as UTF-8 CSV")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DatasetError(
            f"{source} looks like a binary file (NUL byte at byte offset {nul}); "
            "provide a UTF-8 CSV text file, or a .zip that contains one"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(
            f"{source} is not UTF-8 text: byte 0x{data[error.start]:02x} at byte offset "
            f"{error.start} is invalid; save the file with UTF-8 encoding"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DatasetError(f"{source} is empty; provide a CSV file with a header row and data")
    return text


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return [line]


def _consistent(lines: list[str], delimiter: str, width: int) -> bool:
    return all(len(_split(line, delimiter)) == width for line in lines)


def detect_delimiter(text: str) -> str:
    """',' or ';' from the header row; anything else is rejected with the reason."""
    chunk = text[:65536]
    lines = chunk.splitlines()
    if len(text) > len(chunk) and len(lines) > 1:
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
    """Iterates lines for csv.reader and keeps the ones the current record used."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _Tap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.taken)
        self.taken.clear()
        return text


def _lines(text: str) -> Iterator[str]:
    """Lines with their endings, split on '\\n' only (less memory than io.StringIO)."""
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


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
        message = f"target column '{target}' not found; columns are: {list_names(columns)}"
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


def parse(text: str, target: str) -> Table:
    """Parse and validate the whole file; records come back comma-separated."""
    delimiter = detect_delimiter(text)
    convert = delimiter != ","
    tap = _Tap(_lines(text))
    reader = csv.reader(tap, delimiter=delimiter, strict=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def as_comma(fields: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(fields)
        return buffer.getvalue()

    header = ""
    columns: list[str] = []
    target_index = -1
    newline = "\n"
    records: list[str] = []
    targets: list[str] = []
    delimiter_name = "semicolons" if convert else "commas"
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise DatasetError(
                f"malformed CSV in the record starting at line {start}: {error}; "
                "check for an unbalanced double quote"
            ) from None
        raw = tap.take()
        if not fields:
            continue
        if not columns:
            columns = fields
            target_index = check_header(columns, target)
            newline = _line_ending(raw)
            header = as_comma(fields) if convert else raw
            continue
        if len(fields) != len(columns):
            raise DatasetError(
                f"line {start} has {len(fields)} field{'s' if len(fields) != 1 else ''} but "
                f"the header has {len(columns)}; "
                f"every row needs one value per column, separated by {delimiter_name} "
                "(check for a missing value, a stray delimiter or an unquoted delimiter "
                "inside a value)"
            )
        if convert:
            records.append(as_comma(fields))
        else:
            records.append(raw if raw.endswith(("\n", "\r")) else raw + newline)
        targets.append(fields[target_index])
    if not header.endswith(("\n", "\r")):
        header += newline
    if not records:
        raise DatasetError("the file has a header row but no data rows")
    return Table(
        header=header,
        columns=tuple(columns),
        records=records,
        targets=targets,
        source_format=SEMICOLON_CONVERTED if convert else COMMA,
        target_index=target_index,
    )


def check_classes(table: Table, target: str) -> Counter[str]:
    """The target's class counts; at least two distinct values are required."""
    classes = Counter(table.targets)
    if len(classes) < 2:
        (only,) = classes
        raise DatasetError(
            f"target column '{target}' has a single class '{only}' in all {table.row_count} "
            "data rows; Autopilot needs at least 2 distinct target values"
        )
    return classes
