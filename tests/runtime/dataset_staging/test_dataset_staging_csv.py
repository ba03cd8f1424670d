"""CSV decoding, validation, delimiter handling and zip extraction (no AWS)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from dataset_staging import csv_validation, sources, streams, validation
from dataset_staging.errors import DatasetError
from tools.synthetic.bank import (
    BANK_COLUMNS,
    bank_rows,
    comma_csv,
    sample_zip,
    uci_semicolon_csv,
    zip_archive,
)

SRC = "s3://in/data.csv"


@pytest.fixture(params=[0, 7], ids=["one-chunk", "7-byte-chunks"], autouse=True)
def chunk_size(request, monkeypatch):
    """Every test runs twice: the file in one chunk, and cut into 7-byte chunks."""
    monkeypatch.setitem(CHUNKING, "size", request.param)


CHUNKING = {"size": 0}


def chunks(data: bytes) -> list[bytes]:
    size = CHUNKING["size"] or max(len(data), 1)
    return [data[start : start + size] for start in range(0, len(data), size)] or [b""]


@dataclass
class Table:
    header: str
    columns: tuple[str, ...]
    records: list[str]
    targets: list[str]
    source_format: str
    target_index: int

    @property
    def row_count(self) -> int:
        return len(self.records)


def parse_bytes(data: bytes, target: str = "y") -> Table:
    text = csv_validation.decode_stream(chunks(data), SRC)
    reader = csv_validation.CsvReader(text, SRC, target)
    pairs = list(reader)
    return Table(
        header=reader.header.text,
        columns=reader.header.columns,
        records=[record for record, _ in pairs],
        targets=[value for _, value in pairs],
        source_format=reader.header.source_format,
        target_index=reader.header.target_index,
    )


def rejected(data: bytes, target: str = "y") -> str:
    with pytest.raises(DatasetError) as raised:
        check_all(data, target)
    return str(raised.value)


def check_all(data: bytes, target: str) -> None:
    validation.validate(
        chunks(data), SRC, target=target, holdout_fraction=0.05, min_training_rows=1, seed=42
    )


def extract_csv(archive: bytes, member: str, uri: str) -> tuple[bytes, str]:
    with streams.csv_chunks(io.BytesIO(archive), member, uri) as (parts, label):
        return b"".join(parts), label


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_comma_file_passes_through_byte_for_byte(newline):
    data = comma_csv(bank_rows(50), newline=newline)
    table = parse_bytes(data)
    assert table.source_format == "comma"
    assert table.columns == BANK_COLUMNS
    assert (table.header + "".join(table.records)).encode() == data
    assert table.row_count == 50
    assert table.target_index == 20


def test_comma_file_keeps_quoted_values_and_embedded_newlines_verbatim():
    data = b'id,note,y\n1,"a, b",no\n2,"two\nlines",yes\n3,"say ""hi""",no'
    table = parse_bytes(data)
    assert table.records == ['1,"a, b",no\n', '2,"two\nlines",yes\n', '3,"say ""hi""",no\n']
    assert table.targets == ["no", "yes", "no"]


def test_uci_semicolon_file_is_converted_to_plain_csv():
    rows = [
        ["56", "housemaid", "married", "basic.4y", "no", "no", "no", "telephone", "may", "mon",
         "261", "1", "999", "0", "nonexistent", "1.1", "93.994", "-36.4", "4.857", "5191", "no"],
        ["57", "services", "married", "high.school", "unknown", "no", "no", "telephone", "may",
         "mon", "149", "1", "999", "0", "nonexistent", "1.1", "93.994", "-36.4", "4.857", "5191",
         "yes"],
        ["40", "admin.", "married", "basic.6y", "no", "no", "no", "telephone", "may", "mon",
         "151", "1", "999", "0", "nonexistent", "1.1", "93.994", "-36.4", "4.857", "5191", "no"],
    ]  # fmt: skip
    data = uci_semicolon_csv(rows, newline="\r\n")
    assert data.splitlines()[1] == (
        b'56;"housemaid";"married";"basic.4y";"no";"no";"no";"telephone";"may";"mon";'
        b'261;1;999;0;"nonexistent";1.1;93.994;-36.4;4.857;5191;"no"'
    )
    table = parse_bytes(data)
    assert table.source_format == "semicolon-converted"
    assert table.header == (
        "age,job,marital,education,default,housing,loan,contact,month,day_of_week,duration,"
        "campaign,pdays,previous,poutcome,emp.var.rate,cons.price.idx,cons.conf.idx,euribor3m,"
        "nr.employed,y\n"
    )
    assert table.records == [
        "56,housemaid,married,basic.4y,no,no,no,telephone,may,mon,261,1,999,0,nonexistent,"
        "1.1,93.994,-36.4,4.857,5191,no\n",
        "57,services,married,high.school,unknown,no,no,telephone,may,mon,149,1,999,0,"
        "nonexistent,1.1,93.994,-36.4,4.857,5191,yes\n",
        "40,admin.,married,basic.6y,no,no,no,telephone,may,mon,151,1,999,0,nonexistent,"
        "1.1,93.994,-36.4,4.857,5191,no\n",
    ]
    assert table.targets == ["no", "yes", "no"]


