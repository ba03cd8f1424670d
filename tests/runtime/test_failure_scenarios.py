"""Failure and rollback scenarios, driven through the handlers as the Provider framework would.

Each scenario runs on_event, the is_complete polls, the failure, then the Delete that
CloudFormation sends with the returned physical ID and its polls until complete. It then
checks what is left: moto state where moto implements the calls, exact Stubber calls where
it does not or cannot show the state in question.
"""

from __future__ import annotations

import json
import logging
import types
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.models import botocore_stubber as moto_send
from moto.sagemaker.models import sagemaker_backends

from automl_job import handler as automl
from automl_job import naming as job_naming
from automl_job.spec import JobSpec
from automl_wait.handler import signal_body
from cr_support import aws
from dataset_staging import handler as dataset
from projects_enablement import handler as projects
from projects_enablement.role_specs import ROLE_SPECS
from studio_cleanup import handler as studio
from tests.fixtures import REGION
from tests.fixtures import cfn_event as request_event
from tests.runtime.automl_job.responses import PROPS as CR_PROPS
from tests.runtime.automl_job.responses import (
    STACK_ID,
    WAIT_PROPS,
    create_wait_state_machine,
    described,
    ensembling_candidate,
    job_arn,
)
from tests.runtime.projects_enablement.fakes import make_role, role_names, role_tags
from tests.runtime.projects_enablement.fakes import stubs as stubs  # the fixture
from tools.synthetic.bank import bank_rows, comma_csv

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
JOB_PROPS = {**CR_PROPS, **WAIT_PROPS}
JOB = JobSpec.from_properties(JOB_PROPS).job_name(STACK_ID, "AutoMLJob")
DOMAIN = "d-abc123xyz789"
VPC = "vpc-0123456789abcdef0"
OWNER = {"OwnerTagKey": "autopilot-studio:owner-stack", "OwnerTagValue": STACK_ID}
EXEC_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/dev-studio-execution"
LAUNCH_ROLE = "AmazonSageMakerServiceCatalogProductsLaunchRole"
PORTFOLIO = "port-abcdefghijklm"
APPS_PROPS = {"DomainId": DOMAIN, "VpcId": VPC, **OWNER}
HOME_PROPS = {"VpcId": VPC, **OWNER}
PROJECTS_PROPS = {"ExecutionRoleArn": EXEC_ROLE, **OWNER}
ENABLED_BY_STACK = "sagemaker-projects/enabled-by-stack"
LOGGER = "autopilot_studio"
APPS_ID = f"studio-apps-cleanup-{DOMAIN}"
HOME_ID = f"studio-home-cleanup-{VPC}"
JOB_ID = {"AutoMLJobName": JOB}
# Any SageMaker read serves the retry tests.
ENDPOINT = "apstudio-dev-endpoint"


def cfn_event(request: str, logical_id: str, props: dict, physical_id: str | None = None):
    return request_event(
        request, dict(props), logical_id=logical_id, physical_id=physical_id, stack_id=STACK_ID
    )


def job_event(request: str, physical_id: str | None = None) -> dict:
    return cfn_event(request, "AutoMLJob", JOB_PROPS, physical_id)


def poll_until_complete(is_complete, event: dict, max_polls: int = 5) -> list[dict]:
    """Poll like the Provider framework; return every answer up to the complete one."""
    answers = []
    for _ in range(max_polls):
        answers.append(is_complete(event))
        if answers[-1]["IsComplete"]:
            return answers
    raise AssertionError(f"not complete after {max_polls} polls: {answers}")


class LogLines:
    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    def resources(self) -> list[str]:
        records = self._caplog.records
        return [json.loads(r.getMessage())["resource"] for r in records if r.name == LOGGER]

    def clear(self) -> None:
        self._caplog.clear()

    def assert_all_name(self, resource: str) -> None:
        resources = self.resources()
        assert resources, "the scenario logged nothing"
        assert set(resources) == {resource}


@pytest.fixture
def logs(caplog) -> LogLines:
    caplog.set_level(logging.INFO, logger=LOGGER)
    return LogLines(caplog)


class Recorded:
    """A moto client that records the name of every operation called on it."""

    def __init__(self, client) -> None:
        self.client = client
        self.calls: list[str] = []
        client.meta.events.register("before-call", self._record)

    def _record(self, model, **_: Any) -> None:
        self.calls.append(model.name)


