"""The Model Monitor baseline resource: every SageMaker call validated by Stubber."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor_baseline import handler
from monitor_baseline.handler import BaselineFailed
from monitor_baseline.spec import INPUT_PATH, OUTPUT_PATH, parse

ACCOUNT = "111111111111"
STACK_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/AutopilotStudio-dev/0a1b2c3d"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/execution"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PROPS = {
    "JobNamePrefix": "apstudio-dev-baseline",
    "BaselineDatasetUri": "s3://bucket/datasets/0123456789abcdef/baseline.csv",
    "OutputUri": "s3://bucket/monitoring/baseline",
    "ImageUri": IMAGE,
    "RoleArn": ROLE,
    "InstanceType": "ml.m5.xlarge",
    "InstanceCount": "1",
    "VolumeSizeInGB": "20",
    "MaxRuntimeInSeconds": "1800",
    "KmsKeyId": "",
    "Tags": [{"Key": "project", "Value": "autopilot-studio"}],
}


def event(request, physical_id=None, **props):
    result = {
        "RequestType": request,
        "StackId": STACK_ID,
        "LogicalResourceId": "MonitorBaseline6A92E778",
        "RequestId": "req",
        "ResourceProperties": {**PROPS, **props},
    }
    if physical_id is not None:
        result["PhysicalResourceId"] = physical_id
    return result


JOB = parse(event("Create")).job_name


def described(status, **extra):
    request = parse(event("Create")).request()
    request.pop("Tags")
    return {
        **request,
        "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:processing-job/{JOB}",
        "ProcessingJobStatus": status,
        "CreationTime": NOW,
        **extra,
    }


def expect_describe(sagemaker, status=None, **extra):
    if status is None:
        sagemaker.add_client_error(
            "describe_processing_job",
            "ValidationException",
            f"Could not find requested job with name {JOB}",
            400,
            None,
            {"ProcessingJobName": JOB},
        )
    else:
        sagemaker.add_response(
            "describe_processing_job", described(status, **extra), {"ProcessingJobName": JOB}
        )


def test_name_and_outputs_derive_from_the_event():
    spec = parse(event("Create"))
    assert spec.job_name.startswith("apstudio-dev-baseline-") and len(spec.job_name) <= 63
    digest = spec.job_name.rsplit("-", 1)[1]
    assert spec.statistics_uri == f"s3://bucket/monitoring/baseline/{digest}/statistics.json"
    assert spec.constraints_uri == f"s3://bucket/monitoring/baseline/{digest}/constraints.json"
    # Any input change gives a new job and a new output prefix.
    assert parse(event("Create", InstanceType="ml.m5.large")).job_name != spec.job_name


def test_create_starts_the_analyzer_with_its_container_contract(stub):
    sagemaker = stub("sagemaker")
    request = parse(event("Create")).request()
    assert request["Environment"] == {
        "dataset_format": json.dumps({"csv": {"header": True}}),
        "dataset_source": INPUT_PATH,
        "output_path": OUTPUT_PATH,
        "publish_cloudwatch_metrics": "Disabled",
    }
    sagemaker.add_response("create_processing_job", {"ProcessingJobArn": "arn:job"}, request)
    assert handler.on_event(event("Create")) == {"PhysicalResourceId": JOB}


def test_create_encrypts_output_and_volume_with_the_stack_key(stub):
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"
    request = parse(event("Create", KmsKeyId=key)).request()
    assert request["ProcessingOutputConfig"]["KmsKeyId"] == key
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
    stub("sagemaker").add_response("create_processing_job", {"ProcessingJobArn": "a"}, request)
    handler.on_event(event("Create", KmsKeyId=key))


def test_a_retried_create_adopts_the_running_job(stub):
    sagemaker = stub("sagemaker")
    sagemaker.add_client_error(
        "create_processing_job",
        "ValidationException",
        "Job name must be unique within an AWS account and region, and a job with this name "
        "already exists",
    )
    assert handler.on_event(event("Create")) == {"PhysicalResourceId": JOB}


def test_a_failed_create_stops_whatever_it_may_have_started(stub):
    sagemaker = stub("sagemaker")
    sagemaker.add_client_error("create_processing_job", "InternalFailure", "try again", 500)
    sagemaker.add_response("stop_processing_job", {}, {"ProcessingJobName": JOB})
    with pytest.raises(Exception, match="InternalFailure"):
        handler.on_event(event("Create"))


def test_is_complete_waits_then_returns_the_baseline_uris(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, "InProgress")
    expect_describe(sagemaker, "Completed", ExitMessage="Completed")
    create = {**event("Create"), "PhysicalResourceId": JOB}
    assert handler.is_complete(create) == {"IsComplete": False}
    result = handler.is_complete(create)
    assert result["IsComplete"] is True
    assert result["Data"]["StatisticsS3Uri"].endswith("/statistics.json")
    assert result["Data"]["Digest"] == JOB.rsplit("-", 1)[1]


def test_a_failed_job_names_its_reason_and_what_to_change(stub):
    sagemaker = stub("sagemaker")
    reason = "AlgorithmError: Error: Encoding mismatch: header row has 20 columns, data has 21"
    expect_describe(sagemaker, "Failed", FailureReason=reason)
    with pytest.raises(BaselineFailed) as raised:
        handler.is_complete({**event("Create"), "PhysicalResourceId": JOB})
    assert reason in str(raised.value) and "monitor.instance_type" in str(raised.value)


def test_delete_stops_a_running_job_and_waits_until_it_ended(stub):
    sagemaker = stub("sagemaker")
    sagemaker.add_response("stop_processing_job", {}, {"ProcessingJobName": JOB})
    expect_describe(sagemaker, "Stopping")
    expect_describe(sagemaker, "Stopped")
    delete = event("Delete", JOB)
    assert handler.on_event(delete) == {"PhysicalResourceId": JOB}
    assert handler.is_complete(delete) == {"IsComplete": False}
    assert handler.is_complete(delete) == {"IsComplete": True}


def test_delete_with_an_invented_physical_id_recomputes_the_job_name(stub):
    sagemaker = stub("sagemaker")
    invented = "AutopilotStudio-dev-MonitorBaseline6A92E778-ABCDEF123456"
    sagemaker.add_response("stop_processing_job", {}, {"ProcessingJobName": JOB})
    expect_describe(sagemaker, "InProgress")
    sagemaker.add_response("stop_processing_job", {}, {"ProcessingJobName": JOB})
    expect_describe(sagemaker, None)
    delete = event("Delete", invented)
    assert handler.on_event(delete) == {"PhysicalResourceId": invented}
    assert handler.is_complete(delete) == {"IsComplete": False}
    assert handler.is_complete(delete) == {"IsComplete": True}


def test_delete_of_a_job_that_is_gone_is_done(stub):
    sagemaker = stub("sagemaker")
    sagemaker.add_client_error(
        "stop_processing_job", "ValidationException", f"Could not find job {JOB}"
    )
    expect_describe(sagemaker, None)
    delete = event("Delete", JOB)
    handler.on_event(delete)
    assert handler.is_complete(delete) == {"IsComplete": True}
