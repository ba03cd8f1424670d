"""Custom-resource entry points for one Autopilot job.

Create starts the job and the state machine execution that waits for it, and returns
within seconds: the execution signals the stack's wait condition when the job ends
(``automl_wait``), so a job may run for up to 12 hours. Only Delete polls
(``is_complete``): a stopped job keeps writing into the bucket until it is Stopped.

The physical ID is the job name. Changed inputs give a new name and a new job;
CloudFormation then sends Delete for the old name, which stops it (and its execution)
if still running.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from botocore.exceptions import ClientError

from automl_job import model, naming, status
from automl_job.spec import JobSpec, parse_tags
from cr_support import aws, clock, properties, stack
from cr_support.logs import log
from cr_support.properties import PropertyError

# The job's outcome, read after its wait condition succeeded.
RESULT_TYPE = "Custom::AutoMLJobResult"
# Set by a Delete whose StopAutoMLJob was throttled; the delete polls then retry it.
STOP_PENDING = "StopPending"
# Set by a Delete with an invented physical ID: when it arrived.
DELETE_ARRIVED = "DeleteArrivedAt"
# Data of an Update that started a new job (is_complete checks it is still wanted).
CREATED_BY_UPDATE = "CreatedByUpdate"
# A cancelled Create's on_event may still be running when its Delete arrives; it ends
# within its Lambda timeout (2 minutes), so such a Delete keeps looking for this long.
IN_FLIGHT_CREATE_SECONDS = 180


def _result(event: dict[str, Any]) -> dict[str, Any]:
    """The best candidate of a job whose wait condition succeeded, and its model.

    The physical ID is the model's name (``model.model_name``). A model this call created
    while its stack rolls back (a Create or Update CloudFormation stopped waiting for) is
    deleted again, since no Delete will ever name it.
    """
    if event["RequestType"] == "Delete":
        return _delete_result(event)
    props = event.get("ResourceProperties", {})
    name = properties.string(props, "JobName")
    job = _completed_job(name, props)
    data = status.completed_data(name, job)
    best = job["BestCandidate"]
    role = properties.role_arn(props)
    prefix = properties.string(props, "JobNamePrefix")
    keys = properties.string_list(props, "InferenceResponseKeys")
    model_name = model.model_name(
        prefix, job=name, candidate=best["CandidateName"], keys=keys, role=role
    )
    tags = dict(parse_tags(props))
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    if model.create(model_name, model.containers(best, keys), role, tag_list):
        if stack.rolling_back(event):
            # CloudFormation stopped waiting for this Create or Update and will never name
            # the new model: remove it, and answer with what CloudFormation knows.
            model.delete(model_name)
            if event["RequestType"] == "Create":
                raise RuntimeError(
                    f"model {model_name}: the stack rolled back while it was created; deleted it"
                )
            return {"PhysicalResourceId": event.get("PhysicalResourceId", model_name)}
    else:
        model.sync_tags(model_name, dict(parse_tags(event.get("OldResourceProperties", {}))), tags)
    data["ModelName"] = model_name
    return {"PhysicalResourceId": model_name, "Data": data}


def _completed_job(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    if not _ours(name, props):
        raise PropertyError(f"resource property 'JobName' is not this stack's job: {name!r}")
    job = _describe(name)
    status.raise_if_unusable(name, job)
    if job["AutoMLJobStatus"] != "Completed":
        raise status.JobFailedError(f"AutoML job {name} is still {job['AutoMLJobStatus']}")
    return job


def _delete_result(event: dict[str, Any]) -> dict[str, Any]:
    """Delete the model; with an invented physical ID, the one the Create would have made."""
    physical_id = event.get("PhysicalResourceId", "")
    props = event.get("ResourceProperties", {})
    prefix = str(props.get("JobNamePrefix") or "")
    if model.is_model_name(physical_id, prefix):
        model.delete(physical_id)
    elif stack.invented_physical_id(event):
        name = str(props.get("JobName") or "")
        try:
            job = _completed_job(name, props)
            best = job["BestCandidate"]
            model.delete(
                model.model_name(
                    prefix,
                    job=name,
                    candidate=best["CandidateName"],
                    keys=properties.string_list(props, "InferenceResponseKeys"),
                    role=properties.role_arn(props),
                )
            )
        except (ClientError, PropertyError, status.JobFailedError) as error:
            log(physical_id, "no model of a completed job to delete", error=str(error))
    return {"PhysicalResourceId": physical_id}


def _describe(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], aws.client("sagemaker").describe_auto_ml_job_v2(AutoMLJobName=name))


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event.get("ResourceType") == RESULT_TYPE:
        return _result(event)
    request_type = event["RequestType"]
    if request_type == "Delete":
        response: dict[str, Any] = {"PhysicalResourceId": event.get("PhysicalResourceId", "")}
        data: dict[str, str] = {}
        if not _ours(response["PhysicalResourceId"], event.get("ResourceProperties", {})):
            data[DELETE_ARRIVED] = str(clock.now())
        for name in _names_to_delete(event):
            data.update(_delete(name, event.get("ResourceProperties", {})).get("Data") or {})
        if data:
            response["Data"] = data
        return response
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unsupported RequestType {request_type!r}")
    spec = JobSpec.from_properties(event["ResourceProperties"])
    name = spec.job_name(event["StackId"], event["LogicalResourceId"])
    current = event.get("PhysicalResourceId")
    unchanged = request_type == "Update" and current in naming.attempt_names(name)
    props = event["ResourceProperties"]
    # Unchanged means current is one of the job's attempt names, so not None.
    if (
        unchanged
        and current is not None
        and _sync_tags(current, spec, event.get("OldResourceProperties", {}))
    ):
        if _wait_handle(props) != _wait_handle(event.get("OldResourceProperties", {})):
            _start_wait(current, props)
        return {"PhysicalResourceId": current, "Data": {"JobName": current}}
    name, created = _create_or_adopt(name, spec)
    try:
        _start_wait(name, props)
    except Exception:
        # Raising from Create means the rollback's Delete never reaches this handler
        # (docs/ARCHITECTURE.md, "Rollback semantics"): stop the job first.
        _request_stop(name)
        raise
    data = {"JobName": name, CREATED_BY_UPDATE: str(created and request_type == "Update").lower()}
    if request_type == "Update" and created and _unwanted(name, event):
        return {"PhysicalResourceId": current, "Data": {"JobName": current}}
    return {"PhysicalResourceId": name, "Data": data}


def _unwanted(name: str, event: dict[str, Any]) -> bool:
    """A job an Update started while its stack rolls back: CloudFormation stopped waiting
    for the Update and will never name the job, so no Delete will stop it; stop it now."""
    if not stack.rolling_back(event):
        return False
    log(name, "the stack rolls back: stopping the job this update started")
    _stop_wait(name, event.get("ResourceProperties", {}))
    _request_stop(name)
    return True


def _wait_handle(props: Mapping[str, Any]) -> str:
    return str(props.get("WaitHandleUrl") or "")


def _execution_arn(name: str, props: Mapping[str, Any]) -> str:
    state_machine = properties.string(props, "StateMachineArn")
    execution = naming.execution_name(name, _wait_handle(props))
    return f"{state_machine.replace(':stateMachine:', ':execution:', 1)}:{execution}"


def _start_wait(name: str, props: Mapping[str, Any]) -> None:
    """Start the execution that polls the job and signals the wait condition."""
    handle = properties.string(props, "WaitHandleUrl")
    execution = naming.execution_name(name, handle)
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=properties.string(props, "StateMachineArn"),
            name=execution,
            input=json.dumps({"JobName": name, "WaitHandleUrl": handle}),
        )
    except ClientError as error:
        # The same name and input again (a retried Create) is not an error for Standard
        # state machines; a different input under the same name is.
        if aws.error_code(error) != "ExecutionAlreadyExists":
            raise
        log(name, "wait execution already started", execution=execution)
        return
    log(name, "started the wait execution", execution=execution)


def _stop_wait(name: str, props: Mapping[str, Any]) -> None:
    """Stop the job's wait execution; one that is not there or has ended is done."""
    if not props.get("StateMachineArn") or not _wait_handle(props):
        return
    try:
        aws.client("stepfunctions").stop_execution(
            executionArn=_execution_arn(name, props),
            cause="the AutoML custom resource was deleted",
        )
    except ClientError as error:
        if aws.error_code(error) in ("ExecutionDoesNotExist", "ValidationException"):
            return
        raise
    log(name, "stopped the wait execution")


