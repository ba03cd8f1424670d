"""Bad configuration fails synth in one line naming the key, the value and what is allowed.

Settings-level tests here; tests/config/test_app_errors.py runs the app itself for a few.
"""

from __future__ import annotations

import botocore.session
import pytest

from config import ConfigError, aws_catalog, environment_names, load_settings, parse_settings

VALID = {"removal_policy": "destroy"}


def _error(raw: dict, env_name: str = "dev") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(env_name, {**VALID, **raw})
    (line,) = caught.value.problems
    assert "\n" not in line
    return line


def test_committed_environments_are_valid():
    for name in environment_names():
        settings = load_settings(name)
        assert settings.stack_name == f"AutopilotStudio-{name}"
    assert load_settings("prod").retains_data
    assert load_settings("prod").is_protected
    assert not load_settings("dev").retains_data
    assert not load_settings("dev").is_protected


def test_settings_are_frozen():
    settings = load_settings("dev")
    with pytest.raises(ValueError, match="frozen"):
        settings.automl.objective = "AUC"  # type: ignore[misc]


# Choosing an environment


@pytest.mark.parametrize("name", ["", "  "])
def test_empty_environment_lists_the_allowed_ones(name):
    with pytest.raises(ConfigError) as caught:
        load_settings(name)
    assert str(caught.value) == f"env = {name!r} (-c env=...): empty; allowed: dev, stage, prod"


def test_unknown_environment_lists_the_allowed_ones_and_the_nearest():
    with pytest.raises(ConfigError) as caught:
        load_settings("prd")
    assert str(caught.value) == (
        "env = 'prd' (-c env=...): no [prd] table in environments.toml; "
        "did you mean 'prod'? allowed: dev, stage, prod"
    )


def test_environment_names_come_from_the_toml_file(tmp_path):
    path = tmp_path / "environments.toml"
    path.write_text('[qa]\nremoval_policy = "destroy"\n\n[dev]\nremoval_policy = "destroy"\n')
    assert environment_names(path) == ("qa", "dev")
    assert load_settings("qa", path).resource_prefix == "apstudio-qa"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'removal_policy = "destroy"\n',
            "removal_policy = 'destroy': top-level keys of environments.toml are environments; "
            "allowed: a table, e.g. [removal_policy] with removal_policy = 'destroy'",
        ),
        (
            '[QA]\nremoval_policy = "destroy"\n',
            "[QA] in environments.toml: not a usable environment name (it goes into stack, "
            "bucket and job names); allowed: 1-11 lowercase letters, digits and single "
            "hyphens, starting with a letter, e.g. [qa]",
        ),
        ("[dev\n", "environments.toml: not valid TOML: Expected ']'"),
    ],
)
def test_malformed_environment_files_are_one_line(tmp_path, text, expected):
    path = tmp_path / "environments.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        environment_names(path)
    assert str(caught.value).startswith(expected)


