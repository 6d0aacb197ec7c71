"""The Pulumi program: reads the stack's `itpark:*` config, plans the park and hands each layer to its component.

Everything here is translation: the plan decides names, addresses, rules and sizes; this file only picks which
part of the plan a stack holds and wires stacks together by StackReference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_openstack as openstack

from itpark.errors import UsageError
from itpark.plan import Plan, plan_park
from itpark.plan.bootstrap import resolvers, user_data
from itpark.plan.model import Host, Service
from itpark.plan.quotas import Size, shared_quota
from itpark.plan.routing import host_routes, neutron_routes, shared_router
from itpark.pulumi.stacks import DEFAULT_ORG, LAYERS, PROJECT, StackSpec, layer_stack
from itpark.spec.loader import load_park
from modules.common import Labels
from modules.datacenter import DataCenter, FlavorSpec, ImageSpec, Platform, lookup_platform
from modules.hosts import Attachment
from modules.network import Network, Resolvers, RouterSpec, SiteCore, Uplink
from modules.shared_services import SharedServices
from modules.tenant import CoreIds, Tenant

INTERNET = "internet"
# Volume type of the cloud's LUKS-encrypted Cinder backend (OpenStack's docs call it LUKS; clouds name it).
DEFAULT_ENCRYPTED_VOLUME_TYPE = "encrypted"
# The identity that runs `pulumi up` and the Keystone role it takes on every project it deploys into.
DEFAULT_PLATFORM_USER = "itpark-platform"
DEFAULT_PLATFORM_ROLE = "member"


@dataclass(frozen=True, slots=True)
class Settings:
    """Stack configuration that is about the target cloud, not the park (so not in the plan)."""

    org: str = DEFAULT_ORG
    encrypted_volume_type: str = DEFAULT_ENCRYPTED_VOLUME_TYPE
    platform_user: str = DEFAULT_PLATFORM_USER
    platform_role: str = DEFAULT_PLATFORM_ROLE

    def platform(self) -> Platform:
        return lookup_platform(self.platform_user, self.platform_role)


def main() -> None:
    """Entry point of `pulumi up` (root __main__.py)."""
    config = pulumi.Config("itpark")
    park_dir = Path(config.require("park"))
    layer = config.require("layer")
    tenant = config.get("tenant")
    # Unset, the organization is the backend's own: yours on Pulumi Cloud, "organization" when self-managed.
    org = config.get("org") or pulumi.get_organization() or DEFAULT_ORG
    settings = Settings(
        org,
        config.get("encryptedVolumeType") or DEFAULT_ENCRYPTED_VOLUME_TYPE,
        config.get("platformUser") or DEFAULT_PLATFORM_USER,
        config.get("platformRole") or DEFAULT_PLATFORM_ROLE,
    )
    plan = plan_park(park_dir)
    name = pulumi.get_stack()
    for key, value in build(plan, StackSpec(name, plan.park.name, layer, tenant), park_dir, settings).items():
        pulumi.export(key, value)


def build(plan: Plan, spec: StackSpec, park_dir: Path, settings: Settings) -> dict[str, Any]:
    """Register one stack's resources; return its outputs."""
    if spec.layer not in LAYERS:
        raise UsageError(f"itpark:layer is {spec.layer!r}; expected one of {', '.join(LAYERS)}")
    if spec.layer == "datacenter":
        return _datacenter(plan, park_dir, settings)
    if spec.layer == "network":
        return _network(plan, settings)
    if spec.layer == "shared":
        return _shared(plan, settings)
    if spec.tenant is None:
        raise UsageError("itpark:tenant is required for a tenant stack")
    return _tenant(plan, spec.tenant, settings)


def _ref(plan: Plan, layer: str, settings: Settings) -> pulumi.StackReference:
    name = layer_stack(plan.park.name, layer)
    return pulumi.StackReference(f"{settings.org}/{PROJECT}/{name}")


def _shared_labels(plan: Plan, level: int = 0) -> Labels:
    return Labels(plan.park.name, "shared", plan.park.operator, level)


