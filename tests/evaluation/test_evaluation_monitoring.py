"""Explaining each Model Monitor check: baseline value against the observed one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation import monitoring
from evaluation.errors import EvaluationError

FIXTURES = Path(__file__).parent / "fixtures" / "model_monitor"


def load(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def files():
    return (
        monitoring.parse_constraints(load("baseline/constraints.json")),
        monitoring.parse_statistics(load("baseline/statistics.json")),
        monitoring.parse_statistics(load("execution/statistics.json")),
    )


def test_fixtures_parse_in_column_order(files):
    constraints, baseline, observed = files
    assert list(baseline) == list(observed) == list(constraints.features)
    assert baseline["duration"].is_numeric and not baseline["job"].is_numeric
    assert len(baseline["duration"].buckets) == 10
    assert constraints.setting("distribution_constraints", "comparison_method") == "Robust"
    assert observed["contact"].completeness == pytest.approx(0.9417, abs=1e-4)


def test_categorical_drift_uses_the_categorical_threshold(files):
    constraints, baseline, observed = files
    violation = monitoring.Violation(
        "marital", "baseline_drift_check", "Baseline drift distance: 0.14 exceeds threshold: 0.1"
    )

    finding = monitoring.explain(violation, constraints, baseline, observed)

    assert finding.constraint == "distance <= 0.1 (LInfinity)"
    assert finding.baseline.count("%") == 3
    assert finding.observed.endswith("; distance 0.14")


@pytest.mark.parametrize("check", ["missing_column_check", "extra_column_check"])
def test_column_count_checks(files, check):
    constraints, baseline, observed = files
    fewer = dict(list(observed.items())[:-1])

    finding = monitoring.explain(
        monitoring.Violation("", check, "..."), constraints, baseline, fewer
    )

    assert (finding.constraint, finding.baseline, finding.observed) == (
        "same columns as the baseline",
        "20 columns",
        "19 columns",
    )


def test_without_baseline_files_values_read_n_a(files):
    _, _, observed = files
    finding = monitoring.explain(
        monitoring.Violation("contact", "completeness_check", "..."), None, None, observed
    )
    assert (finding.constraint, finding.baseline, finding.observed) == (
        "completeness >= n/a",
        "n/a",
        "94.2%",
    )


def test_a_feature_absent_from_the_captured_data(files):
    constraints, baseline, _ = files
    finding = monitoring.explain(
        monitoring.Violation("age", "data_type_check", "..."), constraints, baseline, {}
    )
    assert (finding.baseline, finding.observed) == ("Integral", "absent")


def test_unknown_check_keeps_its_name_and_description(files):
    violation = monitoring.Violation("age", "future_check", "something new")
    finding = monitoring.explain(violation, *files)
    assert (finding.check, finding.constraint, finding.description) == (
        "future_check",
        "future_check",
        "something new",
    )


@pytest.mark.parametrize(
    ("parse", "document", "message"),
    [
        (monitoring.parse_statistics, {"version": 0}, "statistics.json is not a Model Monitor"),
        (monitoring.parse_constraints, {"features": {}}, "constraints.json is not a Model"),
        (monitoring.parse_violations, {}, "constraint_violations.json is not a Model Monitor"),
    ],
)
def test_files_of_the_wrong_shape(parse, document, message):
    with pytest.raises(EvaluationError, match=message):
        parse(document)


def test_no_plot_without_statistics_for_the_feature(files, tmp_path):
    _, baseline, observed = files
    path = tmp_path / "drift.png"
    assert monitoring.plot_drift(["not-a-feature"], baseline, observed, path, "t") is None
    assert not path.exists()
