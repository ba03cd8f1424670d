"""Projects and JumpStart enablement: portfolio (Stubber), the 11 service roles (moto IAM)."""

from __future__ import annotations

import json
import logging
import re

import botocore.session
import pytest
from botocore.exceptions import ClientError

from cr_support import properties
from projects_enablement import backoff, handler, role_specs, roles
from tests.fixtures import cfn_event
from tests.runtime.projects_enablement.fakes import (
    DOCUMENTED_ROLES,
    IMPORTED,
    KEY,
    LAUNCH,
    OTHER_PORTFOLIO,
    PORTFOLIO,
    PROJECT_STATUSES,
    ROLE_NAMES,
    SAGEMAKER_PORTFOLIO,
    USE,
    attached,
    aws_managed_policies,
    iam_role_summary,
    make_role,
    principal,
    project,
    role_names,
    role_tags,
    trusted_services,
)
from tests.runtime.projects_enablement.fakes import stubs as stubs  # the fixture

STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/dev/1234"
OTHER_STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/stage/5678"
EXEC_ROLE = "arn:aws:iam::111111111111:role/dev-studio-execution"
CODEBUILD = "AmazonSageMakerServiceCatalogProductsCodeBuildRole"
GLUE = "AmazonSageMakerServiceCatalogProductsGlueRole"
ENABLED_BY_STACK = "sagemaker-projects/enabled-by-stack"
PRE_ENABLED = "sagemaker-projects/pre-enabled"
ALLOW_LOGS = (
    '{"Version": "2012-10-17", "Statement": '
    '[{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}'
)
OWNED = {KEY: STACK}
CLAIM = roles.claim_key(KEY, STACK)
OTHERS_CLAIM = roles.claim_key(KEY, OTHER_STACK)


def event(request: str, physical_id: str | None = None, stack: str = STACK, **extra) -> dict:
    properties = {"ExecutionRoleArn": EXEC_ROLE, "OwnerTagKey": KEY, "OwnerTagValue": stack}
    body = cfn_event(
        request,
        properties,
        logical_id="ProjectsEnablement",
        resource_type="Custom::SageMakerProjectsEnablement",
        physical_id=physical_id or None,
        stack_id=stack,
    )
    return {**body, **extra}


def names(*roles_: str) -> str:
    return ",".join(roles_)


class TestRoleSpecs:
    def test_equal_the_documented_eleven_roles(self):
        specs = {
            spec.name: (set(spec.services), set(spec.policy_arns("aws")))
            for spec in role_specs.ROLE_SPECS
        }
        assert specs == DOCUMENTED_ROLES
        assert [spec.name for spec in role_specs.ROLE_SPECS] == list(ROLE_NAMES)
        assert role_specs.ROLE_PATH == "/service-role/"

    def test_managed_policies_exist_at_the_paths_iam_lists(self):
        # moto ships AWS's own copy of the managed policies, with their real paths.
        known = aws_managed_policies()
        for spec in role_specs.ROLE_SPECS:
            for policy in spec.managed_policies:
                path, _, name = policy.rpartition("/")
                assert known[name]["Path"] == (f"/{path}/" if path else "/"), policy

    def test_every_role_aws_policies_pass_by_name_is_ensured(self):
        # The per-service and Launch policies pass these roles; a missing one breaks templates.
        passed = set()
        for policy in aws_managed_policies().values():
            for statement in policy["Document"]["Statement"]:
                actions = statement["Action"]
                if "iam:PassRole" in ([actions] if isinstance(actions, str) else actions):
                    resources = statement["Resource"]
                    for arn in [resources] if isinstance(resources, str) else resources:
                        passed |= set(re.findall(r"role/service-role/(\w+Role)$", arn))
        passed = {name for name in passed if "Partner" not in name}
        assert len(passed) >= 5
        assert passed <= set(ROLE_NAMES)

    def test_use_role_policy_fits_the_inline_quota_and_passes_only_use_roles(self):
        name, document = role_specs.USE_ROLE.inline_policy
        doc = document("aws-us-gov")
        # IAM caps a role's inline policies at 10,240 characters, whitespace excluded.
        assert len(json.dumps(doc, separators=(",", ":"))) < 10_240
        assert name == "AmazonSageMakerServiceCatalogProductsUseRolePolicy"
        (pass_role,) = [s for s in doc["Statement"] if s["Action"] == ["iam:PassRole"]]
        assert pass_role["Resource"] == [
            "arn:aws-us-gov:iam::*:role/service-role/AmazonSageMakerServiceCatalogProductsUse*"
        ]
        assert "arn:aws:" not in json.dumps(doc)

    def test_claim_key_is_a_valid_short_tag_key_per_stack(self):
        key = roles.claim_key(KEY, STACK)
        assert key.startswith(f"{KEY}:claim:")
        assert len(key) <= 128
        assert re.fullmatch(r"[\w.:/=+\-@]+", key)
        assert key != roles.claim_key(KEY, OTHER_STACK)


