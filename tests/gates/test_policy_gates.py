"""cdk-nag (AwsSolutions), cfn-lint, parliament and checkov over every environment's template."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.gates import checkov_gate, iam_lint
from tests.once_per_run import once

# W3005 (redundant DependsOn) is what CDK's explicit ordering produces.
CFN_LINT_IGNORED = ["W3005"]
CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))


def cfn_lint(*paths) -> subprocess.CompletedProcess[str]:
    """cfn-lint over templates, ignoring only CFN_LINT_IGNORED."""
    return subprocess.run(
        [CFN_LINT, "--ignore-checks", *CFN_LINT_IGNORED, "--", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


# A template checkov must fail (SSH open to the world), scanned in the same run: it
# proves the run reports failures and that the skip file does not hide them.
CANARY = "canary"
CANARY_TEMPLATE = {
    "Resources": {
        "OpenSsh": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "canary",
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
                ],
            },
        }
    }
}


def _settings(synthesized) -> dict:
    return {name: synth.settings for name, synth in synthesized.items()}


def test_cdk_nag_reports_no_unacknowledged_findings(env):
    assert env.nag_findings == []


def test_cfn_lint_finds_no_errors(synthesized):
    result = cfn_lint(*(s.template_path for s in synthesized.values()))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def parliament_findings(synthesized) -> dict[str, tuple[int, list[iam_lint.Finding]]]:
    """Per environment: how many policies were linted, and what parliament found."""
    linted = {}
    for name, synth in synthesized.items():
        policies = iam_lint.identity_policies(synth.template)
        linted[name] = (len(policies), [f for p in policies for f in iam_lint.lint(p)])
    return linted


def test_parliament_finds_nothing_but_known_limitations(parliament_findings, capsys):
    for name, (count, findings) in parliament_findings.items():
        explained = Counter(f.issue for f in findings if iam_lint.explanation(f))
        with capsys.disabled():
            print(
                f"\nparliament {name}: {count} policies linted, known limitations {dict(explained)}"
            )
        assert count > 0
        assert iam_lint.unexplained(findings) == []


def test_every_parliament_limitation_is_still_needed(parliament_findings):
    findings = [f for _, found in parliament_findings.values() for f in found]
    unused = [k for k in iam_lint.KNOWN_LIMITATIONS if not any(k.covers(f) for f in findings)]
    assert unused == [], "remove limitations that no longer cover a finding"


# The 4-hour HPO variant of dev, scanned in the same run under its own file name.
HPO = "four-hour-hpo"


@pytest.fixture(scope="module")
def checkov_outcomes(synthesized, four_hour_hpo, tmp_path_factory):
    """One checkov run over every template, the HPO variant and the canary, judged by the
    skip file. The run is shared by the pytest-xdist workers (tests/once_per_run.py).
    """
    templates = {name: synth.template_path for name, synth in synthesized.items()}

    def produce(folder):
        canary = folder / f"{CANARY}.template.json"
        canary.write_text(json.dumps(CANARY_TEMPLATE))
        hpo = folder / f"{HPO}.template.json"
        hpo.write_text(four_hour_hpo.template_path.read_text())
        return {"output": checkov_gate.checkov_output([*templates.values(), hpo, canary])}

    try:
        output = once(tmp_path_factory, "checkov", produce)["output"]
    except checkov_gate.CheckovMissingError as missing:
        return missing
    reports = checkov_gate.parse_report(output)
    templates[CANARY] = Path(f"{CANARY}.template.json")
    skips = checkov_gate.load_skips(environments=_settings(synthesized))
    outcomes = {
        name: checkov_gate.apply_skips(reports.get(path.name, checkov_gate.Report()), skips, name)
        for name, path in templates.items()
    }
    # Judged as dev, whose settings it shares but for the AutoML budget.
    hpo = reports.get(f"{HPO}.template.json", checkov_gate.Report())
    outcomes[HPO] = checkov_gate.apply_skips(hpo, skips, "dev")
    return outcomes


def _ran(outcomes) -> dict[str, checkov_gate.Outcome]:
    if isinstance(outcomes, checkov_gate.CheckovMissingError):
        pytest.fail(str(outcomes), pytrace=False)
    return outcomes


def test_checkov_fails_no_check_outside_the_skip_file(checkov_outcomes, capsys):
    outcomes = _ran(checkov_outcomes)
    assert HPO in outcomes
    for name, outcome in outcomes.items():
        if name == CANARY:
            continue
        skipped = Counter(check.check_id for check in outcome.skipped)
        with capsys.disabled():
            print(
                f"\ncheckov {name}: {outcome.passed} passed, {len(outcome.failed)} failed, "
                f"{len(outcome.skipped)} skipped {dict(sorted(skipped.items()))}"
            )
        assert outcome.parsing_errors == []
        assert outcome.passed > 0, f"checkov reported nothing for {name}"
        assert outcome.failed == []


def test_checkov_gate_fails_the_canary(checkov_outcomes):
    canary = _ran(checkov_outcomes)[CANARY]
    assert "CKV_AWS_24" in {check.check_id for check in canary.failed}


def test_every_checkov_skip_is_still_needed(checkov_outcomes, synthesized):
    outcomes = {n: o for n, o in _ran(checkov_outcomes).items() if n not in (CANARY, HPO)}
    skips = checkov_gate.load_skips(environments=_settings(synthesized))
    assert checkov_gate.unused_skips(skips, outcomes) == [], "remove skips that cover nothing"
