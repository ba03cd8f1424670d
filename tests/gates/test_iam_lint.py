"""The parliament gate catches bad policies, and its known limitations stay narrow."""

from __future__ import annotations

import pytest

from tests.gates import iam_lint

BUCKET = "arn:aws:s3:::sagemaker-bucket"
JOBS = "arn:aws:sagemaker:us-east-1:111111111111:automl-job/apstudio-dev-*"
CDK_BUCKET_GRANT = [
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "s3:PutObject",
]
WAITER_LOGGING = ["logs:CreateLogDelivery", "logs:CreateLogStream", "logs:PutLogEvents"]


def _unexplained(*statements: dict, name: str = "HandlerRoleDefaultPolicy") -> set[tuple]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    findings = iam_lint.lint(iam_lint.Policy(name, document))
    return {(f.issue, f.action) for f in iam_lint.unexplained(findings)}


def _allow(actions: str | list[str], resources: str | list[str]) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def test_a_correct_policy_has_no_findings():
    assert _unexplained(_allow(["sagemaker:CreateAutoMLJobV2"], JOBS)) == set()


def test_catches_a_misspelled_action():
    found = _unexplained(_allow("sagemaker:CreateAutoMlJobV3", JOBS))
    assert found == {("UNKNOWN_ACTION", "sagemaker:CreateAutoMlJobV3")}


def test_catches_an_unknown_service_prefix():
    found = _unexplained(_allow("sagemakr:CreateAutoMLJobV2", JOBS))
    assert found == {("UNKNOWN_PREFIX", "sagemakr:CreateAutoMLJobV2")}


def test_catches_a_resource_the_action_cannot_use():
    endpoint = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/apstudio-dev-endpoint"
    found = _unexplained(_allow("sagemaker:CreateAutoMLJobV2", endpoint))
    assert found == {("RESOURCE_MISMATCH", "sagemaker:CreateAutoMLJobV2")}


def test_cdk_bucket_grant_wildcards_are_a_known_limitation():
    assert _unexplained(_allow(CDK_BUCKET_GRANT, [BUCKET, f"{BUCKET}/datasets/*"])) == set()


def test_object_actions_on_a_bucket_arn_are_still_caught():
    # s3:GetObject is inside the s3:GetObject* limitation, but needs an object ARN.
    found = _unexplained(_allow("s3:GetObject", BUCKET))
    assert found == {("RESOURCE_MISMATCH", "s3:GetObject")}


def test_waiter_logging_limitation_applies_to_the_framework_policy_only():
    statement = _allow(WAITER_LOGGING, "*")
    waiter = "AutoMLProviderwaiterstatemachineRoleDefaultPolicy3D775A68"
    assert _unexplained(statement, name=waiter) == set()
    assert _unexplained(statement) == {
        ("RESOURCE_STAR", "logs:CreateLogStream"),
        ("RESOURCE_STAR", "logs:PutLogEvents"),
    }


@pytest.mark.parametrize("issue", iam_lint.NEVER_EXCUSED)
def test_unknown_actions_and_prefixes_cannot_be_excused(issue):
    with pytest.raises(ValueError, match="always a real error"):
        iam_lint.KnownLimitation(issue=issue, actions=("*",), reason="new action")


def test_a_known_limitation_needs_a_reason():
    with pytest.raises(ValueError, match="needs a reason"):
        iam_lint.KnownLimitation(issue="RESOURCE_STAR", actions=("*",), reason=" ")


def test_collects_every_kind_of_identity_policy_from_a_template():
    bad = {"Version": "2012-10-17", "Statement": [_allow("sagemaker:CreateAutoMlJobV3", "*")]}
    reads_bucket = {
        "Version": "2012-10-17",
        "Statement": [
            _allow("s3:GetObject", {"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/*"]]})
        ],
    }
    template = {
        "Resources": {
            "Data": {"Type": "AWS::S3::Bucket"},
            "Attached": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": bad}},
            "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": bad}},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"Policies": [{"PolicyName": "Inline", "PolicyDocument": bad}]},
            },
            "Reader": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": reads_bucket}},
        }
    }
    policies = iam_lint.identity_policies(template)
    assert [p.name for p in policies] == ["Attached", "Managed", "Role/Inline", "Reader"]
    findings = iam_lint.unexplained([f for p in policies for f in iam_lint.lint(p)])
    assert {(f.policy, f.issue) for f in findings} == {
        ("Attached", "UNKNOWN_ACTION"),
        ("Managed", "UNKNOWN_ACTION"),
        ("Role/Inline", "UNKNOWN_ACTION"),
    }