@pytest.fixture
def sagemaker(moto_clients) -> Recorded:
    create_wait_state_machine(moto_clients)
    return Recorded(moto_clients("sagemaker"))


def moto_backend():
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION]


def executions_running() -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = WAIT_PROPS["StateMachineArn"]
    return [
        e["name"]
        for e in sfn.list_executions(stateMachineArn=machine)["executions"]
        if e["status"] == "RUNNING"
    ]


def jobs_in_progress(client) -> list[dict]:
    return client.list_auto_ml_jobs(StatusEquals="InProgress")["AutoMLJobSummaries"]


def create_running_job() -> str:
    name = automl.on_event(job_event("Create"))["PhysicalResourceId"]
    assert automl.is_complete(job_event("Create", name)) == {"IsComplete": True}
    return name


def completed_job() -> str:
    """An AutoML job, made by its handler, that moto then reports Completed."""
    name = automl.on_event(job_event("Create"))["PhysicalResourceId"]
    job = moto_backend().auto_ml_jobs[name]
    job.auto_ml_job_status = "Completed"
    job.best_candidate = ensembling_candidate(name)
    return name


def roll_back_ended_job(sagemaker: Recorded, name: str, status: str) -> None:
    """The rollback Delete of a job that already ended: it only looks, and is done."""
    sagemaker.calls.clear()
    delete = job_event("Delete", name)
    assert automl.on_event(delete) == {"PhysicalResourceId": name}
    assert poll_until_complete(automl.is_complete, delete) == [{"IsComplete": True}]
    assert sagemaker.calls == ["DescribeAutoMLJobV2", "DescribeAutoMLJobV2"]
    assert executions_running() == []
    assert jobs_in_progress(sagemaker.client) == []
    assert moto_backend().auto_ml_jobs[name].auto_ml_job_status == status


@dataclass(frozen=True)
class Fault:
    code: str
    message: str


def expect(stubbers: dict, steps: list[tuple[str, str, dict, Any]]) -> None:
    """Queue (service, operation, exact params, response or Fault) in call order."""
    for service, operation, params, answer in steps:
        if isinstance(answer, Fault):
            stubbers[service].add_client_error(
                operation, answer.code, answer.message, 400, expected_params=params
            )
        else:
            stubbers[service].add_response(operation, answer, params)


def stub_all(stub, steps) -> dict:
    return {service: stub(service) for service in dict.fromkeys(s[0] for s in steps)}


# 1. The job fails


def test_failed_job_fails_the_deploy_with_its_reason_and_rollback_stops_nothing(sagemaker, logs):
    reason = (
        "ClientError: Could not find the target attribute y in the header of the training "
        "data. Check TargetAttributeName and the dataset's header row."
    )
    name = create_running_job()
    job = moto_backend().auto_ml_jobs[name]
    job.auto_ml_job_status = job.auto_ml_job_secondary_status = "Failed"
    job.failure_reason = reason

    # The wait's signal carries the job's reason to the WaitCondition's FAILURE event.
    body = signal_body(name, sagemaker.client.describe_auto_ml_job_v2(AutoMLJobName=name))
    assert body["Status"] == "FAILURE"
    assert body["Reason"].startswith(f"AutoML job {name} failed: {reason} (")
    roll_back_ended_job(sagemaker, name, "Failed")
    logs.assert_all_name(name)


# 2. The job is stopped from outside


def test_job_stopped_from_outside_fails_the_deploy_and_rollback_is_a_no_op(sagemaker, logs):
    name = create_running_job()
    sagemaker.client.stop_auto_ml_job(AutoMLJobName=name)

    body = signal_body(name, sagemaker.client.describe_auto_ml_job_v2(AutoMLJobName=name))
    assert body["Status"] == "FAILURE"
    assert f"AutoML job {name} was stopped before completing" in body["Reason"]

    roll_back_ended_job(sagemaker, name, "Stopped")
    logs.assert_all_name(name)


# 4. The stack is deleted while the job trains


EXECUTION = (
    WAIT_PROPS["StateMachineArn"].replace(":stateMachine:", ":execution:")
    + f":{job_naming.execution_name(JOB, WAIT_PROPS['WaitHandleUrl'])}"
)
START = {
    "stateMachineArn": WAIT_PROPS["StateMachineArn"],
    "name": EXECUTION.rsplit(":", 1)[1],
    "input": json.dumps({"JobName": JOB, "WaitHandleUrl": WAIT_PROPS["WaitHandleUrl"]}),
}
STOP = {"executionArn": EXECUTION, "cause": "the AutoML custom resource was deleted"}


