"""The checkov gate: its skip file loader and how a report is judged against skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import environment_names, load_settings, parse_settings
from tests.gates import checkov_gate
from tests.gates.checkov_gate import Check, Report, Skip, SkipFileError

# Fixed environments for the loader's own tests, whatever the TOML file holds.
ENVIRONMENTS = {
    "dev": parse_settings("dev", {"removal_policy": "destroy"}),
    "stage": parse_settings("stage", {"removal_policy": "destroy"}),
    "prod": parse_settings(
        "prod", {"removal_policy": "retain", "encryption": {"customer_managed_key": True}}
    ),
}
NO_DLQ = Check("CKV_AWS_116", "AWS::Lambda::Function.OnEvent")
OPEN_SSH = Check("CKV_AWS_24", "AWS::EC2::SecurityGroup.OpenSsh")
NO_LOG_KEY = Check("CKV_AWS_158", "AWS::Logs::LogGroup.Logs")


def _load(tmp_path: Path, text: str) -> list[Skip]:
    path = tmp_path / "skips.yaml"
    path.write_text(text)
    return checkov_gate.load_skips(path, environments=ENVIRONMENTS)


def test_the_project_skip_file_loads_and_gives_every_skip_a_reason():
    environments = {name: load_settings(name) for name in environment_names()}
    skips = checkov_gate.load_skips(environments=environments)
    assert skips
    assert all(len(skip.reason) > 40 for skip in skips)


def test_loader_keeps_ids_reasons_and_scopes(tmp_path):
    skips = _load(
        tmp_path,
        "skips:\n"
        "  - id: CKV_AWS_158\n"
        "    environments: [dev]\n"
        "    reason: >-\n"
        "      no key in\n"
        "      dev\n",
    )
    assert skips == [Skip("CKV_AWS_158", "no key in dev", environments=("dev",))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("skips:\n  - id: CKV_AWS_116\n", "needs a 'reason'"),
        ("skips:\n  - id: CKV_AWS_116\n    reason: '  '\n", "needs a 'reason'"),
        ("skips:\n  - reason: no DLQ\n", "'id' must be a check ID"),
        ("skips:\n  - id: AWS_116\n    reason: no DLQ\n", "'id' must be a check ID"),
        ("skips:\n  - id: CKV_AWS_116\n    reason: x\n    why: y\n", "unknown keys"),
        ("skips:\n  - id: CKV_AWS_116\n    reason: x\n    environments: [qa]\n", "unknown env"),
        ("skips:\n  - id: CKV_AWS_116\n    reason: x\n    environments: dev\n", "list of names"),
        ("skips:\n  - {id: CKV_AWS_116, reason: x}\n  - {id: CKV_AWS_116, reason: y}\n", "twice"),
        ("skips:\n  - {id: CKV_AWS_116, reason: x, when: {encryption.key: false}}\n", "unknown"),
        ("skips:\n  - {id: CKV_AWS_116, reason: x, when: []}\n", "map settings to values"),
        (
            "skips:\n  - {id: CKV_AWS_116, reason: x, environments: [dev], "
            "when: {removal_policy: destroy}}\n",
            "either 'environments' or 'when'",
        ),
        ("skips: []\n", "non-empty top-level 'skips' list"),
        ("- id: CKV_AWS_116\n", "non-empty top-level 'skips' list"),
    ],
)
def test_loader_rejects_entries_a_reviewer_cannot_judge(tmp_path, text, message):
    with pytest.raises(SkipFileError, match=message):
        _load(tmp_path, text)


def test_the_same_check_may_have_separate_reasons_per_environment(tmp_path):
    skips = _load(
        tmp_path,
        "skips:\n"
        "  - {id: CKV_AWS_18, reason: off to save cost, environments: [dev, stage]}\n"
        "  - {id: CKV_AWS_18, reason: the log bucket itself, environments: [prod]}\n",
    )
    assert [skip.environments for skip in skips] == [("dev", "stage"), ("prod",)]


def test_when_scopes_a_skip_to_the_environments_with_those_settings(tmp_path):
    skips = _load(
        tmp_path,
        "skips:\n"
        "  - {id: CKV_AWS_158, reason: no key, when: {encryption.customer_managed_key: false}}\n"
        "  - {id: CKV_AWS_21, reason: disposable, when: {removal_policy: retain}}\n",
    )
    assert [skip.environments for skip in skips] == [("dev", "stage"), ("prod",)]
    report = Report(failed=[NO_LOG_KEY])
    assert checkov_gate.apply_skips(report, skips, "stage").failed == []
    assert checkov_gate.apply_skips(report, skips, "prod").failed == [NO_LOG_KEY]


def test_a_failed_check_outside_the_skip_file_fails_the_gate():
    report = Report(passed=[Check("CKV_AWS_20", "AWS::S3::Bucket.Data")], failed=[NO_DLQ, OPEN_SSH])
    outcome = checkov_gate.apply_skips(report, [Skip("CKV_AWS_116", "sync")], "dev")
    assert outcome.passed == 1
    assert outcome.skipped == [NO_DLQ]
    assert outcome.failed == [OPEN_SSH]


def test_skips_apply_only_to_their_environments_and_resources():
    scoped = [
        Skip("CKV_AWS_158", "no key", environments=("dev",)),
        Skip("CKV_AWS_116", "sync", resources=("AWS::Lambda::Function.Framework*",)),
    ]
    report = Report(failed=[NO_LOG_KEY, NO_DLQ])
    assert checkov_gate.apply_skips(report, scoped, "dev").failed == [NO_DLQ]
    assert checkov_gate.apply_skips(report, scoped, "prod").failed == [NO_LOG_KEY, NO_DLQ]


def test_unused_skips_are_reported():
    skips = [Skip("CKV_AWS_116", "sync"), Skip("CKV_AWS_117", "no VPC needed")]
    outcomes = {"dev": checkov_gate.apply_skips(Report(failed=[NO_DLQ]), skips, "dev")}
    assert checkov_gate.unused_skips(skips, outcomes) == [skips[1]]


def test_parses_checkov_json_per_template():
    output = {
        "check_type": "cloudformation",
        "results": {
            "passed_checks": [
                {
                    "check_id": "CKV_AWS_20",
                    "resource": "AWS::S3::Bucket.A",
                    "file_path": "/x/dev.json",
                }
            ],
            "failed_checks": [
                {
                    "check_id": "CKV_AWS_24",
                    "resource": "AWS::EC2::SecurityGroup.B",
                    "file_path": "/../y/prod.json",
                }
            ],
            "parsing_errors": ["/z/broken.json"],
        },
    }
    reports = checkov_gate.parse_report([output])
    assert reports["dev.json"].passed == [Check("CKV_AWS_20", "AWS::S3::Bucket.A")]
    assert reports["prod.json"].failed == [Check("CKV_AWS_24", "AWS::EC2::SecurityGroup.B")]
    assert reports["broken.json"].parsing_errors == ["/z/broken.json"]


def test_a_missing_checkov_binary_fails_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(checkov_gate, "CHECKOV", tmp_path / "missing" / "checkov")
    with pytest.raises(checkov_gate.CheckovMissingError, match=r"run `make install`"):
        checkov_gate.run_checkov([tmp_path / "dev.template.json"])
