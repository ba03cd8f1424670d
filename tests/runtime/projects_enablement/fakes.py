"""Shared fakes for the Projects/JumpStart tests: moto IAM with the real AWS managed
policies, Stubber-backed SageMaker and Service Catalog, and the documented role table."""

from __future__ import annotations

import functools
import hashlib
import json

import boto3
import pytest
from botocore.stub import Stubber

from cr_support import aws, clock
from tests.fixtures import REGION

KEY = "autopilot-studio:owner-stack"
PORTFOLIO = "port-abcdefghijklm"
SAGEMAKER_PORTFOLIO = {
    "Id": PORTFOLIO,
    "DisplayName": "Amazon SageMaker Solutions and ML Ops products",
    "ProviderName": "Amazon SageMaker",
}
OTHER_PORTFOLIO = {"Id": "port-zzzzzzzzzzzzz", "DisplayName": "Team", "ProviderName": "Platform"}
IMPORTED = {"PortfolioShareType": "IMPORTED"}
# ProjectStatus in the SageMaker API reference (a test checks it against botocore's model).
PROJECT_STATUSES = (
    "Pending", "CreateInProgress", "CreateCompleted", "CreateFailed", "DeleteInProgress",
    "DeleteFailed", "DeleteCompleted", "UpdateInProgress", "UpdateCompleted", "UpdateFailed",
)  # fmt: skip
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
    """SageMaker and Service Catalog from Stubber, IAM from moto (with AWS managed policies).

    ``calls`` lists the SageMaker and Service Catalog operations in the order the handler
    made them; ``slept`` the seconds it waited for the portfolio share (never slept).
    """

    def __init__(self, moto_clients):
        self.sagemaker = Stubber(boto3.client("sagemaker", region_name=REGION))
        self.servicecatalog = Stubber(boto3.client("servicecatalog", region_name=REGION))
        self._moto = moto_clients
        self.calls: list[str] = []
        self.slept: list[float] = []
        for stubber in (self.sagemaker, self.servicecatalog):
            # Stubber answers in before-call; this event reaches every handler first.
            stubber.client.meta.events.register("before-parameter-build", self._record)
            stubber.activate()

    def _record(self, model, **_) -> None:
        self.calls.append(model.name)

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

    def shares(self, *pages: list[dict]) -> None:
        """One look at the accepted portfolio shares, one page per list of portfolios."""
        for i, page in enumerate(pages):
            body: dict = {"PortfolioDetails": page}
            if i < len(pages) - 1:
                body["NextPageToken"] = f"t{i + 1}"
            params = {**IMPORTED, **({"PageToken": f"t{i}"} if i else {})}
            self.servicecatalog.add_response("list_accepted_portfolio_shares", body, params)

    def portfolio_visible(self) -> None:
        self.shares([SAGEMAKER_PORTFOLIO])

    def portfolio_shared(self, role_arn: str) -> None:
        """Create or Update finds the share on its first look and associates ``role_arn``."""
        self.portfolio_visible()
        self.associate(role_arn)

    def projects(self, *pages: list[dict]) -> None:
        """ListProjects, one page per list of project summaries (none: one empty page)."""
        for i, page in enumerate(pages or ([],)):
            body: dict = {"ProjectSummaryList": page}
            if i < len(pages) - 1:
                body["NextToken"] = f"t{i + 1}"
            params = {"MaxResults": 100, **({"NextToken": f"t{i}"} if i else {})}
            self.sagemaker.add_response("list_projects", body, params)

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


def project(name: str, status: str) -> dict:
    """A ListProjects summary, as SageMaker returns it."""
    return {
        "ProjectName": name,
        "ProjectArn": f"arn:aws:sagemaker:{REGION}:111111111111:project/{name}",
        "ProjectId": f"p-{hashlib.sha256(name.encode()).hexdigest()[:12]}",
        "CreationTime": "2025-06-01T09:00:00Z",
        "ProjectStatus": status,
    }


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
    monkeypatch.setattr(clock, "sleep", s.slept.append)
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


# --- two stacks at once: an IAM whose calls run one at a time, in a chosen order ---------


