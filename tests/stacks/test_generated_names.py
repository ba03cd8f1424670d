"""Every name a handler generates fits the API that receives it.

The names are computed by the handlers' own code from the synthesized template's
properties (rendered as CloudFormation would pass them), for every environment and for
the longest environment name the config allows; each is checked against the pattern and
maximum length of the request member in botocore's service model (AutoML job 32,
endpoint and processing job 63, execution 80, IAM tag key 128, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config import environment_names, load_settings, parse_settings, read_environments
from config.limits import MAX_ENVIRONMENT_NAME_LENGTH
from tests.stacks.botocore_names import check
from tests.stacks.update_safety import _Rendering
from tests.synth import synthesize_template

LONGEST = "q" * MAX_ENVIRONMENT_NAME_LENGTH
STACK_ID = (
    "arn:aws:cloudformation:us-east-1:111111111111:stack/{}/5b3c7a10-0f1e-11f0-9c0d-0affd1e2f3a4"
)
WAIT_HANDLE = (
    "https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/arn%3Aaws%3Acloudformation"
    "%3Aus-east-1%3A111111111111%3Astack%2FAutopilotStudio-dev%2Fid/AutoMLWaitHandle?X-Amz-Sig=1"
)


def _automl(props: dict[str, Any], stack_id: str, lid: str) -> Iterator[tuple[str, str, str, str]]:
    from automl_job import naming
    from automl_job.spec import JobSpec

    for name in naming.attempt_names(JobSpec.from_properties(props).job_name(stack_id, lid)):
        yield "sagemaker", "CreateAutoMLJobV2", "AutoMLJobName", name
        execution = naming.execution_name(name, props.get("WaitHandleUrl") or WAIT_HANDLE)
        yield "stepfunctions", "StartExecution", "name", execution


def _model(props: dict[str, Any], stack_id: str, lid: str) -> Iterator[tuple[str, str, str, str]]:
    from automl_job import model
    from cr_support import properties

    name = model.model_name(
        props["JobNamePrefix"],
        job=props["JobName"],
        candidate="WeightedEnsemble-L3-FULL-t1",
        keys=properties.string_list(props, "InferenceResponseKeys"),
        role=props["RoleArn"],
    )
    yield "sagemaker", "CreateModel", "ModelName", name


def _projects(
    props: dict[str, Any], stack_id: str, lid: str
) -> Iterator[tuple[str, str, str, str]]:
    from projects_enablement import roles
    from projects_enablement.role_specs import ROLE_SPECS

    for spec in ROLE_SPECS:
        yield "iam", "CreateRole", "RoleName", spec.name
    key = roles.claim_key(props["OwnerTagKey"], stack_id)
    yield "iam", "TagRole", "Tags[].Key", key
    yield "iam", "TagRole", "Tags[].Value", stack_id


# Custom resource type -> the names its handler generates: (service, operation, member, name).
GENERATORS: dict[str, Callable[[dict[str, Any], str, str], Iterator[tuple[str, str, str, str]]]] = {
    "Custom::AutoMLJob": _automl,
    "Custom::AutoMLJobResult": _model,
    "Custom::SageMakerProjectsEnablement": _projects,
}


@pytest.fixture(scope="module")
def templates(synthesized, tmp_path_factory) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Every environment's template, and one for the longest allowed environment name."""
    found = {name: (env.settings, env.template) for name, env in synthesized.items()}
    longest = parse_settings(LONGEST, read_environments()["prod"])
    found[LONGEST] = (longest, synthesize_template(longest, tmp_path_factory.mktemp("longest")))
    return found


@pytest.mark.parametrize("env_name", [*environment_names(), LONGEST])
def test_generated_names_fit_their_apis(templates, env_name):
    settings, template = templates[env_name]
    renderer = _Rendering(template, stack_name=settings.stack_name)
    stack_id = STACK_ID.format(settings.stack_name)
    checked: set[str] = set()
    for lid, resource in template["Resources"].items():
        generate = GENERATORS.get(resource["Type"])
        if generate is None:
            continue
        props = renderer.render(resource["Properties"])
        for service, operation, member, name in generate(props, stack_id, lid):
            check(service, operation, member, name)
            checked.add(resource["Type"])
    expected = {"Custom::AutoMLJob", "Custom::AutoMLJobResult"}
    if settings.studio.projects_and_jumpstart_enabled:
        expected.add("Custom::SageMakerProjectsEnablement")
    assert checked == expected


def test_every_custom_resource_kind_is_known(synthesized):
    """A new kind that names things must get a generator here, or be listed as nameless."""
    nameless = {
        "Custom::TrainingDataset",
        "Custom::StudioAppsCleanup",
        "Custom::StudioHomeCleanup",
        "Custom::S3AutoDeleteObjects",
        "Custom::VpcRestrictDefaultSG",
    }
    kinds = {
        r["Type"]
        for env in synthesized.values()
        for r in env.template["Resources"].values()
        if r["Type"].startswith("Custom::")
    }
    assert kinds <= set(GENERATORS) | nameless
    assert load_settings("dev").resource_prefix == "apstudio-dev"
