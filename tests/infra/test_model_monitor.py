"""Model Monitor in the template, and its settings: one-line errors at synth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ConfigError
from config.model_monitor_images import analyzer_image
from config.settings import parse_settings
from tests.infra.synth import TEST_REGION

ROOT = Path(__file__).resolve().parents[2]

VALID = {"removal_policy": "destroy"}


def _monitored(env):
    if not env.settings.monitor.enabled:
        pytest.skip(f"{env.settings.name} has monitoring off")


def _only(env, resource_type):
    ((logical_id, resource),) = env.resources(resource_type).items()
    return logical_id, resource


def test_job_definition_reads_the_endpoints_capture_against_the_baseline(env):
    _monitored(env)
    endpoint_id, _ = _only(env, "Custom::ModelEndpoint")
    baseline_id, _ = _only(env, "Custom::ModelMonitorBaseline")
    _, definition = _only(env, "AWS::SageMaker::DataQualityJobDefinition")
    props = definition["Properties"]
    endpoint_input = props["DataQualityJobInput"]["EndpointInput"]
    assert endpoint_input["EndpointName"] == {"Fn::GetAtt": [endpoint_id, "EndpointName"]}
    assert endpoint_input["LocalPath"].startswith("/opt/ml/processing/input")
    baseline = props["DataQualityBaselineConfig"]
    assert baseline["ConstraintsResource"]["S3Uri"] == {
        "Fn::GetAtt": [baseline_id, "ConstraintsS3Uri"]
    }
    assert baseline["StatisticsResource"]["S3Uri"] == {
        "Fn::GetAtt": [baseline_id, "StatisticsS3Uri"]
    }
    image = analyzer_image(env.settings.region or TEST_REGION).uri
    assert props["DataQualityAppSpecification"]["ImageUri"] == image
    assert props["JobResources"]["ClusterConfig"]["InstanceType"] == (
        env.settings.monitor.instance_type
    )
    # Replaced on any change: the name carries a hash of the inputs and of the baseline.
    name = props["JobDefinitionName"]["Fn::Join"]
    assert name[1][1] == {"Fn::GetAtt": [baseline_id, "Digest"]}


def test_baseline_and_reports_live_in_the_bucket(env):
    _monitored(env)
    _, baseline = _only(env, "Custom::ModelMonitorBaseline")
    bucket = {"Ref": "DataBucket"}
    assert baseline["Properties"]["OutputUri"] == {
        "Fn::Join": ["", ["s3://", bucket, "/monitoring/baseline"]]
    }
    dataset_id, _ = _only(env, "Custom::TrainingDataset")
    assert baseline["Properties"]["BaselineDatasetUri"] == {
        "Fn::GetAtt": [dataset_id, "BaselineUri"]
    }
    _, definition = _only(env, "AWS::SageMaker::DataQualityJobDefinition")
    (output,) = definition["Properties"]["DataQualityJobOutputConfig"]["MonitoringOutputs"]
    assert output["S3Output"]["S3Uri"] == {
        "Fn::Join": ["", ["s3://", bucket, "/monitoring/reports"]]
    }


def test_schedule_depends_on_the_endpoint_so_it_is_deleted_first(env):
    _monitored(env)
    endpoint_id, _ = _only(env, "Custom::ModelEndpoint")
    _, schedule = _only(env, "AWS::SageMaker::MonitoringSchedule")
    assert endpoint_id in schedule["DependsOn"]
    config = schedule["Properties"]["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == (
        env.settings.monitor.schedule_expression
    )
    assert (
        env.template["Outputs"]["MonitoringScheduleName"]["Value"]
        == (schedule["Properties"]["MonitoringScheduleName"])
    )


def test_violations_reach_the_alert_topic(env):
    _monitored(env)
    schedule_id, _ = _only(env, "AWS::SageMaker::MonitoringSchedule")
    topic_id, topic = _only(env, "AWS::SNS::Topic")
    _, rule = _only(env, "AWS::Events::Rule")
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["SageMaker Processing Job State Change"]
    assert pattern["detail"]["MonitoringScheduleArn"] == [
        {"Fn::GetAtt": [schedule_id, "MonitoringScheduleArn"]}
    ]
    assert pattern["detail"]["ExitMessage"] == [{"prefix": "CompletedWithViolations"}]
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": topic_id}
    (policy,) = env.resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    encrypted = "KmsMasterKeyId" in topic["Properties"]
    assert encrypted == env.settings.encryption.customer_managed_key


def test_baseline_handler_may_only_touch_its_own_processing_jobs(env):
    _monitored(env)
    statements = []
    for policy in env.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if "sagemaker:CreateProcessingJob" in actions:
                statements.append(statement)
    (statement,) = statements
    prefix = f"processing-job/apstudio-{env.settings.name}-baseline-*"
    assert prefix in json.dumps(statement["Resource"])


def _error(raw):
    with pytest.raises(ConfigError) as caught:
        parse_settings("dev", {**VALID, "monitor": raw})
    (line,) = caught.value.problems
    assert "\n" not in line
    return line


def test_unknown_processing_instance_type_is_one_line():
    line = _error({"instance_type": "ml.m5.xlarg"})
    assert "monitor.instance_type" in line and "ml.m5.xlarge" in line


def test_schedule_must_be_one_sagemaker_accepts():
    line = _error({"schedule_expression": "rate(5 minutes)"})
    assert "monitor.schedule_expression" in line and "cron(0 * ? * * *)" in line


@pytest.mark.parametrize(
    ("expression", "runs"),
    [("cron(0 * ? * * *)", 24), ("cron(0 6 ? * * *)", 1), ("cron(0 0/6 ? * * *)", 4)],
)
def test_runs_per_day_follow_the_schedule(expression, runs):
    settings = parse_settings("dev", {**VALID, "monitor": {"schedule_expression": expression}})
    assert settings.monitor.runs_per_day == runs


def test_bad_alert_email_is_one_line():
    assert "monitor.alert_email" in _error({"alert_email": "ops at example"})


def test_pre_split_datasets_cannot_be_monitored_yet():
    dataset = {
        "source": "pre-split",
        "train_uri": "s3://my-bucket/train.csv",
        "holdout_uri": "s3://my-bucket/holdout.csv",
    }
    with pytest.raises(ConfigError) as caught:
        parse_settings("dev", {**VALID, "dataset": dataset, "monitor": {"enabled": True}})
    (line,) = caught.value.problems
    assert line.startswith("dev.monitor.enabled = True: the monitor's baseline")


def test_readme_cost_table_matches_the_config():
    from tools.monitor_cost import table

    assert table() in (ROOT / "README.md").read_text()


def test_a_region_agnostic_stack_looks_the_image_up_at_deploy(tmp_path):
    """No region in the TOML or from the CLI (an offline `make synth`): a mapping decides."""
    import aws_cdk as cdk

    from app import build_app
    from config import load_settings
    from config.model_monitor_images import supported_regions
    from tests.infra.synth import _cdk_json_context

    app = cdk.App(outdir=str(tmp_path), context=_cdk_json_context())
    stack = build_app(app, load_settings("dev"), default_account=None, default_region=None)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    mapping = template["Mappings"]["ModelMonitorAnalyzerImages"]
    assert sorted(mapping) == sorted(supported_regions())
    assert mapping[TEST_REGION]["ImageUri"] == analyzer_image(TEST_REGION).uri
    lookup = {"Fn::FindInMap": ["ModelMonitorAnalyzerImages", {"Ref": "AWS::Region"}, "ImageUri"]}
    assert json.dumps(lookup) in json.dumps(template["Resources"])
