"""Custom resource that turns on SageMaker Projects and JumpStart for Studio users."""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from components import nag
from components.handler_provider import ProvidedConstruct
from components.studio_cleanup import OWNER_TAG_KEY, owned_by

# The account-wide roles the handler ensures (runtime/projects_enablement/role_specs.py), all
# under /service-role/: tests keep these lists equal to the handler's.
_PREFIX = "AmazonSageMakerServiceCatalogProducts"
SERVICE_CATALOG_ROLE_NAMES = tuple(
    f"{_PREFIX}{kind}Role"
    for kind in (
        "Launch",
        "Use",
        "ApiGateway",
        "Cloudformation",
        "CodeBuild",
        "CodePipeline",
        "Events",
        "Firehose",
        "Glue",
        "Lambda",
        "Execution",
    )
)
# The role that gets the console's generated policy, kept inline.
INLINE_POLICY_ROLE_NAMES = (f"{_PREFIX}UseRole",)
# The AWS managed policies the handler may attach to those roles.
SERVICE_CATALOG_MANAGED_POLICIES = (
    "AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy",
    f"service-role/{_PREFIX}ApiGatewayServiceRolePolicy",
    f"service-role/{_PREFIX}CloudformationServiceRolePolicy",
    f"{_PREFIX}CodeBuildServiceRolePolicy",
    f"service-role/{_PREFIX}CodePipelineServiceRolePolicy",
    f"service-role/{_PREFIX}EventsServiceRolePolicy",
    f"service-role/{_PREFIX}FirehoseServiceRolePolicy",
    f"service-role/{_PREFIX}GlueServiceRolePolicy",
    f"service-role/{_PREFIX}LambdaServiceRolePolicy",
    "AmazonSageMakerFullAccess",
)
# A stack that reuses a role another stack created claims it with "<owner key>:claim:<hash>".
CLAIM_TAG_KEY_PATTERN = f"{OWNER_TAG_KEY}:claim:*"


def _role_arns(names: tuple[str, ...]) -> list[str]:
    # Fn::Sub keeps the policy short (Fn::Join doubles it); CDK still moves the statements
    # past its inline-size estimate into an overflow managed policy the handlers depend on.
    return [
        Fn.sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/service-role/{name}")
        for name in names
    ]


class ProjectsAndJumpStart(ProvidedConstruct):
    """Enables the SageMaker Service Catalog portfolio and its 11 account-wide roles.

    A role is created only when absent and tagged as this stack's; a role another stack
    of this project created is claimed with a second tag; delete removes a role only when
    this stack owns it and no other stack claims it. The execution role is associated
    with the portfolio so Studio users see the project templates.
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
        super().__init__(
            scope,
            construct_id,
            package="projects_enablement",
            description="Enable SageMaker Projects and JumpStart",
            # Waits up to 5 minutes for the portfolio share, and for another stack's
            # release of the shared roles.
            timeout=Duration.minutes(8),
            encryption_key=encryption_key,
        )
        role_arns = _role_arns(SERVICE_CATALOG_ROLE_NAMES)
        owned = owned_by(owner_tag_value)
        self.provider.add_to_policy(
            # The portfolio status calls and ListAcceptedPortfolioShares have no resource type.
            iam.PolicyStatement(
                actions=[
                    "sagemaker:GetSagemakerServicecatalogPortfolioStatus",
                    "sagemaker:EnableSagemakerServicecatalogPortfolio",
                    "sagemaker:DisableSagemakerServicecatalogPortfolio",
                    # Delete keeps the roles and portfolio while projects exist.
                    "sagemaker:ListProjects",
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
                    # Delete keeps the portfolio enabled while other principals use it.
                    "servicecatalog:ListPrincipalsForPortfolio",
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
                actions=["iam:CreateRole"],
                resources=role_arns,
                conditions={
                    "StringEquals": {f"aws:RequestTag/{OWNER_TAG_KEY}": owner_tag_value},
                    "ForAllValues:StringEquals": {"aws:TagKeys": [OWNER_TAG_KEY]},
                },
            ),
            iam.PolicyStatement(
                # Tagging at creation, claiming a reused role, and handing a role over to
                # the stack that claimed it: only the project's owner and claim tags.
                actions=["iam:TagRole", "iam:UntagRole"],
                resources=role_arns,
                conditions={
                    "ForAllValues:StringLike": {
                        "aws:TagKeys": [OWNER_TAG_KEY, CLAIM_TAG_KEY_PATTERN]
                    }
                },
            ),
            iam.PolicyStatement(
                actions=["iam:AttachRolePolicy"],
                resources=role_arns,
                conditions={
                    **owned,
                    "ArnEquals": {
                        "iam:PolicyARN": [
                            Fn.sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{name}")
                            for name in SERVICE_CATALOG_MANAGED_POLICIES
                        ]
                    },
                },
            ),
            iam.PolicyStatement(
                actions=["iam:PutRolePolicy"],
                resources=_role_arns(INLINE_POLICY_ROLE_NAMES),
                conditions=owned,
            ),
            iam.PolicyStatement(
                actions=["iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"],
                resources=role_arns,
                conditions=owned,
            ),
        )
        self.provider.acknowledge(
            {
                nag.wildcard_resource("*"): (
                    "The SageMaker portfolio status calls, sagemaker:ListProjects and "
                    "servicecatalog:ListAcceptedPortfolioShares support no resource-level "
                    "scoping"
                ),
                nag.wildcard_resource("arn:<AWS::Partition>:catalog:<AWS::Region>:*:portfolio/*"): (
                    "The SageMaker portfolio is shared into the account by AWS; its ID is "
                    "known only after enabling"
                ),
            }
        )
        self.resource = self.provider.custom_resource(
            self,
            "Resource",
            resource_type="Custom::SageMakerProjectsEnablement",
            properties={
                "ExecutionRoleArn": execution_role.role_arn,
                "OwnerTagKey": OWNER_TAG_KEY,
                "OwnerTagValue": owner_tag_value,
            },
        )
