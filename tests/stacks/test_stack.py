"""Fine-grained assertions on what each environment's template promises."""

from __future__ import annotations

import json

import pytest

from components.projects import SERVICE_CATALOG_MANAGED_POLICIES
from projects_enablement import roles

STATEFUL_LOGICAL_IDS = {
    "DataBucket": "AWS::S3::Bucket",
    "StudioDomain": "AWS::SageMaker::Domain",
    "StudioDefaultUserProfile": "AWS::SageMaker::UserProfile",
}


def _statements(env, role_logical_prefix: str) -> list[dict]:
    statements = []
    for policy in env.resources("AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"].get("Roles", []))
        if role_logical_prefix in roles:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def test_stateful_resources_keep_their_pinned_logical_ids(env):
    for logical_id, resource_type in STATEFUL_LOGICAL_IDS.items():
        assert env.template["Resources"][logical_id]["Type"] == resource_type


def test_domain_uses_iam_auth_new_studio_ui_and_the_execution_role(env):
    domain = env.template["Resources"]["StudioDomain"]["Properties"]
    assert domain["AuthMode"] == "IAM"
    assert domain["AppNetworkAccessType"] == "PublicInternetOnly"
    settings = domain["DefaultUserSettings"]
    assert settings["StudioWebPortal"] == "ENABLED"
    assert settings["DefaultLandingUri"] == "studio::"
    assert settings["ExecutionRole"] == {"Fn::GetAtt": [_execution_role_id(env), "Arn"]}
    assert domain["VpcId"] and len(domain["SubnetIds"]) == 2


def test_domain_tags_are_fixed_and_ignore_config_tags(env):
    tags = env.template["Resources"]["StudioDomain"]["Properties"]["Tags"]
    assert tags == [{"Key": "autopilot-studio:environment", "Value": env.settings.name}]


def test_canvas_is_hidden_unless_enabled(env):
    settings = env.template["Resources"]["StudioDomain"]["Properties"]["DefaultUserSettings"]
    hidden = settings.get("StudioWebPortalSettings", {}).get("HiddenAppTypes", [])
    assert ("Canvas" in hidden) is not env.settings.studio.canvas_enabled


def test_default_user_profile_belongs_to_the_domain(env):
    profile = env.template["Resources"]["StudioDefaultUserProfile"]["Properties"]
    assert profile["DomainId"] == {"Fn::GetAtt": ["StudioDomain", "DomainId"]}
    assert profile["UserProfileName"] == env.settings.studio.user_profile_name


def _execution_role_id(env) -> str:
    for logical_id, role in env.resources("AWS::IAM::Role").items():
        trust = json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
        if "sagemaker.amazonaws.com" in trust:
            return logical_id
    raise AssertionError("no SageMaker execution role")


def test_execution_role_is_quick_start_style(env):
    role = env.template["Resources"][_execution_role_id(env)]["Properties"]
    managed = json.dumps(role["ManagedPolicyArns"])
    assert "policy/AmazonSageMakerFullAccess" in managed
    assert ("AmazonSageMakerCanvasFullAccess" in managed) is env.settings.studio.canvas_enabled


def test_execution_role_can_read_and_write_the_bucket(env):
    statements = _statements(env, _execution_role_id(env))
    s3 = [s for s in statements if any(a.startswith("s3:PutObject") for a in _actions(s))]
    assert s3
    assert {"Fn::GetAtt": ["DataBucket", "Arn"]} in s3[0]["Resource"]


