"""Synthetic bank-marketing CSV files shaped like the real sample (no real data)."""

from __future__ import annotations

import io
import random
import zipfile

BANK_COLUMNS = (
    "age",
    "job",
    "marital",
    "education",
    "default",
    "housing",
    "loan",
    "contact",
    "month",
    "day_of_week",
    "duration",
    "campaign",
    "pdays",
    "previous",
    "poutcome",
    "emp.var.rate",
    "cons.price.idx",
    "cons.conf.idx",
    "euribor3m",
    "nr.employed",
    "y",
)
_CHOICES = {
    "job": (
        "admin.",
        "blue-collar",
        "entrepreneur",
        "housemaid",
        "management",
        "retired",
        "self-employed",
        "services",
        "student",
        "technician",
        "unemployed",
        "unknown",
    ),
    "marital": ("divorced", "married", "single", "unknown"),
    "education": (
        "basic.4y",
        "basic.6y",
        "basic.9y",
        "high.school",
        "illiterate",
        "professional.course",
        "university.degree",
        "unknown",
    ),
    "default": ("no", "unknown", "yes"),
    "housing": ("no", "unknown", "yes"),
    "loan": ("no", "unknown", "yes"),
    "contact": ("cellular", "telephone"),
    "month": ("mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "day_of_week": ("mon", "tue", "wed", "thu", "fri"),
    "poutcome": ("failure", "nonexistent", "success"),
}
# Every text column draws from a choice list, except the target.
TEXT_COLUMNS = frozenset({*_CHOICES, "y"})
# (emp.var.rate, cons.price.idx, cons.conf.idx, euribor3m, nr.employed) per period.
_ECONOMY = (
    ("1.1", "93.994", "-36.4", "4.857", "5191.0"),
    ("1.4", "93.918", "-42.7", "4.962", "5228.1"),
    ("-1.8", "92.893", "-46.2", "1.299", "5099.1"),
    ("-0.1", "93.200", "-42.0", "4.191", "5195.8"),
    ("-2.9", "92.963", "-40.8", "1.262", "5076.2"),
    ("-3.4", "92.649", "-30.1", "0.714", "5017.5"),
)


def bank_rows(count: int, *, seed: int = 7, yes_rate: float = 0.11) -> list[list[str]]:
    """Rows of string values; exactly round(count * yes_rate) rows have y = yes."""
    rng = random.Random(seed)
    yes = set(rng.sample(range(count), round(count * yes_rate)))
    rows = []
    for index in range(count):
        economy = rng.choice(_ECONOMY)
        rows.append(
            [
                str(rng.randint(17, 98)),
                *(rng.choice(_CHOICES[name]) for name in BANK_COLUMNS[1:10]),
                str(rng.randint(0, 4918)),
                str(rng.randint(1, 56)),
                rng.choice(("999", "999", "999", "3", "6")),
                str(rng.randint(0, 7)),
                rng.choice(_CHOICES["poutcome"]),
                *economy,
                "yes" if index in yes else "no",
            ]
        )
    return rows


def comma_csv(rows: list[list[str]], *, header=BANK_COLUMNS, newline: str = "\n") -> bytes:
    """The AWS sample's layout: plain comma-separated, no quotes."""
    lines = [",".join(header), *(",".join(row) for row in rows)]
    return (newline.join(lines) + newline).encode()


def uci_semicolon_csv(rows: list[list[str]], *, newline: str = "\n") -> bytes:
    """The UCI original's layout: semicolons, quoted header and quoted text values."""

    def quote(column: str, value: str) -> str:
        return f'"{value}"' if column in TEXT_COLUMNS else value

    header = ";".join(f'"{name}"' for name in BANK_COLUMNS)
    lines = [header]
    lines += [";".join(quote(c, v) for c, v in zip(BANK_COLUMNS, row, strict=True)) for row in rows]
    return (newline.join(lines) + newline).encode()


def zip_archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sample_zip(data: bytes) -> bytes:
    """An archive laid out like bank-additional.zip, with two CSVs and extras."""
    return zip_archive(
        {
            "bank-additional/.DS_Store": b"\x00\x00\x00\x01Bud1",
            "__MACOSX/bank-additional/._.DS_Store": b"\x00\x05\x16\x07",
            "bank-additional/bank-additional-full.csv": data,
            "bank-additional/bank-additional-names.txt": b"Input variables:\n",
            "bank-additional/bank-additional.csv": data[: data.index(b"\n", 2000) + 1],
        }
    )
