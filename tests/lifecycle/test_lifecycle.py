"""Deploy, update, fail, cancel and destroy each environment as CloudFormation would.

Every scenario ends with the account check (``fakes.leaks``): after a destroy or a
rollback nothing is left running, serving or blocking, and prod keeps exactly its bucket,
data and key. See ``engine`` for the CloudFormation and Provider framework rules modelled.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from config import environment_names, load_settings
from tests.lifecycle.engine import TICK_SECONDS, Failure, Stack
from tests.lifecycle.fakes import SERVICE_CATALOG_ROLE_PREFIX, leaks, staged_objects

ENVIRONMENTS = environment_names()
SETTINGS = {name: load_settings(name) for name in ENVIRONMENTS}


def creates(name: str, resource_type: str, prefix: str | None = None) -> bool:
    """Whether the environment's config asks for this resource; where it does not, the
    template must not have it (test_resources_exist_exactly_where_config_creates_them)."""
    settings = SETTINGS[name]
    monitored = settings.monitor.enabled
    wanted = {
        ("AWS::KMS::Key", None): settings.encryption.customer_managed_key,
        ("AWS::ApplicationAutoScaling::ScalableTarget", None): (
            settings.endpoint.autoscaling.enabled
        ),
        ("AWS::ApplicationAutoScaling::ScalingPolicy", None): (
            settings.endpoint.autoscaling.enabled
        ),
        ("Custom::SageMakerProjectsEnablement", None): (
            settings.studio.projects_and_jumpstart_enabled
        ),
        ("AWS::Lambda::Function", "MonitorFunction"): monitored,
        ("AWS::Events::Rule", None): monitored,
        ("AWS::CloudWatch::Alarm", "MonitorErrors"): monitored,
    }
    return wanted.get((resource_type, prefix), True)


def where(*points: tuple, feature=None) -> list[tuple]:
    """(environment, *point) for every environment whose config creates the point's
    resource (its first item; its last, when a failure point, names a logical ID prefix)."""
    return [
        (name, *point)
        for name in ENVIRONMENTS
        for point in points
        if creates(name, point[0], point[-1] if feature == "prefixed" else None)
    ]


def environments_with(test) -> list[str]:
    names = [name for name in ENVIRONMENTS if test(SETTINGS[name])]
    assert names, "no environment in environments.toml has the feature this test covers"
    return names


# (resource type, where it fails, logical ID prefix when the type occurs more than once)
FAILURE_POINTS = [
    ("AWS::EC2::VPC", "create", None),
    ("AWS::EC2::Subnet", "create", None),
    ("AWS::EC2::SecurityGroup", "create", None),
    ("AWS::KMS::Key", "create", None),
    ("AWS::S3::Bucket", "create", "DataBucket"),
    ("AWS::SageMaker::Domain", "create", None),
    ("AWS::SageMaker::UserProfile", "create", None),
    ("Custom::StudioHomeCleanup", "on_event", None),
    ("Custom::StudioHomeCleanup", "is_complete", None),
    ("Custom::StudioAppsCleanup", "on_event", None),
    ("Custom::StudioAppsCleanup", "is_complete", None),
    ("Custom::SageMakerProjectsEnablement", "on_event", None),
    ("Custom::TrainingDataset", "on_event", None),
    ("Custom::AutoMLJob", "on_event", None),
    ("Custom::AutoMLJob", "is_complete", None),
    ("AWS::CloudFormation::WaitCondition", "create", None),
    ("Custom::AutoMLJobResult", "on_event", None),
    ("AWS::CloudWatch::Alarm", "create", "Serving"),
    ("AWS::SageMaker::EndpointConfig", "create", None),
    ("AWS::SageMaker::Endpoint", "create", None),
    ("AWS::ApplicationAutoScaling::ScalableTarget", "create", None),
    ("AWS::ApplicationAutoScaling::ScalingPolicy", "create", None),
    ("AWS::Lambda::Function", "create", "MonitorFunction"),
    ("AWS::Events::Rule", "create", None),
    ("AWS::CloudWatch::Alarm", "create", "MonitorErrors"),
]


@pytest.fixture(params=ENVIRONMENTS)
def env_name(request) -> str:
    return request.param


@pytest.fixture
def scenario(account, synthesized, env_name):
    return Scenario(account, synthesized[env_name])


@pytest.fixture(scope="session")
def new_job_inputs(tmp_path_factory):
    """Per environment: the template after a change of the AutoML job's inputs."""
    from config import load_settings
    from tests.synth import synthesize

    cache: dict[str, dict[str, Any]] = {}

    def template(env: str) -> dict[str, Any]:
        if env not in cache:
            settings = load_settings(env)
            automl = settings.automl.model_copy(
                update={
                    "max_runtime_per_training_job_seconds": (
                        settings.automl.max_runtime_per_training_job_seconds - 60
                    )
                }
            )
            changed = settings.model_copy(update={"automl": automl})
            cache[env] = synthesize(changed, tmp_path_factory.mktemp(f"new-{env}")).template
        return cache[env]

    return template


