"""The endpoint resource's properties, validated, with the names derived from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cr_support import properties
from cr_support.properties import PropertyError
from model_endpoint import containers, naming

VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True)
class EndpointSpec:
    endpoint_name: str
    prefix: str
    job_name: str
    candidate_name: str
    role_arn: str
    instance_type: str
    instance_count: int
    response_keys: tuple[str, ...]
    capture_uri: str
    sampling_percentage: int
    kms_key_id: str | None
    tags: tuple[tuple[str, str], ...]

    @property
    def model_name(self) -> str:
        return naming.generated_name(
            self.prefix,
            naming.MODEL,
            self.endpoint_name,
            self.job_name,
            self.candidate_name,
            list(self.response_keys),
            self.role_arn,
        )

    @property
    def config_name(self) -> str:
        return naming.generated_name(
            self.prefix,
            naming.CONFIG,
            self.endpoint_name,
            self.model_name,
            self.instance_type,
            self.instance_count,
            self.capture_uri,
            self.sampling_percentage,
            self.kms_key_id,
        )

    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in self.tags]

    def data(self, endpoint_arn: str = "") -> dict[str, str]:
        return {
            "EndpointName": self.endpoint_name,
            "EndpointArn": endpoint_arn,
            "ModelName": self.model_name,
            "EndpointConfigName": self.config_name,
            "DataCaptureS3Uri": self.capture_uri,
        }


def _name(props: Mapping[str, Any], key: str) -> str:
    value = properties.string(props, key)
    if not naming.is_valid_name(value):
        raise PropertyError(
            f"resource property '{key}' must be 1-63 letters, digits or hyphens "
            f"(no leading, trailing or double-hyphen runs), got {value!r}"
        )
    return value


def _tags(props: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    raw = props.get("Tags") or []
    if not isinstance(raw, list):
        raise PropertyError("resource property 'Tags' must be a list of {Key, Value}")
    tags = []
    for item in raw:
        if not isinstance(item, Mapping) or "Key" not in item or "Value" not in item:
            raise PropertyError(f"resource property 'Tags' has a malformed entry: {item!r}")
        tags.append((str(item["Key"]), str(item["Value"])))
    return tuple(tags)


def parse(props: Mapping[str, Any]) -> EndpointSpec:
    prefix = _name(props, "ResourceNamePrefix")
    if len(prefix) > naming.MAX_PREFIX_LENGTH:
        raise PropertyError(
            f"resource property 'ResourceNamePrefix' must be at most "
            f"{naming.MAX_PREFIX_LENGTH} characters so generated names fit in 63, got {prefix!r}"
        )
    role_arn = properties.role_arn(props)
    instance_type = properties.string(props, "InstanceType")
    if not instance_type.startswith("ml."):
        raise PropertyError(
            f"resource property 'InstanceType' must be a SageMaker instance type such as "
            f"ml.m5.large, got {instance_type!r}"
        )
    count = properties.integer(props, "InitialInstanceCount", 1)
    if count < 1:
        raise PropertyError(f"resource property 'InitialInstanceCount' must be >= 1, got {count}")
    sampling = properties.integer(props, "CaptureSamplingPercentage", 100)
    if not 0 <= sampling <= 100:
        raise PropertyError(
            f"resource property 'CaptureSamplingPercentage' must be 0-100, got {sampling}"
        )
    capture_uri = properties.s3_uri(props, "CaptureDestinationS3Uri", strip_trailing_slash=True)
    return EndpointSpec(
        endpoint_name=_name(props, "EndpointName"),
        prefix=prefix,
        job_name=_name(props, "AutoMLJobName"),
        candidate_name=properties.string(props, "BestCandidateName"),
        role_arn=role_arn,
        instance_type=instance_type,
        instance_count=count,
        response_keys=containers.normalize_keys(
            properties.string_list(props, "InferenceResponseKeys", [])
        ),
        capture_uri=capture_uri,
        sampling_percentage=sampling,
        kms_key_id=properties.optional_string(props, "KmsKeyId"),
        tags=_tags(props),
    )
