"""DataCenter: the park's identity domain, its shared-services project (with its own quotas), flavors and images;
TenantProject: one tenant's project and quotas (registered by the tenant's own stack so no stack grows with the
tenant count). Domain and projects are protected. `scoped_provider` gives the platform identity a role on a
project and returns an `openstack.Provider` scoped to it: everything a project owns is created through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from itpark.plan.model import ParkInfo, Quota, Tenant
from modules.common import Labels, child

TYPE = "itpark:datacenter:DataCenter"
PROJECT_TYPE = "itpark:datacenter:TenantProject"


@dataclass(frozen=True, slots=True)
class Platform:
    """The identity that runs `pulumi up` (admin in the park's domain) and the role it takes on each project."""

    user_id: pulumi.Input[str]
    role_id: pulumi.Input[str]


def lookup_platform(user: str, role: str) -> Platform:
    """Keystone ids of the platform user and of the role it gets on projects, by name."""
    return Platform(
        openstack.identity.get_user_output(name=user).id,
        openstack.identity.get_role_output(name=role).id,
    )


def scoped_provider(
    name: str, parent: pulumi.Resource, project_id: pulumi.Input[str], platform: Platform | None = None
) -> openstack.Provider:
    """A provider scoped to a project, after the platform identity's role assignment on it when `platform` is
    given (the shared project's is made by the datacenter stack). The other credentials come from the usual OS_*
    variables or clouds.yaml; an application credential cannot be rescoped, so the platform identity is a user
    (docs/pulumi.md)."""
    depends: list[pulumi.Resource] = []
    if platform is not None:
        depends.append(
            openstack.identity.RoleAssignment(
                f"{name}-platform",
                project_id=project_id,
                user_id=platform.user_id,
                role_id=platform.role_id,
                opts=child(parent),
            )
        )
    return openstack.Provider(name, tenant_id=project_id, opts=child(parent, depends_on=depends or None))


def _quota_sets(name: str, parent: pulumi.Resource, project_id: pulumi.Input[str], quota: Quota) -> None:
    openstack.compute.QuotaSetV2(
        f"{name}-compute",
        project_id=project_id,
        instances=quota.instances,
        cores=quota.cores,
        ram=quota.ram_mb,
        floating_ips=quota.floating_ips,
        security_groups=quota.security_groups,
        security_group_rules=quota.security_group_rules,
        opts=child(parent),
    )
    openstack.networking.QuotaV2(
        f"{name}-network",
        project_id=project_id,
        floatingip=quota.floating_ips,
        security_group=quota.security_groups,
        security_group_rule=quota.security_group_rules,
        opts=child(parent),
    )
    openstack.blockstorage.QuoteSetV3(
        f"{name}-volume",
        project_id=project_id,
        volumes=quota.volumes,
        gigabytes=quota.volume_gb,
        opts=child(parent),
    )


def _protected(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, protect=True)


@dataclass(frozen=True, slots=True)
class FlavorSpec:
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int


@dataclass(frozen=True, slots=True)
class ImageSpec:
    name: str
    url: str  # only images with a mirror URL are uploaded; others must already exist in Glance
    min_disk_gb: int


class DataCenter(pulumi.ComponentResource):
    domain: openstack.identity.Project
    shared_project: openstack.identity.Project
    flavors: dict[str, openstack.compute.Flavor]

    def __init__(
        self,
        name: str,
        park: ParkInfo,
        flavors: Sequence[FlavorSpec],
        images: Sequence[ImageSpec],
        shared_quota: Quota | None = None,
        platform: Platform | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        labels = Labels(park.name, "shared", park.operator, 0)
        self.domain = openstack.identity.Project(
            park.name,
            name=park.name,
            is_domain=True,
            description=park.title,
            tags=labels.tags(),
            opts=_protected(self),
        )
        self.shared_project = openstack.identity.Project(
            f"{park.name}-shared",
            name=f"{park.name}-shared",
            domain_id=self.domain.id,
            description=f"{park.title}: shared services",
            tags=labels.tags(),
            opts=_protected(self),
        )
        if shared_quota is not None:
            _quota_sets(f"{park.name}-shared", self, self.shared_project.id, shared_quota)
        if platform is not None:
            openstack.identity.RoleAssignment(
                f"{park.name}-shared-platform",
                project_id=self.shared_project.id,
                user_id=platform.user_id,
                role_id=platform.role_id,
                opts=child(self),
            )
        self.flavors = {
            f.name: openstack.compute.Flavor(
                f.name, name=f.name, vcpus=f.vcpus, ram=f.ram_mb, disk=f.disk_gb, is_public=True, opts=child(self)
            )
            for f in flavors
        }
        for image in images:
            openstack.images.Image(
                image.name,
                name=image.name,
                image_source_url=image.url,
                container_format="bare",
                disk_format="qcow2",
                min_disk_gb=image.min_disk_gb,
                visibility="public",
                tags=labels.tags(),
                opts=child(self),
            )
        self.register_outputs({"domain_id": self.domain.id, "shared_project_id": self.shared_project.id})


class TenantProject(pulumi.ComponentResource):
    """A tenant's Keystone project with compute, network and block-storage quotas exactly as planned."""

    project: openstack.identity.Project
    provider: openstack.Provider | None

    def __init__(
        self,
        tenant: Tenant,
        domain_id: pulumi.Input[str],
        labels: Labels,
        platform: Platform | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(PROJECT_TYPE, tenant.name, None, opts)
        self.project = openstack.identity.Project(
            tenant.name,
            name=tenant.name,
            domain_id=domain_id,
            description=tenant.title,
            tags=labels.tags(),
            opts=_protected(self),
        )
        _quota_sets(tenant.name, self, self.project.id, tenant.quota)
        self.provider = None if platform is None else scoped_provider(tenant.name, self, self.project.id, platform)
        self.register_outputs({"project_id": self.project.id})
