"""Offline stand-ins shared by the CLI tests: a stubbed stack and moto's endpoint."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import boto3
import requests
from botocore.stub import Stubber

from tests.fixtures import MOTO_ACCOUNT as ACCOUNT
from tests.fixtures import REGION

STACK = "AutopilotStudio-dev"
ENDPOINT = "apstudio-dev-endpoint"
BUCKET = f"apstudio-dev-sagemaker-{ACCOUNT}"
HOLDOUT_KEY = "autopilot/dev/holdout/holdout.csv"
EVALUATE_OUTPUTS = {
    "EndpointName": ENDPOINT,
    "DataCaptureS3Uri": f"s3://{BUCKET}/datacapture/dev",
    "HoldoutDataS3Uri": f"s3://{BUCKET}/{HOLDOUT_KEY}",
    "TargetAttribute": "y",
    "InferenceResponseKeys": "predicted_label,probability",
    "PositiveClass": "yes",
}


def expect_endpoint_in_service(stubber: Stubber) -> Stubber:
    """DescribeEndpoint of ENDPOINT answers InService."""
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}",
            "EndpointStatus": "InService",
            "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
            "LastModifiedTime": datetime(2025, 1, 1, tzinfo=UTC),
        },
        {"EndpointName": ENDPOINT},
    )
    return stubber


def stubbed_stack(outputs, error=None):
    """DescribeStacks of the dev stack with ``outputs``, or failing with ``error``."""
    client = boto3.client("cloudformation", region_name=REGION)
    stubber = Stubber(client)
    expected = {"StackName": STACK}
    if error:
        stubber.add_client_error(
            "describe_stacks", "ValidationException", error, 400, None, expected
        )
    else:
        stack = {
            "StackName": STACK,
            "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/1",
            "CreationTime": datetime(2025, 1, 1, tzinfo=UTC),
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
        }
        stubber.add_response("describe_stacks", {"Stacks": [stack]}, expected)
    stubber.activate()
    return stubber


def queue_endpoint_answers(bodies):
    """moto's InvokeEndpoint answers these CSV bodies, one per request, in order."""
    results = [{"Body": body, "ContentType": "text/csv"} for body in bodies]
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
        json={"results": results},
        timeout=5,
    )
    assert response.status_code == 201


def invoked_requests():
    """What moto's InvokeEndpoint received per request, in order: Body and headers."""
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    # moto files every request under EndpointName None (it does not parse the name).
    seen = sagemakerruntime_backends[ACCOUNT][REGION].results
    return [json.loads(base64.b64decode(key)) for calls in seen.values() for key in calls]


def invoked_bodies():
    """The request bodies moto's InvokeEndpoint received, in order."""
    return [request["Body"] for request in invoked_requests()]


def invoked_inference_ids():
    """The InferenceId header of each request moto's InvokeEndpoint received, in order."""
    return [
        next((v for k, v in request.items() if k.lower() == "x-amzn-sagemaker-inference-id"), None)
        for request in invoked_requests()
    ]
