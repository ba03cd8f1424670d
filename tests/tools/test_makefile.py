"""The Makefile's user-facing promises, checked by running make (dry runs or recording fakes)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT


def executable(path: Path, script: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def make(*args: str, cwd: Path = ROOT, path_prefix: Path | None = None):
    if not shutil.which("make"):
        pytest.fail("make is required")
    env = dict(os.environ)
    if path_prefix:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_lists_the_environments_from_the_toml():
    done = make("help")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == (
        "environments (config/environments.toml): dev stage prod"
    )


@pytest.mark.parametrize("goal", ["synth", "deploy", "diff", "destroy", "bootstrap"])
def test_cdk_targets_install_only_the_runtime(goal, tmp_path):
    uv = executable(tmp_path / "uv", "")
    done = make("-n", "-B", goal, f"UV={uv}")
    assert done.returncode == 0, done.stderr
    commands = done.stdout.splitlines()
    assert f"{uv} sync --frozen --quiet --inexact --no-default-groups --group aws" in commands
    assert f"{uv} sync --frozen --quiet" not in commands
    assert "npm ci --no-audit --no-fund --loglevel=error" in commands
    assert not any("checkov" in line for line in commands)


def test_test_installs_everything(tmp_path):
    uv = executable(tmp_path / "uv", "")
    commands = make("-n", "-B", "test", f"UV={uv}").stdout.splitlines()
    assert f"{uv} sync --frozen --quiet" in commands
    assert commands[-1] == f"{uv} run --frozen pytest"


@pytest.mark.parametrize("goal", ["evaluate", "monitor", "invoke", "studio", "leaderboard"])
def test_args_reach_the_command(goal, tmp_path):
    uv = executable(tmp_path / "uv", "")
    done = make("-n", goal, "ENV=stage", "ARGS=--profile ml --region eu-west-1", f"UV={uv}")
    command = [line for line in done.stdout.splitlines() if "python -m cli" in line]
    subcommand = "" if goal == "evaluate" else f" {goal}"
    assert len(command) == 1
    assert command[0].endswith(
        f"python -m cli{subcommand} --env stage --profile ml --region eu-west-1"
    )
    # Test and lint tools stay out: only the evaluate group, or boto3 alone.
    assert "--no-default-groups --group evaluate" in command[0] or "--only-group aws" in command[0]


def test_clean_keeps_reports_and_clean_reports_removes_them(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "environments.toml", tmp_path / "config")
    for folder in ("reports/dev", "cdk.out", "bench-results"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "reports" / "dev" / "report.json").write_text("{}")
    assert make("clean", cwd=tmp_path).returncode == 0
    assert (tmp_path / "reports" / "dev" / "report.json").exists()
    assert not (tmp_path / "cdk.out").exists()
    assert make("clean-reports", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "reports").exists()


def test_an_old_python_is_one_line_before_anything_runs(tmp_path):
    executable(
        tmp_path / "python3",
        'if [ "$1" = -c ]; then echo False; else echo "Python 3.10.12"; fi\n',
    )
    done = make("deploy", path_prefix=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(r"Makefile:\d+: \*\*\* (.*)  Stop\.", line).group(1) == (
        'python3 is "Python 3.10.12"; this project needs Python 3.11 or newer first on PATH '
        "as python3 (python.org, pyenv or your package manager)."
    )


def test_help_works_on_an_old_python(tmp_path):
    executable(tmp_path / "python3", "echo False\n")
    assert make("help", path_prefix=tmp_path).returncode == 0


def test_ci_runs_exactly_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert script[-1] == "make test"
    assert "make test          # installs everything" in (ROOT / "README.md").read_text()
    assert sys.executable  # the suite itself runs under the project's Python


def test_tools_and_production_code_never_import_tests():
    """Arrows point one way: tests import the code and the tools, never the reverse."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("app.py", "config", "components", "stacks", "runtime", "cli", "tools")
        for path in ([ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.strip().startswith(("from tests", "import tests"))
        or ("sys.path" in line and '"tests"' in line)
    ]
    assert offenders == []
