"""The settings of one environment, and the rules that span its sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from config import aws_catalog, sections
from config.errors import SettingError, show
from config.limits import ALWAYS_PROTECTED, DEFAULT_INSTANCE_TYPE, REGRESSION_RESPONSE_KEYS
from config.sections import _Settings


class EnvironmentSettings(_Settings):
    """Everything that differs between dev, stage and prod."""

    name: str
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: str | None = None
    removal_policy: Literal["destroy", "retain"]
    # Termination protection, and no "destroy" without the acknowledgement below.
    # An environment named prod is always protected.
    protected: bool | None = None
    # Must name the environment, so that copying a table does not copy the consent.
    acknowledge_data_deletion: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    network: sections.NetworkSettings = sections.NetworkSettings()
    storage: sections.StorageSettings = sections.StorageSettings()
    encryption: sections.EncryptionSettings = sections.EncryptionSettings()
    studio: sections.StudioSettings = sections.StudioSettings()
    dataset: sections.DatasetSettings = sections.DatasetSettings()
    automl: sections.AutoMLSettings = sections.AutoMLSettings()
    endpoint: sections.EndpointSettings = sections.EndpointSettings()
    monitor: sections.MonitorSettings = sections.MonitorSettings()

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        known = aws_catalog.regions()
        if value is None or value in known:
            return value
        raise SettingError(
            "region",
            value,
            "not a region in botocore's partition data",
            ", ".join(known),
            hint=aws_catalog.did_you_mean(value, known),
        )

    @model_validator(mode="after")
    def _check_tags(self) -> EnvironmentSettings:
        for key in self.tags:
            if key.lower().startswith("aws:"):
                raise SettingError(
                    f"tags.{key}",
                    self.tags[key],
                    "the 'aws:' prefix is reserved for AWS",
                    "any other key",
                )
        return self

    @model_validator(mode="after")
    def _check_protection(self) -> EnvironmentSettings:
        if self.name == ALWAYS_PROTECTED and self.protected is False:
            raise SettingError(
                "protected",
                False,
                f"an environment named {ALWAYS_PROTECTED!r} is always protected",
                "true, or leave it out",
            )
        acknowledged = self.acknowledge_data_deletion
        needs_acknowledgement = self.is_protected and self.removal_policy == "destroy"
        if needs_acknowledgement and acknowledged != self.name:
            raise SettingError(
                "removal_policy",
                self.removal_policy,
                f"{self.name!r} is protected, and 'destroy' lets `cdk destroy` delete its data "
                "bucket, access-log bucket and KMS key",
                f"'retain', or 'destroy' with {self.name}.acknowledge_data_deletion = "
                f"{self.name!r}",
            )
        if acknowledged is not None and not needs_acknowledgement:
            raise SettingError(
                "acknowledge_data_deletion",
                acknowledged,
                "only a protected environment with removal_policy = 'destroy' needs it, and a "
                "stale acknowledgement would let a later switch to 'destroy' pass unnoticed",
                "leave it out here",
            )
        return self

    @model_validator(mode="after")
    def _check_combinations(self) -> EnvironmentSettings:
        for key in ("target_attribute", "positive_class"):
            value = getattr(self.dataset, key)
            if not value.strip():
                raise SettingError(
                    f"dataset.{key}",
                    value,
                    "blank",
                    "a column name from the CSV header (target_attribute) or one of the "
                    "target's values (positive_class), e.g. 'y' and 'yes'",
                )
        if self.studio.app_network_access_type == "VpcOnly" and self.network.mode == "dedicated":
            raise SettingError(
                "studio.app_network_access_type",
                "VpcOnly",
                "the dedicated VPC has no NAT gateway and no VPC endpoints, so Studio apps "
                "could reach nothing",
                "'PublicInternetOnly' with network.mode = 'dedicated'; 'VpcOnly' with "
                "network.mode = 'existing' and subnets that reach the SageMaker API and "
                "runtime, STS, S3 and CloudWatch Logs (NAT or VPC endpoints)",
            )
        instance_type = self.endpoint.instance_type
        if self.encryption.customer_managed_key and aws_catalog.has_local_storage(instance_type):
            raise SettingError(
                "endpoint.instance_type",
                instance_type,
                "its NVMe instance storage is encrypted by the instance's hardware, never by "
                "the customer-managed key (CreateEndpointConfig refuses or ignores KmsKeyId "
                "there)",
                "an EBS-backed type with encryption.customer_managed_key = true, e.g. "
                + repr(aws_catalog.ebs_counterpart(instance_type) or DEFAULT_INSTANCE_TYPE)
                + ", or customer_managed_key = false",
            )
        if self.monitor.enabled and self.dataset.source == "pre-split":
            raise SettingError(
                "monitor.enabled",
                True,
                "the monitor's baseline profile of the training rows is written while "
                "staging splits a dataset; pre-split files are copied as they are",
                "false with dataset.source = 'pre-split', or another dataset.source",
            )
        self._check_response_keys()
        self._check_monitor()
        self._check_serving()
        return self

    def _check_monitor(self) -> None:
        monitor = self.monitor
        if not monitor.enabled:
            return
        keys = self.endpoint.inference_response_keys
        if "predicted_label" not in keys:
            raise SettingError(
                "endpoint.inference_response_keys",
                keys,
                "the monitor reads each response's predicted_label (prediction drift, model "
                "quality)",
                "a list that includes 'predicted_label', with monitor.enabled = true",
            )
        classifies = self.automl.problem_type in (
            "BinaryClassification",
            "MulticlassClassification",
        )
        if classifies and self.automl.objective != "F1" and monitor.min_f1 is None:
            raise SettingError(
                "monitor.min_f1",
                None,
                f"the F1 alarm compares live F1 with the training F1, but automl.objective is "
                f"{self.automl.objective!r}",
                "a number between 0 and 1 (the lowest acceptable F1), or automl.objective = 'F1'",
            )

    def _check_serving(self) -> None:
        endpoint = self.endpoint
        deployment, scaling = endpoint.deployment, endpoint.autoscaling
        count = endpoint.initial_instance_count
        if deployment.strategy != "all-at-once" and count < 2:
            raise SettingError(
                "endpoint.deployment.strategy",
                deployment.strategy,
                f"a {deployment.strategy} step is at most half of the variant's instances "
                "(TrafficRoutingConfig), so a fleet of one cannot take it",
                "'all-at-once', or endpoint.initial_instance_count of 2 or more",
            )
        if scaling.enabled and not scaling.min_capacity <= count <= scaling.max_capacity:
            raise SettingError(
                "endpoint.initial_instance_count",
                count,
                "outside the autoscaling range the endpoint starts in",
                f"{scaling.min_capacity} to {scaling.max_capacity} "
                "(endpoint.autoscaling.min_capacity to max_capacity)",
            )
        if scaling.enabled and deployment.strategy != "all-at-once" and scaling.min_capacity < 2:
            raise SettingError(
                "endpoint.autoscaling.min_capacity",
                scaling.min_capacity,
                f"an update retains the scaled instance count, and a {deployment.strategy} "
                "step needs a fleet of at least 2",
                "2 or more with a canary or linear endpoint.deployment.strategy",
            )

    def _check_response_keys(self) -> None:
        keys = self.endpoint.inference_response_keys
        if keys == REGRESSION_RESPONSE_KEYS:
            return
        problem_type = self.automl.problem_type
        if problem_type == "Regression":
            problem = (
                "a Regression model returns only its prediction (one container in "
                "ensembling, two in HPO: feature transform and regressor)"
            )
        elif problem_type is None:
            problem = (
                "automl.problem_type is unset, so Autopilot may infer Regression, whose "
                "models return only predicted_label"
            )
        else:
            return
        raise SettingError(
            "endpoint.inference_response_keys",
            keys,
            problem,
            f"{show(REGRESSION_RESPONSE_KEYS)}"
            + ("" if problem_type else ", or set automl.problem_type and objective"),
        )

    @property
    def is_protected(self) -> bool:
        """Termination protection on, and no accidental switch to 'destroy'."""
        return bool(self.protected) or self.name == ALWAYS_PROTECTED

    @property
    def stack_name(self) -> str:
        return f"AutopilotStudio-{self.name}"

    @property
    def resource_prefix(self) -> str:
        """Prefix of every SageMaker resource name; IAM policies are scoped to it."""
        return f"apstudio-{self.name}"

    @property
    def retains_data(self) -> bool:
        return self.removal_policy == "retain"