class Scenario:
    """One environment's stack in a fresh account, and the account check."""

    def __init__(self, account, synthesized) -> None:
        self.account = account
        self.settings = synthesized.settings
        self.template = synthesized.template
        self.stack = Stack(f"AutopilotStudio-{self.settings.name}", self.template, account)
        self.roles_before = self._catalog_roles()

    def logical_id(self, resource_type: str, prefix: str | None = None) -> str | None:
        for lid, resource in self.template["Resources"].items():
            if resource["Type"] == resource_type and lid.startswith(prefix or ""):
                return lid
        return None

    def changed(self, resource_type: str, **properties: Any) -> dict[str, Any]:
        """The template with new property values on the one resource of that type."""
        template = copy.deepcopy(self.template)
        lid = self.logical_id(resource_type)
        template["Resources"][lid]["Properties"].update(properties)
        return template

    def attribute(self, resource_type: str, name: str) -> str:
        return self.stack.resources[self.logical_id(resource_type)].attributes[name]

    def changed_variant(self, **variant: Any) -> dict[str, Any]:
        """The template with new values on the endpoint config's production variant."""
        template = copy.deepcopy(self.template)
        config = template["Resources"][self.logical_id("AWS::SageMaker::EndpointConfig")]
        config["Properties"]["ProductionVariants"][0].update(variant)
        return template

    @property
    def sagemaker(self):
        return self.account.client("sagemaker")

    @property
    def endpoint_name(self) -> str:
        endpoint = self.template["Resources"][self.logical_id("AWS::SageMaker::Endpoint")]
        return endpoint["Properties"]["EndpointName"]

    def serving(self) -> tuple[str, str]:
        """The endpoint's status and the model its config serves."""
        endpoint = self.sagemaker.describe_endpoint(EndpointName=self.endpoint_name)
        config = self.sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        return endpoint["EndpointStatus"], config["ProductionVariants"][0]["ModelName"]

    def models(self) -> list[str]:
        return sorted(m["ModelName"] for m in self.sagemaker.list_models()["Models"])

    def configs(self) -> list[str]:
        configs = self.sagemaker.list_endpoint_configs()["EndpointConfigs"]
        return sorted(c["EndpointConfigName"] for c in configs)

    def alarm_name(self, metric: str) -> str:
        for lid, resource in self.template["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::CloudWatch::Alarm" and props.get("MetricName") == metric:
                return self.stack.resources[lid].physical_id
        raise KeyError(metric)

    def trip_alarm(self, metric: str) -> None:
        self.account.moto("cloudwatch").set_alarm_state(
            AlarmName=self.alarm_name(metric), StateValue="ALARM", StateReason="canary errors"
        )

    def monitor_alarms(self) -> list[str]:
        return [
            lid
            for lid, r in self.template["Resources"].items()
            if r["Type"] == "AWS::CloudWatch::Alarm" and lid.startswith("Monitor")
        ]

    @property
    def bucket(self) -> str:
        return self.stack.resolve(
            self.template["Resources"]["DataBucket"]["Properties"]["BucketName"]
        )

    def _catalog_roles(self) -> set[str]:
        roles = self.account.moto("iam").list_roles()["Roles"]
        return {
            r["RoleName"] for r in roles if r["RoleName"].startswith(SERVICE_CATALOG_ROLE_PREFIX)
        }

    def assert_nothing_left(self) -> None:
        self.stack.drain()
        kept = {
            name
            for name, resource_type in (("bucket", "AWS::S3::Bucket"), ("key", "AWS::KMS::Key"))
            if self.logical_id(resource_type, "DataBucket" if name == "bucket" else None)
            in self.stack.created_ever
        }
        found = leaks(
            self.account,
            retains_data=self.settings.retains_data,
            bucket=self.bucket,
            roles_before=self.roles_before,
            kept=kept,
            kept_ids=frozenset(r.physical_id for r in self.stack.retained.values()),
        )
        assert found == [], f"left behind: {found}; stack failures: {self.stack.failures}"


def test_resources_exist_exactly_where_config_creates_them(synthesized, env_name):
    template = synthesized[env_name].template["Resources"]
    points = {(kind, prefix) for kind, _, prefix in FAILURE_POINTS}
    points |= {(kind, None) for kind, _ in CANCEL_POINTS}
    points |= {(kind, None) for _, _, kind in CANCELLED_UPDATES}
    for kind, prefix in sorted(points, key=str):
        found = any(
            r["Type"] == kind and lid.startswith(prefix or "") for lid, r in template.items()
        )
        assert found == creates(env_name, kind, prefix), (env_name, kind, prefix)


def test_deploy_then_destroy(scenario):
    assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    endpoint = scenario.endpoint_name
    status = scenario.account.client("sagemaker").describe_endpoint(EndpointName=endpoint)
    assert status["EndpointStatus"] == "InService"
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_update_of_automl_inputs_waits_on_a_new_wait_condition_and_serves_the_new_job(
    scenario, new_job_inputs, env_name
):
    scenario.stack.deploy()
    old_job = scenario.attribute("Custom::AutoMLJob", "JobName")
    old_wait = scenario.logical_id("AWS::CloudFormation::WaitCondition")
    old_handle = scenario.logical_id("AWS::CloudFormation::WaitConditionHandle")
    template = new_job_inputs(env_name)
    assert scenario.stack.update(template) == "UPDATE_COMPLETE", scenario.stack.failures
    new_job = scenario.attribute("Custom::AutoMLJob", "JobName")
    assert new_job != old_job
    assert old_wait not in scenario.stack.resources
    assert old_handle not in scenario.stack.resources
    waits = [lid for lid in scenario.stack.resources if lid.startswith("AutoMLWaitCondition")]
    assert len(waits) == 1 and waits[0] != old_wait
    result = scenario.stack.resources[scenario.logical_id("Custom::AutoMLJobResult")]
    assert result.properties["JobName"] == new_job
    assert scenario.serving() == ("InService", result.physical_id)
    # The old model and config were deleted once the update succeeded.
    assert scenario.models() == [result.physical_id]
    assert len(scenario.configs()) == 1
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


@pytest.mark.parametrize(
    "env_name", environments_with(lambda s: not s.endpoint.autoscaling.enabled)
)
def test_update_of_endpoint_settings_switches_config_blue_green(scenario):
    """A new config (generated name) beside the old; UpdateEndpoint; the old one goes.
    (A scaled endpoint refuses an instance type change: the test after the next.)"""
    scenario.stack.deploy()
    old_config = scenario.configs()
    template = scenario.changed_variant(InstanceType="ml.m5.xlarge")
    assert scenario.stack.update(template) == "UPDATE_COMPLETE", scenario.stack.failures
    (config,) = scenario.configs()
    assert config not in old_config
    assert scenario.serving() == ("InService", scenario.models()[0])
    described = scenario.sagemaker.describe_endpoint_config(EndpointConfigName=config)
    assert described["ProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge"
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_canary_that_trips_a_rollback_alarm_returns_to_the_old_model(scenario):
    """A new model whose canary raises 5XX errors: SageMaker rolls the endpoint back, the
    stack update fails and rolls back, and the new model and config are deleted."""
    strategy = scenario.settings.endpoint.deployment.strategy
    scenario.stack.deploy()
    old_model, old_configs = scenario.models(), scenario.configs()
    scenario.account.on_deployment = lambda: scenario.trip_alarm("Invocation5XXErrors")
    template = scenario.changed(
        "Custom::AutoMLJobResult",
        InferenceResponseKeys=["predicted_label", "probability", "labels"],
    )
    status = scenario.stack.update(template)
    if strategy == "all-at-once" and not scenario.settings.endpoint.deployment.baking_seconds:
        assert status == "UPDATE_COMPLETE", scenario.stack.failures
    else:
        assert status == "UPDATE_ROLLBACK_COMPLETE", scenario.stack.failures
        assert any("rolled back" in f for f in scenario.stack.failures), scenario.stack.failures
        assert scenario.models() == old_model
        assert scenario.configs() == old_configs
        assert scenario.serving() == ("InService", old_model[0])
    scenario.account.on_deployment = None
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


SCALED = environments_with(lambda s: s.endpoint.autoscaling.enabled)


@pytest.mark.parametrize("env_name", SCALED)
def test_instance_type_change_of_a_scaled_endpoint_rolls_back(scenario):
    """Application Auto Scaling refuses it: the update fails with the reason, and rolls back
    to the serving config (README: turn autoscaling off first)."""
    scenario.stack.deploy()
    old_configs = scenario.configs()
    template = scenario.changed_variant(InstanceType="ml.m5.xlarge")
    assert scenario.stack.update(template) == "UPDATE_ROLLBACK_COMPLETE"
    assert any("deregister it" in f for f in scenario.stack.failures), scenario.stack.failures
    assert scenario.configs() == old_configs
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


@pytest.mark.parametrize("env_name", SCALED)
def test_a_scaled_out_endpoint_deletes_cleanly(scenario):
    scenario.stack.deploy()
    scaling = scenario.account.client("application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 4)
    scenario.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=scenario.endpoint_name,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 4}],
    )
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


