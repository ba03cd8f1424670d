"""Every SageMaker call of the AutoML job handler, checked against botocore's model."""

from __future__ import annotations

import json
import logging

import pytest
from botocore.exceptions import ClientError

from automl_job import handler, naming
from automl_job.spec import JobSpec
from automl_job.status import JobFailedError
from cr_support.properties import PropertyError
from tests.fixtures import cfn_event, expect_error
from tests.runtime.automl_job.responses import (
    CRITERIA,
    KMS_KEY,
    OUTPUT_URI,
    PROPS,
    ROLE_ARN,
    STACK_ID,
    TRAIN_URI,
    WAIT_PROPS,
    described,
    ensembling_candidate,
    hpo_candidate,
    job_arn,
    training_channel,
)

NAME = JobSpec.from_properties(PROPS).job_name(STACK_ID, "AutoMLJob")
STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:AutoMLWait-abc"
HANDLE = (
    "https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/arn%3Aaws?X-Amz-Signature=1"
)
WAIT = {"StateMachineArn": STATE_MACHINE, "WaitHandleUrl": HANDLE}


def expect_start(stub, name: str = NAME) -> None:
    stub("stepfunctions").add_response(
        "start_execution",
        {"executionArn": f"{STATE_MACHINE}:x", "startDate": "2025-06-02T09:00:00Z"},
        {
            "stateMachineArn": STATE_MACHINE,
            "name": naming.execution_name(name, HANDLE),
            "input": json.dumps({"JobName": name, "WaitHandleUrl": HANDLE}),
        },
    )


def result_event(request_type: str = "Create", name: str = NAME) -> dict:
    """The Custom::AutoMLJobResult resource, read once the wait condition succeeded."""
    return {
        **event(request_type),
        "ResourceType": "Custom::AutoMLJobResult",
        "ResourceProperties": {
            "ServiceToken": PROPS["ServiceToken"],
            "JobName": name,
            "JobNamePrefix": "apstudio-dev",
            "WaitCondition": "arn:aws:cloudformation:us-east-1:123456789012:stack/x/wc",
            "RoleArn": ROLE,
            "InferenceResponseKeys": ["predicted_label", "probability"],
            "Tags": [{"Key": "project", "Value": "autopilot-studio"}],
        },
    }


ROLE = "arn:aws:iam::123456789012:role/apstudio-dev-execution"


def expect_model(sagemaker, best: dict, keys=("predicted_label", "probability")) -> str:
    """The CreateModel request for the best candidate, with the keys wired; its name."""
    from automl_job import containers, model

    name = model.model_name(
        "apstudio-dev", job=NAME, candidate=best["CandidateName"], keys=list(keys), role=ROLE
    )
    sagemaker.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:us-east-1:123456789012:model/{name}"},
        {
            "ModelName": name,
            "Containers": containers.wire_response_keys(best["InferenceContainers"], keys),
            "ExecutionRoleArn": ROLE,
            "Tags": [{"Key": "project", "Value": "autopilot-studio"}],
        },
    )
    return name


HINT = "SageMaker never reuses a job name, so change an input or JobNamePrefix to run a new job"


def event(request_type: str, physical_id: str | None = None, old: dict | None = None, **props):
    return cfn_event(
        request_type,
        {**PROPS, **props},
        logical_id="AutoMLJob",
        resource_type="Custom::AutoMLJob",
        physical_id=physical_id,
        old_properties=old,
        stack_id=STACK_ID,
    )


def expect_describe(sagemaker, response: dict, name: str = NAME) -> None:
    sagemaker.add_response("describe_auto_ml_job_v2", response, {"AutoMLJobName": name})


def expect_job_error(
    sagemaker, operation: str, code: str, message: str = "", name: str = NAME
) -> None:
    """``operation`` on job ``name`` fails with ``code``."""
    expect_error(sagemaker, operation, code, message, AutoMLJobName=name)


def expected_create(
    name: str, *, tabular: dict | None = None, output: dict | None = None, **extra
) -> dict:
    """The CreateAutoMLJobV2 request for PROPS, with ``tabular``/``output``/``extra`` added."""
    return {
        "AutoMLJobName": name,
        "AutoMLJobInputDataConfig": [training_channel(TRAIN_URI)],
        "OutputDataConfig": {"S3OutputPath": OUTPUT_URI, **(output or {})},
        "AutoMLProblemTypeConfig": {
            "TabularJobConfig": {
                "TargetAttributeName": "y",
                "Mode": "ENSEMBLING",
                "CompletionCriteria": dict(CRITERIA),
                **(tabular or {}),
            }
        },
        "RoleArn": ROLE_ARN,
        **extra,
    }