def test_missing_environments_file_is_one_line(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings("dev", missing)
    assert str(caught.value) == (
        f"environments_file = {str(missing)!r}: No such file or directory; allowed: a "
        "readable TOML file, by default config/environments.toml"
    )


def test_a_name_key_cannot_rename_the_environment():
    message = _error({"name": "prod"})
    assert message.startswith("dev.name = 'prod': unknown key (the table's name is the")


# Generic validation: unknown keys, types, ranges, literals


# Each bad value fails in one line that names the key, the value and what is allowed.
ONE_LINE_ERRORS = {
    "unknown-key-suggests-the-nearest-and-lists-the-allowed-keys": (
        {"automl": {"max_candidate": 5}},
        "dev.automl.max_candidate = 5: unknown key; did you mean 'max_candidates'? allowed "
        "keys here: mode, problem_type, objective, max_candidates, "
        "max_runtime_per_training_job_seconds, max_job_runtime_seconds",
    ),
    "wrong-type-names-key-and-value": (
        {"endpoint": {"capture_sampling_percentage": "50"}},
        "dev.endpoint.capture_sampling_percentage = '50': input should be a valid integer",
    ),
    "value-out-of-range-names-the-bound": (
        {"endpoint": {"capture_sampling_percentage": 150}},
        "dev.endpoint.capture_sampling_percentage = 150: input should be less than or equal to 100",
    ),
    "literal-value-lists-the-allowed-values": (
        {"automl": {"mode": "FAST"}},
        "dev.automl.mode = 'FAST': input should be 'ENSEMBLING', 'HYPERPARAMETER_TUNING' or 'AUTO'",
    ),
    "instance-type-typo-suggests-the-nearest-and-lists-the-family": (
        {"endpoint": {"instance_type": "ml.m5.larg"}},
        "dev.endpoint.instance_type = 'ml.m5.larg': not a SageMaker real-time endpoint "
        "instance type; did you mean 'ml.m5.large'? allowed: ml.m5.large, ml.m5.xlarge, "
        "ml.m5.2xlarge, ml.m5.4xlarge, ml.m5.12xlarge, ml.m5.24xlarge",
    ),
    "vpc-only-is-refused-with-the-dedicated-vpc": (
        {"studio": {"app_network_access_type": "VpcOnly"}},
        "dev.studio.app_network_access_type = 'VpcOnly': the dedicated VPC has no NAT gateway "
        "and no VPC endpoints, so Studio apps could reach nothing; allowed: "
        "'PublicInternetOnly' with network.mode = 'dedicated'; 'VpcOnly' with network.mode = "
        "'existing' and subnets that reach the SageMaker API and runtime, STS, S3 and "
        "CloudWatch Logs (NAT or VPC endpoints)",
    ),
    "max-candidates-is-refused-where-autopilot-ignores-it": (
        {"automl": {"mode": "ENSEMBLING", "max_candidates": 10}},
        "dev.automl.max_candidates = 10: Autopilot ignores it in mode 'ENSEMBLING' (it runs "
        "its own 10 trials); allowed: unset with 'ENSEMBLING', or mode "
        "'HYPERPARAMETER_TUNING' or 'AUTO'",
    ),
    "time-budget-over-the-wait-condition-cap-names-the-limit": (
        {"automl": {"max_job_runtime_seconds": 43_200}},
        "dev.automl.max_job_runtime_seconds = 43200: with the 1800 s wait margin it exceeds "
        "CloudFormation's 43200 s (12 h) wait-condition limit; allowed: 600 to 41400",
    ),
    "objective-must-fit-the-problem-type": (
        {"automl": {"problem_type": "Regression", "objective": "F1"}},
        "dev.automl.objective = 'F1': does not fit problem_type 'Regression'; "
        "allowed: MSE, RMSE, MAE, R2",
    ),
    "reserved-tag-prefix-is-rejected": (
        {"tags": {"aws:owner": "me"}},
        "dev.tags.aws:owner = 'me': the 'aws:' prefix is reserved for AWS; allowed: any other key",
    ),
}


@pytest.mark.parametrize(("raw", "message"), ONE_LINE_ERRORS.values(), ids=ONE_LINE_ERRORS)
def test_bad_value_fails_in_one_line(raw, message):
    assert _error(raw) == message


def test_missing_removal_policy_lists_the_allowed_values():
    with pytest.raises(ConfigError) as caught:
        parse_settings("dev", {})
    assert str(caught.value) == (
        "dev.removal_policy: required key is missing; allowed: 'destroy' or 'retain'"
    )


def test_every_problem_is_its_own_line():
    with pytest.raises(ConfigError) as caught:
        parse_settings("dev", {**VALID, "automl": {"mode": "FAST"}, "region": "us-east-9"})
    assert [line.split(" = ")[0] for line in caught.value.problems] == [
        "dev.region",
        "dev.automl.mode",
    ]


# AWS's own lists


def test_instance_type_the_old_pattern_accepted_lists_the_families():
    message = _error({"endpoint": {"instance_type": "ml.foo.bar"}})
    assert message.startswith(
        "dev.endpoint.instance_type = 'ml.foo.bar': not a SageMaker real-time endpoint "
        "instance type; allowed: a SageMaker ProductionVariantInstanceType; families: ml.c4, "
    )
    assert "ml.m5, ml.m5d," in message


def test_instance_types_and_regions_are_botocores_own():
    session = botocore.session.get_session()
    shape = session.get_service_model("sagemaker").shape_for("ProductionVariantInstanceType")
    assert aws_catalog.endpoint_instance_types() == tuple(shape.enum)
    sagemaker_regions = {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sagemaker", partition)
    }
    assert sagemaker_regions <= set(aws_catalog.regions())
    assert {"us-east-1", "cn-north-1", "us-gov-west-1"} <= set(aws_catalog.regions())


def test_every_botocore_endpoint_instance_type_is_accepted():
    for instance_type in aws_catalog.endpoint_instance_types():
        parse_settings("dev", {**VALID, "endpoint": {"instance_type": instance_type}})


@pytest.mark.parametrize(
    ("region", "hint"),
    [("us-east-9", "did you mean 'us-east-1' or 'us-east-2'? "), ("xx-nowhere-7", "")],
)
def test_region_outside_botocores_partitions_is_rejected(region, hint):
    message = _error({"region": region})
    assert message.startswith(
        f"dev.region = {region!r}: not a region in botocore's partition data; {hint}allowed: "
        "af-south-1, "
    )
    assert "cn-north-1" in message and "us-gov-west-1" in message
    assert "aws-global" not in message


def test_regions_of_every_partition_are_accepted():
    for region in ("us-east-1", "eu-central-2", "cn-northwest-1", "us-gov-east-1"):
        assert parse_settings("dev", {**VALID, "region": region}).region == region


# Cross-field rules


def test_vpc_only_is_accepted_with_an_existing_vpc():
    settings = parse_settings(
        "dev",
        {
            **VALID,
            "network": {
                "mode": "existing",
                "vpc_id": "vpc-0123456789abcdef0",
                "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            },
            "studio": {"app_network_access_type": "VpcOnly"},
        },
    )
    assert settings.studio.app_network_access_type == "VpcOnly"


@pytest.mark.parametrize(
    ("instance_type", "alternative"),
    [
        ("ml.m5d.large", "ml.m5.large"),
        ("ml.c6gd.xlarge", "ml.c6g.xlarge"),
        ("ml.g4dn.xlarge", "ml.m5.large"),
        ("ml.g5.xlarge", "ml.m5.large"),
        ("ml.p4d.24xlarge", "ml.m5.large"),
    ],
)
def test_customer_managed_key_refuses_instance_storage(instance_type, alternative):
    raw = {
        "encryption": {"customer_managed_key": True},
        "endpoint": {"instance_type": instance_type},
    }
    assert _error(raw) == (
        f"dev.endpoint.instance_type = {instance_type!r}: its NVMe instance storage is "
        "encrypted by the instance's hardware, never by the customer-managed key "
        "(CreateEndpointConfig refuses or ignores KmsKeyId there); allowed: an EBS-backed "
        f"type with encryption.customer_managed_key = true, e.g. {alternative!r}, or "
        "customer_managed_key = false"
    )


@pytest.mark.parametrize("instance_type", ["ml.m5.large", "ml.c5.xlarge", "ml.inf2.xlarge"])
def test_customer_managed_key_accepts_ebs_backed_types(instance_type):
    parse_settings(
        "dev",
        {
            **VALID,
            "encryption": {"customer_managed_key": True},
            "endpoint": {"instance_type": instance_type},
        },
    )


def test_instance_storage_without_a_customer_managed_key_is_fine():
    parse_settings("dev", {**VALID, "endpoint": {"instance_type": "ml.m5d.large"}})


def test_local_storage_rule_follows_ec2_naming_and_the_listed_families():
    local = {
        name
        for name in aws_catalog.endpoint_instance_types()
        if aws_catalog.has_local_storage(name)
    }
    families = {aws_catalog.family(name) for name in local}
    assert {"m5d", "c5d", "r5d", "c6gd", "m6gd", "r6gd", "g4dn", "p4d", "g5", "trn1"} <= families
    assert not families & {"m5", "c5", "r5", "t2", "p3", "inf1", "inf2", "c6gn", "c6in"}


def test_response_keys_as_one_string_list_what_is_allowed():
    raw = {"endpoint": {"inference_response_keys": "predicted_label,probability"}}
    assert _error(raw) == (
        "dev.endpoint.inference_response_keys = 'predicted_label,probability': must be a "
        "list, not one string; allowed: a list of 'predicted_label', 'probability', "
        "'probabilities', 'labels', e.g. ['predicted_label', 'probability']"
    )


def test_response_keys_listed_twice_are_refused():
    raw = {"endpoint": {"inference_response_keys": ["probability", "probability"]}}
    assert _error(raw).startswith(
        "dev.endpoint.inference_response_keys = ['probability', 'probability']: lists "
        "'probability' twice; allowed: a list of"
    )


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (["probabilty"], "'probabilty' is not a key; did you mean 'probability'? "),
        (["score"], "'score' is not a key; "),
        ([], "empty; "),
    ],
)
def test_unknown_or_missing_response_keys_list_the_allowed_ones(keys, problem):
    assert _error({"endpoint": {"inference_response_keys": keys}}) == (
        f"dev.endpoint.inference_response_keys = {keys!r}: {problem}allowed: a list of "
        "'predicted_label', 'probability', 'probabilities', 'labels', e.g. "
        "['predicted_label', 'probability']"
    )


