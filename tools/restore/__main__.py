"""Bring a destroyed environment back with the data, log bucket and key it retained.

    python -m tools.restore --env prod [--cdk node_modules/.bin/cdk] [--approval broadening]

1. Refuses, in one line, an environment that retains nothing, a stack that still exists,
   and retained resources that are missing or belong to another environment.
2. Synthesizes the environment once (``cdk synth``), finds each resource its template
   retains, and writes the ``cdk import`` resource mapping.
3. ``cdk import`` creates the stack from the retained resources alone (an IMPORT change
   set), then ``cdk deploy`` creates everything else, both from that one synthesis.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cli import aws_config
from cli.errors import EvaluationError
from config import ConfigError, load_settings
from tools.restore.account import Finder, Target, check_no_stack
from tools.restore.plan import RestoreError, check_supported, retained_resources

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CDK = ROOT / "node_modules" / ".bin" / "cdk"


def target_for(env: str) -> tuple[Target, Any]:
    """The environment, account and region to restore, and the AWS session for them."""
    settings = load_settings(env)
    if not settings.retains_data:
        raise RestoreError(
            f'{env} keeps nothing on destroy (removal_policy = "destroy" in '
            f"config/environments.toml): there is nothing to restore; make deploy ENV={env}"
        )
    session = aws_config.session(None, settings.region)
    region = aws_config.region_of(session)
    identity = session.client("sts", region_name=region).get_caller_identity()
    if settings.account and identity["Account"] != settings.account:
        raise RestoreError(
            f"your credentials are for account {identity['Account']}, but {env}.account = "
            f"'{settings.account}' in config/environments.toml"
        )
    target = Target(
        env=env,
        stack_name=settings.stack_name,
        tags=dict(settings.tags),
        account=identity["Account"],
        region=region,
        partition=identity["Arn"].split(":")[1],
    )
    return target, session


def cdk_environment(target: Target) -> dict[str, str]:
    """The pinned Node first on PATH (as the Makefile does), and the region found here."""
    node_bin = ROOT / "node_modules" / ".bin"
    return {
        **os.environ,
        "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_REGION": target.region,
    }


def run_cdk(cdk: str, target: Target, *args: str) -> int:
    command = [cdk, *args, "-c", f"env={target.env}"]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    return subprocess.run(command, cwd=ROOT, env=cdk_environment(target), check=False).returncode


def restore(target: Target, client, *, cdk: str, approval: str, outdir: Path) -> int:
    """Check, synthesize, map, import, deploy; returns the exit code."""
    status = check_no_stack(client("cloudformation"), target)
    if status:
        print(f"{target.stack_name} is {status}: the CDK CLI replaces it", file=sys.stderr)
    code = run_cdk(cdk, target, "synth", "--quiet", "--output", str(outdir))
    if code:
        return code
    template = json.loads((outdir / f"{target.stack_name}.template.json").read_text())
    resources = retained_resources(template)
    check_supported(resources)
    plan = Finder(target, client).plan(resources, template)
    for logical_id, what in plan.described.items():
        print(f"import {logical_id}: {what}", file=sys.stderr)
    for line in plan.skipped:
        print(f"skip {line}", file=sys.stderr)
    mapping_file = outdir.parent / f"{outdir.name}-resource-mapping.json"
    mapping_file.write_text(json.dumps(plan.mapping, indent=2) + "\n")

    app = ["--app", str(outdir)]
    code = run_cdk(
        cdk, target, "import", *app, "--resource-mapping", str(mapping_file), target.stack_name
    )
    if code:
        return code
    return run_cdk(cdk, target, "deploy", *app, "--require-approval", approval, target.stack_name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.restore", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--env", required=True, help="environment in config/environments.toml")
    parser.add_argument("--cdk", default=str(DEFAULT_CDK), help="the CDK CLI (the pinned one)")
    parser.add_argument("--approval", default="broadening", help="cdk deploy --require-approval")
    parser.add_argument("--outdir", type=Path, help="where to synthesize (cdk.out/restore-ENV)")
    args = parser.parse_args(argv)
    try:
        target, session = target_for(args.env)

        def client(name: str):
            return session.client(name, region_name=target.region)

        outdir = args.outdir or ROOT / "cdk.out" / f"restore-{args.env}"
        return restore(target, client, cdk=args.cdk, approval=args.approval, outdir=outdir)
    except ConfigError as error:
        for line in error.problems:
            print(f"Configuration error: {line}", file=sys.stderr)
    except (RestoreError, EvaluationError) as error:
        print(f"error: {error}", file=sys.stderr)
    except (BotoCoreError, ClientError) as error:
        problem = aws_config.credentials_problem(error, os.environ.get("AWS_PROFILE"))
        print(f"error: {problem or error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
