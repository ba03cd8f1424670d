"""Custom resource that turns on SageMaker Projects and JumpStart for Studio users."""

from __future__ import annotations

from aws_cdk import Aws, CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from components import nag
from components.handler_provider import HandlerProvider
from components.studio_cleanup import OWNER_TAG_KEY

SERVICE_CATALOG_ROLE_NAMES = (
    "AmazonSageMakerServiceCatalogProductsLaunchRole",
    "AmazonSageMakerServiceCatalogProductsUseRole",
)
# The AWS managed policies the handler may attach to those roles (runtime/projects_enablement).
SERVICE_CATALOG_MANAGED_POLICIES = (
    "AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsApiGatewayServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsCloudformationServiceRolePolicy",
    "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsCodePipelineServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsEventsServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsFirehoseServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsGlueServiceRolePolicy",
    "service-role/AmazonSageMakerServiceCatalogProductsLambdaServiceRolePolicy",
)


class ProjectsAndJumpStart(Construct):
    """Enables the SageMaker Service Catalog portfolio and its two account-wide roles.

    A role is created only when absent and tagged as this stack's; delete removes only
    roles carrying that tag. The execution role is associated with the portfolio so
    Studio users see the project templates.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        execution_role: iam.IRole,
        owner_tag_value: str,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.provider = HandlerProvider(
            self,
            "Provider",
            on_event_handler="projects_enablement.handler.on_event",
            is_complete_handler="projects_enablement.handler.is_complete",
            description="Enable SageMaker Projects and JumpStart",
            query_interval=Duration.seconds(30),
            total_timeout=Duration.minutes(15),
            timeout=Duration.minutes(2),
            encryption_key=encryption_key,
        )
        role_arns = [
            f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/service-role/{name}"
            for name in SERVICE_CATALOG_ROLE_NAMES
        ]
        owned = {"StringEquals": {f"aws:ResourceTag/{OWNER_TAG_KEY}": owner_tag_value}}
        self.provider.add_to_policy(
            # The portfolio status calls and ListAcceptedPortfolioShares have no resource type.
            iam.PolicyStatement(
                actions=[
                    "sagemaker:GetSagemakerServicecatalogPortfolioStatus",
                    "sagemaker:EnableSagemakerServicecatalogPortfolio",
                    "sagemaker:DisableSagemakerServicecatalogPortfolio",
                    "servicecatalog:ListAcceptedPortfolioShares",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                actions=[
                    # Enabling accepts the portfolio share with the caller's rights, as
                    # AmazonSageMakerFullAccess allows it for console users.
                    "servicecatalog:AcceptPortfolioShare",
                    "servicecatalog:AssociatePrincipalWithPortfolio",
                    "servicecatalog:DisassociatePrincipalFromPortfolio",
                ],
                # The SageMaker portfolio is shared from an AWS-owned account.
                resources=[f"arn:{Aws.PARTITION}:catalog:{Aws.REGION}:*:portfolio/*"],
            ),
            iam.PolicyStatement(
                actions=[
                    "iam:GetRole",
                    "iam:ListRoleTags",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRolePolicies",
                ],
                resources=role_arns,
            ),
            iam.PolicyStatement(
                actions=["iam:CreateRole", "iam:TagRole"],
                resources=role_arns,
                conditions={"StringEquals": {f"aws:RequestTag/{OWNER_TAG_KEY}": owner_tag_value}},
            ),
            iam.PolicyStatement(
                actions=["iam:AttachRolePolicy"],
                resources=role_arns,
                conditions={
                    "ArnEquals": {
                        "iam:PolicyARN": [
                            f"arn:{Aws.PARTITION}:iam::aws:policy/{name}"
                            for name in SERVICE_CATALOG_MANAGED_POLICIES
                        ]
                    }
                },
            ),
            iam.PolicyStatement(
                actions=["iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"],
                resources=role_arns,
                conditions=owned,
            ),
        )
        nag.acknowledge(
            self.provider.role,
            {
                nag.wildcard_resource("*"): (
                    "The SageMaker portfolio status calls and servicecatalog:"
                    "ListAcceptedPortfolioShares support no resource-level scoping"
                ),
                nag.wildcard_resource("arn:<AWS::Partition>:catalog:<AWS::Region>:*:portfolio/*"): (
                    "The SageMaker portfolio is shared into the account by AWS; its ID is "
                    "known only after enabling"
                ),
            },
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type="Custom::SageMakerProjectsEnablement",
            properties={
                "ExecutionRoleArn": execution_role.role_arn,
                "OwnerTagKey": OWNER_TAG_KEY,
                "OwnerTagValue": owner_tag_value,
            },
        )