def expect_create(sagemaker, name: str, request: dict) -> None:
    """CreateAutoMLJobV2 of job ``name``, exactly ``request``."""
    sagemaker.add_response("create_auto_ml_job_v2", {"AutoMLJobArn": job_arn(name)}, request)


def test_create_sends_the_exact_request(stub):
    sagemaker = stub("sagemaker")
    expect_create(
        sagemaker,
        NAME,
        expected_create(
            NAME,
            tabular={"ProblemType": "BinaryClassification"},
            AutoMLJobObjective={"MetricName": "F1"},
            Tags=[{"Key": "project", "Value": "autopilot-studio"}],
        ),
    )
    expect_start(stub)
    assert handler.on_event(event("Create", **WAIT), None) == {
        "PhysicalResourceId": NAME,
        "Data": {"JobName": NAME, "CreatedByUpdate": "false"},
    }


def test_create_with_kms_and_inferred_problem_type(stub):
    props = {"KmsKeyId": KMS_KEY, "ProblemType": "", "Objective": "", "Tags": []}
    name = JobSpec.from_properties({**PROPS, **props}).job_name(STACK_ID, "AutoMLJob")
    assert name != NAME
    sagemaker = stub("sagemaker")
    expect_create(
        sagemaker,
        name,
        expected_create(
            name,
            output={"KmsKeyId": KMS_KEY},
            SecurityConfig={"VolumeKmsKeyId": KMS_KEY},
        ),
    )
    expect_start(stub, name)
    assert handler.on_event(event("Create", **props, **WAIT), None)["PhysicalResourceId"] == name


def in_use(sagemaker) -> None:
    expect_error(
        sagemaker,
        "create_auto_ml_job_v2",
        "ResourceInUse",
        f"Resource Already Exists: Auto ML Job with name {NAME} already exists.",
    )


def test_duplicate_name_with_same_inputs_is_adopted(stub):
    sagemaker = stub("sagemaker")
    in_use(sagemaker)
    expect_describe(sagemaker, described(NAME))
    expect_start(stub)
    assert handler.on_event(event("Create", **WAIT), None)["PhysicalResourceId"] == NAME


def test_duplicate_name_with_other_inputs_is_rejected(stub):
    sagemaker = stub("sagemaker")
    in_use(sagemaker)
    other = "s3://someone-else/train.csv"
    expect_describe(sagemaker, described(NAME, training_uri=other, target="label"))
    with pytest.raises(RuntimeError) as raised:
        handler.on_event(event("Create"), None)
    assert str(raised.value) == (
        f"AutoML job name {NAME} is already taken by a job with different inputs "
        f"(training data '{other}'; target 'label'); job names can never be reused, so "
        "change JobNamePrefix or an input"
    )


def test_quota_errors_propagate(stub):
    sagemaker = stub("sagemaker")
    expect_error(
        sagemaker,
        "create_auto_ml_job_v2",
        "ResourceLimitExceeded",
        "The account-level service limit 'Number of concurrent AutoML jobs' is 1",
    )
    with pytest.raises(ClientError, match="Number of concurrent AutoML jobs"):
        handler.on_event(event("Create"), None)


def test_update_without_job_changes_keeps_the_job(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME, "Completed", "Completed"))
    response = handler.on_event(event("Update", NAME, old=dict(PROPS)), None)
    assert response["PhysicalResourceId"] == NAME


def test_update_of_tags_only_syncs_tags_in_place(stub):
    sagemaker = stub("sagemaker")
    old = {**PROPS, "Tags": [{"Key": "project", "Value": "x"}, {"Key": "owner", "Value": "me"}]}
    expect_describe(sagemaker, described(NAME, "Completed", "Completed"))
    sagemaker.add_response("delete_tags", {}, {"ResourceArn": job_arn(NAME), "TagKeys": ["owner"]})
    sagemaker.add_response(
        "add_tags",
        {"Tags": PROPS["Tags"]},
        {"ResourceArn": job_arn(NAME), "Tags": [{"Key": "project", "Value": "autopilot-studio"}]},
    )
    assert handler.on_event(event("Update", NAME, old=old), None)["PhysicalResourceId"] == NAME