class Scheduler:
    """Runs actors (one thread each) one step at a time, in the order ``choices`` gives.

    A step runs from one scheduling point (a tag read or write, CreateRole, DeleteRole, or
    a backoff pause) to the next. Attaching, detaching and listing policies run inside
    the step before them: only the owner may call them (IAM conditions on the owner tag),
    so another stack's step in between could only change their outcome through the owner
    tag, which the owner's next scheduling point sees anyway. A paused actor resumes only
    after every other running actor has made a step (a pause outlasts an IAM call).
    After ``choices`` run out, the actor that ran last goes on while it can, else the
    lowest-numbered one; ``trace`` records each step's choice, the runnable actors and
    whether the last one could have gone on (a switch then is a preemption).
    """

    def __init__(self, choices: list[int]) -> None:
        import threading

        self._choices = choices
        self._cv = threading.Condition()
        self._local = threading.local()
        self._turn: int | None = None
        self._waiting: dict[int, str] = {}
        self._owed: dict[int, set[int]] = {}
        self._done: set[int] = set()
        self.trace: list[tuple[int, list[int], bool]] = []
        self.errors: dict[int, BaseException] = {}

    @property
    def actor(self) -> int:
        return self._local.actor

    def point(self, kind: str = "call") -> None:
        """Called by an actor before a step: wait until the schedule picks it."""
        actor = self.actor
        with self._cv:
            self._waiting[actor] = kind
            if kind == "pause":
                # Everyone else is waiting or done: those not paused too must step first.
                self._owed[actor] = {
                    other
                    for other in range(self._count)
                    if other != actor
                    and other not in self._done
                    and self._waiting.get(other) != "pause"
                }
            self._cv.notify_all()
            self._cv.wait_for(lambda: self._turn == actor)
            self._turn = None
            del self._waiting[actor]

    def run(self, actors: list) -> None:
        import threading

        self._count = len(actors)

        def body(index: int, act) -> None:
            self._local.actor = index
            try:
                self.point("start")
                act()
            except BaseException as error:  # recorded, then asserted by the caller
                self.errors[index] = error
            finally:
                with self._cv:
                    self._done.add(index)
                    self._cv.notify_all()

        threads = [
            threading.Thread(target=body, args=(i, a), daemon=True) for i, a in enumerate(actors)
        ]
        for thread in threads:
            thread.start()
        with self._cv:
            while True:
                self._cv.wait_for(
                    lambda: (
                        self._turn is None
                        and all(i in self._waiting or i in self._done for i in range(self._count))
                    )
                )
                runnable = sorted(
                    i
                    for i, kind in self._waiting.items()
                    if kind != "pause" or not self._owed.get(i)
                )
                if not runnable:
                    break
                step = len(self.trace)
                last = self.trace[-1][0] if self.trace else None
                # The last actor could go on unless it finished or is pausing.
                can_go_on = last in runnable and self._waiting[last] != "pause"
                if step < len(self._choices):
                    chosen = self._choices[step]
                else:
                    chosen = last if can_go_on else runnable[0]
                assert chosen in runnable, (chosen, runnable)
                self.trace.append((chosen, runnable, can_go_on))
                for owed in self._owed.values():
                    owed.discard(chosen)
                self._turn = chosen
                self._cv.notify_all()
        for thread in threads:
            thread.join(timeout=10)


