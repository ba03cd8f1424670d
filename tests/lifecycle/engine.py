"""Drive a synthesized template the way CloudFormation and the CDK Provider framework do.

This is exactly what this stack's lifecycle needs, not a CloudFormation emulator. Time
advances in ticks of 30 s; every custom resource's handlers are the real entry points in
``runtime/``, called in-process with events shaped as CloudFormation sends them.

CloudFormation rules modelled (AWS docs: "Custom resources", "Stack failure options",
"Update behaviors of stack resources"; docs/ARCHITECTURE.md, "Rollback semantics"):

- Order: a resource starts once everything it names in ``DependsOn``, ``Ref``,
  ``Fn::GetAtt`` or ``Fn::Sub`` (also inside ``Fn::Join``) is complete; resources with
  no dependency between them run in parallel. Delete walks the graph backwards.
- Properties: intrinsics are resolved to the simulated physical IDs and attributes, and
  a custom resource receives every scalar as a string (numbers and booleans included).
- A failed create stops new work. Native resources already in progress finish; custom
  resources still in progress are cancelled. Rollback then deletes everything in reverse
  order, each resource with the physical ID CloudFormation learned; a cancelled custom
  resource, or one whose ``ServiceTimeout`` ran out, gets an invented
  ``<stack>-<logicalId>-<suffix>`` ID. ``DeletionPolicy: Retain`` is honoured.
- Update: a resource whose resolved properties changed gets Update with
  ``OldResourceProperties``. A new physical ID means replacement: the old ID is deleted
  only in the cleanup phase after every update succeeded. A failed update rolls back:
  every resource updated so far gets Update back to its old properties (with the newest
  physical ID), then cleanup deletes the IDs that rollback left unused.
- A failed delete leaves the stack ``DELETE_FAILED`` / ``ROLLBACK_FAILED``.

CDK Provider framework rules modelled (``custom-resources/lib/provider-framework/
runtime/framework.js`` and ``cfn-response.js`` in aws-cdk-lib's jsii tarball):

- ``on_event`` raising during Create answers FAILED with the physical ID
  ``AWSCDK::CustomResourceProviderFramework::CREATE_FAILED``; the Delete for that marker
  is answered SUCCESS without calling the handler (``safeHandler``).
- A missing ``PhysicalResourceId`` defaults to the RequestId on Create; a Delete may
  not change it (``createResponseEvent``).
- The waiter calls ``is_complete`` at once, then every ``IntervalSeconds``, up to
  ``MaxAttempts`` retries (read from the waiter state machine in the template), with the
  Create event merged with on_event's result. ``Data`` with ``IsComplete: false`` is an
  error; the final Data merges on_event's and is_complete's. When the attempts run out,
  ``onTimeout`` answers FAILED "Operation timed out" with on_event's physical ID.
- The waiter of a cancelled Create keeps polling after CloudFormation gave up on it;
  its answer is ignored. The harness keeps running those pollers until they stop.
- A Create cancelled before its on_event ran (``Failure(at="cancel", after=0)``) models
  the race where the Lambda invocation is still in flight: the rollback's Delete runs
  first and finds nothing, then the Create's on_event runs and its waiter polls.

CloudFormation's wait conditions (AWS docs, "AWS::CloudFormation::WaitCondition"): a
handle's ``Ref`` is a presigned URL; the WaitCondition completes on a SUCCESS signal
(``Data`` is ``{"<UniqueId>": "<Data>"}``), fails on a FAILURE signal with the signal's
Reason, and fails when ``Timeout`` runs out. It gets no Delete of its own. An update may
add resources (created in dependency order) and drop them (deleted in cleanup); a failed
update deletes what it added. The state machine execution that sends the signal is
modelled in ``fakes`` (its ASL runs in moto in the infra tests).

Handlers get the fake account's clients (``fakes.Account``) and its clock
(``cr_support.clock``), so a poll interval costs no real time.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tests.lifecycle.fakes import ACCOUNT, REGION, Account
from tests.lifecycle.iam import RolePolicies
from tools.restore.plan import SUB_VARIABLE, references

TICK_SECONDS = 30
WAIT_CONDITION = "AWS::CloudFormation::WaitCondition"
CREATE_FAILED_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
PROVIDER_ON_EVENT = "USER_ON_EVENT_FUNCTION_ARN"
PROVIDER_IS_COMPLETE = "USER_IS_COMPLETE_FUNCTION_ARN"
PROVIDER_WAITER = "WAITER_STATE_MACHINE_ARN"
# Native resources whose create takes a while (ticks); the rest complete in one tick.
NATIVE_CREATE_TICKS = {"AWS::SageMaker::Domain": 6, "AWS::SageMaker::UserProfile": 2}


class ResourceFailed(Exception):
    """A resource operation answered FAILED; ``physical_id`` is what CloudFormation learned."""

    def __init__(self, reason: str, physical_id: str | None = None) -> None:
        super().__init__(reason)
        self.physical_id = physical_id


@dataclass(frozen=True)
class Failure:
    """Where a first deploy or an update fails.

    ``at`` is ``create`` (a native resource), ``on_event`` or ``is_complete`` (the
    handler's invocation fails), or ``cancel``: another resource fails while this custom
    resource has been in progress for ``after`` ticks (0: its on_event has not run yet).
    """

    logical_id: str
    at: str = "create"
    after: int = 0


# -- the template ---------------------------------------------------------------------


@dataclass(frozen=True)
class Handlers:
    on_event: Callable[..., Any]
    is_complete: Callable[..., Any] | None
    interval_ticks: int
    max_attempts: int
    # The logical IDs of the functions' roles: their requests are evaluated against them.
    on_event_role: str = ""
    is_complete_role: str = ""


class Template:
    def __init__(self, template: dict[str, Any]) -> None:
        self.body = template
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.deps = {
            lid: set(_as_list(r.get("DependsOn"))) | references(r.get("Properties", {}))
            for lid, r in self.resources.items()
        }
        self._dependents: dict[str, set[str]] = {lid: set() for lid in self.resources}
        for lid, deps in self.deps.items():
            for dep in deps:
                self._dependents[dep].add(lid)

    def type(self, lid: str) -> str:
        return self.resources[lid]["Type"]

    def dependents(self, lid: str) -> set[str]:
        return self._dependents[lid]

    def depends_on(self, lid: str, other: str) -> bool:
        """True if ``lid`` depends on ``other``, directly or transitively."""
        seen, todo = set(), [lid]
        while todo:
            for dep in self.deps[todo.pop()]:
                if dep == other:
                    return True
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return False

    def handlers(self, lid: str) -> Handlers | None:
        """The runtime/ entry points behind a custom resource's Provider, if it has one."""
        token = self.resources[lid]["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        env = self.resources[token]["Properties"].get("Environment", {}).get("Variables", {})
        if PROVIDER_ON_EVENT not in env:
            return None  # one of CDK's own Node.js handlers
        on_event = self._entry_point(env[PROVIDER_ON_EVENT])
        on_event_role = self._role(env[PROVIDER_ON_EVENT])
        if PROVIDER_IS_COMPLETE not in env:
            return Handlers(on_event, None, 0, 0, on_event_role)
        waiter = self.resources[env[PROVIDER_WAITER]["Ref"]]["Properties"]["DefinitionString"]
        text = json.dumps(waiter)
        interval = int(re.search(r'IntervalSeconds\\":(\d+)', text).group(1))
        attempts = int(re.search(r'MaxAttempts\\":(\d+)', text).group(1))
        return Handlers(
            on_event,
            self._entry_point(env[PROVIDER_IS_COMPLETE]),
            max(1, interval // TICK_SECONDS),
            attempts,
            on_event_role,
            self._role(env[PROVIDER_IS_COMPLETE]),
        )

    def _role(self, arn_ref: dict[str, Any]) -> str:
        function = self.resources[arn_ref["Fn::GetAtt"][0]]["Properties"]
        return function["Role"]["Fn::GetAtt"][0]

    def _entry_point(self, arn_ref: dict[str, Any]) -> Callable[..., Any]:
        function = self.resources[arn_ref["Fn::GetAtt"][0]]["Properties"]["Handler"]
        module, name = function.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def as_cfn_delivers(value: Any) -> Any:
    """Custom resources receive every scalar as a string."""
    if isinstance(value, dict):
        return {k: as_cfn_delivers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_cfn_delivers(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


# -- the stack ------------------------------------------------------------------------


@dataclass
class Resource:
    logical_id: str
    physical_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    status: str = "CREATE_IN_PROGRESS"


Operation = Generator[None, None, tuple[str, dict[str, Any]]]


@dataclass
class Updated:
    """One resource an update touched: its old and new IDs and properties."""

    logical_id: str
    old_id: str | None
    old_props: dict[str, Any]
    new_props: dict[str, Any]
    new_id: str | None = None
    old_attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def unused_id(self) -> str | None:
        return self.new_id

    @property
    def unused_props(self) -> dict[str, Any]:
        return self.new_props

    def replaced(self) -> Updated:
        """The old physical resource, which cleanup deletes after a successful update."""
        return Updated(self.logical_id, self.new_id, self.new_props, self.old_props, self.old_id)


@dataclass
class _Running:
    logical_id: str
    operation: Operation
    started: int
    service_timeout_ticks: int | None
    records: bool = True  # a Create or Update: CloudFormation records its ID and Data
    held: bool = False  # a Create or Update whose Lambda invocation is still on its way


class Stack:
    """One CloudFormation stack of one environment, in one simulated account."""

    def __init__(self, name: str, template: dict[str, Any], account: Account) -> None:
        self.name = name
        self.stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/0f1e2d3c"
        self.template = Template(template)
        self.account = account
        self.status: str | None = None
        self.resources: dict[str, Resource] = {}
        self.orphans: list[_Running] = []
        self.failures: list[str] = []
        self.created_ever: set[str] = set()
        self.added: list[str] = []
        self._ids = itertools.count(1)
        self._policies: dict[str, RolePolicies] = {}
        self.retained: dict[str, Resource] = {}
        # Several stacks can share one account: each answers for its own name.
        others = account.stack_status
        account.stack_status = lambda name: self._describe_status(name) or others(name)

    def policies(self, role_logical_id: str) -> RolePolicies:
        """The role's identity policies, as IAM would evaluate a request made as it."""
        if role_logical_id not in self._policies:
            self._policies[role_logical_id] = RolePolicies(self, role_logical_id)
        return self._policies[role_logical_id]

    @contextlib.contextmanager
    def acting_as(self, role_logical_id: str):
        """Requests made inside are evaluated against this role's policies."""
        with self.account.acting_as(
            f"{self.name}/{role_logical_id}", self.policies(role_logical_id)
        ):
            yield

    def invoke(self, lid: str, event: dict[str, Any]) -> Any:
        """Invoke one of the stack's Lambda functions as its schedule would: its handler,
        its resolved environment, as its role. A failure counts in its Errors metric, and
        the account's alarms are evaluated (``Account.evaluate_alarms``)."""
        import os

        props = self.template.resources[lid]["Properties"]
        module, name = props["Handler"].rsplit(".", 1)
        function = getattr(importlib.import_module(module), name)
        variables = self.resolve(props.get("Environment", {}).get("Variables", {}))
        role = props["Role"]["Fn::GetAtt"][0]
        saved = {key: os.environ.get(key) for key in variables}
        os.environ.update({key: str(value) for key, value in variables.items()})
        try:
            with self.acting_as(role):
                return _lambda(function, event)
        except Exception:
            self.account.lambda_error(self.resources[lid].physical_id)
            raise
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self.account.evaluate_alarms()

    def _describe_status(self, stack_name: str) -> str | None:
        if stack_name in (self.stack_id, self.name, ""):
            return self.status
        return None

    # -- stack operations --------------------------------------------------------------

    def deploy(self, fail: Failure | None = None) -> str:
        self.status = "CREATE_IN_PROGRESS"
        created = self._create(list(self.template.resources), fail)
        if created:
            self.status = "CREATE_COMPLETE"
            return self.status
        self.status = "ROLLBACK_IN_PROGRESS"
        ok = self._delete(list(self.resources))
        self.status = "ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED"
        return self.status

    def destroy(self) -> str:
        self.status = "DELETE_IN_PROGRESS"
        ok = self._delete(list(self.resources))
        self.status = "DELETE_COMPLETE" if ok else "DELETE_FAILED"
        return self.status

    def update(self, template: dict[str, Any], fail: Failure | None = None) -> str:
        old_template, self.template = self.template, Template(template)
        self.status = "UPDATE_IN_PROGRESS"
        self.added = []
        ok, replaced, updated = self._update_all(fail)
        if ok:
            self.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            dropped = [lid for lid in self.resources if lid not in self.template.resources]
            ok = self._delete_physical(replaced) and self._drop(dropped, old_template)
            self.status = "UPDATE_COMPLETE" if ok else "UPDATE_FAILED"
            return self.status
        self.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        new_template, self.template = self.template, old_template
        # Added resources are deleted in the cleanup below; the rest go back.
        unused = self._roll_back_updates([u for u in updated if u.logical_id not in self.added])
        self.status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        ok = self._delete_physical(unused) and self._drop(self.added, new_template)
        self.status = "UPDATE_ROLLBACK_COMPLETE" if ok else "UPDATE_ROLLBACK_FAILED"
        return self.status

    def _drop(self, lids: list[str], template: Template) -> bool:
        """Delete resources one template has and the other has not, dependents first."""
        current, self.template = self.template, template
        try:
            return self._delete(lids)
        finally:
            self.template = current

    def drain(self, max_ticks: int = 400) -> None:
        """Let abandoned pollers run until they stop, as their state machines would."""
        for _ in range(max_ticks):
            if not self.orphans:
                return
            self._tick([])
        raise AssertionError(f"abandoned pollers never stopped: {self.orphans}")

    # -- create ------------------------------------------------------------------------

    def _create(self, todo: list[str], fail: Failure | None) -> bool:
        running: list[_Running] = []
        failed = False
        while todo or running:
            if not failed:
                for lid in [lid for lid in todo if self._deps_done(lid)]:
                    todo.remove(lid)
                    self.resources[lid] = Resource(lid)
                    running.append(self._start(lid, self._create_op(lid, fail)))
            if failed and not running:
                break
            failed = self._cancel(running, fail, before_tick=True) or failed
            finished = self._tick(running)
            failed = self._cancel(running, fail, before_tick=False) or failed
            for lid, error in finished:
                if error is None:
                    self.resources[lid].status = "CREATE_COMPLETE"
                    self.created_ever.add(lid)
                    continue
                self._failed(lid, "CREATE_FAILED", error)
                failed = True
            if failed:
                # Native resources finish; custom resources in progress are cancelled.
                for run in [r for r in running if self._is_custom(r.logical_id)]:
                    running.remove(run)
                    self.orphans.append(run)
                    self._failed(run.logical_id, "CREATE_FAILED", ResourceFailed("cancelled"))
            if not todo and not running:
                break
            if failed and not running:
                break
        return not failed

    def _cancel(
        self,
        running: list[_Running],
        fail: Failure | None,
        before_tick: bool,
        status: str = "CREATE_FAILED",
    ) -> bool:
        """Another resource failed while ``fail.logical_id`` was in progress."""
        if fail is None or fail.at != "cancel" or (fail.after == 0) != before_tick:
            return False
        for run in running:
            if run.logical_id == fail.logical_id and self.account.now - run.started >= fail.after:
                running.remove(run)
                # after=0: the Create's on_event only runs once the rollback's Delete has.
                run.held = fail.after == 0
                self.orphans.append(run)
                self._failed(run.logical_id, status, ResourceFailed("cancelled"))
                return True
        return False

    def _deps_done(self, lid: str) -> bool:
        return all(
            dep in self.resources and self.resources[dep].status.endswith("_COMPLETE")
            for dep in self.template.deps[lid]
        )

    def _create_op(self, lid: str, fail: Failure | None) -> Operation:
        resource = self.template.resources[lid]
        props = self.resolve(resource.get("Properties", {}))
        self.resources[lid].properties = props
        injected = fail.at if fail and fail.logical_id == lid else None
        if self._is_custom(lid):
            return self._custom(lid, "Create", props, injected=injected)
        if injected:
            return self._raise(ResourceFailed(f"injected failure creating {lid}"))
        if self.template.type(lid) == "AWS::CloudFormation::WaitCondition":
            return self._wait_condition(lid, props)
        return self._native_create(lid, props)

    def _wait_condition(self, lid: str, props: dict[str, Any]) -> Operation:
        handle = props["Handle"]
        physical_id = f"{self.stack_id}/{lid}"
        self.resources[lid].physical_id = physical_id
        deadline = self.account.now + -(-int(props["Timeout"]) // TICK_SECONDS)
        while self.account.now < deadline:
            signal = self.account.wait_signals.get(handle)
            if signal is not None:
                if signal["Status"] == "FAILURE":
                    raise ResourceFailed(
                        f"WaitCondition received failed message: '{signal['Reason']}' for "
                        f"uniqueId: {signal['UniqueId']}",
                        physical_id,
                    )
                return physical_id, {"Data": json.dumps({signal["UniqueId"]: signal["Data"]})}
            yield
        raise ResourceFailed(
            "WaitCondition timed out. Received 0 conditions when expecting 1", physical_id
        )

    def _failed(self, lid: str, status: str, error: ResourceFailed) -> None:
        resource = self.resources[lid]
        resource.status = status
        if error.physical_id:
            resource.physical_id = error.physical_id
        elif self._is_custom(lid) and resource.physical_id is None:
            # CloudFormation never learned the ID: the Delete carries an invented one.
            resource.physical_id = f"{self.name}-{lid}-{next(self._ids):012X}"
        self.failures.append(f"{lid} {status}: {error}")

    # -- delete ------------------------------------------------------------------------

    def _delete(self, lids: Iterable[str]) -> bool:
        remaining = {lid for lid in lids if self._needs_delete(lid)}
        running: list[_Running] = []
        failed = False
        while remaining or running:
            if not failed:
                busy = remaining | {r.logical_id for r in running}
                for lid in sorted(remaining):
                    if not (self.template.dependents(lid) & busy):
                        remaining.discard(lid)
                        running.append(self._start(lid, self._delete_op(lid), records=False))
                        for orphan in self.orphans:
                            orphan.held = orphan.held and orphan.logical_id != lid
            if failed and not running:
                break
            for lid, error in self._tick(running):
                if error is None:
                    self.resources.pop(lid)
                else:
                    self._failed(lid, "DELETE_FAILED", error)
                    failed = True
        return not failed

    def _needs_delete(self, lid: str) -> bool:
        resource = self.resources[lid]
        if self.template.resources[lid].get("DeletionPolicy") == "Retain":
            # Out of the stack, but its ID still resolves for what is deleted after it.
            self.retained[lid] = self.resources.pop(lid)
            return False
        if resource.physical_id is None and not self._is_custom(lid):
            self.resources.pop(lid)  # a native create that failed made nothing
            return False
        return True

    def _delete_op(self, lid: str) -> Operation:
        resource = self.resources[lid]
        if self._is_custom(lid):
            return self._custom(
                lid, "Delete", resource.properties, physical_id=resource.physical_id
            )
        return self._native_delete(lid, resource)

    def _delete_physical(self, items: list[Updated]) -> bool:
        """Cleanup phase: delete physical IDs an update left unused, dependents first."""
        ok = True
        order = {lid: n for n, lid in enumerate(self.template.resources)}
        for item in sorted(items, key=lambda u: -order.get(u.logical_id, 0)):
            lid, physical_id, props = item.logical_id, item.unused_id, item.unused_props
            if self._is_custom(lid):
                operation = self._custom(lid, "Delete", props, physical_id=physical_id)
            else:
                gone = Resource(lid, physical_id, properties=props)
                operation = self._native_delete(lid, gone)
            error = self._run_one(lid, operation, records=False)
            if error is not None:
                self.failures.append(f"{lid} DELETE_FAILED ({physical_id}): {error}")
                ok = False
        return ok

    # -- update ------------------------------------------------------------------------

    def _update_all(self, fail: Failure | None) -> tuple[bool, list[Updated], list[Updated]]:
        """Update along the dependency graph, in parallel, as CloudFormation does.

        A resource starts once everything it depends on is done (updated, unchanged or
        added), so it sees its dependencies' new IDs and attributes. When one fails, no
        new work starts; custom resources still in progress are cancelled (CloudFormation
        never learns what they answer, and their pollers run on as orphans); native ones
        finish. Returns (ok, replaced, updated).
        """
        updated: list[Updated] = []
        done: set[str] = set()
        todo = list(self.template.resources)
        running: list[_Running] = []
        failed = False
        while todo or running:
            if not failed:
                for lid in [lid for lid in todo if self.template.deps[lid] <= done]:
                    todo.remove(lid)
                    operation = self._update_op(lid, fail, updated)
                    if operation is None:
                        done.add(lid)
                    else:
                        running.append(self._start(lid, operation))
                if not running and todo:
                    continue
            if failed and not running:
                break
            failed = self._cancel(running, fail, before_tick=True, status="UPDATE_FAILED") or failed
            finished = self._tick(running)
            failed = (
                self._cancel(running, fail, before_tick=False, status="UPDATE_FAILED") or failed
            )
            for lid, error in finished:
                added = lid in self.added
                if error is None:
                    self.resources[lid].status = "CREATE_COMPLETE" if added else "UPDATE_COMPLETE"
                    self.created_ever.add(lid)
                    done.add(lid)
                    continue
                self._failed(lid, "CREATE_FAILED" if added else "UPDATE_FAILED", error)
                failed = True
            if failed:
                # Custom resources and wait conditions in progress are cancelled.
                for run in [r for r in running if self._cancellable(r.logical_id)]:
                    running.remove(run)
                    self.orphans.append(run)
                    status = "CREATE_FAILED" if run.logical_id in self.added else "UPDATE_FAILED"
                    self._failed(run.logical_id, status, ResourceFailed("update cancelled"))
        for item in updated:
            resource = self.resources[item.logical_id]
            item.new_id = resource.physical_id
        replaced = [
            u.replaced() for u in updated if u.new_id != u.old_id and u.logical_id not in self.added
        ]
        return not failed, replaced, updated

    def _update_op(
        self, lid: str, fail: Failure | None, updated: list[Updated]
    ) -> Operation | None:
        """The operation that brings ``lid`` to the new template; None when unchanged."""
        if lid not in self.resources:
            self.resources[lid] = Resource(lid)
            self.added.append(lid)
            return self._create_op(lid, fail)
        resource = self.resources[lid]
        new_props = self.resolve(self.template.resources[lid].get("Properties", {}))
        if new_props == resource.properties:
            return None
        old_props, old_id = resource.properties, resource.physical_id
        updated.append(
            Updated(lid, old_id, old_props, new_props, old_attributes=resource.attributes)
        )
        resource.status = "UPDATE_IN_PROGRESS"
        injected = fail.at if fail and fail.logical_id == lid else None
        if self._is_custom(lid):
            operation = self._custom(
                lid, "Update", new_props, old_props=old_props, physical_id=old_id, injected=injected
            )
        elif injected:
            operation = self._raise(ResourceFailed(f"injected failure updating {lid}", old_id))
        else:
            operation = self._native_update(lid, resource, new_props)
        return self._recording(lid, operation, new_props)

    def _recording(self, lid: str, operation: Operation, props: dict[str, Any]) -> Operation:
        """Record the properties a finished update went to (not for a cancelled one)."""
        result = yield from operation
        run = next((r for r in self.orphans if r.logical_id == lid), None)
        if run is None:
            self.resources[lid].properties = props
        return result

    def _roll_back_updates(self, updated: list[Updated]) -> list[Updated]:
        """Update back to the old properties, dependents first; what is left unused."""
        unused = []
        for item in reversed(updated):
            lid = item.logical_id
            resource = self.resources[lid]
            newest_id, newest_props = resource.physical_id, item.new_props
            # An update cancelled before its Lambda ran: it runs only after this rollback.
            for orphan in self.orphans:
                orphan.held = orphan.held and orphan.logical_id != lid
            if not self._is_custom(lid) and newest_id != item.old_id:
                # A replaced native resource: the old one is still there; point back to it.
                resource.physical_id, resource.attributes = item.old_id, item.old_attributes
                resource.properties = item.old_props
                unused.append(Updated(lid, item.old_id, item.old_props, newest_props, newest_id))
                continue
            if self._is_custom(lid):
                operation = self._custom(
                    lid, "Update", item.old_props, old_props=newest_props, physical_id=newest_id
                )
            else:
                operation = self._native_update(lid, resource, item.old_props)
            error = self._run_one(lid, operation)
            if error is not None:
                self._failed(lid, "UPDATE_FAILED", error)
            resource.properties = item.old_props
            if resource.physical_id != newest_id:
                unused.append(
                    Updated(lid, resource.physical_id, item.old_props, newest_props, newest_id)
                )
        return unused

    # -- running operations ------------------------------------------------------------

    def _run_one(self, lid: str, operation: Operation, records: bool = True):
        """Run one resource operation to its end; the error it failed with, if any."""
        running = [self._start(lid, operation, records)]
        while True:
            for _, error in self._tick(running):
                return error

    def _start(self, lid: str, operation: Operation, records: bool = True) -> _Running:
        timeout = self.template.resources[lid].get("Properties", {}).get("ServiceTimeout")
        ticks = int(timeout) // TICK_SECONDS if timeout else None
        return _Running(lid, operation, self.account.now, ticks, records)

    def _tick(self, running: list[_Running]) -> list[tuple[str, ResourceFailed | None]]:
        """Advance every running operation by one step, then let 30 s pass."""
        finished = []
        for run in list(running):
            outcome = self._step(run)
            if outcome is not None:
                running.remove(run)
                finished.append((run.logical_id, outcome[1]))
            elif (
                run.service_timeout_ticks is not None
                and self.account.now - run.started >= run.service_timeout_ticks
            ):
                # CloudFormation's own timer fired: it never learns the physical ID.
                running.remove(run)
                self.orphans.append(run)
                finished.append((run.logical_id, ResourceFailed("ServiceTimeout exceeded")))
        for orphan in [o for o in self.orphans if not o.held]:
            if self._step(orphan) is not None:
                self.orphans.remove(orphan)
        self.account.tick()
        return finished

    def _step(self, run: _Running):
        try:
            next(run.operation)
        except StopIteration as stop:
            physical_id, attributes = stop.value
            resource = self.resources.get(run.logical_id)
            if resource is not None and run.records and run not in self.orphans:
                resource.physical_id, resource.attributes = physical_id, attributes
            return (run.logical_id, None)
        except ResourceFailed as error:
            return (run.logical_id, error)
        except ClientError as error:  # a native resource's API call: CloudFormation reports it
            resource = self.resources.get(run.logical_id)
            return (run.logical_id, ResourceFailed(str(error), resource and resource.physical_id))
        return None

    @staticmethod
    def _raise(error: Exception) -> Operation:
        raise error
        yield  # pragma: no cover - makes this a generator

    def _cancellable(self, lid: str) -> bool:
        return self._is_custom(lid) or self.template.type(lid) == WAIT_CONDITION

    def _is_custom(self, lid: str) -> bool:
        return self.template.type(lid).startswith("Custom::")

    # -- the Provider framework ----------------------------------------------------------

    def _custom(
        self,
        lid: str,
        request_type: str,
        props: dict[str, Any],
        *,
        old_props: dict[str, Any] | None = None,
        physical_id: str | None = None,
        injected: str | None = None,
    ) -> Operation:
        handlers = self.template.handlers(lid)
        if handlers is None:
            return (yield from self._cdk_builtin(lid, request_type, props, physical_id))
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": props.get("ServiceToken", ""),
            "ResponseURL": "https://cloudformation-custom-resource-response.invalid/",
            "StackId": self.stack_id,
            "RequestId": f"request-{next(self._ids)}",
            "LogicalResourceId": lid,
            "ResourceType": self.template.type(lid),
            "ResourceProperties": props,
        }
        if old_props is not None:
            event["OldResourceProperties"] = old_props
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if request_type == "Delete" and physical_id == CREATE_FAILED_MARKER:
            return physical_id, {}  # safeHandler: the framework swallows this Delete
        try:
            if injected == "on_event":
                raise RuntimeError(f"injected failure in {lid} on_event")
            with self.acting_as(handlers.on_event_role):
                result = _lambda(handlers.on_event, event) or {}
        except Exception as error:
            failed_id = physical_id or (CREATE_FAILED_MARKER if request_type == "Create" else None)
            raise ResourceFailed(str(error), failed_id) from None
        new_id = result.get("PhysicalResourceId") or physical_id or event["RequestId"]
        if request_type == "Delete" and new_id != physical_id:
            raise ResourceFailed("DELETE: cannot change the physical resource ID", physical_id)
        waiter_event = {**event, **result, "PhysicalResourceId": new_id}
        if handlers.is_complete is None:
            if injected == "is_complete":
                raise AssertionError(
                    f"{lid} has no poller to fail: a failure point that cannot fire"
                )
            return new_id, dict(result.get("Data") or {})
        for attempt in range(handlers.max_attempts + 1):
            if attempt:
                for _ in range(handlers.interval_ticks):
                    yield
            try:
                if injected == "is_complete":
                    raise RuntimeError(f"injected failure in {lid} is_complete")
                with self.acting_as(handlers.is_complete_role):
                    outcome = _lambda(handlers.is_complete, waiter_event)
            except Exception as error:
                raise ResourceFailed(str(error), new_id) from None
            if outcome.get("IsComplete"):
                data = {**(waiter_event.get("Data") or {}), **(outcome.get("Data") or {})}
                return new_id, data
            if outcome.get("Data"):
                raise ResourceFailed('"Data" is not allowed if "IsComplete" is "False"', new_id)
        raise ResourceFailed("Operation timed out", new_id)  # the framework's onTimeout

    def _cdk_builtin(self, lid, request_type, props, physical_id) -> Operation:
        """CDK's own Node.js handlers: bucket auto-delete and default-SG restriction."""
        physical_id = physical_id or f"{lid}-{next(self._ids)}"
        if self.template.type(lid) == "Custom::S3AutoDeleteObjects" and request_type == "Delete":
            _empty_bucket(self.account.moto("s3"), props["BucketName"])
            self.account.bucket_emptied(props["BucketName"])
        return physical_id, {}
        yield  # pragma: no cover

    # -- native resources ----------------------------------------------------------------

    def _native_create(self, lid: str, props: dict[str, Any]) -> Operation:
        kind = self.template.type(lid)
        create = _NATIVE.get(kind, (_generic_create, None))[0]
        physical_id, attributes = create(self, lid, props)
        self.resources[lid].physical_id = physical_id
        yield from self._settle(kind, physical_id, props)
        for _ in range(NATIVE_CREATE_TICKS.get(kind, 0)):
            yield
        return physical_id, attributes

    def _native_update(self, lid: str, resource: Resource, props: dict[str, Any]) -> Operation:
        """A create-only property changed: a new resource beside the old one (cleanup deletes
        the old); otherwise an update in place, as the type's schema says."""
        from tests.stacks.update_safety import _at, create_only

        kind = self.template.type(lid)
        if any(_at(resource.properties, p) != _at(props, p) for p in create_only(kind)):
            create = _NATIVE.get(kind, (_generic_create, None))[0]
            physical_id, attributes = create(self, lid, props)
            yield from self._settle(kind, physical_id, props)
            return physical_id, attributes
        update = _NATIVE_UPDATES.get(kind)
        attributes = resource.attributes
        if update is not None:
            attributes = update(self, resource, props)
            yield from self._settle(kind, resource.physical_id, props)
        return resource.physical_id, attributes

    def _settle(self, kind: str, physical_id: str, props: dict[str, Any]) -> Generator[None]:
        """Wait, tick by tick, until the type's describe call says the work is done."""
        settled = _SETTLED.get(kind)
        while settled is not None and not settled(self, physical_id, props):
            yield

    def _native_delete(self, lid: str, resource: Resource) -> Operation:
        kind = self.template.type(lid)
        delete = _NATIVE.get(kind, (None, _generic_delete))[1]
        if delete is not None:
            error = delete(self, resource)
            if error:
                raise ResourceFailed(error, resource.physical_id)
        gone = _GONE.get(kind)
        while gone is not None and not gone(self, resource):
            yield
        return resource.physical_id, {}

    # -- intrinsics --------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                lid, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._attribute(lid, attribute)
            if key == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return self.resolve(arg[1]).split(arg[0])
            if key == "Fn::GetAZs":
                return [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return SUB_VARIABLE.sub(
                    lambda m: str(extra.get(m.group(1)) or self._sub(m.group(1))), text
                )
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, name: str) -> Any:
        if "." in name and not name.startswith("AWS::"):
            lid, attribute = name.split(".", 1)
            return self._attribute(lid, attribute)
        return self._ref(name)

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": self.stack_id,
            "AWS::StackName": self.name,
        }
        if name in pseudo:
            return pseudo[name]
        return self._resource(name).physical_id

    def _resource(self, lid: str) -> Resource:
        return self.resources[lid] if lid in self.resources else self.retained[lid]

    def _attribute(self, lid: str, attribute: str) -> Any:
        resource = self._resource(lid)
        if attribute not in resource.attributes:
            raise KeyError(f"{lid} has no attribute {attribute}: {sorted(resource.attributes)}")
        return resource.attributes[attribute]


def _lambda(function: Callable[..., Any], event: dict[str, Any]) -> dict[str, Any]:
    """Invoke a handler as Lambda would: JSON in, JSON out, no shared objects."""
    payload = json.loads(json.dumps(event))
    return json.loads(json.dumps(function(payload, None)))


def _empty_bucket(s3, bucket: str) -> None:
    try:
        versions = s3.list_object_versions(Bucket=bucket)
    except s3.exceptions.NoSuchBucket:
        return
    for item in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])


# -- native resource types ----------------------------------------------------------------


def _generic_create(stack: Stack, lid: str, props: dict[str, Any]):
    physical_id = f"{stack.name}-{lid}-{next(stack._ids):06d}"
    kind = stack.template.type(lid)
    service = kind.split("::")[1].lower()
    if kind == "AWS::IAM::Role":
        arn = f"arn:aws:iam::{ACCOUNT}:role/{physical_id}"
    else:
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{lid.lower()}/{physical_id}"
    # The account check finds any the stack created and did not delete.
    stack.account.natives[physical_id] = kind
    return physical_id, _AnyAttribute(Arn=arn)


def _generic_delete(stack: Stack, resource: Resource) -> None:
    stack.account.natives.pop(resource.physical_id, None)


class _AnyAttribute(dict):
    """Attributes of resources the lifecycle does not inspect: any name resolves."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"{self['Arn']}/{key}"


def _generated_name(stack: Stack, lid: str, limit: int = 63) -> str:
    """A name as CloudFormation generates one: stack, logical ID and a random suffix."""
    return f"{stack.name}-{lid}"[: limit - 13] + f"-{next(stack._ids):012X}"


def _api(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The properties the API call takes under the same names."""
    return {key: props[key] for key in keys if key in props}


def _endpoint_config(stack, lid, props):
    name = _generated_name(stack, lid)
    request = _api(props, "ProductionVariants", "DataCaptureConfig", "KmsKeyId", "Tags")
    arn = stack.account.client("sagemaker").create_endpoint_config(
        EndpointConfigName=name, **request
    )["EndpointConfigArn"]
    return arn, {"EndpointConfigName": name}


def _delete_endpoint_config(stack, resource):
    from botocore.exceptions import ClientError

    name = resource.physical_id.rsplit("/", 1)[1]
    try:
        stack.account.client("sagemaker").delete_endpoint_config(EndpointConfigName=name)
    except ClientError as error:
        if "Could not find" not in str(error):
            return str(error)
    return None


def _endpoint(stack, lid, props):
    request = _api(props, "EndpointName", "EndpointConfigName", "DeploymentConfig", "Tags")
    arn = stack.account.client("sagemaker").create_endpoint(**request)["EndpointArn"]
    return arn, {"EndpointName": props["EndpointName"]}


def _update_endpoint(stack, resource, props):
    keys = (
        "EndpointName",
        "EndpointConfigName",
        "DeploymentConfig",
        "RetainAllVariantProperties",
        "ExcludeRetainedVariantProperties",
        "RetainDeploymentConfig",
    )
    stack.account.client("sagemaker").update_endpoint(**_api(props, *keys))
    return {"EndpointName": props["EndpointName"]}


def _endpoint_settled(stack, physical_id, props) -> bool:
    """InService on the requested config; a rolled-back or failed deployment fails."""
    described = stack.account.client("sagemaker").describe_endpoint(
        EndpointName=props["EndpointName"]
    )
    status = described["EndpointStatus"]
    if status == "Failed":
        raise ResourceFailed(f"endpoint failed: {described.get('FailureReason')}", physical_id)
    if status != "InService":
        return False
    if described["EndpointConfigName"] != props["EndpointConfigName"]:
        raise ResourceFailed(
            f"the endpoint update was rolled back: {described.get('FailureReason')}", physical_id
        )
    return True


def _delete_endpoint(stack, resource):
    from botocore.exceptions import ClientError

    try:
        stack.account.client("sagemaker").delete_endpoint(
            EndpointName=resource.attributes.get("EndpointName")
            or resource.physical_id.rsplit("/", 1)[1]
        )
    except ClientError as error:
        if "Could not find" not in str(error):
            return str(error)
    return None


def _endpoint_gone(stack, resource) -> bool:
    name = resource.attributes.get("EndpointName") or resource.physical_id.rsplit("/", 1)[1]
    return name not in stack.account._sm.endpoints


def _alarm(stack, lid, props):
    name = props.get("AlarmName") or _generated_name(stack, lid, 255)
    keys = (
        "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions", "MetricName",
        "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit",
        "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
        "TreatMissingData", "Metrics",
    )  # fmt: skip
    request = _api(props, *keys)
    for metric in request.get("Metrics", []):  # CloudFormation's ReturnData defaults differ
        metric.setdefault("ReturnData", "Expression" in metric)
    stack.account.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
    return name, {"Arn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"}


def _update_alarm(stack, resource, props):
    stack.account.client("cloudwatch").delete_alarms(AlarmNames=[resource.physical_id])
    props = {**props, "AlarmName": resource.physical_id}
    return _alarm(stack, resource.logical_id, props)[1]


def _delete_alarm(stack, resource):
    stack.account.client("cloudwatch").delete_alarms(AlarmNames=[resource.physical_id])
    return None


def _scalable_target(stack, lid, props):
    keys = ("ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity")
    stack.account.client("application-autoscaling").register_scalable_target(**_api(props, *keys))
    physical_id = f"{props['ResourceId']}|{props['ScalableDimension']}|{props['ServiceNamespace']}"
    return physical_id, {}


def _update_scalable_target(stack, resource, props):
    return _scalable_target(stack, resource.logical_id, props)[1]


def _delete_scalable_target(stack, resource):
    resource_id, dimension, namespace = resource.physical_id.split("|")
    client = stack.account.client("application-autoscaling")
    with contextlib.suppress(client.exceptions.ObjectNotFoundException):
        client.deregister_scalable_target(
            ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension
        )
    return None


def _scaling_policy(stack, lid, props):
    resource_id, dimension, namespace = props["ScalingTargetId"].split("|")
    request = _api(
        props,
        "PolicyName",
        "PolicyType",
        "TargetTrackingScalingPolicyConfiguration",
        "StepScalingPolicyConfiguration",
    )
    arn = stack.account.client("application-autoscaling").put_scaling_policy(
        ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension, **request
    )["PolicyARN"]
    return arn, {"Arn": arn}


def _delete_scaling_policy(stack, resource):
    client = stack.account.client("application-autoscaling")
    for policy in client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]:
        if policy["PolicyARN"] == resource.physical_id:
            client.delete_scaling_policy(
                PolicyName=policy["PolicyName"],
                ServiceNamespace=policy["ServiceNamespace"],
                ResourceId=policy["ResourceId"],
                ScalableDimension=policy["ScalableDimension"],
            )
    return None


def _wait_handle(stack, lid, props):
    """A presigned S3 URL, new for every handle CloudFormation creates."""
    url = (
        f"https://cloudformation-waitcondition-{REGION}.s3.amazonaws.com/"
        f"{stack.stack_id.replace(':', '%3A').replace('/', '%2F')}/{lid}-{next(stack._ids)}"
        "?X-Amz-Signature=0123abcd"
    )
    return url, {}


def _vpc(stack, lid, props):
    ec2 = stack.account.moto("ec2")
    vpc = ec2.create_vpc(CidrBlock=props["CidrBlock"])["Vpc"]
    default_group = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    return vpc["VpcId"], {
        "CidrBlock": vpc["CidrBlock"],
        "VpcId": vpc["VpcId"],
        "DefaultSecurityGroup": default_group,
    }


def _delete_vpc(stack, resource):
    ec2 = stack.account.moto("ec2")
    vpc_filter = [{"Name": "vpc-id", "Values": [resource.physical_id]}]
    blockers = [s["SubnetId"] for s in ec2.describe_subnets(Filters=vpc_filter)["Subnets"]]
    blockers += [
        g["GroupName"]
        for g in ec2.describe_security_groups(Filters=vpc_filter)["SecurityGroups"]
        if g["GroupName"] != "default"
    ]
    if blockers:
        return f"DependencyViolation: the VPC has dependencies {blockers}"
    ec2.delete_vpc(VpcId=resource.physical_id)
    return None


def _subnet(stack, lid, props):
    subnet = stack.account.moto("ec2").create_subnet(
        VpcId=props["VpcId"],
        CidrBlock=props["CidrBlock"],
        AvailabilityZone=props["AvailabilityZone"],
    )["Subnet"]
    return subnet["SubnetId"], {
        "SubnetId": subnet["SubnetId"],
        "AvailabilityZone": subnet["AvailabilityZone"],
    }


def _delete_subnet(stack, resource):
    ec2 = stack.account.moto("ec2")
    interfaces = ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [resource.physical_id]}]
    )["NetworkInterfaces"]
    if interfaces:
        ids = [i["NetworkInterfaceId"] for i in interfaces]
        return f"DependencyViolation: subnet {resource.physical_id} has interfaces {ids}"
    ec2.delete_subnet(SubnetId=resource.physical_id)
    return None