@pytest.mark.parametrize(
    ("env_name", "resource_type", "at", "prefix"), where(*FAILURE_POINTS, feature="prefixed")
)
def test_failed_first_deploy_rolls_back_without_leaks(scenario, resource_type, at, prefix):
    lid = scenario.logical_id(resource_type, prefix)
    status = scenario.stack.deploy(fail=Failure(lid, at))
    assert status == "ROLLBACK_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


# (resource, polls before CloudFormation gives up on it): the AutoML job's own Create
# returns at once, so mid-wait it is the WaitCondition that CloudFormation gives up on.
CANCEL_POINTS = [
    ("Custom::AutoMLJob", 0),
    ("AWS::CloudFormation::WaitCondition", 3),
    ("Custom::AutoMLJobResult", 0),
]


@pytest.mark.parametrize(
    ("env_name", "resource_type", "polls"),
    where(*CANCEL_POINTS),
    ids=[
        f"{name}-{kind.split('::')[-1]}-"
        f"{'before-anything-was-created' if polls == 0 else 'mid-poll'}"
        for name, kind, polls in where(*CANCEL_POINTS)
    ],
)
def test_cancelled_create_leaves_nothing(scenario, resource_type, polls):
    """Another resource fails while this one is in progress: its Delete gets an invented ID."""
    lid = scenario.logical_id(resource_type)
    status = scenario.stack.deploy(fail=Failure(lid, "cancel", after=polls))
    assert status == "ROLLBACK_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_failed_update_rolls_back_to_the_serving_model(scenario, new_job_inputs, env_name):
    scenario.stack.deploy()
    old_job = scenario.attribute("Custom::AutoMLJob", "JobName")
    old_model, old_configs = scenario.models(), scenario.configs()
    template = new_job_inputs(env_name)
    fail = Failure(scenario.logical_id("AWS::SageMaker::Endpoint"), "create")
    assert scenario.stack.update(template, fail=fail) == "UPDATE_ROLLBACK_COMPLETE"
    assert sorted(lid for lid in scenario.stack.resources if lid.startswith("AutoMLWait")) == (
        sorted(lid for lid in scenario.template["Resources"] if lid.startswith("AutoMLWait"))
    )
    assert scenario.attribute("Custom::AutoMLJob", "JobName") == old_job
    assert scenario.serving() == ("InService", old_model[0])
    assert (scenario.models(), scenario.configs()) == (old_model, old_configs)
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_destroy_removes_what_users_started(scenario):
    scenario.stack.deploy()
    scenario.account.users_start_work(scenario.attribute("AWS::SageMaker::Domain", "DomainId"))
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


