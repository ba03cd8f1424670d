"""Synthesize an environment offline, the way ``cdk synth`` would, for the infra tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from app import build_app
from config import EnvironmentSettings
from tests.fixtures import ACCOUNT as TEST_ACCOUNT
from tests.fixtures import REGION as TEST_REGION
from tests.fixtures import ROOT

_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Synthesized:
    settings: EnvironmentSettings
    template: dict[str, Any]
    template_path: Path
    nag_findings: list[tuple[str, str]]
    termination_protection: bool

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str) -> dict[str, Any]:
        (resource,) = self.resources(resource_type).values()
        return resource


def synthesize(settings: EnvironmentSettings, outdir: Path) -> Synthesized:
    """Synth with a fixed account and region; keep cdk-nag's findings instead of failing."""
    app = cdk.App(outdir=str(outdir), context=_cdk_json_context())
    stack = build_app(app, settings, default_account=TEST_ACCOUNT, default_region=TEST_REGION)
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag failures surface as a ValidationFailed error
        if "ValidationFailed" not in str(error):
            raise
    template_path = outdir / f"{stack.stack_name}.template.json"
    return Synthesized(
        settings=settings,
        template=json.loads(template_path.read_text()),
        template_path=template_path,
        nag_findings=_nag_findings(outdir / "validation-report.json"),
        termination_protection=stack.termination_protection,
    )


def masked(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes masked, so snapshots match on any machine."""
    return json.loads(_HASH.sub("<asset-hash>", json.dumps(template)))


def _cdk_json_context() -> dict[str, Any]:
    cdk_json = ROOT / "cdk.json"
    return json.loads(cdk_json.read_text())["context"]


def _nag_findings(report_path: Path) -> list[tuple[str, str]]:
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    return [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def synthesize_template(settings: EnvironmentSettings, outdir: Path) -> dict[str, Any]:
    """The template alone: without cdk-nag, CDK's built-in CloudFormation validation and
    the construct tree. None of them changes a template; ``synthesize`` runs the first
    two on every environment."""
    from stacks.autopilot_studio_stack import AutopilotStudioStack

    app = cdk.App(
        outdir=str(outdir),
        context=_cdk_json_context(),
        builtin_cloud_formation_validation=False,
        tree_metadata=False,
    )
    stack = AutopilotStudioStack(
        app,
        settings.stack_name,
        settings=settings,
        env=cdk.Environment(account=TEST_ACCOUNT, region=TEST_REGION),
        termination_protection=settings.is_protected,
    )
    return app.synth().get_stack_by_name(stack.stack_name).template


def synthesize_once(
    tmp_path_factory: Any,
    key: str,
    settings_in: Callable[[Path], EnvironmentSettings],
    prepare: Callable[[Path], None] | None = None,
) -> Synthesized:
    """``settings_in(folder)`` synthesized once per run, shared by the pytest-xdist workers.

    ``prepare(folder)`` first writes what the settings refer to (a local dataset) into the
    shared folder, so every worker sees the same paths and the same template.
    """
    from tests.once_per_run import once

    def produce(folder: Path) -> dict[str, Any]:
        if prepare is not None:
            prepare(folder)
        done = synthesize(settings_in(folder), folder / "cdk.out")
        return {
            "template_path": str(done.template_path),
            "nag_findings": done.nag_findings,
            "termination_protection": done.termination_protection,
        }

    shared = once(tmp_path_factory, key, produce)
    template_path = Path(shared["template_path"])
    return Synthesized(
        settings=settings_in(template_path.parent.parent),
        template=json.loads(template_path.read_text()),
        template_path=template_path,
        nag_findings=[tuple(finding) for finding in shared["nag_findings"]],
        termination_protection=shared["termination_protection"],
    )
