"""`make batch-predict` end to end: moto's S3, a stubbed SageMaker and a fake transform."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import botocore.session
import pytest

from cli import batch_predict, evaluate, report
from tests.cli.batch_fakes import (
    BASE,
    BUCKET,
    CAPTURE_URI,
    INFERENCE_ID,
    INFERENCE_TIME,
    JOB,
    KEY_ARN,
    MODEL,
    NOW,
    batch_objects,
    clients,
    expected_request,
    fake_transform,
    job_description,
    outputs,
    sagemaker_stub,
    world,
)
from tests.cli.fakes import stubbed_stack

# The training columns reordered, the target among them, a quoted comma in one value.
LABELLED = (
    "duration,y,job,age\n"
    "900,yes,admin.,41\n"
    '100,no,"services, part-time",29\n'
    "700,no,technician,35\n"
    "300,yes,retired,60\n"
    "950,yes,management,52\n"
)
# What the model must receive: training order (age, job, duration), no header, no target.
FEATURES_SENT = (
    "41,admin.,900\n"
    '29,"services, part-time",100\n'
    "35,technician,700\n"
    "60,retired,300\n"
    "52,management,950\n"
)
COMPLETED = (
    job_description("InProgress", started=False),
    job_description("InProgress"),
    job_description("Completed"),
)


@pytest.fixture
def s3(monkeypatch):
    from moto import mock_aws

    monkeypatch.setattr(batch_predict, "_utc_now", lambda: NOW)
    with mock_aws():
        yield world()


def run(argv, fake_clients):
    out, err = io.StringIO(), io.StringIO()
    code = evaluate.main(["batch-predict", "--interval", "0", *argv], fake_clients, out, err)
    return code, out.getvalue(), err.getvalue()


def happy(s3, tmp_path, *, capture=False, key=False, text=LABELLED, argv=()):
    """A completed job on ``text``; returns (code, out, err, stubber, output path)."""
    source = tmp_path / "calls.csv"
    source.write_text(text)
    destination = tmp_path / "scored.csv"
    sagemaker = sagemaker_stub(
        request=expected_request(capture=capture, key=key), statuses=COMPLETED
    )
    sagemaker.client.meta.events.register(
        "after-call.sagemaker.CreateTransformJob", fake_transform(s3, with_ids=capture)
    )
    fake = clients(stubbed_stack(outputs(capture=capture, key=key)), s3, sagemaker)
    code, out, err = run(["--input", str(source), "--output", str(destination), *argv], fake)
    return code, out, err, sagemaker, destination


def test_local_csv_is_scored_joined_and_its_metrics_printed(s3, tmp_path):
    code, out, err, sagemaker, destination = happy(s3, tmp_path)

    assert code == 0, err
    sagemaker.assert_no_pending_responses()
    uploaded = batch_objects(s3)
    assert uploaded[f"{BASE}/input/calls.csv"].decode() == FEATURES_SENT
    assert destination.read_text().splitlines() == [
        "duration,y,job,age,predicted_label,probability",
        "900,yes,admin.,41,yes,0.9000",
        '100,no,"services, part-time",29,no,0.9000',
        "700,no,technician,35,yes,0.7000",
        "300,yes,retired,60,no,0.7000",
        "950,yes,management,52,yes,0.9500",
    ]
    # By hand: TP 900 and 950, FN 300, FP 700, TN 100; P(yes) ranks 5 of 6 pairs right.
    metrics_block = report.format_metrics(
        {
            "confusion_matrix": {"tp": 2, "fp": 1, "tn": 1, "fn": 1},
            "metrics": {
                "accuracy": 0.6,
                "precision": 2 / 3,
                "recall": 2 / 3,
                "f1": 2 / 3,
                "specificity": 0.5,
                "roc_auc": 5 / 6,
            },
            "positive_class": "yes",
            "negative_class": "no",
            "auc_source": "probability of the predicted label",
        }
    )
    assert out == "\n".join(
        [
            f"transform job {JOB} Completed: 5 rows on 1 x ml.m5.large, 0:02:30 billed per "
            "instance",
            f"input    s3://{BUCKET}/{BASE}/input/calls.csv (features in training order, "
            "no header)",
            f"output   s3://{BUCKET}/{BASE}/output/calls.csv.out",
            f"wrote {destination} (your columns + predicted_label, probability)",
            "",
            "5 rows with their true value:",
            metrics_block,
            "",
        ]
    )
    assert f"uploaded 5 rows to s3://{BUCKET}/{BASE}/input/calls.csv" in err
    assert "InProgress (starting instances)" in err
    assert "InProgress (running on 1 x ml.m5.large)" in err
    assert f"transform job {JOB} Completed, elapsed 0:06:30" in err


def test_s3_input_without_target_goes_to_an_s3_output(s3, tmp_path):
    s3.create_bucket(Bucket="team-data")
    text = "age,job,duration\n41,admin.,900\n29,services,100\n"
    s3.put_object(Bucket="team-data", Key="incoming/march.csv", Body=text.encode())
    sagemaker = sagemaker_stub(request=expected_request(), statuses=COMPLETED)
    sagemaker.client.meta.events.register(
        "after-call.sagemaker.CreateTransformJob", fake_transform(s3)
    )
    fake = clients(stubbed_stack(outputs()), s3, sagemaker)

    argv = ["--input", "s3://team-data/incoming/march.csv", "--output", f"s3://{BUCKET}/scored/"]
    code, out, err = run(argv, fake)

    assert code == 0, err
    sagemaker.assert_no_pending_responses()
    objects = batch_objects(s3)
    assert objects[f"{BASE}/input/march.csv"] == b"41,admin.,900\n29,services,100\n"
    joined = s3.get_object(Bucket=BUCKET, Key=f"scored/batch-{JOB}.csv")["Body"].read()
    assert joined.decode().splitlines() == [
        "age,job,duration,predicted_label,probability",
        "41,admin.,900,yes,0.9000",
        "29,services,100,no,0.9000",
    ]
    assert "rows with their true value" not in out
    assert out.splitlines()[-1] == (
        f"wrote s3://{BUCKET}/scored/batch-{JOB}.csv (your columns + predicted_label, probability)"
    )


@pytest.mark.parametrize(
    ("status", "reason", "shown"),
    [
        (
            "Failed",
            "ClientError: See job logs for more information.\n  Model container failed",
            "failed: ClientError: See job logs for more information. Model container failed",
        ),
        ("Stopped", None, "stopped: no reason given"),
    ],
)
def test_a_job_that_does_not_complete_is_one_line_with_its_reason(
    s3, tmp_path, status, reason, shown
):
    source = tmp_path / "calls.csv"
    source.write_text(LABELLED)
    ended = job_description(status, reason=reason)
    sagemaker = sagemaker_stub(request=expected_request(), statuses=(COMPLETED[0], ended))
    fake = clients(stubbed_stack(outputs()), s3, sagemaker)
    destination = tmp_path / "scored.csv"

    code, out, err = run(["--input", str(source), "--output", str(destination)], fake)

    assert (code, out) == (1, "")
    sagemaker.assert_no_pending_responses()
    assert err.splitlines()[-1] == (
        f"error: transform job {JOB} {shown} (logs: CloudWatch /aws/sagemaker/TransformJobs, "
        f"streams {JOB}/*)"
    )
    assert err.count("error") == 1
    assert not destination.exists()


def test_interrupt_stops_the_job(s3, tmp_path, monkeypatch):
    source = tmp_path / "calls.csv"
    source.write_text(LABELLED)
    sagemaker = sagemaker_stub(request=expected_request(), statuses=(COMPLETED[0],))
    sagemaker.add_response("stop_transform_job", {}, {"TransformJobName": JOB})

    def ctrl_c(_seconds):
        raise KeyboardInterrupt

    # Only this module's view of `time`: Ctrl-C arrives while it waits between polls.
    monkeypatch.setattr(batch_predict, "time", SimpleNamespace(sleep=ctrl_c))
    fake = clients(stubbed_stack(outputs()), s3, sagemaker)

    code, _, err = run(["--input", str(source)], fake)

    assert code == 1, err
    sagemaker.assert_no_pending_responses()
    assert err.splitlines()[-1].startswith(
        f"error: interrupted: asked SageMaker to stop transform job {JOB}; it bills until"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "age,job,y\n41,admin.,yes\n",
            ": columns do not match the training data (missing duration); the header needs "
            "exactly these, in any order, plus y if you have it: age, job, duration",
            id="missing-column",
        ),
        pytest.param(
            "age,job,duration,campaign\n41,admin.,900,2\n",
            ": columns do not match the training data (unknown campaign); the header needs "
            "exactly these, in any order, plus y if you have it: age, job, duration",
            id="unknown-column",
        ),
        pytest.param(
            "41,admin.,900\n29,services,100\n",
            " has no header row (its first line reads '41,admin.,900'); add this line first: "
            "age,job,duration",
            id="no-header",
        ),
        pytest.param("", " is empty: it needs a header and at least one row", id="empty"),
        pytest.param("\n\n", " is empty: it needs a header and at least one row", id="blank"),
        pytest.param("age,job,duration\n", " has a header but no rows", id="header-only"),
        pytest.param(
            "age\tjob\tduration\n41\tadmin.\t900\n",
            " is not comma-separated (its header is one field, 'age\\tjob\\tduration'): save "
            "it as CSV with commas",
            id="tab-separated",
        ),
        pytest.param(
            "age,job,job\n41,admin.,x\n",
            ": column job appears more than once",
            id="repeated-column",
        ),
        pytest.param(
            "age,job,duration\n41,admin.,900\n29,services\n",
            " line 3 has 2 fields but the header has 3",
            id="short-row",
        ),
        pytest.param(
            'age,job,duration\n41,"admin.\nsenior",900\n',
            " line 3 has a value with a line break inside quotes: batch transform splits "
            "records at line breaks; remove it",
            id="line-break-in-value",
        ),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00",
            " is not a UTF-8 text file near line 1: export it as CSV (UTF-8)",
            id="spreadsheet",
        ),
        pytest.param(
            b"age,job,duration\n41,ad\x00min,900\n",
            " line 2 holds a NUL byte: it is binary, not CSV; export it as CSV",
            id="nul-byte",
        ),
    ],
)
def test_bad_input_is_one_line_and_starts_nothing(s3, tmp_path, text, message):
    source = tmp_path / "calls.csv"
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        source.write_text(text)
    # DescribeModel only: CreateTransformJob is not stubbed, so calling it fails the test.
    sagemaker = sagemaker_stub()
    fake = clients(stubbed_stack(outputs()), s3, sagemaker)

    code, out, err = run(["--input", str(source)], fake)

    assert (code, out) == (1, "")
    assert err == f"error: {source}{message}\n"
    sagemaker.assert_no_pending_responses()
    assert batch_objects(s3) == {}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param([], "no input: make batch-predict ENV=<env> INPUT=<local CSV or s3:// URI>"),
        pytest.param(
            ["--input", "nowhere.csv"],
            "INPUT nowhere.csv does not exist: give a CSV file or an s3:// URI",
        ),
        pytest.param(
            ["--input", f"s3://{BUCKET}/incoming/none.csv"],
            f"INPUT s3://{BUCKET}/incoming/none.csv not found (404)",
        ),
        pytest.param(
            ["--input", f"s3://{BUCKET}/incoming/"],
            f"INPUT s3://{BUCKET}/incoming/ is a prefix: give one CSV object",
        ),
        pytest.param(
            ["--input", "calls.csv", "--instance-type", "ml.m5.larg"],
            "--instance-type 'ml.m5.larg': not a SageMaker batch transform instance type; "
            "did you mean 'ml.m5.large'? the default is ml.m5.large",
        ),
    ],
)
def test_missing_input_or_bad_options_are_one_line(s3, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calls.csv").write_text(LABELLED)
    sagemaker = sagemaker_stub()
    fake = clients(stubbed_stack(outputs()), s3, sagemaker)
    # The model check runs after the option checks: leave its stub unused where they fail.
    code, out, err = run(argv, fake)
    assert (code, out, err) == (1, "", f"error: {message}\n")
    assert batch_objects(s3) == {}


def test_instance_store_is_refused_where_the_key_encrypts_volumes(s3, tmp_path):
    source = tmp_path / "calls.csv"
    source.write_text(LABELLED)
    fake = clients(stubbed_stack(outputs(key=True)), s3, sagemaker_stub())
    code, _, err = run(["--input", str(source), "--instance-type", "ml.g4dn.xlarge"], fake)
    assert code == 1
    assert err == (
        "error: --instance-type ml.g4dn.xlarge: its NVMe instance store cannot be encrypted "
        "with the stack's KMS key (CreateTransformJob refuses VolumeKmsKeyId for it); pick a "
        "type without instance store, such as ml.m5.large\n"
    )
    assert batch_objects(s3) == {}


def test_model_that_emits_other_keys_is_refused_before_upload(s3, tmp_path):
    source = tmp_path / "calls.csv"
    source.write_text(LABELLED)
    sagemaker = sagemaker_stub(model_keys="predicted_label")
    code, _, err = run(["--input", str(source)], clients(stubbed_stack(outputs()), s3, sagemaker))
    assert code == 1
    assert err == (
        f"error: model {MODEL} emits predicted_label but the stack's InferenceResponseKeys is "
        "predicted_label,probability: redeploy the stack\n"
    )
    assert batch_objects(s3) == {}


def test_a_stack_without_the_model_output_says_so(s3, tmp_path):
    older = {k: v for k, v in outputs().items() if k != "ModelName"}
    stubbed = stubbed_stack(older)
    fake = evaluate.Clients(
        cloudformation=stubbed.client, s3=s3, sagemaker=None, runtime=None, region="us-east-1"
    )
    code, _, err = run(["--input", "calls.csv"], fake)
    assert (code, err) == (
        1,
        "error: stack AutopilotStudio-dev (CREATE_COMPLETE) is missing outputs: ModelName. "
        "Is it fully deployed from this version?\n",
    )


@pytest.mark.parametrize("capture", [False, True], ids=["monitor-off", "monitor-on"])
@pytest.mark.parametrize("key", [False, True], ids=["no-key", "customer-key"])
def test_capture_and_key_only_where_the_stack_has_them(s3, tmp_path, capture, key):
    # The Stubber compares the whole CreateTransformJob request with expected_request's.
    code, out, err, sagemaker, destination = happy(s3, tmp_path, capture=capture, key=key)

    assert code == 0, err
    sagemaker.assert_no_pending_responses()
    header, first = destination.read_text().splitlines()[:2]
    if capture:
        assert header.endswith("predicted_label,probability,inference_id,inference_time")
        assert first == f"900,yes,admin.,41,yes,0.9000,{INFERENCE_ID},{INFERENCE_TIME}"
        assert f"capture  {CAPTURE_URI} (manifests under input/ and output/ by hour)" in out
    else:
        assert header.endswith("predicted_label,probability")
        assert first == "900,yes,admin.,41,yes,0.9000"
        assert "\ncapture  " not in out


@pytest.mark.parametrize(("capture", "key"), [(False, False), (True, False), (True, True)])
def test_request_fields_follow_the_outputs(capture, key):
    request = batch_predict.transform_request(
        name=JOB,
        model_name=MODEL,
        input_uri=f"s3://{BUCKET}/{BASE}/input/",
        output_uri=f"s3://{BUCKET}/{BASE}/output/",
        instance_type="ml.m5.large",
        capture_uri=CAPTURE_URI if capture else None,
        key_arn=KEY_ARN if key else None,
    )
    assert request == expected_request(capture=capture, key=key)
    text = repr(request)
    assert ("DataCaptureConfig" in text) is capture
    assert text.count(KEY_ARN) == (3 if capture else 2) * key


def test_fewer_predictions_than_rows_is_an_error(s3, tmp_path):
    source = tmp_path / "calls.csv"
    source.write_text(LABELLED)
    sagemaker = sagemaker_stub(request=expected_request(), statuses=COMPLETED)
    sagemaker.client.meta.events.register(
        "after-call.sagemaker.CreateTransformJob", fake_transform(s3, lines_dropped=1)
    )
    fake = clients(stubbed_stack(outputs()), s3, sagemaker)
    code, _, err = run(["--input", str(source), "--output", str(tmp_path / "o.csv")], fake)
    assert (code, err.splitlines()[-1]) == (
        1,
        "error: the transform returned 4 predictions for 5 rows",
    )


def test_no_metrics_without_predicted_labels():
    from cli.scoring import Prediction

    stack = batch_predict.BatchTarget(
        bucket=BUCKET,
        model_name=MODEL,
        training_uri="s3://b/t.csv",
        target="y",
        positive_class="yes",
        response_keys=("probability",),
        capture_uri=None,
        key_arn=None,
        objective=None,
    )
    out = io.StringIO()
    found = batch_predict.report_metrics(["yes"], [Prediction(probability=0.9)], stack, "auto", out)
    assert found is None
    assert out.getvalue() == "\nno metrics: InferenceResponseKeys has no predicted_label\n"


# --- job names --------------------------------------------------------------------------


def transform_job_name_rule():
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateTransformJob").input_shape
    return shape.members["TransformJobName"].metadata


@pytest.mark.parametrize("env", ["dev", "stage", "prod", "qa-1", "abcdefghijk"])
def test_job_names_fit_create_transform_job(env):
    rule = transform_job_name_rule()
    name = batch_predict.job_name(f"apstudio-{env}", NOW + timedelta(days=400))
    assert name == f"apstudio-{env}-batch-20270206-030405-678"
    assert len(name) <= rule["max"] == 63
    assert re.fullmatch(rule["pattern"], name)


@pytest.mark.parametrize("env", ["bad_env", "x" * 40])
def test_names_outside_the_rule_are_refused(env):
    import boto3

    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    name = batch_predict.job_name(f"apstudio-{env}", NOW)
    with pytest.raises(batch_predict.EvaluationError, match="does not fit CreateTransformJob"):
        batch_predict.check_job_name(name, sagemaker)


# --- progress ---------------------------------------------------------------------------


def test_plain_progress_shows_status_stage_and_elapsed_time():
    import boto3
    from botocore.stub import Stubber

    sagemaker = Stubber(boto3.client("sagemaker", region_name="us-east-1"))
    sagemaker.activate()
    for state in COMPLETED:
        sagemaker.add_response("describe_transform_job", state, {"TransformJobName": JOB})
    moments = iter(NOW + timedelta(minutes=m) for m in (1, 5, 7))
    err, slept = io.StringIO(), []

    last = batch_predict.wait(
        sagemaker.client, JOB, err, sleep=slept.append, now=lambda: next(moments), live=False
    )

    assert last.status == "Completed"
    sagemaker.assert_no_pending_responses()
    assert slept == [15, 15]
    assert err.getvalue().splitlines() == [
        f"03:05:05 transform job {JOB} InProgress (starting instances), elapsed 0:01:00",
        f"03:09:05 transform job {JOB} InProgress (running on 1 x ml.m5.large), elapsed 0:05:00",
        # Ended: the elapsed time stops at TransformEndTime.
        f"03:11:05 transform job {JOB} Completed, elapsed 0:06:30",
    ]


def test_live_view_renders_status_and_elapsed_time():
    from rich.console import Console

    state = batch_predict.JobState.of(
        job_description("InProgress"), NOW + timedelta(minutes=5, seconds=7)
    )
    console = Console(file=io.StringIO(), width=100)
    console.print(batch_predict.render(state))
    lines = [line.rstrip() for line in console.file.getvalue().splitlines()]
    assert lines == [
        f"transform job  {JOB}",
        "status         InProgress (running on 1 x ml.m5.large)",
        "elapsed        0:05:07",
    ]


# --- the command line -------------------------------------------------------------------


def test_make_passes_input_output_and_args(tmp_path):
    import subprocess

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "batch-predict",
            "ENV=stage",
            "INPUT=data/march calls.csv",
            "OUTPUT=s3://team-data/scored/",
            "ARGS=--profile ml --region eu-west-1",
            f"UV={tmp_path / 'uv'}",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    (command,) = [line for line in done.stdout.splitlines() if "python -m cli" in line]
    assert "--no-default-groups --group evaluate" in command
    assert command.endswith(
        'python -m cli batch-predict --env stage --input "data/march calls.csv" '
        '--output "s3://team-data/scored/" --profile ml --region eu-west-1'
    )