def _create_or_adopt(base_name: str, spec: JobSpec) -> tuple[str, bool]:
    """Create the job, or adopt a live one with the same inputs; its name, and whether
    this call created it.

    A job of the same name that failed or was stopped can never run again, and its name
    can never be reused: the next attempt name is tried instead.
    """
    for name in naming.attempt_names(base_name):
        existing = _create_or_describe(name, spec)
        if existing is None:
            return name, True
        conflicts = spec.conflicts_with(existing)
        if conflicts:
            raise RuntimeError(
                f"AutoML job name {name} is already taken by a job with different inputs "
                f"({'; '.join(conflicts)}); job names can never be reused, so change "
                "JobNamePrefix or an input"
            )
        state = existing["AutoMLJobStatus"]
        if state in ("InProgress", "Completed"):
            log(name, "adopted existing AutoML job with the same inputs", status=state)
            return name, False
        log(name, "a job with this name ended without a model; trying the next name", status=state)
    raise RuntimeError(
        f"AutoML jobs {base_name} to {naming.attempt_names(base_name)[-1]} all failed or were "
        "stopped; check their failure reasons, then change an input or JobNamePrefix"
    )


def _create_or_describe(name: str, spec: JobSpec) -> dict[str, Any] | None:
    """None once this call created the job; otherwise the existing job of that name."""
    sagemaker = aws.client("sagemaker")
    try:
        response = sagemaker.create_auto_ml_job_v2(**spec.create_request(name))
    except ClientError as error:
        if aws.error_code(error) != "ResourceInUse":
            raise
    else:
        log(name, "created AutoML job", arn=response["AutoMLJobArn"])
        return None
    try:
        return _describe(name)
    except ClientError as error:
        if not aws.is_not_found(error):
            raise
    raise RuntimeError(
        f"AutoML job name {name} is already taken by a job whose name differs only in "
        "letter case; job names can never be reused, so change JobNamePrefix or an input"
    )


