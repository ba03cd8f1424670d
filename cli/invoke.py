"""Send one held-out row to the endpoint, print the prediction and the same call for the AWS CLI."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any, TextIO

from cli.errors import EvaluationError
from cli.evaluate import add_aws_arguments, command_parser, number_in


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "invoke",
        "Send one held-out row (target column removed) to the endpoint as "
        "text/csv, print the prediction, and print the equivalent "
        "`aws sagemaker-runtime invoke-endpoint` command.",
    )
    parser.add_argument(
        "--row",
        type=number_in(1, note="rows are numbered from 1"),
        default=1,
        help="held-out row to send (default 1)",
    )
    parser.add_argument(
        "--out", type=Path, help="where the request body is written (default reports/<env>)"
    )
    add_aws_arguments(parser)
    return parser


def cli_command(
    endpoint: str, body_path: Path, response_path: Path, region: str | None, profile: str | None
) -> str:
    """The AWS CLI call that sends the same body: `fileb://` sends the file's bytes as is."""
    from cli.scoring import CONTENT_TYPE

    words = ["aws", "sagemaker-runtime", "invoke-endpoint"]
    if profile:
        words += ["--profile", profile]
    if region:
        words += ["--region", region]
    words += [
        "--endpoint-name",
        endpoint,
        "--content-type",
        CONTENT_TYPE,
        "--accept",
        CONTENT_TYPE,
        "--body",
        f"fileb://{body_path}",
        str(response_path),
    ]
    return shlex.join(words) + f" && cat {shlex.quote(str(response_path))}"


def run(args: argparse.Namespace, clients: Any, out: TextIO, err: TextIO) -> dict[str, Any]:
    from cli import holdout, scoring, stack_outputs
    from cli.evaluate import check_endpoint

    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    outputs = stack_outputs.read(clients.cloudformation, stack_name, clients.region)
    check_endpoint(clients.sagemaker, outputs.endpoint_name)
    data = holdout.read(clients.s3, outputs.holdout_uri, outputs.target_attribute)
    if args.row > len(data.features):
        raise EvaluationError(f"--row {args.row}: the held-out data has {len(data.features)} rows")
    row = data.features[args.row - 1]
    body = scoring.encode_row(row).encode("utf-8")
    answer = scoring.invoke(clients.runtime, outputs.endpoint_name, body, [0])
    (prediction,) = scoring.parse_response(answer, outputs.response_keys) or [None]
    if prediction is None:
        raise EvaluationError(f"the endpoint answered with an empty body: {answer!r}")

    out_dir = args.out or Path("reports") / args.env
    out_dir.mkdir(parents=True, exist_ok=True)
    body_path = out_dir / "invoke-request.csv"
    body_path.write_bytes(body)
    truth = data.labels[args.row - 1]
    shown = {
        "predicted_label": prediction.label,
        "probability": prediction.probability,
        "probabilities": prediction.probabilities,
        "labels": prediction.labels,
    }
    print(
        f"endpoint {outputs.endpoint_name}, held-out row {args.row} of {len(data.features)} "
        f"({outputs.target_attribute} removed; true value {truth!r})",
        file=out,
    )
    print(f"request  ({scoring.CONTENT_TYPE}): {body.decode().strip()}", file=out)
    print(f"response ({scoring.CONTENT_TYPE}): {answer.strip()}", file=out)
    print(
        "prediction: "
        + ", ".join(f"{key}={shown[key]}" for key in outputs.response_keys if key in shown),
        file=out,
    )
    print("\nThe same request with the AWS CLI (v2):", file=out)
    command = cli_command(
        outputs.endpoint_name,
        body_path,
        out_dir / "invoke-response.csv",
        clients.region,
        getattr(clients, "profile", None),
    )
    print(command, file=out)
    return {"body": body, "answer": answer, "prediction": prediction, "command": command}