def test_regression_serves_only_predicted_label():
    raw = {"automl": {"problem_type": "Regression", "objective": "MSE"}}
    assert _error(raw) == (
        "dev.endpoint.inference_response_keys = ['predicted_label', 'probability']: a "
        "Regression model returns only its prediction (one container in ensembling, two in "
        "HPO: feature transform and regressor); allowed: ['predicted_label']"
    )
    for mode in ("ENSEMBLING", "HYPERPARAMETER_TUNING", "AUTO"):
        settings = parse_settings(
            "dev",
            {
                **VALID,
                "automl": {**raw["automl"], "mode": mode},
                "endpoint": {"inference_response_keys": ["predicted_label"]},
            },
        )
        assert settings.endpoint.inference_response_keys == ("predicted_label",)


def test_inferred_problem_type_serves_only_predicted_label():
    raw = {"automl": {"problem_type": None, "objective": None}}
    assert _error(raw) == (
        "dev.endpoint.inference_response_keys = ['predicted_label', 'probability']: "
        "automl.problem_type is unset, so Autopilot may infer Regression, whose models "
        "return only predicted_label; allowed: ['predicted_label'], or set "
        "automl.problem_type and objective"
    )


@pytest.mark.parametrize("mode", ["ENSEMBLING", "HYPERPARAMETER_TUNING", "AUTO"])
@pytest.mark.parametrize("problem_type", ["BinaryClassification", "MulticlassClassification"])
def test_classification_serves_all_four_keys_in_every_mode(mode, problem_type):
    objective = "Accuracy"
    keys = ["predicted_label", "probability", "probabilities", "labels"]
    parse_settings(
        "dev",
        {
            **VALID,
            "automl": {"mode": mode, "problem_type": problem_type, "objective": objective},
            "endpoint": {"inference_response_keys": keys},
        },
    )


