"""Projects and JumpStart enablement: portfolio (Stubber), service roles (moto IAM)."""

from __future__ import annotations

import functools
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cr_support import aws, properties
from projects_enablement import handler, roles

REGION = "us-east-1"
KEY = "autopilot-studio:owner-stack"
STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/dev/1234"
EXEC_ROLE = "arn:aws:iam::111111111111:role/dev-studio-execution"
LAUNCH = "AmazonSageMakerServiceCatalogProductsLaunchRole"
USE = "AmazonSageMakerServiceCatalogProductsUseRole"
PORTFOLIO = "port-abcdefghijklm"
SAGEMAKER_PORTFOLIO = {
    "Id": PORTFOLIO,
    "DisplayName": "Amazon SageMaker Solutions and ML Ops products",
    "ProviderName": "Amazon SageMaker",
}
OTHER_PORTFOLIO = {"Id": "port-zzzzzzzzzzzzz", "DisplayName": "Team", "ProviderName": "Platform"}
IMPORTED = {"PortfolioShareType": "IMPORTED"}


def event(request: str, physical_id: str | None = None, **extra) -> dict:
    body = {
        "RequestType": request,
        "StackId": STACK,
        "LogicalResourceId": "ProjectsEnablement",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:provider",
            "ExecutionRoleArn": EXEC_ROLE,
            "OwnerTagKey": KEY,
            "OwnerTagValue": STACK,
        },
        **extra,
    }
    if physical_id:
        body["PhysicalResourceId"] = physical_id
    return body


ENABLED_BY_STACK = "sagemaker-projects/enabled-by-stack"
PRE_ENABLED = "sagemaker-projects/pre-enabled"
ALLOW_LOGS = (
    '{"Version": "2012-10-17", "Statement": '
    '[{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}'
)


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


@functools.cache
def catalog_managed_policies() -> str:
    """moto's copy of the AWS managed policies, cut down to the ones these roles use."""
    from moto.iam import aws_managed_policies

    data = json.loads(aws_managed_policies.aws_managed_policies_data)
    return json.dumps({k: v for k, v in data.items() if "ServiceCatalogProducts" in k})


@pytest.fixture
def stubs(monkeypatch, moto_clients):
    # moto attaches only AWS managed policies it knows (with their real paths), and loads
    # them only on request; loading all of them for every test is slow.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setattr("moto.iam.models.aws_managed_policies_data", catalog_managed_policies())
    s = Stubs(moto_clients)
    monkeypatch.setattr(aws, "client", s.client)
    yield s
    s.assert_consumed()


def status(s: Stubs, value: str) -> None:
    s.sagemaker.add_response("get_sagemaker_servicecatalog_portfolio_status", {"Status": value}, {})


def portfolio_pages(servicecatalog: Stubber, *pages: list[dict]) -> None:
    for i, page in enumerate(pages):
        body: dict = {"PortfolioDetails": page}
        if i < len(pages) - 1:
            body["NextPageToken"] = f"t{i + 1}"
        params = {**IMPORTED, **({"PageToken": f"t{i}"} if i else {})}
        servicecatalog.add_response("list_accepted_portfolio_shares", body, params)


def principal(role_arn: str = EXEC_ROLE) -> dict:
    return {"PortfolioId": PORTFOLIO, "PrincipalARN": role_arn, "PrincipalType": "IAM"}


def role_tags(iam, name: str) -> list[dict]:
    return iam.list_role_tags(RoleName=name)["Tags"]


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


def pre_create_foreign_use_role(iam) -> None:
    iam.create_role(
        RoleName=USE, Path="/service-role/", AssumeRolePolicyDocument=roles.USE_ROLE.trust_policy()
    )