def _service_level(service: Service) -> int:
    return max((h.level for h in service.hosts), default=0)


def _site_resolvers(plan: Plan) -> dict[str, Resolvers]:
    out = {}
    for site in plan.sites:
        v4, v6 = resolvers(plan, site.id)
        out[site.id] = Resolvers(tuple(v4), tuple(v6))
    return out


def _routes(plan: Plan) -> dict[str, tuple[tuple[str, str], ...]]:
    """The plan's static routes, by Neutron router name."""
    out: dict[str, list[tuple[str, str]]] = {}
    for route in neutron_routes(plan):
        out.setdefault(route.router, []).append((route.destination, route.next_hop))
    return {name: tuple(r) for name, r in out.items()}


def _user_data(plan: Plan, hosts: list[Host]) -> dict[str, str]:
    return {h.name: user_data(plan, h) for h in hosts}


def _shared_provider(plan: Plan, settings: Settings) -> openstack.Provider:
    """Provider scoped to the shared-services project (the datacenter stack grants the platform its role there)."""
    project_id = _ref(plan, "datacenter", settings).require_output("shared_project_id")
    return openstack.Provider("shared", tenant_id=project_id)


def _datacenter(plan: Plan, park_dir: Path, settings: Settings) -> dict[str, Any]:
    spec = load_park(park_dir).park  # flavors and images are spec data the plan does not carry
    flavors = [FlavorSpec(f.name, f.vcpus, f.ram_mb, f.disk_gb) for f in spec.flavors]
    images = [ImageSpec(i.name, i.url, i.min_disk_gb) for i in spec.images if i.url]
    sizes = {f.name: Size(f.vcpus, f.ram_mb) for f in spec.flavors}
    dc = DataCenter(plan.park.name, plan.park, flavors, images, shared_quota(plan, sizes), settings.platform())
    return {
        "domain_id": dc.domain.id,
        "shared_project_id": dc.shared_project.id,
        "flavor_ids": {name: flavor.id for name, flavor in sorted(dc.flavors.items())},
    }


def _network(plan: Plan, settings: Settings) -> dict[str, Any]:
    provider = _shared_provider(plan, settings)
    shared_project = _ref(plan, "datacenter", settings).require_output("shared_project_id")
    site_resolvers = _site_resolvers(plan)
    routes = _routes(plan)
    cores: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    pools: dict[str, str] = {}
    for site in plan.sites:
        links = [link for link in plan.links if link.site == site.id]
        core = SiteCore(site, links, _shared_labels(plan))
        cores[site.id] = {
            "network_id": core.network.id,
            "subnet_v4_id": core.subnet_v4.id,
            "subnet_v6_id": core.subnet_v6.id,
        }
        internet = next((link for link in links if link.kind == INTERNET), None)
        if internet is not None:
            pools[site.id] = f"link-{internet.id}"
        services = [s for s in plan.services if s.site == site.id]
        if not services:
            continue
        up_core = Uplink(
            "core", core.network.id, core.subnet_v4.id, core.subnet_v6.id, site.shared_router_v4, site.shared_router_v6
        )
        private = tuple(s.subnet.name for s in services if not s.subnet.public)
        joined = tuple((s.subnet.name, s.core_port_v4, s.core_port_v6) for s in services if s.core_port_v4)
        routers = [RouterSpec(shared_router(site), up_core, private, routes.get(shared_router(site), ()), joined)]
        for s in services:  # link routers: gateway on their link, a port on the service network they serve
            for link_id, v4, v6 in s.link_ports:
                link = next(x for x in links if x.id == link_id)
                uplink = Uplink(link.kind, core.links[link_id].id)
                routers.append(RouterSpec(f"link-{link_id}", uplink, (), (), ((s.subnet.name, v4, v6),)))
        public = tuple(s.subnet.name for s in services if s.subnet.public)
        if public and internet is not None:
            routers.append(RouterSpec(f"shared-{site.id}-edge", Uplink(INTERNET, core.links[internet.id].id), public))
        net = Network(
            f"shared-{site.id}",
            [s.subnet for s in services],
            [s.security_group for s in services],
            _shared_labels(plan),
            routers=routers,
            project_id=shared_project,
            group_levels={s.security_group.name: _service_level(s) for s in services},
            resolvers=site_resolvers,
            provider=provider,
            host_routes={s.subnet.name: host_routes(plan, s) for s in services},
        )
        for s in services:
            name = s.subnet.name
            shared[name] = {
                "network_id": net.networks[name].id,
                "subnet_v4_id": net.subnets_v4[name].id,
                "subnet_v6_id": net.subnets_v6[name].id,
                "security_group_id": net.security_groups[s.security_group.name].id,
            }
    return {"cores": cores, "shared_networks": shared, "public_pools": pools}


