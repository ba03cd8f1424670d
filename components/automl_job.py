"""The Autopilot job (CreateAutoMLJobV2) and the wait condition that waits up to 12 hours for it.

A custom resource starts the job and a Standard Step Functions execution, and returns
within seconds. The execution polls DescribeAutoMLJobV2 once a minute through the AWS
SDK integration (no Lambda time while waiting) and, when the job ends, a small function
signals an ``AWS::CloudFormation::WaitCondition`` with the best candidate, or with the
job's own failure reason (docs/ARCHITECTURE.md, "The AutoML wait").
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aws_cdk import (
    CfnWaitCondition,
    CfnWaitConditionHandle,
    Duration,
    Fn,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from components import arns, nag
from components.handler_provider import (
    HandlerProvider,
    job_poll_budget,
    lambda_role,
    log_group,
    pass_to_sagemaker,
    runtime_function,
    stack_status_statement,
    vended_log_group_name,
)
from config import AutoMLSettings
from config.limits import (
    AUTOML_POLL_INTERVAL_SECONDS,
    AUTOML_WAIT_MARGIN_SECONDS,
    CUSTOM_RESOURCE_CAP_SECONDS,
)

# Choice branches of the state machine, by DescribeAutoMLJobV2's AutoMLJobStatus.
ENDED = ("Completed", "Failed", "Stopped")
RUNNING = ("InProgress", "Stopping")


def wait_definition(*, signal_function_arn: str, timeout_seconds: int) -> dict[str, Any]:
    """The wait's ASL: describe the job each minute; signal once it has ended.

    Written out rather than built with aws_stepfunctions_tasks, whose import alone costs
    synth more than a second. Tests run this definition in moto's ASL interpreter.
    """
    status = "$.Job.AutoMLJobStatus"
    signal = "SignalWaitCondition"
    return {
        "Comment": "Poll the AutoML job and signal its CloudFormation wait condition",
        "TimeoutSeconds": timeout_seconds,
        "StartAt": "DescribeJob",
        "States": {
            "DescribeJob": {
                "Type": "Task",
                "Resource": arns.arn(
                    "states",
                    "aws-sdk:sagemaker:describeAutoMLJobV2",
                    regional=False,
                    in_account=False,
                ),
                "Parameters": {"AutoMLJobName.$": "$.JobName"},
                "ResultPath": "$.Job",
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": AUTOML_POLL_INTERVAL_SECONDS,
                        "MaxAttempts": 5,
                        "BackoffRate": 2,
                    }
                ],
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "ResultPath": "$.Error",
                        "Next": "DescribeFailed",
                    }
                ],
                "Next": "JobEnded",
            },
            "JobEnded": {
                "Type": "Choice",
                "Choices": [
                    *(
                        {"Variable": status, "StringEquals": state, "Next": signal}
                        for state in ENDED
                    ),
                    {
                        "Or": [{"Variable": status, "StringEquals": state} for state in RUNNING],
                        "Next": "WaitAMinute",
                    },
                ],
                # Any other status: the signal function reports it as unexpected (FAILURE).
                "Default": signal,
            },
            "WaitAMinute": {
                "Type": "Wait",
                "Seconds": AUTOML_POLL_INTERVAL_SECONDS,
                "Next": "DescribeJob",
            },
            # A job that cannot be described even after the retries fails the wait, visibly.
            "DescribeFailed": {
                "Type": "Pass",
                "Parameters": {
                    "JobName.$": "$.JobName",
                    "WaitHandleUrl.$": "$.WaitHandleUrl",
                    "Job": {
                        "AutoMLJobStatus": "Failed",
                        "FailureReason.$": "States.Format('the wait could not describe "
                        "the job: {}', $.Error.Cause)",
                    },
                },
                "Next": signal,
            },
            signal: {
                "Type": "Task",
                "Resource": arns.arn("states", "lambda:invoke", regional=False, in_account=False),
                "Parameters": {
                    "FunctionName": signal_function_arn,
                    "Payload": {
                        "JobName.$": "$.JobName",
                        "WaitHandleUrl.$": "$.WaitHandleUrl",
                        "Job.$": "$.Job",
                    },
                },
                "ResultPath": None,
                "Retry": [
                    {
                        "ErrorEquals": [
                            "Lambda.ClientExecutionTimeoutException",
                            "Lambda.ServiceException",
                            "Lambda.AWSLambdaException",
                            "Lambda.SdkClientException",
                        ],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 6,
                        "BackoffRate": 2,
                    }
                ],
                "End": True,
            },
        },
    }


def inputs_digest(stack: Stack, inputs: dict[str, Any]) -> str:
    """A stable hash of the job inputs as CloudFormation sees them (Refs, not tokens)."""
    resolved = json.dumps(stack.resolve(inputs), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(resolved.encode()).hexdigest()[:10].upper()


class AutoMLJob(Construct):
    """Starts the job, waits for it with a WaitCondition and exposes its best candidate.

    A failed or stopped job fails the deploy with the job's own reason (a FAILURE
    signal); deleting the resource stops a job that is still running and its execution.
    The budget was checked at synth.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        job_name_prefix: str,
        training_data_uri: str,
        output_uri: str,
        target_attribute: str,
        execution_role: iam.IRole,
        settings: AutoMLSettings,
        inference_response_keys: tuple[str, ...],
        tags: dict[str, str],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.timeout_seconds = settings.max_job_runtime_seconds + AUTOML_WAIT_MARGIN_SECONDS
        job_arns = arns.arn("sagemaker", f"automl-job/{job_name_prefix}-*")
        models = arns.arn("sagemaker", f"model/{job_name_prefix}-m-*")
        self.state_machine = self._state_machine(job_name_prefix, job_arns, encryption_key)

        # Delete polls only: a stopped job writes into the bucket until it is Stopped.
        poll = AUTOML_POLL_INTERVAL_SECONDS
        self.provider = HandlerProvider(
            self,
            "Provider",
            package="automl_job",
            polls=True,
            description="Start the Autopilot job and its wait; stop both on delete",
            query_interval=Duration.seconds(poll),
            total_timeout=job_poll_budget(poll),
            timeout=Duration.minutes(2),
            encryption_key=encryption_key,
            waiter_log_name=f"{job_name_prefix}-automl-provider",
        )
        executions = Fn.join(
            "",
            [
                arns.arn("states", "execution:"),
                self.state_machine.state_machine_name,
                ":*",
            ],
        )
        self.provider.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateAutoMLJobV2",
                    "sagemaker:DescribeAutoMLJobV2",
                    "sagemaker:StopAutoMLJob",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                ],
                resources=[job_arns],
            ),
            # The result resource serves the best candidate as a model of its own.
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateModel",
                    "sagemaker:DescribeModel",
                    "sagemaker:DeleteModel",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                ],
                resources=[models],
            ),
            stack_status_statement(),
            iam.PolicyStatement(
                actions=["states:StartExecution"],
                resources=[self.state_machine.state_machine_arn],
            ),
            iam.PolicyStatement(actions=["states:StopExecution"], resources=[executions]),
            pass_to_sagemaker(execution_role),
        )
        if encryption_key:
            encryption_key.grant(self.provider.role, "kms:DescribeKey", "kms:CreateGrant")
            # Step Functions encrypts the execution's input with the caller's rights:
            # StartExecution needs GenerateDataKey and Decrypt, StopExecution Decrypt (Step
            # Functions guide, "Data at rest encryption"; aws-samples/aws-stepfunctions-
            # examples#74). The context names this state machine only.
            self.provider.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:EncryptionContext:aws:states:stateMachineArn": (
                                self.state_machine.state_machine_arn
                            )
                        }
                    },
                )
            )
        self.provider.acknowledge(
            {
                nag.wildcard_arn("sagemaker", f"automl-job/{job_name_prefix}-*"): (
                    "Job names end in a hash of the job inputs, known only at deploy; "
                    "the prefix limits them to this stack's jobs"
                ),
                nag.wildcard_resource(
                    f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
                    f"{nag.attribute_ref(self.state_machine, 'Name')}:*"
                ): "Executions of this stack's wait state machine only; their names end in "
                "a hash known only at deploy",
                nag.wildcard_arn("sagemaker", f"model/{job_name_prefix}-m-*"): (
                    "Model names end in a hash of the job, candidate, response keys and role, "
                    "known only at deploy; the prefix limits them to this stack's models"
                ),
            }
        )

        job_inputs: dict[str, Any] = {
            "JobNamePrefix": job_name_prefix,
            "TrainingDataUri": training_data_uri,
            "OutputUri": output_uri,
            "RoleArn": execution_role.role_arn,
            "TargetAttribute": target_attribute,
            "ProblemType": settings.problem_type or "",
            "Objective": settings.objective or "",
            "Mode": settings.mode,
            # Unset (and refused with ENSEMBLING, which ignores it), it stays out of
            # the request and the job-name hash.
            **({"MaxCandidates": str(settings.max_candidates)} if settings.max_candidates else {}),
            "MaxRuntimePerTrainingJobInSeconds": str(settings.max_runtime_per_training_job_seconds),
            "MaxAutoMLJobRuntimeInSeconds": str(settings.max_job_runtime_seconds),
            "KmsKeyId": encryption_key.key_arn if encryption_key else "",
        }
        # A WaitCondition cannot be updated: a new job needs a new one and a new handle.
        digest = inputs_digest(Stack.of(self), job_inputs)
        handle = CfnWaitConditionHandle(self, f"WaitHandle{digest}")
        self.resource = self.provider.custom_resource(
            self,
            "Resource",
            resource_type="Custom::AutoMLJob",
            service_timeout=Duration.seconds(CUSTOM_RESOURCE_CAP_SECONDS),
            properties={
                **job_inputs,
                "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
                "StateMachineArn": self.state_machine.state_machine_arn,
                "WaitHandleUrl": handle.ref,
            },
        )
        self.wait_condition = CfnWaitCondition(
            self,
            f"WaitCondition{digest}",
            handle=handle.ref,
            timeout=str(self.timeout_seconds),
            count=1,
        )
        self.wait_condition.node.add_dependency(self.resource)
        # The best candidate, read once the wait succeeded. (The WaitCondition's Data
        # attribute is typed "object" in CloudFormation's schema: not for Fn::Split.)
        self.result = self.provider.custom_resource(
            self,
            "Result",
            resource_type="Custom::AutoMLJobResult",
            # It answers in seconds; the shared provider's poll budget fits this cap.
            service_timeout=Duration.seconds(CUSTOM_RESOURCE_CAP_SECONDS),
            properties={
                "JobName": self.resource.get_att_string("JobName"),
                "JobNamePrefix": job_name_prefix,
                "WaitCondition": self.wait_condition.ref,
                # The model serving the best candidate: its role and response keys.
                "RoleArn": execution_role.role_arn,
                "InferenceResponseKeys": list(inference_response_keys),
                "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
            },
        )
        self.result.node.add_dependency(self.wait_condition)
        self.job_name = self.result.get_att_string("JobName")
        self.best_candidate_name = self.result.get_att_string("BestCandidateName")
        self.objective_metric_name = self.result.get_att_string("ObjectiveMetricName")
        self.objective_metric_value = self.result.get_att_string("ObjectiveMetricValue")
        self.model_name = self.result.get_att_string("ModelName")

    def _state_machine(
        self, job_name_prefix: str, job_arns: str, encryption_key: kms.IKey | None
    ) -> sfn.StateMachine:
        # Named, so the KMS condition CDK writes for its role names its real ARN.
        name = f"{job_name_prefix}-automl-wait"
        logs_to = log_group(
            self, "WaitLogs", name=vended_log_group_name(name), encryption_key=encryption_key
        )
        signal_role = lambda_role(
            self,
            "SignalRole",
            "Signals the AutoML wait condition; the URL is presigned, so logs only",
        )
        signal_function = runtime_function(
            self,
            "Signal",
            handler="automl_wait.handler.handler",
            description="Signal the AutoML wait condition with the job's outcome",
            role=signal_role,
            logs_to=logs_to,
            timeout=Duration.minutes(1),
            memory_size=128,
            encryption_key=encryption_key,
        )
        logs_to.grant_write(signal_role)

        state_machine = sfn.StateMachine(
            self,
            "Wait",
            state_machine_name=name,
            definition_body=sfn.DefinitionBody.from_string(
                Stack.of(self).to_json_string(
                    wait_definition(
                        signal_function_arn=signal_function.function_arn,
                        timeout_seconds=self.timeout_seconds,
                    )
                )
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=sfn.LogOptions(destination=logs_to, level=sfn.LogLevel.ALL),
            encryption_configuration=(
                sfn.CustomerManagedEncryptionConfiguration(encryption_key)
                if encryption_key
                else None
            ),
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["sagemaker:DescribeAutoMLJobV2"], resources=[job_arns])
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[signal_function.function_arn]
            )
        )
        nag.acknowledge(
            state_machine,
            {
                nag.wildcard_resource("*"): (
                    "CloudWatch Logs delivery actions (logs:CreateLogDelivery etc.) support "
                    "no resource-level scoping"
                ),
                nag.wildcard_arn("sagemaker", f"automl-job/{job_name_prefix}-*"): (
                    "Job names end in a hash of the job inputs, known only at deploy; "
                    "the prefix limits them to this stack's jobs"
                ),
                "AwsSolutions-SF2": (
                    "The state machine only polls one describe call a minute; its execution "
                    "history is logged in full, X-Ray adds nothing here"
                ),
            },
        )
        return state_machine