@pytest.mark.parametrize("env_name", ["prod"])
def test_prod_destroy_keeps_bucket_data_and_key(scenario):
    scenario.stack.deploy()
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    assert any(
        key.endswith("/train.csv") for key in staged_objects(scenario.account, scenario.bucket)
    )
    scenario.assert_nothing_left()


def test_automl_and_endpoint_wait_for_the_execution_role_policy(scenario):
    """prod's KMS grants live in the role's policy: a job started before it cannot read."""
    graph = scenario.stack.template
    policy = scenario.logical_id("AWS::IAM::Policy", "ExecutionRoleDefaultPolicy")
    for resource_type in ("Custom::AutoMLJob", "Custom::AutoMLJobResult"):
        assert graph.depends_on(scenario.logical_id(resource_type), policy), resource_type


def test_providers_give_up_before_cloudformation_does(scenario):
    """total_timeout ends two polls before ServiceTimeout, so the rollback learns the ID."""
    graph = scenario.stack.template
    for lid, resource in scenario.template["Resources"].items():
        handlers = resource["Type"].startswith("Custom::") and graph.handlers(lid)
        if not handlers or not handlers.is_complete:
            continue
        interval = handlers.interval_ticks * TICK_SECONDS
        service_timeout = int(resource["Properties"].get("ServiceTimeout", 3600))
        total_timeout = interval * handlers.max_attempts
        assert total_timeout <= service_timeout - 2 * interval, (lid, total_timeout)


