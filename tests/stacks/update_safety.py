"""What a stack update would replace, and whether CloudFormation can do it.

CloudFormation replaces a native resource when a property its resource schema lists in
``createOnlyProperties`` changes (the schemas cfn-lint ships). Replacement creates the new
resource before deleting the old one, so a replaced resource that keeps a fixed name fails
the update: "CloudFormation cannot update a stack when a custom-named resource requires
replacing". A changed value flows on: a property that names a replaced resource, or an
attribute of a custom resource whose identity changed, is changed too.

Custom resources are never replaced by CloudFormation; their handler decides. Each kind's
identity (the names its handler derives from its properties) must change whenever an input
that shapes what it creates changes: a new AutoML job under an old job's name would adopt
the old job, and a name can never be reused.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.fixtures import REGION
from tests.gates.intrinsics import Renderer, UnrenderableError

# The resources whose replacement loses users' data or work.
PROTECTED_TYPES = ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SageMaker::Domain")
PROTECTED_LOGICAL_IDS = ("DataBucket", "StudioDomain", "StudioDefaultUserProfile")


@functools.cache
def create_only(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The schema's create-only properties, as paths below ``Properties``."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource_type).schema
    return tuple(
        tuple(pointer.removeprefix("/properties/").split("/"))
        for pointer in schema.get("createOnlyProperties", [])
    )


def _at(props: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = props
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


@dataclass(frozen=True)
class CustomKind:
    """How a custom resource's handler names what it creates.

    ``identity(props, stack_id, logical_id)`` returns those names; ``in_place`` lists the
    properties a handler updates without creating anything new (tags, delete options);
    ``stable`` lists attributes that keep their value when the identity changes.
    """

    identity: Callable[[dict[str, Any], str, str], tuple[str, ...]] | None
    in_place: frozenset[str] = frozenset()
    stable: frozenset[str] = frozenset()


def _automl_job(props: dict[str, Any], stack_id: str, logical_id: str) -> tuple[str, ...]:
    from automl_job.spec import JobSpec

    return (JobSpec.from_properties(props).job_name(stack_id, logical_id),)


def _dataset(props: dict[str, Any], stack_id: str, logical_id: str) -> tuple[str, ...]:
    from dataset_staging.settings import Location, StagingRequest, dataset_version

    request = StagingRequest.from_properties(props)
    # The source object's ETag is read at deploy; a fixed one stands for "unchanged".
    version = dataset_version(request, "etag", "etag" if request.pre_split else "")
    return (Location.of(request.bucket, request.prefix, version).physical_id,)


def _result(props: dict[str, Any], stack_id: str, logical_id: str) -> tuple[str, ...]:
    """The model: its name hashes the job, the candidate (known at deploy: the job's name
    stands for it), the response keys and the role."""
    from automl_job import model
    from cr_support import properties

    return (
        model.model_name(
            props["JobNamePrefix"],
            job=props["JobName"],
            candidate=props["JobName"],
            keys=properties.string_list(props, "InferenceResponseKeys"),
            role=props["RoleArn"],
        ),
    )


CUSTOM_KINDS: dict[str, CustomKind] = {
    "Custom::AutoMLJob": CustomKind(
        _automl_job, frozenset({"Tags", "WaitHandleUrl", "StateMachineArn", "ServiceToken"})
    ),
    "Custom::AutoMLJobResult": CustomKind(
        _result, frozenset({"Tags", "WaitCondition", "ServiceToken"})
    ),
    "Custom::TrainingDataset": CustomKind(
        _dataset, frozenset({"RetainOnDelete", "MinTrainingRows", "ServiceToken"})
    ),
    # These create nothing named after their inputs; every change is an in-place update.
    "Custom::StudioAppsCleanup": CustomKind(None),
    "Custom::StudioHomeCleanup": CustomKind(None),
    "Custom::SageMakerProjectsEnablement": CustomKind(None),
    "Custom::S3AutoDeleteObjects": CustomKind(None),
    "Custom::VpcRestrictDefaultSG": CustomKind(None),
}


class _Rendering(Renderer):
    """Renders values, marking those of resources whose physical identity changes."""

    def __init__(self, template: dict[str, Any], *, stack_name: str) -> None:
        super().__init__(template, stack_name=stack_name)
        self.changed: set[str] = set()
        self._types = {lid: r["Type"] for lid, r in template["Resources"].items()}

    def get_att(self, logical_id: str, attribute: str) -> str:
        if self._types.get(logical_id, "").startswith("Custom::"):
            # A value of the attribute's kind, so handlers' parsers accept it.
            value = f"{logical_id.lower()}-{attribute.lower()}"
            if attribute.endswith("Uri"):
                value = f"s3://bucket/{value}"
        else:
            try:
                value = super().get_att(logical_id, attribute)
            except UnrenderableError:
                value = f"{{{logical_id}.{attribute}}}"
        kind = CUSTOM_KINDS.get(self._types.get(logical_id, ""))
        stable = kind is not None and attribute in kind.stable
        return f"{value}-new" if logical_id in self.changed and not stable else value


@dataclass(frozen=True)
class Verdict:
    replaced: tuple[str, ...]
    unsafe: tuple[str, ...]


def _order(template: dict[str, Any]) -> list[str]:
    """Logical IDs with everything a resource depends on before it."""
    from tests.lifecycle.engine import Template

    graph = Template(template)
    done: list[str] = []
    seen: set[str] = set()

    def visit(lid: str) -> None:
        if lid in seen:
            return
        seen.add(lid)
        for dep in sorted(graph.deps[lid]):
            if dep in graph.resources:
                visit(dep)
        done.append(lid)

    for lid in graph.resources:
        visit(lid)
    return done


def judge(old: dict[str, Any], new: dict[str, Any], *, stack_name: str) -> Verdict:
    """What the update from ``old`` to ``new`` replaces, and what makes it unsafe."""
    stack_id = f"arn:aws:cloudformation:{REGION}:111111111111:stack/{stack_name}/id"
    before = _Rendering(old, stack_name=stack_name)
    after = _Rendering(new, stack_name=stack_name)
    old_resources, new_resources = old["Resources"], new["Resources"]
    replaced: list[str] = []
    unsafe: list[str] = []
    for lid in _order(new):
        resource = new_resources[lid]
        kind = resource["Type"]
        if lid not in old_resources or old_resources[lid]["Type"] != kind:
            continue
        old_props = before.render(old_resources[lid].get("Properties", {}))
        new_props = after.render(resource.get("Properties", {}))
        if old_props == new_props:
            continue
        if kind.startswith("Custom::"):
            unsafe += _judge_custom(lid, kind, old_props, new_props, stack_id, after)
            continue
        paths = [p for p in create_only(kind) if _at(old_props, p) != _at(new_props, p)]
        if not paths:
            continue
        replaced.append(lid)
        after.changed.add(lid)
        changed = ", ".join("/".join(p) for p in paths)
        if kind in PROTECTED_TYPES or lid in PROTECTED_LOGICAL_IDS:
            unsafe.append(f"{lid} ({kind}) would be replaced (changed: {changed})")
        for path in create_only(kind):
            name = path[-1]
            fixed = _at(old_props, path)
            if name.endswith("Name") and fixed is not None and fixed == _at(new_props, path):
                unsafe.append(
                    f"{lid} ({kind}) is replaced (changed: {changed}) but keeps its fixed "
                    f"{name} {fixed!r}: CloudFormation cannot replace a custom-named resource"
                )
    unsafe += _renamed_collisions(old, new, before, after)
    return Verdict(tuple(replaced), tuple(unsafe))


def _judge_custom(
    lid: str,
    kind: str,
    old_props: dict[str, Any],
    new_props: dict[str, Any],
    stack_id: str,
    after: _Rendering,
) -> list[str]:
    spec = CUSTOM_KINDS.get(kind)
    if spec is None:
        return [f"{lid} ({kind}): no rule for how its handler names what it creates"]
    inputs = sorted(
        key
        for key in set(old_props) | set(new_props)
        if old_props.get(key) != new_props.get(key) and key not in spec.in_place
    )
    if spec.identity is None or not inputs:
        return []
    old_identity = spec.identity(old_props, stack_id, lid)
    new_identity = spec.identity(new_props, stack_id, lid)
    if old_identity != new_identity:
        after.changed.add(lid)
        return []
    return [
        f"{lid} ({kind}): inputs {inputs} changed but it would reuse its old names "
        f"{list(old_identity)}"
    ]


def _renamed_collisions(
    old: dict[str, Any], new: dict[str, Any], before: _Rendering, after: _Rendering
) -> list[str]:
    """A new logical ID that takes the fixed name of one the update deletes: the new one
    is created first, so the name is still taken."""
    gone = [lid for lid in old["Resources"] if lid not in new["Resources"]]
    added = [lid for lid in new["Resources"] if lid not in old["Resources"]]
    found = []
    for lid in gone:
        if lid in PROTECTED_LOGICAL_IDS or old["Resources"][lid]["Type"] in PROTECTED_TYPES:
            found.append(f"{lid} ({old['Resources'][lid]['Type']}) would be deleted")
    names = {}
    for lid in gone:
        resource = old["Resources"][lid]
        for name in _fixed_names(resource, before):
            names[(resource["Type"], name)] = lid
    for lid in added:
        resource = new["Resources"][lid]
        for name in _fixed_names(resource, after):
            if (resource["Type"], name) in names:
                found.append(
                    f"{lid} ({resource['Type']}) takes the fixed name {name!r} of "
                    f"{names[(resource['Type'], name)]}, which is deleted only after it"
                )
    return found


def _fixed_names(resource: dict[str, Any], renderer: _Rendering) -> list[str]:
    if resource["Type"].startswith("Custom::"):
        return []
    props = resource.get("Properties", {})
    return [
        json.dumps(renderer.render(_at(props, path)))
        for path in create_only(resource["Type"])
        if path[-1].endswith("Name") and _at(props, path) is not None
    ]
