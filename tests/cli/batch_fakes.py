"""Offline stand-ins for `make batch-predict`: moto's S3, a stubbed SageMaker, a fake model.

moto 5.2.5 implements CreateTransformJob and DescribeTransformJob, but its job is
``Completed`` the moment it is created and writes no output, so it can neither fail nor
run anything. SageMaker is a botocore Stubber (requests validated against the service
model and compared with the expected parameters); its CreateTransformJob triggers a fake
transform that scores the uploaded object the way the model would and writes the ``.out``
object into moto's S3.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import boto3
from botocore.stub import Stubber

from cli import evaluate
from tests.cli.fakes import ACCOUNT, BUCKET, REGION

MODEL = "apstudio-dev-model-3f2a9c1b7e"
TRAIN_KEY = "datasets/v1/train.csv"
# The training CSV's columns; the target sits between features, as a source may have it.
TRAIN_HEADER = ["age", "job", "y", "duration"]
FEATURES = ["age", "job", "duration"]
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CAPTURE_URI = f"s3://{BUCKET}/datacapture/batch"
NOW = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
JOB = "apstudio-dev-batch-20260102-030405-678"
BASE = f"batch/{JOB}"
INFERENCE_ID = "1f1d57b1-2e6f-488c-8c30-db4e6d757861"
INFERENCE_TIME = "2026-01-02T03:07:00Z"
OUTPUTS = {
    "DataBucketName": BUCKET,
    "ModelName": MODEL,
    "TrainingDataS3Uri": f"s3://{BUCKET}/{TRAIN_KEY}",
    "TargetAttribute": "y",
    "PositiveClass": "yes",
    "InferenceResponseKeys": "predicted_label,probability",
    "DataCaptureS3Uri": f"s3://{BUCKET}/datacapture",
}


def outputs(*, capture: bool = False, key: bool = False) -> dict[str, str]:
    """The stack's outputs; monitoring adds the batch capture URI, prod adds the key."""
    found = dict(OUTPUTS)
    if capture:
        found["BatchCaptureS3Uri"] = CAPTURE_URI
    if key:
        found["EncryptionKeyArn"] = KEY_ARN
    return found


def model_answer(features: list[str]) -> tuple[str, float]:
    """The fake model, reading the features in the training order: long calls say yes."""
    duration = int(features[FEATURES.index("duration")])
    p_yes = min(0.99, duration / 1000)
    return ("yes", p_yes) if p_yes >= 0.5 else ("no", 1 - p_yes)


def world() -> object:
    """moto's S3 with the project bucket and the training CSV; returns the client."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    train = "\n".join([",".join(TRAIN_HEADER), "30,admin.,no,100", "50,services,yes,900"])
    s3.put_object(Bucket=BUCKET, Key=TRAIN_KEY, Body=(train + "\n").encode())
    return s3


def batch_objects(s3) -> dict[str, bytes]:
    """Every object under batch/ in the project bucket, by key."""
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="batch/").get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed
    }


def fake_transform(s3, *, with_ids: bool = False, lines_dropped: int = 0):
    """After CreateTransformJob: score the uploaded input and write ``<name>.out``."""

    def transform(**_):
        (item,) = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{BASE}/input/")["Contents"]
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
        lines = []
        for row in csv.reader(io.StringIO(body)):
            label, p = model_answer(row)
            suffix = f",{INFERENCE_ID},{INFERENCE_TIME}" if with_ids else ""
            lines.append(f"{label},{p:.4f}{suffix}\n")
        name = item["Key"].rsplit("/", 1)[1]
        kept = lines[: len(lines) - lines_dropped]
        s3.put_object(Bucket=BUCKET, Key=f"{BASE}/output/{name}.out", Body="".join(kept))

    return transform


def describe_model_response(keys: str = "predicted_label,probability") -> dict:
    return {
        "ModelName": MODEL,
        "ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{MODEL}",
        "CreationTime": NOW,
        "Containers": [
            {
                "Image": "autogluon-inference",
                "ModelDataUrl": f"s3://{BUCKET}/automl-output/model.tar.gz",
                "Environment": {"SAGEMAKER_INFERENCE_OUTPUT": keys},
            }
        ],
    }


def job_description(status: str, *, started: bool = True, reason: str | None = None) -> dict:
    job = {
        "TransformJobName": JOB,
        "TransformJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/{JOB}",
        "TransformJobStatus": status,
        "ModelName": MODEL,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{BASE}/input/"}
            }
        },
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "CreationTime": NOW,
    }
    if started:
        job["TransformStartTime"] = NOW + timedelta(minutes=4)
    if status in {"Completed", "Failed", "Stopped"}:
        job["TransformEndTime"] = NOW + timedelta(minutes=6, seconds=30)
    if reason:
        job["FailureReason"] = reason
    return job


def expected_request(*, capture: bool = False, key: bool = False) -> dict:
    """CreateTransformJob's parameters, written out in full."""
    request = {
        "TransformJobName": JOB,
        "ModelName": MODEL,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{BASE}/input/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{BUCKET}/{BASE}/output/",
            "Accept": "text/csv",
            "AssembleWith": "Line",
        },
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    if key:
        request["TransformOutput"]["KmsKeyId"] = KEY_ARN
        request["TransformResources"]["VolumeKmsKeyId"] = KEY_ARN
    if capture:
        capture_config = {"DestinationS3Uri": CAPTURE_URI, "GenerateInferenceId": True}
        if key:
            capture_config["KmsKeyId"] = KEY_ARN
        request["DataCaptureConfig"] = capture_config
    return request


def sagemaker_stub(
    *,
    request: dict | None = None,
    statuses: tuple[dict, ...] = (),
    model_keys: str = "predicted_label,probability",
) -> Stubber:
    """DescribeModel, then (with ``request``) CreateTransformJob and the job's states."""
    stubber = Stubber(boto3.client("sagemaker", region_name=REGION))
    described = describe_model_response(model_keys)
    stubber.add_response("describe_model", described, {"ModelName": MODEL})
    if request is not None:
        stubber.add_response(
            "create_transform_job", {"TransformJobArn": statuses[0]["TransformJobArn"]}, request
        )
        for state in statuses:
            stubber.add_response("describe_transform_job", state, {"TransformJobName": JOB})
    stubber.activate()
    return stubber


def clients(cloudformation: Stubber, s3, sagemaker: Stubber) -> evaluate.Clients:
    return evaluate.Clients(
        cloudformation=cloudformation.client,
        s3=s3,
        sagemaker=sagemaker.client,
        runtime=None,
        region=REGION,
    )
