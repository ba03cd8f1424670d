"""Rows of batch transform jobs that capture data (CreateTransformJob DataCaptureConfig).

What SageMaker writes under ``DataCaptureConfig.DestinationS3Uri`` (Developer Guide,
"Capture data from batch transform job", model-monitor-data-capture-batch):

- ``<destination>/input/yyyy/mm/dd/hh/<manifest>`` and ``<destination>/output/yyyy/mm/dd/hh/
  <manifest>``, the hour being the job's start (UTC). A manifest does not copy the data: it
  names the job's input objects (or output objects)::

      [{"prefix": "s3://<input prefix>/"}, "dummy_0.csv", "dummy_1.csv", ...]
      [{"prefix": "s3://<output prefix>/"}, "dummy_0.csv.out", "dummy_1.csv.out", ...]

- Each output object is its input object's name plus ``.out``; with SplitType Line and
  AssembleWith Line its i-th line answers the input's i-th line (batch transform's
  "Associate prediction results with input records"), so rows pair by position.
- With ``GenerateInferenceId`` each output CSV line ends in two more columns, a random UUID
  per record and the job's start time: ``0, 1f1d57b1-...,2022-08-30T00:49:15Z``. Ground
  truth for such a row joins on that UUID (one label per record).

Left open by the docs, and decided here: manifest object names and extension are not
given, so every object under an hour folder is read as a manifest, as one JSON array or as
JSON Lines of arrays; an output manifest pairs with the input manifest of the same name in
the same hour, else with whichever input manifest of that hour lists the matching input
object. Objects outside the monitor's bucket are skipped and counted (the function may
read only its own bucket). Output joined with the input (DataProcessing JoinSource
"Input") is recognised by its field count: the response fields follow the input's.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from drift_monitor.capture import Counts, Row, split_response

OUT_SUFFIX = ".out"


@dataclass(frozen=True)
class Manifest:
    name: str
    uris: tuple[str, ...]


@dataclass(frozen=True)
class Pair:
    input_uri: str
    output_uri: str


def parse_manifest(name: str, body: bytes) -> Manifest:
    """A manifest's object URIs; ValueError when it is not one."""
    text = body.decode("utf-8")
    try:
        documents = [json.loads(text)]
    except ValueError:
        documents = [json.loads(line) for line in text.splitlines() if line.strip()]
    uris: list[str] = []
    for document in documents:
        if not isinstance(document, list) or not document or "prefix" not in document[0]:
            raise ValueError(f"{name} is not a batch capture manifest")
        prefix = str(document[0]["prefix"])
        uris += [prefix + str(entry) for entry in document[1:]]
    return Manifest(name, tuple(uris))


def _base(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def pair_manifests(
    inputs: Sequence[Manifest], outputs: Sequence[Manifest], counts: Counts
) -> list[Pair]:
    """Input and output objects of one hour's manifests, paired by name."""
    by_name = {manifest.name: manifest for manifest in inputs}
    pairs: list[Pair] = []
    for output in outputs:
        preferred = by_name.get(output.name)
        for output_uri in output.uris:
            wanted = _base(output_uri).removesuffix(OUT_SUFFIX)
            candidates = [preferred] if preferred else list(inputs)
            matches = [
                uri for manifest in candidates for uri in manifest.uris if _base(uri) == wanted
            ]
            if len(matches) == 1:
                pairs.append(Pair(matches[0], output_uri))
            else:
                counts.skipped_objects += 1
    return pairs


def _input_fields(line: str, width: int) -> str | list[str] | None:
    if '"' not in line:
        return line if line.count(",") == width - 1 else None
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    return fields if len(fields) == width else None


def _output(line: str, width: int, keys: int) -> tuple[str, str | None] | None:
    """(the response fields, the inference ID or None) of one output line."""
    fields = split_response(line)
    for skip, with_id in ((0, False), (0, True), (width, False), (width, True)):
        if len(fields) == skip + keys + (2 if with_id else 0):
            response = ",".join(fields[skip : skip + keys])
            return response, fields[skip + keys] if with_id else None
    return None


def pair_rows(
    input_lines: Iterable[str],
    output_lines: Iterable[str],
    *,
    width: int,
    keys: int,
    counts: Counts,
) -> Iterator[Row]:
    """The rows of one input object and its output object, line by line."""
    counts.objects += 2
    answers = iter(output_lines)
    unpaired = False
    for line in input_lines:
        if not line.strip():
            continue
        answer = next(answers, None)
        if answer is None and not unpaired:
            unpaired = True
            counts.unpaired_requests += 1
        features = _input_fields(line.rstrip("\r\n"), width)
        if features is None:
            counts.malformed_rows += 1
            continue
        parsed = _output(answer.rstrip("\r\n"), width, keys) if answer is not None else None
        counts.rows += 1
        if parsed is None:
            yield Row(features, None, None, 0)
        else:
            yield Row(features, parsed[0], parsed[1], 0)


def window_rows(
    hours: Iterable[tuple[list[Manifest], list[Manifest]]],
    read_lines: Callable[[str], Iterable[str]],
    readable: Callable[[str], bool],
    *,
    width: int,
    keys: int,
    counts: Counts,
) -> Iterator[Row]:
    """Every batch-captured row of the window's hours, object pair by pair."""
    for inputs, outputs in hours:
        for pair in pair_manifests(inputs, outputs, counts):
            if not (readable(pair.input_uri) and readable(pair.output_uri)):
                counts.skipped_objects += 2
                continue
            counts.requests += 1
            yield from pair_rows(
                read_lines(pair.input_uri),
                read_lines(pair.output_uri),
                width=width,
                keys=keys,
                counts=counts,
            )
