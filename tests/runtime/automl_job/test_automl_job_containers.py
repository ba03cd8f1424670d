"""Response-key wiring of the best candidate's containers for its model (no AWS calls)."""

from __future__ import annotations

import copy

import pytest

from automl_job import containers
from tests.runtime.automl_job.responses import FEATURE_TRANSFORM_ENVIRONMENT

# Environments as Autopilot returns them. HPO: the AWS SageMaker Developer Guide's
# "Deploy Autopilot models for real-time inference" create-model example.
AUTOGLUON = {
    "Image": (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/autogluon-inference:0.4.3-cpu-py38-ubuntu20.04"
    ),
    "ModelDataUrl": (
        "s3://bucket/automl/job/sagemaker-automl-candidates/model/"
        "WeightedEnsemble-L3-FULL-t1/model.tar.gz"
    ),
    "Environment": {
        "MODEL_NAME": "WeightedEnsemble_L3_FULL",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
        "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,probabilities,labels",
        "SAGEMAKER_PROGRAM": "tabular_serve.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    },
}
ENSEMBLING = [AUTOGLUON]
FEATURE_TRANSFORM = {
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3",
    "ModelDataUrl": "s3://bucket/automl/job/data-processor-models/job-dpp0-1-e569ff7/output/model.tar.gz",
    "Environment": dict(FEATURE_TRANSFORM_ENVIRONMENT),
}
ALGORITHM = {
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1-cpu-py3",
    "ModelDataUrl": "s3://bucket/automl/job/tuning/job-dpp0-xgb/job-t1-001/output/model.tar.gz",
    "Environment": {
        "MAX_CONTENT_LENGTH": "20971520",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
        "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,probabilities",
    },
}
INVERSE_LABEL = {
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3",
    "ModelDataUrl": "s3://bucket/automl/job/data-processor-models/job-dpp0-1-e569ff7/output/model.tar.gz",
    "Environment": {
        "AUTOML_TRANSFORM_MODE": "inverse-label-transform",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEMAKER_INFERENCE_INPUT": "predicted_label",
        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
        "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,labels,probabilities",
        "SAGEMAKER_PROGRAM": "sagemaker_serve",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    },
}
HPO = [FEATURE_TRANSFORM, ALGORITHM, INVERSE_LABEL]


def env(container):
    return container["Environment"]


def test_ensembling_sets_output_and_keeps_other_env():
    wired = containers.wire_response_keys(ENSEMBLING, ["predicted_label", "probability"])

    assert len(wired) == 1
    expected = dict(env(ENSEMBLING[0]), SAGEMAKER_INFERENCE_OUTPUT="predicted_label,probability")
    assert env(wired[0]) == expected
    assert wired[0]["Image"] == ENSEMBLING[0]["Image"]
    assert wired[0]["ModelDataUrl"] == ENSEMBLING[0]["ModelDataUrl"]


def test_ensembling_accepts_all_four_keys_in_requested_order():
    keys = ["labels", "probabilities", "probability", "predicted_label"]
    wired = containers.wire_response_keys(ENSEMBLING, keys)
    assert env(wired[0])["SAGEMAKER_INFERENCE_OUTPUT"] == ",".join(keys)


def test_input_is_not_mutated():
    before = copy.deepcopy(HPO)
    containers.wire_response_keys(HPO, ["predicted_label", "probability", "labels"])
    containers.wire_response_keys(ENSEMBLING, ["probability"])
    assert before == HPO
    assert env(ENSEMBLING[0])["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label"


def test_hpo_wires_algorithm_and_inverse_label_transform():
    keys = ["predicted_label", "probability", "probabilities", "labels"]
    wired = containers.wire_response_keys(HPO, keys)

    assert env(wired[0]) == env(FEATURE_TRANSFORM)
    assert env(wired[1]) == dict(
        env(ALGORITHM), SAGEMAKER_INFERENCE_OUTPUT="predicted_label,probability,probabilities"
    )
    assert env(wired[2]) == dict(
        env(INVERSE_LABEL),
        SAGEMAKER_INFERENCE_INPUT="predicted_label,probability,probabilities",
        SAGEMAKER_INFERENCE_OUTPUT="predicted_label,probability,probabilities,labels",
    )


def test_hpo_two_keys():
    wired = containers.wire_response_keys(HPO, ["predicted_label", "probability"])
    assert env(wired[1])["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label,probability"
    assert env(wired[2])["SAGEMAKER_INFERENCE_INPUT"] == "predicted_label,probability"
    assert env(wired[2])["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label,probability"


def test_hpo_algorithm_without_probabilities_leaves_them_to_the_last_container():
    algorithm = copy.deepcopy(ALGORITHM)
    env(algorithm)["SAGEMAKER_INFERENCE_SUPPORTED"] = "predicted_label,probability"
    keys = ["predicted_label", "probabilities", "labels"]
    wired = containers.wire_response_keys([FEATURE_TRANSFORM, algorithm, INVERSE_LABEL], keys)
    assert env(wired[1])["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label"
    assert env(wired[2])["SAGEMAKER_INFERENCE_INPUT"] == "predicted_label"
    assert env(wired[2])["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label,probabilities,labels"


def test_hpo_labels_only_feeds_predicted_label_to_the_last_container():
    wired = containers.wire_response_keys(HPO, ["labels"])
    assert env(wired[1])["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label"
    assert env(wired[2])["SAGEMAKER_INFERENCE_INPUT"] == "predicted_label"
    assert env(wired[2])["SAGEMAKER_INFERENCE_OUTPUT"] == "labels"


def test_keys_are_stripped_and_deduplicated():
    wired = containers.wire_response_keys(ENSEMBLING, [" probability", "probability", ""])
    assert env(wired[0])["SAGEMAKER_INFERENCE_OUTPUT"] == "probability"


def test_no_keys_keeps_containers_unchanged():
    assert containers.wire_response_keys(HPO, []) == HPO
    two = [FEATURE_TRANSFORM, ALGORITHM]
    assert containers.wire_response_keys(two, []) == two


def refusal(layout: list, keys: list[str]) -> str:
    """The message wire_response_keys refuses ``keys`` on ``layout`` with."""
    with pytest.raises(containers.ContainerError) as caught:
        containers.wire_response_keys(layout, keys)
    return str(caught.value)


def test_unsupported_key_names_setting_key_container_and_supported_keys():
    message = refusal(ENSEMBLING, ["predicted_label", "score"])
    assert message.startswith("endpoint.inference_response_keys: key 'score'")
    assert "container 0" in message
    assert "autogluon-inference:0.4.3" in message
    assert "allowed: predicted_label, probability, probabilities, labels" in message


def test_hpo_key_the_algorithm_cannot_emit_is_rejected_at_the_algorithm():
    algorithm = copy.deepcopy(ALGORITHM)
    env(algorithm)["SAGEMAKER_INFERENCE_SUPPORTED"] = "predicted_label"
    with pytest.raises(containers.ContainerError, match=r"'probability'.*container 1.*xgboost"):
        containers.wire_response_keys(
            [FEATURE_TRANSFORM, algorithm, INVERSE_LABEL], ["predicted_label", "probability"]
        )


def test_container_without_supported_list_rejects_a_key_it_cannot_select():
    bare = [{"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz", "Environment": {}}]
    with pytest.raises(containers.ContainerError, match="none \\(no SAGEMAKER_INFERENCE_SUPPORTED"):
        containers.wire_response_keys(bare, ["predicted_label", "probability"])


def test_predicted_label_alone_keeps_a_container_that_lists_no_keys_unchanged():
    bare = [{"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz", "Environment": {}}]
    assert containers.wire_response_keys(bare, ["predicted_label"]) == bare


@pytest.mark.parametrize("empty", [None, []])
def test_no_containers_is_a_clear_error(empty):
    with pytest.raises(containers.ContainerError, match="no inference containers"):
        containers.wire_response_keys(empty, ["predicted_label"])


# HPO regression (AWS docs, "Configure inference output in generated containers"): a
# feature transform and a regressor whose only output is the prediction.
REGRESSOR = {
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1-cpu-py3",
    "ModelDataUrl": "s3://bucket/automl/job/tuning/job-dpp0-xgb/job-t1-002/output/model.tar.gz",
    "Environment": {
        "MAX_CONTENT_LENGTH": "20971520",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
        "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label",
    },
}


@pytest.mark.parametrize("regressor_env", [env(REGRESSOR), {}])
def test_hpo_regression_serves_predicted_label(regressor_env):
    regressor = {**REGRESSOR, "Environment": dict(regressor_env)}
    wired = containers.wire_response_keys([FEATURE_TRANSFORM, regressor], ["predicted_label"])
    assert wired[0] == FEATURE_TRANSFORM
    assert env(wired[1]).get("SAGEMAKER_INFERENCE_OUTPUT", "predicted_label") == "predicted_label"
    assert "SAGEMAKER_INFERENCE_INPUT" not in env(wired[1])


def test_hpo_regression_refuses_classification_keys_naming_the_setting():
    assert refusal([FEATURE_TRANSFORM, REGRESSOR], ["predicted_label", "probability"]) == (
        "endpoint.inference_response_keys = ['predicted_label', 'probability']: the best "
        "candidate is an HPO regression model (feature transform and regressor), which "
        "returns only its prediction; allowed: ['predicted_label']"
    )


def test_other_layouts_serve_the_default_output_unchanged():
    layout = [copy.deepcopy(ALGORITHM) for _ in range(4)]
    assert containers.wire_response_keys(layout, ["predicted_label"]) == layout


def test_other_layouts_name_the_known_ones():
    layout = [copy.deepcopy(ALGORITHM) for _ in range(4)]
    message = refusal(layout, ["predicted_label", "probability"])
    assert message.startswith("endpoint.inference_response_keys = ['predicted_label', 'proba")
    assert "4 containers" in message
    assert "1 container (ensembling), 2 (HPO regression) and 3 (HPO classification" in message
    assert "allowed for this candidate: ['predicted_label']" in message


# Names