class TestCreate:
    def test_enables_portfolio_and_creates_both_roles(self, stubs):
        status(stubs, "Disabled")
        stubs.sagemaker.add_response("enable_sagemaker_servicecatalog_portfolio", {}, {})

        result = handler.on_event(event("Create"))

        assert result == {
            "PhysicalResourceId": ENABLED_BY_STACK,
            "Data": {"CreatedRoles": f"{LAUNCH},{USE}", "PortfolioEnabledByStack": "true"},
        }
        iam = stubs.iam
        launch = iam.get_role(RoleName=LAUNCH)["Role"]
        assert launch["Path"] == "/service-role/"
        assert {"Key": KEY, "Value": STACK} in role_tags(iam, LAUNCH)
        assert {"Key": KEY, "Value": STACK} in role_tags(iam, USE)
        assert trusted_services(iam, LAUNCH) == {"servicecatalog.amazonaws.com"}
        assert trusted_services(iam, USE) == {
            f"{s}.amazonaws.com"
            for s in (
                "apigateway",
                "cloudformation",
                "codebuild",
                "codepipeline",
                "events",
                "firehose",
                "glue",
                "lambda",
                "sagemaker",
                "states",
            )
        }
        assert attached(iam, LAUNCH) == {
            "arn:aws:iam::aws:policy/AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy"
        }
        use_policies = attached(iam, USE)
        assert len(use_policies) == 8
        assert (
            "arn:aws:iam::aws:policy/AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy"
            in use_policies
        )
        assert (
            "arn:aws:iam::aws:policy/service-role/"
            "AmazonSageMakerServiceCatalogProductsLambdaServiceRolePolicy" in use_policies
        )

    def test_existing_role_without_tag_is_left_untouched(self, stubs):
        pre_create_foreign_use_role(stubs.iam)
        status(stubs, "Enabled")

        result = handler.on_event(event("Create"))

        assert result == {
            "PhysicalResourceId": PRE_ENABLED,
            "Data": {"CreatedRoles": LAUNCH, "PortfolioEnabledByStack": "false"},
        }
        assert role_tags(stubs.iam, USE) == []
        assert attached(stubs.iam, USE) == set()

    def test_update_keeps_physical_id_and_reattaches_owned_role_policies(self, stubs):
        status(stubs, "Disabled")
        stubs.sagemaker.add_response("enable_sagemaker_servicecatalog_portfolio", {}, {})
        handler.on_event(event("Create"))
        arn = "arn:aws:iam::aws:policy/AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy"
        stubs.iam.detach_role_policy(RoleName=LAUNCH, PolicyArn=arn)

        status(stubs, "Enabled")
        result = handler.on_event(event("Update", ENABLED_BY_STACK))

        assert result == {
            "PhysicalResourceId": ENABLED_BY_STACK,
            "Data": {"CreatedRoles": "", "PortfolioEnabledByStack": "true"},
        }
        assert arn in attached(stubs.iam, LAUNCH)

    def test_failed_enable_rolls_back_the_roles_it_created(self, stubs):
        pre_create_foreign_use_role(stubs.iam)
        status(stubs, "Disabled")
        stubs.sagemaker.add_client_error(
            "enable_sagemaker_servicecatalog_portfolio", "AccessDeniedException", "denied", 400
        )

        with pytest.raises(ClientError, match="AccessDenied"):
            handler.on_event(event("Create"))

        assert role_names(stubs.iam) == {USE}

    def test_rejects_an_execution_role_that_is_not_an_arn(self, stub):
        bad = event("Create")
        bad["ResourceProperties"]["ExecutionRoleArn"] = "dev-studio-execution"
        with pytest.raises(properties.PropertyError, match="ExecutionRoleArn"):
            handler.on_event(bad)


class TestIsComplete:
    def test_waits_for_portfolio_then_associates_the_execution_role(self, stub):
        catalog = stub("servicecatalog")
        created = event(
            "Create",
            ENABLED_BY_STACK,
            Data={"CreatedRoles": f"{LAUNCH},{USE}", "PortfolioEnabledByStack": "true"},
        )
        portfolio_pages(catalog, [OTHER_PORTFOLIO])
        assert handler.is_complete(created) == {"IsComplete": False}

        portfolio_pages(catalog, [OTHER_PORTFOLIO], [SAGEMAKER_PORTFOLIO])
        catalog.add_response("associate_principal_with_portfolio", {}, principal())

        assert handler.is_complete(created) == {
            "IsComplete": True,
            "Data": {
                "CreatedRoles": f"{LAUNCH},{USE}",
                "PortfolioEnabledByStack": "true",
                "PortfolioId": PORTFOLIO,
            },
        }

    def test_update_moves_the_association_to_the_new_role(self, stub):
        catalog = stub("servicecatalog")
        old_role = "arn:aws:iam::111111111111:role/old-execution"
        update = event(
            "Update",
            PRE_ENABLED,
            OldResourceProperties={"ExecutionRoleArn": old_role},
            Data={"CreatedRoles": "", "PortfolioEnabledByStack": "false"},
        )
        portfolio_pages(catalog, [SAGEMAKER_PORTFOLIO])
        catalog.add_response("associate_principal_with_portfolio", {}, principal())
        catalog.add_response("disassociate_principal_from_portfolio", {}, principal(old_role))

        result = handler.is_complete(update)

        assert result["IsComplete"] is True
        assert result["Data"]["PortfolioId"] == PORTFOLIO

    @pytest.mark.parametrize("request_type", ["Create", "Delete"])
    def test_throttled_poll_is_not_complete(self, stub, request_type):
        catalog = stub("servicecatalog")
        catalog.add_client_error(
            "list_accepted_portfolio_shares", "ThrottlingException", "Rate exceeded", 400
        )
        assert handler.is_complete(event(request_type, ENABLED_BY_STACK)) == {"IsComplete": False}

    def test_unexpected_error_fails(self, stub):
        catalog = stub("servicecatalog")
        portfolio_pages(catalog, [SAGEMAKER_PORTFOLIO])
        catalog.add_client_error(
            "associate_principal_with_portfolio", "InvalidParametersException", "bad", 400
        )
        with pytest.raises(ClientError, match="InvalidParameters"):
            handler.is_complete(event("Create", PRE_ENABLED))


