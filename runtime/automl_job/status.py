"""Read a DescribeAutoMLJobV2 response: still running, done (with results) or failed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

RUNNING = frozenset({"InProgress", "Stopping"})
NAME_REUSE_HINT = (
    "SageMaker never reuses a job name, so change an input or JobNamePrefix to run a new job"
)


class JobFailedError(RuntimeError):
    """The job ended without a usable model; the message is the deploy's failure reason."""


def resolved_problem_type(job: Mapping[str, Any]) -> str:
    resolved = (
        job.get("ResolvedAttributes", {})
        .get("AutoMLProblemTypeResolvedAttributes", {})
        .get("TabularResolvedAttributes", {})
        .get("ProblemType")
    )
    if resolved:
        return cast(str, resolved)
    return cast(
        str,
        job.get("AutoMLProblemTypeConfig", {}).get("TabularJobConfig", {}).get("ProblemType", ""),
    )


def completed_data(name: str, job: Mapping[str, Any]) -> dict[str, str]:
    """The attributes of a Completed job; raises if it has no best candidate."""
    best = job.get("BestCandidate")
    if not best or not best.get("InferenceContainers"):
        raise JobFailedError(
            f"AutoML job {name} completed without a best candidate (secondary status: "
            f"{job.get('AutoMLJobSecondaryStatus', 'unknown')}); no candidate finished "
            "training: raise MaxAutoMLJobRuntimeInSeconds or MaxRuntimePerTrainingJobInSeconds, "
            f"and check the data; {NAME_REUSE_HINT}"
        )
    metric = best.get("FinalAutoMLJobObjectiveMetric", {})
    return {
        "JobName": name,
        "JobArn": job["AutoMLJobArn"],
        "BestCandidateName": best["CandidateName"],
        "ObjectiveMetricName": str(metric.get("MetricName", "")),
        "ObjectiveMetricValue": str(metric.get("Value", "")),
        "InferenceContainerCount": str(len(best["InferenceContainers"])),
        "ProblemType": resolved_problem_type(job),
    }


def raise_if_unusable(name: str, job: Mapping[str, Any]) -> None:
    """Raise for Failed and Stopped jobs with the reason AWS gives."""
    status = job["AutoMLJobStatus"]
    if status == "Failed":
        reason = job.get("FailureReason") or "no reason given"
        raise JobFailedError(f"AutoML job {name} failed: {reason} ({NAME_REUSE_HINT})")
    if status == "Stopped":
        raise JobFailedError(
            f"AutoML job {name} was stopped before completing (secondary status: "
            f"{job.get('AutoMLJobSecondaryStatus', 'unknown')}); {NAME_REUSE_HINT}"
        )
    if status not in RUNNING and status != "Completed":
        raise JobFailedError(f"AutoML job {name} has an unexpected status {status!r}")
