"""Lambda handlers from ``runtime/`` behind the CDK custom-resource Provider framework."""

from __future__ import annotations

import functools
import weakref
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from components import nag
from config.limits import CUSTOM_RESOURCE_CAP_SECONDS

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
# The newest Python runtime this CDK version offers; boto3 ships with it.
HANDLER_RUNTIME = lambda_.Runtime.PYTHON_3_14
# Below CloudFormation's one-hour custom-resource cap with room for one more poll.
MAX_HANDLER_TIMEOUT = Duration.minutes(14)
ONE_MINUTE = Duration.minutes(1)
ONE_HOUR = Duration.minutes(60)
# Log groups that Step Functions delivers to: a name under this prefix keeps them out of
# the account's CloudWatch Logs resource policy, which is capped at 5,120 characters
# (aws/aws-cdk#28900; CloudWatch Logs User Guide, "Enabling logging from AWS services").
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"


def vended_log_group_name(name: str) -> str:
    """``/aws/vendedlogs/states/<name>`` for a state machine's log group."""
    return f"{VENDED_LOGS_PREFIX}{name}"


def poll_budget(
    wanted_seconds: int, *, query_interval_seconds: int, service_timeout_seconds: int
) -> Duration:
    """A Provider ``total_timeout`` that never crashes synth and ends before CloudFormation.

    The framework needs a whole number of polls, and its onTimeout must answer (with the
    physical ID) at least two polls before ``ServiceTimeout``, or CloudFormation gives up
    first and never learns what to delete (docs/ARCHITECTURE.md, "Rollback semantics").
    """
    ceiling = service_timeout_seconds - 2 * query_interval_seconds
    seconds = min(wanted_seconds, ceiling) // query_interval_seconds * query_interval_seconds
    return Duration.seconds(max(seconds, query_interval_seconds))


def job_poll_budget(query_interval_seconds: int = 60) -> Duration:
    """``poll_budget`` for a poller that waits on a SageMaker job: the hour, less two polls."""
    return poll_budget(
        CUSTOM_RESOURCE_CAP_SECONDS,
        query_interval_seconds=query_interval_seconds,
        service_timeout_seconds=CUSTOM_RESOURCE_CAP_SECONDS,
    )


def pass_to_sagemaker(role: iam.IRole) -> iam.PolicyStatement:
    """iam:PassRole on ``role``, to SageMaker only (jobs, models and endpoints run as it)."""
    return iam.PolicyStatement(
        actions=["iam:PassRole"],
        resources=[role.role_arn],
        conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    )


def stack_status_statement() -> iam.PolicyStatement:
    """Pollers read their own stack's status to notice a Create it gave up on."""
    return iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[Aws.STACK_ID])


_RUNTIME_CODE: weakref.WeakKeyDictionary[Stack, lambda_.Code] = weakref.WeakKeyDictionary()


def runtime_code(scope: Construct) -> lambda_.Code:
    """One small asset with every handler package and their shared support code, staged
    and hashed once per stack however many functions run it."""
    stack = Stack.of(scope)
    if stack not in _RUNTIME_CODE:
        _RUNTIME_CODE[stack] = lambda_.Code.from_asset(
            str(RUNTIME_DIR), exclude=["**/__pycache__", "**/*.pyc", "**/tests", "*.md"]
        )
    return _RUNTIME_CODE[stack]


def lambda_role(scope: Construct, construct_id: str, description: str) -> iam.Role:
    """A role for Lambda functions; callers grant it what their handler calls."""
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
    )