def test_tag_only_update_reaches_the_model(scenario):
    scenario.stack.deploy()
    tags = [{"Key": "cost-center", "Value": "ml-42"}]
    template = scenario.changed("Custom::AutoMLJobResult", Tags=tags)
    assert scenario.stack.update(template) == "UPDATE_COMPLETE", scenario.stack.failures
    (model,) = scenario.models()
    arn = scenario.sagemaker.describe_model(ModelName=model)["ModelArn"]
    assert scenario.sagemaker.list_tags(ResourceArn=arn)["Tags"] == tags
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_staging_that_fails_after_writing_train_csv_leaves_no_object(scenario):
    scenario.account.failing_key_suffix = "holdout.csv"
    assert scenario.stack.deploy() == "ROLLBACK_COMPLETE", scenario.stack.failures
    assert staged_objects(scenario.account, scenario.bucket) == []
    scenario.assert_nothing_left()


def test_update_retried_after_its_job_failed_trains_a_fresh_job(scenario, new_job_inputs, env_name):
    """A failed job's name can never be reused: the retry must not adopt the dead job."""
    scenario.stack.deploy()
    template = new_job_inputs(env_name)
    scenario.account.next_job_fails = True
    assert scenario.stack.update(template) == "UPDATE_ROLLBACK_COMPLETE"
    assert scenario.stack.update(template) == "UPDATE_COMPLETE", scenario.stack.failures
    job = scenario.attribute("Custom::AutoMLJob", "JobName")
    status = scenario.account.client("sagemaker").describe_auto_ml_job_v2(AutoMLJobName=job)
    assert status["AutoMLJobStatus"] == "Completed"
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_two_environments_in_one_account_share_the_projects_roles(account, synthesized):
    """Destroying dev keeps the 11 roles and the portfolio that stage still uses."""
    dev, stage = Scenario(account, synthesized["dev"]), Scenario(account, synthesized["stage"])
    for scenario in (dev, stage):
        assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    assert len(stage._catalog_roles()) == 11

    assert dev.stack.destroy() == "DELETE_COMPLETE", dev.stack.failures
    assert len(stage._catalog_roles()) == 11
    assert account.portfolio_enabled
    status = account.client("sagemaker").describe_endpoint(EndpointName=stage.endpoint_name)
    assert status["EndpointStatus"] == "InService"

    assert stage.stack.destroy() == "DELETE_COMPLETE", stage.stack.failures
    stage.assert_nothing_left()


def test_deploy_with_monitoring_then_destroy_leaves_no_function_alarm_or_topic(scenario):
    monitored = scenario.settings.monitor.enabled
    assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    kinds = set(scenario.account.natives.values())
    expected = {"AWS::Lambda::Function", "AWS::Events::Rule", "AWS::SNS::Topic"}
    assert expected <= kinds if monitored else "AWS::Events::Rule" not in kinds
    alarms = {
        a["AlarmName"]
        for a in scenario.account.moto("cloudwatch").describe_alarms()["MetricAlarms"]
    }
    assert len(alarms) == 3 + (len(scenario.monitor_alarms()) if monitored else 0)
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


