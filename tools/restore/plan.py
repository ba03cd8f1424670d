"""What a restore imports, read from the synthesized template alone (no AWS calls).

CloudFormation resource import rules this follows (AWS docs, "Importing AWS resources into
a CloudFormation stack", "Resource type support"):

- every imported resource needs a ``DeletionPolicy`` in the template (a retained resource
  has one: that is why it outlived the stack);
- the import may only add the imported resources: the CDK CLI's ``cdk import`` deploys
  the current template (nothing, for a stack that does not exist yet) plus exactly the
  resources named in the mapping, without outputs (toolkit-lib ``resource-import/
  importer.ts``, ``currentTemplateWithAdditions``), and the next ``cdk deploy`` adds the rest;
- resources that refer to each other must be imported together, or the import fails on
  an unresolved reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# The property naming the existing resource, per type: the type's primaryIdentifier in its
# CloudFormation resource schema (tests compare it with cfn-lint's copy of the schemas).
IDENTIFIER_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::KMS::Key": "KeyId",
    "AWS::Logs::LogGroup": "LogGroupName",
}
# Policies under which a resource outlives its stack's delete.
RETAINING_POLICIES = ("Retain", "RetainExceptOnCreate")
# The physical-name property of the types above that a template may fix.
NAME_PROPERTY = {"AWS::S3::Bucket": "BucketName", "AWS::Logs::LogGroup": "LogGroupName"}


class RestoreError(Exception):
    """A problem the user can act on; printed as one line, exit code 1."""


@dataclass(frozen=True)
class Retained:
    """A resource of the template that a delete of its stack leaves behind."""

    logical_id: str
    resource_type: str
    properties: dict[str, Any]

    @property
    def identifier_property(self) -> str:
        return IDENTIFIER_PROPERTY[self.resource_type]


def retained_resources(template: dict[str, Any]) -> list[Retained]:
    """Every resource with a retaining DeletionPolicy, in template order."""
    return [
        Retained(logical_id, resource["Type"], resource.get("Properties", {}))
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("DeletionPolicy") in RETAINING_POLICIES
    ]


def check_supported(resources: list[Retained]) -> None:
    """Refuse a template that retains a type this restore cannot find yet."""
    unknown = [
        f"{r.logical_id} ({r.resource_type})"
        for r in resources
        if r.resource_type not in IDENTIFIER_PROPERTY
    ]
    if unknown:
        raise RestoreError(
            f"the template retains {', '.join(unknown)}, which make restore cannot find yet: "
            f"add a finder for the type to tools/restore/account.py"
        )


# A ${Name} or ${Name.Attribute} in Fn::Sub; ${!Literal} is text.
SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def references(value: Any) -> set[str]:
    """Logical IDs that ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub), pseudo parameters aside."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {name.split(".")[0] for name in SUB_VARIABLE.findall(text)}
                if isinstance(inner, list):
                    found |= references(inner[1:])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return {name for name in found if not name.startswith("AWS::")}


def resolve(value: Any, pseudo: dict[str, str]) -> str | None:
    """A string property with pseudo parameters filled in; None when it needs a resource."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return pseudo.get(value["Ref"])
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        resolved = [resolve(part, pseudo) for part in parts]
        return None if None in resolved else separator.join(resolved)
    return None


def fixed_name(resource: Retained, pseudo: dict[str, str]) -> str | None:
    """The physical name the template gives the resource, if it gives one."""
    prop = NAME_PROPERTY.get(resource.resource_type)
    return resolve(resource.properties.get(prop), pseudo) if prop else None


def required(resources: list[Retained], pseudo: dict[str, str]) -> set[str]:
    """What must exist for a restore: the buckets with fixed names, and all they refer to.

    A fixed-name bucket holds the environment's data (and makes the next deploy fail while
    it exists outside any stack); what it refers to must come along, since an import cannot
    leave a reference dangling. Any other retained resource is imported when it is found,
    with what it refers to; when it is gone, the deploy creates a new one.
    """
    by_id = {r.logical_id: r for r in resources}
    needed = [
        r.logical_id
        for r in resources
        if r.resource_type == "AWS::S3::Bucket" and fixed_name(r, pseudo)
    ]
    closure: set[str] = set()
    while needed:
        logical_id = needed.pop()
        if logical_id in closure:
            continue
        closure.add(logical_id)
        needed += [ref for ref in references(by_id[logical_id].properties) if ref in by_id]
    return closure


def check_self_contained(template: dict[str, Any], mapping: dict[str, dict[str, str]]) -> None:
    """Refuse a mapping whose resources refer to anything the import does not bring along.

    ``cdk import`` deploys only the mapped resources, without the template's parameters.
    """
    resources = template.get("Resources", {})
    known = set(mapping)
    for logical_id in mapping:
        if resources[logical_id].get("DeletionPolicy") not in RETAINING_POLICIES:
            raise RestoreError(f"{logical_id} is not retained by the template: it is not imported")
        missing = references(resources[logical_id].get("Properties", {})) - known
        if missing:
            raise RestoreError(
                f"{logical_id} refers to {', '.join(sorted(missing))}, which the import does "
                "not bring back: CloudFormation would fail the import on the reference"
            )
