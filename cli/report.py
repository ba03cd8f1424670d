"""Write report.json, report.md and confusion_matrix.png, and format the console table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli import capture
from cli.metrics import ConfusionMatrix

METRIC_ORDER = ("accuracy", "precision", "recall", "f1", "specificity", "roc_auc")


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def confusion_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    cm = report["confusion_matrix"]
    pos, neg = report["positive_class"], report["negative_class"]
    return [
        ("", f"predicted {pos}", f"predicted {neg}"),
        (f"actual {pos}", f"TP {cm['tp']}", f"FN {cm['fn']}"),
        (f"actual {neg}", f"FP {cm['fp']}", f"TN {cm['tn']}"),
    ]


def format_table(report: dict[str, Any]) -> str:
    scoring = report["scoring"]
    lines = [
        f"Endpoint {report['endpoint_name']} (stack {report['stack_name']})",
        f"{scoring['rows']} held-out rows in {scoring['requests']} requests "
        f"(batches of up to {scoring['batch_size']} rows; one row per request would be "
        f"{scoring['rows']})",
        "",
        format_metrics(report),
    ]
    return "\n".join(lines)


def format_metrics(report: dict[str, Any]) -> str:
    """The confusion matrix and metrics table of a report (``make evaluate`` or batch)."""
    rows = confusion_rows(report)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines += ["", f"{'metric':<12}value"]
    lines += [f"{name:<12}{_number(report['metrics'].get(name))}" for name in METRIC_ORDER]
    if report.get("autopilot_objective_metric"):
        lines.append(f"{'autopilot':<12}{report['autopilot_objective_metric']} (validation)")
    lines.append(f"positive class {report['positive_class']!r}; AUC from {report['auc_source']}")
    return "\n".join(lines)


def format_capture(check: dict[str, Any]) -> str:
    if not check.get("found"):
        return f"Data capture: {check['note']} ({check['location']})"
    record = check["record"]
    lines = [f"Data capture: {check['files']} file(s) under {check['location']}"]
    lines.append(f"  newest: {check['file']}")
    for side in ("input", "output"):
        payload = record.get(side)
        if payload:
            lines.append(
                f"  {side} ({payload['content_type']}, {payload['encoding']}): "
                f"{capture.preview(payload['text'])}"
            )
    return "\n".join(lines)


def format_ground_truth(uploaded: dict[str, Any]) -> str:
    if "note" in uploaded:
        return f"Ground truth: {uploaded['note']}"
    return (
        f"Ground truth: the held-out labels of {uploaded['records']} requests, for the "
        f"monitor's model quality, in {', '.join(uploaded['objects'])}"
    )


def to_markdown(report: dict[str, Any]) -> str:
    scoring = report["scoring"]
    rows = confusion_rows(report)
    lines = [
        f"# Evaluation of {report['endpoint_name']}",
        "",
        f"- Stack: `{report['stack_name']}`, generated {report['generated_at']}",
        f"- Held-out data: `{report['holdout_uri']}` ({scoring['rows']} rows, "
        f"target `{report['target_attribute']}`)",
        f"- Requests: {scoring['requests']} (batches of up to {scoring['batch_size']} rows)",
        f"- Response keys: `{','.join(report['response_keys'])}`",
        f"- Positive class: `{report['positive_class']}`; AUC from {report['auc_source']}",
    ]
    if report.get("autopilot_objective_metric"):
        lines.append(
            f"- Autopilot best-candidate objective (validation): "
            f"{report['autopilot_objective_metric']}"
        )
    lines += [
        "",
        "## Confusion matrix",
        "",
        f"| {' | '.join(rows[0])} |",
        "|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows[1:]),
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {_number(report['metrics'].get(name))} |" for name in METRIC_ORDER),
        "",
        "Recall is TP / (TP + FN); ROC AUC is rank-based over P(positive).",
        "",
        "## Data capture",
        "",
        "```",
        format_capture(report["data_capture"]),
        format_ground_truth(report.get("ground_truth", {"note": "not recorded"})),
        "```",
        "",
        "![confusion matrix](confusion_matrix.png)",
        "",
    ]
    return "\n".join(lines)


def plot_confusion(matrix: ConfusionMatrix, positive: str, negative: str, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cells = [[matrix.tp, matrix.fn], [matrix.fp, matrix.tn]]
    names = [["TP", "FN"], ["FP", "TN"]]
    figure = Figure(figsize=(4.5, 4))
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.imshow(cells, cmap="Blues")
    peak = max(max(row) for row in cells) or 1
    for r in range(2):
        for c in range(2):
            color = "white" if cells[r][c] > peak / 2 else "black"
            axes.text(c, r, f"{names[r][c]}\n{cells[r][c]}", ha="center", va="center", color=color)
    axes.set_xticks([0, 1], labels=[positive, negative])
    axes.set_yticks([0, 1], labels=[positive, negative])
    axes.set_xlabel("predicted")
    axes.set_ylabel("actual")
    axes.set_title("Confusion matrix (held-out)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def write(report: dict[str, Any], matrix: ConfusionMatrix, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "report.json", out_dir / "report.md", out_dir / "confusion_matrix.png"]
    paths[0].write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    paths[1].write_text(to_markdown(report), encoding="utf-8")
    plot_confusion(matrix, report["positive_class"], report["negative_class"], paths[2])
    return paths
