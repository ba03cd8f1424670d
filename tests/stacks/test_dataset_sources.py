"""Every dataset source synthesizes, passes cdk-nag and reads exactly its own objects;
a bad local file fails synth in one line, before anything is deployed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from config import ENVIRONMENTS_FILE, ConfigError, parse_settings
from tests.fixtures import ROOT
from tests.synth import Synthesized, synthesize_once
from tools.synthetic.bank import bank_rows, comma_csv, sample_zip

TRAIN_URI = "s3://my-team-data/bank/train.csv"
HOLDOUT_URI = "s3://my-team-data/bank/holdout.csv"


def dev_with(dataset: dict) -> dict:
    raw = tomllib.loads(ENVIRONMENTS_FILE.read_text())["dev"]
    if dataset["source"] == "pre-split":
        # Pre-split files are copied as they are, so there is no baseline file to monitor.
        raw = {**raw, "monitor": {**raw.get("monitor", {}), "enabled": False}}
    return {**raw, "dataset": dataset}


SOURCES = {
    "local-file": lambda csv: {"source": "local-file", "path": str(csv)},
    "local-zip": lambda csv: {
        "source": "local-file",
        "path": str(csv.with_suffix(".zip")),
        "archive_member": "bank-additional/bank-additional-full.csv",
    },
    "s3-uri": lambda csv: {"source": "s3-uri", "uri": "s3://my-team-data/bank/full.csv"},
    "url": lambda csv: {"source": "url", "uri": "https://example.com/data/bank.csv"},
    "pre-split": lambda csv: {
        "source": "pre-split",
        "train_uri": TRAIN_URI,
        "holdout_uri": HOLDOUT_URI,
    },
}


def _write_csv_and_zip(folder: Path) -> None:
    csv = folder / "bank.csv"
    csv.write_bytes(comma_csv(bank_rows(1200)))
    csv.with_suffix(".zip").write_bytes(sample_zip(csv.read_bytes()))


@pytest.fixture(scope="session")
def synthesized_sources(tmp_path_factory) -> dict[str, Synthesized]:
    """Each source's template, synthesized once per run (the local files in its folder)."""
    return {
        name: synthesize_once(
            tmp_path_factory,
            f"cdk-source-{name}",
            lambda folder, dataset=dataset: parse_settings(
                "dev", dev_with(dataset(folder / "bank.csv"))
            ),
            prepare=_write_csv_and_zip,
        )
        for name, dataset in SOURCES.items()
    }


def _staging_reads(synth: Synthesized) -> list:
    """Resources of every s3:GetObject statement on the dataset staging role."""
    resources = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if "TrainingDataProviderRole" not in json.dumps(policy["Properties"]["Roles"]):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Action"] == "s3:GetObject":
                resources.append(statement["Resource"])
    return resources


@pytest.mark.parametrize("name", SOURCES)
def test_each_source_synthesizes_with_no_nag_finding(synthesized_sources, name):
    assert synthesized_sources[name].nag_findings == []


@pytest.mark.parametrize("name", ["local-file", "local-zip"])
def test_local_file_is_read_as_exactly_its_asset_object(synthesized_sources, name):
    synth = synthesized_sources[name]
    (resource,) = _staging_reads(synth)
    suffix = ".zip" if name == "local-zip" else ".csv"
    assert re.fullmatch(
        rf"arn:aws:s3:::cdk-hnb659fds-assets-111111111111-us-east-1/[0-9a-f]{{64}}\{suffix}",
        resource,
    ), resource
    props = synth.only("Custom::TrainingDataset")["Properties"]
    assert "cdk-hnb659fds-assets-" in json.dumps(props["SourceUri"])


def test_s3_source_is_read_as_exactly_its_object(synthesized_sources):
    (resource,) = _staging_reads(synthesized_sources["s3-uri"])
    assert resource == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-team-data/bank/full.csv"]]
    }


def test_url_source_needs_no_s3_read(synthesized_sources):
    assert _staging_reads(synthesized_sources["url"]) == []
    props = synthesized_sources["url"].only("Custom::TrainingDataset")["Properties"]
    assert props["SourceUri"] == "https://example.com/data/bank.csv"


def test_pre_split_source_passes_both_objects_and_reads_only_them(synthesized_sources):
    synth = synthesized_sources["pre-split"]
    props = synth.only("Custom::TrainingDataset")["Properties"]
    assert (props["SourceUri"], props["TrainSourceUri"], props["HoldoutSourceUri"]) == (
        "",
        TRAIN_URI,
        HOLDOUT_URI,
    )
    (resource,) = _staging_reads(synth)
    assert sorted(json.dumps(item) for item in resource) == [
        json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{uri[5:]}"]]})
        for uri in (HOLDOUT_URI, TRAIN_URI)
    ]


def test_staging_function_is_sized_from_the_benchmark(synthesized_sources):
    synth = synthesized_sources["url"]
    (function,) = [
        resource
        for resource in synth.resources("AWS::Lambda::Function").values()
        if resource["Properties"].get("Handler") == "dataset_staging.handler.on_event"
    ]
    assert function["Properties"]["MemorySize"] == 1769
    assert function["Properties"]["Timeout"] == 14 * 60
    assert function["Properties"]["EphemeralStorage"] == {"Size": 8192}


