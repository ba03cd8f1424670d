"""cdk-nag (AwsSolutions) and cfn-lint over every environment's template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# W3005 (redundant DependsOn) is what CDK's explicit ordering produces.
CFN_LINT_IGNORED = ["W3005"]
CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))


def test_cdk_nag_reports_no_unacknowledged_findings(env):
    assert env.nag_findings == []


def test_cfn_lint_finds_no_errors(synthesized):
    paths = [str(s.template_path) for s in synthesized.values()]
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("cfn-lint")),
            "--ignore-checks",
            *CFN_LINT_IGNORED,
            "--",
            *paths,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