def test_update_with_changed_inputs_creates_a_new_job(stub):
    new_uri = TRAIN_URI.replace("0123456789abcdef", "fedcba9876543210")
    new_name = JobSpec.from_properties({**PROPS, "TrainingDataUri": new_uri}).job_name(
        STACK_ID, "AutoMLJob"
    )
    sagemaker = stub("sagemaker")
    expect_create(
        sagemaker,
        new_name,
        JobSpec.from_properties({**PROPS, "TrainingDataUri": new_uri}).create_request(new_name),
    )
    expect_start(stub, new_name)
    response = handler.on_event(
        event("Update", NAME, old=dict(PROPS), TrainingDataUri=new_uri, **WAIT), None
    )
    assert response["PhysicalResourceId"] == new_name != NAME


@pytest.mark.parametrize(
    ("status", "secondary"),
    [("InProgress", "Starting"), ("InProgress", "TrainingModels"), ("Stopping", "Stopping")],
)
def test_result_of_a_running_job_fails_clearly(stub, status, secondary):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME, status, secondary))
    with pytest.raises(JobFailedError, match=f"AutoML job {NAME} is still {status}"):
        handler.on_event(result_event(), None)


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_complete_at_once_the_wait_condition_waits(stub, request_type):
    assert handler.is_complete(event(request_type, NAME), None) == {"IsComplete": True}


def test_completed_ensembling_job_returns_its_results_and_serves_them_as_a_model(stub):
    sagemaker = stub("sagemaker")
    best = ensembling_candidate(NAME)
    expect_describe(sagemaker, described(NAME, "Completed", "Completed", best=best))
    model = expect_model(sagemaker, best)
    assert model.startswith("apstudio-dev-m-") and len(model) == len("apstudio-dev-m-") + 10
    assert handler.on_event(result_event(), None) == {
        "PhysicalResourceId": model,
        "Data": {
            "ModelName": model,
            "JobName": NAME,
            "JobArn": job_arn(NAME),
            "BestCandidateName": "WeightedEnsemble-L3-FULL-t1",
            "ObjectiveMetricName": "F1",
            "ObjectiveMetricValue": "0.6364",
            "InferenceContainerCount": "1",
            "ProblemType": "BinaryClassification",
        },
    }


def test_completed_hpo_job_with_inferred_problem_type(stub):
    sagemaker = stub("sagemaker")
    response = described(
        NAME, "Completed", "MaxAutoMLJobRuntimeReached", problem_type=None, best=hpo_candidate(NAME)
    )
    response["ResolvedAttributes"]["AutoMLProblemTypeResolvedAttributes"] = {
        "TabularResolvedAttributes": {"ProblemType": "MulticlassClassification"}
    }
    expect_describe(sagemaker, response)
    expect_model(sagemaker, hpo_candidate(NAME))
    data = handler.on_event(result_event(), None)["Data"]
    assert data["InferenceContainerCount"] == "3"
    assert data["ProblemType"] == "MulticlassClassification"
    assert data["ObjectiveMetricValue"] == "0.612"
    assert data["BestCandidateName"] == f"{NAME[:20]}-tuning-003-a1b2c3d4"


FAILURE_REASON = (
    "ClientError: The training data must have at least 500 rows, but only 312 rows were "
    "found. Provide more data and try again."
)


@pytest.mark.parametrize(
    ("status", "secondary", "reason", "message"),
    [
        (
            "Completed",
            "MaxAutoMLJobRuntimeReached",
            None,
            f"AutoML job {NAME} completed without a best candidate (secondary status: "
            "MaxAutoMLJobRuntimeReached); no candidate finished training: raise "
            "MaxAutoMLJobRuntimeInSeconds or MaxRuntimePerTrainingJobInSeconds, and check the "
            f"data; {HINT}",
        ),
        (
            "Failed",
            "Failed",
            FAILURE_REASON,
            f"AutoML job {NAME} failed: {FAILURE_REASON} ({HINT})",
        ),
        (
            "Stopped",
            "Stopped",
            None,
            f"AutoML job {NAME} was stopped before completing (secondary status: Stopped); {HINT}",
        ),
    ],
    ids=["completed-without-best-candidate", "failed-with-the-aws-reason", "stopped"],
)
def test_an_unusable_job_fails_the_deploy_saying_what_to_change(
    stub, status, secondary, reason, message
):
    sagemaker = stub("sagemaker")
    extra = {"failure_reason": reason} if reason else {}
    expect_describe(sagemaker, described(NAME, status, secondary, **extra))
    with pytest.raises(JobFailedError) as raised:
        handler.on_event(result_event(), None)
    assert str(raised.value) == message


