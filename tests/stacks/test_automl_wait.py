"""The AutoML wait: state machine definition, WaitCondition, budgets and least privilege.

The definition is the synthesized one: checked against botocore's SageMaker model, and
executed offline by moto's ASL interpreter against moto's SageMaker (InProgress, then
Completed, Failed or Stopped) with the one-minute Wait shortened to one second.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator
from syrupy.extensions.json import JSONSnapshotExtension

from tests.fixtures import ACCOUNT as TEST_ACCOUNT
from tests.fixtures import REGION as TEST_REGION
from tests.synth import Synthesized

SIGNAL_ARN = f"arn:aws:lambda:{TEST_REGION}:{TEST_ACCOUNT}:function:signal"
SDK_PREFIX = "arn:aws:states:::aws-sdk:"


def _only_id(env: Synthesized, resource_type: str) -> str:
    (lid,) = env.resources(resource_type)
    return lid


def _state_machine_id(env: Synthesized) -> str:
    (lid,) = [
        lid
        for lid in env.resources("AWS::StepFunctions::StateMachine")
        if lid.startswith("AutoMLWait")
    ]
    return lid


def definition(env: Synthesized) -> dict[str, Any]:
    """The wait's ASL with the partition and the signal function's ARN filled in."""
    parts = env.template["Resources"][_state_machine_id(env)]["Properties"]["DefinitionString"]
    text = ""
    for part in parts["Fn::Join"][1]:
        if isinstance(part, str):
            text += part
        elif part == {"Ref": "AWS::Partition"}:
            text += "aws"
        else:
            assert part["Fn::GetAtt"][1] == "Arn", part
            text += SIGNAL_ARN
    return json.loads(text)


def test_asl_matches_snapshot(synthesized, snapshot):
    assert definition(synthesized["dev"]) == snapshot.use_extension(JSONSnapshotExtension)


def test_choice_routes_every_job_status(env):
    states = definition(env)["States"]
    choice = states["JobEnded"]
    ended = {c["StringEquals"]: c["Next"] for c in choice["Choices"] if "StringEquals" in c}
    assert ended == dict.fromkeys(("Completed", "Failed", "Stopped"), "SignalWaitCondition")
    (running,) = [c for c in choice["Choices"] if "Or" in c]
    assert {c["StringEquals"] for c in running["Or"]} == {"InProgress", "Stopping"}
    assert running["Next"] == "WaitAMinute"
    assert all(c["Variable"] == "$.Job.AutoMLJobStatus" for c in choice["Choices"][:3])
    assert choice["Default"] == "SignalWaitCondition"
    assert states["WaitAMinute"] == {"Type": "Wait", "Seconds": 60, "Next": "DescribeJob"}
    assert states["SignalWaitCondition"]["End"] is True


def test_sdk_integrations_name_real_actions_with_valid_parameters(env):
    """Every aws-sdk task names an API action of the service and passes valid parameters."""
    tasks = [
        s
        for s in definition(env)["States"].values()
        if s.get("Resource", "").startswith(SDK_PREFIX)
    ]
    assert tasks
    for state in tasks:
        service, action = state["Resource"].removeprefix(SDK_PREFIX).split(":")
        model = botocore.session.get_session().get_service_model(service)
        operation = action[0].upper() + action[1:]
        assert operation in model.operation_names, state["Resource"]
        # Paths ("Key.$") are filled at run time: give each a value of the right type.
        shape = model.operation_model(operation).input_shape
        params = {
            key.removesuffix(".$"): "apstudio-dev-0123456789abcdef" if key.endswith(".$") else value
            for key, value in state["Parameters"].items()
        }
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), report.generate_report()


def test_wait_condition_covers_the_budget_and_the_state_machine_stops_with_it(env):
    budget = env.settings.automl.max_job_runtime_seconds
    (wait,) = env.resources("AWS::CloudFormation::WaitCondition").values()
    timeout = int(wait["Properties"]["Timeout"])
    assert budget + 1800 == timeout <= 43_200
    machine = env.template["Resources"][_state_machine_id(env)]["Properties"]
    assert f'"TimeoutSeconds":{timeout}' in json.dumps(machine["DefinitionString"]).replace(
        "\\", ""
    )
    assert wait["Properties"]["Handle"]["Ref"] in env.resources(
        "AWS::CloudFormation::WaitConditionHandle"
    )


def test_endpoint_waits_for_the_wait_condition(env):
    from tests.lifecycle.engine import Template

    graph = Template(env.template)
    endpoint = _only_id(env, "AWS::SageMaker::Endpoint")
    assert graph.depends_on(endpoint, _only_id(env, "AWS::CloudFormation::WaitCondition"))
    wait = _only_id(env, "AWS::CloudFormation::WaitCondition")
    assert graph.depends_on(wait, _only_id(env, "Custom::AutoMLJob"))


def _policies_of(env: Synthesized, role_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in env.resources("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"][0]["Ref"].startswith(role_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_state_machine_may_describe_only_this_stacks_jobs_and_invoke_only_the_signal(env):
    statements = _policies_of(env, "AutoMLWaitRole")
    (describe,) = [s for s in statements if "sagemaker:DescribeAutoMLJobV2" in _actions(s)]
    assert _actions(describe) == ["sagemaker:DescribeAutoMLJobV2"]
    assert json.dumps(describe["Resource"]).endswith(
        f':automl-job/{env.settings.resource_prefix}-*"]]}}'
    )
    (invoke,) = [s for s in statements if "lambda:InvokeFunction" in _actions(s)]
    (signal,) = _signal_ids(env)
    arn = {"Fn::GetAtt": [signal, "Arn"]}
    assert invoke["Resource"] == arn  # the unqualified function: no version wildcard
    # The rest: log delivery (no resource-level scoping) and, with a key, KMS on it.
    rest = [a for s in statements if s not in (describe, invoke) for a in _actions(s)]
    assert all(a.startswith(("logs:", "kms:")) for a in rest), rest


def _signal_ids(env: Synthesized) -> list[str]:
    return [
        lid
        for lid, f in env.resources("AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == "automl_wait.handler.handler"
    ]


def test_signal_function_may_only_write_its_logs(env):
    statements = _policies_of(env, "AutoMLSignalRole")
    actions = {a for s in statements for a in _actions(s)}
    assert actions <= {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    }
    signal = env.template["Resources"][_signal_ids(env)[0]]
    role_id = signal["Properties"]["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in env.template["Resources"][role_id]["Properties"]


def test_wait_resources_are_encrypted_with_the_stack_key(env):
    machine = env.template["Resources"][_state_machine_id(env)]["Properties"]
    if not env.settings.encryption.customer_managed_key:
        assert "EncryptionConfiguration" not in machine
        return
    key = {"Fn::GetAtt": [_only_id(env, "AWS::KMS::Key"), "Arn"]}
    assert machine["EncryptionConfiguration"]["KmsKeyId"] == key
    log_group = machine["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]
    log_id = log_group["LogGroupArn"]["Fn::GetAtt"][0]
    assert env.template["Resources"][log_id]["Properties"]["KmsKeyId"] == key


def test_four_hour_hpo_budget_synthesizes_and_waits_with_a_wait_condition(four_hour_hpo):
    from tests.gates.test_policy_gates import cfn_lint

    assert four_hour_hpo.nag_findings == []
    (wait,) = four_hour_hpo.resources("AWS::CloudFormation::WaitCondition").values()
    assert int(wait["Properties"]["Timeout"]) == 14_400 + 1800
    job = four_hour_hpo.only("Custom::AutoMLJob")["Properties"]
    assert (job["Mode"], job["MaxCandidates"]) == ("HYPERPARAMETER_TUNING", "100")
    assert job["ServiceTimeout"] == "3600"
    lint = cfn_lint(four_hour_hpo.template_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_four_hour_hpo_budget_passes_parliament(four_hour_hpo):
    """(checkov reads this template in the one checkov run: tests/gates.)"""
    from tests.gates import iam_lint

    policies = iam_lint.identity_policies(four_hour_hpo.template)
    assert policies
    assert iam_lint.unexplained([f for p in policies for f in iam_lint.lint(p)]) == []


def test_changed_job_inputs_give_a_new_wait_condition_and_handle(synthesized, four_hour_hpo):
    def ids(env: Synthesized) -> set[str]:
        return set(env.resources("AWS::CloudFormation::WaitCondition")) | set(
            env.resources("AWS::CloudFormation::WaitConditionHandle")
        )

    assert ids(synthesized["dev"]).isdisjoint(ids(four_hour_hpo))
    assert _only_id(synthesized["dev"], "Custom::AutoMLJob") == _only_id(
        four_hour_hpo, "Custom::AutoMLJob"
    )


# -- the synthesized definition, executed by moto -----------------------------------


def _job(sagemaker, name: str) -> None:
    sagemaker.create_auto_ml_job_v2(
        AutoMLJobName=name,
        AutoMLJobInputDataConfig=[
            {
                "ChannelType": "training",
                "ContentType": "text/csv;header=present",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t.csv"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": "s3://b/out/"},
        AutoMLProblemTypeConfig={
            "TabularJobConfig": {
                "TargetAttributeName": "y",
                "ProblemType": "BinaryClassification",
                "CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 1800},
            }
        },
        AutoMLJobObjective={"MetricName": "F1"},
        RoleArn=f"arn:aws:iam::{TEST_ACCOUNT}:role/r",
    )


def _history(sfn, arn: str) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def _entered(events, name: str) -> list[dict[str, Any]]:
    return [
        json.loads(e["stateEnteredEventDetails"]["input"])
        for e in events
        if e.get("stateEnteredEventDetails", {}).get("name") == name
    ]


@pytest.mark.parametrize("outcome", ["Completed", "Failed", "Stopped"])
def test_definition_polls_until_the_job_ends_then_signals(synthesized, outcome, monkeypatch):
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    asl = json.dumps(definition(synthesized["dev"])).replace('"Seconds": 60', '"Seconds": 0')
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sagemaker = boto3.client("sagemaker", region_name=TEST_REGION)
        sfn = boto3.client("stepfunctions", region_name=TEST_REGION)
        iam = boto3.client("iam", region_name=TEST_REGION)
        role = iam.create_role(RoleName="wait", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        machine = sfn.create_state_machine(name="wait", definition=asl, roleArn=role)
        name = "apstudio-dev-0123456789abcdef"
        _job(sagemaker, name)
        execution = sfn.start_execution(
            stateMachineArn=machine["stateMachineArn"],
            input=json.dumps({"JobName": name, "WaitHandleUrl": "https://handle.invalid/x"}),
        )["executionArn"]
        deadline = time.monotonic() + 20
        while len(_entered(_history(sfn, execution), "WaitAMinute")) < 2:
            assert time.monotonic() < deadline, _history(sfn, execution)
            time.sleep(0.05)
        job = sagemaker_backends[DEFAULT_ACCOUNT_ID][TEST_REGION].auto_ml_jobs[name]
        job.auto_ml_job_status = outcome
        job.auto_ml_job_secondary_status = outcome
        if outcome == "Failed":
            job.failure_reason = "ClientError: fewer than 500 rows"
        while not _entered(_history(sfn, execution), "SignalWaitCondition"):
            assert time.monotonic() < deadline + 20, _history(sfn, execution)
            time.sleep(0.05)
        (signal_input,) = _entered(_history(sfn, execution), "SignalWaitCondition")
        sfn.stop_execution(executionArn=execution)
    assert signal_input["Job"]["AutoMLJobStatus"] == outcome
    assert signal_input["WaitHandleUrl"] == "https://handle.invalid/x"
    if outcome == "Failed":
        assert signal_input["Job"]["FailureReason"] == "ClientError: fewer than 500 rows"
