"""Command line: score the endpoint on held-out data, write a report, check capture."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cli.errors import EvaluationError

DEFAULT_BATCH_SIZE = 500
DEFAULT_CAPTURE_WAIT = 120
# python -m cli <command>: the module that implements it (build_parser and run).
SUBCOMMANDS = {
    "monitor": "monitor_cli",
    "progress": "progress",
    "studio": "studio",
    "invoke": "invoke",
    "leaderboard": "leaderboard",
    "batch-predict": "batch_predict",
}


def number_in(
    low: float, high: float | None = None, *, kind: Callable[[str], Any] = int, note: str = ""
) -> Callable[[str], Any]:
    """An argparse type: ``kind(text)``, refused outside ``low`` to ``high``."""

    def parse(text: str) -> Any:
        value = kind(text)
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}" + (f" ({note})" if note else ""))
        return value

    return parse


non_negative_seconds = number_in(0, kind=float)


def command_parser(
    command: str | None, description: str, epilog: str | None = None
) -> argparse.ArgumentParser:
    """``python -m cli <command>``'s parser, with the stack arguments every command takes."""
    parser = argparse.ArgumentParser(
        prog=" ".join(filter(None, ("python -m cli", command))),
        description=description,
        epilog=epilog,
    )
    add_stack_arguments(parser)
    return parser


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="dev", help="environment name (default: dev)")
    parser.add_argument("--stack-name", help="stack to read outputs from (AutopilotStudio-<env>)")


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument("--profile", help="AWS profile name")


def add_probability_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probability-semantics",
        choices=("auto", "predicted-label", "true-class"),
        default="auto",
        help="what 'probability' means: predicted label's (ensembling) or the True "
        "class's (HPO); auto decides from the values (default)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        None,
        "Score the deployed Autopilot endpoint on the held-out data, write "
        "report.json, report.md and confusion_matrix.png, and check its data capture.",
        "Other commands: "
        "python -m cli {monitor,progress,studio,invoke,leaderboard,batch-predict} "
        "--help",
    )
    parser.add_argument(
        "--batch-size",
        type=number_in(1),
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per request (default {DEFAULT_BATCH_SIZE}; requests stay under 5 MB)",
    )
    parser.add_argument("--out", type=Path, help="report directory (default reports/<env>)")
    parser.add_argument(
        "--capture-wait",
        type=non_negative_seconds,
        default=DEFAULT_CAPTURE_WAIT,
        help=f"seconds to wait for data-capture files (default {DEFAULT_CAPTURE_WAIT})",
    )
    add_probability_argument(parser)
    add_aws_arguments(parser)
    return parser


@dataclass
class Clients:
    cloudformation: Any
    s3: Any
    sagemaker: Any
    runtime: Any
    region: str | None
    profile: str | None = None


def make_clients(region: str | None = None, profile: str | None = None) -> Clients:
    from botocore.config import Config

    from cli import aws_config

    session = aws_config.session(profile, region)
    resolved_region = aws_config.region_of(session)
    if session.get_credentials() is None:
        raise EvaluationError(aws_config.NO_CREDENTIALS)
    config = Config(retries={"mode": "standard", "max_attempts": 8})
    runtime_config = config.merge(Config(read_timeout=70))
    return Clients(
        cloudformation=session.client("cloudformation", config=config),
        s3=session.client("s3", config=config),
        sagemaker=session.client("sagemaker", config=config),
        runtime=session.client("sagemaker-runtime", config=runtime_config),
        region=resolved_region,
        profile=session.profile_name if profile or os.environ.get("AWS_PROFILE") else None,
    )


def check_endpoint(sagemaker: Any, name: str) -> None:
    from botocore.exceptions import ClientError

    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as error:
        if "could not find" in error.response.get("Error", {}).get("Message", "").lower():
            raise EvaluationError(f"endpoint {name} does not exist") from None
        raise
    status = endpoint["EndpointStatus"]
    if status != "InService":
        reason = endpoint.get("FailureReason")
        detail = f": {reason}" if reason else ""
        raise EvaluationError(
            f"endpoint {name} is {status}{detail}; it must be InService to evaluate"
        )


