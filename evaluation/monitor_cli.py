"""``python -m evaluation monitor``: what Model Monitor found on the captured traffic.

Reads the schedule's recent executions, explains the violations of the newest one that
has any (baseline value against observed value per feature) and plots each drifted
feature's baseline distribution against the captured one.

Why boto3 and not the sagemaker SDK's model-monitor classes: ``DefaultModelMonitor.attach``
and ``list_executions`` need a ``sagemaker.Session`` and drop executions that never got a
processing job (a failed start, which is exactly what a person needs to see), and
``Statistics`` / ``ConstraintViolations`` only wrap the parsed JSON (``body_dict``) with no
typed access. They would save a ``json.loads`` per file and cost seconds of import; the
files' documented schemas are read in ``evaluation/monitoring.py`` instead.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from evaluation import monitoring, s3uri, stack_outputs
from evaluation.cli import add_aws_arguments, add_stack_arguments
from evaluation.errors import EvaluationError

DEFAULT_EXECUTIONS = 5
SCHEDULE_OUTPUT = "MonitoringScheduleName"
VIOLATIONS_FILE = "constraint_violations.json"
STATISTICS_FILE = "statistics.json"
# Statuses whose processing job wrote its statistics and violations.
FINISHED = frozenset({"Completed", "CompletedWithViolations"})


def _count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation monitor",
        description="Report the endpoint's recent Model Monitor (data quality) executions: "
        "status and time, each violated feature with its constraint and baseline against "
        "observed values, and a PNG of each drifted feature's distributions.",
    )
    add_stack_arguments(parser)
    parser.add_argument(
        "--schedule-name",
        help=f"monitoring schedule (default: the stack's {SCHEDULE_OUTPUT} output)",
    )
    parser.add_argument(
        "--executions",
        type=_count,
        default=DEFAULT_EXECUTIONS,
        help=f"how many recent executions to list (default {DEFAULT_EXECUTIONS})",
    )
    parser.add_argument("--out", type=Path, help="report directory (default reports/<env>)")
    add_aws_arguments(parser)
    return parser


@dataclass
class Execution:
    scheduled: datetime
    status: str
    failure_reason: str | None = None
    processing_job_arn: str | None = None
    output_uri: str | None = None
    violations: list[monitoring.Violation] | None = None
    statistics: dict[str, monitoring.FeatureStatistics] | None = None


@dataclass
class Schedule:
    name: str
    status: str
    expression: str | None
    endpoint: str | None
    constraints_uri: str | None
    statistics_uri: str | None
    executions: list[Execution] = field(default_factory=list)


def schedule_name(args: argparse.Namespace, cloudformation: Any, region: str | None) -> str:
    if args.schedule_name:
        return args.schedule_name
    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    stack = stack_outputs.describe(cloudformation, stack_name, region)
    name = stack_outputs.output_values(stack, (SCHEDULE_OUTPUT,))[SCHEDULE_OUTPUT]
    if not name:
        raise EvaluationError(
            f"stack {stack_name} has no {SCHEDULE_OUTPUT} output: monitoring is off for "
            f"environment {args.env!r} (monitor.enabled in config/environments.toml) or the "
            "stack predates it. Enable it and deploy, or pass --schedule-name."
        )
    return name


def describe_schedule(sagemaker: Any, name: str, region: str | None) -> Schedule:
    """The schedule, with the baseline its data-quality job compares against."""
    from botocore.exceptions import ClientError

    try:
        described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
            where = f" in {region}" if region else ""
            raise EvaluationError(
                f"monitoring schedule {name} does not exist{where}; check --schedule-name, "
                "--region, or that monitoring is enabled and deployed"
            ) from None
        raise
    config = described["MonitoringScheduleConfig"]
    monitoring_type = config.get("MonitoringType") or described.get("MonitoringType")
    if monitoring_type not in (None, "DataQuality"):
        raise EvaluationError(
            f"monitoring schedule {name} is a {monitoring_type} schedule; this report reads "
            "data-quality (DataQuality) schedules"
        )
    if definition_name := config.get("MonitoringJobDefinitionName"):
        definition = sagemaker.describe_data_quality_job_definition(
            JobDefinitionName=definition_name
        )
        baseline = definition.get("DataQualityBaselineConfig", {})
    else:
        baseline = config.get("MonitoringJobDefinition", {}).get("BaselineConfig", {})
    return Schedule(
        name=name,
        status=described["MonitoringScheduleStatus"],
        expression=config.get("ScheduleConfig", {}).get("ScheduleExpression"),
        endpoint=described.get("EndpointName"),
        constraints_uri=baseline.get("ConstraintsResource", {}).get("S3Uri"),
        statistics_uri=baseline.get("StatisticsResource", {}).get("S3Uri"),
    )


def list_executions(sagemaker: Any, schedule: str, count: int) -> list[Execution]:
    summaries = sagemaker.list_monitoring_executions(
        MonitoringScheduleName=schedule,
        SortBy="ScheduledTime",
        SortOrder="Descending",
        MaxResults=count,
    )["MonitoringExecutionSummaries"]
    return [
        Execution(
            scheduled=s["ScheduledTime"],
            status=s["MonitoringExecutionStatus"],
            failure_reason=s.get("FailureReason"),
            processing_job_arn=s.get("ProcessingJobArn"),
        )
        for s in summaries
    ]


def output_uri(sagemaker: Any, processing_job_arn: str) -> str | None:
    """Where the execution's processing job wrote its reports."""
    # The summary only carries the job's ARN: arn:...:processing-job/<name>.
    name = processing_job_arn.rsplit("/", 1)[-1]
    job = sagemaker.describe_processing_job(ProcessingJobName=name)
    outputs = job.get("ProcessingOutputConfig", {}).get("Outputs", [])
    return outputs[0]["S3Output"]["S3Uri"] if outputs else None