def test_result_delete_touches_nothing(stub):
    assert handler.on_event(result_event("Delete"), None)["PhysicalResourceId"] == ""


def test_result_refuses_a_job_of_another_stack(stub):
    with pytest.raises(PropertyError, match="not this stack's job"):
        handler.on_event(result_event(name="someone-else-0123"), None)


def test_delete_stops_the_job_and_its_wait_execution(stub):
    sagemaker = stub("sagemaker")
    stub("stepfunctions").add_response(
        "stop_execution",
        {"stopDate": "2025-06-02T09:00:00Z"},
        {
            "executionArn": STATE_MACHINE.replace(":stateMachine:", ":execution:")
            + f":{naming.execution_name(NAME, HANDLE)}",
            "cause": "the AutoML custom resource was deleted",
        },
    )
    expect_describe(sagemaker, described(NAME))
    sagemaker.add_response("stop_auto_ml_job", {}, {"AutoMLJobName": NAME})
    assert handler.on_event(event("Delete", NAME, **WAIT), None) == {"PhysicalResourceId": NAME}


@pytest.mark.parametrize("code", ["ExecutionDoesNotExist", "ValidationException"])
def test_delete_of_an_ended_or_missing_execution_is_done(stub, code):
    sagemaker = stub("sagemaker")
    stub("stepfunctions").add_client_error("stop_execution", service_error_code=code)
    expect_describe(sagemaker, described(NAME, "Completed", "Completed"))
    assert handler.on_event(event("Delete", NAME, **WAIT), None) == {"PhysicalResourceId": NAME}


def test_tag_only_update_with_a_new_handle_starts_a_new_wait(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME, "Completed", "Completed"))
    expect_start(stub)
    old = {**PROPS, "StateMachineArn": STATE_MACHINE, "WaitHandleUrl": "https://old.invalid/"}
    assert handler.on_event(event("Update", NAME, old=old, **WAIT), None)["Data"] == {
        "JobName": NAME
    }


def test_other_describe_errors_fail(stub):
    sagemaker = stub("sagemaker")
    expect_job_error(
        sagemaker, "describe_auto_ml_job_v2", "AccessDeniedException", "not authorized"
    )
    with pytest.raises(ClientError, match="AccessDeniedException"):
        handler.on_event(result_event(), None)


# Delete


def test_delete_stops_a_running_job(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME, "InProgress", "TrainingModels"))
    sagemaker.add_response("stop_auto_ml_job", {}, {"AutoMLJobName": NAME})
    assert handler.on_event(event("Delete", NAME), None) == {"PhysicalResourceId": NAME}


@pytest.mark.parametrize("status", ["Completed", "Failed", "Stopped", "Stopping"])
def test_delete_leaves_a_finished_job_alone(stub, status):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME, status, status))
    assert handler.on_event(event("Delete", NAME), None) == {"PhysicalResourceId": NAME}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceNotFound", f"Could not find AutoML job with name {NAME}."),
        ("ValidationException", f"Job {NAME} does not exist."),
    ],
)
def test_delete_of_a_missing_job_is_done(stub, code, message):
    sagemaker = stub("sagemaker")
    expect_job_error(sagemaker, "describe_auto_ml_job_v2", code, message)
    assert handler.on_event(event("Delete", NAME), None) == {"PhysicalResourceId": NAME}


def test_delete_when_job_vanishes_before_stop(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME))
    expect_job_error(sagemaker, "stop_auto_ml_job", "ResourceNotFound")
    handler.on_event(event("Delete", NAME), None)