def test_bucket_name_contains_sagemaker_and_is_locked_down(env):
    bucket = env.template["Resources"]["DataBucket"]
    props = bucket["Properties"]
    assert "sagemaker" in json.dumps(props["BucketName"])
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    policy = next(
        p["Properties"]["PolicyDocument"]
        for p in env.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "DataBucket"}
    )
    deny_insecure = [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert deny_insecure


def test_bucket_removal_follows_the_environment(env):
    bucket = env.template["Resources"]["DataBucket"]
    auto_delete = env.resources("Custom::S3AutoDeleteObjects")
    if env.settings.retains_data:
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
        assert not auto_delete
    else:
        assert bucket["DeletionPolicy"] == "Delete"
        assert "VersioningConfiguration" not in bucket["Properties"]
        assert auto_delete


def test_dedicated_vpc_has_two_isolated_subnets_and_no_nat(env):
    assert len(env.resources("AWS::EC2::Subnet")) == 2
    assert not env.resources("AWS::EC2::NatGateway")
    assert not env.resources("AWS::EC2::InternetGateway")
    for subnet in env.resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_nfs_is_open_only_inside_the_domain_security_group(env):
    rules = env.resources("AWS::EC2::SecurityGroupIngress")
    nfs = [r["Properties"] for r in rules.values() if r["Properties"].get("FromPort") == 2049]
    assert len(nfs) == 1
    assert nfs[0]["SourceSecurityGroupId"] == nfs[0]["GroupId"]
    groups = env.resources("AWS::EC2::SecurityGroup")
    for group in groups.values():
        assert not group["Properties"].get("SecurityGroupIngress")


def test_no_context_lookups_availability_zones_resolve_at_deploy(env):
    subnet = next(iter(env.resources("AWS::EC2::Subnet").values()))
    assert "Fn::GetAZs" in json.dumps(subnet["Properties"]["AvailabilityZone"])


@pytest.mark.parametrize(
    "resource_type",
    [
        "Custom::SageMakerProjectsEnablement",
        "Custom::StudioAppsCleanup",
        "Custom::StudioHomeCleanup",
        "Custom::TrainingDataset",
        "Custom::AutoMLJob",
        "Custom::AutoMLJobResult",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
    ],
)
def test_custom_resources_are_present(env, resource_type):
    assert len(env.resources(resource_type)) == 1


def _depends_on(env, logical_id: str) -> set[str]:
    depends = env.template["Resources"][logical_id].get("DependsOn", [])
    return set([depends] if isinstance(depends, str) else depends)


def _only_id(env, resource_type: str) -> str:
    (logical_id,) = env.resources(resource_type)
    return logical_id


def test_cleanup_brackets_the_domain(env):
    home = _only_id(env, "Custom::StudioHomeCleanup")
    apps = _only_id(env, "Custom::StudioAppsCleanup")
    assert home in _depends_on(env, "StudioDomain")
    assert "StudioDefaultUserProfile" in _depends_on(env, apps)
    apps_props = env.template["Resources"][apps]["Properties"]
    assert apps_props["DomainId"] == {"Fn::GetAtt": ["StudioDomain", "DomainId"]}


def test_bucket_writers_are_deleted_before_the_bucket_is_emptied(env):
    auto_delete = env.resources("Custom::S3AutoDeleteObjects")
    if env.settings.retains_data:
        assert not auto_delete  # nothing empties a retained bucket
        return
    (auto_delete_id,) = auto_delete
    writers = ["Custom::TrainingDataset", "Custom::AutoMLJob", "AWS::SageMaker::Endpoint"]
    if env.settings.monitor.enabled:
        writers += ["AWS::Lambda::Function"]
    for writer in writers:
        for logical_id in env.resources(writer):
            if writer != "AWS::Lambda::Function" or logical_id.startswith("MonitorFunction"):
                assert auto_delete_id in _depends_on(env, logical_id), logical_id


def test_automl_job_defaults(env):
    job = env.only("Custom::AutoMLJob")["Properties"]
    assert job["TargetAttribute"] == "y"
    assert job["Mode"] == env.settings.automl.mode
    assert job["ProblemType"] == "BinaryClassification"
    assert job["Objective"] == "F1"
    (wait,) = env.resources("AWS::CloudFormation::WaitCondition").values()
    assert int(job["MaxAutoMLJobRuntimeInSeconds"]) + 1800 == int(wait["Properties"]["Timeout"])
    assert int(wait["Properties"]["Timeout"]) <= 43_200
    # The custom resource only starts the job: it stays within the one-hour cap.
    assert job["ServiceTimeout"] == "3600"


def test_endpoint_serves_the_model_on_m5_large_and_captures_input_and_output(env):
    config = env.only("AWS::SageMaker::EndpointConfig")["Properties"]
    assert "EndpointConfigName" not in config  # generated: a change makes a new one
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == "ml.m5.large"
    assert variant["InitialInstanceCount"] == env.settings.endpoint.initial_instance_count
    assert variant["ModelName"] == {
        "Fn::GetAtt": [_only_id(env, "Custom::AutoMLJobResult"), "ModelName"]
    }
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    assert capture["CaptureContentTypeHeader"] == {"CsvContentTypes": ["text/csv"]}
    assert "datacapture" in json.dumps(capture["DestinationS3Uri"])
    assert 0 < capture["InitialSamplingPercentage"] <= 100
    endpoint = env.only("AWS::SageMaker::Endpoint")["Properties"]
    assert endpoint["EndpointName"] == f"apstudio-{env.settings.name}-endpoint"
    assert endpoint["EndpointConfigName"] == {
        "Fn::GetAtt": [_only_id(env, "AWS::SageMaker::EndpointConfig"), "EndpointConfigName"]
    }
    result = env.only("Custom::AutoMLJobResult")["Properties"]
    assert result["InferenceResponseKeys"] == ["predicted_label", "probability"]
    assert result["RoleArn"] == {"Fn::GetAtt": [_execution_role_id(env), "Arn"]}


def test_handlers_use_the_newest_python_runtime(env):
    functions = env.resources("AWS::Lambda::Function")
    ours = [f for f in functions.values() if f["Properties"]["Handler"].count(".") == 2]
    assert len(ours) >= 8
    for function in ours:
        props = function["Properties"]
        assert props["Runtime"] == "python3.14"
        # Custom-resource handlers answer well within CloudFormation's hour; the scheduled
        # monitor may use Lambda's whole 15 minutes.
        limit = 15 * 60 if props["Handler"].startswith("drift_monitor.") else 14 * 60
        assert props["Timeout"] <= limit


def test_pass_role_is_limited_to_the_execution_role_and_sagemaker(env):
    role_id = _execution_role_id(env)
    found = 0
    for policy in env.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "iam:PassRole" in _actions(statement):
                found += 1
                assert statement["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
                assert statement["Condition"] == {
                    "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
                }
    assert found >= 1


def test_outputs_tell_the_user_what_to_do_next(env):
    outputs = env.template["Outputs"]
    for key in (
        "StudioDomainId",
        "StudioDomainUrl",
        "EndpointName",
        "DataCaptureS3Uri",
        "AutoMLJobName",
        "BestCandidateObjectiveMetric",
        "HoldoutDataS3Uri",
    ):
        assert key in outputs
    assert outputs["EndpointName"]["Value"] == f"apstudio-{env.settings.name}-endpoint"


def test_projects_policy_allows_exactly_the_policies_the_handler_attaches():
    attached = {policy for spec in roles.ROLE_SPECS for policy in spec.managed_policies}
    assert attached == set(SERVICE_CATALOG_MANAGED_POLICIES)


def _encryption_key_id(env) -> str | None:
    keys = env.resources("AWS::KMS::Key")
    return next(iter(keys)) if keys else None


def test_customer_managed_key_encrypts_every_data_path(env):
    key_id = _encryption_key_id(env)
    if not env.settings.encryption.customer_managed_key:
        assert key_id is None
        assert env.only("Custom::AutoMLJob")["Properties"]["KmsKeyId"] == ""
        assert "KmsKeyId" not in env.only("AWS::SageMaker::EndpointConfig")["Properties"]
        return
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    key = env.template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == ("Retain" if env.settings.retains_data else "Delete")
    bucket_encryption = env.template["Resources"]["DataBucket"]["Properties"]["BucketEncryption"]
    rule = bucket_encryption["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key_arn
    assert env.template["Resources"]["StudioDomain"]["Properties"]["KmsKeyId"] == key_arn
    assert env.only("Custom::AutoMLJob")["Properties"]["KmsKeyId"] == key_arn
    config = env.only("AWS::SageMaker::EndpointConfig")["Properties"]
    assert config["KmsKeyId"] == key_arn
    assert config["DataCaptureConfig"]["KmsKeyId"] == key_arn


def test_prod_keeps_its_data_on_destroy(synthesized):
    prod = synthesized["prod"]
    assert prod.template["Resources"]["DataBucket"]["DeletionPolicy"] == "Retain"
    assert prod.template["Resources"]["DataBucket"]["UpdateReplacePolicy"] == "Retain"
    assert prod.only("Custom::TrainingDataset")["Properties"]["RetainOnDelete"] == "true"
    dev = synthesized["dev"]
    assert dev.only("Custom::TrainingDataset")["Properties"]["RetainOnDelete"] == "false"
