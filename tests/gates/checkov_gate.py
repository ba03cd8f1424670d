"""checkov over synthesized templates, judged against one reviewed skip file.

checkov runs once over all templates with every check enabled; a failed check counts
as skipped only when the skip file lists its ID, with a reason, for that environment.
(``--skip-check`` would drop such checks from the report altogether, so nobody could
see how many failures each skip hides, and it cannot differ per environment.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from config import EnvironmentSettings
from tests.fixtures import ROOT

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
SKIP_FILE = ROOT / "tools" / "checkov" / "skips.yaml"
MISSING_CHECKOV = (
    f"checkov is not installed at {CHECKOV.relative_to(ROOT)}; run `make install` "
    "(it gets its own hash-locked environment)"
)
_CHECK_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")
_SKIP_KEYS = {"id", "reason", "environments", "when", "resources"}


class SkipFileError(ValueError):
    """The skip file is malformed, or an entry lacks what makes it reviewable."""


class CheckovMissingError(RuntimeError):
    """The checkov binary is not installed; the gate fails, it never skips."""


@dataclass(frozen=True)
class Skip:
    """One skipped check; ``environments`` (None: all) and ``resources`` narrow it."""

    check_id: str
    reason: str
    environments: tuple[str, ...] | None = None
    resources: tuple[str, ...] = ()

    def covers(self, check: Check, environment: str) -> bool:
        return (
            check.check_id == self.check_id
            and (self.environments is None or environment in self.environments)
            and (not self.resources or any(fnmatchcase(check.resource, r) for r in self.resources))
        )


@dataclass(frozen=True)
class Check:
    check_id: str
    resource: str


@dataclass
class Report:
    """checkov's results for one template."""

    passed: list[Check] = field(default_factory=list)
    failed: list[Check] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """One template's report after the skip file: what still fails, and what is skipped."""

    passed: int
    failed: list[Check]
    skipped: list[Check]
    parsing_errors: list[str]


def load_skips(
    path: Path = SKIP_FILE, *, environments: Mapping[str, EnvironmentSettings]
) -> list[Skip]:
    """Parse the skip file; reject an entry without an ID, a reason or known environments.

    ``when`` scopes an entry by settings (``encryption.customer_managed_key: false``)
    rather than by name, so a new environment in the TOML file is judged without edits.
    """
    known = set(environments)
    data = yaml.safe_load(path.read_text())
    entries = data.get("skips") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SkipFileError(f"{path.name}: expected a non-empty top-level 'skips' list")
    skips: list[Skip] = []
    for index, entry in enumerate(entries):
        where = f"{path.name}: skips[{index}]"
        if not isinstance(entry, dict):
            raise SkipFileError(f"{where}: expected a mapping with 'id' and 'reason'")
        check_id = entry.get("id")
        if not isinstance(check_id, str) or not _CHECK_ID.fullmatch(check_id):
            raise SkipFileError(
                f"{where}: 'id' must be a check ID like CKV_AWS_116, got {check_id!r}"
            )
        where = f"{where} ({check_id})"
        if set(entry) - _SKIP_KEYS:
            raise SkipFileError(f"{where}: unknown keys {sorted(set(entry) - _SKIP_KEYS)}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise SkipFileError(
                f"{where}: every skip needs a 'reason' saying why it does not apply"
            )
        names = _strings(entry.get("environments", []), f"{where}: 'environments'")
        resources = _strings(entry.get("resources", []), f"{where}: 'resources'")
        if set(names) - known:
            unknown = sorted(set(names) - known)
            raise SkipFileError(f"{where}: unknown environments {unknown}; known: {sorted(known)}")
        if "environments" in entry and "when" in entry:
            raise SkipFileError(f"{where}: use either 'environments' or 'when', not both")
        scope: tuple[str, ...] | None = names if "environments" in entry else None
        if "when" in entry:
            scope = _matching(entry["when"], environments, where)
        skip = Skip(check_id, " ".join(reason.split()), environments=scope, resources=resources)
        if any(_overlap(skip, other) for other in skips):
            raise SkipFileError(f"{where}: listed twice for the same environments")
        skips.append(skip)
    return skips


def _overlap(skip: Skip, other: Skip) -> bool:
    if skip.check_id != other.check_id:
        return False
    if skip.environments is None or other.environments is None:
        return True
    return bool(set(skip.environments) & set(other.environments))


def _matching(
    when: Any, environments: Mapping[str, EnvironmentSettings], where: str
) -> tuple[str, ...]:
    """The environments whose settings have every ``when`` value."""
    if not isinstance(when, dict) or not when:
        raise SkipFileError(f"{where}: 'when' must map settings to values")
    matching = []
    for name, settings in environments.items():
        values = {key: _setting(settings, key, where) for key in when}
        if all(values[key] == value for key, value in when.items()):
            matching.append(name)
    return tuple(matching)


def _setting(settings: EnvironmentSettings, key: str, where: str) -> Any:
    value: Any = settings
    for part in key.split("."):
        if not isinstance(value, BaseModel) or part not in type(value).model_fields:
            raise SkipFileError(f"{where}: 'when' names unknown setting {key!r}")
        value = getattr(value, part)
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise SkipFileError(f"{where} must be a list of names")
    return tuple(value)


def run_checkov(templates: Iterable[Path]) -> dict[str, Report]:
    """One checkov run over ``templates``; reports keyed by template file name."""
    return parse_report(checkov_output(templates))


def checkov_output(templates: Iterable[Path]) -> Any:
    """checkov's JSON output for one run over ``templates``."""
    if not CHECKOV.exists():
        raise CheckovMissingError(MISSING_CHECKOV)
    command = [str(CHECKOV), "--framework", "cloudformation", "--output", "json"]
    command += ["--skip-download", "--compact"]
    for template in templates:
        command += ["--file", str(template)]
    # No network: checkov would otherwise fetch its guideline mappings.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, timeout=600
    )
    if result.returncode not in (0, 1):  # 1 means "some check failed"
        raise RuntimeError(f"checkov exited {result.returncode}: {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def parse_report(output: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Report]:
    reports: dict[str, Report] = {}
    for block in output if isinstance(output, list) else [output]:
        results = block.get("results", {})
        for kind in ("passed", "failed"):
            for item in results.get(f"{kind}_checks", []):
                report = reports.setdefault(Path(item["file_path"]).name, Report())
                getattr(report, kind).append(Check(item["check_id"], item["resource"]))
        for path in results.get("parsing_errors", []):
            reports.setdefault(Path(path).name, Report()).parsing_errors.append(path)
    return reports


def apply_skips(report: Report, skips: Iterable[Skip], environment: str) -> Outcome:
    skips = list(skips)
    skipped = [c for c in report.failed if any(s.covers(c, environment) for s in skips)]
    return Outcome(
        passed=len(report.passed),
        failed=[check for check in report.failed if check not in skipped],
        skipped=skipped,
        parsing_errors=report.parsing_errors,
    )


def unused_skips(skips: Iterable[Skip], outcomes: Mapping[str, Outcome]) -> list[Skip]:
    """Skips that no failed check in any environment needed: delete them."""
    return [
        skip
        for skip in skips
        if not any(
            skip.covers(check, environment)
            for environment, outcome in outcomes.items()
            for check in outcome.skipped
        )
    ]
