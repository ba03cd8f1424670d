"""Provider framework entry points: run the baseline processing job and wait for it.

Create starts the job and returns; ``is_complete`` polls it (the framework's waiter, as
the endpoint does). Delete stops a job still running; "not found" means done. on_event
never raises while a job it started keeps running.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws, stack
from cr_support.logs import log
from monitor_baseline.spec import BaselineSpec, is_valid_name, parse

RUNNING = frozenset({"InProgress"})
STOPPING = "Stopping"
COMPLETED = "Completed"
SETTING_HINT = (
    "check the baseline file (the training features with a header row) and "
    "monitor.instance_type / monitor.volume_size_gb in config/environments.toml"
)


class BaselineFailed(RuntimeError):
    """The baseline job ended without statistics and constraints."""


def _sagemaker():
    return aws.client("sagemaker")


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request = event["RequestType"]
    if request in ("Create", "Update"):
        return _start(parse(event))
    if request == "Delete":
        _stop(_owned_job(event))
        return {"PhysicalResourceId": event.get("PhysicalResourceId", "")}
    raise ValueError(f"unknown request type {request!r}")


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event["RequestType"] == "Delete":
        return {"IsComplete": _gone_or_ended(_owned_job(event))}
    spec = parse(event)
    try:
        if stack.create_abandoned(event):
            if not _gone_or_ended(spec.job_name):
                return {"IsComplete": False}
            raise BaselineFailed(
                f"baseline job {spec.job_name}: the stack rolled back while it ran; it was stopped"
            )
        return _job_complete(spec)
    except ClientError as error:
        if aws.is_throttling(error):
            log(spec.job_name, "throttled, will poll again", error=aws.error_code(error))
            return {"IsComplete": False}
        raise


def _start(spec: BaselineSpec) -> dict[str, Any]:
    try:
        _sagemaker().create_processing_job(**spec.request())
        log(spec.job_name, "baseline job started", input=spec.dataset_uri)
    except ClientError as error:
        if "already exists" not in aws.error_message(error).lower():
            # The job may exist after all (a timeout after the service accepted it).
            _stop(spec.job_name)
            raise
        log(spec.job_name, "baseline job exists, waiting for it")
    return {"PhysicalResourceId": spec.job_name}


def _describe(name: str) -> dict[str, Any] | None:
    try:
        return _sagemaker().describe_processing_job(ProcessingJobName=name)
    except ClientError as error:
        if aws.is_not_found(error):
            return None
        raise


def _job_complete(spec: BaselineSpec) -> dict[str, Any]:
    job = _describe(spec.job_name)
    if job is None:
        raise BaselineFailed(f"baseline job {spec.job_name} not found")
    status = job["ProcessingJobStatus"]
    if status in RUNNING or status == STOPPING:
        log(spec.job_name, "waiting for baseline job", status=status)
        return {"IsComplete": False}
    if status != COMPLETED:
        reason = job.get("FailureReason") or job.get("ExitMessage") or "no reason given"
        raise BaselineFailed(
            f"baseline job {spec.job_name} {status.lower()}: {reason}; {SETTING_HINT}"
        )
    log(spec.job_name, "baseline ready", statistics=spec.statistics_uri)
    return {"IsComplete": True, "Data": spec.data()}


def _owned_job(event: dict[str, Any]) -> str | None:
    """The job behind this resource: its physical ID, or for an invented physical ID (a
    cancelled Create) the name recomputed from the event."""
    physical_id = str(event.get("PhysicalResourceId", ""))
    try:
        spec = parse(event)
    except ValueError as error:
        log(physical_id, "properties unreadable", error=str(error))
        return physical_id if is_valid_name(physical_id) else None
    if stack.invented_physical_id(event) or not physical_id.startswith(f"{spec.prefix}-"):
        return spec.job_name
    return physical_id


def _stop(name: str | None) -> None:
    if name is None:
        return
    try:
        _sagemaker().stop_processing_job(ProcessingJobName=name)
        log(name, "baseline job stopping")
    except ClientError as error:
        # Not found: nothing runs. ValidationException: it already ended.
        log(name, "nothing to stop", error=aws.error_code(error))


def _gone_or_ended(name: str | None) -> bool:
    if name is None:
        return True
    job = _describe(name)
    if job is None:
        return True
    status = job["ProcessingJobStatus"]
    if status in RUNNING:
        _stop(name)
        return False
    return status != STOPPING
