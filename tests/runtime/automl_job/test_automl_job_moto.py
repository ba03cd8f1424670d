"""The AutoML job lifecycle on moto; the test drives the job's status itself."""

from __future__ import annotations

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from automl_job import handler, naming
from tests.fixtures import event_builder
from tests.runtime.automl_job.responses import (
    PROPS,
    REGION,
    STACK_ID,
    TRAIN_URI,
    WAIT_PROPS,
    create_wait_state_machine,
    ensembling_candidate,
)

event = event_builder(
    {**PROPS, **WAIT_PROPS},
    logical_id="AutoMLJob",
    resource_type="Custom::AutoMLJob",
    stack_id=STACK_ID,
)


def moto_clients_executions() -> list[dict]:
    import boto3

    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return sfn.list_executions(stateMachineArn=machine)["executions"]


def backend_job(name: str):
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].auto_ml_jobs[name]


@pytest.fixture
def sagemaker(moto_clients):
    create_wait_state_machine(moto_clients)
    return moto_clients("sagemaker")


def test_create_poll_complete_and_delete(sagemaker):
    name = handler.on_event(event("Create"), None)["PhysicalResourceId"]

    created = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert created["AutoMLJobInputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == (
        TRAIN_URI
    )
    assert created["AutoMLProblemTypeConfig"]["TabularJobConfig"]["Mode"] == "ENSEMBLING"
    # The wait condition waits for the job; the resource is complete at once.
    assert handler.is_complete(event("Create", name), None) == {"IsComplete": True}
    executions = moto_clients_executions()
    assert [e["name"] for e in executions] == [
        naming.execution_name(name, WAIT_PROPS["WaitHandleUrl"])
    ]

    job = backend_job(name)
    job.auto_ml_job_status = "Completed"
    job.auto_ml_job_secondary_status = "MaxCandidatesReached"
    job.best_candidate = ensembling_candidate(name)

    role = PROPS["RoleArn"]
    result_event = {
        **event("Create"),
        "ResourceType": "Custom::AutoMLJobResult",
        "ResourceProperties": {
            "JobName": name,
            "JobNamePrefix": PROPS["JobNamePrefix"],
            "RoleArn": role,
            "InferenceResponseKeys": ["predicted_label", "probability"],
        },
    }
    result = handler.on_event(result_event, None)
    model = result["PhysicalResourceId"]
    assert result == {
        "PhysicalResourceId": model,
        "Data": {
            "JobName": name,
            "JobArn": created["AutoMLJobArn"],
            "BestCandidateName": "WeightedEnsemble-L3-FULL-t1",
            "ObjectiveMetricName": "F1",
            "ObjectiveMetricValue": "0.6364",
            "InferenceContainerCount": "1",
            "ProblemType": "BinaryClassification",
            "ModelName": model,
        },
    }
    served = sagemaker.describe_model(ModelName=model)
    assert served["ExecutionRoleArn"] == role
    (container,) = served["Containers"]
    assert container["Environment"]["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label,probability"
    assert handler.on_event({**result_event, "RequestType": "Delete", "PhysicalResourceId": model})
    assert sagemaker.list_models()["Models"] == []

    assert handler.on_event(event("Delete", name), None) == {"PhysicalResourceId": name}
    assert backend_job(name).auto_ml_job_status == "Completed"
    assert handler.is_complete(event("Delete", name), None) == {"IsComplete": True}


def test_delete_stops_a_running_job(sagemaker):
    name = handler.on_event(event("Create"), None)["PhysicalResourceId"]
    assert backend_job(name).auto_ml_job_status == "InProgress"

    handler.on_event(event("Delete", name), None)

    assert sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)["AutoMLJobStatus"] == "Stopped"
    assert [e["status"] for e in moto_clients_executions()] == ["ABORTED"]
    assert handler.is_complete(event("Delete", name), None) == {"IsComplete": True}
    handler.on_event(event("Delete", name), None)


def test_create_whose_wait_cannot_start_stops_its_job(sagemaker, monkeypatch):
    """Create raising is never followed by a Delete here: it must not leave a job running."""
    props = {"StateMachineArn": WAIT_PROPS["StateMachineArn"] + "-gone"}
    with pytest.raises(Exception, match=r"StateMachineDoesNotExist|does not exist"):
        handler.on_event(event("Create", **props), None)
    (job,) = sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"]
    assert job["AutoMLJobStatus"] == "Stopped"


def test_retried_create_adopts_its_own_job(sagemaker):
    first = handler.on_event(event("Create"), None)["PhysicalResourceId"]
    second = handler.on_event(event("Create"), None)["PhysicalResourceId"]
    assert first == second
    assert len(sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"]) == 1


def test_update_with_new_inputs_makes_a_second_job_and_deletes_nothing(sagemaker):
    first = handler.on_event(event("Create"), None)["PhysicalResourceId"]
    second = handler.on_event(event("Update", first, MaxCandidates="20"), None)[
        "PhysicalResourceId"
    ]
    assert second != first
    names = {job["AutoMLJobName"] for job in sagemaker.list_auto_ml_jobs()["AutoMLJobSummaries"]}
    assert names == {first, second}
    assert backend_job(first).auto_ml_job_status == "InProgress"


def test_tags_reach_the_job(sagemaker):
    name = handler.on_event(event("Create"), None)["PhysicalResourceId"]
    arn = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)["AutoMLJobArn"]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == PROPS["Tags"]


def test_delete_of_unknown_job_is_done(sagemaker):
    assert handler.on_event(event("Delete", "apstudio-dev-0123456789abcdef012"), None) == {
        "PhysicalResourceId": "apstudio-dev-0123456789abcdef012"
    }