def read_json(s3: Any, uri: str) -> dict[str, Any] | None:
    """The JSON document at ``uri``; None when it does not exist."""
    from botocore.exceptions import ClientError

    bucket, key = s3uri.split(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise
    try:
        return json.loads(body)
    except ValueError:
        raise EvaluationError(f"{uri} is not JSON") from None


def _join(prefix: str, name: str) -> str:
    return f"{prefix.rstrip('/')}/{name}"


def load_violations(clients: Any, execution: Execution) -> None:
    """Find where a finished execution wrote its reports and read its violations."""
    if execution.status not in FINISHED or not execution.processing_job_arn:
        return
    execution.output_uri = output_uri(clients.sagemaker, execution.processing_job_arn)
    if not execution.output_uri:
        return
    violations = read_json(clients.s3, _join(execution.output_uri, VIOLATIONS_FILE))
    if violations is not None:
        execution.violations = monitoring.parse_violations(violations, VIOLATIONS_FILE)
    elif execution.status == "Completed":
        execution.violations = []


def load_statistics(clients: Any, execution: Execution) -> None:
    """The captured data's statistics, which the execution wrote next to its violations."""
    if execution.output_uri:
        statistics = read_json(clients.s3, _join(execution.output_uri, STATISTICS_FILE))
        if statistics is not None:
            execution.statistics = monitoring.parse_statistics(statistics, STATISTICS_FILE)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _violation_count(execution: Execution) -> str:
    if execution.violations is not None:
        return str(len(execution.violations))
    return "?" if execution.status in FINISHED else "-"


def format_report(
    schedule: Schedule, findings: list[monitoring.Finding], shown: Execution | None
) -> str:
    every = f", {schedule.expression}" if schedule.expression else ""
    lines = [
        f"Model Monitor schedule {schedule.name} ({schedule.status}{every})"
        + (f" on endpoint {schedule.endpoint}" if schedule.endpoint else ""),
        f"baseline: {schedule.constraints_uri or 'none configured'}"
        + (f", {schedule.statistics_uri}" if schedule.statistics_uri else ""),
        "",
    ]
    if not schedule.executions:
        lines.append("No executions yet: the first runs at the next scheduled hour or day.")
        return "\n".join(lines)
    lines.append(f"Recent executions, newest first ({len(schedule.executions)}):")
    rows = [("scheduled (UTC)", "status", "violations", "failure reason")]
    for execution in schedule.executions:
        rows.append(
            (
                _when(execution.scheduled),
                execution.status,
                _violation_count(execution),
                execution.failure_reason or "",
            )
        )
    lines += monitoring.format_table(rows)
    lines.append("")
    if shown is None:
        lines.append("No violations in these executions.")
        return "\n".join(lines)
    lines.append(f"Violations of the {_when(shown.scheduled)} execution ({len(findings)}),")
    lines.append(f"reports in {shown.output_uri}:")
    rows = [("feature", "check", "constraint", "baseline", "observed")]
    rows += [(f.feature, f.check, f.constraint, f.baseline, f.observed) for f in findings]
    lines += monitoring.format_table(rows)
    return "\n".join(lines)


def run(args: argparse.Namespace, clients: Any, out: TextIO, err: TextIO) -> dict[str, Any]:
    name = schedule_name(args, clients.cloudformation, clients.region)
    schedule = describe_schedule(clients.sagemaker, name, clients.region)
    schedule.executions = list_executions(clients.sagemaker, name, args.executions)
    for execution in schedule.executions:
        load_violations(clients, execution)

    shown = next((e for e in schedule.executions if e.violations), None)
    constraints = baseline = None
    if shown is not None:
        load_statistics(clients, shown)
        if schedule.constraints_uri and (doc := read_json(clients.s3, schedule.constraints_uri)):
            constraints = monitoring.parse_constraints(doc, schedule.constraints_uri)
        if schedule.statistics_uri and (doc := read_json(clients.s3, schedule.statistics_uri)):
            baseline = monitoring.parse_statistics(doc, schedule.statistics_uri)
    findings = [
        monitoring.explain(v, constraints, baseline, shown.statistics)
        for v in (shown.violations if shown else [])
    ]
    text = format_report(schedule, findings, shown)

    out_dir = args.out or Path("reports") / args.env
    drifted = monitoring.drifted(findings)
    plot = None
    if shown is not None and baseline and shown.statistics and drifted:
        plot = monitoring.plot_drift(
            drifted,
            baseline,
            shown.statistics,
            out_dir / "monitor_drift.png",
            f"{name}: baseline against captured data, {_when(shown.scheduled)} UTC",
        )
    if plot is not None:
        text += f"\n\nDrift plot ({', '.join(drifted)}): {plot}"
    elif drifted:
        text += "\n\nNo drift plot: the baseline or the execution's statistics.json is missing."
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "monitor.txt"
    report_path.write_text(text + "\n")
    print(text, file=out)
    print(f"\nwrote {report_path}", file=out)
    return {"schedule": schedule, "findings": findings, "plot": plot}
