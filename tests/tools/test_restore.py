"""make restore: the import mapping against the synthesized prod template, in a moto account
left as a destroy of prod leaves it; each refusal; the command's CDK CLI calls."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from tests.fixtures import MOTO_ACCOUNT, REGION, ROOT
from tools.restore import __main__ as command
from tools.restore.account import Finder, Target, check_no_stack
from tools.restore.plan import (
    IDENTIFIER_PROPERTY,
    RestoreError,
    check_self_contained,
    check_supported,
    fixed_name,
    references,
    required,
    retained_resources,
)

SUFFIX = "1a2b3c4d5e6f"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{MOTO_ACCOUNT}:stack/AutopilotStudio-prod/1"


@pytest.fixture(scope="module")
def prod(synthesized):
    return synthesized["prod"]


@pytest.fixture
def target(prod):
    settings = prod.settings
    return Target(
        env=settings.name,
        stack_name=settings.stack_name,
        tags=dict(settings.tags),
        account=MOTO_ACCOUNT,
        region=REGION,
    )


def by_type(template: dict, resource_type: str) -> list[str]:
    return [r.logical_id for r in retained_resources(template) if r.resource_type == resource_type]


class DestroyedAccount:
    """What a destroy of the stack leaves, as CloudFormation tags it (moto)."""

    def __init__(self, template: dict, target: Target) -> None:
        self.template, self.target = template, target
        resources = template["Resources"]
        (self.data_id,) = [
            lid
            for lid in by_type(template, "AWS::S3::Bucket")
            if "BucketName" in resources[lid]["Properties"]
        ]
        data = resources[self.data_id]["Properties"]
        (self.logs_id,) = references(data["LoggingConfiguration"])
        (self.key_id,) = references(data["BucketEncryption"])
        (self.group_id,) = by_type(template, "AWS::Logs::LogGroup")
        (data_resource,) = [r for r in retained_resources(template) if r.logical_id == self.data_id]
        self.data_bucket = fixed_name(data_resource, target.pseudo)
        self.s3, self.kms, self.logs = (
            boto3.client(n, region_name=REGION) for n in ("s3", "kms", "logs")
        )

    def system_tags(self, logical_id: str, stack: str | None = None) -> dict[str, str]:
        return {
            "aws:cloudformation:stack-name": stack or self.target.stack_name,
            "aws:cloudformation:logical-id": logical_id,
            "aws:cloudformation:stack-id": STACK_ID,
            **self.target.tags,
        }

    def key(self, *, description: str | None = None, tags: dict | None = None) -> str:
        props = self.template["Resources"][self.key_id]["Properties"]
        created = self.kms.create_key(
            Description=description or props["Description"],
            Tags=[{"TagKey": k, "TagValue": v} for k, v in (tags or self.target.tags).items()],
        )
        return created["KeyMetadata"]["Arn"]

    def bucket(self, name: str, tags: dict[str, str] | None) -> None:
        from moto.s3.models import s3_backends

        self.s3.create_bucket(Bucket=name)
        if tags is not None:
            # S3 refuses aws: tag keys from callers; CloudFormation sets them itself.
            s3_backends[MOTO_ACCOUNT]["aws"].put_bucket_tagging(name, tags)

    def log_group(self, name: str, key_arn: str, tags: dict[str, str]) -> None:
        self.logs.create_log_group(logGroupName=name, kmsKeyId=key_arn, tags=tags)

    def leave(self, *, data_tags=None, with_logs=True, with_group=True) -> dict[str, str]:
        """Everything prod retains; returns the physical IDs by logical ID."""
        key_arn = self.key()
        logs_bucket = f"{self.target.stack_name.lower()}-{self.logs_id.lower()}-{SUFFIX}"
        if with_logs:
            self.bucket(logs_bucket, self.system_tags(self.logs_id))
        self.bucket(
            self.data_bucket, self.system_tags(self.data_id) if data_tags is None else data_tags
        )
        self.s3.put_bucket_encryption(
            Bucket=self.data_bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key_arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        if with_logs:
            # S3 checks that it may deliver there; the destroy then deleted that policy.
            delivery = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": f"arn:aws:s3:::{logs_bucket}/*",
                    }
                ],
            }
            self.s3.put_bucket_policy(Bucket=logs_bucket, Policy=json.dumps(delivery))
            self.s3.put_bucket_logging(
                Bucket=self.data_bucket,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": logs_bucket, "TargetPrefix": "data-bucket/"}
                },
            )
            self.s3.delete_bucket_policy(Bucket=logs_bucket)
        group = f"{self.target.stack_name}-{self.group_id}-{SUFFIX.upper()}"
        if with_group:
            self.log_group(group, key_arn, self.system_tags(self.group_id))
        return {
            self.data_id: self.data_bucket,
            self.logs_id: logs_bucket,
            self.key_id: key_arn.rsplit("/", 1)[1],
            self.group_id: group,
        }


@pytest.fixture
def account(prod, target):
    from moto import mock_aws

    with mock_aws():
        yield DestroyedAccount(prod.template, target)


def finder(target: Target) -> Finder:
    return Finder(target, lambda name: boto3.client(name, region_name=REGION))


# --- the mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", sorted(IDENTIFIER_PROPERTY))
def test_identifiers_are_the_schemas_primary_identifiers(resource_type):
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource_type).schema
    assert schema["primaryIdentifier"] == [f"/properties/{IDENTIFIER_PROPERTY[resource_type]}"]


def test_every_environment_that_retains_data_retains_only_types_restore_finds(synthesized):
    retaining = [s for s in synthesized.values() if s.settings.retains_data]
    assert retaining, "no environment retains data"
    for synth in retaining:
        resources = retained_resources(synth.template)
        check_supported(resources)
        # The bucket, its log bucket and the key are retained, never a policy or an alias.
        assert {r.resource_type for r in resources} >= {"AWS::S3::Bucket", "AWS::KMS::Key"}


def test_prod_imports_every_retained_resource_and_nothing_else(prod, account, target):
    physical = account.leave()
    retained = retained_resources(prod.template)

    plan = finder(target).plan(retained, prod.template)

    assert set(plan.mapping) == {r.logical_id for r in retained} == set(physical)
    for resource in retained:
        assert plan.mapping[resource.logical_id] == {
            IDENTIFIER_PROPERTY[resource.resource_type]: physical[resource.logical_id]
        }
    assert plan.skipped == []
    # The import template as `cdk import` deploys it for a new stack: only these resources,
    # each with a DeletionPolicy, referring only to one another.
    imported = {lid: prod.template["Resources"][lid] for lid in plan.mapping}
    for resource in imported.values():
        assert resource["DeletionPolicy"] == "Retain"
        assert references(resource.get("Properties", {})) <= set(imported)
    not_retained = [
        lid
        for lid, r in prod.template["Resources"].items()
        if r["Type"] in ("AWS::S3::BucketPolicy", "AWS::KMS::Alias")
    ]
    assert not_retained and not set(not_retained) & set(plan.mapping)


def test_a_failed_deploys_leftovers_are_not_imported(prod, account, target):
    physical = account.leave()
    # `make deploy` after the destroy fails on the bucket name; its rollback keeps a new key,
    # log bucket and log group with the same tags.
    second_key = account.key()
    account.bucket(f"{physical[account.logs_id]}-second", account.system_tags(account.logs_id))
    account.log_group(
        f"{target.stack_name}-{account.group_id}-SECOND",
        second_key,
        account.system_tags(account.group_id),
    )

    plan = finder(target).plan(retained_resources(prod.template), prod.template)

    assert {lid: ids.popitem()[1] for lid, ids in plan.mapping.items()} == physical


def test_a_missing_flow_log_group_is_left_to_the_deploy(prod, account, target):
    physical = account.leave(with_group=False)

    plan = finder(target).plan(retained_resources(prod.template), prod.template)

    assert set(plan.mapping) == set(physical) - {account.group_id}
    assert plan.skipped == [
        f"{account.group_id}: no log group {target.stack_name}-{account.group_id}-* left behind "
        f"by {target.stack_name}; the deploy creates a new one"
    ]


def test_a_named_bucket_and_what_it_refers_to_are_required_the_rest_optional(target):
    retain = {"DeletionPolicy": "Retain"}
    template = {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", **retain},
            "Logs": {"Type": "AWS::S3::Bucket", **retain},
            "Data": {
                "Type": "AWS::S3::Bucket",
                **retain,
                "Properties": {
                    "BucketName": {"Fn::Join": ["-", ["data", {"Ref": "AWS::AccountId"}]]},
                    "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}},
                    "BucketEncryption": {"KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}},
                },
            },
            # A fixed name that is gone blocks nothing: the deploy creates it.
            "Named": {"Type": "AWS::Logs::LogGroup", **retain, "Properties": {"LogGroupName": "n"}},
            "Flow": {
                "Type": "AWS::Logs::LogGroup",
                **retain,
                "Properties": {"KmsKeyId": {"Fn::Sub": "${Key.Arn}"}},
            },
            "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Data"}}},
        }
    }
    resources = retained_resources(template)
    assert [r.logical_id for r in resources] == ["Key", "Logs", "Data", "Named", "Flow"]
    assert required(resources, target.pseudo) == {"Data", "Logs", "Key"}
    assert references(template["Resources"]["Flow"]["Properties"]) == {"Key"}


def test_a_mapping_without_what_an_import_refers_to_is_refused(prod):
    data_bucket = "DataBucket"
    with pytest.raises(RestoreError, match=r"^DataBucket refers to DataAccessLogs\w*, Encryption"):
        check_self_contained(prod.template, {data_bucket: {"BucketName": "b"}})
    with pytest.raises(RestoreError, match="is not retained"):
        check_self_contained(prod.template, {"EncryptionKeyAliasC93FE124": {"AliasName": "a"}})


# --- refusals, one line each ---------------------------------------------------------------


def refusal(prod, target) -> str:
    with pytest.raises(RestoreError) as raised:
        finder(target).plan(retained_resources(prod.template), prod.template)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_refuses_when_the_data_bucket_is_gone(prod, account, target):
    assert refusal(prod, target) == (
        f"bucket {account.data_bucket} does not exist in account {MOTO_ACCOUNT}: nothing to "
        "restore for prod; make deploy ENV=prod creates a new environment"
    )


def test_refuses_a_key_scheduled_for_deletion_and_says_how_to_cancel(prod, account, target):
    physical = account.leave()
    key_id = physical[account.key_id]
    account.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert refusal(prod, target) == (
        f"key arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:key/{key_id} is scheduled for deletion: cancel "
        f"it with `aws kms cancel-key-deletion --key-id {key_id}` and `aws kms enable-key "
        f"--key-id {key_id}`, then run make restore again"
    )


def test_refuses_when_the_access_log_bucket_is_gone(prod, account, target):
    logs_bucket = account.leave()[account.logs_id]
    account.s3.delete_bucket(Bucket=logs_bucket)
    assert refusal(prod, target) == (
        f"the access-log bucket {logs_bucket} ({account.logs_id}) no longer exists: create an "
        f"empty bucket of that name (aws s3api create-bucket --bucket {logs_bucket}), then run "
        "make restore again"
    )


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            {"aws:cloudformation:stack-name": "AutopilotStudio-stage"},
            "was left behind by stack AutopilotStudio-stage (as DataBucket), not by "
            "AutopilotStudio-prod (as DataBucket): it belongs to another environment",
        ),
        (
            {"environment": "stage"},
            "is tagged environment = 'stage', but prod.tags.environment = 'prod' in "
            "config/environments.toml: it belongs to another environment",
        ),
        (
            None,
            "has no aws:cloudformation:stack-name tag, so no stack retained it: make restore "
            "imports only what AutopilotStudio-prod left behind",
        ),
    ],
    ids=["another-stack", "another-environment-tag", "made-by-hand"],
)
def test_refuses_a_data_bucket_of_another_environment(prod, account, target, tags, expected):
    data_tags = {} if tags is None else {**account.system_tags(account.data_id), **tags}
    account.leave(data_tags=data_tags)
    assert refusal(prod, target) == f"bucket {account.data_bucket} {expected}"


def test_refuses_a_key_of_another_environment(prod, account, target):
    physical = account.leave()
    # The data bucket now names another environment's key.
    other = account.key(description="Data, AutoML output (stage)", tags={"environment": "stage"})
    account.s3.put_bucket_encryption(
        Bucket=physical[account.data_id],
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": other,
                    }
                }
            ]
        },
    )
    assert refusal(prod, target).startswith(
        f"key {other} is described as 'Data, AutoML output (stage)'"
    )


def stack_answer(status: str | None) -> Stubber:
    client = boto3.client("cloudformation", region_name=REGION)
    stubber = Stubber(client)
    request = {"StackName": "AutopilotStudio-prod"}
    if status is None:
        stubber.add_client_error(
            "describe_stacks",
            "ValidationError",
            "Stack with id AutopilotStudio-prod does not exist",
            400,
            expected_params=request,
        )
    else:
        stack = {
            "StackName": "AutopilotStudio-prod",
            "CreationTime": "2026-01-01T00:00:00Z",
            "StackStatus": status,
        }
        stubber.add_response("describe_stacks", {"Stacks": [stack]}, request)
    stubber.activate()
    return stubber


@pytest.mark.parametrize("status", [None, "ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"])
def test_a_stack_that_is_gone_or_holds_nothing_can_be_restored(target, status):
    stubber = stack_answer(status)
    assert check_no_stack(stubber.client, target) == status
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            "UPDATE_COMPLETE",
            "make restore only brings back a destroyed environment; make deploy ENV=prod "
            "updates this one",
        ),
        (
            "IMPORT_COMPLETE",
            "the retained resources are back in it; finish with make deploy ENV=prod",
        ),
    ],
)
def test_refuses_a_stack_that_exists(target, status, expected):
    stubber = stack_answer(status)
    with pytest.raises(RestoreError) as raised:
        check_no_stack(stubber.client, target)
    assert str(raised.value) == (
        f"stack AutopilotStudio-prod already exists in {REGION} ({status}): {expected}"
    )


# --- the command ---------------------------------------------------------------------------


def fake_cdk(folder: Path, template: Path, *, import_exit: int = 0) -> tuple[Path, Path]:
    """A CDK CLI that records its arguments; synth writes the given template."""
    log = folder / "cdk-calls.log"
    cdk = folder / "cdk"
    cdk.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {log}\n'
        'if [ "$1" = synth ]; then\n'
        '  while [ "$1" != --output ]; do shift; done\n'
        f'  mkdir -p "$2" && cp {template} "$2/AutopilotStudio-prod.template.json"\n'
        "fi\n"
        f'if [ "$1" = import ]; then exit {import_exit}; fi\n'
    )
    cdk.chmod(cdk.stat().st_mode | stat.S_IXUSR)
    return cdk, log


@pytest.fixture
def command_account(account, monkeypatch):
    """The destroyed account, and CloudFormation saying the stack does not exist."""
    physical = account.leave()
    real = command.check_no_stack
    stubber = stack_answer(None)
    monkeypatch.setattr(
        command, "check_no_stack", lambda _client, target: real(stubber.client, target)
    )
    yield physical
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("import_exit", [0, 3])
def test_the_command_synthesizes_once_imports_then_deploys(
    prod, command_account, tmp_path, import_exit, capsys
):
    cdk, log = fake_cdk(tmp_path, prod.template_path, import_exit=import_exit)
    outdir = tmp_path / "restore-prod"

    code = command.main(
        ["--env", "prod", "--cdk", str(cdk), "--approval", "never", "--outdir", str(outdir)]
    )

    mapping = outdir.parent / "restore-prod-resource-mapping.json"
    calls = [
        f"synth --quiet --output {outdir} -c env=prod",
        f"import --app {outdir} --resource-mapping {mapping} AutopilotStudio-prod -c env=prod",
        f"deploy --app {outdir} --require-approval never AutopilotStudio-prod -c env=prod",
    ]
    # A failed import stops there, with its exit code.
    assert code == import_exit
    assert log.read_text().splitlines() == (calls if import_exit == 0 else calls[:2])
    assert json.loads(mapping.read_text()) == {
        lid: {IDENTIFIER_PROPERTY[r.resource_type]: command_account[lid]}
        for r in retained_resources(prod.template)
        for lid in [r.logical_id]
    }
    printed = capsys.readouterr().err
    assert f"import DataBucket: AWS::S3::Bucket {command_account['DataBucket']}" in printed


def test_an_environment_that_retains_nothing_is_refused_before_any_aws_call(capsys, no_aws_config):
    assert command.main(["--env", "dev"]) == 1
    assert capsys.readouterr().err == (
        'error: dev keeps nothing on destroy (removal_policy = "destroy" in '
        "config/environments.toml): there is nothing to restore; make deploy ENV=dev\n"
    )


def test_make_restore_checks_credentials_then_runs_the_command_with_the_pinned_cli(tmp_path):
    uv = tmp_path / "uv"
    uv.write_text("#!/usr/bin/env bash\n")
    uv.chmod(uv.stat().st_mode | stat.S_IXUSR)
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "restore", "ENV=prod", f"UV={uv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace("\\\n", " ").splitlines()
    preflight = next(i for i, line in enumerate(lines) if "tools/preflight.py --env prod" in line)
    restore = next(i for i, line in enumerate(lines) if "python -m tools.restore" in line)
    assert preflight < restore
    assert " ".join(lines[restore].split()).endswith(
        "python -m tools.restore --env prod --cdk node_modules/.bin/cdk --approval broadening"
    )
    help_text = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "make restore ENV=prod" in help_text


def test_the_command_runs_as_a_module(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tools.restore", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and "--env" in done.stdout
