"""Layer-3 routing, decided from the plan (reasons in docs/architecture.md, "Routing").

Each site's core is a provider VLAN network. On it sit the park's physical core router (the core subnet's
gateway, first address), the shared-services router and every system router, each at an address pinned in the
ledger. Every Neutron router's default route is the core gateway (its external gateway's subnet); static routes
keep the common tenant <-> shared-services traffic on the direct path both ways:

- system router: its site's shared block -> the shared router;
- shared router: every system block at its site -> that system's router;
- the physical core router: every block of its site -> the router that owns it; other sites' supernets -> the
  other site's core gateway (inter-site transit). Operators configure it from `core_routes(plan)`.

Routers never NAT (SNAT off): the park's addresses are routed, not hidden. Egress to the outside is needed only by
the mirror (upstream archive), the DNS resolvers (recursion) and NTP (upstream servers); those leave through the
physical core's own policy, listed by `egress_services(plan)`. Operators reach the bastions from the operators'
prefixes only (the bastion group's rules), routed by the physical core.
"""

from __future__ import annotations

from typing import NamedTuple

from itpark.plan.model import Plan, Service, Site

EGRESS_SERVICES = ("mirror", "dns", "ntp")  # services that must reach outside the park (SNAT at the core)


class Route(NamedTuple):
    router: str  # Neutron router name, or "core-<site>" for the physical core router
    destination: str
    next_hop: str


def shared_router(site: Site) -> str:
    return f"shared-{site.id}"


def _family(cidr: str) -> int:
    return 6 if ":" in cidr else 4


def _hop(v4: str, v6: str, cidr: str) -> str:
    return v6 if _family(cidr) == 6 else v4


def neutron_routes(plan: Plan) -> list[Route]:
    """Static routes of the Neutron routers (system routers and shared routers), sorted."""
    routes: list[Route] = []
    sites = {s.id: s for s in plan.sites}
    has_shared = {s.site for s in plan.services}
    for tenant in plan.tenants:
        for system in tenant.systems:
            site = sites[system.site]
            if system.site not in has_shared:
                continue
            for cidr in (site.shared_v4, site.shared_v6):
                routes.append(Route(system.router, cidr, _hop(site.shared_router_v4, site.shared_router_v6, cidr)))
                routes.append(
                    Route(
                        shared_router(site),
                        system.block_v4 if _family(cidr) == 4 else system.block_v6,
                        _hop(system.router_v4, system.router_v6, cidr),
                    )
                )
    return sorted(routes)


def core_routes(plan: Plan) -> list[Route]:
    """What each site's physical core router must carry: its blocks to their routers, other sites via theirs."""
    routes: list[Route] = []
    for site in plan.sites:
        core = f"core-{site.id}"
        if any(s.site == site.id for s in plan.services):
            routes.append(Route(core, site.shared_v4, site.shared_router_v4))
            routes.append(Route(core, site.shared_v6, site.shared_router_v6))
        for tenant in plan.tenants:
            for system in tenant.systems:
                if system.site == site.id:
                    routes.append(Route(core, system.block_v4, system.router_v4))
                    routes.append(Route(core, system.block_v6, system.router_v6))
        for other in plan.sites:
            if other.id != site.id:
                routes.append(Route(core, other.ipv4_supernet, other.core_gateway_v4))
                routes.append(Route(core, other.ipv6_prefix, other.core_gateway_v6))
    return sorted(routes)


def host_routes(plan: Plan, service: Service) -> list[tuple[str, str]]:
    """Routes handed to the hosts of a service's network: on a public one (gateway: the edge router) the park's
    space via the shared router's port; on a network a link router joins, the link's ranges via that router."""
    routes = []
    if service.core_port_v4:
        for site in plan.sites:
            routes.append((site.ipv4_supernet, service.core_port_v4))
            routes.append((site.ipv6_prefix, service.core_port_v6))
    links = {link.id: link for link in plan.links}
    for link_id, v4, v6 in service.link_ports:
        link = links[link_id]
        routes += [(cidr, v6 if ":" in cidr else v4) for cidr in (link.ipv4, link.ipv6) if cidr]
    return routes


def egress_services(plan: Plan) -> list[str]:
    """Networks that need egress (SNAT at the park core) to reach upstream: mirror, DNS recursion, NTP."""
    return sorted(cidr for s in plan.services if s.kind in EGRESS_SERVICES for cidr in (s.subnet.ipv4, s.subnet.ipv6))