@pytest.mark.parametrize("mode", ["HYPERPARAMETER_TUNING", "AUTO"])
def test_max_candidates_is_accepted_where_autopilot_honours_it(mode):
    settings = parse_settings("dev", {**VALID, "automl": {"mode": mode, "max_candidates": 25}})
    assert settings.automl.max_candidates == 25


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("max_job_runtime_seconds", 1830, "e.g. 1800 or 1860"),
        ("max_runtime_per_training_job_seconds", 899, "e.g. 840 or 900"),
    ],
)
def test_budgets_are_whole_poll_intervals(key, value, allowed):
    assert _error({"automl": {key: value}}) == (
        f"dev.automl.{key} = {value}: not a whole number of the 60 s poll interval; "
        f"allowed: a multiple of 60, {allowed}"
    )


def test_multi_hour_hpo_budget_is_accepted():
    raw = {"mode": "HYPERPARAMETER_TUNING", "max_job_runtime_seconds": 41_400}
    settings = parse_settings("dev", {**VALID, "automl": {**raw, "max_candidates": 250}})
    assert settings.automl.max_job_runtime_seconds == 41_400


def test_training_job_cannot_outlast_the_automl_job():
    raw = {"automl": {"max_runtime_per_training_job_seconds": 1200}}
    assert _error({**raw, "automl": {**raw["automl"], "max_job_runtime_seconds": 900}}) == (
        "dev.automl.max_runtime_per_training_job_seconds = 1200: a training job cannot outlast "
        "the whole AutoML job; allowed: at most max_job_runtime_seconds (900)"
    )


