#!/usr/bin/env python3
"""CDK app entry point: the only place that reads the environment.

cdk deploy                # dev
cdk deploy -c env=prod    # or any other table in config/environments.toml
cdk synth -c env=qa -c environments_file=../private/environments.toml
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk

from config import ENVIRONMENTS_FILE, ConfigError, EnvironmentSettings, load_settings

if TYPE_CHECKING:
    from stacks.autopilot_studio_stack import AutopilotStudioStack

DEFAULT_ENV = "dev"


def build_app(
    app: cdk.App,
    settings: EnvironmentSettings,
    *,
    default_account: str | None = None,
    default_region: str | None = None,
) -> AutopilotStudioStack:
    """Add the environment's stack and the cdk-nag checks to ``app``."""
    # Imported only now: they take most of the app's start-up, and a configuration error
    # should be reported before that.
    from cdk_nag import AwsSolutionsChecks

    from stacks.autopilot_studio_stack import AutopilotStudioStack

    stack = AutopilotStudioStack(
        app,
        settings.stack_name,
        settings=settings,
        env=cdk.Environment(
            account=settings.account or default_account,
            region=settings.region or default_region,
        ),
        termination_protection=settings.is_protected,
        description=f"SageMaker Studio, Autopilot and a data-capturing endpoint ({settings.name})",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def main() -> None:
    app = cdk.App()
    # Only a missing key means the default: `-c env=` (empty) is a mistake, not "dev".
    env_name = app.node.try_get_context("env")
    environments_file = app.node.try_get_context("environments_file") or ENVIRONMENTS_FILE
    try:
        settings = load_settings(
            DEFAULT_ENV if env_name is None else str(env_name), Path(environments_file)
        )
        # build_app stays inside the try: a ConfigError anywhere is reported as one line.
        build_app(
            app,
            settings,
            default_account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            default_region=os.environ.get("CDK_DEFAULT_REGION"),
        )
    except ConfigError as error:
        for line in error.problems:
            print(f"Configuration error: {line}", file=sys.stderr)
        sys.exit(1)
    app.synth()


if __name__ == "__main__":
    main()
