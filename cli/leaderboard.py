"""The AutoML job's candidates ranked by the objective, and where Autopilot put its reports."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, TextIO

from cli import monitoring, stack_outputs
from cli.errors import EvaluationError
from cli.evaluate import add_aws_arguments, command_parser

JOB_OUTPUT = "AutoMLJobName"


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "leaderboard",
        "List the stack's AutoML candidates ranked by the job's objective metric, "
        "and where the explainability, model-insight and data-exploration reports are.",
    )
    parser.add_argument("--job-name", help=f"AutoML job (default: the stack's {JOB_OUTPUT})")
    add_aws_arguments(parser)
    return parser


@dataclass(frozen=True)
class Candidate:
    name: str
    status: str
    metric: str | None
    value: float | None
    maximize: bool


def candidates(sagemaker: Any, job_name: str) -> list[Candidate]:
    """Every candidate of the job, best first (by the objective's own direction)."""
    found: list[Candidate] = []
    request: dict[str, Any] = {"AutoMLJobName": job_name, "MaxResults": 100}
    while True:
        page = sagemaker.list_candidates_for_auto_ml_job(**request)
        for item in page["Candidates"]:
            metric = item.get("FinalAutoMLJobObjectiveMetric") or {}
            found.append(
                Candidate(
                    name=item["CandidateName"],
                    status=item["CandidateStatus"],
                    metric=metric.get("MetricName"),
                    value=metric.get("Value"),
                    maximize=metric.get("Type", "Maximize") == "Maximize",
                )
            )
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]

    # Candidates without a final value (failed, stopped) go last, in name order.
    def rank(candidate: Candidate) -> tuple[bool, float, str]:
        if candidate.value is None:
            return (True, 0.0, candidate.name)
        value = -candidate.value if candidate.maximize else candidate.value
        return (False, value, candidate.name)

    return sorted(found, key=rank)


def describe_job(sagemaker: Any, job_name: str, region: str | None) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        return sagemaker.describe_auto_ml_job_v2(AutoMLJobName=job_name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
            where = f" in {region}" if region else ""
            raise EvaluationError(
                f"AutoML job {job_name} does not exist{where}; check --job-name or --region"
            ) from None
        raise


def report_locations(job: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, S3 URI) of each report DescribeAutoMLJobV2 names; absent ones say so."""
    best = job.get("BestCandidate", {})
    locations = best.get("CandidateProperties", {}).get("CandidateArtifactLocations", {})
    artifacts = job.get("AutoMLJobArtifacts", {})
    missing = "not produced by this job"
    return [
        ("explainability (best candidate)", locations.get("Explainability") or missing),
        ("model insights (best candidate)", locations.get("ModelInsights") or missing),
        ("data exploration notebook", artifacts.get("DataExplorationNotebookLocation") or missing),
        (
            "candidate definition notebook",
            artifacts.get("CandidateDefinitionNotebookLocation") or missing,
        ),
        ("all job output", job.get("OutputDataConfig", {}).get("S3OutputPath") or missing),
    ]


def _value(candidate: Candidate) -> str:
    return "-" if candidate.value is None else f"{candidate.value:.4f}"


def format_report(job: dict[str, Any], ranked: list[Candidate], best_name: str | None) -> str:
    name = job["AutoMLJobName"]
    metric = next((c.metric for c in ranked if c.metric), None) or "objective"
    direction = "higher" if next((c.maximize for c in ranked if c.metric), True) else "lower"
    lines = [
        f"AutoML job {name} ({job['AutoMLJobStatus']}, {job.get('AutoMLJobSecondaryStatus', '')})",
        f"{len(ranked)} candidates ranked by {metric} ({direction} is better):",
    ]
    rows = [("#", "candidate", metric, "status", "")]
    for position, candidate in enumerate(ranked, start=1):
        marker = "best (deployed)" if candidate.name == best_name else ""
        rows.append((str(position), candidate.name, _value(candidate), candidate.status, marker))
    lines += monitoring.format_table(rows)
    lines += ["", "Reports:"]
    lines += monitoring.format_table(report_locations(job))
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace, clients: Any, out: TextIO, err: TextIO) -> list[Candidate]:
    job_name = args.job_name
    if not job_name:
        stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
        stack = stack_outputs.describe(clients.cloudformation, stack_name, clients.region)
        job_name = stack_outputs.require(stack, stack_name, (JOB_OUTPUT,))[JOB_OUTPUT]
    job = describe_job(clients.sagemaker, job_name, clients.region)
    ranked = candidates(clients.sagemaker, job_name)
    best = job.get("BestCandidate", {}).get("CandidateName")
    print(format_report(job, ranked, best), file=out)
    return ranked
