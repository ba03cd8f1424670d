"""tools/integ.sh destroys only what its own deploy created, against a recording fake cdk."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from tests.fixtures import ROOT
from tools import integ_stacks

MAIN = ("AutopilotStudio-integ", "AutopilotStudio-integ")
ASSERT = (
    "AutopilotStudioIntegDefaultTestDeployAssert880623D1",
    "AutopilotStudioInteg/DefaultTest/DeployAssert",
)


def executable(path: Path, script: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def integ(tmp_path):
    """Run integ.sh with a fake cdk (deploy creates the stacks listed in CREATES) and a fake
    Python whose `existing` answers from what the fake deploy created."""
    log, state = tmp_path / "calls.log", tmp_path / "stacks"
    cdk = executable(
        tmp_path / "cdk",
        f'echo "cdk $*" >> {log}\n'
        f'if [ "$1" = deploy ]; then printf "%s\\n" $CREATES >> {state}; exit $DEPLOY_EXIT; fi\n',
    )
    names = "\n".join(" ".join(pair) for pair in (MAIN, ASSERT))
    python = executable(
        tmp_path / "python",
        'case "$1 $2" in\n'
        f'  "tools/integ_stacks.py names") printf "%s\\n" "{names}" ;;\n'
        f'  "tools/integ_stacks.py existing") cat {state} 2>/dev/null; true ;;\n'
        f'  *) echo "python $*" >> {log} ;;\n'
        "esac\n",
    )

    def run(*args, creates=(), deploy_exit=0, leftovers=()):
        if leftovers:
            state.write_text("".join(f"{name}\n" for name in leftovers))
        env = {
            **os.environ,
            "CDK": str(cdk),
            "PYTHON": str(python),
            "CREATES": " ".join(creates),
            "DEPLOY_EXIT": str(deploy_exit),
        }
        done = subprocess.run(
            ["bash", "tools/integ.sh", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        calls = [line for line in log.read_text().splitlines() if not line.startswith("cdk synth")]
        return done, calls

    return run


def test_a_deploy_that_fails_midway_destroys_only_what_it_created(integ):
    done, calls = integ(creates=[MAIN[0]], deploy_exit=1)
    assert done.returncode == 1
    assert calls[1:] == [f"cdk destroy --app cdk.out/integ --force {MAIN[1]}"]


def test_a_deploy_that_created_nothing_destroys_nothing(integ):
    done, calls = integ(deploy_exit=1)
    assert done.returncode == 1
    assert [c.split()[1] for c in calls] == ["deploy"]
    assert "nothing to destroy" in done.stderr


def test_a_full_run_checks_the_assertions_and_destroys_both(integ):
    done, calls = integ(creates=[MAIN[0], ASSERT[0]])
    assert done.returncode == 0
    assert calls[0].startswith("cdk deploy --app cdk.out/integ --all")
    assert calls[1] == "python tests/integ/assertion_results.py cdk.out/integ-outputs.json"
    assert calls[2] == f"cdk destroy --app cdk.out/integ --force {MAIN[1]} {ASSERT[1]}"


def test_leftovers_stop_the_run_before_deploying(integ):
    done, calls = integ(leftovers=[MAIN[0]])
    assert done.returncode == 1
    assert calls == []
    assert done.stderr == (
        f"error: {MAIN[0]} exist(s) from an earlier run; `make integ-clean` removes them\n"
    )


def test_clean_destroys_the_leftovers(integ):
    done, calls = integ("clean", leftovers=[ASSERT[0]])
    assert done.returncode == 0
    assert calls == [f"cdk destroy --app cdk.out/integ --force {ASSERT[1]}"]


def test_names_come_from_the_assembly_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "Tree": {"type": "cdk:tree"},
                    MAIN[0]: {"type": "aws:cloudformation:stack", "displayName": MAIN[1]},
                    ASSERT[0]: {
                        "type": "aws:cloudformation:stack",
                        "displayName": ASSERT[1],
                        "properties": {"stackName": ASSERT[0]},
                    },
                }
            }
        )
    )
    assert integ_stacks.names(tmp_path) == [MAIN, ASSERT]


def test_existing_skips_missing_and_deleted_stacks():
    client = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(client)
    for name, status in (("a", "CREATE_COMPLETE"), ("b", None), ("c", "DELETE_COMPLETE")):
        if status is None:
            stubber.add_client_error(
                "describe_stacks",
                "ValidationError",
                f"Stack with id {name} does not exist",
                400,
                expected_params={"StackName": name},
            )
            continue
        stack = {
            "StackName": name,
            "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
            "StackStatus": status,
        }
        stubber.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": name})
    with stubber:
        assert integ_stacks.existing(client, ["a", "b", "c"]) == ["a"]
    stubber.assert_no_pending_responses()