def test_stack_delete_during_training_stops_the_job_and_waits_until_it_stops(stub, logs):
    # moto stops a job at once; AWS shows InProgress, then Stopping, then Stopped.
    describe = "describe_auto_ml_job_v2"
    running = described(JOB, "InProgress")
    create_request = JobSpec.from_properties(JOB_PROPS).create_request(JOB)
    steps = [
        ("sagemaker", "create_auto_ml_job_v2", create_request, {"AutoMLJobArn": job_arn(JOB)}),
        ("stepfunctions", "start_execution", START, {"executionArn": EXECUTION, "startDate": NOW}),
        # The Delete stops the wait, then looks at the job before it stops it.
        ("stepfunctions", "stop_execution", STOP, {"stopDate": NOW}),
        ("sagemaker", describe, JOB_ID, running),
        ("sagemaker", "stop_auto_ml_job", JOB_ID, {}),
        # Delete's polls: the stop is not visible yet, then the job winds down. Stopping
        # still writes into the bucket, so only Stopped is done.
        ("sagemaker", describe, JOB_ID, running),
        ("sagemaker", describe, JOB_ID, described(JOB, "Stopping", "Stopping")),
        ("sagemaker", describe, JOB_ID, described(JOB, "Stopped", "Stopped")),
    ]  # fmt: skip
    stubbers = stub_all(stub, steps)
    expect(stubbers, steps)

    name = create_running_job()
    delete = job_event("Delete", name)
    assert automl.on_event(delete) == {"PhysicalResourceId": name}
    assert poll_until_complete(automl.is_complete, delete) == [
        {"IsComplete": False},
        {"IsComplete": False},
        {"IsComplete": True},
    ]
    stubbers["sagemaker"].assert_no_pending_responses()
    logs.assert_all_name(name)


def test_stack_delete_during_training_leaves_no_job_running_in_moto(sagemaker, logs):
    name = create_running_job()
    sagemaker.calls.clear()

    delete = job_event("Delete", name)
    automl.on_event(delete)
    assert poll_until_complete(automl.is_complete, delete) == [{"IsComplete": True}]

    assert sagemaker.calls == ["DescribeAutoMLJobV2", "StopAutoMLJob", "DescribeAutoMLJobV2"]
    assert jobs_in_progress(sagemaker.client) == []
    assert executions_running() == []
    logs.assert_all_name(name)


# 5. Throttling on every polling call

# What each service really answers when it throttles.
THROTTLED = {
    "sagemaker": Fault("ThrottlingException", "Rate exceeded"),
    "servicecatalog": Fault("ThrottlingException", "Rate exceeded"),
    "efs": Fault("ThrottlingException", "Rate exceeded"),
    "ec2": Fault("RequestLimitExceeded", "Request limit exceeded."),
    "iam": Fault("Throttling", "Rate exceeded"),
}


def endpoint_description(status: str, **extra: Any) -> dict:
    arn = f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:endpoint/{ENDPOINT}"
    times = {"CreationTime": NOW, "LastModifiedTime": NOW}
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": arn,
        "EndpointStatus": status,
        **times,
        **extra,
    }


def file_system(tags: list[dict]) -> dict:
    return {
        "OwnerId": DEFAULT_ACCOUNT_ID,
        "CreationToken": "home",
        "FileSystemId": "fs-0123456789abcdef0",
        "CreationTime": NOW,
        "LifeCycleState": "available",
        "NumberOfMountTargets": 1,
        "SizeInBytes": {"Value": 6144},
        "PerformanceMode": "generalPurpose",
        "Tags": tags,
    }


OWNER_TAG = {"Key": OWNER["OwnerTagKey"], "Value": OWNER["OwnerTagValue"]}
DOMAIN_TAG = {
    "Key": "ManagedByAmazonSageMakerResource",
    "Value": f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:domain/{DOMAIN}",
}
HOME_FS = file_system([OWNER_TAG, DOMAIN_TAG])
TAGGED_GROUPS = {
    "Filters": [
        {"Name": f"tag:{OWNER['OwnerTagKey']}", "Values": [OWNER["OwnerTagValue"]]},
        {"Name": "vpc-id", "Values": [VPC]},
    ]
}
DOMAIN_ID = {"DomainId": DOMAIN}
IN_DOMAIN = {"DomainIdEquals": DOMAIN}
IMPORTED = {"PortfolioShareType": "IMPORTED"}
PORTFOLIO_STATUS = "get_sagemaker_servicecatalog_portfolio_status"

