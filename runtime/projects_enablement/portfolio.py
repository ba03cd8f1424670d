"""The SageMaker Service Catalog portfolio behind Projects and JumpStart."""

from __future__ import annotations

from typing import Any, cast

from botocore.exceptions import ClientError

from cr_support import aws, clock
from cr_support.logs import log

# EnableSagemakerServicecatalogPortfolio shares this portfolio into the account.
SAGEMAKER_PROVIDER = "Amazon SageMaker"
ENABLED = "Enabled"


def is_enabled() -> bool:
    status = aws.client("sagemaker").get_sagemaker_servicecatalog_portfolio_status()
    current: str | None = status.get("Status")
    return current == ENABLED


def enable() -> None:
    aws.client("sagemaker").enable_sagemaker_servicecatalog_portfolio()


def disable() -> None:
    aws.client("sagemaker").disable_sagemaker_servicecatalog_portfolio()


def find_portfolio_id() -> str | None:
    """The imported SageMaker portfolio's ID, or None while it is not visible yet."""
    client = aws.client("servicecatalog")
    request: dict[str, Any] = {"PortfolioShareType": "IMPORTED"}
    while True:
        page = client.list_accepted_portfolio_shares(**request)
        for detail in page.get("PortfolioDetails", []):
            if detail.get("ProviderName") == SAGEMAKER_PROVIDER:
                return cast(str, detail["Id"])
        if not page.get("NextPageToken"):
            return None
        request["PageToken"] = page["NextPageToken"]


def other_principals(portfolio_id: str, role_arn: str) -> list[str]:
    """Principals other than ``role_arn`` associated with the portfolio (other stacks' roles)."""
    client = aws.client("servicecatalog")
    request: dict[str, Any] = {"PortfolioId": portfolio_id}
    others: list[str] = []
    while True:
        page = client.list_principals_for_portfolio(**request)
        others += [
            p["PrincipalARN"] for p in page.get("Principals", []) if p["PrincipalARN"] != role_arn
        ]
        if not page.get("NextPageToken"):
            return others
        request["PageToken"] = page["NextPageToken"]


def associate(portfolio_id: str, role_arn: str) -> None:
    # Associating a principal that is already associated succeeds.
    aws.client("servicecatalog").associate_principal_with_portfolio(
        PortfolioId=portfolio_id, PrincipalARN=role_arn, PrincipalType="IAM"
    )
    log(role_arn, "associated with the SageMaker portfolio", portfolio_id=portfolio_id)


def disassociate(portfolio_id: str, role_arn: str) -> None:
    try:
        aws.client("servicecatalog").disassociate_principal_from_portfolio(
            PortfolioId=portfolio_id, PrincipalARN=role_arn, PrincipalType="IAM"
        )
    except ClientError as error:
        if aws.is_not_found(error):
            log(role_arn, "not associated with the SageMaker portfolio", portfolio_id=portfolio_id)
            return
        raise
    log(role_arn, "disassociated from the SageMaker portfolio", portfolio_id=portfolio_id)


# A project in these states no longer needs the Service Catalog roles
# (ProjectStatus in the ListProjects API reference).
GONE_PROJECT_STATUSES = frozenset({"DeleteCompleted"})


def live_projects() -> list[str]:
    """SageMaker projects in this region: each is a provisioned product of a project
    template, whose stack updates and deletes run as the Launch and Use roles."""
    client = aws.client("sagemaker")
    request: dict[str, Any] = {"MaxResults": 100}
    names: list[str] = []
    while True:
        page = client.list_projects(**request)
        names += [
            p["ProjectName"]
            for p in page.get("ProjectSummaryList", [])
            if p.get("ProjectStatus") not in GONE_PROJECT_STATUSES
        ]
        if not page.get("NextToken"):
            return names
        request["NextToken"] = page["NextToken"]


def wait_until_visible(attempts: int, pause: float) -> str | None:
    """The portfolio's ID once the share shows up (seconds after enabling), or None."""
    for attempt in range(attempts):
        portfolio_id = find_portfolio_id()
        if portfolio_id is not None:
            return portfolio_id
        if attempt + 1 < attempts:
            clock.sleep(pause)
    return None
