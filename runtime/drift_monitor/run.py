"""One scheduled run: read the window from S3, analyse it, write the report, publish metrics.

An idle window is a normal report with ``rows: 0`` (and RowsAnalysed 0, so a no-traffic
alarm can fire). Anything else that goes wrong raises, so the function's Errors metric
shows a failed run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from cr_support.logs import log
from drift_monitor import analysis, batch, profile, store
from drift_monitor.capture import Counts, Row, object_rows
from drift_monitor.settings import ConfigError, Settings
from drift_monitor.window import Window, hour_prefix, iso

CAPTURE_SUFFIX = ".jsonl"


def load_profile(settings: Settings) -> dict[str, Any]:
    where = f"s3://{settings.bucket}/{settings.profile_key}"
    document = profile.check(store.read_profile(settings.bucket, settings.profile_key), where)
    for name, field, expected in (
        ("TARGET", "target", settings.target),
        ("POSITIVE_CLASS", "positive_class", settings.positive_class),
    ):
        actual = document[field]
        if actual != expected:
            raise ConfigError(
                f"environment variable {name} is {expected!r} but the profile {where} was "
                f"staged with {actual!r}; deploy again so both come from the same config"
            )
    return document


def realtime_rows(settings: Settings, window: Window, width: int, counts: Counts) -> Iterator[Row]:
    for hour in window.capture_hours():
        for key in store.list_keys(settings.bucket, hour_prefix(settings.capture_prefix, hour)):
            if not key.endswith(CAPTURE_SUFFIX):
                counts.skipped_objects += 1
                continue
            yield from object_rows(store.lines(settings.bucket, key), width, counts)


def _manifests(
    settings: Settings, side: str, hour: datetime, counts: Counts
) -> list[batch.Manifest]:
    prefix = hour_prefix(f"{settings.batch_capture_prefix}/{side}", hour)
    manifests: list[batch.Manifest] = []
    for key in store.list_keys(settings.bucket, prefix):
        try:
            manifests.append(
                batch.parse_manifest(key.rsplit("/", 1)[-1], store.read(settings.bucket, key))
            )
        except (ValueError, UnicodeDecodeError):
            counts.skipped_objects += 1
    return manifests


def batch_rows(settings: Settings, window: Window, width: int, counts: Counts) -> Iterator[Row]:
    bucket_uri = f"s3://{settings.bucket}/"

    def hours() -> Iterator[tuple[list[batch.Manifest], list[batch.Manifest]]]:
        for hour in window.capture_hours():
            yield (
                _manifests(settings, "input", hour, counts),
                _manifests(settings, "output", hour, counts),
            )

    def read_lines(uri: str) -> Iterable[str]:
        key = uri.removeprefix(bucket_uri)
        return (line.decode("utf-8") for line in store.lines(settings.bucket, key))

    yield from batch.window_rows(
        hours(),
        read_lines,
        lambda uri: uri.startswith(bucket_uri),
        width=width,
        keys=len(settings.response_keys),
        counts=counts,
    )


def ground_truth_objects(settings: Settings, window: Window) -> Iterator[Iterator[bytes]]:
    for hour in window.ground_truth_hours():
        prefix = hour_prefix(settings.ground_truth_prefix, hour)
        for key in store.list_keys(settings.bucket, prefix):
            yield store.lines(settings.bucket, key)


def report_key(settings: Settings, window: Window) -> str:
    folder = hour_prefix(settings.reports_prefix, window.run_time)
    return f"{folder}{window.run_time:%Y%m%dT%H%M%SZ}.json"


def metrics(report: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """The run's metrics (billed per metric, so only these): RowsAnalysed always; drift
    once the sample is large enough to judge; F1 once ground truth joined."""
    values: dict[str, tuple[float, str]] = {"RowsAnalysed": (float(report["rows"]), "Count")}
    if report["judged"]:
        values["DriftedFeatureShare"] = (report["drifted_feature_share"], "None")
        values["MaxPSI"] = (report["max_psi"], "None")
    rate = report["prediction"].get("predicted_positive_rate")
    if rate is not None:
        values["PredictedPositiveRate"] = (rate, "None")
    f1 = (report.get("model_quality") or {}).get("f1")
    if f1 is not None:
        values["F1"] = (f1, "None")
    return values


def run(settings: Settings, run_time: datetime) -> dict[str, Any]:
    window = Window.before(run_time, settings.window_hours)
    baseline = load_profile(settings)
    width = len(baseline["columns"])
    realtime, batched = Counts(), Counts()
    rows = itertools.chain(
        realtime_rows(settings, window, width, realtime),
        batch_rows(settings, window, width, batched),
    )
    report = analysis.analyse(
        baseline,
        rows,
        max_rows=settings.max_rows,
        seed=iso(window.start),
        thresholds=settings.thresholds,
        response_keys=settings.response_keys,
        positive_class=settings.positive_class,
        ground_truth=lambda _wanted: ground_truth_objects(settings, window),
    )
    realtime_counts, batch_counts = asdict(realtime), asdict(batched)
    totals = {key: realtime_counts[key] + batch_counts[key] for key in realtime_counts}
    report |= {
        "endpoint_name": settings.endpoint_name,
        "window": {**window.as_dict(), "hours": settings.window_hours},
        "profile": {
            "uri": f"s3://{settings.bucket}/{settings.profile_key}",
            "rows": baseline["rows"],
            "sample": baseline.get("sample"),
        },
        "counts": {**totals, "realtime": realtime_counts, "batch": batch_counts},
    }
    key = report_key(settings, window)
    store.put_report(settings.bucket, key, report)
    published = metrics(report)
    store.put_metrics(settings.metric_namespace, settings.endpoint_name, run_time, published)
    log(
        settings.endpoint_name,
        "monitoring run",
        report=f"s3://{settings.bucket}/{key}",
        rows=report["rows"],
        rows_seen=report["rows_seen"],
        drifted_features=report["drifted_features"],
        malformed_lines=totals["malformed_lines"],
    )
    return {
        "report": f"s3://{settings.bucket}/{key}",
        "rows": report["rows"],
        "drifted_features": report["drifted_features"],
        "metrics": {name: value for name, (value, _) in published.items()},
    }
