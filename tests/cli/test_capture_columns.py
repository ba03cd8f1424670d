"""The monitor reads exactly the profile's feature columns from the captured input, and
never the output.

Captured CSV has no header: the analysis lines its columns up by position with the
profile's ``columns`` (the training header without the target). Model Monitor read input
and output concatenated, so the model's ``predicted_label,probability`` shifted every
feature (sagemaker-python-sdk#3277). This runs the real staging (which writes the
profile), the evaluate command against moto, wraps each request as SageMaker's capture
record with its input and its output, and runs the monitor's analysis core on them.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
from dataclasses import dataclass

import boto3
import pytest
from botocore.stub import Stubber

from cli import capture, evaluate, scoring
from dataset_staging import handler as staging_handler
from drift_monitor import analysis, drift
from drift_monitor.capture import Counts, object_rows
from tests.cli.fakes import (
    ACCOUNT,
    BUCKET,
    EVALUATE_OUTPUTS,
    HOLDOUT_KEY,
    REGION,
    expect_endpoint_in_service,
    invoked_bodies,
    queue_endpoint_answers,
    stubbed_stack,
)

JOBS = ["admin.", "blue-collar", "technician", "services, part-time", "retired"]


def source_csv(target_position, rows=400, seed=3):
    """A bank-marketing-shaped file with the target at ``target_position``."""
    rng = random.Random(seed)
    features = ["age", "job", "marital", "duration", "campaign", "euribor3m", "nr.employed"]
    header = [*features]
    header.insert(target_position, "y")
    lines = [header]
    for _ in range(rows):
        values = [
            str(rng.randint(18, 90)),
            rng.choice(JOBS),  # one value holds a comma, so it is quoted in CSV
            rng.choice(["married", "single"]),
            str(rng.randint(5, 1500)),
            str(rng.randint(1, 6)),
            f"{rng.uniform(0.6, 5.0):.3f}",
            "5191.0",
        ]
        values.insert(target_position, "yes" if rng.random() < 0.2 else "no")
        lines.append(values)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    return buffer.getvalue()


@dataclass(frozen=True)
class Staged:
    train: bytes
    holdout: bytes
    profile: dict


def stage(text, target="y"):
    """Run the real staging handler on moto S3 and return the two files it wrote."""
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="uploads/source.csv", Body=text.encode())
        properties = {
            "Bucket": BUCKET,
            "Prefix": "datasets",
            "SourceUri": f"s3://{BUCKET}/uploads/source.csv",
            "ArchiveMember": "",
            "TargetAttribute": target,
            "HoldoutFraction": "0.1",
            "Seed": "42",
            "MinTrainingRows": "300",
            "RetainOnDelete": "false",
        }
        event = {
            "RequestType": "Create",
            "ResourceProperties": properties,
            "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/dev/1",
            "LogicalResourceId": "Dataset",
            "RequestId": "req-1",
        }
        data = staging_handler.on_event(event, None)["Data"]
        read = s3.get_object
        return Staged(
            train=read(Bucket=BUCKET, Key=data["TrainKey"])["Body"].read(),
            holdout=read(Bucket=BUCKET, Key=data["HoldoutKey"])["Body"].read(),
            profile=json.loads(read(Bucket=BUCKET, Key=data["ProfileKey"])["Body"].read()),
        )


def profile_columns(staged, target="y"):
    """The profile's columns, checked to be the training header minus the target."""
    header = next(csv.reader(io.StringIO(staged.train.decode())))
    assert staged.profile["columns"] == [name for name in header if name != target]
    return staged.profile["columns"]


def stubbed_endpoint():
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    stubber = Stubber(sagemaker)
    expect_endpoint_in_service(stubber)
    stubber.activate()
    return sagemaker


def _encoded(text, encoding):
    return text if encoding == "CSV" else base64.b64encode(text.encode()).decode()


def capture_line(body, answer, encoding):
    """One request as SageMaker data capture stores it (JSON lines, one per request)."""
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": scoring.CONTENT_TYPE,
                    "mode": "INPUT",
                    "data": _encoded(body, encoding),
                    "encoding": encoding,
                },
                "endpointOutput": {
                    "observedContentType": scoring.CONTENT_TYPE,
                    "mode": "OUTPUT",
                    "data": _encoded(answer, encoding),
                    "encoding": encoding,
                },
            },
            "eventMetadata": {"eventId": "e", "inferenceTime": "2025-01-01T12:00:00Z"},
            "eventVersion": "0",
        }
    )