def test_semicolon_conversion_quotes_only_where_needed():
    data = b'"city";"note";"y"\n"Lisbon";"a,b";"no"\n"Porto";"say ""hi""";"yes"\n'
    table = parse_bytes(data)
    assert table.header == "city,note,y\n"
    assert table.records == ['Lisbon,"a,b",no\n', 'Porto,"say ""hi""",yes\n']


def test_bom_blank_lines_and_missing_final_newline():
    data = b"\xef\xbb\xbfa,y\r\n1,no\r\n\r\n2,yes"
    table = parse_bytes(data)
    assert table.columns == ("a", "y")
    assert table.records == ["1,no\r\n", "2,yes\r\n"]


def test_empty_file_is_rejected():
    assert rejected(b"") == f"{SRC} is empty; provide a CSV file with a header row and data"
    assert rejected(b" \n\n") == f"{SRC} is empty; provide a CSV file with a header row and data"


def test_invalid_utf8_names_the_byte_offset():
    data = b"age,job,y\n30,t\xe9cnico,no\n"
    assert rejected(data) == (
        f"{SRC} is not UTF-8 text: byte 0xe9 at byte offset 14 (line 2) is invalid; "
        "save the file with UTF-8 encoding"
    )


def test_binary_file_is_rejected():
    assert rejected(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == (
        f"{SRC} looks like a binary file (NUL byte at byte offset 8); "
        "provide a UTF-8 CSV text file, or a .zip that contains one"
    )


def test_utf16_file_is_rejected():
    data = "a,y\n1,no\n".encode("utf-16")
    assert rejected(data) == f"{SRC} is UTF-16 text; save it as UTF-8 CSV"


def test_empty_column_name_is_rejected():
    assert rejected(b"age,,y\n1,2,no\n") == (
        "header column 2 has no name; the first row must name every column"
    )


def test_duplicate_column_name_is_rejected():
    assert rejected(b"age,job,age,y\n1,a,2,no\n") == (
        "duplicate column name 'age' in the header (columns 1 and 3); column names must be unique"
    )


def test_missing_target_lists_columns_and_suggests_case_insensitive_match():
    data = comma_csv(bank_rows(5))
    assert rejected(data, target="Y") == (
        "target column 'Y' (dataset.target_attribute) not found; columns are: age, job, "
        "marital, education, default, housing, loan, contact, month, day_of_week, duration, "
        "campaign, pdays, previous, "
        "poutcome, emp.var.rate, cons.price.idx, cons.conf.idx, euribor3m, nr.employed, y; "
        "did you mean 'y'? (names are case-sensitive)"
    )


def test_missing_target_without_near_match():
    assert rejected(b"a,b\n1,2\n", target="label") == (
        "target column 'label' (dataset.target_attribute) not found; columns are: a, b"
    )


def test_missing_header_row_is_pointed_out():
    rows = bank_rows(5)
    data = comma_csv(rows[1:], header=rows[0])
    assert rejected(data).endswith(
        "; the first row looks like data: add a header row of column names"
    )


def test_long_column_lists_are_shortened():
    header = [f"c{i}" for i in range(60)] + ["y"]
    message = rejected((",".join(header) + "\n").encode(), target="target")
    assert message.endswith("c38, c39, ... (21 more)")


def test_ragged_row_names_line_and_counts():
    data = comma_csv(bank_rows(6))
    lines = data.split(b"\n")
    lines[4] = lines[4] + b",extra"
    assert rejected(b"\n".join(lines)) == (
        "line 5 has 22 fields but the header has 21; every row needs one value per column, "
        "separated by commas (check for a missing value, a stray delimiter or an unquoted "
        "delimiter inside a value)"
    )


def test_line_numbers_count_embedded_newlines_and_blank_lines():
    data = b'id,note,y\n1,"two\nlines",no\n\n2,short\n'
    assert rejected(data).startswith("line 5 has 2 fields but the header has 3;")


def test_inconsistent_delimiters_are_rejected():
    data = b"age,job,y\n30,admin.,no\n31;services;yes\n"
    assert rejected(data).startswith("line 3 has 1 field but the header has 3;")


def test_mixed_delimiter_header_that_fits_no_rows_is_rejected():
    data = b"a;b,c;d\n1,2,3,4\n5;6;7;8\n"
    assert rejected(data) == (
        "cannot tell the delimiter: the header splits into 2 fields on commas and 3 on "
        "semicolons, and the first rows match neither; separate columns with commas and "
        "quote values that contain a comma"
    )


def test_tab_separated_file_is_rejected():
    assert rejected(b"age\tjob\ty\n30\tadmin.\tno\n") == (
        "the file is tab-separated; save it as comma-separated CSV "
        "(a header row of column names separated by commas)"
    )


def test_single_column_file_is_rejected():
    assert rejected(b"y\nno\nyes\n") == (
        "the header row has a single column ('y'); a CSV needs the target column and at "
        "least one feature column, separated by commas"
    )


def test_unbalanced_quote_is_rejected():
    data = b'a,y\n1,no\n"2,yes\n3,no\n'
    assert rejected(data) == (
        "malformed CSV in the record starting at line 3: unexpected end of data; "
        "check for an unbalanced double quote"
    )


def test_header_without_rows_is_rejected():
    assert rejected(b"a,y\n") == "the file has a header row but no data rows"


def test_single_target_class_is_rejected():
    data = comma_csv(bank_rows(30, yes_rate=0))
    assert rejected(data) == (
        "target column 'y' (dataset.target_attribute) has a single class 'no' in all 30 data rows; "
        "Autopilot needs at least 2 distinct target values"
    )


# Zip archives


def test_zip_member_is_extracted():
    data = comma_csv(bank_rows(40))
    archive = sample_zip(data)
    member = "bank-additional/bank-additional-full.csv"
    extracted, label = extract_csv(archive, member, "https://x/b.zip")
    assert extracted == data
    assert label == f"https://x/b.zip member '{member}'"


def test_zip_with_one_csv_needs_no_member():
    data = comma_csv(bank_rows(5))
    archive = zip_archive({"readme.txt": b"hi", "folder/data.csv": data})
    assert extract_csv(archive, "", "s3://b/k.zip")[0] == data


def test_zip_with_several_csvs_and_no_member_lists_members():
    archive = sample_zip(comma_csv(bank_rows(40)))
    with pytest.raises(DatasetError) as raised:
        extract_csv(archive, "", "s3://b/k.zip")
    assert str(raised.value) == (
        "s3://b/k.zip is a zip with 2 .csv members; set dataset.archive_member to the one to "
        "use; "
        "members are: bank-additional/.DS_Store, __MACOSX/bank-additional/._.DS_Store, "
        "bank-additional/bank-additional-full.csv, bank-additional/bank-additional-names.txt, "
        "bank-additional/bank-additional.csv"
    )


def test_zip_member_not_found_lists_members():
    archive = zip_archive({"a.csv": b"x,y\n", "b.txt": b""})
    with pytest.raises(DatasetError) as raised:
        extract_csv(archive, "bank.csv", "s3://b/k.zip")
    assert str(raised.value) == (
        "dataset.archive_member 'bank.csv' not found in s3://b/k.zip; members are: a.csv, b.txt"
    )


def test_excel_workbook_is_explained():
    archive = zip_archive({"[Content_Types].xml": b"", "xl/workbook.xml": b""})
    with pytest.raises(DatasetError, match="is an Excel workbook; export the sheet as CSV"):
        extract_csv(archive, "", "s3://b/book.xlsx")


def test_archive_member_on_plain_csv_is_rejected():
    with pytest.raises(DatasetError) as raised:
        extract_csv(b"a,y\n1,no\n", "data.csv", "s3://b/k.csv")
    assert str(raised.value) == (
        "dataset.archive_member 'data.csv' is set but s3://b/k.csv is not a zip archive; "
        "leave dataset.archive_member empty for a plain CSV"
    )


def test_plain_csv_is_returned_as_is():
    assert extract_csv(b"a,y\n", "", "s3://b/k.csv") == (b"a,y\n", "s3://b/k.csv")


def test_gzip_and_corrupt_zip_are_rejected():
    with pytest.raises(DatasetError, match=r"is gzip-compressed; provide a plain \.csv or a \.zip"):
        extract_csv(b"\x1f\x8b\x08\x00", "", "s3://b/k.gz")
    with pytest.raises(DatasetError, match=r"^cannot read the zip archive s3://b/k\.zip: "):
        extract_csv(b"PK\x03\x04garbage", "", "s3://b/k.zip")


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "http://example.com/a.csv",
            "dataset.uri 'http://example.com/a.csv' is not supported; use an https:// URL or "
            "an s3://bucket/key URI",
        ),
        ("s3://bucket", "dataset.uri 's3://bucket' must name one object: s3://bucket/key.csv"),
        (
            "s3://bucket/dir/",
            "dataset.uri 's3://bucket/dir/' must name one object: s3://bucket/key.csv",
        ),
    ],
)
def test_unsupported_source_uris(uri, message):
    with pytest.raises(DatasetError) as raised:
        sources.parse_source(uri)
    assert str(raised.value) == message


