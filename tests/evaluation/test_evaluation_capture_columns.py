"""`make evaluate`'s traffic, as data capture stores it, has exactly the baseline's columns.

Model Monitor reads captured CSV without a header and lines its columns up by position
with the baseline, which is the training file without the target column. So the rows
`make evaluate` sends must hold the training features, target dropped, in training order,
and nothing else. This runs the real staging split, the evaluate command against moto,
wraps each request as SageMaker's capture record and decodes it with the capture decoder.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from dataset_staging import handler as staging_handler
from evaluation import capture, cli, scoring
from model_endpoint import lifecycle, spec
from tests.evaluation.fakes import (
    ACCOUNT,
    BUCKET,
    ENDPOINT,
    EVALUATE_OUTPUTS,
    HOLDOUT_KEY,
    REGION,
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
    baseline: bytes


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
            baseline=read(Bucket=BUCKET, Key=data["BaselineUri"].split("/", 3)[3])["Body"].read(),
        )


def baseline_columns(staged, target="y"):
    """The staged baseline file's columns, checked to be the training header minus the
    target, and its rows the training rows minus the target, in order."""
    train = list(csv.reader(io.StringIO(staged.train.decode())))
    baseline = list(csv.reader(io.StringIO(staged.baseline.decode())))
    index = train[0].index(target)
    assert baseline == [row[:index] + row[index + 1 :] for row in train]
    return baseline[0]


def stubbed_endpoint():
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    stubber = Stubber(sagemaker)
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}",
            "EndpointStatus": "InService",
            "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
            "LastModifiedTime": datetime(2025, 1, 1, tzinfo=UTC),
        },
        {"EndpointName": ENDPOINT},
    )
    stubber.activate()
    return sagemaker


def capture_line(body, encoding):
    """One request as SageMaker data capture stores it (JSON lines, one per request)."""
    data = body if encoding == "CSV" else base64.b64encode(body.encode()).decode()
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": scoring.CONTENT_TYPE,
                    "mode": "INPUT",
                    "data": data,
                    "encoding": encoding,
                }
            },
            "eventMetadata": {"eventId": "e", "inferenceTime": "2025-01-01T12:00:00Z"},
            "eventVersion": "0",
        }
    )


def capture_encoding():
    """CSV when the endpoint's capture lists evaluate's content type, else BASE64."""
    endpoint = spec.EndpointSpec(
        endpoint_name=ENDPOINT,
        prefix="apstudio-dev",
        job_name="job",
        candidate_name="candidate",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
        instance_type="ml.m5.large",
        instance_count=1,
        response_keys=("predicted_label", "probability"),
        capture_uri=f"s3://{BUCKET}/datacapture/dev",
        sampling_percentage=100,
        kms_key_id=None,
        tags=(),
    )
    header = lifecycle.capture_config(endpoint)["CaptureContentTypeHeader"]
    return "CSV" if scoring.CONTENT_TYPE in header.get("CsvContentTypes", []) else "BASE64"


@pytest.mark.parametrize("target_position", [7, 2], ids=["target-last", "target-inside"])
def test_captured_csv_has_the_baseline_columns_in_order(target_position, tmp_path):
    from moto import mock_aws

    staged = stage(source_csv(target_position))
    columns = baseline_columns(staged)
    holdout = list(csv.DictReader(io.StringIO(staged.holdout.decode())))
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=HOLDOUT_KEY, Body=staged.holdout)
        queue_endpoint_answers(
            "no,0.9\n" * len(holdout[start : start + 16]) for start in range(0, len(holdout), 16)
        )
        world = cli.Clients(
            cloudformation=stubbed_stack(EVALUATE_OUTPUTS).client,
            s3=s3,
            sagemaker=stubbed_endpoint(),
            runtime=boto3.client("sagemaker-runtime", region_name=REGION),
            region=REGION,
        )
        argv = ["--env", "dev", "--batch-size", "16", "--capture-wait", "0"]
        code = cli.main([*argv, "--out", str(tmp_path)], world, io.StringIO(), io.StringIO())
        bodies = invoked_bodies()
    assert code == 0

    encoding = capture_encoding()
    assert encoding == "CSV"
    captured = []
    for body in bodies:
        record = capture.decode_record(capture_line(body, encoding))
        assert record.input is not None
        assert record.input.content_type == "text/csv"
        captured += list(csv.reader(io.StringIO(record.input.text)))

    assert len(bodies) == -(-len(holdout) // 16)
    assert {len(row) for row in captured} == {len(columns)}
    expected = [[row[name] for name in columns] for row in holdout]
    assert captured == expected
