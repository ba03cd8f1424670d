"""The SageMaker Studio domain, its quick-start execution role and default user profile."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from components.network import StudioNetwork

# Tags on the domain stay fixed: a tag set drifting with config must never touch it.
DOMAIN_TAG_KEY = "autopilot-studio:environment"


class QuickStartExecutionRole(Construct):
    """The role the console's quick setup creates for Studio users and jobs.

    Trusted by SageMaker, with AmazonSageMakerFullAccess (and Canvas full access when
    Canvas is on). The stack grants it the project bucket and, if any, the KMS key.
    """

    def __init__(self, scope: Construct, construct_id: str, *, canvas_enabled: bool) -> None:
        super().__init__(scope, construct_id)
        managed = ["AmazonSageMakerFullAccess"]
        if canvas_enabled:
            managed.append("AmazonSageMakerCanvasFullAccess")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker execution role for Studio users, Autopilot and the endpoint",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(n) for n in managed],
        )


class StudioDomain(Construct):
    """An IAM-auth Studio domain on the new Studio UI with one default user profile.

    The logical IDs of the domain and the profile are pinned: a refactor of this
    construct must never replace them.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        environment_name: str,
        network: StudioNetwork,
        execution_role: iam.IRole,
        user_profile_name: str,
        canvas_enabled: bool,
        app_network_access_type: str,
        home_efs_file_system: bool = True,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        security_groups = [network.security_group.security_group_id]
        hidden_apps = [] if canvas_enabled else ["Canvas"]
        self.domain = sagemaker.CfnDomain(
            self,
            "Domain",
            auth_mode="IAM",
            domain_name=domain_name,
            vpc_id=network.vpc.vpc_id,
            subnet_ids=network.subnet_ids,
            app_network_access_type=app_network_access_type,
            kms_key_id=encryption_key.key_arn if encryption_key else None,
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=execution_role.role_arn,
                security_groups=security_groups,
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                studio_web_portal_settings=(
                    sagemaker.CfnDomain.StudioWebPortalSettingsProperty(
                        hidden_app_types=hidden_apps
                    )
                    if hidden_apps
                    else None
                ),
            ),
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=execution_role.role_arn,
                security_groups=security_groups,
            ),
            tags=[{"key": DOMAIN_TAG_KEY, "value": environment_name}],
            # Left unset by default (Enabled, as the console does). Disabled: no home EFS;
            # JupyterLab and Code Editor spaces keep files on EBS. An in-place update.
            home_efs_file_system_creation=None if home_efs_file_system else "Disabled",
        )
        self.domain.override_logical_id("StudioDomain")
        self.domain.node.add_dependency(execution_role)

        self.user_profile = sagemaker.CfnUserProfile(
            self,
            "DefaultUserProfile",
            domain_id=self.domain.attr_domain_id,
            user_profile_name=user_profile_name,
            user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(
                execution_role=execution_role.role_arn,
                security_groups=security_groups,
            ),
        )
        self.user_profile.override_logical_id("StudioDefaultUserProfile")

        self.domain_id = self.domain.attr_domain_id
        self.domain_arn = self.domain.attr_domain_arn
        self.console_url = (
            f"https://{Aws.REGION}.console.aws.amazon.com/sagemaker/home"
            f"?region={Aws.REGION}#/studio/{self.domain_id}"
        )
