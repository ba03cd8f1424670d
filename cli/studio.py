"""Open SageMaker Studio as the stack's default user profile with a presigned URL."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from cli import stack_outputs
from cli.errors import EvaluationError
from cli.evaluate import add_aws_arguments, command_parser, number_in

OUTPUTS = ("StudioDomainId", "StudioUserProfileName")
# CreatePresignedDomainUrl: the URL must be used within ExpiresInSeconds (5-300, default 300);
# the Studio session it opens lasts SessionExpirationDurationInSeconds (1800-43200).
URL_LIFETIME_SECONDS = 300
DEFAULT_SESSION_HOURS = 12


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "studio",
        "Print a presigned URL that opens SageMaker Studio as the stack's default "
        "user profile, and open it in a browser when one is available.",
    )
    parser.add_argument("--user-profile", help="profile to sign in as (default: the stack's)")
    parser.add_argument(
        "--session-hours",
        type=number_in(0.5, 12, kind=float, note="SageMaker's limits"),
        default=DEFAULT_SESSION_HOURS,
        help=f"how long the Studio session lasts (default {DEFAULT_SESSION_HOURS})",
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    add_aws_arguments(parser)
    return parser


def browser_available() -> bool:
    """True where webbrowser can show a page: a desktop session, not a bare SSH or CI shell."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return not os.environ.get("SSH_CONNECTION")
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url, new=2)


def presigned_url(sagemaker: Any, domain_id: str, user_profile: str, session_hours: float) -> str:
    from botocore.exceptions import ClientError

    try:
        return sagemaker.create_presigned_domain_url(
            DomainId=domain_id,
            UserProfileName=user_profile,
            SessionExpirationDurationInSeconds=int(session_hours * 3600),
            ExpiresInSeconds=URL_LIFETIME_SECONDS,
        )["AuthorizedUrl"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
            raise EvaluationError(
                f"user profile {user_profile} not found in domain {domain_id}: check "
                "--user-profile, or that the stack finished deploying"
            ) from None
        raise


def run(
    args: argparse.Namespace,
    clients: Any,
    out: TextIO,
    err: TextIO,
    opener: Callable[[str], bool] | None = None,
) -> str:
    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    stack = stack_outputs.describe(clients.cloudformation, stack_name, clients.region)
    values = stack_outputs.require(stack, stack_name, OUTPUTS)
    user = args.user_profile or values["StudioUserProfileName"]
    url = presigned_url(clients.sagemaker, values["StudioDomainId"], user, args.session_hours)
    minutes = URL_LIFETIME_SECONDS // 60
    print(
        f"Studio for {user} in domain {values['StudioDomainId']} ({clients.region}); the link "
        f"works once, within {minutes} minutes:",
        file=out,
    )
    print(url, file=out)
    if not args.no_browser and browser_available() and (opener or _open)(url):
        print("opened in your browser", file=err)
    return url
