"""``python -m cli monitor`` over reports the real monitoring function wrote, offline.

Staging (the real handler) writes train.csv and profile.json to moto's S3, drifted traffic
and its labels are written as SageMaker and make evaluate write them, the monitoring
function runs on them, and the command reads what it left.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from cli import evaluate, monitor_cli
from drift_monitor import handler as monitor_function
from tests.cli.fakes import BUCKET, ENDPOINT, REGION, stubbed_stack
from tests.runtime.drift_monitor import drift_fixtures as fx
from tools.synthetic.bank import bank_rows

CAPTURE = f"datacapture/{ENDPOINT}/AllTraffic"
HOUR = datetime(2026, 12, 3, 14, 10, 2, tzinfo=UTC)


def outputs(profile_key: str, train_key: str) -> dict[str, str]:
    return {
        "EndpointName": ENDPOINT,
        "DataCaptureS3Uri": f"s3://{BUCKET}/datacapture",
        "TrainingDataS3Uri": f"s3://{BUCKET}/{train_key}",
        "HoldoutDataS3Uri": f"s3://{BUCKET}/holdout.csv",
        "TargetAttribute": "y",
        "InferenceResponseKeys": "predicted_label,probability",
        "PositiveClass": "yes",
        "MonitoringReportsS3Uri": f"s3://{BUCKET}/monitoring/reports",
        "BaselineProfileS3Uri": f"s3://{BUCKET}/{profile_key}",
        "GroundTruthS3Uri": f"s3://{BUCKET}/ground-truth",
    }


@pytest.fixture
def deployed(moto_clients, monkeypatch):
    """A staged dataset, one hour of drifted traffic with labels, one monitoring run."""
    s3 = moto_clients("s3")
    s3.create_bucket(Bucket=BUCKET)
    data = fx.stage_dataset(s3, BUCKET)
    rows = fx.drifted(bank_rows(1000, seed=12))
    requests = [rows[:500], rows[500:]]
    key = fx.capture_key(CAPTURE, HOUR, "9f1e")
    lines = [
        fx.capture_line(fx.features(r), inference_id=f"evaluate-{i}", when=HOUR)
        for i, r in enumerate(requests)
    ]
    s3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(lines) + "\n").encode())
    labels = [fx.ground_truth_line(f"evaluate-{i}", [row[-1] for row in r])
              for i, r in enumerate(requests)]  # fmt: skip
    s3.put_object(
        Bucket=BUCKET,
        Key="ground-truth/2026/12/03/14/evaluate.jsonl",
        Body=("\n".join(labels) + "\n").encode(),
    )
    environment = fx.environment(
        bucket=BUCKET, profile_key=data["ProfileKey"], endpoint=ENDPOINT, MAX_ROWS="10000"
    )
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monitor_function.handler({"time": "2026-12-03T14:55:00Z"})  # an idle window
    monitor_function.handler({"time": "2026-12-03T15:15:00Z"})
    monkeypatch.setattr(monitor_cli, "current_time", lambda: datetime(2026, 12, 3, 16, tzinfo=UTC))
    return outputs(data["ProfileKey"], data["TrainKey"]), rows


def clients(stack_outputs):
    return evaluate.Clients(
        cloudformation=stubbed_stack(stack_outputs).client,
        s3=boto3.client("s3", region_name=REGION),
        sagemaker=None,
        runtime=None,
        region=REGION,
    )


def run(world, tmp_path, *extra):
    out, err = io.StringIO(), io.StringIO()
    code = evaluate.main(
        ["monitor", "--env", "dev", "--out", str(tmp_path), *extra], world, out, err
    )
    return code, out.getvalue(), err.getvalue()


def test_report_lists_runs_explains_drift_and_quality_and_writes_html(deployed, tmp_path):
    stack, _ = deployed

    code, printed, err = run(clients(stack), tmp_path)

    assert code == 0, err
    assert "Recent runs, newest first (2):" in printed
    assert "2026-12-03 14h .. 15h  1000" in printed
    assert "2026-12-03 13h .. 14h  0" in printed
    assert "Drifted features" in printed
    age_line = next(line for line in printed.splitlines() if line.strip().startswith("age "))
    assert "psi" in age_line and "mean" in age_line
    job_line = next(line for line in printed.splitlines() if line.strip().startswith("job "))
    assert "unseen" in job_line and "gig-worker" in job_line
    assert "Model quality on 1000 labelled rows" in printed
    text = (tmp_path / "monitor.txt").read_text()
    assert text.strip() == printed.split("\nwrote ")[0].strip()
    assert (tmp_path / "monitor_drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("monitor_drift.html", "monitor_quality.html"):
        assert (tmp_path / name).read_text()[:200].lower().lstrip().startswith("<!doctype html")


def test_no_html_skips_evidently(deployed, tmp_path):
    stack, _ = deployed
    code, _, _ = run(clients(stack), tmp_path, "--no-html")
    assert code == 0
    assert not (tmp_path / "monitor_drift.html").exists()
    assert (tmp_path / "monitor_drift.png").exists()


def test_a_stack_without_monitoring_is_one_line(moto_clients, tmp_path):
    stack = {k: v for k, v in outputs("p", "t").items() if k != "MonitoringReportsS3Uri"}
    code, _, err = run(clients(stack), tmp_path)
    assert code == 1
    assert err.startswith("error: stack AutopilotStudio-dev has no MonitoringReportsS3Uri")
    assert err.count("\n") == 1


def test_no_runs_yet(moto_clients, tmp_path, monkeypatch):
    moto_clients("s3").create_bucket(Bucket=BUCKET)
    monkeypatch.setattr(monitor_cli, "current_time", lambda: datetime(2026, 12, 3, tzinfo=UTC))
    code, printed, _ = run(clients(outputs("p", "t")), tmp_path)
    assert code == 0
    assert "No monitoring runs in the last 7 days" in printed
    assert Path(tmp_path / "monitor.txt").exists()
