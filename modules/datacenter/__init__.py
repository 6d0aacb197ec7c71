"""DataCenter: the park's identity domain, its shared-services project, flavors and images; TenantProject: one
tenant's project and quotas (registered by the tenant's own stack so no stack grows with the tenant count)."""

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
            opts=child(self),
        )
        self.shared_project = openstack.identity.Project(
            f"{park.name}-shared",
            name=f"{park.name}-shared",
            domain_id=self.domain.id,
            description=f"{park.title}: shared services",
            tags=labels.tags(),
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

    def __init__(
        self, tenant: Tenant, domain_id: pulumi.Input[str], labels: Labels, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(PROJECT_TYPE, tenant.name, None, opts)
        quota: Quota = tenant.quota
        self.project = openstack.identity.Project(
            tenant.name,
            name=tenant.name,
            domain_id=domain_id,
            description=tenant.title,
            tags=labels.tags(),
            opts=child(self),
        )
        openstack.compute.QuotaSetV2(
            f"{tenant.name}-compute",
            project_id=self.project.id,
            instances=quota.instances,
            cores=quota.cores,
            ram=quota.ram_mb,
            floating_ips=quota.floating_ips,
            security_groups=quota.security_groups,
            security_group_rules=quota.security_group_rules,
            opts=child(self),
        )
        openstack.networking.QuotaV2(
            f"{tenant.name}-network",
            project_id=self.project.id,
            floatingip=quota.floating_ips,
            security_group=quota.security_groups,
            security_group_rule=quota.security_group_rules,
            opts=child(self),
        )
        openstack.blockstorage.QuoteSetV3(
            f"{tenant.name}-volume",
            project_id=self.project.id,
            volumes=quota.volumes,
            gigabytes=quota.volume_gb,
            opts=child(self),
        )
        self.register_outputs({"project_id": self.project.id})