class SteppedIam:
    """The roles of one account, as IAM keeps them; each caller acts as its stack.

    Requests are validated against botocore's IAM model. The handler's policy conditions
    are enforced: policies may be attached, detached or deleted, and the role deleted,
    only by the stack named in the owner tag; CreateRole must tag the creator as owner.
    """

    def __init__(self, scheduler: Scheduler, callers: dict[int, str]) -> None:
        self.roles: dict[str, dict] = {}
        self._scheduler = scheduler
        self._callers = callers
        self._model = _iam_model()

    def add_role(self, name: str, tags: dict[str, str], policies: set[str]) -> None:
        self.roles[name] = {"tags": dict(tags), "attached": set(policies), "inline": {}}

    def client(self):
        return _SteppedIamClient(self)

    # Helpers for the operations below.

    def _call(self, operation: str, params: dict, *, point: bool = True) -> dict:
        from botocore.validate import validate_parameters

        validate_parameters(params, self._model.operation_model(operation).input_shape)
        if point:
            self._scheduler.point()
        return getattr(self, f"_{operation}")(**params)

    def _role(self, operation: str, name: str) -> dict:
        if name not in self.roles:
            raise _error(operation, "NoSuchEntity", f"The role with name {name} cannot be found.")
        return self.roles[name]

    def _owned(self, operation: str, name: str) -> dict:
        role = self._role(operation, name)
        caller = self._callers[self._scheduler.actor]
        if role["tags"].get(KEY) != caller:
            raise _error(operation, "AccessDenied", f"{caller} does not own {name}")
        return role

    @staticmethod
    def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    # The IAM operations the roles module calls.

    def _GetRole(self, RoleName):
        role = self._role("GetRole", RoleName)
        return {"Role": {**iam_role_summary(RoleName), "Tags": self._tag_list(role["tags"])}}

    def _ListRoleTags(self, RoleName):
        role = self._role("ListRoleTags", RoleName)
        return {"Tags": self._tag_list(role["tags"]), "IsTruncated": False}

    def _TagRole(self, RoleName, Tags):
        self._role("TagRole", RoleName)["tags"].update({t["Key"]: t["Value"] for t in Tags})
        return {}

    def _UntagRole(self, RoleName, TagKeys):
        tags = self._role("UntagRole", RoleName)["tags"]
        for key in TagKeys:
            tags.pop(key, None)
        return {}

    def _CreateRole(self, RoleName, Tags, **_):
        caller = self._callers[self._scheduler.actor]
        if {t["Key"]: t["Value"] for t in Tags} != {KEY: caller}:
            raise _error("CreateRole", "AccessDenied", "only the owner tag, with this stack")
        if RoleName in self.roles:
            raise _error("CreateRole", "EntityAlreadyExists", f"Role with name {RoleName} exists.")
        self.add_role(RoleName, {KEY: caller}, set())
        return {"Role": iam_role_summary(RoleName)}

    def _AttachRolePolicy(self, RoleName, PolicyArn):
        self._owned("AttachRolePolicy", RoleName)["attached"].add(PolicyArn)
        return {}

    def _DetachRolePolicy(self, RoleName, PolicyArn):
        attached = self._owned("DetachRolePolicy", RoleName)["attached"]
        if PolicyArn not in attached:
            raise _error("DetachRolePolicy", "NoSuchEntity", f"{PolicyArn} is not attached")
        attached.discard(PolicyArn)
        return {}

    def _PutRolePolicy(self, RoleName, PolicyName, PolicyDocument):
        self._owned("PutRolePolicy", RoleName)["inline"][PolicyName] = PolicyDocument
        return {}

    def _DeleteRolePolicy(self, RoleName, PolicyName):
        inline = self._owned("DeleteRolePolicy", RoleName)["inline"]
        if inline.pop(PolicyName, None) is None:
            raise _error("DeleteRolePolicy", "NoSuchEntity", f"no policy {PolicyName}")
        return {}

    def _ListAttachedRolePolicies(self, RoleName, **_):
        attached = self._role("ListAttachedRolePolicies", RoleName)["attached"]
        policies = [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in sorted(attached)]
        return {"AttachedPolicies": policies, "IsTruncated": False}

    def _ListRolePolicies(self, RoleName, **_):
        inline = self._role("ListRolePolicies", RoleName)["inline"]
        return {"PolicyNames": sorted(inline), "IsTruncated": False}

    def _DeleteRole(self, RoleName):
        role = self._owned("DeleteRole", RoleName)
        if role["attached"] or role["inline"]:
            raise _error("DeleteRole", "DeleteConflict", "detach the policies first")
        del self.roles[RoleName]
        return {}


@functools.cache
def _iam_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("iam")


# Policy calls are not scheduling points (see Scheduler).
_QUIET_CALLS = {
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "ListAttachedRolePolicies",
    "ListRolePolicies",
}


class _SteppedIamClient:
    """The boto3 method names of SteppedIam's operations."""

    def __init__(self, iam: SteppedIam) -> None:
        self._iam = iam

    def __getattr__(self, method: str):
        operation = "".join(part.title() for part in method.split("_"))
        return lambda **params: self._iam._call(
            operation, params, point=operation not in _QUIET_CALLS
        )


def _error(operation: str, code: str, message: str):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def iam_role_summary(name: str) -> dict:
    return {
        "Path": "/service-role/",
        "RoleName": name,
        "RoleId": "AROA00000000000000000",
        "Arn": f"arn:aws:iam::111111111111:role/service-role/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
    }
