"""Read the monitoring function's reports and explain them to a person.

Each scheduled run writes one JSON report to ``<MonitoringReportsS3Uri>/yyyy/mm/dd/hh/
<run time>.json`` (runtime/drift_monitor/analysis.py and run.py): rows analysed, every
feature's verdict with baseline and current statistics, the prediction drift and, when
ground truth joined, the model quality. This module lists recent runs, formats them,
plots the drifted features' distributions (matplotlib) and, on the user's machine only,
builds Evidently's HTML reports from a sample of the training data and the window's
captured rows. The capture reader is the function's own (runtime/drift_monitor).
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cli import s3uri
from cli.errors import EvaluationError

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
MAX_PLOTTED = 8
MAX_PLOTTED_CATEGORIES = 12
TRAINING_READ_BYTES = 256 * 1024 * 1024


def runtime_modules() -> None:
    """Make the monitoring function's package importable (it needs the standard library)."""
    if str(RUNTIME) not in sys.path:
        sys.path.append(str(RUNTIME))


def read_json(s3: Any, uri: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    bucket, key = s3uri.split(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            raise EvaluationError(f"{uri} does not exist") from None
        raise
    try:
        return json.loads(body)
    except ValueError:
        raise EvaluationError(f"{uri} is not JSON") from None


def recent_report_uris(s3: Any, reports_uri: str, now: datetime, days: int) -> list[str]:
    """Report URIs of the last ``days`` days, newest first (one listing per day)."""
    bucket, prefix = s3uri.split(reports_uri.rstrip("/"))
    paginator = s3.get_paginator("list_objects_v2")
    found: list[str] = []
    for back in range(days):
        day = now - timedelta(days=back)
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}/{day:%Y/%m/%d}/"):
            contents = page.get("Contents", [])
            found += [item["Key"] for item in contents if item["Key"].endswith(".json")]
    return [f"s3://{bucket}/{key}" for key in sorted(set(found), reverse=True)]


def _number(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def format_table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _listed(names: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" (+{len(names) - limit})" if len(names) > limit else "")


def format_runs(reports: list[dict[str, Any]]) -> list[str]:
    rows = [("window (UTC)", "rows", "drifted features", "predicted +", "F1")]
    for report in reports:
        window = report.get("window", {})
        start, end = window.get("start", "?"), window.get("end", "?")
        drifted = report.get("drifted_features", [])
        verdict = _listed(drifted) if report.get("judged") else "too few rows to judge"
        quality = report.get("model_quality") or {}
        rows.append(
            (
                f"{start[:13].replace('T', ' ')}h .. {end[11:13]}h",
                str(report.get("rows", 0)),
                f"{len(drifted)}: {verdict}" if drifted else verdict if not report.get(
                    "judged") else "none",
                _number(report.get("prediction", {}).get("predicted_positive_rate"), 3),
                _number(quality.get("f1"), 3),
            )
        )  # fmt: skip
    return format_table(rows)


def summary(feature: dict[str, Any] | None, kind: str) -> str:
    """One line of statistics of a profile feature or a report's current values."""
    if not feature:
        return "no values"
    if kind == "numeric":
        return (
            f"mean {_number(feature.get('mean'))}, sd {_number(feature.get('std'))}, "
            f"range {_number(feature.get('min'))}..{_number(feature.get('max'))}"
        )
    shares = sorted(feature.get("values", {}).items(), key=lambda item: -item[1])[:3]
    return ", ".join(f"{value} {share:.0%}" for value, share in shares) or "no values"


def format_drifted(report: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    rows = [("feature", "why", "PSI", "baseline", "current")]
    for name in report.get("drifted_features", []):
        verdict = report["features"][name]
        kind = verdict["type"]
        why = list(verdict.get("reasons", []))
        if "unseen_share" in verdict and "unseen_values" in why:
            why[why.index("unseen_values")] = (
                f"unseen {verdict['unseen_share']:.0%} ({_listed(verdict['unseen_values'], 2)})"
            )
        if "completeness_drop" in why:
            c = verdict["completeness"]
            why[why.index("completeness_drop")] = (
                f"complete {c['baseline']:.0%}->{c['current']:.0%}"
            )
        rows.append(
            (
                name,
                "; ".join(why),
                _number(verdict["score"], 3),
                summary(profile["features"].get(name), kind),
                summary(verdict.get("current"), kind),
            )
        )
    return format_table(rows)


def format_quality(report: dict[str, Any]) -> list[str]:
    quality = report.get("model_quality")
    if not quality:
        truth = report.get("ground_truth", {})
        return [
            f"Model quality: no ground truth joined this window ({truth.get('records', 0)} "
            "records read); make evaluate uploads labels, or upload your own."
        ]
    return [
        f"Model quality on {quality['rows']} labelled rows (positive class "
        f"{quality['positive_class']!r}):",
        f"  F1 {_number(quality['f1'])}, precision {_number(quality['precision'])}, "
        f"recall {_number(quality['recall'])}, accuracy {_number(quality['accuracy'])}",
        f"  TP {quality['tp']}  FP {quality['fp']}  TN {quality['tn']}  FN {quality['fn']}",
    ]


def format_prediction(report: dict[str, Any]) -> str:
    prediction = report.get("prediction", {})
    if not prediction.get("rows"):
        return "Predictions: none read from the captured output."
    flag = "  DRIFTED" if prediction.get("drifted") else ""
    return (
        f"Predictions: positive rate {prediction['predicted_positive_rate']:.1%} against "
        f"{prediction['training_positive_rate']:.1%} in training "
        f"(change {prediction['change']:+.1%}){flag}"
    )


def _bin_labels(edges: Sequence[float]) -> list[str]:
    if not edges:
        return ["all"]
    labels = [f"<={edges[0]:.3g}"]
    labels += [f"{low:.3g}..{high:.3g}" for low, high in itertools.pairwise(edges)]
    return [*labels, f">{edges[-1]:.3g}"]


def plot_drift(report: dict[str, Any], profile: dict[str, Any], path: Path, title: str):
    """One panel per drifted feature: the profile's shares against the window's."""
    names = [n for n in report.get("drifted_features", []) if report["features"][n].get("current")]
    names = names[:MAX_PLOTTED]
    if not names:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = min(2, len(names))
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(6.5 * columns, 3.8 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        baseline, current = profile["features"][name], report["features"][name]["current"]
        if baseline["type"] == "numeric":
            labels = _bin_labels(baseline["bins"]["edges"])
            before, after = baseline["bins"]["fractions"], current["bins"]["fractions"]
        else:
            shares = baseline["values"], current.get("values", {})
            labels = sorted(
                set(shares[0]) | set(shares[1]),
                key=lambda v: (-max(shares[0].get(v, 0), shares[1].get(v, 0)), v),
            )[:MAX_PLOTTED_CATEGORIES]
            before = [shares[0].get(v, 0) for v in labels]
            after = [shares[1].get(v, 0) for v in labels]
        width = 0.4
        positions = range(len(labels))
        ax.bar([p - width / 2 for p in positions], before, width, label="baseline")
        ax.bar([p + width / 2 for p in positions], after, width, label="captured")
        ax.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("share of rows")
        ax.set_title(f"{name} (PSI {report['features'][name]['score']:.2f})")
        ax.legend()
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def _lines(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    yield from body.iter_lines(chunk_size=1024 * 1024)


def training_sample(
    s3: Any, uri: str, target: str, rows: int, max_bytes: int = TRAINING_READ_BYTES
) -> tuple[list[str], list[list[str]], bool]:
    """A uniform sample of the training CSV's rows (header, rows, whether the read stopped
    at ``max_bytes`` before the end of a larger file)."""
    runtime_modules()
    from drift_monitor.analysis import Reservoir

    bucket, key = s3uri.split(uri)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    reservoir = Reservoir(rows, seed=0)
    read = 0
    header: list[str] = []
    truncated = False
    for line in body.iter_lines(chunk_size=1024 * 1024):
        read += len(line) + 1
        if read > max_bytes:
            truncated = True
            break
        fields = next(csv.reader([line.decode("utf-8-sig")]), [])
        if not fields:
            continue
        if not header:
            header = fields
            if target not in header:
                raise EvaluationError(f"target column {target!r} is not in {uri}")
        elif len(fields) == len(header):
            reservoir.add(fields)
    body.close()
    return header, reservoir.items, truncated


def _window(report: dict[str, Any]):
    runtime_modules()
    from drift_monitor.window import Window

    window = report["window"]
    start = datetime.fromisoformat(window["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(window["end"].replace("Z", "+00:00"))
    return Window(end, start, end)


def _hourly_keys(s3: Any, uri: str, hours: list[datetime]) -> Iterator[tuple[str, str]]:
    """(bucket, key) of every object under ``<uri>/yyyy/mm/dd/hh/`` of the hours."""
    from drift_monitor.window import hour_prefix

    bucket, prefix = s3uri.split(uri.rstrip("/"))
    paginator = s3.get_paginator("list_objects_v2")
    for hour in hours:
        for page in paginator.paginate(Bucket=bucket, Prefix=hour_prefix(prefix, hour)):
            for item in page.get("Contents", []):
                yield bucket, item["Key"]


def window_rows(
    s3: Any, capture_uri: str, report: dict[str, Any], width: int, rows: int
) -> tuple[list[Any], Any]:
    """The report window's real-time capture, sampled as the function samples it."""
    window = _window(report)
    from drift_monitor.analysis import sample_rows
    from drift_monitor.capture import Counts, object_rows

    counts = Counts()

    def stream():
        for bucket, key in _hourly_keys(s3, capture_uri, window.capture_hours()):
            if key.endswith(".jsonl"):
                yield from object_rows(_lines(s3, bucket, key), width, counts)

    return sample_rows(stream(), rows, seed=report["window"]["start"]).items, counts


def ground_truth_objects(s3: Any, ground_truth_uri: str, report: dict[str, Any]):
    """The ground-truth objects the function read for the report's window, line by line."""
    window = _window(report)
    for bucket, key in _hourly_keys(s3, ground_truth_uri, window.ground_truth_hours()):
        yield _lines(s3, bucket, key)


def evidently_reports(
    *,
    profile: dict[str, Any],
    reference: list[dict[str, str]],
    current: list[dict[str, str]],
    labelled: list[tuple[str, str]],
    positive_class: str,
    out_dir: Path,
) -> list[Path]:
    """Evidently's data drift report (training sample against the window) and, with
    ground truth, its classification report of the window; HTML files in ``out_dir``."""
    import pandas as pd
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset

    columns = profile["columns"]
    numeric = [c for c in columns if profile["features"][c]["type"] == "numeric"]
    categorical = [c for c in columns if c not in numeric]

    def frame(rows: list[dict[str, str]]):
        df = pd.DataFrame(rows, columns=columns)
        for name in numeric:
            df[name] = pd.to_numeric(df[name], errors="coerce")
        return df

    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset(columns=columns)]).run(
        Dataset.from_pandas(frame(current), data_definition=definition),
        Dataset.from_pandas(frame(reference), data_definition=definition),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "monitor_drift.html"]
    snapshot.save_html(str(paths[0]))
    if labelled:
        df = pd.DataFrame(labelled, columns=["target", "prediction"])
        quality_definition = DataDefinition(
            categorical_columns=["target", "prediction"],
            classification=[
                BinaryClassification(
                    target="target", prediction_labels="prediction", pos_label=positive_class
                )
            ],
        )
        snapshot = Report([ClassificationPreset()]).run(
            Dataset.from_pandas(df, data_definition=quality_definition), None
        )
        paths.append(out_dir / "monitor_quality.html")
        snapshot.save_html(str(paths[1]))
    return paths


def rows_as_dicts(header: Sequence[str], rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(header, row, strict=True)) for row in rows]