def run(args: argparse.Namespace, clients: Clients, out: TextIO, err: TextIO) -> dict[str, Any]:
    from cli import capture, ground_truth, holdout, metrics, report, scoring, stack_outputs

    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    outputs = stack_outputs.read(clients.cloudformation, stack_name, clients.region)
    keys = outputs.response_keys
    if "predicted_label" not in keys:
        raise EvaluationError(
            f"InferenceResponseKeys ({','.join(keys)}) must include predicted_label"
        )
    check_endpoint(clients.sagemaker, outputs.endpoint_name)
    data = holdout.read(clients.s3, outputs.holdout_uri, outputs.target_attribute)
    positive = outputs.positive_class
    if positive not in set(data.labels):
        seen = ", ".join(sorted(set(data.labels))[:10])
        raise EvaluationError(f"positive class {positive!r} is not among held-out labels ({seen})")

    print(
        f"scoring {len(data.features)} rows on {outputs.endpoint_name} in batches of "
        f"{args.batch_size}",
        file=err,
        flush=True,
    )
    result = scoring.score(
        clients.runtime, outputs.endpoint_name, data.features, keys, args.batch_size, err
    )
    scored = metrics.evaluate(data.labels, result.predictions, positive, args.probability_semantics)

    if outputs.ground_truth_uri:
        labels = ground_truth.upload(clients.s3, outputs.ground_truth_uri, result.sent, data.labels)
    else:
        labels = {"note": "the stack has no GroundTruthS3Uri output; no ground truth uploaded"}
    check = capture.wait_for_capture(
        clients.s3, outputs.data_capture_uri, outputs.endpoint_name, args.capture_wait, err
    )
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stack_name": outputs.stack_name,
        "endpoint_name": outputs.endpoint_name,
        "holdout_uri": outputs.holdout_uri,
        "target_attribute": outputs.target_attribute,
        "response_keys": list(keys),
        "positive_class": positive,
        "negative_class": scored.negative_class,
        "autopilot_job_name": outputs.automl_job_name,
        "autopilot_objective_metric": outputs.objective_metric,
        "scoring": {
            "rows": len(data.features),
            "requests": result.requests,
            "batches": result.batches,
            "batch_size": args.batch_size,
        },
        "confusion_matrix": scored.matrix.as_dict(),
        "metrics": scored.values,
        "auc_source": scored.auc_source,
        "data_capture": check,
        "ground_truth": labels,
    }
    out_dir = args.out or Path("reports") / args.env
    paths = report.write(document, scored.matrix, out_dir)
    print(report.format_table(document), file=out)
    print("", file=out)
    print(report.format_capture(check), file=out)
    print(report.format_ground_truth(labels), file=out)
    print(f"\nwrote {', '.join(str(p) for p in paths)}", file=out)
    return document


def main(
    argv: list[str] | None = None,
    clients: Clients | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in SUBCOMMANDS:
        from importlib import import_module

        module = import_module(f"cli.{SUBCOMMANDS[argv[0]]}")
        return guarded(module.run, module.build_parser().parse_args(argv[1:]), clients, out, err)
    return guarded(run, build_parser().parse_args(argv), clients, out, err)


def guarded(
    command: Callable[[argparse.Namespace, Clients, TextIO, TextIO], object],
    args: argparse.Namespace,
    clients: Clients | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Run ``command``; turn what a user can act on into one line and exit code 1."""
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    from cli import aws_config

    profile = args.profile or os.environ.get("AWS_PROFILE")
    try:
        clients = clients or make_clients(args.region, args.profile)
        command(args, clients, out, err)
    except EvaluationError as error:
        print(f"error: {error}", file=err)
        return 1
    except NoRegionError:
        print(f"error: {aws_config.NO_REGION}", file=err)
        return 1
    except (BotoCoreError, ClientError) as error:
        if problem := aws_config.credentials_problem(error, profile):
            print(f"error: {problem}", file=err)
        elif isinstance(error, ClientError):
            info = error.response.get("Error", {})
            print(
                f"error: AWS {error.operation_name} failed: {info.get('Code')}: "
                f"{info.get('Message')}",
                file=err,
            )
        else:
            print(f"error: {error}", file=err)
        return 1
    return 0
