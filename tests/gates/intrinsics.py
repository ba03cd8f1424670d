"""Render a template's intrinsics into plausible concrete values.

IAM linters read literal ARNs only. ``Renderer.render`` replaces ``Ref``, ``Fn::GetAtt``,
``Fn::Join``, ``Fn::Sub``, ``Fn::Select``, ``Fn::Split`` and ``Fn::GetAZs`` with the
values CloudFormation would produce for a fixed account and region: each resource's
physical ID and attributes follow its type's real format (bucket ARNs without region
or account, role ARNs without region, key IDs as UUIDs, and so on). Anything it has no
rule for raises ``UnrenderableError``, so a linter never sees a half-rendered policy.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fixtures import ACCOUNT as TEST_ACCOUNT
from tests.fixtures import REGION as TEST_REGION

PARTITION = "aws"
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class UnrenderableError(ValueError):
    """An intrinsic, pseudo parameter or attribute the renderer has no rule for."""


@dataclass(frozen=True)
class Physical:
    """What CloudFormation would name one resource, and helpers to build its IDs."""

    logical_id: str
    name: str
    account: str
    region: str
    partition: str = PARTITION

    def arn(self, service: str, resource: str, *, regional: bool = True, owned: bool = True) -> str:
        region = self.region if regional else ""
        owner = self.account if owned else ""
        return f"arn:{self.partition}:{service}:{region}:{owner}:{resource}"

    def hex(self, length: int) -> str:
        """A stable lowercase hex string derived from the logical ID."""
        return hashlib.sha256(self.logical_id.encode()).hexdigest()[:length]

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.logical_id))


def _bucket(p: Physical) -> dict[str, str]:
    return {
        "Ref": p.name,
        "Arn": p.arn("s3", p.name, regional=False, owned=False),
        "DomainName": f"{p.name}.s3.amazonaws.com",
        "RegionalDomainName": f"{p.name}.s3.{p.region}.amazonaws.com",
    }


def _state_machine(p: Physical) -> dict[str, str]:
    arn = p.arn("states", f"stateMachine:{p.name}")
    return {"Ref": arn, "Arn": arn, "Name": p.name}


def _domain(p: Physical) -> dict[str, str]:
    domain_id = f"d-{p.hex(12)}"
    return {
        "Ref": domain_id,
        "DomainId": domain_id,
        "DomainArn": p.arn("sagemaker", f"domain/{domain_id}"),
        "HomeEfsFileSystemId": f"fs-{p.hex(17)}",
        "SecurityGroupIdForDomainBoundary": f"sg-{p.hex(17)}",
        "Url": f"https://{domain_id}.studio.{p.region}.sagemaker.aws",
    }


def _managed_policy(p: Physical) -> dict[str, str]:
    arn = p.arn("iam", f"policy/{p.name}", regional=False)
    return {"Ref": arn, "PolicyArn": arn}


# Ref and GetAtt values per resource type, in the format CloudFormation returns them.
RESOURCE_VALUES: dict[str, Callable[[Physical], dict[str, str]]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::Lambda::Function": lambda p: {
        "Ref": p.name,
        "Arn": p.arn("lambda", f"function:{p.name}"),
    },
    "AWS::IAM::Role": lambda p: {
        "Ref": p.name,
        "Arn": p.arn("iam", f"role/{p.name}", regional=False),
        "RoleId": f"AROA{p.hex(17).upper()}",
    },
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::KMS::Key": lambda p: {
        "Ref": p.uuid,
        "KeyId": p.uuid,
        "Arn": p.arn("kms", f"key/{p.uuid}"),
    },
    "AWS::KMS::Alias": lambda p: {"Ref": f"alias/{p.name}"},
    "AWS::Logs::LogGroup": lambda p: {
        "Ref": p.name,
        "Arn": p.arn("logs", f"log-group:{p.name}:*"),
    },
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::SageMaker::Domain": _domain,
    "AWS::EC2::VPC": lambda p: {
        "Ref": f"vpc-{p.hex(17)}",
        "VpcId": f"vpc-{p.hex(17)}",
        "DefaultSecurityGroup": f"sg-{p.hex(17)}",
        "CidrBlock": "10.0.0.0/16",
    },
    "AWS::EC2::Subnet": lambda p: {"Ref": f"subnet-{p.hex(17)}", "SubnetId": f"subnet-{p.hex(17)}"},
    "AWS::EC2::SecurityGroup": lambda p: {"Ref": f"sg-{p.hex(17)}", "GroupId": f"sg-{p.hex(17)}"},
    "AWS::Events::Rule": lambda p: {"Ref": p.name, "Arn": p.arn("events", f"rule/{p.name}")},
    "AWS::SNS::Topic": lambda p: {
        "Ref": p.arn("sns", p.name),
        "TopicArn": p.arn("sns", p.name),
        "TopicName": p.name,
    },
    "AWS::CloudWatch::Alarm": lambda p: {
        "Ref": p.name,
        "Arn": p.arn("cloudwatch", f"alarm:{p.name}"),
    },
    "AWS::SageMaker::EndpointConfig": lambda p: {
        "Ref": p.arn("sagemaker", f"endpoint-config/{p.name.lower()}"),
        "EndpointConfigName": p.name,
    },
    "AWS::SageMaker::Endpoint": lambda p: {
        "Ref": p.arn("sagemaker", f"endpoint/{p.name.lower()}"),
        "EndpointName": p.name,
    },
    "AWS::ApplicationAutoScaling::ScalableTarget": lambda p: {
        "Ref": f"{p.name}|sagemaker:variant:DesiredInstanceCount|sagemaker"
    },
}

# The property that names a resource, when the template sets it.
NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SageMaker::Domain": "DomainName",
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Events::Rule": "Name",
}


class Renderer:
    """Renders values of one template for a fixed account, region and stack name."""

    def __init__(
        self,
        template: dict[str, Any],
        *,
        stack_name: str = "stack",
        account: str = TEST_ACCOUNT,
        region: str = TEST_REGION,
    ) -> None:
        self._resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        self._parameters: dict[str, dict[str, Any]] = template.get("Parameters", {})
        self._stack_name = stack_name
        self._account = account
        self._region = region
        self._pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
            "AWS::StackId": (
                f"arn:{PARTITION}:cloudformation:{region}:{account}:stack/{stack_name}/"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, stack_name)}"
            ),
        }

    def render(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.render(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key.startswith("Fn::"):
                return self._function(key, argument)
        return {key: self.render(item) for key, item in value.items()}

    def ref(self, name: str) -> str:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            if "Default" not in self._parameters[name]:
                raise UnrenderableError(f"parameter {name} has no default to render")
            return self._parameters[name]["Default"]
        return self.get_att(name, "Ref")

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self._resources:
            raise UnrenderableError(f"no resource or parameter named {logical_id}")
        resource_type = self._resources[logical_id]["Type"]
        physical = self._physical(logical_id, resource_type)
        if _is_custom(resource_type):
            return f"{physical.name}-{attribute}".lower()
        values = RESOURCE_VALUES.get(resource_type)
        if values is None or attribute not in values(physical):
            what = "Ref" if attribute == "Ref" else f"GetAtt {attribute}"
            raise UnrenderableError(f"no rule for {what} of {resource_type} ({logical_id})")
        return values(physical)[attribute]

    def _physical(self, logical_id: str, resource_type: str) -> Physical:
        properties = self._resources[logical_id].get("Properties", {})
        name = self.render(properties.get(NAME_PROPERTIES.get(resource_type, ""), None))
        if not isinstance(name, str):
            # CloudFormation's generated names: <stack>-<logical ID>-<suffix>.
            suffix = hashlib.sha256(logical_id.encode()).hexdigest()[:12].upper()
            name = f"{self._stack_name}-{logical_id}-{suffix}"
            if resource_type == "AWS::S3::Bucket":
                name = name.lower()[:63]
        return Physical(logical_id, name, self._account, self._region)

    def _function(self, key: str, argument: Any) -> Any:
        if key == "Fn::GetAtt":
            logical_id, attribute = (
                argument.split(".", 1) if isinstance(argument, str) else argument
            )
            return self.get_att(logical_id, self.render(attribute))
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(_text(self.render(items), key))
        if key == "Fn::Sub":
            return self._sub(argument)
        if key == "Fn::Select":
            index, items = argument
            return self.render(items)[int(self.render(index))]
        if key == "Fn::Split":
            separator, text = argument
            return _text([self.render(text)], key)[0].split(separator)
        if key == "Fn::GetAZs":
            return [f"{self._region}{zone}" for zone in "abc"]
        raise UnrenderableError(f"no rule for {key}")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        rendered = {name: self.render(value) for name, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in rendered:
                return _text([rendered[name]], "Fn::Sub")[0]
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        # ${!Literal} stays as ${Literal}, e.g. IAM policy variables.
        return _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")


def _is_custom(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or (
        resource_type == "AWS::CloudFormation::CustomResource"
    )


def _text(items: list[Any], function: str) -> list[str]:
    if not all(isinstance(item, str) for item in items):
        raise UnrenderableError(f"{function} over a value that is not a string: {items!r}")
    return items
