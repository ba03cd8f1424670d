"""Check AWS credentials and region before anything is installed or synthesized.

    python tools/preflight.py [--env dev] [--profile NAME] [--region REGION]

One line either way: who and where on success, what to do on failure (exit 1). Only
boto3 is needed, so `make deploy` can run it before installing the CDK.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from evaluation import aws_config  # noqa: E402
from evaluation.errors import EvaluationError  # noqa: E402

ENVIRONMENTS_FILE = ROOT / "config" / "environments.toml"


def pinned(env: str | None, path: Path = ENVIRONMENTS_FILE) -> tuple[str | None, str | None]:
    """The environment's own ``account`` and ``region`` from the TOML file, when set."""
    if not env or not path.exists():
        return None, None
    table = tomllib.loads(path.read_text()).get(env)
    if not isinstance(table, dict):
        return None, None
    return table.get("account"), table.get("region")


def check(
    env: str | None,
    profile: str | None,
    region: str | None,
    *,
    environments: Path = ENVIRONMENTS_FILE,
    sts: Any = None,
) -> str:
    """Who the credentials are and where the deploy goes; EvaluationError says what to do."""
    import os

    from botocore.exceptions import BotoCoreError, ClientError

    account, env_region = pinned(env, environments)
    session = aws_config.session(profile, region or env_region)
    where = aws_config.region_of(session)
    profile = profile or os.environ.get("AWS_PROFILE")
    if session.get_credentials() is None:
        raise EvaluationError(aws_config.NO_CREDENTIALS)
    try:
        identity = (sts or session.client("sts", region_name=where)).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        problem = aws_config.credentials_problem(error, profile)
        raise EvaluationError(problem or f"cannot check your AWS credentials: {error}") from None
    if account and identity["Account"] != str(account):
        raise EvaluationError(
            f"your credentials are for account {identity['Account']}, but {env}.account = "
            f"'{account}' in config/environments.toml: switch profile (AWS_PROFILE) or fix the key"
        )
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
    except EvaluationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
