"""The SageMaker model of a job's best candidate, which the AutoML result resource creates.

Its name is ``<prefix>-m-<digest>``: the digest hashes the job, its best candidate, the
response keys and the execution role, so a new job or new keys give a new model (the
result resource's new physical ID; CloudFormation deletes the old model once the update
has succeeded) and a Delete can recompute the name from the event. The native endpoint
config serves it. Autopilot's one-click deploy cannot enable data capture, so the model
is created here rather than by ``ModelDeployConfig`` (docs/ARCHITECTURE.md, "Autopilot API facts").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from botocore.exceptions import ClientError

from automl_job.containers import ContainerError, wire_response_keys
from cr_support import aws
from cr_support.logs import log

DIGEST_LENGTH = 10
MAX_NAME_LENGTH = 63


def model_name(prefix: str, *, job: str, candidate: str, keys: Iterable[str], role: str) -> str:
    digest = hashlib.sha256(
        json.dumps([job, candidate, list(keys), role], separators=(",", ":")).encode()
    ).hexdigest()[:DIGEST_LENGTH]
    name = f"{prefix}-m-{digest}"
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"model name {name!r} is longer than {MAX_NAME_LENGTH} characters")
    return name


def is_model_name(name: str, prefix: str) -> bool:
    """True only for names ``model_name`` gives: job names never have ``-m-`` after it."""
    pattern = re.escape(f"{prefix}-m-") + f"[0-9a-f]{{{DIGEST_LENGTH}}}"
    return bool(prefix) and re.fullmatch(pattern, name) is not None


def containers(best: Mapping[str, Any], keys: Iterable[str]) -> list[dict[str, Any]]:
    """The best candidate's inference containers, wired to emit ``keys``."""
    try:
        return wire_response_keys(best.get("InferenceContainers"), keys)
    except ContainerError as error:
        raise RuntimeError(f"the best candidate cannot be served: {error}") from None


def create(
    name: str, definitions: list[dict[str, Any]], role: str, tags: list[dict[str, str]]
) -> bool:
    """Create the model; False when one of that name exists already (a retry)."""
    request: dict[str, Any] = {
        "ModelName": name,
        "Containers": definitions,
        "ExecutionRoleArn": role,
    }
    if tags:
        request["Tags"] = tags
    try:
        aws.client("sagemaker").create_model(**request)
    except ClientError as error:
        if "already exist" not in aws.error_message(error).lower():
            raise
        log(name, "model exists, reusing it")
        return False
    log(name, "created model", containers=len(definitions))
    return True


def arn(name: str) -> str | None:
    try:
        return cast(str, aws.client("sagemaker").describe_model(ModelName=name)["ModelArn"])
    except ClientError as error:
        if aws.is_not_found(error):
            return None
        raise


def delete(name: str) -> None:
    """Delete the model; one that is not there is done."""
    try:
        aws.client("sagemaker").delete_model(ModelName=name)
    except ClientError as error:
        if aws.is_not_found(error):
            log(name, "model not found; nothing to delete")
            return
        raise
    log(name, "deleted model")


def sync_tags(name: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Bring an existing model's tags in line with the resource's."""
    if dict(old) == dict(new):
        return
    model = arn(name)
    if model is None:
        return
    sagemaker = aws.client("sagemaker")
    removed = sorted(set(old) - set(new))
    if removed:
        sagemaker.delete_tags(ResourceArn=model, TagKeys=removed)
    if new:
        sagemaker.add_tags(ResourceArn=model, Tags=[{"Key": k, "Value": v} for k, v in new.items()])
    log(name, "tags synced", removed=removed)