def test_throttled_stop_is_retried_by_the_delete_poll_until_the_job_stops(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME))
    expect_job_error(sagemaker, "stop_auto_ml_job", "ThrottlingException", "Rate exceeded")
    response = handler.on_event(event("Delete", NAME), None)
    assert response == {"PhysicalResourceId": NAME, "Data": {"StopPending": "true"}}
    poll = {**event("Delete", NAME), **response}
    expect_describe(sagemaker, described(NAME))
    sagemaker.add_response("stop_auto_ml_job", {}, {"AutoMLJobName": NAME})
    assert handler.is_complete(poll, None) == {"IsComplete": False}
    expect_describe(sagemaker, described(NAME, "Stopping", "Stopping"))
    assert handler.is_complete(poll, None) == {"IsComplete": False}
    expect_describe(sagemaker, described(NAME, "Stopped", "Stopped"))
    assert handler.is_complete(poll, None) == {"IsComplete": True}


@pytest.mark.parametrize(
    "physical_id",
    [
        "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED",
        "",
        "someone-elses-job",
    ],
)
def test_delete_of_an_id_it_did_not_issue_stops_the_job_named_by_the_event(stub, physical_id):
    # A cancelled Create's Delete carries an invented ID; the name is recomputed.
    # It also looks for the retry names a redeploy after a failed job would have used.
    retries = naming.attempt_names(NAME)[1:]
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME))
    sagemaker.add_response("stop_auto_ml_job", {}, {"AutoMLJobName": NAME})
    for retry in retries:
        expect_job_error(sagemaker, "describe_auto_ml_job_v2", "ResourceNotFound", name=retry)
    response = handler.on_event(event("Delete", physical_id), None)
    assert response["PhysicalResourceId"] == physical_id
    assert set(response["Data"]) == {handler.DELETE_ARRIVED}
    expect_describe(sagemaker, described(NAME, "Stopping", "Stopping"))
    assert handler.is_complete(event("Delete", physical_id), None) == {"IsComplete": False}
    for name in (NAME, *retries):
        expect_job_error(sagemaker, "describe_auto_ml_job_v2", "ResourceNotFound", name=name)
    assert handler.is_complete(event("Delete", physical_id), None) == {"IsComplete": True}


@pytest.mark.parametrize(
    ("status", "done"),
    [("InProgress", False), ("Stopping", False), ("Stopped", True), ("Completed", True)],
)
def test_delete_completes_once_nothing_runs(stub, status, done):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME, status, status))
    assert handler.is_complete(event("Delete", NAME), None) == {"IsComplete": done}


@pytest.mark.parametrize(
    ("code", "done"), [("ResourceNotFound", True), ("ThrottlingException", False)]
)
def test_delete_completion_on_describe_errors(stub, code, done):
    sagemaker = stub("sagemaker")
    expect_job_error(sagemaker, "describe_auto_ml_job_v2", code)
    assert handler.is_complete(event("Delete", NAME), None) == {"IsComplete": done}


def test_duplicate_name_that_cannot_be_described_is_explained(stub):
    sagemaker = stub("sagemaker")
    in_use(sagemaker)
    expect_error(
        sagemaker, "describe_auto_ml_job_v2", "ResourceNotFound", "Could not find AutoML job"
    )
    with pytest.raises(RuntimeError, match="differs only in letter case; job names can never"):
        handler.on_event(event("Create"), None)


def test_log_lines_name_the_job(stub, caplog):
    caplog.set_level(logging.INFO, logger="autopilot_studio")
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME))
    sagemaker.add_response("stop_auto_ml_job", {}, {"AutoMLJobName": NAME})
    handler.on_event(event("Delete", NAME), None)
    (line,) = [json.loads(record.getMessage()) for record in caplog.records]
    assert line["resource"] == NAME
    assert line["message"] == "stop requested for running AutoML job"


def test_stop_refused_because_the_job_is_finishing_does_not_fail_the_delete(stub):
    sagemaker = stub("sagemaker")
    expect_describe(sagemaker, described(NAME))
    expect_job_error(sagemaker, "stop_auto_ml_job", "ValidationException", "Job is not in progress")
    assert handler.on_event(event("Delete", NAME), None) == {"PhysicalResourceId": NAME}


