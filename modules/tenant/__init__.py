"""Tenant: the tenant factory. One call per tenant of the plan: its project and quotas, a provider scoped to the
project (every network, port, security group, server and volume of the tenant is created in its own project: Nova
refuses a port of another project), each system's zone networks, router (gateway on the site core at the plan's
fixed addresses), security groups and hosts booted with the plan's user data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from itpark.plan.model import Tenant as PlanTenant
from modules.common import Labels, child
from modules.datacenter import Platform, TenantProject
from modules.hosts import Attachment, Hosts
from modules.network import Network, Resolvers, RouterSpec, Uplink

TYPE = "itpark:tenant:Tenant"


@dataclass(frozen=True, slots=True)
class CoreIds:
    """A site's core network and subnets, as exported by the network layer."""

    network_id: pulumi.Input[str]
    subnet_v4_id: pulumi.Input[str]
    subnet_v6_id: pulumi.Input[str]


class Tenant(pulumi.ComponentResource):
    project: TenantProject
    networks: dict[str, Network]
    hosts: dict[str, Hosts]

    def __init__(
        self,
        tenant: PlanTenant,
        park: str,
        domain_id: pulumi.Input[str],
        cores: Mapping[str, CoreIds],  # keyed by site id
        encrypted_volume_type: str | None = None,
        platform: Platform | None = None,
        resolvers: Mapping[str, Resolvers] | None = None,  # keyed by site id
        user_data: Mapping[str, str] | None = None,  # keyed by host name
        routes: Mapping[str, tuple[tuple[str, str], ...]] | None = None,  # static routes by router name
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, tenant.name, None, opts)
        labels = Labels(park, tenant.name, tenant.owner, 0)
        self.project = TenantProject(tenant, domain_id, labels, platform, opts=child(self))
        project_id = self.project.project.id
        provider = self.project.provider
        self.networks, self.hosts = {}, {}
        for system in tenant.systems:
            sys_labels = labels.with_level(system.level)
            core = cores[system.site]
            uplink = Uplink(
                "core", core.network_id, core.subnet_v4_id, core.subnet_v6_id, system.router_v4, system.router_v6
            )
            router = RouterSpec(
                system.router, uplink, tuple(z.name for z in system.zones), (routes or {}).get(system.router, ())
            )
            # DR networks are kept ready without a router: the plan pins no DR router address.
            net = Network(
                system.key.replace("/", "-"),
                [*system.zones, *system.dr_zones],
                system.security_groups,
                sys_labels,
                routers=[router],
                project_id=project_id,
                resolvers=resolvers,
                provider=provider,
                opts=child(self),
            )
            attachments = {
                h.name: Attachment(
                    net.networks[h.network].id,
                    net.subnets_v4[h.network].id,
                    net.subnets_v6[h.network].id,
                    net.security_groups[h.security_group].id,
                )
                for h in system.hosts
            }
            self.networks[system.id] = net
            self.hosts[system.id] = Hosts(
                system.key.replace("/", "-"),
                system.hosts,
                attachments,
                sys_labels,
                keep_data=not tenant.decommission,
                encrypted_volume_type=encrypted_volume_type,
                project_id=project_id,
                user_data=user_data,
                provider=provider,
                opts=child(self),
            )
        self.register_outputs({"project_id": project_id})
