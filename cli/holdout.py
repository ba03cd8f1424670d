"""Load the held-out CSV and split it into feature rows and true labels."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from cli import s3uri
from cli.errors import EvaluationError


@dataclass(frozen=True)
class Holdout:
    header: list[str]
    features: list[list[str]]
    labels: list[str]


def parse(text: str, target: str) -> Holdout:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if not rows:
        raise EvaluationError("the held-out CSV is empty")
    header = [name.strip() for name in rows[0]]
    if target not in header:
        raise EvaluationError(
            f"target column {target!r} is not in the held-out CSV header ({', '.join(header)})"
        )
    index = header.index(target)
    features, labels = [], []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise EvaluationError(
                f"held-out CSV line {number} has {len(row)} fields, the header has {len(header)}"
            )
        labels.append(row[index].strip())
        features.append(row[:index] + row[index + 1 :])
    if not features:
        raise EvaluationError("the held-out CSV has a header but no rows")
    return Holdout(header=header, features=features, labels=labels)


def read(s3: Any, uri: str, target: str) -> Holdout:
    return parse(s3uri.read(s3, uri, "held-out data").decode("utf-8-sig"), target)
