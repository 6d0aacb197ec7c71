"""Security groups in the manifest are exactly the plan's; only the DMZ (the WAF) is reachable publicly."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_helpers import PARKS, resources

from itpark.plan import Plan


def _plan_rules(plan: Plan) -> set[tuple[Any, ...]]:
    return {
        (g.name, r.direction, r.ethertype, r.protocol, r.port_min, r.port_max, r.remote_ip_prefix)
        for g in plan.all_security_groups()
        for r in g.rules
    }


@pytest.mark.parametrize("park", PARKS)
def test_every_rule_is_one_the_plan_allowed(park: str, manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    allowed = _plan_rules(plans[park])
    registered = set()
    for _, r in resources(manifests[park], "SecGroupRule"):
        i = r["inputs"]
        group = i["securityGroupId"].removesuffix("-id")  # mocks give a resource the id '<name>-id'
        rule = (group, i["direction"], i["ethertype"], i["protocol"], i.get("portRangeMin"), i.get("portRangeMax"),
                i["remoteIpPrefix"])  # fmt: skip
        assert rule in allowed, f"{r['name']}: not a rule of the plan"
        registered.add(rule)
    assert registered == allowed  # and none of the plan's is missing


@pytest.mark.parametrize("park", PARKS)
def test_groups_drop_openstack_default_rules(park: str, manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    groups = resources(manifests[park], "SecGroup")
    assert {r["name"] for _, r in groups} == {g.name for g in plans[park].all_security_groups()}
    assert all(r["inputs"]["deleteDefaultRules"] is True for _, r in groups)


@pytest.mark.parametrize("park", PARKS)
def test_only_the_dmz_gets_a_public_address(park: str, manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    plan = plans[park]
    public_nets = {s.subnet.name for s in plan.services if s.subnet.public}
    assert public_nets, "the example has a WAF"
    fips = resources(manifests[park], "FloatingIp")
    assert fips, "the WAF's load balancer has a floating IP"
    for stack, fip in fips:
        assert stack == f"{plan.park.name}-shared"
        lb = fip["inputs"]["portId"].removesuffix("-vipPortId")
        assert lb in public_nets, f"floating IP {fip['name']} is on {lb}, not the DMZ"
    links = {f"link-{link.id}-id" for link in plan.links}
    ports = resources(manifests[park], "Port")
    assert ports
    for _, port in ports:
        assert port["inputs"]["networkId"] not in links, f"{port['name']} sits on an external network"
    for _, instance in resources(manifests[park], "Instance"):
        assert [set(n) for n in instance["inputs"]["networks"]] == [{"port"}], instance["name"]


@pytest.mark.parametrize("park", PARKS)
def test_system_routers_use_the_plans_core_addresses(
    park: str, manifests: dict[str, Any], plans: dict[str, Plan]
) -> None:
    routers = {r["name"]: r["inputs"] for _, r in resources(manifests[park], "Router")}
    for tenant in plans[park].tenants:
        for system in tenant.systems:
            fixed = {ip["ipAddress"] for ip in routers[system.router]["externalFixedIps"]}
            assert fixed == {system.router_v4, system.router_v6}
            assert routers[system.router]["externalNetworkId"] == f"core-{system.site}-id"
