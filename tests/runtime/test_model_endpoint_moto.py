"""Endpoint resource lifecycle against moto: model -> config -> endpoint -> delete."""

from __future__ import annotations

import pytest
from model_endpoint_props import autogluon_container, endpoint_props

from model_endpoint import handler, spec

ACCOUNT = "123456789012"  # moto's default account
PROPS = endpoint_props(
    ACCOUNT,
    KmsKeyId=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    Tags=[{"Key": "project", "Value": "autopilot-studio"}],
)
CONTAINER = autogluon_container()


@pytest.fixture
def sagemaker(moto_clients):
    from moto.sagemaker.models import sagemaker_backends

    client = moto_clients("sagemaker")
    client.create_auto_ml_job_v2(
        AutoMLJobName=PROPS["AutoMLJobName"],
        AutoMLJobInputDataConfig=[
            {
                "ChannelType": "training",
                "ContentType": "text/csv;header=present",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/train/train.csv"}
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": "s3://b/automl/"},
        AutoMLProblemTypeConfig={
            "TabularJobConfig": {
                "TargetAttributeName": "y",
                "Mode": "ENSEMBLING",
                "ProblemType": "BinaryClassification",
                "CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 2400},
            }
        },
        RoleArn=PROPS["RoleArn"],
    )
    # moto never finishes a job; complete it with a realistic best candidate.
    job = sagemaker_backends[ACCOUNT]["us-east-1"].auto_ml_jobs[PROPS["AutoMLJobName"]]
    job.auto_ml_job_status = "Completed"
    job.best_candidate["CandidateName"] = PROPS["BestCandidateName"]
    job.best_candidate["InferenceContainers"] = [CONTAINER]
    return client


def names(client, kind):
    if kind == "models":
        return sorted(m["ModelName"] for m in client.list_models()["Models"])
    return sorted(
        c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]
    )


def test_lifecycle_create_then_delete_cleans_up(sagemaker):
    expected = spec.parse(PROPS)
    # Someone else's model and a look-alike prefix must survive the cleanup.
    foreign = "apstudio-dev2-m-000000-0123456789"
    sagemaker.create_model(
        ModelName=foreign, ExecutionRoleArn=PROPS["RoleArn"], Containers=[CONTAINER]
    )

    created = handler.on_event({"RequestType": "Create", "ResourceProperties": PROPS})
    assert created["PhysicalResourceId"] == "apstudio-dev-endpoint"

    done = handler.is_complete({"RequestType": "Create", "ResourceProperties": PROPS, **created})
    assert done["IsComplete"] is True
    assert done["Data"]["EndpointArn"].endswith(":endpoint/apstudio-dev-endpoint")

    endpoint = sagemaker.describe_endpoint(EndpointName="apstudio-dev-endpoint")
    assert endpoint["EndpointConfigName"] == expected.config_name
    config = sagemaker.describe_endpoint_config(EndpointConfigName=expected.config_name)
    assert config["DataCaptureConfig"] == {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": PROPS["CaptureDestinationS3Uri"],
        "KmsKeyId": PROPS["KmsKeyId"],
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
    }
    assert config["KmsKeyId"] == PROPS["KmsKeyId"]
    assert config["ProductionVariants"][0]["ModelName"] == expected.model_name
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    model = sagemaker.describe_model(ModelName=expected.model_name)
    environment = model["Containers"][0]["Environment"]
    assert environment["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label,probability"
    assert environment["MODEL_NAME"] == "WeightedEnsemble_L3_FULL"

    # A config left behind by an earlier update of this endpoint.
    stale = spec.parse(dict(PROPS, InstanceType="ml.m5.xlarge"))
    sagemaker.create_endpoint_config(
        EndpointConfigName=stale.config_name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": expected.model_name,
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 1,
            }
        ],
    )

    delete = {
        "RequestType": "Delete",
        "ResourceProperties": PROPS,
        "PhysicalResourceId": "apstudio-dev-endpoint",
    }
    handler.on_event(delete)
    assert handler.is_complete(delete) == {"IsComplete": True}

    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert names(sagemaker, "configs") == []
    assert names(sagemaker, "models") == [foreign]

    # Idempotent: a repeated Delete finds nothing and succeeds.
    handler.on_event(delete)
    assert handler.is_complete(delete) == {"IsComplete": True}
    assert names(sagemaker, "models") == [foreign]