def shared_calls(*head: str) -> list[str]:
    """The SageMaker and Service Catalog calls of a Create or Update that finds the share."""
    return [*head, "ListAcceptedPortfolioShares", "AssociatePrincipalWithPortfolio"]


STATUS = "GetSagemakerServicecatalogPortfolioStatus"
ENABLE = "EnableSagemakerServicecatalogPortfolio"
DISABLE = "DisableSagemakerServicecatalogPortfolio"
OLD_ROLE = "arn:aws:iam::111111111111:role/old-execution"


@pytest.fixture
def backoff_pauses(monkeypatch) -> list[float]:
    """The roles' bounded retries' pauses, recorded instead of slept."""
    pauses: list[float] = []
    monkeypatch.setattr(backoff, "sleep", pauses.append)
    return pauses


# What a Create answers when it enabled the portfolio and created all eleven roles.
ENABLED_FROM_SCRATCH = {
    "PhysicalResourceId": ENABLED_BY_STACK,
    "Data": {
        "CreatedRoles": names(*ROLE_NAMES),
        "ClaimedRoles": "",
        "PortfolioEnabledByStack": "true",
        "PortfolioId": PORTFOLIO,
    },
}


class TestCreate:
    def test_all_absent_creates_the_eleven_roles_as_the_console_does(self, stubs):
        stubs.status("Disabled")
        stubs.enable()
        stubs.portfolio_shared(EXEC_ROLE)

        result = handler.on_event(event("Create"))

        assert result == ENABLED_FROM_SCRATCH
        assert stubs.calls == shared_calls(STATUS, ENABLE)
        assert stubs.slept == []
        iam = stubs.iam
        for name, (services, policies) in DOCUMENTED_ROLES.items():
            role = iam.get_role(RoleName=name)["Role"]
            assert role["Path"] == "/service-role/"
            assert role_tags(iam, name) == OWNED
            assert trusted_services(iam, name) == services
            assert attached(iam, name) == policies
        assert iam.list_role_policies(RoleName=USE)["PolicyNames"] == [
            "AmazonSageMakerServiceCatalogProductsUseRolePolicy"
        ]
        inline = iam.get_role_policy(
            RoleName=USE, PolicyName="AmazonSageMakerServiceCatalogProductsUseRolePolicy"
        )["PolicyDocument"]
        assert inline == role_specs.use_role_policy("aws")

    def test_all_present_from_the_console_are_left_untouched(self, stubs):
        for name in ROLE_NAMES:
            make_role(stubs.iam, name)
        stubs.status("Enabled")
        stubs.portfolio_shared(EXEC_ROLE)

        result = handler.on_event(event("Create"))

        assert result == {
            "PhysicalResourceId": PRE_ENABLED,
            "Data": {
                "CreatedRoles": "",
                "ClaimedRoles": "",
                "PortfolioEnabledByStack": "false",
                "PortfolioId": PORTFOLIO,
            },
        }
        # An enabled portfolio is not enabled again.
        assert stubs.calls == shared_calls(STATUS)
        for name in ROLE_NAMES:
            assert role_tags(stubs.iam, name) == {}
            assert attached(stubs.iam, name) == set()

    def test_partly_present_creates_the_rest_and_claims_another_stacks_role(self, stubs):
        make_role(stubs.iam, USE)  # console-made
        make_role(stubs.iam, CODEBUILD, {KEY: OTHER_STACK})
        stubs.status("Enabled")
        stubs.portfolio_shared(EXEC_ROLE)

        result = handler.on_event(event("Create"))

        created = [n for n in ROLE_NAMES if n not in (USE, CODEBUILD)]
        assert result["Data"]["CreatedRoles"] == names(*created)
        assert result["Data"]["ClaimedRoles"] == CODEBUILD
        iam = stubs.iam
        assert role_tags(iam, USE) == {}
        assert iam.list_role_policies(RoleName=USE)["PolicyNames"] == []
        assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK, CLAIM: STACK}
        # The owner stack keeps managing its role's policies.
        assert attached(iam, CODEBUILD) == set()
        for name in created:
            assert role_tags(iam, name) == OWNED

    def test_update_reconciles_an_owned_use_role_from_the_two_role_version(self, stubs):
        iam = stubs.iam
        make_role(iam, USE, OWNED)
        per_service = [p for _, ps in DOCUMENTED_ROLES.values() for p in ps if "Products" in p]
        for arn in per_service:
            iam.attach_role_policy(RoleName=USE, PolicyArn=arn)
        users = iam.create_policy(PolicyName="team-extras", PolicyDocument=ALLOW_LOGS)
        iam.attach_role_policy(RoleName=USE, PolicyArn=users["Policy"]["Arn"])
        stubs.status("Enabled")
        stubs.portfolio_shared(EXEC_ROLE)

        result = handler.on_event(event("Update", ENABLED_BY_STACK))

        assert result["PhysicalResourceId"] == ENABLED_BY_STACK
        assert USE not in result["Data"]["CreatedRoles"]
        # Only the project's own policies are detached; the user's stay.
        assert attached(iam, USE) == {users["Policy"]["Arn"]}
        assert iam.list_role_policies(RoleName=USE)["PolicyNames"] == [
            "AmazonSageMakerServiceCatalogProductsUseRolePolicy"
        ]

    def test_update_keeps_physical_id_and_reattaches_owned_role_policies(self, stubs):
        stubs.status("Disabled")
        stubs.enable()
        stubs.portfolio_shared(EXEC_ROLE)
        handler.on_event(event("Create"))
        arn = "arn:aws:iam::aws:policy/AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy"
        stubs.iam.detach_role_policy(RoleName=LAUNCH, PolicyArn=arn)

        stubs.status("Enabled")
        stubs.portfolio_shared(EXEC_ROLE)
        result = handler.on_event(event("Update", ENABLED_BY_STACK))

        assert result == {
            "PhysicalResourceId": ENABLED_BY_STACK,
            "Data": {
                "CreatedRoles": "",
                "ClaimedRoles": "",
                "PortfolioEnabledByStack": "true",
                "PortfolioId": PORTFOLIO,
            },
        }
        assert arn in attached(stubs.iam, LAUNCH)

    def test_failed_enable_rolls_back_the_roles_it_created_and_its_claims(self, stubs):
        iam = stubs.iam
        make_role(iam, USE)
        make_role(iam, CODEBUILD, {KEY: OTHER_STACK})
        stubs.status("Disabled")
        stubs.sagemaker.add_client_error(
            "enable_sagemaker_servicecatalog_portfolio", "AccessDeniedException", "denied", 400
        )

        with pytest.raises(ClientError, match="AccessDenied"):
            handler.on_event(event("Create"))

        assert role_names(iam) == {USE, CODEBUILD}
        assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK}

    def test_rejects_an_execution_role_that_is_not_an_arn(self, stub):
        bad = event("Create")
        bad["ResourceProperties"]["ExecutionRoleArn"] = "dev-studio-execution"
        with pytest.raises(properties.PropertyError, match="ExecutionRoleArn"):
            handler.on_event(bad)

    def test_rejects_an_unknown_request_type(self, stub):
        # No stubbed service: it fails before any call.
        with pytest.raises(ValueError, match="unsupported RequestType 'Replace'"):
            handler.on_event(event("Replace"))