def test_failed_job_rolls_back_with_its_reason_in_the_wait_conditions_event(scenario):
    """The FAILURE signal carries the job's own reason; rollback leaves nothing running."""
    scenario.account.next_job_fails = True
    assert scenario.stack.deploy() == "ROLLBACK_COMPLETE", scenario.stack.failures
    (failure,) = [f for f in scenario.stack.failures if f.startswith("AutoMLWaitCondition")]
    assert "WaitCondition received failed message" in failure
    assert "ClientError: insufficient capacity for ml.m5.2xlarge" in failure
    scenario.assert_nothing_left()


def test_wait_condition_timeout_rolls_back_with_nothing_running(scenario):
    """A job that outlives the WaitCondition's Timeout is stopped by the rollback."""
    scenario.account.job_training_ticks = 10**6
    assert scenario.stack.deploy() == "ROLLBACK_COMPLETE", scenario.stack.failures
    (failure,) = [f for f in scenario.stack.failures if f.startswith("AutoMLWaitCondition")]
    assert "WaitCondition timed out" in failure
    scenario.assert_nothing_left()


def test_the_wait_condition_waits_the_budget_and_the_margin(scenario):
    (wait,) = [
        r
        for r in scenario.template["Resources"].values()
        if r["Type"] == "AWS::CloudFormation::WaitCondition"
    ]
    budget = scenario.settings.automl.max_job_runtime_seconds
    assert int(wait["Properties"]["Timeout"]) == budget + 1800


# Per custom resource kind: the template with changed inputs for it. The AutoML job's come
# from a synthesized edit (new_job_inputs); the others change one property (for the
# Projects enablement, whose inputs never change, one a newer release might add).
UPDATED_INPUTS = {
    "Custom::TrainingDataset": {"Seed": "43"},
    "Custom::AutoMLJobResult": {
        "InferenceResponseKeys": ["predicted_label", "probability", "labels"]
    },
    "Custom::StudioAppsCleanup": {"UserProfileName": "another-user"},
    "Custom::StudioHomeCleanup": {"RetainHomeFileSystem": "true"},
    "Custom::SageMakerProjectsEnablement": {"Release": "2"},
}
# (what CloudFormation gives up on, ticks in, whose inputs change). Custom resources update
# within a tick, so only a cancel before their Lambda ran catches them in progress; the
# AutoML update is then waited for by a new WaitCondition, cancelled mid-wait.
CANCELLED_UPDATES = [
    ("Custom::AutoMLJob", 0, "Custom::AutoMLJob"),
    ("AWS::CloudFormation::WaitCondition", 3, "Custom::AutoMLJob"),
    *((kind, 0, kind) for kind in UPDATED_INPUTS),
]


_CANCELLED_UPDATES = [
    (name, cancelled, polls, kind)
    for name, kind, cancelled, polls in where(
        *((kind, cancelled, polls) for cancelled, polls, kind in CANCELLED_UPDATES)
    )
]


@pytest.mark.parametrize(
    ("env_name", "cancelled", "polls", "resource_type"),
    _CANCELLED_UPDATES,
    ids=[
        f"{name}-{kind.split('::')[-1]}-{'before-its-lambda-ran' if polls == 0 else 'mid-wait'}"
        for name, kind, polls, _ in _CANCELLED_UPDATES
    ],
)
def test_cancelled_update_leaves_nothing_running(
    scenario, new_job_inputs, env_name, cancelled, polls, resource_type
):
    """Another resource fails while this one updates: CloudFormation cancels the update,
    never learns what it made, and rolls back; nothing it started keeps running."""
    assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    if resource_type == "Custom::AutoMLJob":
        template = new_job_inputs(env_name)
    else:
        template = scenario.changed(resource_type, **UPDATED_INPUTS[resource_type])
    lid = next(
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] == cancelled
        # a WaitCondition the update adds; the custom resource itself
        and (lid not in scenario.template["Resources"] or cancelled.startswith("Custom::"))
    )
    status = scenario.stack.update(template, fail=Failure(lid, "cancel", after=polls))
    assert status == "UPDATE_ROLLBACK_COMPLETE", scenario.stack.failures
    scenario.stack.drain()
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


