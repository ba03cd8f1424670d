"""Job names and the validated job properties (pure functions, no AWS)."""

from __future__ import annotations

import re

import pytest

from automl_job import naming
from automl_job.spec import JobSpec
from cr_support.properties import PropertyError
from tests.runtime.automl_job.responses import PROPS, STACK_ID

SAGEMAKER_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")


def name_for(stack_id: str = STACK_ID, logical_id: str = "AutoMLJob", **changes) -> str:
    return JobSpec.from_properties({**PROPS, **changes}).job_name(stack_id, logical_id)


def test_name_fits_sagemaker_rules_and_keeps_the_prefix():
    name = name_for()
    assert len(name) == 32
    assert SAGEMAKER_PATTERN.fullmatch(name)
    assert name.startswith("apstudio-dev-")
    assert re.fullmatch(r"[0-9a-f]{19}", name.removeprefix("apstudio-dev-"))


@pytest.mark.parametrize("prefix", ["a", "ab-c", "x" * 20, "A1--b2"])
def test_any_valid_prefix_gives_a_valid_name(prefix):
    name = name_for(JobNamePrefix=prefix)
    assert len(name) <= 32
    assert SAGEMAKER_PATTERN.fullmatch(name)
    assert name.startswith(f"{prefix}-")
    assert len(name) - len(prefix) - 1 >= 11


def test_name_is_stable_for_the_same_inputs():
    assert name_for() == name_for()
    reordered = dict(reversed(list(PROPS.items())))
    assert JobSpec.from_properties(reordered).job_name(STACK_ID, "AutoMLJob") == name_for()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JobNamePrefix", "apstudio-stage"),
        ("TrainingDataUri", "s3://sagemaker-apstudio-dev/datasets/fedcba9876543210/train.csv"),
        ("OutputUri", "s3://sagemaker-apstudio-dev/automl-output-2/"),
        ("RoleArn", "arn:aws:iam::123456789012:role/other"),
        ("TargetAttribute", "Y"),
        ("ProblemType", "MulticlassClassification"),
        ("Objective", "AUC"),
        ("Mode", "HYPERPARAMETER_TUNING"),
        ("MaxCandidates", "11"),
        ("MaxRuntimePerTrainingJobInSeconds", "901"),
        ("MaxAutoMLJobRuntimeInSeconds", "1801"),
        ("KmsKeyId", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ],
)
def test_name_changes_with_every_job_input(key, value):
    assert name_for(**{key: value}) != name_for()


def test_name_changes_with_stack_and_resource():
    other_stack = STACK_ID.replace("0f1e2d3c", "99999999")
    assert name_for(stack_id=other_stack) != name_for()
    assert name_for(logical_id="AutoMLJob2") != name_for()


def test_tags_do_not_change_the_name():
    assert name_for(Tags=[{"Key": "owner", "Value": "ml-team"}]) == name_for()
    assert name_for(Tags=[]) == name_for()


def test_pure_function_matches_documented_recipe():
    import hashlib
    import json

    inputs = {"a": 1}
    canonical = json.dumps(
        {"StackId": "s", "LogicalResourceId": "l", "Inputs": inputs},
        sort_keys=True,
        separators=(",", ":"),
    )
    expected = "p-" + hashlib.sha256(canonical.encode()).hexdigest()[:30]
    assert naming.job_name("p", "s", "l", inputs) == expected


@pytest.mark.parametrize(
    "prefix", ["", "x" * 21, "a-b-c-d-e-f-g-h-i-j-k", "ap_studio", "-apstudio", "apstudio-", "a b"]
)
def test_invalid_prefixes_are_rejected(prefix):
    with pytest.raises(PropertyError, match="'JobNamePrefix' must be 1-20 letters, digits"):
        name_for(JobNamePrefix=prefix)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("apstudio-dev-0123456789abcdef012", True),
        ("AWSCDK::CustomResourceProviderFramework::CREATE_FAILED", False),
        ("", False),
        ("a" * 33, False),
        ("0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", False),
    ],
)
def test_is_job_name(value, valid):
    assert naming.is_job_name(value) is valid


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"Objective": ""},
            "resource properties 'ProblemType' and 'Objective' must be set together or both "
            "left empty; got ProblemType='BinaryClassification', Objective=''",
        ),
        (
            {"ProblemType": ""},
            "resource properties 'ProblemType' and 'Objective' must be set together or both "
            "left empty; got ProblemType='', Objective='F1'",
        ),
        (
            {"ProblemType": "Binary"},
            "resource property 'ProblemType' must be one of BinaryClassification, "
            "MulticlassClassification, Regression or empty; got 'Binary'",
        ),
        (
            {"Mode": "FAST"},
            "resource property 'Mode' must be one of ENSEMBLING, HYPERPARAMETER_TUNING, AUTO; "
            "got 'FAST'",
        ),
        (
            {"MaxCandidates": "ten"},
            "resource property 'MaxCandidates' must be an integer, got 'ten'",
        ),
        (
            {"MaxAutoMLJobRuntimeInSeconds": "0"},
            "resource property 'MaxAutoMLJobRuntimeInSeconds' must be a positive integer, got 0",
        ),
        (
            {"TrainingDataUri": "datasets/train.csv"},
            "resource property 'TrainingDataUri' must be an s3:// URI, got 'datasets/train.csv'",
        ),
        (
            {"RoleArn": "my-role"},
            "resource property 'RoleArn' must be an IAM role ARN, got 'my-role'",
        ),
        ({"TargetAttribute": ""}, "resource property 'TargetAttribute' must not be empty"),
        (
            {"Tags": [{"Value": "x"}]},
            "resource property 'Tags' has an entry without a Key: {'Value': 'x'}",
        ),
    ],
)
def test_invalid_properties_are_rejected_with_the_reason(changes, message):
    with pytest.raises(PropertyError) as raised:
        JobSpec.from_properties({**PROPS, **changes})
    assert str(raised.value) == message


def test_both_problem_type_and_objective_may_be_left_empty():
    spec = JobSpec.from_properties({**PROPS, "ProblemType": "", "Objective": ""})
    request = spec.create_request("n")
    assert "AutoMLJobObjective" not in request
    assert "ProblemType" not in request["AutoMLProblemTypeConfig"]["TabularJobConfig"]


def test_empty_completion_criteria_are_left_out():
    spec = JobSpec.from_properties(
        {
            **PROPS,
            "MaxCandidates": "",
            "MaxRuntimePerTrainingJobInSeconds": "",
            "MaxAutoMLJobRuntimeInSeconds": "",
        }
    )
    tabular = spec.create_request("n")["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    assert tabular == {
        "TargetAttributeName": "y",
        "Mode": "ENSEMBLING",
        "ProblemType": "BinaryClassification",
    }


@pytest.mark.parametrize("prefix", ["a", "apstudio-dev", "p" * 20])
def test_retry_names_are_distinct_valid_job_names(prefix):
    name = naming.job_name(prefix, "arn:stack/s/1", "AutoML", {"k": "v"})
    names = naming.attempt_names(name)
    assert names[0] == name
    assert len(set(names)) == naming.MAX_ATTEMPTS
    assert all(naming.is_job_name(n) and n.startswith(f"{prefix}-") for n in names)
