"""The studio, invoke and leaderboard commands against Stubber, and their one-line errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cli import evaluate, invoke, studio
from tests.cli.fakes import (
    BUCKET,
    ENDPOINT,
    EVALUATE_OUTPUTS,
    HOLDOUT_KEY,
    REGION,
    expect_endpoint_in_service,
    stubbed_stack,
)

DOMAIN = "d-abcdefghijkl"
JOB = "apstudio-dev-3f2a9c1b7e"
URL = f"https://{DOMAIN}.studio.{REGION}.sagemaker.aws/auth?token=signed"
STUDIO_OUTPUTS = {"StudioDomainId": DOMAIN, "StudioUserProfileName": "default-user"}
HOLDOUT = 'age,job,duration,y\n41,admin.,812,yes\n29,"services, part-time",95,no\n'


def stubbed(service):
    stubber = Stubber(boto3.client(service, region_name=REGION))
    stubber.activate()
    return stubber


def clients(cloudformation, **stubbers):
    def client(name):
        return stubbers[name].client if name in stubbers else None

    return evaluate.Clients(
        cloudformation=cloudformation.client,
        s3=client("s3"),
        sagemaker=client("sagemaker"),
        runtime=client("runtime"),
        region=REGION,
        profile=stubbers.get("profile"),
    )


def run(argv, fake_clients):
    out, err = io.StringIO(), io.StringIO()
    code = evaluate.main(argv, fake_clients, out, err)
    return code, out.getvalue(), err.getvalue()


# --- studio -----------------------------------------------------------------------------


def studio_stub(user="default-user"):
    sagemaker = stubbed("sagemaker")
    sagemaker.add_response(
        "create_presigned_domain_url",
        {"AuthorizedUrl": URL},
        {
            "DomainId": DOMAIN,
            "UserProfileName": user,
            "SessionExpirationDurationInSeconds": 43200,
            "ExpiresInSeconds": 300,
        },
    )
    return sagemaker


def test_studio_prints_the_presigned_url_without_a_browser(monkeypatch):
    for key in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(studio.sys, "platform", "linux")
    opened = []
    monkeypatch.setattr(studio, "_open", lambda url: opened.append(url) or True)
    sagemaker = studio_stub()
    code, out, err = run(["studio"], clients(stubbed_stack(STUDIO_OUTPUTS), sagemaker=sagemaker))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"Studio for default-user in domain {DOMAIN} ({REGION}); the link works once, "
        "within 5 minutes:",
        URL,
    ]
    assert opened == []
    sagemaker.assert_no_pending_responses()


def test_studio_opens_the_browser_on_a_desktop(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    opened = []
    monkeypatch.setattr(studio, "_open", lambda url: opened.append(url) or True)
    sagemaker = studio_stub(user="analyst")
    argv = ["studio", "--user-profile", "analyst"]
    code, _, err = run(argv, clients(stubbed_stack(STUDIO_OUTPUTS), sagemaker=sagemaker))
    assert code == 0
    assert opened == [URL]
    assert err == "opened in your browser\n"


def test_studio_no_browser_flag(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(studio, "_open", lambda url: pytest.fail("opened a browser"))
    sagemaker = studio_stub()
    code, _, _ = run(
        ["studio", "--no-browser"], clients(stubbed_stack(STUDIO_OUTPUTS), sagemaker=sagemaker)
    )
    assert code == 0


def test_studio_missing_outputs_is_one_line():
    code, out, err = run(["studio"], clients(stubbed_stack({"EndpointName": ENDPOINT})))
    assert (code, out) == (1, "")
    assert err == (
        "error: stack AutopilotStudio-dev (CREATE_COMPLETE) is missing outputs: StudioDomainId, "
        "StudioUserProfileName. Is it fully deployed from this version?\n"
    )


# --- invoke -----------------------------------------------------------------------------


def holdout_stub():
    s3 = stubbed("s3")
    body = HOLDOUT.encode()
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)},
        {"Bucket": BUCKET, "Key": HOLDOUT_KEY},
    )
    return s3


def endpoint_stub():
    sagemaker = stubbed("sagemaker")
    expect_endpoint_in_service(sagemaker)
    return sagemaker


def runtime_stub(body, answer):
    runtime = stubbed("sagemaker-runtime")
    runtime.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(answer), len(answer)), "ContentType": "text/csv"},
        {"EndpointName": ENDPOINT, "Body": body, "ContentType": "text/csv", "Accept": "text/csv"},
    )
    return runtime


@pytest.mark.parametrize(
    ("row", "body", "truth"),
    [(1, b"41,admin.,812\n", "'yes'"), (2, b'29,"services, part-time",95\n', "'no'")],
)
def test_invoke_sends_one_csv_row_without_the_target(tmp_path, row, body, truth):
    runtime = runtime_stub(body, b"yes,0.8123\n")
    fake = clients(
        stubbed_stack(EVALUATE_OUTPUTS),
        s3=holdout_stub(),
        sagemaker=endpoint_stub(),
        runtime=runtime,
        profile="ml-dev",
    )
    argv = ["invoke", "--row", str(row), "--out", str(tmp_path)]
    code, out, err = run(argv, fake)
    assert (code, err) == (0, "")
    runtime.assert_no_pending_responses()
    request = tmp_path / "invoke-request.csv"
    assert request.read_bytes() == body
    assert out.splitlines() == [
        f"endpoint {ENDPOINT}, held-out row {row} of 2 (y removed; true value {truth})",
        f"request  (text/csv): {body.decode().strip()}",
        "response (text/csv): yes,0.8123",
        "prediction: predicted_label=yes, probability=0.8123",
        "",
        "The same request with the AWS CLI (v2):",
        f"aws sagemaker-runtime invoke-endpoint --profile ml-dev --region {REGION} "
        f"--endpoint-name {ENDPOINT} --content-type text/csv --accept text/csv "
        f"--body fileb://{request} {tmp_path / 'invoke-response.csv'} "
        f"&& cat {tmp_path / 'invoke-response.csv'}",
    ]


def test_invoke_row_out_of_range(tmp_path):
    fake = clients(stubbed_stack(EVALUATE_OUTPUTS), s3=holdout_stub(), sagemaker=endpoint_stub())
    code, _, err = run(["invoke", "--row", "3", "--out", str(tmp_path)], fake)
    assert (code, err) == (1, "error: --row 3: the held-out data has 2 rows\n")


def test_invoke_command_quotes_paths_for_the_shell():
    command = invoke.cli_command(ENDPOINT, Path("my reports/req.csv"), Path("r.csv"), None, None)
    assert "--body 'fileb://my reports/req.csv'" in command
    assert "--region" not in command


# --- leaderboard ------------------------------------------------------------------------


def candidate(name, value, status="Completed", metric_type="Maximize"):
    item = {
        "CandidateName": name,
        "ObjectiveStatus": "Succeeded" if value is not None else "Failed",
        "CandidateSteps": [],
        "CandidateStatus": status,
        "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
        "LastModifiedTime": datetime(2025, 1, 1, tzinfo=UTC),
    }
    if value is not None:
        item["FinalAutoMLJobObjectiveMetric"] = {
            "Type": metric_type,
            "MetricName": "F1",
            "Value": value,
        }
    return item


def job_description(best, artifacts=True):
    job = {
        "AutoMLJobName": JOB,
        "AutoMLJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:automl-job/{JOB}",
        "AutoMLJobInputDataConfig": [
            {"ChannelType": "training", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/datasets/v1/train/"}}}
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/automl-output/{JOB}"},
        "RoleArn": "arn:aws:iam::123456789012:role/execution",
        "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
        "LastModifiedTime": datetime(2025, 1, 1, tzinfo=UTC),
        "AutoMLJobStatus": "Completed",
        "AutoMLJobSecondaryStatus": "Completed",
        "BestCandidate": {
            **candidate(best, 0.61),
            "CandidateProperties": {
                "CandidateArtifactLocations": {
                    "Explainability": f"s3://{BUCKET}/automl-output/{JOB}/documentation/"
                    "explainability/output",
                    "ModelInsights": f"s3://{BUCKET}/automl-output/{JOB}/documentation/"
                    "model_monitor/output",
                }
            },
        },
    }  # fmt: skip
    if artifacts:
        job["AutoMLJobArtifacts"] = {
            "DataExplorationNotebookLocation": f"s3://{BUCKET}/automl-output/{JOB}/"
            "sagemaker-automl-candidates/notebooks/SageMakerAutopilotDataExplorationNotebook.ipynb"
        }
    return job


def leaderboard_stub(pages, metric_type="Maximize"):
    sagemaker = stubbed("sagemaker")
    sagemaker.add_response(
        "describe_auto_ml_job_v2", job_description("c-best"), {"AutoMLJobName": JOB}
    )
    for index, page in enumerate(pages):
        expected = {"AutoMLJobName": JOB, "MaxResults": 100}
        if index:
            expected["NextToken"] = f"page-{index}"
        response = {"Candidates": [candidate(*c, metric_type=metric_type) for c in page]}
        if index + 1 < len(pages):
            response["NextToken"] = f"page-{index + 1}"
        sagemaker.add_response("list_candidates_for_auto_ml_job", response, expected)
    return sagemaker


def test_leaderboard_ranks_every_page_by_the_objective_and_names_the_reports():
    pages = [
        [("c-mid", 0.55), ("c-failed", None, "Failed")],
        [("c-best", 0.61), ("c-low", 0.40)],
    ]
    sagemaker = leaderboard_stub(pages)
    fake = clients(stubbed_stack({"AutoMLJobName": JOB}), sagemaker=sagemaker)
    code, out, err = run(["leaderboard"], fake)
    assert (code, err) == (0, "")
    sagemaker.assert_no_pending_responses()
    lines = out.splitlines()
    assert lines[:7] == [
        f"AutoML job {JOB} (Completed, Completed)",
        "4 candidates ranked by F1 (higher is better):",
        "  #  candidate  F1      status",
        "  1  c-best     0.6100  Completed  best (deployed)",
        "  2  c-mid      0.5500  Completed",
        "  3  c-low      0.4000  Completed",
        "  4  c-failed   -       Failed",
    ]
    reports = "\n".join(lines[7:])
    assert (
        f"explainability (best candidate)  s3://{BUCKET}/automl-output/{JOB}/documentation/explainability/output"
        in reports
    )
    assert "SageMakerAutopilotDataExplorationNotebook.ipynb" in reports
    assert "candidate definition notebook    not produced by this job" in reports


def test_leaderboard_lower_is_better_for_minimized_objectives():
    sagemaker = leaderboard_stub([[("c-a", 0.9), ("c-b", 0.2)]], metric_type="Minimize")
    code, out, _ = run(
        ["leaderboard", "--job-name", JOB], clients(stubbed("cloudformation"), sagemaker=sagemaker)
    )
    assert code == 0
    assert "(lower is better)" in out
    assert out.index("c-b") < out.index("c-a")


# --- one-line failures shared by every command ------------------------------------------


@pytest.mark.parametrize("command", ["studio", "invoke", "leaderboard"])
def test_missing_stack_is_one_line(command):
    error = "Stack with id AutopilotStudio-dev does not exist"
    code, out, err = run([command], clients(stubbed_stack({}, error=error)))
    assert (code, out) == (1, "")
    assert err == (
        f"error: stack AutopilotStudio-dev is not deployed in {REGION}. Deploy it first "
        "(make deploy ENV=<env>), or pass --stack-name / --region.\n"
    )


@pytest.mark.parametrize("command", ["studio", "invoke", "leaderboard", "monitor"])
def test_missing_credentials_is_one_line(no_aws_config, command):
    code, out, err = run([command], None)
    assert (code, out) == (1, "")
    assert err == (
        "error: no AWS credentials found: run `aws configure` (access keys), or `aws sso login "
        "--profile NAME` and set AWS_PROFILE=NAME\n"
    )


@pytest.mark.parametrize("command", ["studio", "invoke", "leaderboard", "monitor"])
def test_missing_region_is_one_line(no_aws_config, monkeypatch, command):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    code, out, err = run([command], None)
    assert (code, out) == (1, "")
    assert err == (
        "error: no AWS region configured: set AWS_REGION=REGION, or give your profile one "
        "with `aws configure set region REGION`\n"
    )


def test_unknown_profile_is_one_line(no_aws_config):
    code, _, err = run(["studio", "--profile", "nope"], None)
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("error: AWS profile 'nope' is not in your AWS config files")
    assert "aws configure sso --profile nope" in err


# --- region and profile resolution, as the AWS CLI does it ------------------------------


def write_profile(config_dir, name, region):
    (config_dir / "config").write_text(f"[profile {name}]\nregion = {region}\n")
    (config_dir / "credentials").write_text(
        f"[{name}]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n"
    )


def test_aws_region_wins_over_the_default_region_and_the_profile(no_aws_config, monkeypatch):
    write_profile(no_aws_config, "ml", "eu-central-1")
    monkeypatch.setenv("AWS_PROFILE", "ml")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    made = evaluate.make_clients()
    assert (made.region, made.profile) == ("eu-west-1", "ml")
    assert made.sagemaker.meta.region_name == "eu-west-1"


def test_profile_region_applies_when_no_variable_is_set(no_aws_config, monkeypatch):
    write_profile(no_aws_config, "ml", "eu-central-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    made = evaluate.make_clients(profile="ml")
    assert made.region == "eu-central-1"
    assert made.s3.meta.region_name == "eu-central-1"


def test_region_argument_wins_over_everything(no_aws_config):
    write_profile(no_aws_config, "ml", "eu-central-1")
    made = evaluate.make_clients(region="ap-south-1", profile="ml")
    assert made.region == "ap-south-1"


@pytest.mark.parametrize("command", ["studio", "invoke", "leaderboard", "monitor"])
def test_help_lists_profile_and_region(command, capsys):
    with pytest.raises(SystemExit):
        evaluate.main([command, "--help"])
    usage = capsys.readouterr().out
    assert f"usage: python -m cli {command}" in usage
    assert "--profile" in usage and "--region" in usage