def test_an_update_that_reuses_the_model_syncs_its_tags(stub):
    sagemaker = stub("sagemaker")
    best = ensembling_candidate(NAME)
    expect_describe(sagemaker, described(NAME, "Completed", "Completed", best=best))
    from automl_job import model

    name = model.model_name(
        "apstudio-dev", job=NAME, candidate=best["CandidateName"],
        keys=["predicted_label", "probability"], role=ROLE,
    )  # fmt: skip
    expect_error(
        sagemaker,
        "create_model",
        "ValidationException",
        f'Cannot create already existing model "arn:...:model/{name}".',
    )
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:model/{name}"
    sagemaker.add_response(
        "describe_model",
        {"ModelName": name, "ModelArn": arn, "CreationTime": "2026-01-01T00:00:00Z"},
        {"ModelName": name},
    )
    sagemaker.add_response("delete_tags", {}, {"ResourceArn": arn, "TagKeys": ["old"]})
    sagemaker.add_response(
        "add_tags",
        {},
        {"ResourceArn": arn, "Tags": [{"Key": "project", "Value": "autopilot-studio"}]},
    )
    update = {
        **result_event("Update"),
        "PhysicalResourceId": name,
        "OldResourceProperties": {
            **result_event()["ResourceProperties"],
            "Tags": [{"Key": "old", "Value": "x"}],
        },
    }
    assert handler.on_event(update, None)["PhysicalResourceId"] == name


@pytest.mark.parametrize("physical", ["apstudio-dev-m-0123456789", NAME])
def test_delete_removes_its_model_and_never_a_job_name(stub, physical):
    sagemaker = stub("sagemaker")
    if physical != NAME:
        sagemaker.add_response("delete_model", {}, {"ModelName": physical})
    delete = {**result_event("Delete"), "PhysicalResourceId": physical}
    assert handler.on_event(delete, None) == {"PhysicalResourceId": physical}


def test_delete_of_a_model_removed_by_hand_is_done(stub):
    sagemaker = stub("sagemaker")
    expect_error(
        sagemaker,
        "delete_model",
        "ValidationException",
        "Could not find model",
        ModelName="apstudio-dev-m-0123456789",
    )
    delete = {**result_event("Delete"), "PhysicalResourceId": "apstudio-dev-m-0123456789"}
    assert handler.on_event(delete, None)["PhysicalResourceId"] == "apstudio-dev-m-0123456789"


def test_an_update_that_starts_a_job_while_its_stack_rolls_back_stops_it(stub, monkeypatch):
    """CloudFormation gave up on this Update (another resource failed while its Lambda
    ran): the new job would never be named by a Delete, so the handler stops it."""
    from cr_support import stack

    monkeypatch.setattr(stack, "rolling_back", lambda event: True)
    sagemaker, stepfunctions = stub("sagemaker"), stub("stepfunctions")
    spec = JobSpec.from_properties({**PROPS, **WAIT_PROPS})
    name = spec.job_name(STACK_ID, "AutoMLJob")
    expect_create(sagemaker, name, spec.create_request(name))
    machine = WAIT_PROPS["StateMachineArn"]
    execution = naming.execution_name(name, WAIT_PROPS["WaitHandleUrl"])
    stepfunctions.add_response(
        "start_execution",
        {"executionArn": f"{machine.replace(':stateMachine:', ':execution:')}:{execution}",
         "startDate": "2026-01-01T00:00:00Z"},
        {"stateMachineArn": machine, "name": execution,
         "input": json.dumps({"JobName": name, "WaitHandleUrl": WAIT_PROPS["WaitHandleUrl"]})},
    )  # fmt: skip
    stepfunctions.add_response(
        "stop_execution",
        {"stopDate": "2026-01-01T00:00:00Z"},
        {"executionArn": f"{machine.replace(':stateMachine:', ':execution:')}:{execution}",
         "cause": "the AutoML custom resource was deleted"},
    )  # fmt: skip
    sagemaker.add_response("stop_auto_ml_job", {}, {"AutoMLJobName": name})
    update = event("Update", "apstudio-dev-0ld0ld0ld0ld0ld0ld0", old={}, **WAIT_PROPS)
    assert handler.on_event(update, None) == {
        "PhysicalResourceId": "apstudio-dev-0ld0ld0ld0ld0ld0ld0",
        "Data": {"JobName": "apstudio-dev-0ld0ld0ld0ld0ld0ld0"},
    }