def _host_outputs(hosts: list[Any]) -> dict[str, Any]:
    return {
        h.name: {"ipv4": h.ipv4, "ipv6": h.ipv6, "fqdn": h.fqdn, "site": h.site, "zone": h.zone, "role": h.role}
        for h in sorted(hosts, key=lambda h: h.name)
    }


def _shared(plan: Plan, settings: Settings) -> dict[str, Any]:
    network = _ref(plan, "network", settings)
    nets = network.require_output("shared_networks")

    def attachment(name: str) -> Attachment:
        entry = nets.apply(lambda n: n[name])
        return Attachment(
            entry.apply(lambda e: str(e["network_id"])),
            entry.apply(lambda e: str(e["subnet_v4_id"])),
            entry.apply(lambda e: str(e["subnet_v6_id"])),
            entry.apply(lambda e: str(e["security_group_id"])),
        )

    pools = {link.site: f"link-{link.id}" for link in plan.links if link.kind == INTERNET}
    attachments = {s.subnet.name: attachment(s.subnet.name) for s in plan.services}
    shared = SharedServices(
        plan.park.name,
        plan.services,
        attachments,
        _shared_labels(plan),
        public_pools=pools,
        encrypted_volume_type=settings.encrypted_volume_type,
        user_data=_user_data(plan, [h for s in plan.services for h in s.hosts]),
        provider=_shared_provider(plan, settings),
    )
    hosts = [h for s in plan.services for h in s.hosts]
    by_kind = {kind: [h.name for h in hosts if h.service == kind] for kind in ("bastion", "log")}
    return {
        "hosts": _host_outputs(hosts),
        "bastion": sorted(by_kind["bastion"]),
        "log_collectors": sorted(by_kind["log"]),
        "load_balancer_vips": {site: lb.vip_address for site, lb in sorted(shared.load_balancers.items())},
        "public_addresses": {site: fip.address for site, fip in sorted(shared.floating_ips.items())},
    }


def _tenant(plan: Plan, name: str, settings: Settings) -> dict[str, Any]:
    try:
        tenant = plan.tenant(name)
    except KeyError:
        raise UsageError(f"itpark:tenant {name!r} is not a tenant of {plan.park.name}") from None
    domain_id = _ref(plan, "datacenter", settings).require_output("domain_id")
    cores_out = _ref(plan, "network", settings).require_output("cores")

    def core(site: str) -> CoreIds:
        entry = cores_out.apply(lambda c: c[site])
        return CoreIds(
            entry.apply(lambda e: str(e["network_id"])),
            entry.apply(lambda e: str(e["subnet_v4_id"])),
            entry.apply(lambda e: str(e["subnet_v6_id"])),
        )

    sites = sorted({s.site for s in tenant.systems})
    component = Tenant(
        tenant,
        plan.park.name,
        domain_id,
        {site: core(site) for site in sites},
        settings.encrypted_volume_type,
        platform=settings.platform(),
        resolvers=_site_resolvers(plan),
        user_data=_user_data(plan, [h for s in tenant.systems for h in s.hosts]),
        routes=_routes(plan),
    )
    return {
        "project_id": component.project.project.id,
        "hosts": _host_outputs([h for s in tenant.systems for h in s.hosts]),
    }
