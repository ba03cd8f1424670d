"""``python -m evaluation monitor`` on outputs shaped like the analyzer's, offline.

SageMaker's schedule and execution calls go through botocore's Stubber (moto has no
monitoring schedules), which validates every request and response against the service
model; the analyzer's JSON files are read from moto's S3.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from evaluation import cli
from tests.evaluation.fakes import ACCOUNT, BUCKET, ENDPOINT, REGION, stubbed_stack

FIXTURES = Path(__file__).parent / "fixtures" / "model_monitor"
SCHEDULE = "apstudio-dev-data-quality"
DEFINITION = "apstudio-dev-dq-3f2a9c1b"
BASELINE = f"s3://{BUCKET}/monitoring/baseline"
REPORTS = f"s3://{BUCKET}/monitoring/reports"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/apstudio-dev-monitor"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
T0 = datetime(2025, 1, 2, 13, 0, tzinfo=UTC)
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
SCHEDULE_ARN = f"{ARN}:monitoring-schedule/{SCHEDULE}"
CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}


def at(hour):
    return T0.replace(hour=hour)


def job_arn(name):
    return f"{ARN}:processing-job/{name}"


def output_prefix(hour):
    return f"{REPORTS}/{ENDPOINT}/{SCHEDULE}/2025/01/02/{hour:02d}"


# Newest first, as ListMonitoringExecutions returns them with SortOrder=Descending.
EXECUTIONS = [
    (13, "CompletedWithViolations", "model-monitoring-202501021300-a1b2c3d4e5f6a7b8c9d0e1f2"),
    (12, "Completed", "model-monitoring-202501021200-b2c3d4e5f6a7b8c9d0e1f2a3"),
    (11, "Failed", None),
]
FAILURE = "Job inputs had no data"


def put_fixtures(s3):
    s3.create_bucket(Bucket=BUCKET)
    for name in ("statistics.json", "constraints.json"):
        key = f"monitoring/baseline/{name}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=(FIXTURES / "baseline" / name).read_bytes())
    prefix = output_prefix(13).removeprefix(f"s3://{BUCKET}/")
    for name in ("statistics.json", "constraint_violations.json"):
        body = (FIXTURES / "execution" / name).read_bytes()
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{name}", Body=body)


def describe_schedule_response(monitoring_type="DataQuality"):
    return {
        "MonitoringScheduleArn": SCHEDULE_ARN,
        "MonitoringScheduleName": SCHEDULE,
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": monitoring_type,
        "CreationTime": at(9),
        "LastModifiedTime": at(9),
        "EndpointName": ENDPOINT,
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": DEFINITION,
            "MonitoringType": monitoring_type,
        },
    }


def describe_definition_response():
    return {
        "JobDefinitionArn": f"{ARN}:data-quality-job-definition/{DEFINITION}",
        "JobDefinitionName": DEFINITION,
        "CreationTime": at(9),
        "DataQualityBaselineConfig": {
            "ConstraintsResource": {"S3Uri": f"{BASELINE}/constraints.json"},
            "StatisticsResource": {"S3Uri": f"{BASELINE}/statistics.json"},
        },
        "DataQualityAppSpecification": {"ImageUri": IMAGE},
        "DataQualityJobInput": {
            "EndpointInput": {"EndpointName": ENDPOINT, "LocalPath": "/opt/ml/processing/input"}
        },
        "DataQualityJobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": REPORTS, "LocalPath": "/opt/ml/processing/output"}}
            ]
        },
        "JobResources": {"ClusterConfig": CLUSTER},
        "RoleArn": ROLE,
    }


def execution_summaries(executions=EXECUTIONS):
    summaries = []
    for hour, status, job in executions:
        summary = {
            "MonitoringScheduleName": SCHEDULE,
            "ScheduledTime": at(hour),
            "CreationTime": at(hour).replace(minute=2),
            "LastModifiedTime": at(hour).replace(minute=19),
            "MonitoringExecutionStatus": status,
            "EndpointName": ENDPOINT,
            "MonitoringJobDefinitionName": DEFINITION,
            "MonitoringType": "DataQuality",
        }
        if job:
            summary["ProcessingJobArn"] = job_arn(job)
        if status == "Failed":
            summary["FailureReason"] = FAILURE
        summaries.append(summary)
    return summaries


def describe_processing_job_response(hour, job):
    return {
        "ProcessingJobName": job,
        "ProcessingJobArn": job_arn(job),
        "ProcessingJobStatus": "Completed",
        "CreationTime": at(hour),
        "ProcessingResources": {"ClusterConfig": CLUSTER},
        "AppSpecification": {"ImageUri": IMAGE},
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": output_prefix(hour),
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "MonitoringScheduleArn": SCHEDULE_ARN,
        "RoleArn": ROLE,
    }


def stubbed_sagemaker(executions=EXECUTIONS, count=5):
    client = boto3.client("sagemaker", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(
        "describe_monitoring_schedule",
        describe_schedule_response(),
        {"MonitoringScheduleName": SCHEDULE},
    )
    stubber.add_response(
        "describe_data_quality_job_definition",
        describe_definition_response(),
        {"JobDefinitionName": DEFINITION},
    )
    stubber.add_response(
        "list_monitoring_executions",
        {"MonitoringExecutionSummaries": execution_summaries(executions)},
        {
            "MonitoringScheduleName": SCHEDULE,
            "SortBy": "ScheduledTime",
            "SortOrder": "Descending",
            "MaxResults": count,
        },
    )
    for hour, status, job in executions:
        if job and status.startswith("Completed"):
            stubber.add_response(
                "describe_processing_job",
                describe_processing_job_response(hour, job),
                {"ProcessingJobName": job},
            )
    stubber.activate()
    return stubber


def clients(cloudformation, sagemaker):
    return cli.Clients(
        cloudformation=cloudformation,
        s3=boto3.client("s3", region_name=REGION),
        sagemaker=sagemaker,
        runtime=None,
        region=REGION,
    )


@pytest.fixture
def s3():
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        put_fixtures(client)
        yield client


def run_monitor(world, *extra):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["monitor", "--env", "dev", *extra], world, out, err)
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


EXPECTED_REPORT = """\
Model Monitor schedule apstudio-dev-data-quality (Scheduled, cron(0 * ? * * *)) on endpoint apstudio-dev-endpoint
baseline: s3://apstudio-dev-sagemaker-123456789012/monitoring/baseline/constraints.json, s3://apstudio-dev-sagemaker-123456789012/monitoring/baseline/statistics.json