class TestPortfolioShare:
    """Create and Update wait, in on_event, for the share that enabling the portfolio makes."""

    def test_waits_until_the_share_is_visible_then_associates_the_execution_role(self, stubs):
        stubs.status("Disabled")
        stubs.enable()
        stubs.shares([])  # not shared yet
        stubs.shares([OTHER_PORTFOLIO])  # another portfolio only
        stubs.shares([OTHER_PORTFOLIO], [SAGEMAKER_PORTFOLIO])  # on the second page
        stubs.associate(EXEC_ROLE)

        result = handler.on_event(event("Create"))

        assert result == ENABLED_FROM_SCRATCH
        # A pause between looks, none after the one that found it.
        assert stubs.slept == [handler.VISIBLE_PAUSE_SECONDS] * 2
        shares = ["ListAcceptedPortfolioShares"]
        assert stubs.calls == [STATUS, ENABLE, *shares * 4, "AssociatePrincipalWithPortfolio"]

    @pytest.mark.parametrize(
        ("old_role", "moved"),
        [(OLD_ROLE, True), (EXEC_ROLE, False), (None, False)],
        ids=["role-changed", "role-unchanged", "no-old-properties"],
    )
    def test_update_moves_the_association_only_when_the_role_changed(self, stubs, old_role, moved):
        stubs.status("Enabled")
        stubs.portfolio_shared(EXEC_ROLE)
        if moved:
            stubs.disassociate(OLD_ROLE)
        old = {"OldResourceProperties": {"ExecutionRoleArn": old_role}} if old_role else {}

        result = handler.on_event(event("Update", PRE_ENABLED, **old))

        assert result["PhysicalResourceId"] == PRE_ENABLED
        assert result["Data"]["PortfolioId"] == PORTFOLIO
        assert result["Data"]["PortfolioEnabledByStack"] == "false"
        # The new role is associated before the old one loses the portfolio.
        moves = ["DisassociatePrincipalFromPortfolio"] if moved else []
        assert stubs.calls == [*shared_calls(STATUS), *moves]

    def test_a_portfolio_that_never_becomes_visible_fails_and_the_create_rolls_back(self, stubs):
        iam = stubs.iam
        make_role(iam, CODEBUILD, {KEY: OTHER_STACK})
        stubs.status("Disabled")
        stubs.enable()
        for _ in range(handler.VISIBLE_ATTEMPTS):
            stubs.shares([OTHER_PORTFOLIO])

        with pytest.raises(RuntimeError) as raised:
            handler.on_event(event("Create"))

        message = str(raised.value)
        assert "\n" not in message
        assert "did not appear among the account's accepted portfolio shares within 300 s" in (
            message
        )
        assert message.endswith("then deploy again")
        assert stubs.slept == [handler.VISIBLE_PAUSE_SECONDS] * (handler.VISIBLE_ATTEMPTS - 1)
        assert "AssociatePrincipalWithPortfolio" not in stubs.calls
        # No Delete follows a failed Create: its roles and its claim are gone.
        assert role_names(iam) == {CODEBUILD}
        assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK}

    @pytest.mark.parametrize("request_type", ["Create", "Update"])
    def test_a_failed_association_fails_and_only_a_create_rolls_back(self, stubs, request_type):
        iam = stubs.iam
        make_role(iam, CODEBUILD, {KEY: OTHER_STACK})
        stubs.status("Enabled")
        stubs.portfolio_visible()
        stubs.servicecatalog.add_client_error(
            "associate_principal_with_portfolio",
            "InvalidParametersException",
            "bad",
            400,
            expected_params=principal(EXEC_ROLE),
        )

        with pytest.raises(ClientError, match="InvalidParameters"):
            handler.on_event(event(request_type, PRE_ENABLED))

        if request_type == "Create":
            assert role_names(iam) == {CODEBUILD}
            assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK}
        else:
            # CloudFormation rolls a failed Update back with another Update: roles stay.
            assert role_names(iam) == set(ROLE_NAMES)
            assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK, CLAIM: STACK}


