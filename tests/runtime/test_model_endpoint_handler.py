"""Endpoint custom resource against a Stubber: every SageMaker request is asserted."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from model_endpoint_props import autogluon_container, endpoint_props

from model_endpoint import handler, naming, spec

NOW = datetime(2025, 1, 1, tzinfo=UTC)
ACCOUNT = "111111111111"
ENDPOINT = "apstudio-dev-endpoint"
ENDPOINT_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{ENDPOINT}"
PROPS = endpoint_props(ACCOUNT)
ENSEMBLING = [autogluon_container()]


@pytest.fixture
def sagemaker(stub):
    return stub("sagemaker")


def event(request_type, props=None, **extra):
    result = {
        "RequestType": request_type,
        "ResourceProperties": dict(PROPS if props is None else props),
        "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/AutopilotStudio-dev/1",
        "LogicalResourceId": "Endpoint",
    }
    result.update(extra)
    return result


def names(props=None):
    parsed = spec.parse(PROPS if props is None else props)
    return parsed.model_name, parsed.config_name


def automl_job(containers=ENSEMBLING, candidate=PROPS["BestCandidateName"]):
    best = {
        "CandidateName": candidate,
        "ObjectiveStatus": "Succeeded",
        "CandidateSteps": [],
        "CandidateStatus": "Completed",
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": 0.61},
    }
    if containers is not None:
        best["InferenceContainers"] = containers
    return {
        "AutoMLJobName": PROPS["AutoMLJobName"],
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:automl-job/apstudio-dev-automl",
        "AutoMLJobInputDataConfig": [
            {
                "ChannelType": "training",
                "ContentType": "text/csv;header=present",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/train/train.csv"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://b/automl/"},
        "RoleArn": PROPS["RoleArn"],
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
        "AutoMLJobStatus": "Completed",
        "AutoMLJobSecondaryStatus": "Completed",
        "BestCandidate": best,
    }


def expect_job(sagemaker, **kwargs):
    sagemaker.add_response(
        "describe_auto_ml_job_v2",
        automl_job(**kwargs),
        {"AutoMLJobName": PROPS["AutoMLJobName"]},
    )


def wired_containers(keys="predicted_label,probability"):
    containers = copy.deepcopy(ENSEMBLING)
    containers[0]["Environment"]["SAGEMAKER_INFERENCE_OUTPUT"] = keys
    return containers


def expect_create(sagemaker, operation, params, response, tags=None, error=None):
    """Expect one create call with ``params`` (plus ``tags``); fail it when ``error`` is set."""
    if tags:
        params["Tags"] = tags
    if error:
        sagemaker.add_client_error(operation, "ValidationException", error, 400, None, params)
    else:
        sagemaker.add_response(operation, response, params)


def expect_create_model(sagemaker, props=None, tags=None, error=None):
    model, _ = names(props)
    params = {
        "ModelName": model,
        "Containers": wired_containers(),
        "ExecutionRoleArn": (props or PROPS)["RoleArn"],
    }
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{model}"
    expect_create(sagemaker, "create_model", params, {"ModelArn": arn}, tags, error)


def capture(props=None, kms=None):
    props = props or PROPS
    config = {
        "EnableCapture": True,
        "InitialSamplingPercentage": int(props["CaptureSamplingPercentage"]),
        "DestinationS3Uri": props["CaptureDestinationS3Uri"],
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
    }
    if kms:
        config["KmsKeyId"] = kms
    return config


def expect_create_config(sagemaker, props=None, tags=None, kms=None, error=None):
    props = props or PROPS
    model, config = names(props)
    params = {
        "EndpointConfigName": config,
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": props["InstanceType"],
                "InitialInstanceCount": int(props["InitialInstanceCount"]),
                "InitialVariantWeight": 1.0,
            }
        ],
        "DataCaptureConfig": capture(props, kms),
    }
    if kms:
        params["KmsKeyId"] = kms
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/{config}"
    expect_create(
        sagemaker, "create_endpoint_config", params, {"EndpointConfigArn": arn}, tags, error
    )


def expect_create_endpoint(sagemaker, props=None, tags=None, error=None):
    props = props or PROPS
    params = {"EndpointName": props["EndpointName"], "EndpointConfigName": names(props)[1]}
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{props['EndpointName']}"
    expect_create(sagemaker, "create_endpoint", params, {"EndpointArn": arn}, tags, error)


def endpoint(status, config, reason=None, name=ENDPOINT):
    result = {
        "EndpointName": name,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{name}",
        "EndpointStatus": status,
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
    }
    if config:
        result["EndpointConfigName"] = config
    if reason:
        result["FailureReason"] = reason
    return result


def expect_describe(sagemaker, status=None, config=None, reason=None, name=ENDPOINT):
    if status is None:
        sagemaker.add_client_error(
            "describe_endpoint",
            "ValidationException",
            f'Could not find endpoint "arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{name}".',
            400,
            None,
            {"EndpointName": name},
        )
    else:
        sagemaker.add_response(
            "describe_endpoint", endpoint(status, config, reason, name), {"EndpointName": name}
        )


def expect_delete(sagemaker, operation, key, name, found=True):
    if found:
        sagemaker.add_response(operation, {}, {key: name})
    else:
        sagemaker.add_client_error(
            operation, "ValidationException", f'Could not find "{name}".', 400, None, {key: name}
        )


SCHEDULE_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:monitoring-schedule"


def expect_schedules(sagemaker, schedules=(), name=ENDPOINT):
    """ListMonitoringSchedules for the endpoint: ``schedules`` are (name, status) pairs."""
    summaries = [
        {
            "MonitoringScheduleName": schedule,
            "MonitoringScheduleArn": f"{SCHEDULE_ARN}/{schedule}",
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
            "MonitoringScheduleStatus": status,
            "EndpointName": name,
        }
        for schedule, status in schedules
    ]
    sagemaker.add_response(
        "list_monitoring_schedules",
        {"MonitoringScheduleSummaries": summaries},
        {"EndpointName": name},
    )


EXISTS = 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:111111111111:model/x".'


# Create


def test_create_builds_model_config_and_endpoint(sagemaker):
    tags = [{"Key": "project", "Value": "autopilot-studio"}]
    kms = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    props = dict(PROPS, Tags=tags, KmsKeyId=kms)
    model, config = names(props)
    expect_job(sagemaker)
    expect_create_model(sagemaker, props, tags=tags)
    expect_create_config(sagemaker, props, tags=tags, kms=kms)
    expect_create_endpoint(sagemaker, props, tags=tags)

    result = handler.on_event(event("Create", props))

    assert result == {
        "PhysicalResourceId": ENDPOINT,
        "Data": {
            "EndpointName": ENDPOINT,
            "EndpointArn": ENDPOINT_ARN,
            "ModelName": model,
            "EndpointConfigName": config,
            "DataCaptureS3Uri": PROPS["CaptureDestinationS3Uri"],
        },
    }


def test_create_without_kms_or_tags_sends_neither(sagemaker):
    expect_job(sagemaker)
    expect_create_model(sagemaker)
    expect_create_config(sagemaker)
    expect_create_endpoint(sagemaker)
    assert handler.on_event(event("Create"))["PhysicalResourceId"] == ENDPOINT


def test_create_wires_an_hpo_candidate(sagemaker):
    sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3"
    supported = "SAGEMAKER_INFERENCE_SUPPORTED"
    hpo = [
        {"Image": sklearn, "ModelDataUrl": "s3://b/dpp/model.tar.gz",
         "Environment": {"AUTOML_TRANSFORM_MODE": "feature-transform"}},
        {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1-cpu-py3",
         "ModelDataUrl": "s3://b/xgb/model.tar.gz",
         "Environment": {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                         supported: "predicted_label,probability,probabilities"}},
        {"Image": sklearn, "ModelDataUrl": "s3://b/dpp/model.tar.gz",
         "Environment": {"AUTOML_TRANSFORM_MODE": "inverse-label-transform",
                         "SAGEMAKER_INFERENCE_INPUT": "predicted_label",
                         "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                         supported: "predicted_label,probability,labels,probabilities"}},
    ]  # fmt: skip
    wired = copy.deepcopy(hpo)
    wired[1]["Environment"]["SAGEMAKER_INFERENCE_OUTPUT"] = "predicted_label,probability"
    wired[2]["Environment"]["SAGEMAKER_INFERENCE_INPUT"] = "predicted_label,probability"
    wired[2]["Environment"]["SAGEMAKER_INFERENCE_OUTPUT"] = "predicted_label,probability"
    model, _ = names()
    expect_job(sagemaker, containers=hpo)
    sagemaker.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{model}"},
        {"ModelName": model, "Containers": wired, "ExecutionRoleArn": PROPS["RoleArn"]},
    )
    expect_create_config(sagemaker)
    expect_create_endpoint(sagemaker)
    assert handler.on_event(event("Create"))["PhysicalResourceId"] == ENDPOINT


def test_create_reuses_existing_model_and_config(sagemaker):
    expect_job(sagemaker)
    expect_create_model(sagemaker, error=EXISTS)
    expect_create_config(
        sagemaker, error='Cannot create already existing endpoint configuration "arn:x".'
    )
    expect_create_endpoint(sagemaker)
    assert handler.on_event(event("Create"))["Data"]["EndpointArn"] == ENDPOINT_ARN


def test_create_adopts_an_endpoint_already_on_our_config(sagemaker):
    expect_job(sagemaker)
    expect_create_model(sagemaker, error=EXISTS)
    expect_create_config(sagemaker, error=EXISTS)
    expect_create_endpoint(sagemaker, error='Cannot create already existing endpoint "arn:x".')
    expect_describe(sagemaker, "Creating", names()[1])
    assert handler.on_event(event("Create"))["PhysicalResourceId"] == ENDPOINT


def test_create_retries_while_the_new_config_is_not_yet_visible(sagemaker, monkeypatch):
    from model_endpoint import lifecycle

    sleeps = []
    monkeypatch.setattr(lifecycle.time, "sleep", sleeps.append)
    expect_job(sagemaker)
    expect_create_model(sagemaker)
    expect_create_config(sagemaker)
    missing = 'Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:1:x".'
    expect_create_endpoint(sagemaker, error=missing)
    expect_create_endpoint(sagemaker, error=missing)
    expect_create_endpoint(sagemaker)
    assert handler.on_event(event("Create"))["Data"]["EndpointArn"] == ENDPOINT_ARN
    assert sleeps == [2, 4]


def test_create_refuses_a_foreign_endpoint_and_discards_what_it_created(sagemaker):
    model, config = names()
    expect_job(sagemaker)
    expect_create_model(sagemaker)
    expect_create_config(sagemaker)
    expect_create_endpoint(sagemaker, error='Cannot create already existing endpoint "arn:x".')
    expect_describe(sagemaker, "InService", "someone-elses-config")
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", config)
    expect_delete(sagemaker, "delete_model", "ModelName", model)

    with pytest.raises(RuntimeError, match="already exists with config someone-elses-config"):
        handler.on_event(event("Create"))


def test_create_config_failure_discards_the_new_model(sagemaker):
    expect_job(sagemaker)
    expect_create_model(sagemaker)
    expect_create_config(sagemaker, error="KmsKeyId is not valid")
    expect_delete(sagemaker, "delete_model", "ModelName", names()[0])
    with pytest.raises(Exception, match="KmsKeyId is not valid"):
        handler.on_event(event("Create"))


def test_create_checks_the_best_candidate_name(sagemaker):
    expect_job(sagemaker, candidate="some-other-candidate")
    with pytest.raises(RuntimeError, match="best candidate is 'some-other-candidate'"):
        handler.on_event(event("Create"))


def test_create_with_a_candidate_without_containers_fails_clearly(sagemaker):
    expect_job(sagemaker, containers=None)
    with pytest.raises(ValueError, match="no inference containers"):
        handler.on_event(event("Create"))


def test_create_rejects_unsupported_keys_before_creating_anything(sagemaker):
    expect_job(sagemaker)
    props = dict(PROPS, InferenceResponseKeys=["predicted_label", "confidence"])
    with pytest.raises(ValueError, match="'confidence' is not supported by container 0"):
        handler.on_event(event("Create", props))


# is_complete for Create and Update


@pytest.mark.parametrize("status", ["Creating", "Updating", "SystemUpdating", "RollingBack"])
def test_is_complete_waits_while_the_endpoint_changes(sagemaker, status):
    expect_describe(sagemaker, status, names()[1])
    assert handler.is_complete(event("Create", PhysicalResourceId=ENDPOINT)) == {
        "IsComplete": False
    }


def test_is_complete_returns_data_when_in_service(sagemaker):
    model, config = names()
    expect_describe(sagemaker, "InService", config)
    result = handler.is_complete(event("Create", PhysicalResourceId=ENDPOINT))
    assert result["IsComplete"] is True
    assert result["Data"]["EndpointArn"] == ENDPOINT_ARN
    assert result["Data"]["ModelName"] == model


def test_is_complete_raises_the_failure_reason(sagemaker):
    expect_describe(sagemaker, "Failed", names()[1], reason="Image pull failed")
    with pytest.raises(RuntimeError, match=f"endpoint {ENDPOINT} failed: Image pull failed"):
        handler.is_complete(event("Create", PhysicalResourceId=ENDPOINT))


def test_is_complete_polls_again_when_throttled(sagemaker):
    sagemaker.add_client_error(
        "describe_endpoint", "ThrottlingException", "Rate exceeded", 400, None,
        {"EndpointName": ENDPOINT},
    )  # fmt: skip
    assert handler.is_complete(event("Create", PhysicalResourceId=ENDPOINT)) == {
        "IsComplete": False
    }


def test_is_complete_fails_when_the_endpoint_vanished(sagemaker):
    expect_describe(sagemaker, None)
    with pytest.raises(RuntimeError, match="not found"):
        handler.is_complete(event("Create", PhysicalResourceId=ENDPOINT))


# Update

NEW_SIZE = dict(PROPS, InstanceType="ml.m5.xlarge")
NEW_JOB = dict(PROPS, AutoMLJobName="apstudio-dev-automl-77aa01")


def update(props, old=PROPS, physical=ENDPOINT):
    return event("Update", props, OldResourceProperties=dict(old), PhysicalResourceId=physical)


def test_update_of_tags_only_tags_endpoint_config_and_model_in_place(sagemaker):
    # UpdateEndpoint is not needed and a reused model or config keeps its old tags.
    tags = [{"Key": "a", "Value": "b"}]
    model, config = names()
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
    expect_describe(sagemaker, "InService", config)
    sagemaker.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": config,
            "EndpointConfigArn": f"{arn}:endpoint-config/{config}",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": model}],
            "CreationTime": NOW,
        },
        {"EndpointConfigName": config},
    )
    sagemaker.add_response(
        "describe_model",
        {"ModelName": model, "ModelArn": f"{arn}:model/{model}", "CreationTime": NOW},
        {"ModelName": model},
    )
    for resource in (ENDPOINT_ARN, f"{arn}:endpoint-config/{config}", f"{arn}:model/{model}"):
        sagemaker.add_response("add_tags", {"Tags": tags}, {"ResourceArn": resource, "Tags": tags})
    result = handler.on_event(update(dict(PROPS, Tags=tags)))
    assert result["PhysicalResourceId"] == ENDPOINT
    assert result["Data"]["EndpointConfigName"] == config


def test_update_creates_a_new_config_and_updates_in_place(sagemaker):
    expect_job(sagemaker)
    expect_describe(sagemaker, "InService", names()[1])
    expect_create_model(sagemaker, NEW_SIZE, error=EXISTS)
    expect_create_config(sagemaker, NEW_SIZE)
    sagemaker.add_response(
        "update_endpoint",
        {"EndpointArn": ENDPOINT_ARN},
        {"EndpointName": ENDPOINT, "EndpointConfigName": names(NEW_SIZE)[1]},
    )
    result = handler.on_event(update(NEW_SIZE))
    assert result["PhysicalResourceId"] == ENDPOINT
    assert result["Data"]["EndpointConfigName"] == names(NEW_SIZE)[1]


def test_update_skips_update_endpoint_when_already_on_target(sagemaker):
    # Rolling back after a failed update: the endpoint never left the old config.
    expect_job(sagemaker)
    expect_describe(sagemaker, "InService", names()[1], reason="Update failed")
    expect_create_model(sagemaker, error=EXISTS)
    expect_create_config(sagemaker, error=EXISTS)
    assert handler.on_event(update(PROPS, old=NEW_SIZE))["PhysicalResourceId"] == ENDPOINT


def test_update_endpoint_failure_discards_the_new_config(sagemaker):
    expect_job(sagemaker)
    expect_describe(sagemaker, "Updating", names()[1])
    expect_create_model(sagemaker, NEW_SIZE, error=EXISTS)
    expect_create_config(sagemaker, NEW_SIZE)
    sagemaker.add_client_error(
        "update_endpoint", "ValidationException", "Cannot update in-progress endpoint", 400
    )
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", names(NEW_SIZE)[1])
    with pytest.raises(Exception, match="in-progress"):
        handler.on_event(update(NEW_SIZE))


def test_update_with_a_new_endpoint_name_creates_a_replacement(sagemaker):
    props = dict(PROPS, EndpointName="apstudio-dev-endpoint-v2")
    expect_job(sagemaker)
    model, config = names(props)
    params = {
        "ModelName": model,
        "Containers": wired_containers(),
        "ExecutionRoleArn": PROPS["RoleArn"],
    }
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{model}"
    sagemaker.add_response("create_model", {"ModelArn": arn}, params)
    expect_create_config(sagemaker, props)
    expect_create_endpoint(sagemaker, props)
    result = handler.on_event(update(props))
    assert result["PhysicalResourceId"] == "apstudio-dev-endpoint-v2"
    assert config != names()[1]


def test_replacement_is_complete_keeps_the_old_endpoints_config(sagemaker):
    props = dict(PROPS, EndpointName="apstudio-dev-endpoint-v2")
    expect_describe(sagemaker, "InService", names(props)[1], name="apstudio-dev-endpoint-v2")
    result = handler.is_complete(update(props, physical="apstudio-dev-endpoint-v2"))
    assert result["IsComplete"] is True


def test_update_is_complete_deletes_the_old_config_but_keeps_the_shared_model(sagemaker):
    expect_describe(sagemaker, "InService", names(NEW_SIZE)[1])
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", names()[1])
    result = handler.is_complete(update(NEW_SIZE))
    assert result["IsComplete"] is True
    assert result["Data"]["EndpointConfigName"] == names(NEW_SIZE)[1]


def test_update_is_complete_deletes_old_model_and_config_not_found_is_fine(sagemaker):
    expect_describe(sagemaker, "InService", names(NEW_JOB)[1])
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", names()[1], False)
    expect_delete(sagemaker, "delete_model", "ModelName", names()[0], False)
    assert handler.is_complete(update(NEW_JOB))["IsComplete"] is True


def test_update_is_complete_waits_for_the_switch(sagemaker):
    expect_describe(sagemaker, "InService", names()[1])
    assert handler.is_complete(update(NEW_SIZE)) == {"IsComplete": False}


def test_update_is_complete_raises_when_the_update_rolled_back(sagemaker):
    expect_describe(sagemaker, "InService", names()[1], reason="Insufficient capacity")
    with pytest.raises(RuntimeError, match=r"still on .*: Insufficient capacity"):
        handler.is_complete(update(NEW_SIZE))


# Delete


def expect_list(sagemaker, kind, pages, props=None):
    """Stub one paginated List* call sequence returning ``pages`` of names."""
    props = props or PROPS
    operation, key, name_key = {
        "c": ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        "m": ("list_models", "Models", "ModelName"),
    }[kind]
    arn_key = name_key.replace("Name", "Arn")
    contains = naming.name_filter(props["ResourceNamePrefix"], kind, props["EndpointName"])
    token = None
    for index, page in enumerate(pages):
        params = {"NameContains": contains}
        if token:
            params["NextToken"] = token
        token = f"token-{index}" if index < len(pages) - 1 else None
        items = [
            {name_key: n, arn_key: f"arn:aws:sagemaker:x:{n}", "CreationTime": NOW} for n in page
        ]
        response = {key: items}
        if token:
            response["NextToken"] = token
        sagemaker.add_response(operation, response, params)


def test_delete_deletes_the_endpoint(sagemaker):
    expect_schedules(sagemaker)
    expect_delete(sagemaker, "delete_endpoint", "EndpointName", ENDPOINT)
    result = handler.on_event(event("Delete", PhysicalResourceId=ENDPOINT))
    assert result == {"PhysicalResourceId": ENDPOINT}


def test_delete_of_a_missing_endpoint_is_done(sagemaker):
    expect_schedules(sagemaker)
    expect_delete(sagemaker, "delete_endpoint", "EndpointName", ENDPOINT, found=False)
    assert handler.on_event(event("Delete", PhysicalResourceId=ENDPOINT))


def test_delete_is_complete_waits_while_deleting(sagemaker):
    expect_schedules(sagemaker)
    expect_describe(sagemaker, "Deleting", names()[1])
    assert handler.is_complete(event("Delete", PhysicalResourceId=ENDPOINT)) == {
        "IsComplete": False
    }


def test_delete_is_complete_retries_a_deferred_delete(sagemaker):
    expect_schedules(sagemaker)
    expect_describe(sagemaker, "InService", names()[1])
    expect_delete(sagemaker, "delete_endpoint", "EndpointName", ENDPOINT)
    assert handler.is_complete(event("Delete", PhysicalResourceId=ENDPOINT)) == {
        "IsComplete": False
    }


def test_delete_is_complete_removes_every_generated_config_and_model(sagemaker):
    expect_schedules(sagemaker)
    model, config = names()
    other_model, other_config = names(NEW_JOB)
    look_alike = config + "0"
    foreign = naming.name_filter("apstudio-dev", "c", "other-endpoint") + "0123456789"
    expect_describe(sagemaker, None)
    expect_list(sagemaker, "c", [[config, look_alike], [other_config, foreign]])
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", config)
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", other_config, False)
    expect_list(sagemaker, "m", [[model], [other_model]])
    expect_delete(sagemaker, "delete_model", "ModelName", model, False)
    expect_delete(sagemaker, "delete_model", "ModelName", other_model)

    assert handler.is_complete(event("Delete", PhysicalResourceId=ENDPOINT)) == {"IsComplete": True}


def test_second_delete_finds_nothing_and_succeeds(sagemaker):
    expect_schedules(sagemaker)
    expect_delete(sagemaker, "delete_endpoint", "EndpointName", ENDPOINT, found=False)
    expect_schedules(sagemaker)
    expect_describe(sagemaker, None)
    expect_list(sagemaker, "c", [[]])
    expect_list(sagemaker, "m", [[]])
    delete = event("Delete", PhysicalResourceId=ENDPOINT)
    handler.on_event(delete)
    assert handler.is_complete(delete) == {"IsComplete": True}


def test_delete_after_a_failed_create_cleans_up_by_prefix(sagemaker):
    placeholder = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
    model, config = names()
    expect_describe(sagemaker, None)
    expect_list(sagemaker, "c", [[config]])
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", config)
    expect_list(sagemaker, "m", [[model]])
    expect_delete(sagemaker, "delete_model", "ModelName", model)
    delete = event("Delete", PhysicalResourceId=placeholder)
    assert handler.on_event(delete) == {"PhysicalResourceId": placeholder}
    assert handler.is_complete(delete) == {"IsComplete": True}


def test_delete_after_a_failed_create_keeps_what_a_same_named_endpoint_uses(sagemaker):
    model, config = names()
    stale_model, stale_config = names(NEW_JOB)
    expect_describe(sagemaker, "InService", config)
    sagemaker.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": config,
            "EndpointConfigArn": f"arn:{config}",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": model}],
            "CreationTime": NOW,
        },
        {"EndpointConfigName": config},
    )
    expect_list(sagemaker, "c", [[config, stale_config]])
    expect_delete(sagemaker, "delete_endpoint_config", "EndpointConfigName", stale_config)
    expect_list(sagemaker, "m", [[model, stale_model]])
    expect_delete(sagemaker, "delete_model", "ModelName", stale_model)
    delete = event(
        "Delete", PhysicalResourceId="AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
    )
    assert handler.is_complete(delete) == {"IsComplete": True}


def test_delete_is_complete_polls_again_when_throttled(sagemaker):
    expect_schedules(sagemaker)
    expect_describe(sagemaker, None)
    sagemaker.add_client_error("list_endpoint_configs", "ThrottlingException", "Rate exceeded", 400)
    assert handler.is_complete(event("Delete", PhysicalResourceId=ENDPOINT)) == {
        "IsComplete": False
    }


def test_delete_removes_every_schedule_on_the_endpoint_first(sagemaker):
    """A schedule blocks DeleteEndpoint, a hand-added one too; a Pending one must wait."""
    expect_schedules(
        sagemaker, [("apstudio-dev-data-quality", "Scheduled"), ("by-hand", "Pending")]
    )
    expect_delete(
        sagemaker,
        "delete_monitoring_schedule",
        "MonitoringScheduleName",
        "apstudio-dev-data-quality",
    )
    sagemaker.add_client_error(
        "delete_endpoint",
        "ValidationException",
        "Cannot delete endpoint: it has monitoring schedules",
        400,
        None,
        {"EndpointName": ENDPOINT},
    )
    delete = event("Delete", PhysicalResourceId=ENDPOINT)
    assert handler.on_event(delete) == {"PhysicalResourceId": ENDPOINT}

    # Still listed (one deleting, one Pending): no DeleteEndpoint yet.
    expect_schedules(
        sagemaker, [("apstudio-dev-data-quality", "Scheduled"), ("by-hand", "Pending")]
    )
    expect_delete(
        sagemaker,
        "delete_monitoring_schedule",
        "MonitoringScheduleName",
        "apstudio-dev-data-quality",
    )
    assert handler.is_complete(delete) == {"IsComplete": False}

    expect_schedules(sagemaker, [("by-hand", "Scheduled")])
    expect_delete(sagemaker, "delete_monitoring_schedule", "MonitoringScheduleName", "by-hand")
    assert handler.is_complete(delete) == {"IsComplete": False}

    expect_schedules(sagemaker)
    expect_describe(sagemaker, "InService", names()[1])
    expect_delete(sagemaker, "delete_endpoint", "EndpointName", ENDPOINT)
    assert handler.is_complete(delete) == {"IsComplete": False}