def log_group(
    scope: Construct,
    construct_id: str,
    *,
    encryption_key: kms.IKey | None,
    name: str | None = None,
    retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
) -> logs.LogGroup:
    """A log group that goes with the stack, encrypted with ``encryption_key`` if any."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=retention,
        removal_policy=RemovalPolicy.DESTROY,
        encryption_key=encryption_key,
    )


def runtime_function(
    scope: Construct,
    construct_id: str,
    *,
    handler: str,
    description: str,
    role: iam.IRole,
    logs_to: logs.ILogGroup,
    timeout: Duration,
    memory_size: int,
    encryption_key: kms.IKey | None,
    **options: Any,
) -> lambda_.Function:
    """A function running ``handler`` (``package.module.function``) from ``runtime/``."""
    return lambda_.Function(
        scope,
        construct_id,
        runtime=HANDLER_RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        code=runtime_code(scope),
        handler=handler,
        description=description,
        timeout=timeout,
        memory_size=memory_size,
        role=role,
        log_group=logs_to,
        environment_encryption=encryption_key,
        **options,
    )


class HandlerProvider(Construct):
    """One Provider per runtime package: ``runtime/<package>/handler.py``'s ``on_event``
    and, with ``polls``, its ``is_complete`` poller. ``custom_resource`` adds a resource
    of a kind the package handles.

    Both functions share one role (``self.role``); the stack grants it exactly what
    the handler module calls. A polling provider's waiter state machine logs to
    ``/aws/vendedlogs/states/<waiter_log_name>``. With ``encryption_key``, every log group and every
    function's environment (the framework's included) is encrypted with it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: str,
        description: str,
        polls: bool = False,
        query_interval: Duration = ONE_MINUTE,
        total_timeout: Duration = ONE_HOUR,
        timeout: Duration = MAX_HANDLER_TIMEOUT,
        memory_size: int = 256,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        encryption_key: kms.IKey | None = None,
        waiter_log_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if polls and not waiter_log_name:
            raise ValueError(f"{construct_id}: a polling provider needs waiter_log_name")
        self.role = lambda_role(self, "Role", f"Custom resource handlers: {description}")
        self.log_group = log_group(
            self, "Logs", retention=log_retention, encryption_key=encryption_key
        )
        function = functools.partial(
            runtime_function,
            self,
            description=description,
            role=self.role,
            logs_to=self.log_group,
            timeout=timeout,
            memory_size=memory_size,
            encryption_key=encryption_key,
        )
        self.on_event_function = function("OnEvent", handler=f"{package}.handler.on_event")
        self.is_complete_function = (
            function("IsComplete", handler=f"{package}.handler.is_complete") if polls else None
        )
        self.log_group.grant_write(self.role)

        # The framework's functions log here, and so does its waiter state machine.
        provider_logs = log_group(
            self,
            "ProviderLogs",
            # A polling provider has a waiter_log_name (checked above).
            name=vended_log_group_name(waiter_log_name) if polls and waiter_log_name else None,
            retention=log_retention,
            encryption_key=encryption_key,
        )
        # By default each framework function gets a role of its own. isComplete and
        # onTimeout share one here; onEvent keeps its own, since it starts the waiter state
        # machine, which invokes the other two (one role for all three is a dependency
        # cycle). The handlers keep theirs, so no handler gains the framework's rights.
        self.framework_roles = [self._framework_role("FrameworkRole", description, provider_logs)]
        if polls:
            self.framework_roles.append(
                self._framework_role("FrameworkWaiterRole", description, provider_logs)
            )
        self.provider = cr.Provider(
            self,
            "Provider",
            framework_on_event_role=self.framework_roles[0],
            framework_complete_and_timeout_role=self.framework_roles[1] if polls else None,
            on_event_handler=self.on_event_function,
            is_complete_handler=self.is_complete_function,
            query_interval=query_interval if polls else None,
            total_timeout=total_timeout if polls else None,
            log_group=provider_logs,
            provider_function_env_encryption=encryption_key,
            disable_waiter_state_machine_logging=False if polls else None,
            waiter_state_machine_log_options=(
                cr.LogOptions(destination=provider_logs, level=sfn.LogLevel.ALL) if polls else None
            ),
        )
        self.service_token = self.provider.service_token
        self._acknowledge_framework_findings()

    def _framework_role(
        self, construct_id: str, description: str, logs_group: logs.ILogGroup
    ) -> iam.Role:
        role = lambda_role(self, construct_id, f"CDK Provider framework functions: {description}")
        logs_group.grant_write(role)
        return role

    def _acknowledge_framework_findings(self) -> None:
        functions: list[IConstruct | None] = [self.on_event_function, self.is_complete_function]
        functions += [
            self.provider.node.try_find_child(name)
            for name in ("framework-isComplete", "framework-onTimeout")
        ]
        invoke_reason = (
            "The Provider framework invokes these handler functions and their versions "
            "(function ARN plus ':*'), nothing else"
        )
        findings = {
            nag.wildcard_resource(f"{nag.attribute_ref(function)}:*"): invoke_reason
            for function in functions
            if function is not None
        }
        findings.update(
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]": (
                    "The CDK Provider framework's own functions use the basic execution "
                    "role for their logs; their roles are not configurable per function"
                ),
                nag.wildcard_resource("*"): (
                    "Only the framework's waiter state machine: CloudWatch Logs delivery "
                    "actions (logs:CreateLogDelivery etc.) support no resource-level scoping"
                ),
                "AwsSolutions-SF2": (
                    "The framework's waiter state machine only polls a handler; its "
                    "execution history is logged in full, X-Ray adds nothing here"
                ),
            }
        )
        nag.acknowledge(self, findings)

    def custom_resource(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_type: str,
        properties: dict[str, Any],
        service_timeout: Duration | None = None,
    ) -> CustomResource:
        """A ``resource_type`` resource in ``scope``, handled by this provider."""
        return CustomResource(
            scope,
            construct_id,
            service_token=self.service_token,
            resource_type=resource_type,
            properties=properties,
            service_timeout=service_timeout,
        )

    def acknowledge(self, findings: dict[str, str]) -> None:
        """Acknowledge cdk-nag ``findings`` (ID -> reason) on the handlers' role."""
        nag.acknowledge(self.role, findings)

    def add_to_policy(self, *statements: iam.PolicyStatement) -> None:
        for statement in statements:
            self.role.add_to_principal_policy(statement)


class ProvidedConstruct(Construct):
    """Base of a construct with a HandlerProvider of its own (``self.provider``, construct
    ID "Provider"); ``provider_options`` are HandlerProvider's."""

    def __init__(self, scope: Construct, construct_id: str, **provider_options: Any) -> None:
        super().__init__(scope, construct_id)
        self.provider = HandlerProvider(self, "Provider", **provider_options)
