"""Custom-resource entry points for one Autopilot job (on_event plus is_complete polling).

The physical ID is the job name. Changed inputs give a new name and a new job;
CloudFormation then sends Delete for the old name, which stops it if still running.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from automl_job import naming, status
from automl_job.spec import JobSpec, parse_tags
from cr_support import aws, clock, stack
from cr_support.logs import log
from cr_support.properties import PropertyError

# Set by a Delete whose StopAutoMLJob was throttled; the delete polls then retry it.
STOP_PENDING = "StopPending"
# Set by a Delete with an invented physical ID: when it arrived.
DELETE_ARRIVED = "DeleteArrivedAt"
# A cancelled Create's on_event may still be running when its Delete arrives; it ends
# within its Lambda timeout (2 minutes), so such a Delete keeps looking for this long.
IN_FLIGHT_CREATE_SECONDS = 180


def _describe(name: str) -> dict[str, Any]:
    return aws.client("sagemaker").describe_auto_ml_job_v2(AutoMLJobName=name)


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
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
    if unchanged and _sync_tags(current, spec, event.get("OldResourceProperties", {})):
        return {"PhysicalResourceId": current, "Data": {"JobName": current}}
    name = _create_or_adopt(name, spec)
    return {"PhysicalResourceId": name, "Data": {"JobName": name}}


def _create_or_adopt(base_name: str, spec: JobSpec) -> str:
    """Create the job, or adopt a live one with the same inputs; return its name.

    A job of the same name that failed or was stopped can never run again, and its name
    can never be reused: the next attempt name is tried instead.
    """
    for name in naming.attempt_names(base_name):
        existing = _create_or_describe(name, spec)
        if existing is None:
            return name
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
            return name
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
    if event["RequestType"] == "Delete":
        arrived = event.get("Data", {}).get(DELETE_ARRIVED)
        # A job that a late Create started after this Delete arrived is stopped here.
        stop_pending = event.get("Data", {}).get(STOP_PENDING) == "true" or arrived is not None
        props = event.get("ResourceProperties", {})
        done = all(_delete_complete(n, props, stop_pending) for n in _names_to_delete(event))
        if done and arrived and clock.now() - float(arrived) < IN_FLIGHT_CREATE_SECONDS:
            log(name, "waiting for a Create that may still be in flight")
            return {"IsComplete": False}
        return {"IsComplete": done}
    if stack.create_abandoned(event):
        # CloudFormation gave up on this Create (its Delete may have found nothing yet).
        if _delete_complete(name, event.get("ResourceProperties", {}), stop_pending=True):
            raise status.JobFailedError(
                f"AutoML job {name}: the stack rolled back while it ran; the job was stopped"
            )
        return {"IsComplete": False}
    try:
        job = _describe(name)
    except ClientError as error:
        if aws.is_throttling(error) or aws.is_not_found(error):
            log(name, "describe failed; will poll again", error=aws.error_code(error))
            return {"IsComplete": False}
        raise
    state = job["AutoMLJobStatus"]
    secondary = job.get("AutoMLJobSecondaryStatus", "")
    if state in status.RUNNING:
        log(name, "AutoML job running", status=state, secondary_status=secondary)
        return {"IsComplete": False}
    try:
        status.raise_if_unusable(name, job)
        data = status.completed_data(name, job)
    except status.JobFailedError as error:
        log(name, "AutoML job unusable", status=state, reason=str(error))
        raise
    log(name, "AutoML job completed", **data)
    return {"IsComplete": True, "Data": data}


def _ours(name: str, props: Mapping[str, Any]) -> bool:
    if not naming.is_job_name(name):
        return False
    prefix = str(props.get("JobNamePrefix") or "")
    return not prefix or name.lower().startswith(f"{prefix.lower()}-")


def _delete(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    if not _ours(name, props):
        log(name or "automl-job", "not a job this resource created; nothing to delete")
        return {"PhysicalResourceId": name}
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
    # Stopping still writes into the bucket: wait for Stopped before the bucket goes.
    if state not in status.RUNNING:
        return True
    if stop_pending and state == "InProgress":
        _request_stop(name)
    return False
