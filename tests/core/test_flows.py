"""The flow matrix is default-deny and the security-group rules are exactly what the flows allow."""

from __future__ import annotations

import pytest
from netaddr import IPNetwork

from itpark.plan import Plan, plan_park
from tests.core.conftest import EXAMPLES, ROOT

ANY = {"0.0.0.0/0", "::/0"}


@pytest.fixture(scope="module", params=EXAMPLES)
def plan(request: pytest.FixtureRequest) -> Plan:
    return plan_park(ROOT / "stacks" / request.param)


def test_every_rule_comes_from_a_flow_of_the_plan(plan: Plan) -> None:
    flows = {f.id: f for f in plan.all_flows()}
    assert len(flows) == len(plan.all_flows()), "flow ids are unique"
    for group in plan.all_security_groups():
        for rule in group.rules:
            flow = flows[rule.flow]
            port = (
                "icmp"
                if rule.protocol == "icmp"
                else (
                    f"{rule.port_min}/{rule.protocol}"
                    if rule.port_min == rule.port_max
                    else f"{rule.port_min}-{rule.port_max}/{rule.protocol}"
                )
            )
            assert port in flow.ports, (group.name, rule)


def test_only_the_waf_is_open_to_anywhere_and_only_on_web_ports(plan: Plan) -> None:
    for group in plan.all_security_groups():
        for rule in group.rules:
            if rule.direction == "ingress" and rule.remote_ip_prefix in ANY:
                assert group.service == "waf", (group.name, rule)
                assert (rule.protocol, rule.port_min) in {("tcp", 80), ("tcp", 443)}


def test_ssh_into_tenant_zones_only_from_the_bastion(plan: Plan) -> None:
    bastions = [IPNetwork(s.subnet.ipv4) for s in plan.services if s.kind == "bastion"]
    bastions += [IPNetwork(s.subnet.ipv6) for s in plan.services if s.kind == "bastion"]
    for tenant in plan.tenants:
        for system in tenant.systems:
            for group in system.security_groups:
                ssh = [r for r in group.rules if r.direction == "ingress" and r.port_min == 22]
                assert ssh, f"{group.name}: no administration path"
                assert all(IPNetwork(r.remote_ip_prefix) in bastions for r in ssh), group.name


def test_every_zone_reaches_dns_ntp_and_log_and_nothing_unlisted(plan: Plan) -> None:
    log = [s for s in plan.services if s.kind == "log"]
    for tenant in plan.tenants:
        for system in tenant.systems:
            for group in system.security_groups:
                egress = {(r.protocol, r.port_min) for r in group.rules if r.direction == "egress"}
                assert {("udp", 53), ("udp", 123), ("tcp", 6514)} <= egress, group.name
                to_log = [r for r in group.rules if r.port_min == 6514]
                assert {r.remote_ip_prefix for r in to_log} <= {x for s in log for x in (s.subnet.ipv4, s.subnet.ipv6)}
                assert all(r.remote_ip_prefix not in ANY for r in group.rules), "no rule to or from anywhere"


def test_declared_flows_open_both_ends_dual_stack() -> None:
    plan = plan_park(ROOT / "stacks/danang-itpark")
    system = plan.tenant("dana-fintech").systems[0]
    groups = {g.zone: g for g in system.security_groups}
    zones = {z.zone: z for z in system.zones}
    ingress = {(r.remote_ip_prefix, r.port_min) for r in groups["data"].rules if r.direction == "ingress"}
    assert (zones["app"].ipv4, 5432) in ingress and (zones["app"].ipv6, 5432) in ingress
    egress = {(r.remote_ip_prefix, r.port_min) for r in groups["app"].rules if r.direction == "egress"}
    assert (zones["data"].ipv4, 5432) in egress and (zones["data"].ipv6, 5432) in egress
    # nothing reaches the data zone but the app zone's declared port and the park's own services
    sources = {r.remote_ip_prefix for r in groups["data"].rules if r.direction == "ingress"}
    services = {x for s in plan.services for x in (s.subnet.ipv4, s.subnet.ipv6)}
    assert sources - services == {zones["app"].ipv4, zones["app"].ipv6}


def test_published_dmz_tiers_are_reached_through_the_waf_only() -> None:
    plan = plan_park(ROOT / "stacks/danang-itpark")
    waf = plan.service("waf")
    assert waf is not None
    system = plan.tenant("so-tttt").systems[0]  # internet-facing portal, 443 and 80
    dmz = next(g for g in system.security_groups if g.zone == "dmz")
    web = {(r.remote_ip_prefix, r.port_min) for r in dmz.rules if r.direction == "ingress" and r.port_min in (80, 443)}
    assert web == {(waf.subnet.ipv4, 443), (waf.subnet.ipv6, 443), (waf.subnet.ipv4, 80), (waf.subnet.ipv6, 80)}
    internal = plan.tenant("bql-khu-cntt").systems[0]  # not exposed
    dmz = next(g for g in internal.security_groups if g.zone == "dmz")
    assert not [r for r in dmz.rules if r.direction == "ingress" and r.port_min == 443]


def test_lgsp_and_tslcd_flows_of_the_provincial_cloud() -> None:
    plan = plan_park(ROOT / "stacks/quangnam-cloud")
    lgsp = plan.service("lgsp", "tamky")
    waf = plan.service("waf", "tamky")
    assert lgsp is not None and waf is not None
    exchanging = plan.tenant("so-tnmt").systems[0]
    app = next(g for g in exchanging.security_groups if g.zone == "app")
    assert {(r.remote_ip_prefix, r.port_min) for r in app.rules if r.direction == "egress" and r.port_min == 443} >= {
        (lgsp.subnet.ipv4, 443)
    }
    tslcd = next(link for link in plan.links if link.kind == "tslcd")
    assert any(r.remote_ip_prefix == tslcd.ipv4 and r.direction == "ingress" for r in waf.security_group.rules)
    assert any(r.direction == "egress" and r.port_min == 443 for r in lgsp.security_group.rules)