def test_problem_type_and_objective_go_together():
    assert _error({"automl": {"problem_type": None, "objective": "F1"}}).startswith(
        "dev.automl.objective = 'F1': problem_type and objective must be set together"
    )


@pytest.mark.parametrize("key", ["target_attribute", "positive_class"])
def test_blank_dataset_names_are_refused(key):
    assert _error({"dataset": {key: " "}}).startswith(
        f"dev.dataset.{key} = ' ': blank; allowed: a column name from the CSV header"
    )


def test_existing_network_needs_vpc_and_subnets():
    raw = {"network": {"mode": "existing", "vpc_id": "vpc-0123456789abcdef0"}}
    assert _error(raw) == (
        "dev.network.subnet_ids = []: network.mode 'existing' needs the subnets for Studio; "
        "allowed: ['subnet-...', 'subnet-...']"
    )


# Protected environments


def test_prod_cannot_switch_to_destroy_by_accident():
    with pytest.raises(ConfigError) as caught:
        parse_settings("prod", {"removal_policy": "destroy"})
    assert str(caught.value) == (
        "prod.removal_policy = 'destroy': 'prod' is protected, and 'destroy' lets `cdk "
        "destroy` delete its data bucket, access-log bucket and KMS key; allowed: 'retain', "
        "or 'destroy' with prod.acknowledge_data_deletion = 'prod'"
    )


def test_a_protected_environment_needs_an_acknowledgement_naming_itself():
    raw = {"removal_policy": "destroy", "protected": True, "acknowledge_data_deletion": "dev"}
    with pytest.raises(ConfigError, match=r"^qa.removal_policy = 'destroy': 'qa' is protected"):
        parse_settings("qa", raw)
    settings = parse_settings("qa", {**raw, "acknowledge_data_deletion": "qa"})
    assert settings.is_protected and not settings.retains_data


def test_a_stale_acknowledgement_is_refused():
    with pytest.raises(ConfigError) as caught:
        parse_settings("prod", {"removal_policy": "retain", "acknowledge_data_deletion": "prod"})
    assert str(caught.value).startswith(
        "prod.acknowledge_data_deletion = 'prod': only a protected environment with "
        "removal_policy = 'destroy' needs it"
    )


def test_prod_cannot_be_unprotected():
    with pytest.raises(ConfigError) as caught:
        parse_settings("prod", {"removal_policy": "retain", "protected": False})
    assert str(caught.value) == (
        "prod.protected = False: an environment named 'prod' is always protected; "
        "allowed: true, or leave it out"
    )


def test_a_deployment_that_outlasts_sagemakers_limit_is_refused():
    raw = {
        "removal_policy": "destroy",
        "endpoint": {
            "initial_instance_count": 2,
            "deployment": {
                "strategy": "linear",
                "linear_step_percent": 10,
                "wait_seconds": 3600,
                "baking_seconds": 3600,
            },
        },
    }
    assert _error(raw) == (
        "dev.endpoint.deployment.wait_seconds = 3600: 9 traffic steps of it and "
        "baking_seconds = 3600 wait 36000 s; with an hour to provision, an update would "
        "outlast SageMaker's 28800 s deployment limit; allowed: at most 2400 with these steps "
        "and baking, or fewer steps (a larger linear_step_percent)"
    )
    raw["endpoint"]["deployment"]["wait_seconds"] = 2400
    parse_settings("dev", raw)
