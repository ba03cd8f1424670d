"""SageMaker calls for the endpoint resource; each treats "already there" and "gone" as done."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from cr_support import aws
from cr_support.logs import log
from model_endpoint import naming
from model_endpoint.spec import VARIANT_NAME, EndpointSpec

CREATING = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
IN_SERVICE = "InService"
FAILED = "Failed"
# States from which DeleteEndpoint is accepted.
DELETABLE = frozenset({"InService", "Failed", "OutOfService", "UpdateRollbackFailed"})
# A just-created model or config can be briefly invisible to the next call.
VISIBILITY_DELAYS = (2, 4, 8, 16)


class EndpointConflict(RuntimeError):
    """An endpoint with the requested name exists and is not ours."""


def _sagemaker():
    return aws.client("sagemaker")


def _not_yet_visible(error: ClientError) -> bool:
    return aws.error_code(error) == "ValidationException" and "could not find" in (
        aws.error_message(error).lower()
    )


def _call(resource: str, operation: str, **request: Any) -> dict[str, Any]:
    """Call, retrying while a dependency created moments ago is not yet visible."""
    for delay in (*VISIBILITY_DELAYS, None):
        try:
            return getattr(_sagemaker(), operation)(**request)
        except ClientError as error:
            if delay is None or not _not_yet_visible(error):
                raise
            log(resource, "dependency not visible yet, retrying", operation=operation, delay=delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def is_already_exists(error: ClientError) -> bool:
    return "already exist" in aws.error_message(error).lower() or aws.error_code(error) in {
        "ResourceInUse",
        "ResourceInUseException",
    }


def _create_or_reuse(resource: str, create: Callable[[], Any], what: str, **fields: str) -> bool:
    """Run ``create``; False when the thing already exists (a retry or a rollback)."""
    try:
        create()
    except ClientError as error:
        if not is_already_exists(error):
            raise
        log(resource, f"{what} exists, reusing it", **fields)
        return False
    log(resource, f"{what} created", **fields)
    return True


def candidate_containers(spec: EndpointSpec) -> list[dict[str, Any]]:
    job = _sagemaker().describe_auto_ml_job_v2(AutoMLJobName=spec.job_name)
    best = job.get("BestCandidate")
    if not best:
        raise RuntimeError(
            f"AutoML job {spec.job_name} ({job.get('AutoMLJobStatus')}) has no best candidate"
        )
    if best.get("CandidateName") != spec.candidate_name:
        raise RuntimeError(
            f"AutoML job {spec.job_name}'s best candidate is {best.get('CandidateName')!r}, "
            f"not {spec.candidate_name!r}"
        )
    return list(best.get("InferenceContainers") or [])


def create_model(spec: EndpointSpec, model_containers: list[dict[str, Any]]) -> bool:
    """Create the model; False when it already exists (a retry or a rollback)."""
    request: dict[str, Any] = {
        "ModelName": spec.model_name,
        "Containers": model_containers,
        "ExecutionRoleArn": spec.role_arn,
    }
    if spec.tags:
        request["Tags"] = spec.tag_list()
    return _create_or_reuse(
        spec.endpoint_name,
        lambda: _sagemaker().create_model(**request),
        "model",
        model=spec.model_name,
    )


def capture_config(spec: EndpointSpec) -> dict[str, Any]:
    config: dict[str, Any] = {
        "EnableCapture": True,
        "InitialSamplingPercentage": spec.sampling_percentage,
        "DestinationS3Uri": spec.capture_uri,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        # Without this, captured CSV is stored base64-encoded.
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
    }
    if spec.kms_key_id:
        config["KmsKeyId"] = spec.kms_key_id
    return config


def create_endpoint_config(spec: EndpointSpec) -> bool:
    request: dict[str, Any] = {
        "EndpointConfigName": spec.config_name,
        "ProductionVariants": [
            {
                "VariantName": VARIANT_NAME,
                "ModelName": spec.model_name,
                "InstanceType": spec.instance_type,
                "InitialInstanceCount": spec.instance_count,
                "InitialVariantWeight": 1.0,
            }
        ],
        "DataCaptureConfig": capture_config(spec),
    }
    if spec.kms_key_id:
        request["KmsKeyId"] = spec.kms_key_id
    if spec.tags:
        request["Tags"] = spec.tag_list()
    return _create_or_reuse(
        spec.endpoint_name,
        lambda: _call(spec.endpoint_name, "create_endpoint_config", **request),
        "endpoint config",
        config=spec.config_name,
    )


def describe_endpoint(name: str) -> dict[str, Any] | None:
    try:
        return _sagemaker().describe_endpoint(EndpointName=name)
    except ClientError as error:
        if aws.is_not_found(error):
            return None
        raise


def create_endpoint(spec: EndpointSpec) -> str:
    request: dict[str, Any] = {
        "EndpointName": spec.endpoint_name,
        "EndpointConfigName": spec.config_name,
    }
    if spec.tags:
        request["Tags"] = spec.tag_list()
    try:
        arn = _call(spec.endpoint_name, "create_endpoint", **request)["EndpointArn"]
    except ClientError as error:
        if not is_already_exists(error):
            raise
        existing = describe_endpoint(spec.endpoint_name)
        if existing is None or existing.get("EndpointConfigName") != spec.config_name:
            current = existing.get("EndpointConfigName") if existing else None
            raise EndpointConflict(
                f"endpoint {spec.endpoint_name} already exists with config {current}; "
                "it was not created by this resource. Delete it or choose another EndpointName"
            ) from None
        log(spec.endpoint_name, "endpoint exists with our config, adopting it")
        return existing["EndpointArn"]
    log(spec.endpoint_name, "endpoint creating", config=spec.config_name)
    return arn


def update_endpoint(spec: EndpointSpec) -> None:
    _call(
        spec.endpoint_name,
        "update_endpoint",
        EndpointName=spec.endpoint_name,
        EndpointConfigName=spec.config_name,
    )
    log(spec.endpoint_name, "endpoint updating", config=spec.config_name)


def delete_endpoint(name: str) -> bool:
    """Start deleting the endpoint; False when it is already gone."""
    try:
        _sagemaker().delete_endpoint(EndpointName=name)
    except ClientError as error:
        if aws.is_not_found(error):
            log(name, "endpoint already gone")
            return False
        raise
    log(name, "endpoint deleting")
    return True


def _delete_quietly(
    resource: str, operation: str, request: dict[str, str], what: str, **fields: str
) -> None:
    try:
        getattr(_sagemaker(), operation)(**request)
    except ClientError as error:
        if not aws.is_not_found(error):
            raise
        log(resource, f"{what} already gone", **fields)
        return
    log(resource, f"{what} deleted", **fields)


def delete_endpoint_config(resource: str, name: str) -> None:
    _delete_quietly(
        resource,
        "delete_endpoint_config",
        {"EndpointConfigName": name},
        "endpoint config",
        config=name,
    )


def delete_model(resource: str, name: str) -> None:
    _delete_quietly(resource, "delete_model", {"ModelName": name}, "model", model=name)


def sync_tags(
    spec: EndpointSpec,
    old_tags: Iterable[tuple[str, str]],
    *,
    endpoint: bool,
    model_and_config: bool,
) -> None:
    """Bring tags in line after an update; UpdateEndpoint and reuse never touch them."""
    old, new = dict(old_tags), dict(spec.tags)
    if old == new:
        return
    sagemaker = _sagemaker()
    arns = []
    if endpoint:
        described = describe_endpoint(spec.endpoint_name)
        if described is not None:
            arns.append(described["EndpointArn"])
    if model_and_config:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=spec.config_name)
        model = sagemaker.describe_model(ModelName=spec.model_name)
        arns += [config["EndpointConfigArn"], model["ModelArn"]]
    removed = sorted(set(old) - set(new))
    for arn in arns:
        if removed:
            sagemaker.delete_tags(ResourceArn=arn, TagKeys=removed)
        if new:
            sagemaker.add_tags(ResourceArn=arn, Tags=spec.tag_list())
    log(spec.endpoint_name, "tags synced", resources=len(arns), removed=removed)


def discard(resource: str, created: Iterable[tuple[str, str]]) -> None:
    """Best effort: remove what this invocation created before it failed."""
    for kind, name in sorted(created, key=lambda item: item[0] != naming.CONFIG):
        try:
            if kind == naming.CONFIG:
                delete_endpoint_config(resource, name)
            else:
                delete_model(resource, name)
        except ClientError as error:
            log(resource, "could not discard", name=name, error=aws.error_code(error))


def in_use(endpoint_name: str) -> set[str]:
    """Config and model names an existing endpoint depends on."""
    endpoint = describe_endpoint(endpoint_name)
    if endpoint is None or not endpoint.get("EndpointConfigName"):
        return set()
    names = {endpoint["EndpointConfigName"]}
    try:
        config = _sagemaker().describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
    except ClientError as error:
        if aws.is_not_found(error):
            return names
        raise
    names.update(v["ModelName"] for v in config.get("ProductionVariants", []) if "ModelName" in v)
    return names


def _generated_names(
    operation: str, result_key: str, name_key: str, kind: str, prefix: str, endpoint_name: str
) -> list[str]:
    paginator = _sagemaker().get_paginator(operation)
    name_contains = naming.name_filter(prefix, kind, endpoint_name)
    names: list[str] = []
    for page in paginator.paginate(NameContains=name_contains):
        names.extend(item[name_key] for item in page.get(result_key, []))
    return [n for n in names if naming.is_generated(n, prefix, kind, endpoint_name)]


def generated_configs(prefix: str, endpoint_name: str) -> list[str]:
    return _generated_names(
        "list_endpoint_configs",
        "EndpointConfigs",
        "EndpointConfigName",
        naming.CONFIG,
        prefix,
        endpoint_name,
    )


def generated_models(prefix: str, endpoint_name: str) -> list[str]:
    return _generated_names(
        "list_models", "Models", "ModelName", naming.MODEL, prefix, endpoint_name
    )


def delete_generated(prefix: str, endpoint_name: str, keep: set[str] | frozenset = frozenset()):
    """Delete every config, then every model, generated for this endpoint (minus ``keep``)."""
    for name in generated_configs(prefix, endpoint_name):
        if name in keep:
            log(endpoint_name, "endpoint config still in use, keeping it", config=name)
        else:
            delete_endpoint_config(endpoint_name, name)
    for name in generated_models(prefix, endpoint_name):
        if name in keep:
            log(endpoint_name, "model still in use, keeping it", model=name)
        else:
            delete_model(endpoint_name, name)


# A schedule in Pending cannot be deleted yet (AWS docs, "Delete a monitoring schedule").
SCHEDULE_PENDING = "Pending"


def remove_monitoring_schedules(endpoint_name: str) -> list[str]:
    """Delete every monitoring schedule on the endpoint, hand-added ones included, since
    any of them blocks DeleteEndpoint. Returns the schedules still listed (deleting or
    Pending); the caller polls until none remain."""
    paginator = _sagemaker().get_paginator("list_monitoring_schedules")
    remaining: list[str] = []
    for page in paginator.paginate(EndpointName=endpoint_name):
        for summary in page.get("MonitoringScheduleSummaries", []):
            name = summary["MonitoringScheduleName"]
            if summary.get("EndpointName", endpoint_name) != endpoint_name:
                continue
            remaining.append(name)
            if summary.get("MonitoringScheduleStatus") == SCHEDULE_PENDING:
                log(
                    endpoint_name,
                    "monitoring schedule pending, will delete it later",
                    schedule=name,
                )
                continue
            try:
                _sagemaker().delete_monitoring_schedule(MonitoringScheduleName=name)
            except ClientError as error:
                if aws.is_not_found(error):
                    remaining.remove(name)
                    continue
                if not (aws.is_throttling(error) or aws.error_code(error) == "ValidationException"):
                    raise
                log(
                    endpoint_name,
                    "schedule delete deferred",
                    schedule=name,
                    error=aws.error_code(error),
                )
                continue
            log(endpoint_name, "monitoring schedule deleting", schedule=name)
    return remaining
