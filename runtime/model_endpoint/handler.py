"""Provider framework entry points for the endpoint custom resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from cr_support import aws, stack
from cr_support.logs import log
from cr_support.properties import PropertyError
from model_endpoint import containers, lifecycle, naming
from model_endpoint.spec import EndpointSpec, parse

_T = TypeVar("_T")


class EndpointFailed(RuntimeError):
    """The endpoint reached a state it cannot recover from by waiting."""


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request = event["RequestType"]
    if request == "Create":
        return _create(parse(event["ResourceProperties"]))
    if request == "Update":
        return _update(event)
    if request == "Delete":
        return _delete(event)
    raise ValueError(f"unknown request type {request!r}")


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event["RequestType"] == "Delete":
        return _delete_complete(event)
    spec = parse(event["ResourceProperties"])
    if stack.create_abandoned(event):
        # CloudFormation gave up on this Create; its Delete may have come before the endpoint.
        removed = _delete_complete({**event, "PhysicalResourceId": spec.endpoint_name})
        if removed["IsComplete"]:
            raise EndpointFailed(
                f"endpoint {spec.endpoint_name}: the stack rolled back while it was created; "
                "the endpoint, its configs and models were deleted"
            )
        return {"IsComplete": False}
    try:
        return _deploy_complete(event, spec)
    except ClientError as error:
        if aws.is_throttling(error):
            log(spec.endpoint_name, "throttled, will poll again", error=aws.error_code(error))
            return {"IsComplete": False}
        raise


def _model_containers(spec: EndpointSpec) -> list[dict[str, Any]]:
    return containers.wire_response_keys(lifecycle.candidate_containers(spec), spec.response_keys)


def _with_model_and_config(
    spec: EndpointSpec, model_containers: list[dict[str, Any]], then: Callable[[], _T]
) -> _T:
    """Create the model and config, then run ``then``; discard what was created on failure."""
    created: list[tuple[str, str]] = []
    try:
        if lifecycle.create_model(spec, model_containers):
            created.append((naming.MODEL, spec.model_name))
        if lifecycle.create_endpoint_config(spec):
            created.append((naming.CONFIG, spec.config_name))
        return then()
    except Exception:
        lifecycle.discard(spec.endpoint_name, created)
        raise


def _create(spec: EndpointSpec) -> dict[str, Any]:
    model_containers = _model_containers(spec)
    arn = _with_model_and_config(spec, model_containers, lambda: lifecycle.create_endpoint(spec))
    return {"PhysicalResourceId": spec.endpoint_name, "Data": spec.data(arn)}


def _old_spec(event: dict[str, Any], resource: str) -> EndpointSpec | None:
    try:
        return parse(event.get("OldResourceProperties") or {})
    except PropertyError as error:
        log(resource, "old properties unreadable; old model and config are kept", error=str(error))
        return None


def _update(event: dict[str, Any]) -> dict[str, Any]:
    spec = parse(event["ResourceProperties"])
    physical_id = event["PhysicalResourceId"]
    if spec.endpoint_name != physical_id:
        log(spec.endpoint_name, "endpoint name changed, creating a replacement", old=physical_id)
        return _create(spec)

    old = _old_spec(event, spec.endpoint_name)
    old_tags = old.tags if old is not None else ()
    if old is not None and old.config_name == spec.config_name:
        log(spec.endpoint_name, "no change to model or endpoint config")
        lifecycle.sync_tags(spec, old_tags, endpoint=True, model_and_config=True)
        return {"PhysicalResourceId": physical_id, "Data": spec.data()}

    model_containers = _model_containers(spec)
    current = lifecycle.describe_endpoint(spec.endpoint_name)
    if current is None:
        raise EndpointFailed(f"endpoint {spec.endpoint_name} does not exist; cannot update it")

    def switch_config() -> None:
        if current.get("EndpointConfigName") == spec.config_name:
            log(spec.endpoint_name, "endpoint already uses the config", config=spec.config_name)
        else:
            lifecycle.update_endpoint(spec)

    _with_model_and_config(spec, model_containers, switch_config)
    lifecycle.sync_tags(spec, old_tags, endpoint=True, model_and_config=False)
    return {"PhysicalResourceId": physical_id, "Data": spec.data(current["EndpointArn"])}


def _deploy_complete(event: dict[str, Any], spec: EndpointSpec) -> dict[str, Any]:
    name = spec.endpoint_name
    endpoint = lifecycle.describe_endpoint(name)
    if endpoint is None:
        raise EndpointFailed(f"endpoint {name} not found")
    status = endpoint["EndpointStatus"]
    reason = endpoint.get("FailureReason") or "no reason given"
    current = endpoint.get("EndpointConfigName")
    if status in lifecycle.CREATING:
        log(name, "waiting for endpoint", status=status)
        return {"IsComplete": False}
    if status == lifecycle.FAILED:
        raise EndpointFailed(f"endpoint {name} failed: {reason}")
    if status != lifecycle.IN_SERVICE:
        raise EndpointFailed(f"endpoint {name} is {status}: {reason}")
    if current != spec.config_name:
        if endpoint.get("FailureReason"):
            raise EndpointFailed(
                f"endpoint {name} failed to move to {spec.config_name} "
                f"and is still on {current}: {reason}"
            )
        log(name, "waiting for endpoint to switch config", current=current)
        return {"IsComplete": False}

    if event["RequestType"] == "Update":
        _delete_replaced(event, spec)
    log(name, "endpoint in service", config=current)
    return {"IsComplete": True, "Data": spec.data(endpoint["EndpointArn"])}


def _delete_replaced(event: dict[str, Any], spec: EndpointSpec) -> None:
    """After an in-place update, delete the previous config and model unless still in use."""
    old = _old_spec(event, spec.endpoint_name)
    if old is None or old.endpoint_name != spec.endpoint_name:
        # A replacement: the old endpoint still uses them until CloudFormation deletes it.
        return
    if old.config_name != spec.config_name:
        lifecycle.delete_endpoint_config(spec.endpoint_name, old.config_name)
    if old.model_name != spec.model_name:
        lifecycle.delete_model(spec.endpoint_name, old.model_name)


def _owned_endpoint(event: dict[str, Any]) -> str | None:
    """The endpoint this resource made: its physical ID, or, for an invented physical ID
    (a cancelled Create), the EndpointName property when that endpoint runs on a config
    this resource generated."""
    physical_id = event.get("PhysicalResourceId", "")
    props = event.get("ResourceProperties") or {}
    name = props.get("EndpointName")
    if not stack.invented_physical_id(event) or not naming.is_valid_name(name):
        return physical_id if naming.is_valid_name(physical_id) else None
    prefix = props.get("ResourceNamePrefix")
    endpoint = lifecycle.describe_endpoint(name)
    config = (endpoint or {}).get("EndpointConfigName", "")
    if naming.is_valid_prefix(prefix) and naming.is_generated(config, prefix, naming.CONFIG, name):
        return name
    return None


def _delete(event: dict[str, Any]) -> dict[str, Any]:
    physical_id = event.get("PhysicalResourceId", "")
    owned = _owned_endpoint(event)
    if owned is not None:
        try:
            lifecycle.remove_monitoring_schedules(owned)
            lifecycle.delete_endpoint(owned)
        except ClientError as error:
            # For example still Creating; is_complete retries.
            log(owned, "delete deferred", error=aws.error_code(error))
    else:
        name = (event.get("ResourceProperties") or {}).get("EndpointName", physical_id)
        log(str(name), "no endpoint behind this physical id", physical_id=physical_id)
    return {"PhysicalResourceId": physical_id}


def _delete_complete(event: dict[str, Any]) -> dict[str, Any]:
    props = event.get("ResourceProperties") or {}
    physical_id = event.get("PhysicalResourceId", "")
    prefix = props.get("ResourceNamePrefix")
    owned_name = _owned_endpoint(event)
    owned = owned_name is not None
    endpoint_name = owned_name if owned else props.get("EndpointName")
    resource = str(endpoint_name or physical_id)
    try:
        if owned:
            schedules = lifecycle.remove_monitoring_schedules(owned_name)
            if schedules:
                # A monitoring schedule blocks DeleteEndpoint until it is gone.
                log(resource, "waiting for monitoring schedules to go", schedules=schedules)
                return {"IsComplete": False}
            endpoint = lifecycle.describe_endpoint(owned_name)
            if endpoint is not None:
                status = endpoint["EndpointStatus"]
                if status in lifecycle.DELETABLE:
                    _retry_delete(owned_name)
                log(resource, "waiting for endpoint deletion", status=status)
                return {"IsComplete": False}
            keep: set[str] = set()
        elif naming.is_valid_name(endpoint_name):
            # Never remove what a same-named endpoint that is not ours relies on.
            keep = lifecycle.in_use(endpoint_name)
        else:
            log(resource, "no endpoint name to clean up after")
            return {"IsComplete": True}
        if not naming.is_valid_prefix(prefix):
            log(resource, "no valid ResourceNamePrefix; skipping model cleanup", prefix=prefix)
            return {"IsComplete": True}
        lifecycle.delete_generated(prefix, endpoint_name, keep)
    except ClientError as error:
        if aws.is_throttling(error):
            log(resource, "throttled, will poll again", error=aws.error_code(error))
            return {"IsComplete": False}
        raise
    log(resource, "endpoint, configs and models deleted")
    return {"IsComplete": True}


def _retry_delete(name: str) -> None:
    try:
        lifecycle.delete_endpoint(name)
    except ClientError as error:
        if aws.is_throttling(error) or aws.error_code(error) == "ValidationException":
            log(name, "delete deferred", error=aws.error_code(error))
            return
        raise
