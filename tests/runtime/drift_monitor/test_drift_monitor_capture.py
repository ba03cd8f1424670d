"""Capture records and batch captures as SageMaker writes them, read into rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from drift_monitor import batch
from drift_monitor.capture import Counts, object_rows, prediction, split_response
from tests.runtime.drift_monitor import drift_fixtures as fx
from tools.synthetic.bank import bank_rows

WHEN = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
WIDTH = len(fx.FEATURES)


def rows_of(lines, width=WIDTH):
    counts = Counts()
    return list(object_rows(lines, width, counts)), counts


@pytest.mark.parametrize(
    ("encoding", "output_encoding"), [("CSV", "CSV"), ("BASE64", "BASE64"), ("CSV", "BASE64")]
)
def test_multi_row_request_pairs_each_input_row_with_its_output_line(encoding, output_encoding):
    rows = bank_rows(500, seed=1)
    line = fx.capture_line(
        fx.features(rows),
        encoding=encoding,
        output_encoding=output_encoding,
        inference_id="req-1",
        when=WHEN,
    )
    read, counts = rows_of([line])
    assert len(read) == 500
    assert [row.fields() for row in read] == fx.features(rows)
    assert [row.output for row in read] == ["{},{:.4f}".format(*fx.answer(r)) for r in rows]
    assert {row.key for row in read} == {"req-1"}
    assert [row.index for row in read] == list(range(500))
    assert (counts.requests, counts.rows, counts.malformed_lines) == (1, 500, 0)


def test_without_an_inference_id_rows_join_on_the_event_id():
    line = fx.capture_line(fx.features(bank_rows(2)), event_id="5f0c7d7e", when=WHEN)
    read, _ = rows_of([line])
    assert {row.key for row in read} == {"5f0c7d7e"}


def test_malformed_lines_and_rows_are_counted_not_raised():
    good = fx.capture_line(fx.features(bank_rows(3)), when=WHEN)
    short = fx.features(bank_rows(3, seed=2))
    short[1] = short[1][:5]
    with_short_row = fx.capture_line(short, answers=["no,0.9"] * 3, inference_id="r", when=WHEN)
    lines = [
        good,
        "{not json",
        json.dumps({"eventMetadata": {}}),
        json.dumps({"captureData": {"endpointInput": {"data": "%%%", "encoding": "BASE64"}}}),
        with_short_row,
        "",
    ]
    read, counts = rows_of(lines)
    assert (counts.lines, counts.malformed_lines, counts.malformed_rows) == (5, 3, 1)
    # The short row is dropped; the row after it keeps its position for the join.
    assert [(row.key, row.index) for row in read[3:]] == [("r", 0), ("r", 2)]


def test_an_output_with_another_row_count_keeps_features_and_drops_predictions():
    line = fx.capture_line(fx.features(bank_rows(4)), answers=["yes,0.9"], when=WHEN)
    read, counts = rows_of([line])
    assert len(read) == 4
    assert {row.output for row in read} == {None}
    assert counts.unpaired_requests == 1


def test_quoted_values_with_commas_are_one_field():
    line = fx.capture_line([["41", "services, part-time"]], answers=["no,0.8"], when=WHEN)
    read, _ = rows_of([line], width=2)
    assert read[0].fields() == ["41", "services, part-time"]


@pytest.mark.parametrize(
    ("line", "keys", "expected"),
    [
        ("yes,0.87", ("predicted_label", "probability"), ("yes", 0.87)),
        (
            "yes,0.87,\"[0.13, 0.87]\",\"['no', 'yes']\"",
            ("predicted_label", "probability", "probabilities", "labels"),
            ("yes", 0.87),
        ),
        ("no,[0.7, 0.3]", ("predicted_label", "probabilities"), ("no", None)),
    ],
)
def test_predictions_are_read_by_response_key(line, keys, expected):
    answer = prediction(line, keys)
    assert (answer.label, answer.probability) == expected


def test_a_response_with_another_field_count_is_no_prediction():
    assert prediction("yes", ("predicted_label", "probability")) is None
    assert split_response(" yes , 0.5 ") == ["yes", "0.5"]


def test_manifests_read_as_one_array_or_json_lines():
    array = fx.manifest("s3://b/in/", ["a.csv", "b.csv"])
    lines = b'[{"prefix": "s3://b/in/"}, "a.csv"]\n[{"prefix": "s3://b/more/"}, "c.csv"]\n'
    assert batch.parse_manifest("m", array).uris == ("s3://b/in/a.csv", "s3://b/in/b.csv")
    assert batch.parse_manifest("m", lines).uris == ("s3://b/in/a.csv", "s3://b/more/c.csv")
    with pytest.raises(ValueError, match="not a batch capture manifest"):
        batch.parse_manifest("m", b'{"captureData": {}}')


def test_outputs_pair_with_inputs_by_manifest_name_then_by_object_name():
    inputs = [
        batch.Manifest("job-a", ("s3://b/a/x.csv",)),
        batch.Manifest("job-b", ("s3://b/b/x.csv", "s3://b/b/y.csv")),
    ]
    outputs = [
        batch.Manifest("job-a", ("s3://b/out-a/x.csv.out",)),
        batch.Manifest("other", ("s3://b/out-b/y.csv.out", "s3://b/out-b/x.csv.out")),
    ]
    counts = Counts()
    pairs = batch.pair_manifests(inputs, outputs, counts)
    assert pairs == [
        batch.Pair("s3://b/a/x.csv", "s3://b/out-a/x.csv.out"),
        batch.Pair("s3://b/b/y.csv", "s3://b/out-b/y.csv.out"),
    ]
    assert counts.skipped_objects == 1  # x.csv is in both input manifests: ambiguous


@pytest.mark.parametrize("shape", ["plain", "inference-id", "joined", "joined-inference-id"])
def test_batch_output_lines_in_each_documented_shape(shape):
    rows = bank_rows(3, seed=5)
    start = datetime(2026, 12, 3, 14, 2, tzinfo=UTC)
    ids = ["1f1d57b1-2e6f-488c-8c30-db4e6d757861", "22445434-0c67", "3a"] if "id" in shape else None
    outputs = fx.batch_output(rows, start, ids).splitlines()
    if shape.startswith("joined"):
        inputs = [",".join(row[:-1]) for row in rows]
        outputs = [f"{features},{output}" for features, output in zip(inputs, outputs, strict=True)]
    counts = Counts()
    read = list(
        batch.pair_rows(
            fx.csv_text(fx.features(rows)).splitlines(),
            outputs,
            width=WIDTH,
            keys=2,
            counts=counts,
        )
    )
    assert [row.output for row in read] == ["{},{:.4f}".format(*fx.answer(r)) for r in rows]
    assert [row.key for row in read] == (ids or [None, None, None])
    assert counts.rows == 3


def test_a_short_batch_output_is_counted_once():
    counts = Counts()
    read = list(batch.pair_rows(["1,a", "2,b", "3,c"], ["yes,0.9"], width=2, keys=2, counts=counts))
    assert [row.output for row in read] == ["yes,0.9", None, None]
    assert counts.unpaired_requests == 1


def test_ground_truth_keeps_only_the_sampled_rows_labels():
    from drift_monitor import quality

    lines = [
        fx.ground_truth_line("req-1", ["yes", "no", "no", "yes"]),
        fx.ground_truth_line("event-9", ["no"] * 500, by="eventId"),
        fx.ground_truth_line("req-unsampled", ["yes"] * 500),
        '{"groundTruthData": {"data": "yes"}}',
    ]
    counts = quality.GroundTruthCounts()
    labels = quality.collect([lines], {"req-1": {0, 3, 7}, "event-9": {499}}, counts)
    assert labels == {"req-1": {0: "yes", 3: "yes"}, "event-9": {499: "no"}}
    assert (counts.records, counts.matched_records, counts.malformed_lines) == (3, 2, 1)
