"""``python -m cli progress``: watch the AutoML job and the endpoint during a deploy.

Run it in a second terminal during ``make deploy``. It reads the stack's resources (the
AutoML custom resource's physical ID is the job name, the endpoint's is the endpoint
name), then polls DescribeAutoMLJobV2, ListCandidatesForAutoMLJob and DescribeEndpoint.
It ends when the stack is no longer ``*_IN_PROGRESS``. On a terminal it draws a live
view (rich); otherwise it writes one plain line whenever something changed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO, TypeVar

from cli import stack_outputs
from cli.evaluate import add_aws_arguments, command_parser

DEFAULT_INTERVAL = 15
JOB_TYPE = "Custom::AutoMLJob"
ENDPOINT_TYPE = "AWS::SageMaker::Endpoint"
ENDED = frozenset({"Completed", "Failed", "Stopped"})
S = TypeVar("S")


@dataclass(frozen=True)
class Snapshot:
    """What the person waiting wants to see, read once."""

    stack_status: str
    job_name: str | None = None
    job_status: str | None = None
    secondary_status: str | None = None
    elapsed_seconds: int | None = None
    budget_seconds: int | None = None
    candidates: int = 0
    best_metric: str | None = None
    best_value: float | None = None
    failure_reason: str | None = None
    endpoint_name: str | None = None
    endpoint_status: str | None = None

    @property
    def deploying(self) -> bool:
        return self.stack_status.endswith("_IN_PROGRESS") or self.stack_status == "NOT_CREATED"

    def line(self) -> str:
        parts = [f"stack {self.stack_status}"]
        if self.job_name:
            parts.append(f"job {self.job_name} {self.job_status}/{self.secondary_status}")
        if self.elapsed_seconds is not None and self.budget_seconds:
            parts.append(f"elapsed {clock(self.elapsed_seconds)} of {clock(self.budget_seconds)}")
        if self.job_name:
            parts.append(f"candidates {self.candidates}")
        if self.best_value is not None:
            parts.append(f"best {self.best_metric} {self.best_value:.4f}")
        if self.failure_reason:
            parts.append(f"reason: {self.failure_reason}")
        if self.endpoint_status:
            parts.append(f"endpoint {self.endpoint_name} {self.endpoint_status}")
        return "; ".join(parts)


def clock(seconds: int) -> str:
    """``3725`` -> ``1:02:05``."""
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _physical_ids(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """Resource type -> physical ID, for the custom resources this view follows."""
    found: dict[str, str] = {}
    kwargs: dict[str, str] = {"StackName": stack_name}
    while True:
        page = cloudformation.list_stack_resources(**kwargs)
        for summary in page["StackResourceSummaries"]:
            kind = summary["ResourceType"]
            if kind in (JOB_TYPE, ENDPOINT_TYPE) and summary.get("PhysicalResourceId"):
                found[kind] = summary["PhysicalResourceId"]
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


def _candidates(sagemaker: Any, job_name: str) -> tuple[int, str | None, float | None]:
    """Completed candidates so far, and the best objective value among them."""
    count, best_metric, best = 0, None, None
    kwargs: dict[str, Any] = {"AutoMLJobName": job_name, "StatusEquals": "Completed"}
    while True:
        page = sagemaker.list_candidates_for_auto_ml_job(**kwargs)
        for candidate in page["Candidates"]:
            count += 1
            metric = candidate.get("FinalAutoMLJobObjectiveMetric")
            if not metric or "Value" not in metric:
                continue
            value = float(metric["Value"])
            minimize = metric.get("Type") == "Minimize"
            if best is None or (value < best if minimize else value > best):
                best_metric, best = metric["MetricName"], value
        if not page.get("NextToken"):
            return count, best_metric, best
        kwargs["NextToken"] = page["NextToken"]


def read(cloudformation: Any, sagemaker: Any, stack_name: str, now: datetime) -> Snapshot:
    from botocore.exceptions import ClientError

    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return Snapshot(stack_status="NOT_CREATED")
        raise
    ids = _physical_ids(cloudformation, stack_name)
    snapshot: dict[str, Any] = {"stack_status": stack["StackStatus"]}
    job_name = ids.get(JOB_TYPE)
    if job_name:
        try:
            job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=job_name)
        except ClientError:
            job = None  # not visible yet, or an ID that is not a job (a failed create)
        if job:
            criteria = (
                job.get("AutoMLProblemTypeConfig", {})
                .get("TabularJobConfig", {})
                .get("CompletionCriteria", {})
            )
            end = job.get("EndTime") or now
            count, metric, best = _candidates(sagemaker, job_name)
            snapshot.update(
                job_name=job_name,
                job_status=job["AutoMLJobStatus"],
                secondary_status=job.get("AutoMLJobSecondaryStatus"),
                elapsed_seconds=int((end - job["CreationTime"]).total_seconds()),
                budget_seconds=criteria.get("MaxAutoMLJobRuntimeInSeconds"),
                candidates=count,
                best_metric=metric,
                best_value=best,
                failure_reason=job.get("FailureReason"),
            )
    # The native endpoint's physical ID is its ARN, ending in its name.
    endpoint_name = (ids.get(ENDPOINT_TYPE) or "").rsplit("/", 1)[-1]
    if endpoint_name:
        try:
            endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        except ClientError:
            endpoint = None
        if endpoint:
            snapshot.update(endpoint_name=endpoint_name, endpoint_status=endpoint["EndpointStatus"])
    return Snapshot(**snapshot)


def render(snapshot: Snapshot):
    """The live view: a bar of elapsed time against the budget, and the details."""
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_row("stack", snapshot.stack_status)
    if snapshot.job_name:
        table.add_row("AutoML job", f"{snapshot.job_name}  {snapshot.job_status}")
        table.add_row("stage", snapshot.secondary_status or "")
        budget = snapshot.budget_seconds or 0
        elapsed = snapshot.elapsed_seconds or 0
        bar = ProgressBar(
            total=budget or 1,
            completed=budget if snapshot.job_status in ENDED else min(elapsed, budget),
            width=40,
        )
        table.add_row("time", f"{clock(elapsed)} of {clock(budget)}" if budget else clock(elapsed))
        if budget:
            table.add_row("budget used", bar)
        table.add_row("candidates trained", str(snapshot.candidates))
        if snapshot.best_value is not None:
            table.add_row("best so far", f"{snapshot.best_metric} {snapshot.best_value:.4f}")
        if snapshot.failure_reason:
            table.add_row("failure", snapshot.failure_reason)
    else:
        table.add_row("AutoML job", "not started yet")
    if snapshot.endpoint_status:
        table.add_row("endpoint", f"{snapshot.endpoint_name}  {snapshot.endpoint_status}")
    return table


def watch(
    cloudformation: Any,
    sagemaker: Any,
    stack_name: str,
    out: TextIO,
    *,
    interval: float = DEFAULT_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] | None = None,
    live: bool | None = None,
) -> Snapshot:
    """Poll until the deploy has finished; return the last snapshot."""
    return follow(
        lambda moment: read(cloudformation, sagemaker, stack_name, moment),
        out,
        finished=lambda snapshot: not snapshot.deploying,
        line=Snapshot.line,
        render=lambda snapshot: render(snapshot),
        interval=interval,
        sleep=sleep,
        now=now,
        live=live,
    )


def follow(
    poll: Callable[[datetime], S],
    out: TextIO,
    *,
    finished: Callable[[S], bool],
    line: Callable[[S], str],
    render: Callable[[S], Any],
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] | None = None,
    live: bool | None = None,
) -> S:
    """Poll until ``finished``, and return the last state: on a terminal a live view (rich)
    redrawn after each poll, whose last frame stays; otherwise a line whenever it changed."""
    from datetime import UTC

    now = now or (lambda: datetime.now(UTC))
    live = out.isatty() if live is None else live
    if live:
        from rich.console import Console
        from rich.live import Live

        with Live(console=Console(file=out), auto_refresh=False) as view:
            while True:
                state = poll(now())
                view.update(render(state), refresh=True)
                if finished(state):
                    return state
                sleep(interval)
    last = None
    while True:
        moment = now()
        state = poll(moment)
        text = line(state)
        if text != last:
            print(f"{moment:%H:%M:%S} {text}", file=out, flush=True)
            last = text
        if finished(state):
            return state
        sleep(interval)


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "progress",
        "Watch the AutoML job and the endpoint while `make deploy` runs; "
        "ends when the deploy has finished.",
    )
    add_aws_arguments(parser)
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help=f"seconds between polls (default {DEFAULT_INTERVAL})",
    )
    return parser


def run(args: argparse.Namespace, clients: Any, out: TextIO, err: TextIO) -> None:
    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    watch(clients.cloudformation, clients.sagemaker, stack_name, out, interval=args.interval)
