#!/usr/bin/env python3
"""CDK app entry point: the only place that reads the environment.

cdk deploy                # dev
cdk deploy -c env=prod    # or stage
"""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from config import ConfigError, EnvironmentSettings, load_settings
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
    stack = AutopilotStudioStack(
        app,
        settings.stack_name,
        settings=settings,
        env=cdk.Environment(
            account=settings.account or default_account,
            region=settings.region or default_region,
        ),
        description=f"SageMaker Studio, Autopilot and a data-capturing endpoint ({settings.name})",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def main() -> None:
    app = cdk.App()
    env_name = app.node.try_get_context("env") or DEFAULT_ENV
    try:
        settings = load_settings(str(env_name))
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    build_app(
        app,
        settings,
        default_account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
        default_region=os.environ.get("CDK_DEFAULT_REGION"),
    )
    app.synth()


if __name__ == "__main__":
    main()