def expect_delete(stubs, physical_id: str, *, principals=(), projects=()) -> None:
    """Queue a Delete's calls up to the disable decision: ListProjects (``projects``: its
    pages, none by default), the portfolio visible, this stack's role associated."""
    stubs.projects(*projects)
    stubs.portfolio_visible()
    stubs.disassociate(EXEC_ROLE)
    if physical_id == ENABLED_BY_STACK:
        stubs.principals(*principals)


def deployed(stubs, physical_id: str = ENABLED_BY_STACK) -> None:
    """This stack's Create, with the portfolio enabled by it or before it."""
    stubs.status("Disabled" if physical_id == ENABLED_BY_STACK else "Enabled")
    if physical_id == ENABLED_BY_STACK:
        stubs.enable()
    stubs.portfolio_shared(EXEC_ROLE)
    assert handler.on_event(event("Create"))["PhysicalResourceId"] == physical_id
    stubs.calls.clear()


class TestReleaseAnnouncements:
    """An owner's ``releasing`` tag makes claimants wait, within bounds (moto IAM)."""

    @pytest.mark.parametrize("action", ["claim", "release a claim"])
    def test_a_release_that_never_finishes_stops_the_wait_after_the_last_try(
        self, stubs, backoff_pauses, action
    ):
        # The owner's delete stopped after its announcement (its Lambda timed out).
        tags = {KEY: OTHER_STACK, roles.releasing_key(KEY, OTHER_STACK): OTHER_STACK}
        if action == "release a claim":
            tags[CLAIM] = STACK
        make_role(stubs.iam, CODEBUILD, tags)
        spec = next(s for s in role_specs.ROLE_SPECS if s.name == CODEBUILD)

        if action == "claim":
            act = lambda: roles._ensure_role(spec, KEY, STACK, "aws", roles.Ensured())  # noqa: E731
        else:
            act = lambda: roles.release_role(CODEBUILD, KEY, STACK)  # noqa: E731
        with pytest.raises(roles.RoleBusy, match=f"^{CODEBUILD}: ") as raised:
            act()

        assert "\n" not in str(raised.value)
        assert backoff_pauses == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
        # The claim stays while it waits, and is gone once it released.
        assert (CLAIM in role_tags(stubs.iam, CODEBUILD)) == (action == "claim")

    def test_an_owner_left_announced_by_an_interrupted_delete_clears_it_on_update(self, stubs):
        make_role(stubs.iam, CODEBUILD, {KEY: STACK, roles.releasing_key(KEY, STACK): STACK})
        spec = next(s for s in role_specs.ROLE_SPECS if s.name == CODEBUILD)

        roles._ensure_role(spec, KEY, STACK, "aws", roles.Ensured())

        assert role_tags(stubs.iam, CODEBUILD) == OWNED
        assert attached(stubs.iam, CODEBUILD) == DOCUMENTED_ROLES[CODEBUILD][1]


