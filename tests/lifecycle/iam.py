"""IAM as AWS evaluates it, for every request a handler makes in the lifecycle harness.

A request (service, operation, parameters) becomes the authorizations IAM checks for it:
the action, the resource ARN as IAM sees it, and the request-context keys that can be
computed offline (``aws:RequestTag/*``, ``aws:TagKeys``, ``aws:ResourceTag/*``,
``iam:PassedToService``, ``iam:PolicyARN``, ``ec2:Vpc``, ``s3:prefix``,
``kms:EncryptionContext:*``, ``kms:ViaService``, ``cloudwatch:namespace``). What services do
with the caller's own credentials is checked too: ``iam:PassRole`` for a role handed to
SageMaker, ``sagemaker:AddTags`` and ``iam:TagRole`` for tags set on create, the KMS calls
of an encrypted state machine or bucket, and EFS deleting a mount target's interface.

Matching an action and a resource uses moto's IAM access-control code
(``moto.iam.access_control.IAMPolicyStatement``); conditions are evaluated here with IAM's
rules, since moto evaluates ``StringEquals`` only and passes a statement whose key is
missing. A missing key fails a condition, except with ``...IfExists``, ``Null`` and
``ForAllValues`` (IAM User Guide, "IAM JSON policy elements: Condition operators";
"Single-valued vs. multivalued context keys"). Explicit deny wins; otherwise one allow
is enough.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from tests.fixtures import REGION

if TYPE_CHECKING:
    from tests.lifecycle.engine import Stack
    from tests.lifecycle.fakes import Account

# The AWS account that shares the SageMaker Service Catalog portfolio into every account.
PORTFOLIO_OWNER = "999999999999"
# botocore's service name -> the IAM action prefix, where they differ.
IAM_PREFIX = {
    "stepfunctions": "states",
    "efs": "elasticfilesystem",
    "sagemaker-runtime": "sagemaker",
}
# The one service each "Create..." hands a role to (iam:PassedToService).
PASSED_TO = {"sagemaker": "sagemaker.amazonaws.com"}
# Request parameters that pass a role to the service.
ROLE_PARAMETERS = ("RoleArn", "ExecutionRoleArn")


@dataclass(frozen=True)
class Authorization:
    """One thing IAM checks for a request: action, resource and request context."""

    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in sorted(self.context.items()))
        return f"{self.action} on {self.resource}" + (f" [{keys}]" if keys else "")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class RolePolicies:
    """The identity policies the template attaches to one role, resolved at call time."""

    def __init__(self, stack: Stack, role_logical_id: str) -> None:
        self.stack = stack
        self.role = role_logical_id
        self._key: Any = None
        self._statements: list[dict[str, Any]] = []

    def statements(self) -> list[dict[str, Any]]:
        """Resolved again whenever a physical ID changed; the last ones once a policy is gone
        (a poller the rollback abandoned outlives its role's policy here)."""
        key = (
            id(self.stack.template),
            tuple(
                (lid, r.physical_id, id(r.attributes)) for lid, r in self.stack.resources.items()
            ),
        )
        if key != self._key:
            try:
                self._statements = self._resolve()
            except KeyError:
                if not self._statements:
                    raise
            self._key = key
        return self._statements

    def _resolve(self) -> list[dict[str, Any]]:
        resources = self.stack.template.resources
        role = resources[self.role].get("Properties", {})
        documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
        for lid, resource in resources.items():
            kind = resource["Type"]
            props = resource.get("Properties", {})
            # Only policies the stack has created count, as in the account.
            exists = lid in self.stack.resources and self.stack.resources[lid].physical_id
            if (
                exists
                and kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
                and {"Ref": self.role} in props.get("Roles", [])
            ):
                documents.append(props["PolicyDocument"])
        for arn in role.get("ManagedPolicyArns", []):
            documents.append(_managed_policy(self.stack.resolve(arn)))
        statements: list[dict[str, Any]] = []
        for document in documents:
            resolved = self.stack.resolve(document)
            found = resolved["Statement"]
            statements += found if isinstance(found, list) else [found]
        return statements


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam import aws_managed_policies

    return json.loads(aws_managed_policies.aws_managed_policies_data)


def _managed_policy(arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    policy = _aws_managed_policies().get(name)
    if policy is None:
        raise KeyError(f"no document for the managed policy {arn}")
    return policy["Document"]


def decide(statements: Iterable[dict[str, Any]], authorization: Authorization) -> Decision:
    """IAM's answer for one authorization under these identity-policy statements."""
    allowed_by: dict[str, Any] | None = None
    near: list[str] = []
    for statement in statements:
        if "NotResource" in statement or "NotPrincipal" in statement:
            raise NotImplementedError(f"statement not evaluated here: {statement}")
        matched = _matches(statement, authorization)
        if matched is None:
            continue
        failed = _failed_conditions(statement.get("Condition", {}), authorization.context)
        if not matched:
            near.append(f"resource {statement.get('Resource')!r}")
            continue
        if failed:
            near.append(f"condition {failed}")
            continue
        if statement["Effect"] == "Deny":
            return Decision(False, f"explicitly denied by {statement}")
        allowed_by = statement
    if allowed_by is not None:
        return Decision(True, f"allowed by {allowed_by.get('Sid') or allowed_by}")
    hint = f"; statements naming the action failed on: {'; '.join(near)}" if near else ""
    return Decision(False, f"no statement allows {authorization.describe()}{hint}")


def _matches(statement: dict[str, Any], authorization: Authorization) -> bool | None:
    """None: the action is not the statement's; else whether its resource matches too.

    moto's matcher compares case-sensitively; IAM action names are case-insensitive.
    """
    bare = {
        "Effect": "Allow",
        **{k: _lower(statement[k]) for k in ("Action", "NotAction") if k in statement},
    }
    if moto_match(bare, authorization.action.lower(), "*") is PermissionResult.NEUTRAL:
        return None
    bare["Resource"] = statement.get("Resource", "*")
    return moto_match(bare, authorization.action.lower(), authorization.resource) is (
        PermissionResult.PERMITTED
    )


def moto_match(statement: dict[str, Any], action: str, resource: str) -> PermissionResult:
    return IAMPolicyStatement(statement).is_action_permitted(action, resource)


def _lower(value: Any) -> Any:
    return [v.lower() for v in value] if isinstance(value, list) else value.lower()


# -- conditions ---------------------------------------------------------------------------


def _like(pattern: str, value: str) -> bool:
    """IAM wildcards: ``*`` any run of characters, ``?`` one; nothing else is special."""
    escaped = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, escaped)


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike / ArnEquals compare the six colon-separated parts, each with wildcards."""
    expected, actual = pattern.split(":", 5), value.split(":", 5)
    return len(expected) == len(actual) == 6 and all(
        _like(e, a) for e, a in zip(expected, actual, strict=True)
    )


def _number(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(expected: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(expected))
        except ValueError:
            return False

    return match


# Positive matchers; the Not... forms negate them.
_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": _like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda e, a: e.lower() == a.lower(),
    "NumericEquals": _number(lambda a, e: a == e),
    "NumericLessThan": _number(lambda a, e: a < e),
    "NumericLessThanEquals": _number(lambda a, e: a <= e),
    "NumericGreaterThan": _number(lambda a, e: a > e),
    "NumericGreaterThanEquals": _number(lambda a, e: a >= e),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _failed_conditions(conditions: dict[str, dict[str, Any]], context: dict[str, Any]) -> str:
    """The first condition that does not hold, as text; empty when all hold."""
    lowered = {key.lower(): value for key, value in context.items()}
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if not condition_holds(operator, key, expected, lowered):
                actual = lowered.get(key.lower(), "<missing>")
                return f"{operator} {key} {expected!r} (request: {actual!r})"
    return ""


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    """One condition key under one operator; ``context`` keys are lowercase."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(expected)]
    value = context.get(key.lower())
    if name == "Null":
        return (wanted[0].lower() == "true") == (value is None)
    if value is None:
        return qualifier == "ForAllValues" or if_exists
    negate = name in _NEGATED
    matcher = _MATCHERS.get(_NEGATED.get(name, name))
    if matcher is None:
        raise NotImplementedError(f"condition operator {operator} is not evaluated here")

    def holds(actual: str) -> bool:
        return any(matcher(e, actual) for e in wanted) != negate

    actuals = [str(v) for v in _as_list(value)]
    if qualifier == "ForAllValues":
        return all(holds(a) for a in actuals)
    if qualifier == "ForAnyValue":
        return any(holds(a) for a in actuals)
    if len(actuals) != 1:
        raise ValueError(f"{key} is multivalued: use ForAllValues or ForAnyValue, not {operator}")
    return holds(actuals[0])


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


# -- requests -> authorizations ---------------------------------------------------------


def _arn(service: str, resource: str, *, region: str = REGION, account: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _tag_context(tags: Any) -> dict[str, Any]:
    """aws:RequestTag/* and aws:TagKeys from a request's Tags (list or map)."""
    if not tags:
        return {}
    pairs = {t["Key"]: t.get("Value", "") for t in tags} if isinstance(tags, list) else dict(tags)
    context: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in pairs.items()}
    context["aws:TagKeys"] = list(pairs)
    return context


def _resource_tags(tags: dict[str, str]) -> dict[str, Any]:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


# Request parameter -> the ARN resource it names (IAM Service Authorization Reference,
# "Resource types defined by Amazon SageMaker AI").
# SageMaker request parameter -> the ARN resource it names (Service Authorization
# Reference, "Resource types defined by Amazon SageMaker AI").
SAGEMAKER_NAMES = (
    ("AutoMLJobName", "automl-job/{}"),
    ("ModelName", "model/{}"),
    ("EndpointConfigName", "endpoint-config/{}"),
    ("EndpointName", "endpoint/{}"),
    ("ProcessingJobName", "processing-job/{}"),
    ("TransformJobName", "transform-job/{}"),
    ("MonitoringScheduleName", "monitoring-schedule/{}"),
    ("JobDefinitionName", "data-quality-job-definition/{}"),
)
# S3 operations on one object -> the IAM action that authorizes them.
S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
}
S3_WRITES = frozenset({"PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"})
# Multipart uploads to SSE-KMS need Decrypt too (S3 User Guide, "Multipart upload
# and permissions").
S3_DECRYPTS = frozenset(
    {"GetObject", "HeadObject", "CreateMultipartUpload", "UploadPart", "CopyObject"}
)


