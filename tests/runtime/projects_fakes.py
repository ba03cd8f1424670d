"""Shared fakes for the Projects/JumpStart tests: moto IAM with the real AWS managed
policies, Stubber-backed SageMaker and Service Catalog, and the documented role table."""

from __future__ import annotations

import functools
import json

import boto3
import pytest
from botocore.stub import Stubber

from cr_support import aws

REGION = "us-east-1"
KEY = "autopilot-studio:owner-stack"
PORTFOLIO = "port-abcdefghijklm"
SAGEMAKER_PORTFOLIO = {
    "Id": PORTFOLIO,
    "DisplayName": "Amazon SageMaker Solutions and ML Ops products",
    "ProviderName": "Amazon SageMaker",
}
OTHER_PORTFOLIO = {"Id": "port-zzzzzzzzzzzzz", "DisplayName": "Team", "ProviderName": "Platform"}
IMPORTED = {"PortfolioShareType": "IMPORTED"}
P = "AmazonSageMakerServiceCatalogProducts"
POLICY = "arn:aws:iam::aws:policy/"

# fmt: off
USE_ROLE_SERVICES = {f"{s}.amazonaws.com" for s in (
    "apigateway", "cloudformation", "codebuild", "codepipeline", "events",
    "firehose", "glue", "lambda", "sagemaker", "states")}
# fmt: on

# AWS docs "AWS managed policies for SageMaker projects and JumpStart" and "Granting SageMaker
# Studio Permissions Required to Use Projects": name -> (trusted services, managed policies).
DOCUMENTED_ROLES = {
    f"{P}LaunchRole": (
        {"servicecatalog.amazonaws.com"},
        {f"{POLICY}AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy"},
    ),
    f"{P}UseRole": (USE_ROLE_SERVICES, set()),
    f"{P}ApiGatewayRole": (
        {"apigateway.amazonaws.com"},
        {f"{POLICY}service-role/{P}ApiGatewayServiceRolePolicy"},
    ),
    f"{P}CloudformationRole": (
        {"cloudformation.amazonaws.com"},
        {f"{POLICY}service-role/{P}CloudformationServiceRolePolicy"},
    ),
    f"{P}CodeBuildRole": (
        {"codebuild.amazonaws.com"},
        {f"{POLICY}{P}CodeBuildServiceRolePolicy"},
    ),
    f"{P}CodePipelineRole": (
        {"codepipeline.amazonaws.com"},
        {f"{POLICY}service-role/{P}CodePipelineServiceRolePolicy"},
    ),
    f"{P}EventsRole": (
        {"events.amazonaws.com"},
        {f"{POLICY}service-role/{P}EventsServiceRolePolicy"},
    ),
    f"{P}FirehoseRole": (
        {"firehose.amazonaws.com"},
        {f"{POLICY}service-role/{P}FirehoseServiceRolePolicy"},
    ),
    f"{P}GlueRole": (
        {"glue.amazonaws.com"},
        {f"{POLICY}service-role/{P}GlueServiceRolePolicy"},
    ),
    f"{P}LambdaRole": (
        {"lambda.amazonaws.com"},
        {f"{POLICY}service-role/{P}LambdaServiceRolePolicy"},
    ),
    f"{P}ExecutionRole": ({"sagemaker.amazonaws.com"}, {f"{POLICY}AmazonSageMakerFullAccess"}),
}
ROLE_NAMES = tuple(DOCUMENTED_ROLES)
LAUNCH, USE = ROLE_NAMES[:2]


@functools.cache
def aws_managed_policies() -> dict:
    """moto's copy of AWS's managed policies, cut down to the ones these roles use."""
    from moto.iam import aws_managed_policies as data

    wanted = {
        arn.rsplit("/", 1)[1] for _, policies in DOCUMENTED_ROLES.values() for arn in policies
    }
    every = json.loads(data.aws_managed_policies_data)
    return {k: v for k, v in every.items() if k in wanted or "ServiceCatalogProducts" in k}


class Stubs:
    """SageMaker and Service Catalog from Stubber, IAM from moto (with AWS managed policies)."""

    def __init__(self, moto_clients):
        self.sagemaker = Stubber(boto3.client("sagemaker", region_name=REGION))
        self.servicecatalog = Stubber(boto3.client("servicecatalog", region_name=REGION))
        self._moto = moto_clients
        for stubber in (self.sagemaker, self.servicecatalog):
            stubber.activate()

    def client(self, name: str):
        if name in ("sagemaker", "servicecatalog"):
            return getattr(self, name).client
        return self._moto(name)

    @property
    def iam(self):
        return self._moto("iam")

    def assert_consumed(self) -> None:
        self.sagemaker.assert_no_pending_responses()
        self.servicecatalog.assert_no_pending_responses()

    # Portfolio answers, queued in the order the handler asks.

    def status(self, value: str) -> None:
        self.sagemaker.add_response(
            "get_sagemaker_servicecatalog_portfolio_status", {"Status": value}, {}
        )

    def enable(self) -> None:
        self.sagemaker.add_response("enable_sagemaker_servicecatalog_portfolio", {}, {})

    def disable(self) -> None:
        self.sagemaker.add_response("disable_sagemaker_servicecatalog_portfolio", {}, {})

    def portfolio_visible(self) -> None:
        self.servicecatalog.add_response(
            "list_accepted_portfolio_shares", {"PortfolioDetails": [SAGEMAKER_PORTFOLIO]}, IMPORTED
        )

    def associate(self, role_arn: str) -> None:
        self.servicecatalog.add_response(
            "associate_principal_with_portfolio", {}, principal(role_arn)
        )

    def disassociate(self, role_arn: str) -> None:
        self.servicecatalog.add_response(
            "disassociate_principal_from_portfolio", {}, principal(role_arn)
        )

    def principals(self, *role_arns: str) -> None:
        self.servicecatalog.add_response(
            "list_principals_for_portfolio",
            {"Principals": [{"PrincipalARN": a, "PrincipalType": "IAM"} for a in role_arns]},
            {"PortfolioId": PORTFOLIO},
        )


def principal(role_arn: str) -> dict:
    return {"PortfolioId": PORTFOLIO, "PrincipalARN": role_arn, "PrincipalType": "IAM"}


@pytest.fixture
def stubs(monkeypatch, moto_clients):
    # moto attaches only AWS managed policies it knows (with their real paths), and loads
    # them only on request; loading all of them for every test is slow.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setattr(
        "moto.iam.models.aws_managed_policies_data", json.dumps(aws_managed_policies())
    )
    s = Stubs(moto_clients)
    monkeypatch.setattr(aws, "client", s.client)
    yield s
    s.assert_consumed()


def role_tags(iam, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}


def attached(iam, name: str) -> set[str]:
    return {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    }


def role_names(iam) -> set[str]:
    return {r["RoleName"] for r in iam.list_roles()["Roles"]}


def trusted_services(iam, name: str) -> set[str]:
    doc = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    (statement,) = doc["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    service = statement["Principal"]["Service"]
    return {service} if isinstance(service, str) else set(service)


def make_role(iam, name: str, tags: dict[str, str] | None = None) -> None:
    """A role someone else made: by hand or the console (no tags), or another stack."""
    services, _ = DOCUMENTED_ROLES[name]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": sorted(services)},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        RoleName=name,
        Path="/service-role/",
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