Recent executions, newest first (3):
  scheduled (UTC)   status                   violations  failure reason
  2025-01-02 13:00  CompletedWithViolations  5
  2025-01-02 12:00  Completed                0
  2025-01-02 11:00  Failed                   -           Job inputs had no data

Violations of the 2025-01-02 13:00 execution (5),
reports in s3://apstudio-dev-sagemaker-123456789012/monitoring/reports/apstudio-dev-endpoint/apstudio-dev-data-quality/2025/01/02/13:
  feature    check                     constraint                                           baseline                                                                    observed
  duration   baseline_drift_check      distance <= 0.1 (Robust)                             mean 249.4, sd 257.5, range 1..2286                                         mean 519.4, sd 403.6, range 121..2246; distance 0.3921
  euribor3m  baseline_drift_check      distance <= 0.1 (Robust)                             mean 3.236, sd 1.768, range 0.835..5.011                                    mean 1.097, sd 0.286, range 0.609..1.596; distance 0.6875
  job        categorical_values_check  in the baseline domain (domain_content_threshold 1)  12 values: retired, unemployed, blue-collar, technician, entrepreneur, ...  9.0% of values outside it: gig-worker
  contact    completeness_check        completeness >= 100.0%                               100.0%                                                                      94.2%
  age        data_type_check           type Integral (datatype_check_threshold 1)           Integral                                                                    Fractional