def test_source_uri_parsing():
    assert sources.parse_source("s3://b/dir/my file.csv") == sources.Source(
        uri="s3://b/dir/my file.csv", bucket="b", key="dir/my file.csv"
    )
    assert not sources.parse_source("https://example.com/a.zip").is_s3


def test_classic_mac_line_endings_are_read():
    table = parse_bytes(b"a,y\r1,no\r2,yes\r")
    assert table.columns == ("a", "y")
    assert table.records == ["1,no\n", "2,yes\n"]


# Size limits and damaged archives, found while streaming


def test_csv_above_the_limit_is_refused_while_streaming(monkeypatch):
    monkeypatch.setattr(streams, "MAX_CSV_BYTES", 100)
    with pytest.raises(DatasetError) as raised:
        extract_csv(comma_csv(bank_rows(5)), "", "https://x/big.csv")
    assert str(raised.value).startswith(
        "https://x/big.csv is more than 100 bytes; the staging function splits CSV files of at "
        "most 100 bytes"
    )
    assert str(raised.value).endswith(
        "set dataset.source = 'pre-split' with dataset.train_uri and dataset.holdout_uri"
    )


def test_zip_above_the_archive_limit_is_refused(monkeypatch):
    monkeypatch.setattr(streams, "MAX_ARCHIVE_BYTES", 100)
    archive = zip_archive({"data.csv": comma_csv(bank_rows(50))})
    with pytest.raises(
        DatasetError,
        match=r"^s3://b/k\.zip is more than 100 bytes; the staging "
        r"function splits zip archives of at most 100 bytes",
    ):
        extract_csv(archive, "", "s3://b/k.zip")