# Bad local files fail while the settings load, in one line naming the file.


LOCAL_FILE_ALLOWED = (
    "; allowed: a CSV or .zip file, relative to the project root, that passes the staging checks"
)


def _rejected(tmp_path: Path, data: bytes, **dataset) -> str:
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as raised:
        parse_settings("dev", dev_with({"source": "local-file", "path": str(path), **dataset}))
    (line,) = str(raised.value).splitlines()
    prefix = f"dev.dataset.path = {str(path)!r}: "
    assert line.startswith(prefix) and line.endswith(LOCAL_FILE_ALLOWED), line
    return line.removeprefix(prefix).removesuffix(LOCAL_FILE_ALLOWED)


def test_missing_file_is_a_configuration_error():
    with pytest.raises(ConfigError) as raised:
        parse_settings("dev", dev_with({"source": "local-file", "path": "data/nope.csv"}))
    assert str(raised.value) == (
        f"dev.dataset.path = 'data/nope.csv': does not exist (resolved to {ROOT}/data/nope.csv); "
        "allowed: a CSV or .zip file, relative to the project root, that passes the staging checks"
    )


def test_directory_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError) as raised:
        parse_settings("dev", dev_with({"source": "local-file", "path": str(tmp_path)}))
    assert f"dev.dataset.path = {str(tmp_path)!r}: is a directory" in str(raised.value)


def test_unreadable_file_is_a_configuration_error(tmp_path, monkeypatch):
    path = tmp_path / "secret.csv"
    path.write_bytes(comma_csv(bank_rows(600)))

    def denied(name):
        raise PermissionError(13, "Permission denied", str(name))

    monkeypatch.setattr(os.path, "getsize", denied)
    with pytest.raises(ConfigError) as raised:
        parse_settings("dev", dev_with({"source": "local-file", "path": str(path)}))
    assert str(raised.value) == (
        f"dev.dataset.path = {str(path)!r}: cannot read the file: Permission denied"
        + LOCAL_FILE_ALLOWED
    )


@pytest.mark.parametrize(
    ("data", "dataset", "message"),
    [
        (
            comma_csv(bank_rows(600)),
            {"target_attribute": "Y"},
            "target column 'Y' (dataset.target_attribute) not found; columns "
            "are: age, job, marital, education, default, housing, loan, contact, month, "
            "day_of_week, duration, campaign, pdays, previous, poutcome, emp.var.rate, "
            "cons.price.idx, cons.conf.idx, euribor3m, nr.employed, y; did you mean 'y'? "
            "(names are case-sensitive)",
        ),
        (
            comma_csv(bank_rows(600, yes_rate=0)),
            {},
            "target column 'y' (dataset.target_attribute) has a single class "
            "'no' in all 600 data rows; Autopilot needs at least 2 distinct target values",
        ),
        (
            comma_csv(bank_rows(520)),
            {},
            "only 494 training rows after holding out 26 of 520 data rows; "
            "Autopilot needs at least 500 (dataset.min_training_rows): add rows or lower "
            "dataset.holdout_fraction",
        ),
        (
            b"age,job,y\n30,t\xe9cnico,no\n",
            {},
            "the file is not UTF-8 text: byte 0xe9 at byte offset 14 (line 2) "
            "is invalid; save the file with UTF-8 encoding",
        ),
        (
            b"a,b,y\n1,2,no\n3,4\n",
            {},
            "line 3 has 2 fields but the header has 3; every row needs one "
            "value per column, separated by commas (check for a missing value, a stray "
            "delimiter or an unquoted delimiter inside a value)",
        ),
        (
            comma_csv(bank_rows(600)),
            {"archive_member": "bank.csv"},
            "dataset.archive_member 'bank.csv' is set but the file is not a "
            "zip archive; leave dataset.archive_member empty for a plain CSV",
        ),
    ],
    ids=["target", "one-class", "too-few-rows", "encoding", "ragged-line", "member-on-csv"],
)
def test_bad_local_file_fails_in_one_line(tmp_path, data, dataset, message):
    assert _rejected(tmp_path, data, **dataset) == message


def test_app_exits_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bank.csv"
    bad.write_bytes(comma_csv(bank_rows(600, yes_rate=0)))
    toml = tmp_path / "environments.toml"
    toml.write_text(
        textwrap.dedent(
            f"""
            [dev]
            removal_policy = "destroy"
            [dev.dataset]
            source = "local-file"
            path = "{bad}"
            """
        )
    )
    context = {
        **json.loads((ROOT / "cdk.json").read_text())["context"],
        "environments_file": str(toml),
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Configuration error: dev.dataset.path = {str(bad)!r}: ")
    assert len(result.stderr.splitlines()) == 1
    assert "has a single class 'no' in all 600 data rows" in result.stderr


def test_each_source_passes_cfn_lint_and_parliament(synthesized_sources):
    from tests.gates import iam_lint
    from tests.gates.test_policy_gates import cfn_lint

    result = cfn_lint(*(synth.template_path for synth in synthesized_sources.values()))
    assert result.returncode == 0, result.stdout + result.stderr
    for synth in synthesized_sources.values():
        findings = [
            finding
            for policy in iam_lint.identity_policies(synth.template)
            for finding in iam_lint.lint(policy)
        ]
        assert iam_lint.unexplained(findings) == []