def _security_group(stack, lid, props):
    group_id = stack.account.moto("ec2").create_security_group(
        GroupName=f"{stack.name}-{lid}", Description=props["GroupDescription"], VpcId=props["VpcId"]
    )["GroupId"]
    return group_id, {"GroupId": group_id}


def _delete_security_group(stack, resource):
    stack.account.moto("ec2").delete_security_group(GroupId=resource.physical_id)
    return None


def _bucket(stack, lid, props):
    s3 = stack.account.moto("s3")
    name = props.get("BucketName") or f"{stack.name}-{lid}-{next(stack._ids)}".lower()
    s3.create_bucket(Bucket=name)
    _bucket_encryption(s3, name, props)
    if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}


def _bucket_encryption(s3, name: str, props: dict[str, Any]) -> None:
    """The bucket's default encryption, so S3 requests as a role need its KMS key too."""
    config = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if config:
        # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServer...
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                "BucketKeyEnabled": rule.get("BucketKeyEnabled", False),
            }
            for rule in config
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})


def _state_machine(stack, lid, props):
    """A state machine ARN in Step Functions' format, with a generated name when unnamed."""
    name = props.get("StateMachineName") or f"{lid}-{next(stack._ids):012X}"
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    role = stack.template.resources[lid]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    key = props.get("EncryptionConfiguration", {}).get("KmsKeyId", "")
    definition = json.loads(props["DefinitionString"])
    functions = [
        state["Parameters"]["FunctionName"]
        for state in definition["States"].values()
        if state.get("Resource", "").endswith(":states:::lambda:invoke")
    ]
    stack.account.state_machines[arn] = (
        f"{stack.name}/{role}",
        stack.policies(role),
        key,
        functions[0] if functions else "",
    )
    return arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": "1"}


