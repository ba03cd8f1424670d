"""Check AWS credentials and region before anything is installed or synthesized.

    python tools/preflight.py [--env dev] [--profile NAME] [--region REGION]

Who and where in one line on success. Otherwise every problem at once, one line each
(unknown profile, missing or expired credentials, no region, the wrong account), and
exit 1. Only boto3 is needed, so `make deploy` can run it before installing the CDK.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cli import aws_config  # noqa: E402
from cli.errors import EvaluationError  # noqa: E402

ENVIRONMENTS_FILE = ROOT / "config" / "environments.toml"
# Without a region STS is still asked, at its us-east-1 endpoint (which answers for every
# commercial account), so that a missing region does not hide a credentials problem.
FALLBACK_STS_REGION = "us-east-1"


class PreflightError(EvaluationError):
    """Every problem found, in the order they are printed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def pinned(env: str | None, path: Path = ENVIRONMENTS_FILE) -> tuple[str | None, str | None]:
    """The environment's own ``account`` and ``region`` from the TOML file, when set."""
    if not env or not path.exists():
        return None, None
    table = tomllib.loads(path.read_text()).get(env)
    if not isinstance(table, dict):
        return None, None
    return table.get("account"), table.get("region")


def _identity(session: Any, region: str | None, profile: str | None, sts: Any) -> tuple:
    """(caller identity, problem): the identity when the credentials work, else what to do."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        credentials = session.get_credentials()
        if credentials is None:
            return None, aws_config.NO_CREDENTIALS
        # An SSO profile's token is read here, offline: an expired or missing login
        # surfaces before any request is made.
        credentials.get_frozen_credentials()
        client = sts or session.client("sts", region_name=region or FALLBACK_STS_REGION)
        return client.get_caller_identity(), None
    except (BotoCoreError, ClientError) as error:
        problem = aws_config.credentials_problem(error, profile)
        return None, problem or f"cannot check your AWS credentials: {error}"


def check(
    env: str | None,
    profile: str | None,
    region: str | None,
    *,
    environments: Path = ENVIRONMENTS_FILE,
    sts: Any = None,
) -> str:
    """Who the credentials are and where the deploy goes; PreflightError lists what to do."""
    account, env_region = pinned(env, environments)
    region = region or env_region
    problems: list[str] = []
    try:
        session = aws_config.session(profile, region)
    except EvaluationError as error:
        # An unknown profile has no credentials or region to look at; the region can
        # still come from --region, the environment variables or the TOML file.
        problems.append(str(error))
        session = None
        where = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    else:
        where = session.region_name
    profile = profile or os.environ.get("AWS_PROFILE")

    identity = None
    if session is not None:
        identity, problem = _identity(session, where, profile, sts)
        problems += [problem] if problem else []
    if not where:
        problems.append(aws_config.NO_REGION)
    if identity and account and identity["Account"] != str(account):
        problems.append(
            f"your credentials are for account {identity['Account']}, but {env}.account = "
            f"'{account}' in config/environments.toml: switch profile (AWS_PROFILE) or fix the key"
        )
    if problems:
        raise PreflightError(problems)
    via = f" (profile {profile})" if profile else ""
    return f"AWS account {identity['Account']}, region {where}, as {identity['Arn']}{via}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/preflight.py", description=__doc__.split("\n")[0])
    parser.add_argument("--env", help="environment in config/environments.toml")
    parser.add_argument("--profile", help="AWS profile name (default: AWS_PROFILE)")
    parser.add_argument("--region", help="AWS region (default: as the AWS CLI resolves it)")
    args = parser.parse_args(argv)
    try:
        print(check(args.env, args.profile, args.region), file=sys.stderr)
    except PreflightError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
