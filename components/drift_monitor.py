"""Drift and model-quality monitoring of the captured traffic, in the stack's own account.

SageMaker Model Monitor is closed to new customers; AWS's named replacement keeps data
capture and runs the analysis on a schedule with EventBridge and Lambda, publishes
CloudWatch metrics, alarms on them and tells SNS ("Amazon SageMaker Model Monitor
availability change"). Here an EventBridge rule runs ``drift_monitor.handler`` over the
capture of the hours since its last run; it writes one JSON report under
``monitoring/reports/`` and five metrics, and four alarms watch them.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Fn, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from components import nag
from components.handler_provider import lambda_role, log_group, runtime_function
from config import MonitorSettings

REPORTS_PREFIX = "monitoring/reports"
GROUND_TRUTH_PREFIX = "ground-truth"
METRIC_NAMESPACE = "AutopilotStudio/Monitoring"
# A run reads at most max_rows_per_run sampled rows; the benchmark sizes memory and time.
MEMORY_MB = 1024
TIMEOUT = Duration.minutes(15)


class DriftMonitor(Construct):
    """The scheduled analysis function, its alarms and the alert topic.

    ``profile_key`` is the staged baseline profile's key; ``capture_prefix`` the endpoint's
    capture key prefix (``<prefix>/<endpoint>/<variant>``); ``batch_capture_prefix`` where
    batch transform jobs capture. ``objective_value`` is the best candidate's F1, when
    the AutoML objective is F1. Exposes ``function``, ``topic``, ``alarms`` and ``rule``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: MonitorSettings,
        bucket: s3.IBucket,
        profile_key: str,
        capture_prefix: str,
        batch_capture_prefix: str,
        endpoint_name: str,
        target_attribute: str,
        positive_class: str,
        response_keys: tuple[str, ...],
        f1_floor: str | None,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.readable_prefixes = (
            f"{capture_prefix}/",
            f"{batch_capture_prefix}/",
            f"{GROUND_TRUTH_PREFIX}/",
        )
        role = lambda_role(self, "Role", "Drift and model-quality analysis of the captured traffic")
        logs_to = log_group(self, "Logs", encryption_key=encryption_key)
        logs_to.grant_write(role)
        self.function = runtime_function(
            self,
            "Function",
            handler="drift_monitor.handler.handler",
            description="Drift and model quality of the endpoint's captured traffic",
            role=role,
            logs_to=logs_to,
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            encryption_key=encryption_key,
            # No reserved concurrency: an account may reserve only what leaves 100 unreserved
            # (new accounts often have 10 in all). Runs cannot overlap anyway: the schedule
            # is at least an hour apart, a run at most TIMEOUT, and nothing retries it.
            retry_attempts=0,
            environment={
                "BUCKET": bucket.bucket_name,
                "PROFILE_KEY": profile_key,
                "CAPTURE_PREFIX": capture_prefix,
                "BATCH_CAPTURE_PREFIX": batch_capture_prefix,
                "GROUND_TRUTH_PREFIX": GROUND_TRUTH_PREFIX,
                "REPORTS_PREFIX": REPORTS_PREFIX,
                "TARGET": target_attribute,
                "POSITIVE_CLASS": positive_class,
                "RESPONSE_KEYS": ",".join(response_keys),
                "MAX_ROWS": str(settings.max_rows_per_run),
                "WINDOW_HOURS": str(settings.window_hours),
                "PSI_THRESHOLD": str(settings.psi_threshold),
                "UNSEEN_THRESHOLD": str(settings.unseen_threshold),
                "COMPLETENESS_DROP_THRESHOLD": str(settings.completeness_drop_threshold),
                "PREDICTION_DRIFT_THRESHOLD": str(settings.prediction_drift_threshold),
                "METRIC_NAMESPACE": METRIC_NAMESPACE,
                "ENDPOINT_NAME": endpoint_name,
            },
        )
        self._grant(role, bucket, profile_key)
        if encryption_key:
            # Capture and profile are read, reports written, SSE-KMS under the bucket key.
            encryption_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Analyse {endpoint_name}'s captured traffic",
            schedule=events.Schedule.expression(settings.schedule_expression),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )
        self.topic = self._topic(settings, encryption_key)
        self.alarms = self._alarms(settings, f1_floor)
        for alarm in self.alarms:
            alarm.add_alarm_action(actions.SnsAction(self.topic))
        self._acknowledge(role, bucket, encryption_key)

    def _grant(
        self,
        role: iam.Role,
        bucket: s3.IBucket,
        profile_key: str,
    ) -> None:
        readable = self.readable_prefixes
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in readable]}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[
                    Fn.join("", [bucket.bucket_arn, "/", profile_key]),
                    *(bucket.arn_for_objects(f"{p}*") for p in readable),
                    # Batch capture records point at the transform job's own files.
                    bucket.arn_for_objects("batch/*"),
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{REPORTS_PREFIX}/*")]
            )
        )
        # PutMetricData has no resource type; the namespace condition scopes it.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
            )
        )

    def _topic(self, settings: MonitorSettings, encryption_key: kms.IKey | None) -> sns.Topic:
        topic = sns.Topic(
            self,
            "Alerts",
            display_name=f"{self.endpoint_name} monitoring",
            master_key=encryption_key,
            enforce_ssl=True,
        )
        if encryption_key is None:
            nag.acknowledge(
                topic,
                {
                    "AwsSolutions-SNS2": (
                        "Alarm notices name a metric and a threshold, no data; dev and stage "
                        "skip the customer-managed key (encryption.customer_managed_key)"
                    )
                },
            )
        else:
            # CloudWatch publishes alarm notices to an encrypted topic only if the key lets
            # it (SNS Developer Guide, "Configure AWS KMS permissions" for CloudWatch).
            encryption_key.grant(
                iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                "kms:Decrypt",
                "kms:GenerateDataKey*",
            )
        # A topic policy replaces SNS's default access policy, so CloudWatch may publish
        # alarm notices only if it says so (AWS re:Post, "Why didn't I receive an SNS
        # notification for my CloudWatch alarm trigger?"); only this account's alarms.
        stack = Stack.of(self)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        if settings.alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(settings.alert_email))
        return topic

    def _metric(self, name: str, statistic: str = "Maximum", hours: int = 1) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name},
            statistic=statistic,
            period=Duration.hours(hours),
        )

    def _alarms(self, settings: MonitorSettings, f1_floor: str | None) -> list[cloudwatch.Alarm]:
        hours = settings.window_hours
        higher = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        lower = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        quiet = cloudwatch.TreatMissingData.NOT_BREACHING
        alarms = [
            cloudwatch.Alarm(
                self,
                "DriftAlarm",
                alarm_description=(
                    f"{self.endpoint_name}: more than {settings.drift_share_alarm:.0%} of the "
                    "features drifted in a monitoring run; `make monitor` shows which"
                ),
                metric=self._metric("DriftedFeatureShare", hours=hours),
                threshold=settings.drift_share_alarm,
                evaluation_periods=1,
                comparison_operator=higher,
                treat_missing_data=quiet,
            ),
            cloudwatch.Alarm(
                self,
                "ErrorsAlarm",
                alarm_description=(
                    f"{self.endpoint_name}: a monitoring run failed; its log says why"
                ),
                metric=self.function.metric_errors(period=Duration.minutes(15), statistic="Sum"),
                threshold=0,
                evaluation_periods=1,
                comparison_operator=higher,
                treat_missing_data=quiet,
            ),
        ]
        if f1_floor is not None:
            # F1 only exists for runs with ground truth; the floor is a number at deploy
            # (the best candidate's F1 less the tolerance), so it lives in the expression.
            floor = cloudwatch.MathExpression(
                expression=Fn.join("", [f1_floor, " - f1"]),
                using_metrics={"f1": self._metric("F1", statistic="Minimum", hours=hours)},
                label="F1 below the floor",
                period=Duration.hours(hours),
            )
            alarms.append(
                cloudwatch.Alarm(
                    self,
                    "QualityAlarm",
                    alarm_description=(
                        f"{self.endpoint_name}: F1 on uploaded ground truth fell below the "
                        "training F1 less monitor.f1_tolerance (or monitor.min_f1)"
                    ),
                    metric=floor,
                    threshold=0,
                    evaluation_periods=1,
                    comparison_operator=higher,
                    treat_missing_data=quiet,
                )
            )
        if settings.alarm_on_no_traffic:
            alarms.append(
                cloudwatch.Alarm(
                    self,
                    "NoTrafficAlarm",
                    alarm_description=(
                        f"{self.endpoint_name}: a monitoring run found no captured traffic, "
                        "or no run happened"
                    ),
                    metric=self._metric("RowsAnalysed", statistic="Sum", hours=hours),
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=lower,
                    treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
                )
            )
        return alarms

    def _acknowledge(
        self, role: iam.Role, bucket: s3.IBucket, encryption_key: kms.IKey | None
    ) -> None:
        findings = {
            nag.wildcard_resource("*"): (
                "cloudwatch:PutMetricData supports no resource-level scoping; the "
                "cloudwatch:namespace condition limits it to the monitoring namespace"
            ),
            **{
                nag.wildcard_resource(f"{nag.attribute_ref(bucket)}/{prefix}*"): (
                    "Capture, ground-truth and batch objects have time-partitioned keys "
                    "known only at run time; the prefix limits reads to them"
                )
                for prefix in (*self.readable_prefixes, "batch/")
            },
            nag.wildcard_resource(f"{nag.attribute_ref(bucket)}/{REPORTS_PREFIX}/*"): (
                "One report per run, under a time-partitioned key; the prefix limits writes"
            ),
        }
        if encryption_key:
            findings.update(nag.kms_grant_findings("CDK's encrypt/decrypt grant on the key"))
        nag.acknowledge(role, findings)
