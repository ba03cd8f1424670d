"""Endpoint resource properties and the AutoGluon container Autopilot returns for them."""

from __future__ import annotations

from typing import Any

AUTOGLUON_IMAGE = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/autogluon-inference:0.4.3-cpu-py38-ubuntu20.04"
)
AUTOGLUON_MODEL = (
    "s3://bucket/automl/job/sagemaker-automl-candidates/model/"
    "WeightedEnsemble-L3-FULL-t1/model.tar.gz"
)


def autogluon_container() -> dict[str, Any]:
    """A fresh copy of the ensembling candidate's single inference container."""
    return {
        "Image": AUTOGLUON_IMAGE,
        "ModelDataUrl": AUTOGLUON_MODEL,
        "Environment": {
            "MODEL_NAME": "WeightedEnsemble_L3_FULL",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
            "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
            "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,probabilities,labels",
            "SAGEMAKER_PROGRAM": "tabular_serve.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        },
    }


def endpoint_props(account: str, **extra: Any) -> dict[str, Any]:
    """Properties of an endpoint serving the dev AutoML job's best candidate."""
    return {
        "EndpointName": "apstudio-dev-endpoint",
        "ResourceNamePrefix": "apstudio-dev",
        "AutoMLJobName": "apstudio-dev-automl-3f2a9c",
        "BestCandidateName": "WeightedEnsemble-L3-FULL-t1",
        "RoleArn": f"arn:aws:iam::{account}:role/apstudio-dev-sagemaker-execution",
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": "1",
        "InferenceResponseKeys": ["predicted_label", "probability"],
        "CaptureDestinationS3Uri": f"s3://apstudio-dev-sagemaker-{account}/datacapture/dev",
        "CaptureSamplingPercentage": "100",
        **extra,
    }