# (id, is_complete, event, resource logged, calls of one poll: the last is throttled)
THROTTLED_POLLS = [
    ("automl-delete", automl.is_complete, job_event("Delete", JOB), JOB,
     [("sagemaker", "describe_auto_ml_job_v2", JOB_ID, THROTTLED["sagemaker"])]),
    ("apps-delete-domain", studio.apps_is_complete,
     cfn_event("Delete", "StudioAppsCleanup", APPS_PROPS, APPS_ID), DOMAIN,
     [("sagemaker", "describe_domain", DOMAIN_ID, THROTTLED["sagemaker"])]),
    ("apps-delete-list-apps", studio.apps_is_complete,
     cfn_event("Delete", "StudioAppsCleanup", APPS_PROPS, APPS_ID), DOMAIN,
     [("sagemaker", "describe_domain", DOMAIN_ID, {"DomainId": DOMAIN, "Status": "InService"}),
      ("sagemaker", "list_apps", IN_DOMAIN, THROTTLED["sagemaker"])]),
    ("apps-delete-list-spaces", studio.apps_is_complete,
     cfn_event("Delete", "StudioAppsCleanup", APPS_PROPS, APPS_ID), DOMAIN,
     [("sagemaker", "describe_domain", DOMAIN_ID, {"DomainId": DOMAIN, "Status": "InService"}),
      ("sagemaker", "list_apps", IN_DOMAIN, {"Apps": []}),
      ("sagemaker", "list_spaces", IN_DOMAIN, THROTTLED["sagemaker"])]),
    ("home-delete-file-systems", studio.home_is_complete,
     cfn_event("Delete", "StudioHomeCleanup", HOME_PROPS, HOME_ID), VPC,
     [("efs", "describe_file_systems", {}, THROTTLED["efs"])]),
    ("home-delete-domain", studio.home_is_complete,
     cfn_event("Delete", "StudioHomeCleanup", HOME_PROPS, HOME_ID), VPC,
     [("efs", "describe_file_systems", {}, {"FileSystems": [HOME_FS]}),
      ("sagemaker", "describe_domain", DOMAIN_ID, THROTTLED["sagemaker"])]),
    ("home-delete-groups", studio.home_is_complete,
     cfn_event("Delete", "StudioHomeCleanup", HOME_PROPS, HOME_ID), VPC,
     [("efs", "describe_file_systems", {}, {"FileSystems": []}),
      ("ec2", "describe_security_groups", TAGGED_GROUPS, THROTTLED["ec2"])]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("is_complete", "event", "resource", "steps"),
    [case[1:] for case in THROTTLED_POLLS],
    ids=[case[0] for case in THROTTLED_POLLS],
)
def test_throttled_poll_is_never_complete_and_never_raises(
    stub, logs, is_complete, event, resource, steps
):
    stubbers = stub_all(stub, steps)
    for _ in range(3):
        expect(stubbers, steps)
        assert is_complete(event) == {"IsComplete": False}
        for stubber in stubbers.values():
            stubber.assert_no_pending_responses()
    logs.assert_all_name(resource)


class Throttler:
    """Answer the first ``times`` sends of one operation with a throttling HTTP 400.

    It runs before anything else that answers sends (moto included); later sends get
    ``then`` as a 200 body, or go on to moto when ``then`` is None.
    """

    def __init__(self, client, operation: str, times: int, then: dict | None = None) -> None:
        self.times, self.then, self.sends = times, then, 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-send.{service}.{operation}", self._send)

    def _send(self, request, **_: Any) -> AWSResponse | None:
        self.sends += 1
        if self.sends <= self.times:
            body = {"__type": "ThrottlingException", "message": "Rate exceeded"}
            return json_response(request.url, 400, body)
        return None if self.then is None else json_response(request.url, 200, self.then)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any):
        yield self._data


def json_response(url: str, status: int, body: dict) -> AWSResponse:
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "req-1"}
    return AWSResponse(url, status, headers, _Raw(json.dumps(body).encode()))


