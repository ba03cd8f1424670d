"""The Studio part: the domain and its profile, bracketed by the cleanups that make destroy work."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Stack

from components.projects import ProjectsAndJumpStart
from components.studio import StudioDomain
from components.studio_cleanup import (
    StudioAppsCleanup,
    StudioCleanupProvider,
    StudioHomeCleanup,
)
from config import EnvironmentSettings
from stacks.foundations import Foundations


@dataclass(frozen=True)
class StudioPart:
    """Handles of the Studio constructs, created directly in the stack."""

    home_cleanup: StudioHomeCleanup
    studio: StudioDomain
    apps_cleanup: StudioAppsCleanup
    projects: ProjectsAndJumpStart | None

    @classmethod
    def build(
        cls, stack: Stack, *, settings: EnvironmentSettings, foundations: Foundations
    ) -> StudioPart:
        network, encryption_key = foundations.network, foundations.encryption_key
        cleanup = StudioCleanupProvider(
            stack,
            "StudioCleanup",
            name_prefix=settings.resource_prefix,
            encryption_key=encryption_key,
        )
        home_cleanup = StudioHomeCleanup(
            stack,
            "StudioHomeCleanup",
            provider=cleanup.provider,
            vpc=network.vpc,
            owner_tag_value=Aws.STACK_ID,
            retain_home_file_system=settings.studio.retain_home_file_system,
            dedicated_vpc=settings.network.mode == "dedicated",
        )
        home_cleanup.node.add_dependency(network)
        studio = StudioDomain(
            stack,
            "Studio",
            domain_name=settings.resource_prefix,
            environment_name=settings.name,
            network=network,
            execution_role=foundations.execution_role,
            user_profile_name=settings.studio.user_profile_name,
            canvas_enabled=settings.studio.canvas_enabled,
            app_network_access_type=settings.studio.app_network_access_type,
            home_efs_file_system=settings.studio.home_efs_file_system,
            encryption_key=encryption_key,
        )
        # Created before the domain, so deleted after it: removes the home EFS and NFS groups.
        studio.domain.node.add_dependency(home_cleanup)
        apps_cleanup = StudioAppsCleanup(
            stack,
            "StudioAppsCleanup",
            provider=cleanup.provider,
            domain=studio.domain,
            vpc=network.vpc,
            owner_tag_value=Aws.STACK_ID,
            user_profile_name=settings.studio.user_profile_name,
        )
        # Deleted before the profile and the domain: removes apps and spaces users started.
        apps_cleanup.node.add_dependency(studio.user_profile)

        projects = None
        if settings.studio.projects_and_jumpstart_enabled:
            projects = ProjectsAndJumpStart(
                stack,
                "ProjectsAndJumpStart",
                execution_role=foundations.execution_role,
                owner_tag_value=Aws.STACK_ID,
                encryption_key=encryption_key,
            )
            projects.node.add_dependency(studio.user_profile)
        return cls(
            home_cleanup=home_cleanup, studio=studio, apps_cleanup=apps_cleanup, projects=projects
        )
