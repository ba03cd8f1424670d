"""``make drift-check`` on the committed offline fixtures, and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT as PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "drift_check"
SCRIPT = PROJECT_ROOT / "tools" / "drift_check.py"


def drift_check(*args: str, python: tuple[str, ...] = (sys.executable,)):
    return subprocess.run(
        [*python, str(SCRIPT), *args], capture_output=True, text=True, cwd=PROJECT_ROOT
    )


def arguments(**overrides: str) -> list[str]:
    values = {
        "--baseline": str(FIXTURES / "training.csv"),
        "--target": "y",
        "--capture": str(FIXTURES / "capture"),
        "--ground-truth": str(FIXTURES / "ground-truth"),
        **overrides,
    }
    return [part for pair in values.items() for part in pair]


def test_flags_the_drifted_features_and_not_the_stable_ones():
    # -S: no site-packages, so the check runs on the standard library alone.
    done = drift_check(*arguments(), python=(sys.executable, "-S"))

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rows"] == 900
    assert report["drifted_features"] == ["age", "job"]
    assert report["features"]["job"]["reasons"] == ["psi", "unseen_values"]
    stable = {name: v for name, v in report["features"].items() if name not in ("age", "job")}
    assert all(not v["drifted"] and v["score"] < 0.05 for v in stable.values())
    assert all(set(v) >= {"drifted", "score", "method"} for v in report["features"].values())
    assert report["counts"]["malformed_lines"] == 1
    quality = report["model_quality"]
    assert {key: quality[key] for key in ("rows", "tp", "fp", "tn", "fn")} == {
        "rows": 900,
        "tp": 13,
        "fp": 100,
        "tn": 701,
        "fn": 86,
    }
    assert quality["f1"] == pytest.approx(2 * 13 / (2 * 13 + 100 + 86))
    assert quality["accuracy"] == pytest.approx((13 + 701) / 900)
    assert report["prediction"]["drifted"] is False


def test_without_ground_truth_there_is_no_model_quality():
    done = drift_check(*arguments(**{"--ground-truth": ""}))
    assert done.returncode == 0, done.stderr
    assert "model_quality" not in json.loads(done.stdout)


def test_same_capture_as_the_baseline_is_not_drift(tmp_path):
    """The held-in rows sent back as traffic: nothing drifts."""
    import csv

    from tests.runtime.drift_monitor import drift_fixtures as fx

    rows = list(csv.reader((FIXTURES / "training.csv").open()))[1:]
    folder = tmp_path / "capture" / "2026" / "12" / "03" / "13"
    folder.mkdir(parents=True)
    lines = [
        fx.capture_line(fx.features(rows[start : start + 500]), when=fx.datetime(2026, 12, 3))
        for start in range(0, len(rows), 500)
    ]
    (folder / "00-00-000-aaaa.jsonl").write_text("\n".join(lines) + "\n")
    done = drift_check(*arguments(**{"--capture": str(tmp_path / "capture"), "--ground-truth": ""}))
    report = json.loads(done.stdout)
    assert report["rows"] == 2000
    assert report["drifted_features"] == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--capture": "no/such/folder"}, "error: CAPTURE=no/such/folder is not a folder"),
        ({"--baseline": "missing.csv"}, "error: BASELINE=missing.csv is not a file"),
        (
            {"--target": "outcome"},
            "error: BASELINE={baseline}: target column 'outcome' (dataset.target_attribute) "
            "not found; columns are: age, job,",
        ),
        ({"--capture": "{ground_truth}"}, "does not hold SageMaker capture records"),
        ({"--response-keys": "probability"}, "must include predicted_label"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_1(overrides, message):
    names = {"baseline": FIXTURES / "training.csv", "ground_truth": FIXTURES / "ground-truth"}
    overrides = {key: value.format(**names) for key, value in overrides.items()}
    done = drift_check(*arguments(**overrides))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert message.format(**names) in done.stderr


def test_samples_as_many_rows_as_the_monitoring_function_by_default():
    from config import MonitorSettings

    sys.path.insert(0, str(PROJECT_ROOT / "tools"))
    try:
        import drift_check
    finally:
        sys.path.remove(str(PROJECT_ROOT / "tools"))
    assert MonitorSettings.model_fields["max_rows_per_run"].default == drift_check.DEFAULT_MAX_ROWS
