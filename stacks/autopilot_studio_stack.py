"""One environment: Studio domain, data bucket, AutoML job and a data-capturing endpoint.

The parts are plain builders, not constructs: every resource keeps the stack as its
scope, so construct paths, logical IDs and the template stay what they were.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Fn, Stack, Tags
from constructs import Construct

from config import EnvironmentSettings
from stacks.foundations import Foundations
from stacks.model_part import ModelPart
from stacks.outputs import add_outputs
from stacks.studio_part import StudioPart


class AutopilotStudioStack(Stack):
    """Everything one environment needs, wired in dependency order for a clean destroy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._settings = settings
        # Config tags go on every resource except the domain and its profile, whose
        # tags stay fixed so a tag edit can never replace them.
        for key, value in settings.tags.items():
            Tags.of(self).add(
                key,
                value,
                exclude_resource_types=["AWS::SageMaker::Domain", "AWS::SageMaker::UserProfile"],
            )

        self.foundations = Foundations.build(self, settings=settings)
        self.studio = StudioPart.build(self, settings=settings, foundations=self.foundations)
        self.model = ModelPart.build(self, settings=settings, foundations=self.foundations)
        add_outputs(
            self,
            settings=settings,
            studio=self.studio.studio,
            bucket_name=self.foundations.bucket.bucket_name,
            model=self.model,
            encryption_key_arn=(
                self.foundations.encryption_key.key_arn if self.foundations.encryption_key else None
            ),
        )

    @property
    def availability_zones(self) -> list[str]:
        # Fn::GetAZs at deploy time instead of a context lookup at synth.
        configured = self._settings.network.availability_zones
        if configured:
            return list(configured)
        return [Fn.select(index, Fn.get_azs()) for index in range(2)]