class TestDelete:
    def test_lifecycle_deletes_only_what_the_stack_created_and_is_idempotent(self, stubs):
        iam = stubs.iam
        make_role(iam, USE)
        iam.create_role(
            RoleName="unrelated", AssumeRolePolicyDocument=role_specs.LAUNCH_ROLE.trust_policy()
        )
        deployed(stubs)
        # Something added later to the stack's role must not block deleting it.
        iam.put_role_policy(RoleName=LAUNCH, PolicyName="extra", PolicyDocument=ALLOW_LOGS)

        delete = event("Delete", ENABLED_BY_STACK)
        expect_delete(stubs, ENABLED_BY_STACK)
        stubs.status("Enabled")
        stubs.disable()

        assert handler.on_event(delete) == {"PhysicalResourceId": ENABLED_BY_STACK}

        # Projects first: a Delete that cannot tell whether they exist changes nothing.
        assert stubs.calls == [
            "ListProjects",
            "ListAcceptedPortfolioShares",
            "DisassociatePrincipalFromPortfolio",
            "ListPrincipalsForPortfolio",
            STATUS,
            DISABLE,
        ]
        assert stubs.slept == []
        assert role_names(iam) == {USE, "unrelated"}
        assert role_tags(iam, USE) == {}

        # Second Delete: nothing associated, portfolio already disabled, roles gone.
        stubs.projects()
        stubs.portfolio_visible()
        stubs.servicecatalog.add_client_error(
            "disassociate_principal_from_portfolio",
            "ResourceNotFoundException",
            "principal not associated",
            400,
            expected_params=principal(EXEC_ROLE),
        )
        stubs.principals()
        stubs.status("Disabled")

        assert handler.on_event(delete) == {"PhysicalResourceId": ENABLED_BY_STACK}
        assert role_names(iam) == {USE, "unrelated"}

    def test_keeps_roles_it_did_not_create_and_drops_only_its_claim(self, stubs):
        iam = stubs.iam
        make_role(iam, USE)
        make_role(iam, CODEBUILD, {KEY: OTHER_STACK, "team": "ml"})
        deployed(stubs, PRE_ENABLED)
        expect_delete(stubs, PRE_ENABLED)

        assert handler.on_event(event("Delete", PRE_ENABLED)) == {"PhysicalResourceId": PRE_ENABLED}

        assert role_names(iam) == {USE, CODEBUILD}
        assert role_tags(iam, USE) == {}
        assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK, "team": "ml"}

    def test_owner_hands_a_claimed_role_to_the_claimant_who_deletes_it_last(self, stubs):
        iam = stubs.iam
        deployed(stubs, PRE_ENABLED)
        iam.tag_role(RoleName=CODEBUILD, Tags=[{"Key": OTHERS_CLAIM, "Value": OTHER_STACK}])
        expect_delete(stubs, PRE_ENABLED)

        handler.on_event(event("Delete", PRE_ENABLED))

        assert role_names(iam) == {CODEBUILD}
        assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK}

        # The claimant, now the owner, removes it on its own delete.
        stubs.projects()
        stubs.shares([])
        assert handler.on_event(event("Delete", PRE_ENABLED, OTHER_STACK)) == {
            "PhysicalResourceId": PRE_ENABLED
        }
        assert role_names(iam) == set()

    def test_pre_enabled_portfolio_stays_enabled(self, stubs):
        stubs.projects()
        stubs.shares([])

        assert handler.on_event(event("Delete", PRE_ENABLED)) == {"PhysicalResourceId": PRE_ENABLED}

        # No status or disable calls: the stack did not enable the portfolio.
        assert stubs.calls == ["ListProjects", "ListAcceptedPortfolioShares"]

    def test_portfolio_this_stack_enabled_stays_while_others_use_it(self, stubs):
        other_role = "arn:aws:iam::111111111111:role/stage-studio-execution"
        expect_delete(stubs, ENABLED_BY_STACK, principals=(other_role,))

        handler.on_event(event("Delete", ENABLED_BY_STACK))

        # No status or disable calls: another principal is still associated.
        assert stubs.calls[-1] == "ListPrincipalsForPortfolio"

    def test_a_delete_that_cannot_list_projects_changes_nothing(self, stubs):
        iam = stubs.iam
        deployed(stubs)
        stubs.sagemaker.add_client_error(
            "list_projects",
            "AccessDeniedException",
            "not authorized to perform sagemaker:ListProjects",
            400,
            expected_params={"MaxResults": 100},
        )

        with pytest.raises(ClientError, match="sagemaker:ListProjects"):
            handler.on_event(event("Delete", ENABLED_BY_STACK))

        assert stubs.calls == ["ListProjects"]
        assert role_names(iam) == set(ROLE_NAMES)
        assert all(role_tags(iam, name) == OWNED for name in ROLE_NAMES)


