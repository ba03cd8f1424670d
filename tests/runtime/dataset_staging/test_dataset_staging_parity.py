"""Synth and deploy check a dataset with one implementation, and say the same thing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from config import ENVIRONMENTS_FILE, ConfigError, parse_settings
from config.local_dataset import staging_validation
from dataset_staging import handler, validation
from dataset_staging.errors import DatasetError
from tools.synthetic.bank import bank_rows, comma_csv

BUCKET = "sagemaker-project-data"


def bad_files() -> dict[str, bytes]:
    good = comma_csv(bank_rows(600))
    return {
        "one-class": comma_csv(bank_rows(600, yes_rate=0)),
        "too-few-rows": comma_csv(bank_rows(520)),
        "ragged-line": good + b"1,2,3\n",
        "unbalanced-quote": good + b'"1,no\n2,yes\n',
        "tab-separated": good.replace(b",", b"\t"),
        "not-utf8": good.replace(b"married", b"mari\xe9", 1),
        "header-only": good.split(b"\n", 1)[0] + b"\n",
    }


def synth_message(path, **dataset) -> str:
    raw = tomllib.loads(ENVIRONMENTS_FILE.read_text())["dev"]
    settings = {"source": "local-file", "path": str(path), **dataset}
    with pytest.raises(ConfigError) as raised:
        parse_settings("dev", {**raw, "dataset": settings})
    (line,) = str(raised.value).splitlines()
    problem = line.removeprefix(f"dev.dataset.path = {str(path)!r}: ")
    return problem.split("; allowed: a CSV or .zip file", 1)[0]


def deploy_message(s3, data: bytes, **props) -> str:
    s3.put_object(Bucket=BUCKET, Key="uploads/data.csv", Body=data)
    event = {
        "RequestType": "Create",
        "ResourceProperties": {
            "Bucket": BUCKET,
            "Prefix": "datasets",
            "SourceUri": f"s3://{BUCKET}/uploads/data.csv",
            "TargetAttribute": "y",
            "HoldoutFraction": "0.05",
            "Seed": "42",
            "MinTrainingRows": "500",
            **props,
        },
    }
    with pytest.raises(DatasetError) as raised:
        handler.on_event(event, None)
    return str(raised.value).replace(f"s3://{BUCKET}/uploads/data.csv", "the file")


def test_synth_imports_the_staging_functions_own_validator():
    # Synth imports the package as runtime.dataset_staging, the Lambda as dataset_staging.
    assert Path(staging_validation().__file__) == Path(validation.__file__)
    assert handler.validate is validation.validate


@pytest.mark.parametrize("name", list(bad_files()))
def test_synth_and_deploy_give_the_same_message(name, tmp_path, moto_clients):
    s3 = moto_clients("s3")
    s3.create_bucket(Bucket=BUCKET)
    data = bad_files()[name]
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    assert synth_message(path) == deploy_message(s3, data)


def test_wrong_target_gives_the_same_message(tmp_path, moto_clients):
    s3 = moto_clients("s3")
    s3.create_bucket(Bucket=BUCKET)
    data = comma_csv(bank_rows(600))
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    message = synth_message(path, target_attribute="Y")
    assert message.startswith("target column 'Y' (dataset.target_attribute) not found")
    assert message == deploy_message(s3, data, TargetAttribute="Y")


def test_both_paths_run_validate(tmp_path, moto_clients, monkeypatch):
    calls = []
    real = validation.validate

    def spy(chunks, label, **kwargs):
        calls.append(label)
        return real(chunks, label, **kwargs)

    monkeypatch.setattr(staging_validation(), "validate", spy)
    monkeypatch.setattr(handler, "validate", spy)
    s3 = moto_clients("s3")
    s3.create_bucket(Bucket=BUCKET)
    data = comma_csv(bank_rows(600, yes_rate=0))
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    synth_message(path)
    deploy_message(s3, data)
    assert calls == [str(path), f"s3://{BUCKET}/uploads/data.csv"]
