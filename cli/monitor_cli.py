"""``python -m cli monitor``: what the monitoring function found on recent traffic.

Reads the function's reports (MonitoringReportsS3Uri), lists the recent runs, and for the
newest run with traffic explains each drifted feature (baseline against current), the
prediction drift and the model quality. It writes ``reports/<env>/monitor.txt``,
``monitor_drift.png`` and, unless ``--no-html``, Evidently's HTML reports
(``monitor_drift.html``; ``monitor_quality.html`` when ground truth joined), built on
this machine from a sample of the training data and the run window's captured rows.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cli import monitoring, stack_outputs
from cli.errors import EvaluationError
from cli.evaluate import add_aws_arguments, command_parser, number_in

DEFAULT_RUNS = 10
DEFAULT_DAYS = 7
DEFAULT_SAMPLE_ROWS = 20_000
REQUIRED = (
    "MonitoringReportsS3Uri",
    "BaselineProfileS3Uri",
    "TrainingDataS3Uri",
    "DataCaptureS3Uri",
    "EndpointName",
    "TargetAttribute",
    "PositiveClass",
    "InferenceResponseKeys",
)
OPTIONAL = ("GroundTruthS3Uri",)
VARIANT = "AllTraffic"


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "monitor",
        "Report the monitoring function's recent runs: rows, drifted features "
        "with baseline against current values, prediction drift and model quality, a PNG "
        "of the drifted distributions and Evidently HTML reports.",
    )
    parser.add_argument(
        "--runs", type=number_in(1, 200), default=DEFAULT_RUNS, help="runs to list (10)"
    )
    parser.add_argument(
        "--days", type=number_in(1, 90), default=DEFAULT_DAYS, help="days to look back (7)"
    )
    parser.add_argument(
        "--sample-rows",
        type=number_in(100, 500_000),
        default=DEFAULT_SAMPLE_ROWS,
        help=f"rows of training data and of capture for the HTML report ({DEFAULT_SAMPLE_ROWS})",
    )
    parser.add_argument("--no-html", action="store_true", help="skip the Evidently reports")
    parser.add_argument("--out", type=Path, help="report directory (default reports/<env>)")
    add_aws_arguments(parser)
    return parser


def current_time() -> datetime:
    return datetime.now(UTC)


def stack_values(args: argparse.Namespace, clients: Any) -> dict[str, str | None]:
    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    stack = stack_outputs.describe(clients.cloudformation, stack_name, clients.region)
    values = stack_outputs.output_values(stack, ("MonitoringReportsS3Uri",))
    if not values["MonitoringReportsS3Uri"]:
        raise EvaluationError(
            f"stack {stack_name} has no MonitoringReportsS3Uri output: monitoring is off for "
            f"environment {args.env!r} or the stack predates the monitoring function; "
            "enable it and deploy"
        )
    return {
        **stack_outputs.require(stack, stack_name, REQUIRED),
        **stack_outputs.output_values(stack, OPTIONAL),
    }


def _html(args, clients, values, report, profile, out_dir: Path, err: TextIO) -> list[Path]:
    print("building the Evidently reports (training sample and window capture)", file=err)
    header, rows, truncated = monitoring.training_sample(
        clients.s3, values["TrainingDataS3Uri"], values["TargetAttribute"], args.sample_rows
    )
    columns = profile["columns"]
    target = header.index(values["TargetAttribute"])
    reference = [dict(zip(columns, row[:target] + row[target + 1 :], strict=True)) for row in rows]
    capture_uri = f"{values['DataCaptureS3Uri'].rstrip('/')}/{values['EndpointName']}/{VARIANT}"
    sampled, _ = monitoring.window_rows(
        clients.s3, capture_uri, report, len(columns), args.sample_rows
    )
    if not sampled:
        print("no captured rows in the window: no HTML report", file=err)
        return []
    current = [dict(zip(columns, row.fields(), strict=True)) for row in sampled]
    labelled: list[tuple[str, str]] = []
    if values.get("GroundTruthS3Uri"):
        monitoring.runtime_modules()
        from drift_monitor.analysis import labelled as join_labels
        from drift_monitor.capture import prediction

        keys = tuple(k.strip() for k in values["InferenceResponseKeys"].split(","))
        predicted = [
            (row, answer)
            for row in sampled
            if row.output and (answer := prediction(row.output, keys))
        ]
        labelled, _, _ = join_labels(
            predicted,
            lambda _: monitoring.ground_truth_objects(
                clients.s3, values["GroundTruthS3Uri"], report
            ),
        )
    if truncated:
        print("the training file is larger than the sample read; reference is its start", file=err)
    return monitoring.evidently_reports(
        profile=profile,
        reference=reference,
        current=current,
        labelled=labelled,
        positive_class=values["PositiveClass"],
        out_dir=out_dir,
    )


def run(args: argparse.Namespace, clients: Any, out: TextIO, err: TextIO) -> dict[str, Any]:
    values = stack_values(args, clients)
    now = current_time()
    uris = monitoring.recent_report_uris(
        clients.s3, values["MonitoringReportsS3Uri"], now, args.days
    )[: args.runs]
    reports = [monitoring.read_json(clients.s3, uri) for uri in uris]
    lines = [f"Monitoring of endpoint {values['EndpointName']}, reports in "
             f"{values['MonitoringReportsS3Uri']}", ""]  # fmt: skip
    out_dir = args.out or Path("reports") / args.env
    written: list[Path] = []
    shown = next((r for r in reports if r.get("rows")), None)
    if not reports:
        lines.append(
            f"No monitoring runs in the last {args.days} days: the first runs within the hour "
            "after deploy (see the function's logs if none appear)."
        )
    else:
        lines.append(f"Recent runs, newest first ({len(reports)}):")
        lines += monitoring.format_runs(reports)
    if shown is not None:
        profile = monitoring.read_json(clients.s3, values["BaselineProfileS3Uri"])
        window = shown["window"]
        lines += [
            "",
            f"Run of {window['run_time']} over {window['start']} .. {window['end']}: "
            f"{shown['rows']} rows analysed of {shown['rows_seen']} captured",
        ]
        if not shown.get("judged"):
            lines.append(f"  fewer than {shown['min_rows']} rows: scores only, no verdicts")
        if shown["drifted_features"]:
            lines.append(f"Drifted features ({len(shown['drifted_features'])}):")
            lines += monitoring.format_drifted(shown, profile)
        else:
            lines.append("No drifted features.")
        lines.append(monitoring.format_prediction(shown))
        lines += monitoring.format_quality(shown)
        plot = monitoring.plot_drift(
            shown, profile, out_dir / "monitor_drift.png",
            f"{values['EndpointName']}: baseline against captured, {window['start']} .. "
            f"{window['end']}",
        )  # fmt: skip
        if plot is not None:
            written.append(plot)
        if not args.no_html:
            written += _html(args, clients, values, shown, profile, out_dir, err)
    text = "\n".join(lines)
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "monitor.txt"
    report_path.write_text(text + "\n")
    print(text, file=out)
    print(f"\nwrote {', '.join(str(p) for p in [report_path, *written])}", file=out)
    return {"reports": reports, "shown": shown, "written": written}