LIVE_STATUSES = [s for s in PROJECT_STATUSES if s != "DeleteCompleted"]


class TestLiveProjects:
    """A project's stack is updated and deleted as the Launch and Use roles: while one
    exists, Delete keeps the roles and the portfolio (AWS docs, "AWS managed policies for
    SageMaker projects and JumpStart")."""

    def test_project_statuses_are_the_ones_the_api_model_lists(self):
        model = botocore.session.get_session().get_service_model("sagemaker")
        assert tuple(model.shape_for("ProjectStatus").enum) == PROJECT_STATUSES

    @pytest.mark.parametrize("status", LIVE_STATUSES)
    def test_a_live_project_keeps_the_portfolio_and_the_roles_without_this_stacks_tags(
        self, stubs, status
    ):
        iam = stubs.iam
        deployed(stubs)
        # Another stack still claims one role: it is handed over, as without projects.
        iam.tag_role(RoleName=CODEBUILD, Tags=[{"Key": OTHERS_CLAIM, "Value": OTHER_STACK}])
        expect_delete(stubs, ENABLED_BY_STACK, projects=[[project("churn-mlops", status)]])

        assert handler.on_event(event("Delete", ENABLED_BY_STACK)) == {
            "PhysicalResourceId": ENABLED_BY_STACK
        }

        # No status or disable calls: the project's stacks still need the portfolio.
        assert stubs.calls[-1] == "ListPrincipalsForPortfolio"
        assert role_names(iam) == set(ROLE_NAMES)
        for name, (_, policies) in DOCUMENTED_ROLES.items():
            assert role_tags(iam, name) == ({KEY: OTHER_STACK} if name == CODEBUILD else {})
            assert attached(iam, name) == policies
        assert iam.list_role_policies(RoleName=USE)["PolicyNames"] == [
            "AmazonSageMakerServiceCatalogProductsUseRolePolicy"
        ]

    @pytest.mark.parametrize(
        ("pages", "live"),
        [
            ([[project("old", "DeleteCompleted")]], []),
            (
                [[project("old", "DeleteCompleted")], [project("churn", "CreateCompleted")]],
                ["churn"],
            ),
            ([[project("churn", "UpdateFailed")], [project("old", "DeleteCompleted")]], ["churn"]),
            ([[project("a", "DeleteCompleted")], [project("b", "DeleteCompleted")]], []),
            (
                [[project("a", "CreateCompleted")], [], [project("b", "DeleteFailed")]],
                ["a", "b"],
            ),
        ],
        ids=[
            "deleted-only",
            "live-on-the-last-page",
            "live-on-the-first-page",
            "deleted-on-every-page",
            "live-on-two-pages",
        ],
    )
    def test_projects_are_read_on_every_page_and_deleted_ones_keep_nothing(
        self, stubs, caplog, pages, live
    ):
        caplog.set_level(logging.INFO, logger="autopilot_studio")
        iam = stubs.iam
        deployed(stubs)
        expect_delete(stubs, ENABLED_BY_STACK, projects=pages)
        if not live:
            stubs.status("Enabled")
            stubs.disable()

        handler.on_event(event("Delete", ENABLED_BY_STACK))

        assert stubs.calls.count("ListProjects") == len(pages)
        assert (DISABLE in stubs.calls) == (not live)
        assert role_names(iam) == (set(ROLE_NAMES) if live else set())
        # A successful delete shows no text in the stack events: the log names the projects.
        messages = [json.loads(r.getMessage()) for r in caplog.records]
        kept = [(m["projects"], m["count"]) for m in messages if "projects" in m]
        assert kept == ([(live, len(live))] if live else [])