@pytest.fixture(scope="module")
def capture_encoding(synthesized) -> str:
    """CSV when the endpoint config's capture lists evaluate's content type, else BASE64:
    read from the synthesized dev template, as SageMaker would apply it."""
    configs = [
        r["Properties"]
        for r in synthesized["dev"].template["Resources"].values()
        if r["Type"] == "AWS::SageMaker::EndpointConfig"
    ]
    (config,) = configs
    header = config["DataCaptureConfig"]["CaptureContentTypeHeader"]
    return "CSV" if scoring.CONTENT_TYPE in header.get("CsvContentTypes", []) else "BASE64"


ANSWER = "no,0.9\n"


def analysed(staged, lines):
    counts = Counts()
    rows = object_rows(lines, len(staged.profile["columns"]), counts)
    report = analysis.analyse(
        staged.profile,
        rows,
        max_rows=100_000,
        seed=0,
        thresholds=drift.Thresholds(),
        response_keys=("predicted_label", "probability"),
        positive_class="yes",
    )
    return report, counts


@pytest.mark.parametrize("target_position", [7, 2], ids=["target-last", "target-inside"])
def test_the_analysis_reads_the_profile_columns_from_the_input_only(
    target_position, tmp_path, capture_encoding
):
    from moto import mock_aws

    staged = stage(source_csv(target_position))
    columns = profile_columns(staged)
    holdout = list(csv.DictReader(io.StringIO(staged.holdout.decode())))
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=HOLDOUT_KEY, Body=staged.holdout)
        queue_endpoint_answers(
            ANSWER * len(holdout[start : start + 16]) for start in range(0, len(holdout), 16)
        )
        world = evaluate.Clients(
            cloudformation=stubbed_stack(EVALUATE_OUTPUTS).client,
            s3=s3,
            sagemaker=stubbed_endpoint(),
            runtime=boto3.client("sagemaker-runtime", region_name=REGION),
            region=REGION,
        )
        argv = ["--env", "dev", "--batch-size", "16", "--capture-wait", "0"]
        code = evaluate.main([*argv, "--out", str(tmp_path)], world, io.StringIO(), io.StringIO())
        bodies = invoked_bodies()
    assert code == 0

    encoding = capture_encoding
    assert encoding == "CSV"
    lines = [capture_line(body, ANSWER * body.count("\n"), encoding) for body in bodies]
    # The evaluate command's decoder sees each request's input as the endpoint got it.
    for line in lines:
        assert capture.decode_record(line).input.content_type == "text/csv"

    report, counts = analysed(staged, lines)

    assert len(bodies) == -(-len(holdout) // 16)
    assert (counts.rows, counts.malformed_rows, report["rows"]) == (len(holdout), 0, len(holdout))
    # Each feature's window statistics are exactly those of its own held-out column.
    for name in columns:
        values = [row[name] for row in holdout]
        current = report["features"][name]["current"]
        if staged.profile["features"][name]["type"] == "numeric":
            numbers = [float(value) for value in values]
            assert current["mean"] == pytest.approx(sum(numbers) / len(numbers)), name
            assert (current["min"], current["max"]) == (min(numbers), max(numbers)), name
        else:
            assert current["values"] == {
                value: values.count(value) / len(values) for value in set(values)
            }, name
        assert report["features"][name]["type_mismatch"] is False, name
    # Predictions come from the output alone.
    assert report["prediction"]["predicted_classes"] == {"no": 1.0}


def test_output_columns_in_front_of_the_input_are_refused_not_shifted():
    """Model Monitor's failure: output and input read as one row. The analysis counts
    such rows as malformed instead of lining shifted columns up with the profile."""
    staged = stage(source_csv(7))
    holdout = staged.holdout.decode().splitlines()[1:]
    body = "".join(f"{ANSWER.strip()},{line.rsplit(',', 1)[0]}\n" for line in holdout)
    report, counts = analysed(staged, [capture_line(body, ANSWER * len(holdout), "CSV")])
    assert (counts.malformed_rows, report["rows"]) == (len(holdout), 0)