def _sync_tags(name: str, spec: JobSpec, old_props: Mapping[str, Any]) -> bool:
    """Bring the existing job's tags in line; False when the job does not exist."""
    try:
        arn = _describe(name)["AutoMLJobArn"]
    except ClientError as error:
        if aws.is_not_found(error):
            return False
        raise
    old_tags = dict(parse_tags(old_props))
    new_tags = dict(spec.tags)
    sagemaker = aws.client("sagemaker")
    removed = sorted(set(old_tags) - set(new_tags))
    if removed:
        sagemaker.delete_tags(ResourceArn=arn, TagKeys=removed)
    if new_tags and new_tags != old_tags:
        sagemaker.add_tags(ResourceArn=arn, Tags=spec.tag_list())
    log(name, "job inputs unchanged; kept the job", tags_removed=removed)
    return True


def _names_to_delete(event: dict[str, Any]) -> list[str]:
    """The job this resource made: its physical ID, or recomputed from the event.

    A Create that CloudFormation stopped waiting for gets a Delete with an invented
    physical ID; the job name is a function of the stack, the logical ID and the inputs.
    """
    physical_id = event.get("PhysicalResourceId", "")
    props = event.get("ResourceProperties", {})
    if _ours(physical_id, props):
        return [physical_id]
    try:
        spec = JobSpec.from_properties(props)
    except PropertyError as error:
        log(
            physical_id or "automl-job",
            "properties unreadable; nothing to delete",
            error=str(error),
        )
        return []
    return naming.attempt_names(
        spec.job_name(event.get("StackId", ""), event.get("LogicalResourceId", ""))
    )


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    name = event.get("PhysicalResourceId", "")
    if event["RequestType"] == "Delete" and event.get("ResourceType") != RESULT_TYPE:
        arrived = event.get("Data", {}).get(DELETE_ARRIVED)
        # A job that a late Create started after this Delete arrived is stopped here.
        stop_pending = event.get("Data", {}).get(STOP_PENDING) == "true" or arrived is not None
        props = event.get("ResourceProperties", {})
        done = all(_delete_complete(n, props, stop_pending) for n in _names_to_delete(event))
        if done and arrived and clock.now() - float(arrived) < IN_FLIGHT_CREATE_SECONDS:
            log(name, "waiting for a Create that may still be in flight")
            return {"IsComplete": False}
        return {"IsComplete": done}
    # Create and Update: the wait condition waits for the job, not this resource. An
    # Update whose stack has begun to roll back by now was given up on: the job it
    # started is stopped, as its answer will never reach CloudFormation.
    if (event.get("Data") or {}).get(CREATED_BY_UPDATE) == "true":
        _unwanted(name, event)
    return {"IsComplete": True}


