"""The baseline resource's properties and the names derived from them.

The job name hashes the stack, the logical ID and every input, so a Delete that arrives
with an invented physical ID (a cancelled Create) computes the same name and can stop it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cr_support import properties
from cr_support.properties import PropertyError

# SageMaker processing-job names: 1-63 of [a-zA-Z0-9-], no leading or trailing hyphen.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
DIGEST_LENGTH = 12
MAX_PREFIX_LENGTH = 63 - 1 - DIGEST_LENGTH
# The analyzer's container contract (AWS docs, "Create a baseline"; the sagemaker SDK's
# DefaultModelMonitor.suggest_baseline sets the same environment and paths).
INPUT_PATH = "/opt/ml/processing/input/baseline_dataset_input"
OUTPUT_PATH = "/opt/ml/processing/output"
STATISTICS = "statistics.json"
CONSTRAINTS = "constraints.json"
_INPUTS = (
    "BaselineDatasetUri",
    "OutputUri",
    "ImageUri",
    "RoleArn",
    "InstanceType",
    "InstanceCount",
    "VolumeSizeInGB",
    "MaxRuntimeInSeconds",
    "KmsKeyId",
)


@dataclass(frozen=True)
class BaselineSpec:
    job_name: str
    prefix: str
    dataset_uri: str
    output_uri: str
    image_uri: str
    role_arn: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    max_runtime_seconds: int
    kms_key_id: str | None
    tags: tuple[tuple[str, str], ...]

    @property
    def statistics_uri(self) -> str:
        return f"{self.output_uri}/{STATISTICS}"

    @property
    def constraints_uri(self) -> str:
        return f"{self.output_uri}/{CONSTRAINTS}"

    def data(self) -> dict[str, str]:
        return {
            "JobName": self.job_name,
            "Digest": self.output_uri.rsplit("/", 1)[1],
            "StatisticsS3Uri": self.statistics_uri,
            "ConstraintsS3Uri": self.constraints_uri,
        }

    def request(self) -> dict[str, Any]:
        """CreateProcessingJob for the analyzer, shaped as the SDK's suggest_baseline sends it."""
        output: dict[str, Any] = {
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": self.output_uri,
                        "LocalPath": OUTPUT_PATH,
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        }
        cluster: dict[str, Any] = {
            "InstanceCount": self.instance_count,
            "InstanceType": self.instance_type,
            "VolumeSizeInGB": self.volume_size_gb,
        }
        if self.kms_key_id:
            output["KmsKeyId"] = self.kms_key_id
            cluster["VolumeKmsKeyId"] = self.kms_key_id
        request: dict[str, Any] = {
            "ProcessingJobName": self.job_name,
            "ProcessingInputs": [
                {
                    "InputName": "baseline_dataset_input",
                    "S3Input": {
                        "S3Uri": self.dataset_uri,
                        "LocalPath": INPUT_PATH,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                    },
                }
            ],
            "ProcessingOutputConfig": output,
            "ProcessingResources": {"ClusterConfig": cluster},
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_runtime_seconds},
            "AppSpecification": {"ImageUri": self.image_uri},
            "Environment": {
                # The staged baseline file has a header row, so features keep their names.
                "dataset_format": json.dumps({"csv": {"header": True}}),
                "dataset_source": INPUT_PATH,
                "output_path": OUTPUT_PATH,
                "publish_cloudwatch_metrics": "Disabled",
            },
            "NetworkConfig": {"EnableInterContainerTrafficEncryption": True},
            "RoleArn": self.role_arn,
        }
        if self.tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in self.tags]
        return request


def is_valid_name(name: Any) -> bool:
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def digest(event: Mapping[str, Any]) -> str:
    props = event.get("ResourceProperties") or {}
    inputs = [str(event.get("StackId", "")), str(event.get("LogicalResourceId", ""))]
    inputs += [str(props.get(key, "")) for key in _INPUTS]
    text = json.dumps(inputs, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def parse(event: Mapping[str, Any]) -> BaselineSpec:
    props = event.get("ResourceProperties") or {}
    prefix = properties.string(props, "JobNamePrefix")
    if not is_valid_name(prefix) or len(prefix) > MAX_PREFIX_LENGTH:
        raise PropertyError(
            f"resource property 'JobNamePrefix' must be 1-{MAX_PREFIX_LENGTH} letters, digits "
            f"or hyphens, got {prefix!r}"
        )
    hashed = digest(event)
    output_root = properties.s3_uri(props, "OutputUri", strip_trailing_slash=True)
    raw_tags = props.get("Tags") or []
    return BaselineSpec(
        job_name=f"{prefix}-{hashed}",
        prefix=prefix,
        dataset_uri=properties.s3_uri(props, "BaselineDatasetUri"),
        output_uri=f"{output_root}/{hashed}",
        image_uri=properties.string(props, "ImageUri"),
        role_arn=properties.role_arn(props),
        instance_type=properties.string(props, "InstanceType"),
        instance_count=properties.integer(props, "InstanceCount", 1),
        volume_size_gb=properties.integer(props, "VolumeSizeInGB", 20),
        max_runtime_seconds=properties.integer(props, "MaxRuntimeInSeconds", 3600),
        kms_key_id=properties.optional_string(props, "KmsKeyId"),
        tags=tuple((str(t["Key"]), str(t["Value"])) for t in raw_tags),
    )