@pytest.fixture
def retries() -> int:
    """Retries botocore makes after the first send with the project's client config.

    botocore rewrites the config's max_attempts (retries) into total_max_attempts (sends)
    in place when it builds a client, so read it from a built client.
    """
    client = boto3.client("sagemaker", region_name=REGION, config=aws.RETRY_CONFIG)
    return client.meta.config.retries["total_max_attempts"] - 1


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """botocore's retry backoff, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


def test_poll_throttled_past_botocore_retries_is_not_complete(
    moto_clients, monkeypatch, sleeps, retries
):
    moto_clients("sagemaker")
    create_wait_state_machine(moto_clients)
    client = boto3.client("sagemaker", region_name=REGION, config=aws.RETRY_CONFIG)
    monkeypatch.setattr(
        aws, "client", lambda name: client if name == "sagemaker" else moto_clients(name)
    )
    name = automl.on_event(job_event("Create"))["PhysicalResourceId"]
    throttler = Throttler(client, "DescribeAutoMLJobV2", times=100)

    assert automl.is_complete(job_event("Delete", name)) == {"IsComplete": False}

    assert throttler.sends == retries + 1
    assert len(sleeps) == retries
    assert moto_backend().auto_ml_jobs[name].auto_ml_job_status == "InProgress"


@pytest.mark.parametrize(
    ("request_type", "service", "operation"),
    [
        ("Create", "servicecatalog", "ListAcceptedPortfolioShares"),
        ("Delete", "sagemaker", "ListProjects"),
    ],
    ids=["projects-create-portfolio-share", "projects-delete-list-projects"],
)
def test_projects_call_throttled_past_botocore_retries_fails_the_request(
    stubs, monkeypatch, sleeps, retries, request_type, service, operation
):
    # The resource has no poller: a throttled call fails the request, once botocore's
    # retries are spent. A Create undoes its roles first; a Delete has changed nothing.
    client = boto3.client(service, region_name=REGION, config=aws.RETRY_CONFIG)
    # botocore offers each send to every before-send handler; moto (IAM here) would answer
    # these operations too, and it implements neither.
    client.meta.events.unregister("before-send", moto_send)
    throttler = Throttler(client, operation, times=100)
    monkeypatch.setattr(
        aws, "client", lambda name: client if name == service else stubs.client(name)
    )
    if request_type == "Create":
        stubs.status("Enabled")
    else:
        make_role(stubs.iam, LAUNCH_ROLE, {OWNER["OwnerTagKey"]: STACK_ID})
    physical_id = ENABLED_BY_STACK if request_type == "Delete" else None

    with pytest.raises(ClientError) as raised:
        projects.on_event(
            cfn_event(request_type, "ProjectsEnablement", PROJECTS_PROPS, physical_id)
        )

    assert aws.is_throttling(raised.value)
    assert throttler.sends == retries + 1
    assert len(sleeps) == retries
    # Not taken for a share that is not visible yet: no wait for the next look.
    assert stubs.slept == []
    if request_type == "Create":
        assert role_names(stubs.iam) == set()
    else:
        assert role_names(stubs.iam) == {LAUNCH_ROLE}
        assert role_tags(stubs.iam, LAUNCH_ROLE) == {OWNER["OwnerTagKey"]: STACK_ID}


# 6. Delete of a resource someone already removed by hand


def test_delete_of_a_job_that_is_not_there_is_done(sagemaker, logs):
    delete = job_event("Delete", JOB)
    assert automl.on_event(delete) == {"PhysicalResourceId": JOB}
    assert poll_until_complete(automl.is_complete, delete) == [{"IsComplete": True}]
    assert sagemaker.calls == ["DescribeAutoMLJobV2", "DescribeAutoMLJobV2"]
    logs.assert_all_name(JOB)


@pytest.mark.parametrize("removed", ["objects", "bucket"])
def test_delete_of_a_dataset_removed_by_hand(moto_clients, removed):
    s3 = moto_clients("s3")
    for bucket in ("sagemaker-staging", "uploads"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="uploads", Key="bank.csv", Body=comma_csv(bank_rows(600)))
    props = {
        "Bucket": "sagemaker-staging",
        "Prefix": "datasets",
        "SourceUri": "s3://uploads/bank.csv",
        "TargetAttribute": "y",
        "RetainOnDelete": "false",
    }
    physical_id = dataset.on_event(cfn_event("Create", "Dataset", props))["PhysicalResourceId"]
    staged = s3.list_objects_v2(Bucket="sagemaker-staging")["Contents"]
    assert len(staged) == 3  # train, holdout and the monitor baseline
    s3.delete_objects(
        Bucket="sagemaker-staging", Delete={"Objects": [{"Key": o["Key"]} for o in staged]}
    )
    if removed == "bucket":
        s3.delete_bucket(Bucket="sagemaker-staging")

    delete = cfn_event("Delete", "Dataset", props, physical_id)
    assert dataset.on_event(delete) == {"PhysicalResourceId": physical_id}

    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert buckets == ({"uploads"} if removed == "bucket" else {"sagemaker-staging", "uploads"})
    assert s3.list_objects_v2(Bucket="uploads")["KeyCount"] == 1


APP = {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "default", "SpaceName": "lab"}
SPACE = {"DomainId": DOMAIN, "SpaceName": "lab"}
LIVE_DOMAIN = (
    "sagemaker",
    "describe_domain",
    DOMAIN_ID,
    {"DomainId": DOMAIN, "Status": "InService"},
)
INBOUND = f"security-group-for-inbound-nfs-{DOMAIN}"
NFS_RULE = {
    "IpProtocol": "tcp",
    "FromPort": 2049,
    "ToPort": 2049,
    "UserIdGroupPairs": [{"GroupId": "sg-0bbbbbbbbbbbbbbbb"}],
}

# (id, handler pair, props, physical ID, calls of each Delete poll; the last completes)
REMOVED_BY_HAND = [
    ("apps-domain-gone", (studio.apps_on_event, studio.apps_is_complete), APPS_PROPS, APPS_ID, [
        [("sagemaker", "describe_domain", DOMAIN_ID,
          Fault("ResourceNotFound", f"Domain {DOMAIN} not found"))],
    ]),
    ("apps-and-spaces-gone", (studio.apps_on_event, studio.apps_is_complete), APPS_PROPS, APPS_ID, [
        [LIVE_DOMAIN,
         ("sagemaker", "list_apps", IN_DOMAIN, {"Apps": [{**APP, "Status": "InService"}]}),
         ("sagemaker", "delete_app", APP, Fault("ResourceNotFound", "App does not exist")),
         ("sagemaker", "list_spaces", IN_DOMAIN, {"Spaces": [{**SPACE, "Status": "InService"}]}),
         ("sagemaker", "delete_space", SPACE, Fault("ResourceNotFound", "Space does not exist"))],
        # A space found gone is not counted done until it is no longer listed.
        [LIVE_DOMAIN,
         ("sagemaker", "list_apps", IN_DOMAIN, {"Apps": []}),
         ("sagemaker", "list_spaces", IN_DOMAIN, {"Spaces": []})],
    ]),
    ("home-efs-and-groups-gone", (studio.home_on_event, studio.home_is_complete),
     HOME_PROPS, HOME_ID, [
        [("efs", "describe_file_systems", {}, {"FileSystems": [HOME_FS]}),
         ("sagemaker", "describe_domain", DOMAIN_ID, Fault("ResourceNotFound", "gone")),
         ("efs", "describe_mount_targets", {"FileSystemId": HOME_FS["FileSystemId"]},
          {"MountTargets": [{"MountTargetId": "fsmt-0123456789abcdef0",
                             "FileSystemId": HOME_FS["FileSystemId"],
                             "SubnetId": "subnet-0123456789abcdef0",
                             "LifeCycleState": "available"}]}),
         ("efs", "delete_mount_target", {"MountTargetId": "fsmt-0123456789abcdef0"},
          Fault("MountTargetNotFound", "Mount target not found")),
         ("efs", "delete_file_system", {"FileSystemId": HOME_FS["FileSystemId"]},
          Fault("FileSystemNotFound", "File system not found")),
         ("ec2", "describe_security_groups", TAGGED_GROUPS,
          {"SecurityGroups": [{"GroupId": "sg-0aaaaaaaaaaaaaaaa", "GroupName": INBOUND,
                               "VpcId": VPC, "IpPermissions": [NFS_RULE]}]}),
         ("ec2", "revoke_security_group_ingress",
          {"GroupId": "sg-0aaaaaaaaaaaaaaaa", "IpPermissions": [NFS_RULE]},
          Fault("InvalidPermission.NotFound", "The specified rule does not exist")),
         ("ec2", "delete_security_group", {"GroupId": "sg-0aaaaaaaaaaaaaaaa"},
          Fault("InvalidGroup.NotFound", "The security group does not exist"))],
    ]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("handlers", "props", "physical_id", "polls"),
    [case[1:] for case in REMOVED_BY_HAND],
    ids=[case[0] for case in REMOVED_BY_HAND],
)
def test_delete_of_a_resource_removed_by_hand_completes(stub, handlers, props, physical_id, polls):
    on_event, is_complete = handlers
    stubbers = stub_all(stub, [step for poll in polls for step in poll])
    delete = cfn_event("Delete", "Resource", props, physical_id)

    # on_event only acknowledges; the polls do the deleting.
    assert on_event(delete) == {"PhysicalResourceId": physical_id}
    answers = []
    for steps in polls:
        expect(stubbers, steps)
        answers.append(is_complete(delete))
        for stubber in stubbers.values():
            stubber.assert_no_pending_responses()

    assert answers == [{"IsComplete": False}] * (len(polls) - 1) + [{"IsComplete": True}]


# What a Delete finds when someone removed the roles and the association by hand.
PROJECTS_REMOVED_BY_HAND = [
    ("sagemaker", "list_projects", {"MaxResults": 100}, {"ProjectSummaryList": []}),
    ("servicecatalog", "list_accepted_portfolio_shares", IMPORTED,
     {"PortfolioDetails": [{"Id": PORTFOLIO, "ProviderName": "Amazon SageMaker"}]}),
    ("servicecatalog", "disassociate_principal_from_portfolio",
     {"PortfolioId": PORTFOLIO, "PrincipalARN": EXEC_ROLE, "PrincipalType": "IAM"},
     Fault("ResourceNotFoundException", "Principal not found")),
    ("servicecatalog", "list_principals_for_portfolio", {"PortfolioId": PORTFOLIO},
     {"Principals": []}),
    ("sagemaker", PORTFOLIO_STATUS, {}, {"Status": "Disabled"}),
    *[("iam", "list_role_tags", {"RoleName": spec.name},
       Fault("NoSuchEntity", f"The role with name {spec.name} cannot be found."))
      for spec in ROLE_SPECS],
]  # fmt: skip


def test_projects_delete_of_roles_and_portfolio_removed_by_hand_is_done(stub):
    stubbers = stub_all(stub, PROJECTS_REMOVED_BY_HAND)
    expect(stubbers, PROJECTS_REMOVED_BY_HAND)
    delete = cfn_event("Delete", "ProjectsEnablement", PROJECTS_PROPS, ENABLED_BY_STACK)

    # The resource has no poller: on_event does the deleting.
    assert projects.on_event(delete) == {"PhysicalResourceId": ENABLED_BY_STACK}
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


# 7. Retries


def test_retry_config_is_standard_mode_with_bounded_attempts(retries):
    assert aws.RETRY_CONFIG.retries["mode"] == "standard"
    assert aws.client("sagemaker").meta.config.retries == {
        "mode": "standard",
        "total_max_attempts": retries + 1,
    }
    assert 1 <= retries <= 10


@pytest.mark.parametrize("all_retries", [False, True], ids=["once", "all-but-the-last"])
def test_botocore_retries_a_throttled_call_until_it_succeeds(sleeps, retries, all_retries):
    throttles = retries if all_retries else 1
    client = aws.client("sagemaker")
    when = NOW.timestamp()
    body = endpoint_description("InService", CreationTime=when, LastModifiedTime=when)
    throttler = Throttler(client, "DescribeEndpoint", throttles, then=body)

    response = client.describe_endpoint(EndpointName=ENDPOINT)

    assert response["EndpointStatus"] == "InService"
    assert response["ResponseMetadata"]["RetryAttempts"] == throttles
    assert throttler.sends == throttles + 1
    assert len(sleeps) == throttles


def test_botocore_gives_up_after_max_attempts(sleeps, retries):
    client = aws.client("sagemaker")
    throttler = Throttler(client, "DescribeEndpoint", retries + 1, then={})

    with pytest.raises(ClientError) as raised:
        client.describe_endpoint(EndpointName=ENDPOINT)

    assert aws.is_throttling(raised.value)
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == retries
    assert throttler.sends == retries + 1
    assert len(sleeps) == retries
