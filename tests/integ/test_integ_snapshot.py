"""Offline checks of the integ test app: snapshots of what it would deploy, and its wiring.

A change to the integ test, or to the stack it deploys, shows up here as a snapshot diff.
After a reviewed change: `uv run pytest tests/integ --snapshot-update`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from config import AutoMLSettings
from tests.integ.integ_autopilot_studio import (
    FEATURE_ROW,
    TEST_NAME,
    build,
    integ_settings,
    project_context,
)
from tests.once_per_run import once
from tests.synth import masked

BANK_FEATURE_COUNT = 20  # 21 columns in the sample, minus the target y


@dataclass(frozen=True)
class IntegAssembly:
    stack: dict[str, Any]
    assertions: dict[str, Any]
    assertion_stack_name: str
    manifest: dict[str, Any]
    dependencies: dict[str, list[str]]


@pytest.fixture(scope="module")
def integ(tmp_path_factory) -> IntegAssembly:
    """The integ app, synthesized once per run and shared by the pytest-xdist workers."""

    def produce(outdir: Path) -> dict[str, Any]:
        # Templates are the same without copying the assets (hashes come from the sources).
        context = {**project_context(), "aws:cdk:disable-asset-staging": True}
        app = cdk.App(outdir=str(outdir), context=context)
        build(app)
        assembly = app.synth()
        manifest = json.loads((outdir / "integ.json").read_text())
        (case,) = manifest["testCases"].values()
        templates = {stack.stack_name: stack.template for stack in assembly.stacks}
        return {
            "stack": templates.pop(integ_settings().stack_name),
            "assertions": templates.pop(case["assertionStackName"]),
            "assertion_stack_name": case["assertionStackName"],
            "manifest": manifest,
            "dependencies": {
                stack.stack_name: [dep.id for dep in stack.dependencies]
                for stack in assembly.stacks
            },
        }

    return IntegAssembly(**once(tmp_path_factory, "cdk-integ", produce))


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def _unsalted(value: Any) -> Any:
    """Assertion resources carry a synth-time timestamp ("salt") that forces a re-run."""
    if isinstance(value, dict):
        return {key: "<salt>" if key == "salt" else _unsalted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unsalted(item) for item in value]
    return value


@pytest.mark.parametrize("which", ["stack", "assertions"])
def test_integ_template_matches_snapshot(integ, snapshot_json, which):
    assert _unsalted(masked(getattr(integ, which))) == snapshot_json


def test_integ_manifest_matches_snapshot(integ, snapshot_json):
    assert integ.manifest == snapshot_json


def test_integ_case_deploys_once_and_destroys(integ):
    (case,) = integ.manifest["testCases"].values()
    assert integ.manifest["testCases"].keys() == {f"{TEST_NAME}/DefaultTest"}
    assert case["stacks"] == [integ_settings().stack_name]
    assert case["stackUpdateWorkflow"] is False
    # integ-runner destroys after every run unless a test case disables it.
    assert case.get("cdkCommandOptions", {}).get("destroy", {}).get("enabled", True)


def test_integ_settings_use_the_smallest_automl_budget():
    settings = integ_settings()
    smallest = AutoMLSettings.model_fields["max_job_runtime_seconds"].metadata[0].ge
    assert settings.automl.max_job_runtime_seconds == smallest
    assert settings.removal_policy == "destroy"
    assert not settings.studio.canvas_enabled
    assert not settings.studio.projects_and_jumpstart_enabled
    assert settings.endpoint.capture_sampling_percentage == 100


def test_stack_has_no_account_wide_projects_resources(integ):
    types = {resource["Type"] for resource in integ.stack["Resources"].values()}
    assert "Custom::ProjectsAndJumpStart" not in types
    assert not any("ProjectsAndJumpStart" in logical_id for logical_id in integ.stack["Resources"])


def test_assertions_run_in_order_after_the_stack(integ):
    calls = {
        resource["Properties"]["api"]: (logical_id, resource)
        for logical_id, resource in integ.assertions["Resources"].items()
        if resource["Type"].startswith("Custom::DeployAssert@SdkCall")
    }
    assert calls.keys() == {"describeEndpoint", "invokeEndpoint", "listObjectsV2"}
    describe_id, _ = calls["describeEndpoint"]
    invoke_id, invoke = calls["invokeEndpoint"]
    _, listing = calls["listObjectsV2"]
    assert invoke["DependsOn"] == [describe_id]
    assert invoke_id in listing["DependsOn"]
    assert "stateMachineArn" in listing["Properties"]
    assert integ_settings().stack_name in integ.dependencies[integ.assertion_stack_name]


def test_invocation_is_one_csv_row_of_features(integ):
    (invoke,) = (
        resource
        for resource in integ.assertions["Resources"].values()
        if resource["Type"].endswith("SdkCallSageMakerRuntimeinvokeEndpoint")
    )
    body = json.loads(invoke["Properties"]["parameters"]["Body"])
    assert body == FEATURE_ROW
    assert "\n" not in body
    assert len(body.split(",")) == BANK_FEATURE_COUNT


def _role_actions(template: dict[str, Any]) -> list[set[str]]:
    return [
        {
            action
            for policy in resource["Properties"].get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
            for action in statement["Action"]
        }
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
    ]


def test_capture_listing_is_allowed_by_list_bucket(integ):
    """The waiter's own function lists the capture prefix; ListObjectsV2 needs s3:ListBucket."""
    (waiter,) = (
        actions
        for actions in _role_actions(integ.assertions)
        if "s3:ListObjectsV2" in actions and "sagemaker:InvokeEndpoint" not in actions
    )
    assert "s3:ListBucket" in waiter