class TestReleaseRetries:
    """Another stack's release in progress: the whole release is tried again, then fails."""

    @pytest.mark.parametrize("keep", [False, True])
    def test_release_roles_reports_what_happened_to_each_role(self, stubs, keep):
        iam = stubs.iam
        make_role(iam, LAUNCH, OWNED)
        make_role(iam, CODEBUILD, {KEY: STACK, OTHERS_CLAIM: OTHER_STACK})
        make_role(iam, USE, {KEY: OTHER_STACK, CLAIM: STACK})
        make_role(iam, GLUE)  # console-made

        released = roles.release_roles(KEY, STACK, keep=keep)

        assert released == {
            **{name: "absent" for name in ROLE_NAMES},
            LAUNCH: "kept-for-projects" if keep else "deleted",
            CODEBUILD: "handed-over",
            USE: "unclaimed",
            GLUE: "kept",
        }
        assert role_names(iam) == {CODEBUILD, USE, GLUE} | ({LAUNCH} if keep else set())
        if keep:  # no later stack of this project deletes it
            assert role_tags(iam, LAUNCH) == {}
        assert role_tags(iam, CODEBUILD) == {KEY: OTHER_STACK}
        assert role_tags(iam, USE) == {KEY: OTHER_STACK}

    def test_a_release_another_stack_left_unfinished_is_tried_again_and_the_delete_finishes(
        self, stubs, backoff_pauses
    ):
        iam = stubs.iam
        make_role(iam, LAUNCH, OWNED)
        # The owner's delete stopped after its announcement (its Lambda timed out).
        stuck = {KEY: OTHER_STACK, roles.releasing_key(KEY, OTHER_STACK): OTHER_STACK}
        make_role(iam, CODEBUILD, {**stuck, CLAIM: STACK})
        stubs.projects()
        stubs.shares([])

        assert handler.on_event(event("Delete", PRE_ENABLED)) == {"PhysicalResourceId": PRE_ENABLED}

        # The first try waits out the owner (RoleBusy); after one more pause, the second
        # finds the claim already gone and leaves the owner's role to it.
        assert backoff_pauses == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
        assert role_names(iam) == {CODEBUILD}
        assert role_tags(iam, CODEBUILD) == stuck

    @pytest.mark.parametrize("live", [False, True], ids=["no-projects", "live-project"])
    def test_role_busy_on_every_try_fails_the_delete(
        self, stubs, backoff_pauses, monkeypatch, live
    ):
        tries: list[tuple[str, str, bool]] = []

        def busy(key: str, value: str, *, keep: bool = False) -> dict[str, str]:
            tries.append((key, value, keep))
            raise roles.RoleBusy(f"{CODEBUILD}: stack {OTHER_STACK} is still releasing it")

        monkeypatch.setattr(roles, "release_roles", busy)
        stubs.projects([project("churn", "CreateCompleted")] if live else [])
        stubs.shares([])

        with pytest.raises(roles.RoleBusy, match=f"^{CODEBUILD}: "):
            handler.on_event(event("Delete", PRE_ENABLED))

        assert tries == [(KEY, STACK, live)] * handler.RELEASE_ATTEMPTS
        assert handler.RELEASE_ATTEMPTS > 1
        assert backoff_pauses == [4.0] * (handler.RELEASE_ATTEMPTS - 1)


