"""Our drift scores and verdicts against maintained libraries, on generated samples with
known drift and without it.

- PSI of numeric features equals an independent numpy computation on the profile's bins
  (numpy's quantiles, searchsorted, the same 1e-4 fill) to 1e-9 relative.
- PSI of categorical features equals Evidently's PSI stat test to 1e-9 relative (both bin
  by value and fill empty bins with 1e-4).
- Verdicts agree with scipy's two-sample Kolmogorov-Smirnov test (numbers) and the
  chi-squared test of the 2 x k contingency table (categories) at p < 0.01, and with
  Evidently's PSI stat test at the same 0.2 threshold.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from drift_monitor import drift, profile

THRESHOLDS = drift.Thresholds(psi=0.2)
P_VALUE = 0.01


def numbers(mean: float, spread: float, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.gauss(mean, spread):.4f}" for _ in range(count)]


def categories(weights: dict[str, float], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return rng.choices(list(weights), weights=list(weights.values()), k=count)


def evidently_psi(reference: list, current: list, *, categorical: bool):
    """Evidently's PSI stat test at the 0.2 threshold (imported here: it takes seconds, and
    every test worker would pay for it while collecting)."""
    import pandas as pd
    from evidently.legacy.calculations.stattests import psi_stat_test
    from evidently.legacy.core import ColumnType

    kind = ColumnType.Categorical if categorical else ColumnType.Numerical
    return psi_stat_test(pd.Series(reference), pd.Series(current), kind, 0.2)


def numpy_psi(baseline: list[float], current: list[float]) -> float:
    edges = np.unique(np.quantile(baseline, np.arange(1, 10) / 10))
    expected = np.bincount(np.searchsorted(edges, baseline, side="left"), minlength=len(edges) + 1)
    actual = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1)
    e = np.where(expected == 0, 1e-4, expected / len(baseline))
    a = np.where(actual == 0, 1e-4, actual / len(current))
    return float(np.sum((a - e) * np.log(a / e)))


NUMERIC_CASES = {
    "same": (0.0, 1.0),
    "small-wobble": (0.02, 1.02),
    "shifted": (0.8, 1.0),
    "wider": (0.0, 2.5),
}


@pytest.mark.parametrize("case", NUMERIC_CASES, ids=list(NUMERIC_CASES))
def test_numeric_psi_and_verdict_match_numpy_scipy_and_evidently(case):
    mean, spread = NUMERIC_CASES[case]
    reference = numbers(0.0, 1.0, 20_000, seed=1)
    current = numbers(mean, spread, 5_000, seed=2)
    baseline = profile.feature_profile(reference)
    verdict = drift.feature(baseline, current, THRESHOLDS, judged=True)

    floats = [float(v) for v in reference], [float(v) for v in current]
    assert verdict["score"] == pytest.approx(numpy_psi(*floats), rel=1e-9)
    from scipy import stats

    ks = stats.ks_2samp(*floats)
    evidently = evidently_psi(floats[0], floats[1], categorical=False)
    expected = case in ("shifted", "wider")
    assert verdict["drifted"] is expected
    assert bool(ks.pvalue < P_VALUE) is expected
    assert bool(evidently.drifted) is expected


CATEGORICAL_CASES = {
    "same": {"married": 0.6, "single": 0.28, "divorced": 0.12},
    "reordered-shares": {"married": 0.25, "single": 0.6, "divorced": 0.15},
    "new-value": {"married": 0.5, "single": 0.25, "divorced": 0.1, "widowed": 0.15},
}


@pytest.mark.parametrize("case", CATEGORICAL_CASES, ids=list(CATEGORICAL_CASES))
def test_categorical_psi_matches_evidently_and_verdict_matches_chi_squared(case):
    reference = categories(CATEGORICAL_CASES["same"], 20_000, seed=3)
    current = categories(CATEGORICAL_CASES[case], 5_000, seed=4)
    baseline = profile.feature_profile(reference)
    verdict = drift.feature(baseline, current, THRESHOLDS, judged=True)

    evidently = evidently_psi(reference, current, categorical=True)
    assert verdict["score"] == pytest.approx(evidently.drift_score, rel=1e-9)
    values = sorted(set(reference) | set(current))
    table = [[reference.count(v) for v in values], [current.count(v) for v in values]]
    from scipy import stats

    chi2 = stats.chi2_contingency(table)
    expected = case != "same"
    assert verdict["drifted"] is expected
    assert bool(chi2.pvalue < P_VALUE) is expected
    assert bool(evidently.drifted) is expected
    if case == "new-value":
        assert verdict["unseen_share"] == pytest.approx(current.count("widowed") / 5000)
        assert "unseen_values" in verdict["reasons"]


def test_completeness_drop_and_type_mismatch_are_drift():
    reference = numbers(40, 10, 5000, seed=5)
    baseline = profile.feature_profile(reference)
    missing = ["" if i % 4 == 0 else v for i, v in enumerate(numbers(40, 10, 2000, seed=6))]
    text = ["unknown" if i % 5 == 0 else v for i, v in enumerate(numbers(40, 10, 2000, seed=7))]

    emptier = drift.feature(baseline, missing, THRESHOLDS, judged=True)
    typed = drift.feature(baseline, text, THRESHOLDS, judged=True)

    assert emptier["reasons"] == ["completeness_drop"]
    assert emptier["completeness"] == {"baseline": 1.0, "current": 0.75}
    assert typed["reasons"] == ["type_mismatch"]
    assert typed["non_numeric_share"] == pytest.approx(0.2)


def test_too_few_rows_are_scored_but_not_judged():
    baseline = profile.feature_profile(numbers(0, 1, 5000, seed=8))
    verdict = drift.feature(baseline, numbers(5, 1, 20, seed=9), THRESHOLDS, judged=False)
    assert verdict["score"] > 1
    assert (verdict["drifted"], verdict["reasons"]) == (False, [])
