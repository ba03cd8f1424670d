"""The IAM evaluation the lifecycle harness runs on every handler request."""

from __future__ import annotations

import pytest

from tests.lifecycle.iam import Authorization, decide

BUCKET = "arn:aws:s3:::sagemaker-apstudio-dev-111111111111-us-east-1"


def allow(action, resource, condition=None, effect="Allow"):
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize(
    ("statements", "request_", "allowed"),
    [
        # Actions compare case-insensitively, resources with wildcards.
        (
            [allow("S3:getobject", f"{BUCKET}/datasets/*")],
            ("s3:GetObject", f"{BUCKET}/datasets/a"),
            True,
        ),
        (
            [allow("s3:GetObject", f"{BUCKET}/datasets/*")],
            ("s3:GetObject", f"{BUCKET}/other/a"),
            False,
        ),
        ([allow("s3:Get*", "*")], ("s3:PutObject", f"{BUCKET}/a"), False),
        # Explicit deny wins over any allow.
        (
            [allow("s3:*", "*"), allow("s3:DeleteObject", "*", effect="Deny")],
            ("s3:DeleteObject", f"{BUCKET}/a"),
            False,
        ),
    ],
)
def test_actions_and_resources(statements, request_, allowed):
    assert decide(statements, Authorization(*request_)).allowed is allowed


KMS = "arn:aws:kms:us-east-1:111111111111:key/k"
MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:apstudio-prod-automl-wait"
CONTEXT_KEY = "kms:EncryptionContext:aws:states:stateMachineArn"


@pytest.mark.parametrize(
    ("condition", "context", "allowed"),
    [
        ({"StringEquals": {CONTEXT_KEY: MACHINE}}, {CONTEXT_KEY: MACHINE}, True),
        # The unnamed state machine's condition never matches a real execution.
        (
            {"StringEquals": {CONTEXT_KEY: MACHINE.rsplit(":", 1)[0] + ":"}},
            {CONTEXT_KEY: MACHINE},
            False,
        ),
        # A missing key fails the condition, except with IfExists, Null and ForAllValues.
        ({"StringEquals": {CONTEXT_KEY: MACHINE}}, {}, False),
        ({"StringEqualsIfExists": {CONTEXT_KEY: MACHINE}}, {}, True),
        ({"Null": {CONTEXT_KEY: "true"}}, {}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]}}, {}, True),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]}},
            {"aws:TagKeys": ["owner", "x"]},
            False,
        ),
        (
            {"ForAllValues:StringLike": {"aws:TagKeys": ["owner", "owner:claim:*"]}},
            {"aws:TagKeys": ["owner:claim:ab"]},
            True,
        ),
        (
            {"ForAnyValue:StringEquals": {"aws:TagKeys": ["x"]}},
            {"aws:TagKeys": ["owner", "x"]},
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:states:*:111111111111:stateMachine:*"}},
            {"aws:SourceArn": MACHINE},
            True,
        ),
        (
            {"ArnEquals": {"ec2:Vpc": "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1"}},
            {"ec2:Vpc": "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-2"},
            False,
        ),
        (
            {"StringNotEquals": {"aws:ResourceTag/owner": "me"}},
            {"aws:ResourceTag/owner": "you"},
            True,
        ),
        (
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            {"kms:GrantIsForAWSResource": "true"},
            True,
        ),
        # Condition keys are case-insensitive.
        (
            {"StringEquals": {"iam:passedtoservice": "sagemaker.amazonaws.com"}},
            {"iam:PassedToService": "sagemaker.amazonaws.com"},
            True,
        ),
    ],
)
def test_conditions(condition, context, allowed):
    decision = decide(
        [allow("kms:Decrypt", KMS, condition)], Authorization("kms:Decrypt", KMS, context)
    )
    assert decision.allowed is allowed, decision.reason


def test_a_denial_names_what_is_missing():
    decision = decide(
        [
            allow(
                "kms:Decrypt",
                KMS,
                {"StringEquals": {CONTEXT_KEY: "arn:aws:states:r:1:stateMachine:"}},
            )
        ],
        Authorization("kms:GenerateDataKey", KMS, {CONTEXT_KEY: MACHINE}),
    )
    assert not decision.allowed
    assert "no statement allows kms:GenerateDataKey on " + KMS in decision.reason
