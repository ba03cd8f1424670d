"""The deploy progress view, driven by Stubber-recorded stack, job and endpoint states."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from cli import progress
from cli.evaluate import main

STACK = "AutopilotStudio-dev"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/0f1e2d3c"
JOB = "apstudio-dev-0123456789abcdef0123"
ENDPOINT = "apstudio-dev-endpoint"
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


ENDPOINT_ARN_PREFIX = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/"


def _stack(cfn: Stubber, status: str, job: bool = True, endpoint: bool = False) -> None:
    cfn.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {"StackName": STACK, "StackId": STACK_ID, "CreationTime": T0, "StackStatus": status}
            ]
        },
        {"StackName": STACK},
    )
    summaries = [
        {
            "LogicalResourceId": "DataBucket",
            "PhysicalResourceId": "sagemaker-bucket",
            "ResourceType": "AWS::S3::Bucket",
            "LastUpdatedTimestamp": T0,
            "ResourceStatus": "CREATE_COMPLETE",
        }
    ]
    if job:
        summaries.append(
            {
                "LogicalResourceId": "AutoMLResource",
                "PhysicalResourceId": JOB,
                "ResourceType": "Custom::AutoMLJob",
                "LastUpdatedTimestamp": T0,
                "ResourceStatus": "CREATE_COMPLETE",
            }
        )
    if endpoint:
        summaries.append(
            {
                "LogicalResourceId": "EndpointResource",
                "PhysicalResourceId": f"{ENDPOINT_ARN_PREFIX}{ENDPOINT}",
                "ResourceType": "AWS::SageMaker::Endpoint",
                "LastUpdatedTimestamp": T0,
                "ResourceStatus": "CREATE_IN_PROGRESS",
            }
        )
    cfn.add_response(
        "list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK}
    )


def _job(
    sm: Stubber, status: str, secondary: str, minutes: int, candidates: list[float], **extra
) -> None:
    job = {
        "AutoMLJobName": JOB,
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{JOB}",
        "AutoMLJobInputDataConfig": [
            {
                "ChannelType": "training",
                "ContentType": "text/csv;header=present",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t.csv"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://b/out/"},
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "AutoMLProblemTypeConfig": {
            "TabularJobConfig": {
                "TargetAttributeName": "y",
                "CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 14400},
            }
        },
        "CreationTime": T0,
        "LastModifiedTime": T0 + timedelta(minutes=minutes),
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        **extra,
    }
    if status in progress.ENDED:
        job["EndTime"] = T0 + timedelta(minutes=minutes)
    sm.add_response("describe_auto_ml_job_v2", job, {"AutoMLJobName": JOB})
    sm.add_response(
        "list_candidates_for_auto_ml_job",
        {
            "Candidates": [
                {
                    "CandidateName": f"{JOB[:20]}-tuning-{i:03d}",
                    "FinalAutoMLJobObjectiveMetric": {
                        "MetricName": "F1",
                        "Value": value,
                        "Type": "Maximize",
                    },
                    "ObjectiveStatus": "Succeeded",
                    "CandidateSteps": [],
                    "CandidateStatus": "Completed",
                    "CreationTime": T0,
                    "LastModifiedTime": T0,
                }
                for i, value in enumerate(candidates)
            ]
        },
        {"AutoMLJobName": JOB, "StatusEquals": "Completed"},
    )


def _endpoint(sm: Stubber, status: str) -> None:
    sm.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
            "EndpointStatus": status,
            "CreationTime": T0,
            "LastModifiedTime": T0,
        },
        {"EndpointName": ENDPOINT},
    )


@pytest.fixture
def clients():
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    sm = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(cfn) as cfn_stub, Stubber(sm) as sm_stub:
        yield cfn, sm, cfn_stub, sm_stub
        cfn_stub.assert_no_pending_responses()
        sm_stub.assert_no_pending_responses()


def _completed_deploy(cfn_stub, sm_stub) -> None:
    _stack(cfn_stub, "CREATE_IN_PROGRESS", job=False)
    for minutes, secondary, candidates in (
        (2, "AnalyzingData", []),
        (20, "FeatureEngineering", []),
        (90, "ModelTuning", [0.61, 0.64, 0.58]),
    ):
        _stack(cfn_stub, "CREATE_IN_PROGRESS")
        _job(sm_stub, "InProgress", secondary, minutes, candidates)
    _stack(cfn_stub, "CREATE_IN_PROGRESS", endpoint=True)
    _job(sm_stub, "Completed", "Completed", 120, [0.61, 0.64, 0.58, 0.66])
    _endpoint(sm_stub, "Creating")
    _stack(cfn_stub, "CREATE_COMPLETE", endpoint=True)
    _job(sm_stub, "Completed", "Completed", 120, [0.61, 0.64, 0.58, 0.66])
    _endpoint(sm_stub, "InService")


def _clock(*minutes: int):
    """One reading per poll: the minutes since the job was created."""
    ticks = iter(minutes or (2, 20, 90, 120, 125, 130))
    return lambda: T0 + timedelta(minutes=next(ticks))


def test_plain_log_shows_each_stage_and_ends_when_the_deploy_has_finished(clients):
    cfn, sm, cfn_stub, sm_stub = clients
    _completed_deploy(cfn_stub, sm_stub)
    out, slept = io.StringIO(), []
    clock = _clock(0, 2, 20, 90, 120, 125)
    last = progress.watch(cfn, sm, STACK, out, sleep=slept.append, now=clock, live=False)
    lines = out.getvalue().splitlines()
    assert len(lines) == 6 and len(slept) == 5
    assert "AutoML" not in lines[0] and "stack CREATE_IN_PROGRESS" in lines[0]
    for line, stage in zip(
        lines[1:4], ("AnalyzingData", "FeatureEngineering", "ModelTuning"), strict=True
    ):
        assert f"InProgress/{stage}" in line
    assert "elapsed 1:30:00 of 4:00:00; candidates 3; best F1 0.6400" in lines[3]
    assert (
        "Completed/Completed" in lines[4] and "endpoint apstudio-dev-endpoint Creating" in lines[4]
    )
    assert lines[5].endswith("endpoint apstudio-dev-endpoint InService")
    assert "best F1 0.6600" in lines[5]
    assert (last.stack_status, last.job_status) == ("CREATE_COMPLETE", "Completed")


@pytest.mark.parametrize("outcome", ["Failed", "Stopped"])
def test_a_job_that_fails_or_stops_ends_the_view_with_the_rollback(clients, outcome):
    cfn, sm, cfn_stub, sm_stub = clients
    reason = {"FailureReason": "ClientError: fewer than 500 rows"} if outcome == "Failed" else {}
    _stack(cfn_stub, "CREATE_IN_PROGRESS")
    _job(sm_stub, "InProgress", "AnalyzingData", 3, [])
    _stack(cfn_stub, "ROLLBACK_IN_PROGRESS")
    _job(sm_stub, outcome, outcome, 5, [], **reason)
    _stack(cfn_stub, "ROLLBACK_COMPLETE")
    _job(sm_stub, outcome, outcome, 5, [], **reason)
    out = io.StringIO()
    last = progress.watch(cfn, sm, STACK, out, sleep=lambda _: None, now=_clock(), live=False)
    lines = out.getvalue().splitlines()
    assert f"{outcome}/{outcome}" in lines[-1] and "stack ROLLBACK_COMPLETE" in lines[-1]
    if outcome == "Failed":
        assert "reason: ClientError: fewer than 500 rows" in lines[-1]
    assert last.job_status == outcome


def test_live_view_draws_the_bar_and_the_stage(clients, monkeypatch):
    from rich.console import Console

    cfn, sm, cfn_stub, sm_stub = clients
    _completed_deploy(cfn_stub, sm_stub)
    frames = []
    original = progress.render
    monkeypatch.setattr(progress, "render", lambda snap: frames.append(snap) or original(snap))
    out = io.StringIO()
    clock = _clock(0, 2, 20, 90, 120, 125)
    progress.watch(cfn, sm, STACK, out, sleep=lambda _: None, now=clock, live=True)

    def drawn(snapshot) -> str:
        console = Console(file=io.StringIO(), width=120, color_system=None)
        console.print(original(snapshot))
        return console.file.getvalue()

    assert len(frames) == 6
    assert "not started yet" in drawn(frames[0])
    stages = ("AnalyzingData", "FeatureEngineering", "ModelTuning")
    for frame, stage in zip(frames[1:4], stages, strict=True):
        assert stage in drawn(frame) and "budget used" in drawn(frame)
    assert "1:30:00 of 4:00:00" in drawn(frames[3]) and "F1 0.6400" in drawn(frames[3])
    assert "InService" in drawn(frames[-1])
    # The last frame stays on screen once the deploy has finished.
    assert "InService" in out.getvalue()


def test_a_stack_not_created_yet_is_waited_for(clients):
    cfn, sm, cfn_stub, _ = clients
    cfn_stub.add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist", 400
    )
    _stack(cfn_stub, "CREATE_COMPLETE", job=False)
    out = io.StringIO()
    progress.watch(cfn, sm, STACK, out, sleep=lambda _: None, now=_clock(), live=False)
    assert "stack NOT_CREATED" in out.getvalue().splitlines()[0]


def test_cli_runs_progress_with_the_stack_of_the_environment(clients):
    from cli.evaluate import Clients

    cfn, sm, cfn_stub, _ = clients
    _stack(cfn_stub, "UPDATE_COMPLETE", job=False)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["progress", "--env", "dev", "--interval", "0"],
        Clients(cloudformation=cfn, s3=None, sagemaker=sm, runtime=None, region="us-east-1"),
        out,
        err,
    )
    assert (code, err.getvalue()) == (0, "")
    assert "stack UPDATE_COMPLETE" in out.getvalue()