Drift plot (duration, euribor3m, job): {plot}"""  # noqa: E501


def test_report_from_analyzer_shaped_outputs(s3, tmp_path):
    cloudformation = stubbed_stack(
        {"EndpointName": ENDPOINT, "MonitorMonitoringScheduleName1A2B3C4D": SCHEDULE}
    )
    sagemaker = stubbed_sagemaker()
    world = clients(cloudformation.client, sagemaker.client)

    code, out, err = run_monitor(world, "--out", str(tmp_path))

    assert code == 0, err
    cloudformation.assert_no_pending_responses()
    sagemaker.assert_no_pending_responses()
    plot = tmp_path / "monitor_drift.png"
    expected = EXPECTED_REPORT.format(plot=plot)
    assert out == f"{expected}\n\nwrote {tmp_path / 'monitor.txt'}\n"
    assert (tmp_path / "monitor.txt").read_text() == expected + "\n"
    # Three drifted features: two numeric and one categorical panel in a 2 x 2 grid.
    assert png_size(plot) == (1200, 720)


def test_explicit_schedule_name_needs_no_stack(s3, tmp_path):
    sagemaker = stubbed_sagemaker(executions=EXECUTIONS[1:], count=2)

    code, out, err = run_monitor(
        clients(None, sagemaker.client),
        *("--schedule-name", SCHEDULE, "--executions", "2", "--out", str(tmp_path)),
    )

    assert code == 0, err
    sagemaker.assert_no_pending_responses()
    assert "No violations in these executions." in out
    assert not (tmp_path / "monitor_drift.png").exists()


def test_stack_without_the_schedule_output(s3):
    cloudformation = stubbed_stack({"EndpointName": ENDPOINT})

    code, _, err = run_monitor(clients(cloudformation.client, None))

    assert code == 1
    assert err == (
        "error: stack AutopilotStudio-dev has no MonitoringScheduleName output: monitoring is "
        "off for environment 'dev' (monitor.enabled in config/environments.toml) or the stack "
        "predates it. Enable it and deploy, or pass --schedule-name.\n"
    )


def test_schedule_that_does_not_exist(s3):
    client = boto3.client("sagemaker", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_client_error(
        "describe_monitoring_schedule",
        "ResourceNotFound",
        f"Monitoring Schedule {SCHEDULE} not found",
        400,
        expected_params={"MonitoringScheduleName": SCHEDULE},
    )
    stubber.activate()

    code, _, err = run_monitor(clients(None, client), "--schedule-name", SCHEDULE)

    assert code == 1
    assert err.startswith(f"error: monitoring schedule {SCHEDULE} does not exist in us-east-1;")


def test_a_model_quality_schedule_is_refused(s3):
    client = boto3.client("sagemaker", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(
        "describe_monitoring_schedule",
        describe_schedule_response("ModelQuality"),
        {"MonitoringScheduleName": SCHEDULE},
    )
    stubber.activate()

    code, _, err = run_monitor(clients(None, client), "--schedule-name", SCHEDULE)

    assert code == 1
    assert "is a ModelQuality schedule; this report reads data-quality" in err


def test_baseline_from_a_schedule_with_an_inline_job_definition(s3, tmp_path):
    inline = describe_schedule_response()
    config = inline["MonitoringScheduleConfig"]
    del config["MonitoringJobDefinitionName"], config["MonitoringType"]
    definition = describe_definition_response()
    config["MonitoringJobDefinition"] = {
        "BaselineConfig": definition["DataQualityBaselineConfig"],
        "MonitoringInputs": [{"EndpointInput": definition["DataQualityJobInput"]["EndpointInput"]}],
        "MonitoringOutputConfig": definition["DataQualityJobOutputConfig"],
        "MonitoringResources": definition["JobResources"],
        "MonitoringAppSpecification": {"ImageUri": IMAGE},
        "RoleArn": ROLE,
    }
    client = boto3.client("sagemaker", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(
        "describe_monitoring_schedule", inline, {"MonitoringScheduleName": SCHEDULE}
    )
    run, _, job = EXECUTIONS[0]
    stubber.add_response(
        "list_monitoring_executions",
        {"MonitoringExecutionSummaries": execution_summaries(EXECUTIONS[:1])},
        {
            "MonitoringScheduleName": SCHEDULE,
            "SortBy": "ScheduledTime",
            "SortOrder": "Descending",
            "MaxResults": 1,
        },
    )
    stubber.add_response(
        "describe_processing_job",
        describe_processing_job_response(run, job),
        {"ProcessingJobName": job},
    )
    stubber.activate()

    code, out, err = run_monitor(
        clients(None, client),
        *("--schedule-name", SCHEDULE, "--executions", "1", "--out", str(tmp_path)),
    )

    assert code == 0, err
    stubber.assert_no_pending_responses()
    assert "mean 249.4, sd 257.5, range 1..2286" in out
    assert (tmp_path / "monitor_drift.png").exists()


def test_no_executions_yet(s3, tmp_path):
    sagemaker = stubbed_sagemaker(executions=[])

    code, out, err = run_monitor(
        clients(None, sagemaker.client), "--schedule-name", SCHEDULE, "--out", str(tmp_path)
    )

    assert code == 0, err
    assert "No executions yet" in out


def test_violations_file_missing_and_corrupt_json(s3, tmp_path):
    key = output_prefix(13).removeprefix(f"s3://{BUCKET}/") + "/constraint_violations.json"
    s3.delete_object(Bucket=BUCKET, Key=key)
    sagemaker = stubbed_sagemaker(executions=EXECUTIONS[:1])

    code, out, _ = run_monitor(
        clients(None, sagemaker.client), "--schedule-name", SCHEDULE, "--out", str(tmp_path)
    )

    assert code == 0
    assert "2025-01-02 13:00  CompletedWithViolations  ?" in out

    s3.put_object(Bucket=BUCKET, Key=key, Body=b"{not json")
    sagemaker = stubbed_sagemaker(executions=EXECUTIONS[:1])
    code, _, err = run_monitor(
        clients(None, sagemaker.client), "--schedule-name", SCHEDULE, "--out", str(tmp_path)
    )
    assert code == 1
    assert err == f"error: {output_prefix(13)}/constraint_violations.json is not JSON\n"


@pytest.mark.parametrize("count", ["0", "101", "x"])
def test_executions_must_be_between_1_and_100(count, capsys):
    with pytest.raises(SystemExit):
        cli.main(["monitor", "--executions", count])
    assert "--executions" in capsys.readouterr().err
