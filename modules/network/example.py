"""Example: the core network of site dc1 and one system's zone networks, router and security groups."""

from __future__ import annotations

from typing import Any

from modules.common import Labels
from modules.example_plan import example_plan
from modules.network import Network, RouterSpec, SiteCore, Uplink


def main() -> dict[str, Any]:
    plan = example_plan()
    site = plan.sites[0]
    core = SiteCore(
        site, [link for link in plan.links if link.site == site.id], Labels(plan.park.name, "shared", "", 0)
    )
    system = plan.tenant("dana-fintech").systems[0]
    uplink = Uplink("core", core.network.id, core.subnet_v4.id, core.subnet_v6.id, system.router_v4, system.router_v6)
    net = Network(
        "payments",
        system.zones,
        system.security_groups,
        Labels(plan.park.name, "dana-fintech", "example owner", system.level),
        routers=[RouterSpec(system.router, uplink, tuple(z.name for z in system.zones))],
    )
    return {"networks": {name: n.id for name, n in net.networks.items()}}