def _function(stack, lid, props):
    name = props.get("FunctionName") or f"{stack.name}-{lid}-{next(stack._ids):012X}"[:64]
    stack.account.natives[name] = "AWS::Lambda::Function"
    return name, {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"}


def _delete_bucket(stack, resource):
    s3 = stack.account.moto("s3")
    if s3.list_object_versions(Bucket=resource.physical_id).get("Versions"):
        return f"BucketNotEmpty: {resource.physical_id}"
    s3.delete_bucket(Bucket=resource.physical_id)
    return None


def _key(stack, lid, props):
    key = stack.account.moto("kms").create_key(Description=props.get("Description", ""))
    metadata = key["KeyMetadata"]
    return metadata["KeyId"], {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


def _delete_key(stack, resource):
    stack.account.moto("kms").schedule_key_deletion(
        KeyId=resource.physical_id, PendingWindowInDays=7
    )
    return None


def _domain(stack, lid, props):
    request = {k: v for k, v in props.items() if k not in ("Tags",)}
    request["Tags"] = props.get("Tags", [])
    created = stack.account.client("sagemaker").create_domain(**request)
    domain_id = created["DomainArn"].rsplit("/", 1)[1]
    described = stack.account.client("sagemaker").describe_domain(DomainId=domain_id)
    return domain_id, {
        "DomainId": domain_id,
        "DomainArn": created["DomainArn"],
        "Url": created["Url"],
        "HomeEfsFileSystemId": described.get("HomeEfsFileSystemId", ""),
        "SecurityGroupIdForDomainBoundary": "",
    }


def _delete_domain(stack, resource):
    from botocore.exceptions import ClientError

    try:
        stack.account.client("sagemaker").delete_domain(DomainId=resource.physical_id)
    except ClientError as error:
        if "Could not find" in str(error):
            return None
        return str(error)
    return None


def _user_profile(stack, lid, props):
    stack.account.client("sagemaker").create_user_profile(**props)
    name = props["UserProfileName"]
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{props['DomainId']}/{name}"
    resource = stack.resources[lid]
    resource.attributes = {"UserProfileArn": arn}
    return f"{props['DomainId']}|{name}", {"UserProfileArn": arn}


def _delete_user_profile(stack, resource):
    from botocore.exceptions import ClientError

    domain_id, name = resource.physical_id.split("|")
    try:
        stack.account.client("sagemaker").delete_user_profile(
            DomainId=domain_id, UserProfileName=name
        )
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        return str(error)
    return None


_NATIVE = {
    "AWS::CloudFormation::WaitConditionHandle": (_wait_handle, None),
    "AWS::EC2::VPC": (_vpc, _delete_vpc),
    "AWS::EC2::Subnet": (_subnet, _delete_subnet),
    "AWS::EC2::SecurityGroup": (_security_group, _delete_security_group),
    "AWS::S3::Bucket": (_bucket, _delete_bucket),
    "AWS::StepFunctions::StateMachine": (_state_machine, None),
    "AWS::Lambda::Function": (_function, _generic_delete),
    "AWS::SageMaker::EndpointConfig": (_endpoint_config, _delete_endpoint_config),
    "AWS::SageMaker::Endpoint": (_endpoint, _delete_endpoint),
    "AWS::CloudWatch::Alarm": (_alarm, _delete_alarm),
    "AWS::ApplicationAutoScaling::ScalableTarget": (_scalable_target, _delete_scalable_target),
    "AWS::ApplicationAutoScaling::ScalingPolicy": (_scaling_policy, _delete_scaling_policy),
    "AWS::KMS::Key": (_key, _delete_key),
    "AWS::SageMaker::Domain": (_domain, _delete_domain),
    "AWS::SageMaker::UserProfile": (_user_profile, _delete_user_profile),
}
# In-place updates of native types whose update the lifecycle inspects; any other type
# just takes its new properties.
_NATIVE_UPDATES = {
    "AWS::SageMaker::Endpoint": _update_endpoint,
    "AWS::CloudWatch::Alarm": _update_alarm,
    "AWS::ApplicationAutoScaling::ScalableTarget": _update_scalable_target,
}
# A create or update is complete once this says so (CloudFormation waits for these).
_SETTLED = {"AWS::SageMaker::Endpoint": _endpoint_settled}
_GONE = {"AWS::SageMaker::Endpoint": _endpoint_gone}
