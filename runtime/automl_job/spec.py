"""The job's resource properties, validated, and the CreateAutoMLJobV2 request they make."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from automl_job import naming
from cr_support import properties
from cr_support.properties import PropertyError

PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
MODES = ("ENSEMBLING", "HYPERPARAMETER_TUNING", "AUTO")
CSV_WITH_HEADER = "text/csv;header=present"
_CRITERIA = (
    "MaxCandidates",
    "MaxRuntimePerTrainingJobInSeconds",
    "MaxAutoMLJobRuntimeInSeconds",
)


def _choice(props: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = properties.string(props, key, default)
    if value not in allowed:
        raise PropertyError(
            f"resource property '{key}' must be one of {', '.join(allowed)}; got {value!r}"
        )
    return value


def _positive(props: Mapping[str, Any], key: str) -> int | None:
    if properties.optional_string(props, key) is None:
        return None
    value = properties.integer(props, key)
    if value < 1:
        raise PropertyError(f"resource property '{key}' must be a positive integer, got {value}")
    return value


def parse_tags(props: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    raw = props.get("Tags") or []
    if not isinstance(raw, list):
        raise PropertyError("resource property 'Tags' must be a list of {Key, Value} objects")
    tags = []
    for item in raw:
        if not isinstance(item, Mapping) or not item.get("Key"):
            raise PropertyError(f"resource property 'Tags' has an entry without a Key: {item!r}")
        tags.append((str(item["Key"]), str(item.get("Value", ""))))
    return tuple(tags)


@dataclass(frozen=True)
class JobSpec:
    name_prefix: str
    training_data_uri: str
    output_uri: str
    role_arn: str
    target: str
    problem_type: str
    objective: str
    mode: str
    criteria: tuple[tuple[str, int], ...]
    kms_key_id: str
    tags: tuple[tuple[str, str], ...]

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> JobSpec:
        problem_type = properties.optional_string(props, "ProblemType") or ""
        objective = properties.optional_string(props, "Objective") or ""
        if bool(problem_type) != bool(objective):
            raise PropertyError(
                "resource properties 'ProblemType' and 'Objective' must be set together or "
                f"both left empty; got ProblemType={problem_type!r}, Objective={objective!r}"
            )
        if problem_type and problem_type not in PROBLEM_TYPES:
            raise PropertyError(
                f"resource property 'ProblemType' must be one of {', '.join(PROBLEM_TYPES)} "
                f"or empty; got {problem_type!r}"
            )
        role_arn = properties.role_arn(props)
        target = properties.string(props, "TargetAttribute")
        if not target:
            raise PropertyError("resource property 'TargetAttribute' must not be empty")
        criteria = tuple(
            (key, value) for key in _CRITERIA if (value := _positive(props, key)) is not None
        )
        return cls(
            name_prefix=naming.check_prefix(properties.string(props, "JobNamePrefix")),
            training_data_uri=properties.s3_uri(props, "TrainingDataUri"),
            output_uri=properties.s3_uri(props, "OutputUri"),
            role_arn=role_arn,
            target=target,
            problem_type=problem_type,
            objective=objective,
            mode=_choice(props, "Mode", MODES, "ENSEMBLING"),
            criteria=criteria,
            kms_key_id=properties.optional_string(props, "KmsKeyId") or "",
            tags=parse_tags(props),
        )

    def job_inputs(self) -> dict[str, Any]:
        """Everything that shapes the job. Tags are left out: they are synced in place."""
        return {
            "JobNamePrefix": self.name_prefix,
            "TrainingDataUri": self.training_data_uri,
            "OutputUri": self.output_uri,
            "RoleArn": self.role_arn,
            "TargetAttribute": self.target,
            "ProblemType": self.problem_type,
            "Objective": self.objective,
            "Mode": self.mode,
            "CompletionCriteria": dict(self.criteria),
            "KmsKeyId": self.kms_key_id,
        }

    def job_name(self, stack_id: str, logical_id: str) -> str:
        return naming.job_name(self.name_prefix, stack_id, logical_id, self.job_inputs())

    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in self.tags]

    def create_request(self, name: str) -> dict[str, Any]:
        tabular: dict[str, Any] = {"TargetAttributeName": self.target, "Mode": self.mode}
        if self.criteria:
            tabular["CompletionCriteria"] = dict(self.criteria)
        if self.problem_type:
            tabular["ProblemType"] = self.problem_type
        output: dict[str, str] = {"S3OutputPath": self.output_uri}
        if self.kms_key_id:
            output["KmsKeyId"] = self.kms_key_id
        request: dict[str, Any] = {
            "AutoMLJobName": name,
            "AutoMLJobInputDataConfig": [
                {
                    "ChannelType": "training",
                    "ContentType": CSV_WITH_HEADER,
                    "CompressionType": "None",
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": self.training_data_uri}
                    },
                }
            ],
            "OutputDataConfig": output,
            "AutoMLProblemTypeConfig": {"TabularJobConfig": tabular},
            "RoleArn": self.role_arn,
        }
        if self.objective:
            request["AutoMLJobObjective"] = {"MetricName": self.objective}
        if self.kms_key_id:
            request["SecurityConfig"] = {"VolumeKmsKeyId": self.kms_key_id}
        if self.tags:
            request["Tags"] = self.tag_list()
        return request

    def conflicts_with(self, job: Mapping[str, Any]) -> list[str]:
        """What differs between this spec and an existing job of the same name."""
        channels = job.get("AutoMLJobInputDataConfig") or [{}]
        uri = channels[0].get("DataSource", {}).get("S3DataSource", {}).get("S3Uri", "")
        tabular = job.get("AutoMLProblemTypeConfig", {}).get("TabularJobConfig", {})
        found = {
            "training data": uri,
            "target": tabular.get("TargetAttributeName", ""),
            "role": job.get("RoleArn", ""),
        }
        wanted = {
            "training data": self.training_data_uri,
            "target": self.target,
            "role": self.role_arn,
        }
        return [f"{key} {found[key]!r}" for key in wanted if found[key] != wanted[key]]