@pytest.mark.parametrize(
    "env_name", environments_with(lambda s: s.studio.projects_and_jumpstart_enabled)
)
def test_destroy_keeps_the_projects_roles_and_portfolio_while_users_projects_exist(scenario):
    """A project made from a SageMaker template is a provisioned product whose own stack is
    updated and deleted as the Launch and Use roles: they outlive this stack, untagged."""
    assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    scenario.account.projects["churn-mlops"] = "CreateCompleted"
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    kept = scenario._catalog_roles()
    assert len(kept) == 11
    assert scenario.account.portfolio_enabled
    iam = scenario.account.moto("iam")
    for name in kept:
        tags = {t["Key"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
        assert not any(key.startswith("autopilot-studio:") for key in tags), (name, tags)
    # Once the project is gone, the roles are the user's to delete: no stack claims them.
    scenario.roles_before = kept
    scenario.account.portfolio_enabled = False
    scenario.assert_nothing_left()


def test_interleaved_deletes_keep_the_projects_roles_for_the_last_stack_and_no_longer(
    account, synthesized
):
    """dev and stage are destroyed side by side, request by request, while prod stays:
    the 11 roles stay for prod, owned or claimed by it alone; prod's destroy removes them."""
    from tests.lifecycle.fakes import Baton

    stacks = {name: Scenario(account, synthesized[name]) for name in ("dev", "stage", "prod")}
    for scenario in stacks.values():
        assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    prod = stacks["prod"]
    account.baton = Baton()
    try:
        results = account.baton.run(stacks["dev"].stack.destroy, stacks["stage"].stack.destroy)
    finally:
        account.baton = None
    assert results == ["DELETE_COMPLETE", "DELETE_COMPLETE"]
    iam = account.moto("iam")
    roles = prod._catalog_roles()
    assert len(roles) == 11
    owner_key = "autopilot-studio:owner-stack"
    for name in roles:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
        project_tags = {k: v for k, v in tags.items() if k.startswith(owner_key)}
        assert set(project_tags.values()) == {prod.stack.stack_id}, (name, project_tags)
    assert prod.stack.destroy() == "DELETE_COMPLETE", prod.stack.failures
    prod.assert_nothing_left()


MONITORED = environments_with(lambda s: s.monitor.enabled)


def _monitored(scenario) -> str:
    return scenario.logical_id("AWS::Lambda::Function", "MonitorFunction")


RUN = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-12-03T15:15:00Z"}


@pytest.mark.parametrize("env_name", MONITORED)
def test_a_scheduled_run_over_an_idle_window_reports_zero_rows(scenario):
    function = _monitored(scenario)
    assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    scenario.stack.invoke(function, RUN)
    reports = [k for k in staged_objects(scenario.account, scenario.bucket) if "reports" in k]
    (key,) = reports
    assert key.startswith("monitoring/reports/2026/12/03/15/")
    report = scenario.account.moto("s3").get_object(Bucket=scenario.bucket, Key=key)
    assert json.loads(report["Body"].read())["rows"] == 0
    assert scenario.account.notifications == []
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()


@pytest.mark.parametrize("env_name", MONITORED)
def test_a_failing_analysis_raises_its_alarm_and_tells_the_topic(scenario):
    function = _monitored(scenario)
    assert scenario.stack.deploy() == "CREATE_COMPLETE", scenario.stack.failures
    s3 = scenario.account.moto("s3")
    (profile,) = [
        k for k in staged_objects(scenario.account, scenario.bucket) if k.endswith("profile.json")
    ]
    s3.delete_object(Bucket=scenario.bucket, Key=profile)  # a run that cannot read its baseline
    with pytest.raises(Exception, match="profile"):
        scenario.stack.invoke(function, RUN)
    topic = scenario.stack.resources[scenario.logical_id("AWS::SNS::Topic", "MonitorAlerts")]
    errors_alarm = scenario.stack.resources[
        scenario.logical_id("AWS::CloudWatch::Alarm", "MonitorErrors")
    ]
    assert scenario.account.notifications == [(topic.physical_id, errors_alarm.physical_id)]
    assert scenario.stack.destroy() == "DELETE_COMPLETE", scenario.stack.failures
    scenario.assert_nothing_left()
