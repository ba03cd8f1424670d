"""Read Model Monitor's data-quality outputs and explain each violation to a person.

The analyzer image writes three JSON files (schemas in the SageMaker Developer Guide,
"Schema for Statistics", "Schema for Constraints" and "Schema for Violations"):

- the baseline job: ``statistics.json`` and ``constraints.json``;
- each monitoring execution: ``statistics.json`` of the captured data, and
  ``constraint_violations.json`` with ``feature_name``, ``constraint_check_type`` and
  ``description`` per violation.

A violation only says which check failed. This module puts the baseline's value next to
the observed one, so the report reads "duration: mean 258 -> 612", not just "drift".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.errors import EvaluationError

DRIFT_CHECKS = frozenset({"baseline_drift_check", "categorical_values_check"})
MAX_LISTED_VALUES = 5
MAX_PLOTTED_CATEGORIES = 12
# "Baseline drift distance: 0.41 exceeds threshold: 0.1" in the analyzer's description.
_DISTANCE = re.compile(r"distance:?\s*([0-9.eE+-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class FeatureStatistics:
    name: str
    inferred_type: str
    num_present: int
    num_missing: int
    mean: float | None = None
    std_dev: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    # Numeric: (lower, upper, count) KLL buckets. String: (value, count) categories.
    buckets: tuple[tuple[float, float, float], ...] = ()
    categories: tuple[tuple[str, float], ...] = ()

    @property
    def completeness(self) -> float | None:
        total = self.num_present + self.num_missing
        return self.num_present / total if total else None

    @property
    def is_numeric(self) -> bool:
        return bool(self.buckets) or self.mean is not None


@dataclass(frozen=True)
class FeatureConstraint:
    name: str
    inferred_type: str | None
    completeness: float | None
    is_non_negative: bool | None
    domains: tuple[str, ...] | None


@dataclass(frozen=True)
class Constraints:
    features: dict[str, FeatureConstraint]
    config: dict[str, Any] = field(default_factory=dict)

    def setting(self, *path: str) -> Any:
        value: Any = self.config
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value


@dataclass(frozen=True)
class Violation:
    feature: str
    check: str
    description: str


@dataclass(frozen=True)
class Finding:
    """One violation with the constraint it broke and baseline against observed values."""

    feature: str
    check: str
    constraint: str
    baseline: str
    observed: str
    description: str


def _shape_error(what: str, detail: str) -> EvaluationError:
    return EvaluationError(f"{what} is not a Model Monitor output: {detail}")


def parse_statistics(
    document: Mapping[str, Any], what: str = "statistics.json"
) -> dict[str, FeatureStatistics]:
    """``statistics.json`` -> {feature name: FeatureStatistics}, in file order."""
    features = document.get("features")
    if not isinstance(features, list):
        raise _shape_error(what, "no 'features' list")
    parsed: dict[str, FeatureStatistics] = {}
    for feature in features:
        numeric = feature.get("numerical_statistics")
        strings = feature.get("string_statistics")
        section = numeric or strings or {}
        common = section.get("common", {})
        values: dict[str, Any] = {}
        if numeric:
            kll = numeric.get("distribution", {}).get("kll", {})
            values = {
                "mean": numeric.get("mean"),
                "std_dev": numeric.get("std_dev"),
                "minimum": numeric.get("min"),
                "maximum": numeric.get("max"),
                "buckets": tuple(
                    (b["lower_bound"], b["upper_bound"], b["count"]) for b in kll.get("buckets", [])
                ),
            }
        elif strings:
            categorical = strings.get("distribution", {}).get("categorical", {})
            values = {
                "categories": tuple(
                    (str(b["value"]), b["count"]) for b in categorical.get("buckets", [])
                )
            }
        parsed[feature["name"]] = FeatureStatistics(
            name=feature["name"],
            inferred_type=feature.get("inferred_type", "Unknown"),
            num_present=int(common.get("num_present", 0)),
            num_missing=int(common.get("num_missing", 0)),
            **values,
        )
    return parsed


def parse_constraints(document: Mapping[str, Any], what: str = "constraints.json") -> Constraints:
    features = document.get("features")
    if not isinstance(features, list):
        raise _shape_error(what, "no 'features' list")
    parsed = {}
    for feature in features:
        domains = feature.get("string_constraints", {}).get("domains")
        parsed[feature["name"]] = FeatureConstraint(
            name=feature["name"],
            inferred_type=feature.get("inferred_type"),
            completeness=feature.get("completeness"),
            is_non_negative=feature.get("num_constraints", {}).get("is_non_negative"),
            domains=tuple(str(d) for d in domains) if domains is not None else None,
        )
    return Constraints(features=parsed, config=dict(document.get("monitoring_config", {})))


def parse_violations(
    document: Mapping[str, Any], what: str = "constraint_violations.json"
) -> list[Violation]:
    violations = document.get("violations")
    if not isinstance(violations, list):
        raise _shape_error(what, "no 'violations' list")
    return [
        Violation(
            feature=str(v.get("feature_name", "")),
            check=str(v.get("constraint_check_type", "")),
            description=str(v.get("description", "")),
        )
        for v in violations
    ]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _summary(stats: FeatureStatistics | None) -> str:
    if stats is None:
        return "absent"
    if stats.is_numeric:
        return (
            f"mean {_number(stats.mean)}, sd {_number(stats.std_dev)}, "
            f"range {_number(stats.minimum)}..{_number(stats.maximum)}"
        )
    total = sum(count for _, count in stats.categories) or 1
    top = sorted(stats.categories, key=lambda c: -c[1])[:3]
    return ", ".join(f"{value} {count / total:.0%}" for value, count in top) or "no values"


def _unknown_values(stats: FeatureStatistics | None, domain: Iterable[str]) -> str:
    if stats is None:
        return "absent"
    known = set(domain)
    total = sum(count for _, count in stats.categories) or 1
    unknown = [(v, c) for v, c in stats.categories if v not in known]
    if not unknown:
        return "no values outside the domain"
    share = sum(c for _, c in unknown) / total
    listed = ", ".join(v for v, _ in unknown[:MAX_LISTED_VALUES])
    more = (
        f" and {len(unknown) - MAX_LISTED_VALUES} more" if len(unknown) > MAX_LISTED_VALUES else ""
    )
    return f"{share:.1%} of values outside it: {listed}{more}"


def explain(
    violation: Violation,
    constraints: Constraints | None,
    baseline: Mapping[str, FeatureStatistics] | None,
    observed: Mapping[str, FeatureStatistics] | None,
) -> Finding:
    """Baseline against observed for one violation; 'n/a' where a file is missing."""
    name, check = violation.feature, violation.check
    rule = constraints.features.get(name) if constraints else None
    before = (baseline or {}).get(name)
    after = (observed or {}).get(name)
    setting = constraints.setting if constraints else (lambda *_: None)
    constraint, old, new = check, "n/a", "n/a"
    if check == "data_type_check":
        expected = rule.inferred_type if rule else (before.inferred_type if before else None)
        threshold = setting("datatype_check_threshold")
        constraint = f"type {expected or 'n/a'} (datatype_check_threshold {_number(threshold)})"
        old = expected or "n/a"
        new = after.inferred_type if after else "absent"
    elif check == "completeness_check":
        wanted = rule.completeness if rule else None
        constraint = f"completeness >= {_percent(wanted)}"
        old = _percent(before.completeness if before else wanted)
        new = _percent(after.completeness) if after else "absent"
    elif check == "baseline_drift_check":
        numeric = (before or after) is not None and (before or after).is_numeric
        key = "comparison_threshold" if numeric else "categorical_comparison_threshold"
        method = setting(
            "distribution_constraints",
            "comparison_method" if numeric else "categorical_drift_method",
        )
        threshold = setting("distribution_constraints", key)
        constraint = f"distance <= {_number(threshold)}" + (f" ({method})" if method else "")
        old, new = _summary(before), _summary(after)
        if match := _DISTANCE.search(violation.description):
            new += f"; distance {match.group(1).rstrip('.')}"
    elif check == "categorical_values_check":
        domain = rule.domains if rule and rule.domains is not None else ()
        threshold = setting("domain_content_threshold")
        constraint = f"in the baseline domain (domain_content_threshold {_number(threshold)})"
        shown = ", ".join(domain[:MAX_LISTED_VALUES])
        old = f"{len(domain)} values: {shown}" + (
            ", ..." if len(domain) > MAX_LISTED_VALUES else ""
        )
        new = _unknown_values(after, domain)
    elif check in {"missing_column_check", "extra_column_check"}:
        constraint = "same columns as the baseline"
        old = f"{len(baseline)} columns" if baseline is not None else "n/a"
        new = f"{len(observed)} columns" if observed is not None else "n/a"
    return Finding(name, check, constraint, old, new, violation.description)


def format_table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def drifted(findings: Iterable[Finding]) -> list[str]:
    """Features whose distribution moved, in first-seen order."""
    return list(dict.fromkeys(f.feature for f in findings if f.check in DRIFT_CHECKS))


def _fractions(stats: FeatureStatistics) -> tuple[list[float], list[float]]:
    """KLL buckets as (edges, density) so buckets of different widths compare fairly."""
    total = sum(count for _, _, count in stats.buckets) or 1
    edges = [stats.buckets[0][0], *(upper for _, upper, _ in stats.buckets)]
    density = [count / total / ((upper - lower) or 1) for lower, upper, count in stats.buckets]
    return edges, density


def _shares(stats: FeatureStatistics) -> dict[str, float]:
    total = sum(count for _, count in stats.categories) or 1
    return {value: count / total for value, count in stats.categories}


def plot_drift(
    features: list[str],
    baseline: Mapping[str, FeatureStatistics],
    observed: Mapping[str, FeatureStatistics],
    path: Path,
    title: str,
) -> Path | None:
    """One panel per drifted feature: baseline distribution against the captured one."""
    plotted = [name for name in features if name in baseline and name in observed]
    if not plotted:
        return None
    # The object-oriented API with the Agg canvas: no pyplot state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = min(2, len(plotted))
    rows = -(-len(plotted) // columns)
    figure = Figure(figsize=(6 * columns, 3.6 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, plotted, strict=False):
        before, after = baseline[name], observed[name]
        if before.buckets and after.buckets:
            for stats, label, color in (
                (before, "baseline", "tab:blue"),
                (after, "captured", "tab:orange"),
            ):
                edges, density = _fractions(stats)
                ax.stairs(density, edges, label=label, color=color, fill=True, alpha=0.45)
            ax.set_ylabel("share of rows per unit")
        else:
            shares = (_shares(before), _shares(after))
            # The largest share on either side first, so a new value the baseline lacks shows.
            values = sorted(
                set(shares[0]) | set(shares[1]),
                key=lambda v: (-max(shares[0].get(v, 0), shares[1].get(v, 0)), v),
            )[:MAX_PLOTTED_CATEGORIES]
            width = 0.4
            for offset, share, label, color in (
                (-width / 2, shares[0], "baseline", "tab:blue"),
                (width / 2, shares[1], "captured", "tab:orange"),
            ):
                ax.bar(
                    [i + offset for i in range(len(values))],
                    [share.get(v, 0) for v in values],
                    width,
                    label=label,
                    color=color,
                )
            ax.set_xticks(range(len(values)), values, rotation=45, ha="right")
            ax.set_ylabel("share of rows")
        ax.set_title(name)
        ax.legend()
    for ax in axes[len(plotted) :]:
        ax.set_visible(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
