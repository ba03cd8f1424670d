"""The evaluate CLI end to end against moto, and its clear-error paths."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from cli import evaluate
from tests.cli.fakes import (
    ACCOUNT,
    BUCKET,
    ENDPOINT,
    EVALUATE_OUTPUTS,
    HOLDOUT_KEY,
    invoked_bodies,
    invoked_inference_ids,
    queue_endpoint_answers,
    stubbed_stack,
)

HEADER = [
    "age", "job", "marital", "education", "default", "housing", "loan", "contact", "month",
    "day_of_week", "duration", "campaign", "pdays", "previous", "poutcome", "emp.var.rate",
    "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed", "y",
]  # fmt: skip
OUTPUTS = {
    **EVALUATE_OUTPUTS,
    "AutoMLJobName": "apstudio-dev-automl-3f2a9c",
    "BestCandidateObjectiveMetric": "F1=0.6120",
    "GroundTruthS3Uri": f"s3://{BUCKET}/ground-truth",
}
CAPTURE_LINE = json.dumps(
    {
        "captureData": {
            "endpointInput": {
                "observedContentType": "text/csv",
                "mode": "INPUT",
                "data": "41,admin.,married,university.degree,no,yes,no,cellular,aug,thu,812,1,"
                "999,0,nonexistent,1.4,93.444,-36.1,4.963,5228.1",
                "encoding": "CSV",
            },
            "endpointOutput": {
                "observedContentType": "text/csv; charset=utf-8",
                "mode": "OUTPUT",
                "data": base64.b64encode(b"yes,0.8123\n").decode(),
                "encoding": "BASE64",
            },
        },
        "eventMetadata": {"eventId": "5f0c7d7e-1c1a-4c38-9d1e-1b2b3c4d5e6f",
                          "inferenceTime": "2025-01-01T12:00:05Z"},
        "eventVersion": "0",
    }
)  # fmt: skip


def holdout_rows(count, seed=7):
    """Bank-marketing-shaped rows; about 11% 'yes'."""
    rng = random.Random(seed)
    jobs = ["admin.", "blue-collar", "technician", "services", "management", "retired"]
    rows = []
    for i in range(count):
        duration = rng.randint(5, 1500)
        label = "yes" if rng.random() < 0.11 + (0.25 if duration > 700 else 0) else "no"
        rows.append(
            [str(rng.randint(18, 90)), rng.choice(jobs), "married", "university.degree", "no",
             rng.choice(["yes", "no"]), "no", "cellular", "may", "mon", str(duration),
             str(rng.randint(1, 6)), "999", "0", "nonexistent", "1.1", "93.994", "-36.4",
             "4.857", f"{5191 + i % 7}.0", label]
        )  # fmt: skip
    return rows


def model_answers(rows):
    """What the fake model answers per row: ensembling-style predicted_label,probability."""
    answers = []
    for row in rows:
        duration = int(row[10])
        p_yes = min(0.97, 0.03 + duration / 1600)
        label = "yes" if p_yes >= 0.5 else "no"
        answers.append((label, p_yes if label == "yes" else 1 - p_yes))
    return answers


def stubbed_cloudformation(outputs=OUTPUTS, error=None):
    return stubbed_stack(outputs, error)


def deploy_world(count, batch_size, capture_file=True):
    """Moto S3 holdout, moto SageMaker endpoint, queued endpoint answers; returns rows."""

    rows = holdout_rows(count)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    body = "\n".join(",".join(r) for r in [HEADER, *rows]) + "\n"
    s3.put_object(Bucket=BUCKET, Key=HOLDOUT_KEY, Body=body.encode())
    if capture_file:
        s3.put_object(
            Bucket=BUCKET,
            Key=f"datacapture/dev/{ENDPOINT}/AllTraffic/2025/01/01/12/00-05-123-4d2c.jsonl",
            Body=(CAPTURE_LINE + "\n").encode(),
        )
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    sagemaker.create_model(
        ModelName="apstudio-dev-m-000000-0000000000",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/execution",
        Containers=[{"Image": "autogluon-inference", "ModelDataUrl": "s3://b/m.tar.gz"}],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="apstudio-dev-c-000000-0000000000",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "apstudio-dev-m-000000-0000000000",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(
        EndpointName=ENDPOINT, EndpointConfigName="apstudio-dev-c-000000-0000000000"
    )
    answers = model_answers(rows)
    queue_endpoint_answers(
        "".join(f"{label},{p:.4f}\n" for label, p in answers[start : start + batch_size])
        for start in range(0, count, batch_size)
    )
    return rows


def moto_clients(cloudformation):
    return evaluate.Clients(
        cloudformation=cloudformation,
        s3=boto3.client("s3", region_name="us-east-1"),
        sagemaker=boto3.client("sagemaker", region_name="us-east-1"),
        runtime=boto3.client("sagemaker-runtime", region_name="us-east-1"),
        region="us-east-1",
    )


@pytest.fixture
def aws():
    from moto import mock_aws

    with mock_aws():
        yield


def test_full_run_against_moto_writes_the_three_reports(aws, tmp_path):
    rows = deploy_world(2000, 500)
    stubber = stubbed_cloudformation()
    out, err = io.StringIO(), io.StringIO()

    code = evaluate.main(
        ["--env", "dev", "--out", str(tmp_path), "--capture-wait", "0"],
        clients=moto_clients(stubber.client),
        out=out,
        err=err,
    )

    assert code == 0, err.getvalue()
    stubber.assert_no_pending_responses()
    bodies = invoked_bodies()
    assert len(bodies) == 4
    assert all(b.count("\n") == 500 for b in bodies)
    assert all(line.count(",") == len(HEADER) - 2 for b in bodies for line in b.splitlines())

    report = json.loads((tmp_path / "report.json").read_text())
    answers = model_answers(rows)
    expected = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for row, (label, _) in zip(rows, answers, strict=True):
        actual = row[-1] == "yes"
        predicted = label == "yes"
        expected[{(1, 1): "tp", (0, 1): "fp", (0, 0): "tn", (1, 0): "fn"}[actual, predicted]] += 1
    assert report["confusion_matrix"] == expected
    assert report["scoring"] == {"rows": 2000, "requests": 4, "batches": 4, "batch_size": 500}
    assert report["metrics"]["recall"] == pytest.approx(
        expected["tp"] / (expected["tp"] + expected["fn"])
    )
    assert 0.5 < report["metrics"]["roc_auc"] <= 1
    assert report["auc_source"] == "probability of the predicted label"
    assert report["data_capture"]["found"] is True
    assert report["data_capture"]["record"]["output"]["text"] == "yes,0.8123\n"
    assert (tmp_path / "report.md").read_text().startswith(f"# Evaluation of {ENDPOINT}")
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = out.getvalue()
    assert "2000 held-out rows in 4 requests" in printed
    assert f"TP {expected['tp']}" in printed
    assert "output (text/csv; charset=utf-8, BASE64): yes,0.8123" in printed
    assert "scored 2000/2000 rows (4/4 requests)" in err.getvalue()
    # One ground-truth record per request, keyed by the InferenceId it was sent with.
    (uploaded,) = report["ground_truth"]["objects"]
    assert uploaded.startswith(f"s3://{BUCKET}/ground-truth/")
    s3 = boto3.client("s3", region_name="us-east-1")
    body = s3.get_object(Bucket=BUCKET, Key=uploaded.split("/", 3)[3])["Body"].read()
    records = [json.loads(line) for line in body.decode().splitlines()]
    sent_ids = invoked_inference_ids()
    assert [r["eventMetadata"]["inferenceId"] for r in records] == sent_ids
    assert len(set(sent_ids)) == 4
    labels = [row[-1] for row in rows]
    assert [r["groundTruthData"]["data"].split("\n") for r in records] == [
        labels[start : start + 500] for start in range(0, 2000, 500)
    ]
    assert "Ground truth: the held-out labels of 4 requests" in printed


def run_cli(clients, *extra):
    out, err = io.StringIO(), io.StringIO()
    code = evaluate.main(["--env", "dev", "--capture-wait", "0", *extra], clients, out, err)
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


def test_stack_not_deployed(aws):
    stubber = stubbed_cloudformation(error="Stack with id AutopilotStudio-dev does not exist")
    code, err = run_cli(moto_clients(stubber.client))
    assert code == 1
    assert "stack AutopilotStudio-dev is not deployed in us-east-1" in err


def test_missing_outputs(aws):
    partial = {k: v for k, v in OUTPUTS.items() if k not in {"HoldoutDataS3Uri", "PositiveClass"}}
    stubber = stubbed_cloudformation(partial)
    code, err = run_cli(moto_clients(stubber.client))
    assert code == 1
    assert "missing outputs: HoldoutDataS3Uri, PositiveClass" in err


def test_construct_scoped_output_keys_are_found(aws):
    scoped = dict(OUTPUTS)
    scoped["EndpointEndpointNameA1B2C3D4"] = scoped.pop("EndpointName")
    stubber = stubbed_cloudformation(scoped)
    code, err = run_cli(moto_clients(stubber.client))
    # Outputs resolve; it fails later because nothing is deployed in moto.
    assert code == 1
    assert f"endpoint {ENDPOINT} does not exist" in err


def test_endpoint_not_in_service(aws):
    clients = moto_clients(stubbed_cloudformation().client)
    stubber = Stubber(clients.sagemaker)
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{ENDPOINT}",
            "EndpointStatus": "Failed",
            "FailureReason": "The primary container did not pass the ping health check.",
            "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
            "LastModifiedTime": datetime(2025, 1, 1, tzinfo=UTC),
        },
        {"EndpointName": ENDPOINT},
    )
    stubber.activate()
    code, err = run_cli(clients)
    assert code == 1
    assert f"endpoint {ENDPOINT} is Failed: The primary container did not pass" in err
    stubber.assert_no_pending_responses()


def test_holdout_missing(aws):
    deploy_world(10, 10)
    boto3.client("s3", region_name="us-east-1").delete_object(Bucket=BUCKET, Key=HOLDOUT_KEY)
    code, err = run_cli(moto_clients(stubbed_cloudformation().client))
    assert code == 1
    assert f"held-out data s3://{BUCKET}/{HOLDOUT_KEY} not found" in err


def test_prediction_count_mismatch_is_reported(aws, tmp_path):
    deploy_world(10, 10)
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    queue = sagemakerruntime_backends[ACCOUNT]["us-east-1"].results_queue
    queue[0] = ("no,0.9\n", "text/csv", "AllTraffic", "")
    code, err = run_cli(moto_clients(stubbed_cloudformation().client), "--out", str(tmp_path))
    assert code == 1
    assert "sent 10 rows but the endpoint returned 1 predictions" in err


def test_no_credentials(no_aws_config):
    code, err = run_cli(None)
    assert code == 1
    assert "no AWS credentials found" in err


def test_no_region(no_aws_config, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    code, err = run_cli(None)
    assert code == 1
    assert "no AWS region configured" in err


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["--help"], "usage: python -m cli"),
        (["monitor", "--help"], "usage: python -m cli monitor"),
        (["batch-predict", "--help"], "usage: python -m cli batch-predict"),
    ],
)
def test_help_does_not_import_aws_libraries(argv, usage):
    import subprocess
    import sys

    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['cli', *{argv!r}]\n"
        "try:\n    runpy.run_module('cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('boto3', 'rich', 'matplotlib', 'sagemaker', 'config')"
        " if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root
    )
    assert usage in done.stdout
    assert done.stdout.strip().endswith("[]")
