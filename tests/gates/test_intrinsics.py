"""The renderer that turns template intrinsics into concrete values for the IAM linter."""

from __future__ import annotations

import json
import re

import pytest

from tests.gates import iam_lint
from tests.gates.intrinsics import Renderer, UnrenderableError

ACCOUNT_REGION = "us-east-1:111111111111"
TEMPLATE = {
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, "NoDefault": {"Type": "String"}},
    "Resources": {
        "Data": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": {"Fn::Join": ["-", ["data", {"Ref": "AWS::AccountId"}]]}},
        },
        "Unnamed": {"Type": "AWS::S3::Bucket"},
        "Handler": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {}}},
        "HandlerRole": {"Type": "AWS::IAM::Role"},
        "Key": {"Type": "AWS::KMS::Key"},
        "Domain": {"Type": "AWS::SageMaker::Domain", "Properties": {"DomainName": "studio"}},
        "Waiter": {"Type": "AWS::StepFunctions::StateMachine"},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app/logs"}},
        "Vpc": {"Type": "AWS::EC2::VPC"},
        "Job": {"Type": "Custom::AutoMLJob"},
        "Queue": {"Type": "AWS::SQS::Queue"},
    },
}


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(TEMPLATE, stack_name="app")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::Region"}, "us-east-1"),
        ({"Ref": "AWS::AccountId"}, "111111111111"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "Stage"}, "dev"),
        ({"Ref": "Data"}, "data-111111111111"),
        ({"Fn::GetAtt": ["Data", "Arn"]}, "arn:aws:s3:::data-111111111111"),
        ({"Fn::GetAtt": "Data.Arn"}, "arn:aws:s3:::data-111111111111"),
        ({"Ref": "Logs"}, "/app/logs"),
        ({"Fn::GetAtt": ["Logs", "Arn"]}, f"arn:aws:logs:{ACCOUNT_REGION}:log-group:/app/logs:*"),
        ({"Fn::Select": [1, {"Fn::GetAZs": ""}]}, "us-east-1b"),
        ({"Fn::Select": ["0", {"Fn::Split": [",", "a,b"]}]}, "a"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Data}/*"}, "arn:aws:s3:::data-111111111111/*"),
        (
            {"Fn::Sub": "${Data.Arn}/${!aws:username}"},
            "arn:aws:s3:::data-111111111111/${aws:username}",
        ),
        ({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Stage"}}]}, "dev-x"),
        ("literal", "literal"),
    ],
)
def test_renders_pseudo_parameters_refs_and_functions(renderer, value, expected):
    assert renderer.render(value) == expected


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (
            {"Fn::GetAtt": ["Handler", "Arn"]},
            rf"arn:aws:lambda:{ACCOUNT_REGION}:function:app-Handler-\w{{12}}",
        ),
        ({"Ref": "Handler"}, r"app-Handler-\w{12}"),
        (
            {"Fn::GetAtt": ["HandlerRole", "Arn"]},
            r"arn:aws:iam::111111111111:role/app-HandlerRole-\w{12}",
        ),
        ({"Fn::GetAtt": ["Key", "Arn"]}, rf"arn:aws:kms:{ACCOUNT_REGION}:key/[0-9a-f-]{{36}}"),
        ({"Ref": "Key"}, r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ({"Fn::GetAtt": ["Domain", "DomainId"]}, r"d-[0-9a-f]{12}"),
        (
            {"Fn::GetAtt": ["Domain", "DomainArn"]},
            rf"arn:aws:sagemaker:{ACCOUNT_REGION}:domain/d-[0-9a-f]{{12}}",
        ),
        ({"Ref": "Waiter"}, rf"arn:aws:states:{ACCOUNT_REGION}:stateMachine:app-Waiter-\w{{12}}"),
        ({"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}, r"sg-[0-9a-f]{17}"),
        ({"Ref": "Unnamed"}, r"app-unnamed-[0-9a-f]{12}"),
        (
            {"Ref": "AWS::StackId"},
            rf"arn:aws:cloudformation:{ACCOUNT_REGION}:stack/app/[0-9a-f-]{{36}}",
        ),
        ({"Fn::GetAtt": ["Job", "JobName"]}, r"app-job-\w{12}-jobname"),
    ],
)
def test_generated_ids_have_each_resource_types_real_format(renderer, value, pattern):
    assert re.fullmatch(pattern, renderer.render(value))


def test_attributes_of_one_resource_agree(renderer):
    key_id = renderer.render({"Ref": "Key"})
    assert renderer.render({"Fn::GetAtt": ["Key", "Arn"]}).endswith(f":key/{key_id}")
    domain_id = renderer.render({"Fn::GetAtt": ["Domain", "DomainId"]})
    assert renderer.render({"Fn::GetAtt": ["Domain", "DomainArn"]}).endswith(f"/{domain_id}")
    assert renderer.render({"Ref": "Waiter"}) == renderer.render({"Fn::GetAtt": ["Waiter", "Arn"]})


def test_different_resources_get_different_ids(renderer):
    assert renderer.render({"Ref": "Data"}) != renderer.render({"Ref": "Unnamed"})
    assert renderer.render({"Ref": "Handler"}) != renderer.render({"Ref": "HandlerRole"})


def test_renders_nested_documents_and_keeps_plain_values(renderer):
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/*"]]},
                "Condition": {"Bool": {"aws:SecureTransport": True}},
            }
        ],
    }
    statement = renderer.render(document)["Statement"][0]
    assert statement["Resource"] == "arn:aws:s3:::data-111111111111/*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": True}}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::If": ["IsProd", "a", "b"]}, "no rule for Fn::If"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "no rule for GetAtt Arn of AWS::SQS::Queue"),
        (
            {"Fn::GetAtt": ["Data", "WebsiteURL"]},
            "no rule for GetAtt WebsiteURL of AWS::S3::Bucket",
        ),
        ({"Ref": "Missing"}, "no resource or parameter named Missing"),
        ({"Ref": "NoDefault"}, "parameter NoDefault has no default"),
        ({"Fn::Join": ["", ["a", {"Fn::GetAZs": ""}]]}, "not a string"),
    ],
)
def test_refuses_what_it_cannot_render(renderer, value, message):
    with pytest.raises(UnrenderableError, match=message):
        renderer.render(value)


def test_every_identity_policy_renders_to_literal_values(env):
    policies = iam_lint.identity_policies(env.template)
    assert policies
    for policy in policies:
        text = json.dumps(policy.document)
        assert '"Ref"' not in text and '"Fn::' not in text, policy.name
        for statement in policy.document["Statement"]:
            resources = statement["Resource"]
            for resource in [resources] if isinstance(resources, str) else resources:
                assert resource == "*" or resource.startswith("arn:aws:"), (policy.name, resource)