def test_zip_member_above_the_csv_limit_is_refused_before_reading(monkeypatch):
    data = comma_csv(bank_rows(50))
    monkeypatch.setattr(streams, "MAX_CSV_BYTES", len(data) - 1)
    archive = zip_archive({"data.csv": data})
    with pytest.raises(DatasetError, match=rf"^s3://b/k\.zip member 'data\.csv' is {len(data)} "):
        extract_csv(archive, "", "s3://b/k.zip")


def test_damaged_zip_member_is_reported_while_streaming():
    data = comma_csv(bank_rows(200))
    archive = bytearray(zip_archive({"data.csv": data}))
    archive[60:70] = b"\x00" * 10  # inside the deflated member
    with pytest.raises(DatasetError, match=r"^cannot read the zip archive s3://b/k\.zip: "):
        extract_csv(bytes(archive), "", "s3://b/k.zip")


def test_invalid_utf8_deep_in_the_file_names_offset_and_line():
    head = comma_csv(bank_rows(300))
    data = head + "40,técnico,no\n".encode() + b"41,t\xe9cnico,yes\n"
    assert rejected(data.replace(b"age,job", b"a,job", 1)) == (
        f"{SRC} is not UTF-8 text: byte 0xe9 at byte offset {len(head) - 2 + 19} (line 303) "
        "is invalid; save the file with UTF-8 encoding"
    )


def test_multibyte_characters_split_across_chunks_are_kept():
    data = "a,note,y\n1,Bücher Ωmega 東京,no\n2,x,yes\n".encode()
    table = parse_bytes(data)
    assert table.records[0] == "1,Bücher Ωmega 東京,no\n"