class TestStubbedIam:
    """Every IAM request validated against the API model, in the order the handler makes it."""

    def expect_created(self, iam, spec) -> None:
        iam.add_client_error(
            "get_role", "NoSuchEntity", "not found", 404, expected_params={"RoleName": spec.name}
        )
        iam.add_response(
            "create_role",
            {"Role": iam_role_summary(spec.name)},
            {
                "RoleName": spec.name,
                "Path": "/service-role/",
                "AssumeRolePolicyDocument": spec.trust_policy(),
                "Description": spec.description,
                "Tags": [{"Key": KEY, "Value": STACK}],
            },
        )
        for arn in spec.policy_arns("aws"):
            iam.add_response("attach_role_policy", {}, {"RoleName": spec.name, "PolicyArn": arn})

    def expect_deleted(self, iam, name: str, policies: list[str], inline: list[str]) -> None:
        owned = [{"Key": KEY, "Value": STACK}]
        iam.add_response("list_role_tags", {"Tags": owned}, {"RoleName": name})
        # The owner announces the release, then decides on what a second read shows.
        releasing = {"Key": roles.releasing_key(KEY, STACK), "Value": STACK}
        iam.add_response("tag_role", {}, {"RoleName": name, "Tags": [releasing]})
        iam.add_response("list_role_tags", {"Tags": [*owned, releasing]}, {"RoleName": name})
        iam.add_response(
            "list_attached_role_policies",
            {"AttachedPolicies": [{"PolicyName": "p", "PolicyArn": a} for a in policies]},
            {"RoleName": name},
        )
        for arn in policies:
            iam.add_response("detach_role_policy", {}, {"RoleName": name, "PolicyArn": arn})
        iam.add_response("list_role_policies", {"PolicyNames": inline}, {"RoleName": name})
        for policy_name in inline:
            iam.add_response(
                "delete_role_policy", {}, {"RoleName": name, "PolicyName": policy_name}
            )
        iam.add_response("delete_role", {}, {"RoleName": name})

    def test_throttled_iam_call_on_create_rolls_back_the_roles_it_created(self, stub):
        iam = stub("iam")
        stub("sagemaker")  # never reached
        launch, use = role_specs.LAUNCH_ROLE, role_specs.USE_ROLE
        self.expect_created(iam, launch)
        self.expect_created(iam, use)
        iam.add_client_error("put_role_policy", "Throttling", "Rate exceeded", 400)
        # Undo both, in creation order: no Delete follows a failed Create.
        self.expect_deleted(iam, LAUNCH, launch.policy_arns("aws"), [])
        self.expect_deleted(iam, USE, [], [])

        with pytest.raises(ClientError, match="Throttling"):
            handler.on_event(event("Create"))

    def test_access_denied_on_create_rolls_back_the_roles_it_created(self, stub):
        iam = stub("iam")
        stub("sagemaker")  # never reached
        launch = role_specs.LAUNCH_ROLE
        self.expect_created(iam, launch)
        iam.add_client_error(
            "get_role", "NoSuchEntity", "not found", 404, expected_params={"RoleName": USE}
        )
        iam.add_client_error("create_role", "AccessDenied", "no iam:CreateRole", 403)
        self.expect_deleted(iam, LAUNCH, launch.policy_arns("aws"), [])

        with pytest.raises(ClientError, match="AccessDenied"):
            handler.on_event(event("Create"))

    def test_role_created_concurrently_by_another_stack_is_claimed(self, stub):
        iam = stub("iam")
        launch = role_specs.LAUNCH_ROLE
        iam.add_client_error(
            "get_role", "NoSuchEntity", "not found", 404, expected_params={"RoleName": LAUNCH}
        )
        iam.add_client_error("create_role", "EntityAlreadyExists", "exists", 409)
        iam.add_response(
            "get_role",
            {"Role": {**iam_role_summary(LAUNCH), "Tags": [{"Key": KEY, "Value": OTHER_STACK}]}},
            {"RoleName": LAUNCH},
        )
        iam.add_response(
            "tag_role", {}, {"RoleName": LAUNCH, "Tags": [{"Key": CLAIM, "Value": STACK}]}
        )
        # Read again after the write: the owner is not releasing it.
        tags = [{"Key": KEY, "Value": OTHER_STACK}, {"Key": CLAIM, "Value": STACK}]
        iam.add_response("list_role_tags", {"Tags": tags}, {"RoleName": LAUNCH})
        done = roles.Ensured()

        roles._ensure_role(launch, KEY, STACK, "aws", done)

        assert done == roles.Ensured(created=[], claimed=[LAUNCH])

    def test_throttled_iam_call_on_delete_fails_it_and_the_next_delete_finishes(
        self, stub, backoff_pauses
    ):
        iam = stub("iam")
        sagemaker = stub("sagemaker")
        catalog = stub("servicecatalog")
        delete = event("Delete", PRE_ENABLED)
        launch_policies = role_specs.LAUNCH_ROLE.policy_arns("aws")
        no_projects = ({"ProjectSummaryList": []}, {"MaxResults": 100})
        no_shares = ({"PortfolioDetails": []}, IMPORTED)
        sagemaker.add_response("list_projects", *no_projects)
        catalog.add_response("list_accepted_portfolio_shares", *no_shares)
        self.expect_deleted(iam, LAUNCH, launch_policies, [])
        iam.add_client_error(
            "list_role_tags", "Throttling", "Rate exceeded", 400, expected_params={"RoleName": USE}
        )

        # Past botocore's retries the error fails the Delete; only RoleBusy is tried again.
        with pytest.raises(ClientError, match="Throttling"):
            handler.on_event(delete)
        assert backoff_pauses == []

        sagemaker.add_response("list_projects", *no_projects)
        catalog.add_response("list_accepted_portfolio_shares", *no_shares)
        gone = ("list_role_tags", "NoSuchEntity", "gone", 404)
        iam.add_client_error(*gone, expected_params={"RoleName": LAUNCH})
        self.expect_deleted(iam, USE, [], [role_specs.USE_ROLE_POLICY_NAME])
        for name in ROLE_NAMES[2:]:
            iam.add_client_error(*gone, expected_params={"RoleName": name})

        assert handler.on_event(delete) == {"PhysicalResourceId": PRE_ENABLED}