class Requests:
    """Turns one botocore request into what IAM authorizes, reading the account's state."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.id = account_id()

    def of(self, service: str, operation: str, params: dict[str, Any]) -> list[Authorization]:
        method = getattr(self, f"_{service.replace('-', '_')}", None)
        if method is None:
            raise NotImplementedError(f"no IAM rule for {service}:{operation}")
        return method(operation, params)

    def arn(self, service: str, resource: str, *, account: str | None = None) -> str:
        return _arn(service, resource, account=account or self.id)

    # -- SageMaker ---------------------------------------------------------------------

    def _sagemaker(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        action = f"sagemaker:{operation}"
        tags = _tag_context(params.get("Tags"))
        if "ResourceArn" in params:
            context = {**tags, "aws:TagKeys": params["TagKeys"]} if "TagKeys" in params else tags
            return [Authorization(action, params["ResourceArn"], context)]
        if operation.startswith("List") or "Servicecatalog" in operation:
            return [Authorization(action, "*")]
        resources = self._sagemaker_resources(params)
        if not resources:
            raise NotImplementedError(f"no IAM resource rule for sagemaker:{operation}")
        found = [Authorization(action, arn, tags) for arn in resources]
        if operation.startswith("Create"):
            if params.get("Tags"):
                found.append(Authorization("sagemaker:AddTags", resources[0], tags))
            found += self._passed_roles(params, "sagemaker")
        return found

    def _sagemaker_resources(self, params: dict[str, Any]) -> list[str]:
        names = [
            self.arn("sagemaker", form.format(params[key]))
            for key, form in SAGEMAKER_NAMES
            if key in params
        ]
        domain = params.get("DomainId") or params.get("DomainIdEquals")
        if domain:
            owner = params.get("SpaceName") or params.get("UserProfileName")
            if "AppName" in params:
                kind = params["AppType"].lower()
                names.append(
                    self.arn("sagemaker", f"app/{domain}/{owner}/{kind}/{params['AppName']}")
                )
            elif "SpaceName" in params:
                names.append(self.arn("sagemaker", f"space/{domain}/{owner}"))
            elif "UserProfileName" in params:
                names.append(self.arn("sagemaker", f"user-profile/{domain}/{owner}"))
            else:
                names.append(self.arn("sagemaker", f"domain/{domain}"))
        return names

    def _passed_roles(self, params: dict[str, Any], service: str) -> list[Authorization]:
        return [
            Authorization("iam:PassRole", params[key], {"iam:PassedToService": PASSED_TO[service]})
            for key in ROLE_PARAMETERS
            if key in params
        ]

    # -- Step Functions ----------------------------------------------------------------

    def _stepfunctions(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        action = f"states:{operation}"
        arn = params.get("executionArn") or params.get("stateMachineArn")
        if arn is None:
            raise NotImplementedError(f"no IAM resource rule for states:{operation}")
        found = [Authorization(action, arn)]
        machine = arn.replace(":execution:", ":stateMachine:", 1).rsplit(":", 1)[0]
        if ":stateMachine:" in arn:
            machine = arn
        key = self.account.state_machine_keys.get(machine)
        if key:
            # Step Functions encrypts execution data with the caller's rights (a Step
            # Functions engineer in aws-samples/aws-stepfunctions-examples#74; Step
            # Functions guide, "Data at rest encryption").
            needs = {"StartExecution": ("kms:GenerateDataKey", "kms:Decrypt")}.get(
                operation, ("kms:Decrypt",)
            )
            found += [state_machine_kms(action, key, machine) for action in needs]
        return found

    # -- S3 ----------------------------------------------------------------------------

    def _s3(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        bucket = params["Bucket"]
        bucket_arn = f"arn:aws:s3:::{bucket}"
        if operation in ("ListObjectsV2", "ListObjects", "HeadBucket"):
            context = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
            return [Authorization("s3:ListBucket", bucket_arn, context)]
        if operation == "ListObjectVersions":
            return [Authorization("s3:ListBucketVersions", bucket_arn)]
        if operation == "DeleteObjects":
            keys = [item["Key"] for item in params["Delete"]["Objects"]]
            return [Authorization("s3:DeleteObject", f"{bucket_arn}/{key}") for key in keys]
        found: list[Authorization] = []
        if operation in ("CopyObject", "UploadPartCopy"):
            source = params["CopySource"]
            source_bucket, source_key = (
                (source["Bucket"], source["Key"])
                if isinstance(source, dict)
                else source.lstrip("/").split("/", 1)
            )
            found.append(
                Authorization("s3:GetObject", f"arn:aws:s3:::{source_bucket}/{source_key}")
            )
            found += self._s3_kms(source_bucket, decrypt=True, write=False)
            action = "s3:PutObject"
        elif operation in S3_OBJECT_ACTIONS:
            action = S3_OBJECT_ACTIONS[operation]
        else:
            raise NotImplementedError(f"no IAM rule for s3:{operation}")
        found.append(Authorization(action, f"{bucket_arn}/{params['Key']}"))
        found += self._s3_kms(
            bucket, decrypt=operation in S3_DECRYPTS, write=operation in S3_WRITES
        )
        return found

    def _s3_kms(self, bucket: str, *, decrypt: bool, write: bool) -> list[Authorization]:
        """SSE-KMS under the bucket's default key: S3 calls KMS with the caller's rights."""
        key = self.account.bucket_key(bucket)
        if key is None:
            return []
        context = {
            "kms:ViaService": f"s3.{REGION}.amazonaws.com",
            # With an S3 Bucket Key the context is the bucket's ARN (S3 User Guide,
            # "Encryption context").
            "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
        }
        actions = (["kms:GenerateDataKey"] if write else []) + (["kms:Decrypt"] if decrypt else [])
        return [Authorization(action, key, context) for action in actions]

    # -- EC2 and EFS -------------------------------------------------------------------

    def _ec2(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        action = f"ec2:{operation}"
        if operation.startswith("Describe"):
            return [Authorization(action, "*")]
        if operation == "CreateTags":
            tags = _tag_context(params["Tags"])
            return [
                Authorization(action, arn, {**tags, **self._ec2_context(arn)})
                for arn in map(self._ec2_arn, params["Resources"])
            ]
        resource = params.get("GroupId") or params.get("NetworkInterfaceId")
        if resource is None:
            raise NotImplementedError(f"no IAM resource rule for ec2:{operation}")
        arn = self._ec2_arn(resource)
        return [Authorization(action, arn, self._ec2_context(arn))]

    def _ec2_arn(self, resource_id: str) -> str:
        kinds = {"sg-": "security-group", "eni-": "network-interface", "vpc-": "vpc"}
        kind = next(kind for prefix, kind in kinds.items() if resource_id.startswith(prefix))
        return self.arn("ec2", f"{kind}/{resource_id}")

    def _ec2_context(self, arn: str) -> dict[str, Any]:
        """ec2:Vpc and the resource's tags, from the account's EC2 state."""
        resource_id = arn.rsplit("/", 1)[1]
        ec2 = self.account.moto("ec2")
        if resource_id.startswith("sg-"):
            # Read from moto's EC2 state: this runs for every request on a security group.
            from moto.ec2.models import ec2_backends

            backend = ec2_backends[self.id][REGION]
            (group,) = backend.describe_security_groups(group_ids=[resource_id])
            found = [
                {
                    "VpcId": group.vpc_id,
                    "Tags": [
                        {"Key": key, "Value": value}
                        for key, value in backend.tags.get(resource_id, {}).items()
                    ],
                }
            ]
        else:
            found = ec2.describe_network_interfaces(NetworkInterfaceIds=[resource_id])[
                "NetworkInterfaces"
            ]
            for item in found:
                item["Tags"] = item.get("TagSet", [])
        item = found[0]
        tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        return {"ec2:Vpc": self.arn("ec2", f"vpc/{item['VpcId']}"), **_resource_tags(tags)}

    def _efs(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        action = f"elasticfilesystem:{operation}"
        efs = self.account.moto("efs")
        if operation == "DescribeFileSystems" and "FileSystemId" not in params:
            return [Authorization(action, "*")]
        file_system = params.get("FileSystemId") or params.get("ResourceId")
        interface = None
        if "MountTargetId" in params:
            (target,) = efs.describe_mount_targets(MountTargetId=params["MountTargetId"])[
                "MountTargets"
            ]
            file_system, interface = target["FileSystemId"], target.get("NetworkInterfaceId")
        if file_system is None:
            raise NotImplementedError(f"no IAM resource rule for {action}")
        arn = self.arn("elasticfilesystem", f"file-system/{file_system}")
        from moto.efs.models import efs_backends

        tags = {
            t["Key"]: t["Value"]
            for t in efs_backends[self.id][REGION].list_tags_for_resource(file_system)
        }
        context = {**_resource_tags(tags), **_tag_context(params.get("Tags"))}
        found = [Authorization(action, arn, context)]
        if operation == "DeleteMountTarget" and interface:
            # EFS removes the mount target's interface with the caller's rights.
            found += self._ec2("DeleteNetworkInterface", {"NetworkInterfaceId": interface})
        return found

    # -- IAM ---------------------------------------------------------------------------

    def _iam(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        action = f"iam:{operation}"
        name = params["RoleName"]
        path, tags = self.account.role_path_and_tags(name)
        arn = f"arn:aws:iam::{self.id}:role{params.get('Path') or path}{name}"
        context = {**_resource_tags(tags), **_tag_context(params.get("Tags"))}
        if "TagKeys" in params:
            context["aws:TagKeys"] = params["TagKeys"]
        if "PolicyArn" in params:
            context["iam:PolicyARN"] = params["PolicyArn"]
        found = [Authorization(action, arn, context)]
        if operation == "CreateRole" and params.get("Tags"):
            # Tags on create need iam:TagRole too (IAM User Guide, "Tagging IAM roles").
            found.append(Authorization("iam:TagRole", arn, context))
        return found

    # -- the rest ----------------------------------------------------------------------

    def _servicecatalog(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        action = f"servicecatalog:{operation}"
        if "PortfolioId" not in params:
            return [Authorization(action, "*")]
        portfolio = params["PortfolioId"]
        return [
            Authorization(
                action, self.arn("catalog", f"portfolio/{portfolio}", account=PORTFOLIO_OWNER)
            )
        ]

    def _cloudformation(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        return [Authorization(f"cloudformation:{operation}", params["StackName"])]

    def _cloudwatch(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        context = {"cloudwatch:namespace": params["Namespace"]} if "Namespace" in params else {}
        return [Authorization(f"cloudwatch:{operation}", "*", context)]


def state_machine_kms(action: str, key_arn: str, state_machine_arn: str) -> Authorization:
    return Authorization(
        action,
        key_arn,
        {
            "kms:EncryptionContext:aws:states:stateMachineArn": state_machine_arn,
            "kms:ViaService": f"states.{REGION}.amazonaws.com",
        },
    )


def account_id() -> str:
    from tests.lifecycle.fakes import ACCOUNT

    return ACCOUNT


@dataclass
class Ledger:
    """What the harness evaluated: the count, and every denial with its reason."""

    evaluated: int = 0
    denials: list[str] = field(default_factory=list)

    def check(
        self, principal: str, statements: list[dict[str, Any]], found: list[Authorization]
    ) -> bool:
        allowed = True
        for authorization in found:
            self.evaluated += 1
            decision = decide(statements, authorization)
            if not decision.allowed:
                self.denials.append(f"{principal}: {decision.reason}")
                allowed = False
        return allowed
