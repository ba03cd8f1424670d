"""The monitor's analysis on local files: ``make drift-check``.

    make drift-check BASELINE=train.csv TARGET=y CAPTURE=capture/ [GROUND_TRUTH=labels/] \\
        [POSITIVE_CLASS=yes] [RESPONSE_KEYS=predicted_label,probability]

BASELINE is a training CSV (header row, target column in): it is profiled with the code
staging uses. CAPTURE is a folder of real-time capture files (``*.jsonl`` at any depth, as
copied with ``aws s3 cp --recursive s3://<bucket>/datacapture/<endpoint>/AllTraffic/ .``);
GROUND_TRUTH a folder of ground-truth records in Model Monitor's shape. Every file is read,
whatever its hour. The report the Lambda would write is printed as JSON. Standard library
only: it imports the function's own package from runtime/.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "runtime"))

from dataset_staging import profiling  # noqa: E402
from dataset_staging.errors import DatasetError  # noqa: E402
from drift_monitor import analysis, drift  # noqa: E402
from drift_monitor.capture import Counts, is_capture_record, object_rows  # noqa: E402

# The monitoring function's default sample (monitor.max_rows_per_run), so a local check
# judges the same number of rows; runs with the standard library, so not read from config.
DEFAULT_MAX_ROWS = 20_000


class InputError(Exception):
    """Input a person can fix; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make drift-check",
        description="Drift and model quality of captured traffic against a training CSV.",
    )
    parser.add_argument("--baseline", required=True, help="training CSV, target column in")
    parser.add_argument("--target", required=True, help="the target column")
    parser.add_argument("--capture", required=True, help="folder of capture .jsonl files")
    parser.add_argument("--ground-truth", default="", help="folder of ground-truth .jsonl files")
    parser.add_argument("--positive-class", default="yes")
    parser.add_argument("--response-keys", default="predicted_label,probability")
    parser.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS)
    defaults = drift.Thresholds()
    parser.add_argument("--psi-threshold", type=float, default=defaults.psi)
    parser.add_argument("--unseen-threshold", type=float, default=defaults.unseen)
    parser.add_argument(
        "--completeness-drop-threshold", type=float, default=defaults.completeness_drop
    )
    parser.add_argument(
        "--prediction-drift-threshold", type=float, default=defaults.prediction_drift
    )
    return parser


def _folder(path: str, name: str) -> Path:
    if not path:
        raise InputError(f"{name} is not set; give it a folder, e.g. {name}=capture/")
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{name}={path} is not a folder")
    return folder


def _jsonl(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.jsonl") if path.is_file())


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        yield from file


def _first_line(path: Path) -> bytes | None:
    return next((line for line in _lines(path) if line.strip()), None)


def check_capture(files: list[Path], folder: Path) -> None:
    """At least one file must start with a capture record; otherwise name the first."""
    if not files:
        raise InputError(f"CAPTURE={folder} has no .jsonl files (searched at any depth)")
    firsts = [(path, _first_line(path)) for path in files]
    if not any(line is not None and is_capture_record(line) for _, line in firsts):
        path, line = next(((p, line) for p, line in firsts if line is not None), firsts[0])
        shown = (line or b"").decode("utf-8", "replace").strip()[:80]
        raise InputError(
            f"{path} does not hold SageMaker capture records (first line: {shown!r}); "
            "CAPTURE must be a folder of data-capture .jsonl files"
        )


def run(args: argparse.Namespace) -> dict:
    baseline_path = Path(args.baseline)
    if not baseline_path.is_file():
        raise InputError(f"BASELINE={args.baseline} is not a file; give the training CSV")
    capture_folder = _folder(args.capture, "CAPTURE")
    truth_folder = _folder(args.ground_truth, "GROUND_TRUTH") if args.ground_truth else None
    files = _jsonl(capture_folder)
    check_capture(files, capture_folder)
    keys = tuple(key.strip() for key in args.response_keys.split(",") if key.strip())
    if "predicted_label" not in keys:
        raise InputError(f"RESPONSE_KEYS={args.response_keys} must include predicted_label")
    try:
        baseline = profiling.local_profile(
            str(baseline_path), target=args.target, positive_class=args.positive_class
        )
    except DatasetError as error:
        raise InputError(f"BASELINE={args.baseline}: {error}") from None
    width = len(baseline["columns"])
    counts = Counts()

    def rows():
        for path in files:
            yield from object_rows(_lines(path), width, counts)

    def ground_truth(_wanted: set[str]):
        return (_lines(path) for path in _jsonl(truth_folder))

    report = analysis.analyse(
        baseline,
        rows(),
        max_rows=args.max_rows,
        seed=0,
        thresholds=drift.Thresholds(
            psi=args.psi_threshold,
            unseen=args.unseen_threshold,
            completeness_drop=args.completeness_drop_threshold,
            prediction_drift=args.prediction_drift_threshold,
        ),
        response_keys=keys,
        positive_class=args.positive_class,
        ground_truth=ground_truth if truth_folder else None,
    )
    report["counts"] = asdict(counts)
    report["profile"] = {"baseline": str(baseline_path), "rows": baseline["rows"]}
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