def _ours(name: str, props: Mapping[str, Any]) -> bool:
    if not naming.is_job_name(name):
        return False
    prefix = str(props.get("JobNamePrefix") or "")
    return not prefix or name.lower().startswith(f"{prefix.lower()}-")


def _delete(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    if not _ours(name, props):
        log(name or "automl-job", "not a job this resource created; nothing to delete")
        return {"PhysicalResourceId": name}
    _stop_wait(name, props)
    try:
        state = _describe(name)["AutoMLJobStatus"]
    except ClientError as error:
        if aws.is_not_found(error):
            log(name, "AutoML job not found; nothing to delete")
            return {"PhysicalResourceId": name}
        if aws.is_throttling(error):
            log(name, "describe throttled; the delete poll will stop the job")
            return {"PhysicalResourceId": name}
        raise
    if state == "InProgress" and not _request_stop(name):
        # The delete polls repeat the stop: a failed Delete would abandon a running job.
        return {"PhysicalResourceId": name, "Data": {STOP_PENDING: "true"}}
    if state != "InProgress":
        log(name, "AutoML job not running; kept (job records cannot be deleted)", status=state)
    return {"PhysicalResourceId": name}


def _request_stop(name: str) -> bool:
    """Ask a running job to stop; False when the request was throttled."""
    try:
        aws.client("sagemaker").stop_auto_ml_job(AutoMLJobName=name)
    except ClientError as error:
        if aws.is_throttling(error):
            log(name, "stop throttled; will ask again on the next poll")
            return False
        if aws.is_not_found(error):
            return True
        if aws.error_code(error) == "ValidationException":
            log(name, "stop not accepted; the job is already finishing", error=str(error))
            return True
        raise
    log(name, "stop requested for running AutoML job")
    return True


def _delete_complete(name: str, props: Mapping[str, Any], stop_pending: bool) -> bool:
    if not _ours(name, props):
        return True
    try:
        state = _describe(name)["AutoMLJobStatus"]
    except ClientError as error:
        if aws.is_not_found(error):
            return True
        if aws.is_throttling(error):
            log(name, "describe throttled; will poll again")
            return False
        raise
    log(name, "delete check", status=state)
    if stop_pending:
        # A Create that arrived after its Delete (a cancelled Create) started an execution.
        _stop_wait(name, props)
    # Stopping still writes into the bucket: wait for Stopped before the bucket goes.
    if state not in status.RUNNING:
        return True
    if stop_pending and state == "InProgress":
        _request_stop(name)
    return False