class TestDelete:
    def test_lifecycle_deletes_only_what_the_stack_created_and_is_idempotent(self, stubs):
        iam = stubs.iam
        pre_create_foreign_use_role(iam)
        iam.create_role(
            RoleName="unrelated", AssumeRolePolicyDocument=roles.LAUNCH_ROLE.trust_policy()
        )
        status(stubs, "Disabled")
        stubs.sagemaker.add_response("enable_sagemaker_servicecatalog_portfolio", {}, {})
        physical_id = handler.on_event(event("Create"))["PhysicalResourceId"]
        assert physical_id == ENABLED_BY_STACK
        # Something added later to the stack's role must not block deleting it.
        iam.put_role_policy(RoleName=LAUNCH, PolicyName="extra", PolicyDocument=ALLOW_LOGS)

        delete = event("Delete", physical_id)
        assert handler.on_event(delete) == {"PhysicalResourceId": physical_id}
        portfolio_pages(stubs.servicecatalog, [SAGEMAKER_PORTFOLIO])
        stubs.servicecatalog.add_response("disassociate_principal_from_portfolio", {}, principal())
        status(stubs, "Enabled")
        stubs.sagemaker.add_response("disable_sagemaker_servicecatalog_portfolio", {}, {})

        assert handler.is_complete(delete) == {"IsComplete": True}

        assert LAUNCH not in role_names(iam)
        assert {USE, "unrelated"} <= role_names(iam)
        assert role_tags(iam, USE) == []

        # Second Delete: nothing associated, portfolio already disabled, role gone.
        portfolio_pages(stubs.servicecatalog, [SAGEMAKER_PORTFOLIO])
        stubs.servicecatalog.add_client_error(
            "disassociate_principal_from_portfolio",
            "ResourceNotFoundException",
            "principal not associated",
            400,
            expected_params=principal(),
        )
        status(stubs, "Disabled")

        assert handler.is_complete(delete) == {"IsComplete": True}
        assert USE in role_names(iam)

    def test_pre_enabled_portfolio_stays_enabled(self, stubs):
        portfolio_pages(stubs.servicecatalog, [])
        # No status or disable calls: the stack did not enable the portfolio.
        assert handler.is_complete(event("Delete", PRE_ENABLED)) == {"IsComplete": True}


def test_failed_create_rolls_back_the_roles_it_created(stub):
    iam = stub("iam")
    stub("sagemaker")  # never reached
    missing = ("get_role", "NoSuchEntity", "not found", 404)
    launch_arn = f"arn:aws:iam::aws:policy/{roles.LAUNCH_ROLE.managed_policies[0]}"
    iam.add_client_error(*missing, expected_params={"RoleName": LAUNCH})
    iam.add_response(
        "create_role",
        {"Role": iam_role(LAUNCH)},
        {
            "RoleName": LAUNCH,
            "Path": "/service-role/",
            "AssumeRolePolicyDocument": roles.LAUNCH_ROLE.trust_policy(),
            "Description": roles.LAUNCH_ROLE.description,
            "Tags": [{"Key": KEY, "Value": STACK}],
        },
    )
    iam.add_response("attach_role_policy", {}, {"RoleName": LAUNCH, "PolicyArn": launch_arn})
    iam.add_client_error(*missing, expected_params={"RoleName": USE})
    iam.add_client_error("create_role", "AccessDenied", "no iam:CreateRole", 403)
    # Roll back the launch role this call created.
    iam.add_response(
        "list_role_tags", {"Tags": [{"Key": KEY, "Value": STACK}]}, {"RoleName": LAUNCH}
    )
    iam.add_response(
        "list_attached_role_policies",
        {"AttachedPolicies": [{"PolicyName": "p", "PolicyArn": launch_arn}]},
        {"RoleName": LAUNCH},
    )
    iam.add_response("detach_role_policy", {}, {"RoleName": LAUNCH, "PolicyArn": launch_arn})
    iam.add_response("list_role_policies", {"PolicyNames": []}, {"RoleName": LAUNCH})
    iam.add_response("delete_role", {}, {"RoleName": LAUNCH})

    with pytest.raises(ClientError, match="AccessDenied"):
        handler.on_event(event("Create"))


def iam_role(name: str) -> dict:
    return {
        "Path": "/service-role/",
        "RoleName": name,
        "RoleId": "AROA00000000000000000",
        "Arn": f"arn:aws:iam::111111111111:role/service-role/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
    }
