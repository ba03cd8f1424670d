"""Environments come from the TOML file: a new table synthesizes and every gate covers it."""

from __future__ import annotations

from config import ENVIRONMENTS_FILE, environment_names, load_settings
from tests.conftest import ENVIRONMENTS
from tests.gates import checkov_gate
from tests.synth import synthesize

QA_TABLE = """
[qa]
protected = true
removal_policy = "retain"
tags = { project = "autopilot-studio", environment = "qa" }

[qa.dataset]
source = "bank-marketing-sample"

[qa.automl]
mode = "HYPERPARAMETER_TUNING"
max_candidates = 5
max_runtime_per_training_job_seconds = 600
max_job_runtime_seconds = 1200
"""


def test_the_infra_tests_run_over_the_toml_files_environments(synthesized):
    assert environment_names() == ENVIRONMENTS
    assert tuple(synthesized) == environment_names()


def test_termination_protection_follows_protection(env):
    assert env.termination_protection == env.settings.is_protected
    assert env.termination_protection == (env.settings.name == "prod")


def test_a_new_qa_table_synthesizes_and_passes_the_gates(tmp_path):
    path = tmp_path / "environments.toml"
    path.write_text(ENVIRONMENTS_FILE.read_text() + QA_TABLE)
    assert environment_names(path) == (*environment_names(), "qa")

    settings = load_settings("qa", path)
    qa = synthesize(settings, tmp_path / "cdk.out")
    assert qa.nag_findings == []
    assert qa.termination_protection
    assert qa.template["Resources"]["DataBucket"]["DeletionPolicy"] == "Retain"
    job = qa.only("Custom::AutoMLJob")["Properties"]
    assert (job["Mode"], job["MaxCandidates"]) == ("HYPERPARAMETER_TUNING", "5")
    # The checkov skip file scopes by settings, so qa is judged without edits to it.
    environments = {name: load_settings(name, path) for name in environment_names(path)}
    skips = checkov_gate.load_skips(environments=environments)
    key_skips = [skip for skip in skips if skip.check_id == "CKV_AWS_158"]
    assert [skip.environments for skip in key_skips] == [("dev", "stage", "qa")]


def test_automl_modes_and_max_candidates(env):
    """dev stays fast (ENSEMBLING); unset max_candidates stays out of the request."""
    job = env.only("Custom::AutoMLJob")["Properties"]
    assert job["Mode"] == env.settings.automl.mode
    if env.settings.name == "dev":
        assert job["Mode"] == "ENSEMBLING"
    assert ("MaxCandidates" in job) == (env.settings.automl.max_candidates is not None)
