"""Network components. SiteCore: a site's core (transit) network, a provider VLAN network, and its external
links (flat or VLAN provider networks, as the plan says). Network: dual-stack zone networks handing out the park's
resolvers, their routers (gateway on an uplink at the plan's fixed addresses) and security groups with exactly the
plan's rules (OpenStack's default egress rules deleted).

Zone networks, subnets and security groups are created with the owning project's scoped `provider`; routers and
their interfaces with the platform's admin scope and the owner's `tenant_id`, because Neutron lets only an admin
pin a gateway's external fixed address or set SNAT (`create_router:external_gateway_info:external_fixed_ips`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack
from netaddr import IPNetwork

from itpark.plan.addressing import DHCP_OFFSETS, address_at
from itpark.plan.model import Link, Rule, SecurityGroup, Site, Subnet
from modules.common import Labels, child

CORE_TYPE = "itpark:network:SiteCore"
TYPE = "itpark:network:Network"
IPV6_MODE = "dhcpv6-stateful"  # the plan's choice (pinned IPv6 addresses): itpark.plan.build.IPV6_ADDRESS_MODE


@dataclass(frozen=True, slots=True)
class Uplink:
    """The external network a router's gateway sits on, and the gateway's fixed addresses if the plan pins them."""

    kind: str  # "core" or a link kind such as "internet"
    network_id: pulumi.Input[str]
    subnet_v4_id: pulumi.Input[str] | None = None
    subnet_v6_id: pulumi.Input[str] | None = None
    ipv4: str | None = None
    ipv6: str | None = None


@dataclass(frozen=True, slots=True)
class RouterSpec:
    name: str
    uplink: Uplink
    subnets: tuple[str, ...]  # names of the zone networks it routes (its interface at each subnet's gateway)
    routes: tuple[tuple[str, str], ...] = ()  # static routes: (destination CIDR, next hop), from the plan
    # Networks it joins at a pinned address instead of the gateway (network name, IPv4, IPv6).
    ports: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Resolvers:
    """The park resolvers a site's subnets hand out by DHCP (itpark.plan.bootstrap.resolvers)."""

    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()


def _dual_stack(
    parent: pulumi.Resource,
    network: openstack.networking.Network,
    subnet: Subnet,
    tags: list[str],
    project_id: pulumi.Input[str] | None,
    resolvers: Resolvers,
    provider: pulumi.ProviderResource | None,
    routes: Sequence[tuple[str, str]] = (),
) -> tuple[openstack.networking.Subnet, openstack.networking.Subnet]:
    v4 = openstack.networking.Subnet(
        f"{subnet.name}-v4",
        name=f"{subnet.name}-v4",
        network_id=network.id,
        ip_version=4,
        cidr=subnet.ipv4,
        gateway_ip=subnet.gateway_v4,
        allocation_pools=[{"start": subnet.dhcp_v4[0], "end": subnet.dhcp_v4[1]}],
        enable_dhcp=True,
        dns_nameservers=list(resolvers.ipv4) or None,
        tenant_id=project_id,
        tags=tags,
        opts=child(parent, provider=provider),
    )
    v6 = openstack.networking.Subnet(
        f"{subnet.name}-v6",
        name=f"{subnet.name}-v6",
        network_id=network.id,
        ip_version=6,
        cidr=subnet.ipv6,
        gateway_ip=subnet.gateway_v6,
        ipv6_address_mode=IPV6_MODE,
        ipv6_ra_mode=IPV6_MODE,
        enable_dhcp=True,
        dns_nameservers=list(resolvers.ipv6) or None,
        tenant_id=project_id,
        tags=tags,
        opts=child(parent, provider=provider),
    )
    for destination, next_hop in routes:  # routes DHCP hands to the hosts (option 121 / host routes)
        openstack.networking.SubnetRoute(
            f"{subnet.name}/{destination}",
            subnet_id=(v6 if ":" in destination else v4).id,
            destination_cidr=destination,
            next_hop=next_hop,
            opts=child(parent, provider=provider),
        )
    return v4, v6


def rule_name(group: str, rule: Rule) -> str:
    """Stable logical name of a rule: its content, so adding a rule never renames the others."""
    ports = "any" if rule.port_min is None else f"{rule.port_min}-{rule.port_max}"
    return f"{group}/{rule.direction}/{rule.ethertype}/{rule.protocol}/{ports}/{rule.remote_ip_prefix}/{rule.flow}"


