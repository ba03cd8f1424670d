"""Account-wide limits a deploy must stay inside, checked on the templates.

- Vended logs. A log group that a service delivers logs to (Step Functions here) and whose
  name does not start with ``/aws/vendedlogs/`` is added to the account's CloudWatch Logs
  resource policy, which is capped at 5,120 characters; past it, creating a state machine
  fails with ``InvalidLoggingConfiguration`` (aws/aws-cdk#28900; CloudWatch Logs User
  Guide, "Enabling logging from AWS services"). Three environments of seven state machines
  each added 21 entries to whatever the account already had.
- Names. Every name the stack fixes is checked against the pattern and maximum length of
  the API member that receives it, read from botocore's service models; the names the
  handlers generate are in ``test_generated_names``.
"""

from __future__ import annotations

import re

import pytest

from tests.gates.intrinsics import Renderer
from tests.stacks.botocore_names import check

VENDED_LOGS_PREFIX = "/aws/vendedlogs/"


def _log_destinations(template: dict) -> dict[str, str]:
    """State machine logical ID -> logical ID of the log group it delivers to."""
    found = {}
    for lid, resource in template["Resources"].items():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        config = resource["Properties"].get("LoggingConfiguration", {})
        for destination in config.get("Destinations", []):
            arn = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]
            found[lid] = arn["Fn::GetAtt"][0]
    return found


def resource_policy_entries(template: dict) -> list[str]:
    """Log groups a deploy adds to the account's CloudWatch Logs resource policy."""
    entries = []
    for machine, group in _log_destinations(template).items():
        name = template["Resources"][group]["Properties"].get("LogGroupName")
        if not (isinstance(name, str) and name.startswith(VENDED_LOGS_PREFIX)):
            entries.append(f"{machine} -> {group} ({name or 'a generated name'})")
    return entries


def test_every_state_machine_logs_somewhere(env):
    machines = env.resources("AWS::StepFunctions::StateMachine")
    assert machines, "every environment has state machines"
    assert set(_log_destinations(env.template)) == set(machines)


def test_a_deploy_adds_no_entry_to_the_logs_resource_policy(env):
    assert resource_policy_entries(env.template) == []


def test_vended_log_group_names_fit_cloudwatch_logs(env):
    for group in set(_log_destinations(env.template).values()):
        name = env.template["Resources"][group]["Properties"]["LogGroupName"]
        assert name.startswith(f"{VENDED_LOGS_PREFIX}states/{env.settings.resource_prefix}-")
        check("logs", "CreateLogGroup", "logGroupName", name)


def test_log_group_names_are_unique_per_environment(env):
    names = [
        r["Properties"]["LogGroupName"]
        for r in env.resources("AWS::Logs::LogGroup").values()
        if "LogGroupName" in r["Properties"]
    ]
    assert len(names) == len(set(names))


# (resource type, property, botocore service, operation, member) for every fixed name.
FIXED_NAMES = [
    (
        "AWS::StepFunctions::StateMachine",
        "StateMachineName",
        "stepfunctions",
        "CreateStateMachine",
        "name",
    ),
    ("AWS::Logs::LogGroup", "LogGroupName", "logs", "CreateLogGroup", "logGroupName"),
    ("AWS::SageMaker::Domain", "DomainName", "sagemaker", "CreateDomain", "DomainName"),
    (
        "AWS::SageMaker::UserProfile",
        "UserProfileName",
        "sagemaker",
        "CreateUserProfile",
        "UserProfileName",
    ),
    ("AWS::SageMaker::Endpoint", "EndpointName", "sagemaker", "CreateEndpoint", "EndpointName"),
    ("AWS::KMS::Alias", "AliasName", "kms", "CreateAlias", "AliasName"),
    ("AWS::SNS::Topic", "TopicName", "sns", "CreateTopic", "Name"),
    ("AWS::CloudWatch::Alarm", "AlarmName", "cloudwatch", "PutMetricAlarm", "AlarmName"),
    ("AWS::Events::Rule", "Name", "events", "PutRule", "Name"),
]
# S3's model carries no bucket-name rule: its user guide's ("Bucket naming rules").
BUCKET_NAME = re.compile(r"(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def test_every_fixed_name_fits_its_api(env):
    renderer = Renderer(env.template, stack_name=env.settings.stack_name)
    checked = 0
    for resource_type, prop, service, operation, member in FIXED_NAMES:
        for resource in env.resources(resource_type).values():
            if prop in resource["Properties"]:
                check(service, operation, member, renderer.render(resource["Properties"][prop]))
                checked += 1
    for resource in env.resources("AWS::S3::Bucket").values():
        if "BucketName" in resource["Properties"]:
            name = renderer.render(resource["Properties"]["BucketName"])
            assert BUCKET_NAME.fullmatch(name), name
            checked += 1
    assert checked >= 4  # at least the domain, profile, bucket and the named log groups


@pytest.mark.parametrize(
    ("value", "ok"),
    [("/aws/vendedlogs/states/apstudio-dev-wait", True), ("bad name!", False), ("x" * 513, False)],
)
def test_the_name_check_itself(value, ok):
    if ok:
        check("logs", "CreateLogGroup", "logGroupName", value)
    else:
        with pytest.raises(AssertionError):
            check("logs", "CreateLogGroup", "logGroupName", value)


def test_no_function_reserves_concurrency(env):
    """Lambda lets an account reserve concurrency only while 100 stay unreserved, and new
    accounts often have 10 in all (Lambda Developer Guide, "Configuring reserved
    concurrency"): a reservation would fail the deploy there."""
    reserved = {
        name: function["Properties"]["ReservedConcurrentExecutions"]
        for name, function in env.resources("AWS::Lambda::Function").items()
        if "ReservedConcurrentExecutions" in function["Properties"]
    }
    assert reserved == {}
