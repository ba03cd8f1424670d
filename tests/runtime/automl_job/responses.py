"""DescribeAutoMLJobV2 responses shaped like real tabular Autopilot jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.fixtures import MOTO_ACCOUNT as ACCOUNT
from tests.fixtures import REGION

STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/apstudio-dev/0f1e2d3c-4b5a-6978"
BUCKET = "sagemaker-apstudio-dev-123456789012"
TRAIN_URI = f"s3://{BUCKET}/datasets/0123456789abcdef/train.csv"
OUTPUT_URI = f"s3://{BUCKET}/automl-output/"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/apstudio-dev-SageMakerExecutionRole"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PROPS: dict[str, Any] = {
    "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:automl-provider",
    "JobNamePrefix": "apstudio-dev",
    "TrainingDataUri": TRAIN_URI,
    "OutputUri": OUTPUT_URI,
    "RoleArn": ROLE_ARN,
    "TargetAttribute": "y",
    "ProblemType": "BinaryClassification",
    "Objective": "F1",
    "Mode": "ENSEMBLING",
    "MaxCandidates": "10",
    "MaxRuntimePerTrainingJobInSeconds": "900",
    "MaxAutoMLJobRuntimeInSeconds": "1800",
    "KmsKeyId": "",
    "Tags": [{"Key": "project", "Value": "autopilot-studio"}],
}
WAIT_STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:AutoMLWait"
WAIT_HANDLE = "https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/h?X-Amz-Signature=1"
# The wait's properties, as the template passes them to the custom resource.
WAIT_PROPS = {"StateMachineArn": WAIT_STATE_MACHINE, "WaitHandleUrl": WAIT_HANDLE}


def create_wait_state_machine(moto_clients) -> None:
    """The wait state machine in moto, so the handler can start and stop its executions."""
    role = f"arn:aws:iam::{ACCOUNT}:role/wait"
    definition = '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
    moto_clients("stepfunctions").create_state_machine(
        name="AutoMLWait", definition=definition, roleArn=role
    )


CRITERIA = {
    "MaxCandidates": 10,
    "MaxRuntimePerTrainingJobInSeconds": 900,
    "MaxAutoMLJobRuntimeInSeconds": 1800,
}
_T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
_T1 = datetime(2025, 6, 2, 9, 31, tzinfo=UTC)


def job_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/{name}"


def training_channel(uri: str = TRAIN_URI) -> dict[str, Any]:
    return {
        "ChannelType": "training",
        "ContentType": "text/csv;header=present",
        "CompressionType": "None",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
    }


def ensembling_candidate(name: str) -> dict[str, Any]:
    return {
        "CandidateName": "WeightedEnsemble-L3-FULL-t1",
        "FinalAutoMLJobObjectiveMetric": {
            "MetricName": "F1",
            "Value": 0.6364,
            "StandardMetricName": "F1",
        },
        "ObjectiveStatus": "Succeeded",
        "CandidateSteps": [
            {
                "CandidateStepType": "AWS::SageMaker::TrainingJob",
                "CandidateStepArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}-t1",
                "CandidateStepName": f"{name}-t1",
            }
        ],
        "CandidateStatus": "Completed",
        "InferenceContainers": [
            {
                "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/"
                "autogluon-inference:0.4.3-cpu-py38-ubuntu20.04",
                "ModelDataUrl": f"{OUTPUT_URI}{name}/sagemaker-automl-candidates/model/"
                "WeightedEnsemble-L3-FULL-t1/model.tar.gz",
                "Environment": {
                    "MODEL_NAME": "WeightedEnsemble-L3-FULL",
                    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                    "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_SUPPORTED": (
                        "predicted_label,probability,probabilities,labels"
                    ),
                    "SAGEMAKER_PROGRAM": "tabular_serve.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            }
        ],
        "CreationTime": _T0,
        "EndTime": _T1,
        "LastModifiedTime": _T1,
        "CandidateProperties": {
            "CandidateArtifactLocations": {
                "Explainability": f"{OUTPUT_URI}{name}/documentation/explainability/output",
                "ModelInsights": f"{OUTPUT_URI}{name}/documentation/model_monitor/output",
            },
            "CandidateMetrics": [
                {
                    "MetricName": "F1",
                    "StandardMetricName": "F1",
                    "Value": 0.6364,
                    "Set": "Validation",
                },
                {
                    "MetricName": "Accuracy",
                    "StandardMetricName": "Accuracy",
                    "Value": 0.9172,
                    "Set": "Validation",
                },
            ],
        },
    }


# The environment of an HPO candidate's feature-transform container, as Autopilot returns it.
FEATURE_TRANSFORM_ENVIRONMENT = {
    "AUTOML_SPARSE_ENCODE_RECORDIO_PROTOBUF": "1",
    "AUTOML_TRANSFORM_MODE": "feature-transform",
    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/x-recordio-protobuf",
    "SAGEMAKER_PROGRAM": "sagemaker_serve",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
}


def hpo_candidate(name: str) -> dict[str, Any]:
    sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3"
    candidate = f"{name[:20]}-tuning-003-a1b2c3d4"
    return {
        "CandidateName": candidate,
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": 0.612},
        "ObjectiveStatus": "Succeeded",
        "CandidateSteps": [
            {
                "CandidateStepType": "AWS::SageMaker::ProcessingJob",
                "CandidateStepArn": (
                    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}-db"
                ),
                "CandidateStepName": f"{name}-db",
            }
        ],
        "CandidateStatus": "Completed",
        "InferenceContainers": [
            {
                "Image": sklearn,
                "ModelDataUrl": f"{OUTPUT_URI}{name}/data-processor-models/dpp0/model.tar.gz",
                "Environment": dict(FEATURE_TRANSFORM_ENVIRONMENT),
            },
            {
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "ModelDataUrl": f"{OUTPUT_URI}{name}/tuning/{candidate}/output/model.tar.gz",
                "Environment": {
                    "MAX_CONTENT_LENGTH": "20971520",
                    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                    "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,probabilities",
                },
            },
            {
                "Image": sklearn,
                "ModelDataUrl": f"{OUTPUT_URI}{name}/data-processor-models/dpp0/model.tar.gz",
                "Environment": {
                    "AUTOML_TRANSFORM_MODE": "inverse-label-transform",
                    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                    "SAGEMAKER_INFERENCE_INPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_SUPPORTED": (
                        "predicted_label,probability,labels,probabilities"
                    ),
                    "SAGEMAKER_PROGRAM": "sagemaker_serve",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            },
        ],
        "CreationTime": _T0,
        "EndTime": _T1,
        "LastModifiedTime": _T1,
    }


def described(
    name: str,
    status: str = "InProgress",
    secondary: str = "TrainingModels",
    *,
    training_uri: str = TRAIN_URI,
    target: str = "y",
    role_arn: str = ROLE_ARN,
    problem_type: str | None = "BinaryClassification",
    best: dict[str, Any] | None = None,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    tabular: dict[str, Any] = {
        "CompletionCriteria": dict(CRITERIA),
        "Mode": "ENSEMBLING",
        "TargetAttributeName": target,
    }
    if problem_type:
        tabular["ProblemType"] = problem_type
    job: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobArn": job_arn(name),
        "AutoMLJobInputDataConfig": [training_channel(training_uri)],
        "OutputDataConfig": {"S3OutputPath": OUTPUT_URI},
        "RoleArn": role_arn,
        "AutoMLJobObjective": {"MetricName": "F1"},
        "AutoMLProblemTypeConfig": {"TabularJobConfig": tabular},
        "AutoMLProblemTypeConfigName": "Tabular",
        "CreationTime": _T0,
        "LastModifiedTime": _T1,
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "DataSplitConfig": {"ValidationFraction": 0.2},
    }
    if status in ("Completed", "Failed", "Stopped"):
        job["EndTime"] = _T1
    if failure_reason:
        job["FailureReason"] = failure_reason
    if best:
        job["BestCandidate"] = best
        notebooks = f"{OUTPUT_URI}{name}/sagemaker-automl-candidates/notebooks/SageMakerAutopilot"
        job["AutoMLJobArtifacts"] = {
            "CandidateDefinitionNotebookLocation": f"{notebooks}CandidateDefinitionNotebook.ipynb",
            "DataExplorationNotebookLocation": f"{notebooks}DataExplorationNotebook.ipynb",
        }
        job["ResolvedAttributes"] = {
            "AutoMLJobObjective": {"MetricName": "F1"},
            "CompletionCriteria": tabular["CompletionCriteria"],
            "AutoMLProblemTypeResolvedAttributes": {
                "TabularResolvedAttributes": {"ProblemType": problem_type or "BinaryClassification"}
            },
        }
    return job