def _core_pool(cidr: str) -> list[openstack.networking.SubnetAllocationPoolArgsDict]:
    """Neutron picks unpinned core addresses only from the reserved offsets, never from those the ledger pins."""
    start, end = (address_at(IPNetwork(cidr), o) for o in DHCP_OFFSETS)
    return [{"start": start, "end": end}]


def _segment(link: Link) -> openstack.networking.NetworkSegmentArgsDict:
    segment: openstack.networking.NetworkSegmentArgsDict = {
        "network_type": link.network_type,
        "physical_network": link.physical_network,
    }
    if link.segmentation_id is not None:
        segment["segmentation_id"] = link.segmentation_id
    return segment


class SiteCore(pulumi.ComponentResource):
    """A site's core network (system routers' gateways live here) and the provider networks of its links."""

    network: openstack.networking.Network
    subnet_v4: openstack.networking.Subnet
    subnet_v6: openstack.networking.Subnet
    links: dict[str, openstack.networking.Network]

    def __init__(
        self, site: Site, links: Sequence[Link], labels: Labels, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(CORE_TYPE, site.id, None, opts)
        tags = labels.tags(site=site.id, zone="core")
        name = f"core-{site.id}"
        self.network = openstack.networking.Network(
            name,
            name=name,
            external=True,
            description=site.title,
            segments=[
                {
                    "network_type": "vlan",
                    "physical_network": site.core_physical_network,
                    "segmentation_id": site.core_vlan,
                }
            ],
            tags=tags,
            opts=child(self),
        )
        self.subnet_v4 = openstack.networking.Subnet(
            f"{name}-v4",
            name=f"{name}-v4",
            network_id=self.network.id,
            ip_version=4,
            cidr=site.core_v4,
            gateway_ip=site.core_gateway_v4 or None,
            allocation_pools=_core_pool(site.core_v4),
            enable_dhcp=False,
            tags=tags,
            opts=child(self),
        )
        self.subnet_v6 = openstack.networking.Subnet(
            f"{name}-v6",
            name=f"{name}-v6",
            network_id=self.network.id,
            ip_version=6,
            cidr=site.core_v6,
            gateway_ip=site.core_gateway_v6 or None,
            allocation_pools=_core_pool(site.core_v6),
            enable_dhcp=False,
            tags=tags,
            opts=child(self),
        )
        self.links = {}
        for link in links:
            link_tags = labels.tags(site=site.id, zone="link", link=link.kind)
            net = openstack.networking.Network(
                f"link-{link.id}",
                name=f"link-{link.id}",
                external=True,
                description=link.title,
                segments=[_segment(link)],
                tags=link_tags,
                opts=child(self),
            )
            for version, cidr in ((4, link.ipv4), (6, link.ipv6)):
                if cidr:
                    openstack.networking.Subnet(
                        f"link-{link.id}-v{version}",
                        name=f"link-{link.id}-v{version}",
                        network_id=net.id,
                        ip_version=version,
                        cidr=cidr,
                        enable_dhcp=False,
                        tags=link_tags,
                        opts=child(self),
                    )
            self.links[link.id] = net
        self.register_outputs({"network_id": self.network.id})


class Network(pulumi.ComponentResource):
    """Zone networks with dual-stack subnets, the routers that serve them, and security groups."""

    networks: dict[str, openstack.networking.Network]
    subnets_v4: dict[str, openstack.networking.Subnet]
    subnets_v6: dict[str, openstack.networking.Subnet]
    security_groups: dict[str, openstack.networking.SecGroup]

    def __init__(
        self,
        name: str,
        subnets: Sequence[Subnet],
        groups: Sequence[SecurityGroup],
        labels: Labels,
        routers: Sequence[RouterSpec] = (),
        project_id: pulumi.Input[str] | None = None,
        group_levels: Mapping[str, int] | None = None,
        resolvers: Mapping[str, Resolvers] | None = None,  # keyed by site id
        provider: pulumi.ProviderResource | None = None,  # scoped to the owning project
        host_routes: Mapping[str, Sequence[tuple[str, str]]] | None = None,  # keyed by network name
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.provider = provider
        self.networks, self.subnets_v4, self.subnets_v6 = {}, {}, {}
        for subnet in subnets:
            tags = labels.tags(site=subnet.site, zone=subnet.zone)
            net = openstack.networking.Network(
                subnet.name,
                name=subnet.name,
                external=False,
                tenant_id=project_id,
                tags=tags,
                opts=child(self, provider=provider),
            )
            self.networks[subnet.name] = net
            self.subnets_v4[subnet.name], self.subnets_v6[subnet.name] = _dual_stack(
                self,
                net,
                subnet,
                tags,
                project_id,
                (resolvers or {}).get(subnet.site, Resolvers()),
                provider,
                (host_routes or {}).get(subnet.name, ()),
            )
        zones = {s.name: s.zone for s in subnets}
        for spec in routers:
            self._router(
                spec, labels.tags(uplink=spec.uplink.kind, zones=",".join(zones[n] for n in spec.subnets)), project_id
            )
        self.security_groups = {}
        for group in groups:
            level = (group_levels or {}).get(group.name, labels.level)
            self.security_groups[group.name] = self._group(group, labels.with_level(level), project_id)
        self.register_outputs({"networks": {n: net.id for n, net in self.networks.items()}})

    def _router(self, spec: RouterSpec, tags: list[str], project_id: pulumi.Input[str] | None) -> None:
        up = spec.uplink
        fixed: list[openstack.networking.RouterExternalFixedIpArgsDict] = []
        if up.ipv4 and up.subnet_v4_id is not None:
            fixed.append({"subnet_id": up.subnet_v4_id, "ip_address": up.ipv4})
        if up.ipv6 and up.subnet_v6_id is not None:
            fixed.append({"subnet_id": up.subnet_v6_id, "ip_address": up.ipv6})
        router = openstack.networking.Router(
            spec.name,
            name=spec.name,
            external_network_id=up.network_id,
            external_fixed_ips=fixed or None,
            enable_snat=False,
            tenant_id=project_id,
            tags=tags,
            opts=child(self),
        )
        for net in spec.subnets:
            for version, subnet in (("v4", self.subnets_v4[net]), ("v6", self.subnets_v6[net])):
                openstack.networking.RouterInterface(
                    f"{spec.name}-{net}-{version}", router_id=router.id, subnet_id=subnet.id, opts=child(self)
                )
        for net, ipv4, ipv6 in spec.ports:
            port = openstack.networking.Port(
                f"{spec.name}-{net}",
                name=f"{spec.name}-{net}",
                network_id=self.networks[net].id,
                fixed_ips=[
                    {"subnet_id": self.subnets_v4[net].id, "ip_address": ipv4},
                    {"subnet_id": self.subnets_v6[net].id, "ip_address": ipv6},
                ],
                tenant_id=project_id,
                tags=tags,
                opts=child(self, provider=self.provider),
            )
            openstack.networking.RouterInterface(
                f"{spec.name}-{net}", router_id=router.id, port_id=port.id, opts=child(self)
            )
        if spec.routes:  # one resource per router: adding a system updates it in place, no route races
            openstack.networking.RouterRoutesV2(
                spec.name,
                router_id=router.id,
                routes=[{"destination_cidr": d, "next_hop": h} for d, h in spec.routes],
                opts=child(self),
            )

    def _group(
        self, group: SecurityGroup, labels: Labels, project_id: pulumi.Input[str] | None
    ) -> openstack.networking.SecGroup:
        sg = openstack.networking.SecGroup(
            group.name,
            name=group.name,
            description=group.description,
            delete_default_rules=True,
            tenant_id=project_id,
            tags=labels.tags(site=group.site, zone=group.zone or "shared"),
            opts=child(self, provider=self.provider),
        )
        for rule in group.rules:
            openstack.networking.SecGroupRule(
                rule_name(group.name, rule),
                security_group_id=sg.id,
                direction=rule.direction,
                ethertype=rule.ethertype,
                protocol=rule.protocol,
                port_range_min=rule.port_min,
                port_range_max=rule.port_max,
                remote_ip_prefix=rule.remote_ip_prefix,
                description=rule.description,
                tenant_id=project_id,
                opts=child(self, provider=self.provider),
            )
        return sg
