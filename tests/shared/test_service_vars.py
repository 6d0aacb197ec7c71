"""itpark.services: group variables of the shared-service roles, translated from the plan (fast, no hosts)."""

from __future__ import annotations

from pathlib import Path

import netaddr
import pytest

from itpark.catalog import resolve_baseline
from itpark.plan import plan_park
from itpark.services import build_service_vars, render_service_inventory, write_service_inventory
from itpark.services.build import reverse_zone

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["danang-itpark", "quangnam-cloud"])
def plan(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return plan_park(ROOT / "stacks" / request.param)


def test_reverse_zone_names() -> None:
    assert reverse_zone("10.40.0.0/16") == "40.10.in-addr.arpa"
    assert reverse_zone("2001:db8:4000::/40") == "0.4.8.b.d.0.1.0.0.2.ip6.arpa"
    assert reverse_zone("10.40.16.0/22") == "40.10.in-addr.arpa"  # whole octets only


def test_every_host_has_forward_and_reverse_records(plan) -> None:  # type: ignore[no-untyped-def]
    zones = {z["name"]: z for z in build_service_vars(plan)["service_dns"]["dns_server_zones"]}
    forward = zones[plan.park.domain]
    records = set(forward["records"])
    reverse = {r for name, z in zones.items() if name != plan.park.domain for r in z["records"]}
    for host in plan.all_hosts():
        label = host.fqdn.removesuffix("." + plan.park.domain)
        assert f"{label} A {host.ipv4}" in records
        assert f"{label} AAAA {host.ipv6}" in records
        for addr in (host.ipv4, host.ipv6):
            ptr = netaddr.IPAddress(addr).reverse_dns.rstrip(".")
            zone = next(n for n in zones if ptr.endswith("." + n))
            assert f"{ptr.removesuffix('.' + zone)} PTR {host.fqdn}." in reverse
    dns = [h for s in plan.services if s.kind == "dns" for h in s.hosts]
    assert forward["nameservers"] == sorted(h.fqdn + "." for h in dns)


def test_clients_ports_and_retention_come_from_plan_and_catalog(plan) -> None:  # type: ignore[no-untyped-def]
    groups = build_service_vars(plan)
    log = groups["service_log"]
    assert f"{log['log_collector_port']}/tcp" in plan.service("log").ports
    served = max(h.level for s in plan.services if s.kind == "log" for h in s.hosts)
    at_level = resolve_baseline(plan.baseline.id).log_retention_months[served]
    longest = max(s.log_retention_months for t in plan.tenants for s in t.systems)
    assert log["log_collector_retention_months"] == max(at_level, longest) == 12  # online services: 12 months
    sites = {s.ipv4_supernet for s in plan.sites} | {s.ipv6_prefix for s in plan.sites}
    assert set(groups["service_dns"]["dns_server_clients"]) <= sites
    assert set(groups["service_ntp"]["ntp_server_clients"]) <= sites
    for host in plan.all_hosts():
        expected = f"{host.tenant or 'shared'}/{host.name}"
        assert log["log_collector_sources"][host.ipv4] == expected
        assert log["log_collector_sources"][host.ipv6] == expected
    targets = groups["service_monitoring"]["monitoring_targets"]
    assert sorted(t["name"] for t in targets) == sorted(h.name for h in plan.all_hosts())
    assert {t["port"] for t in targets} == {groups["all"]["node_exporter_port"]} == {9100}


def test_bastion_mfa_follows_the_catalog(plan) -> None:  # type: ignore[no-untyped-def]
    level = max(h.level for s in plan.services if s.kind == "bastion" for h in s.hosts)
    applies = any(c.id == "HOST-04" for c in resolve_baseline(plan.baseline.id).controls_for(level))
    assert build_service_vars(plan)["service_bastion"]["bastion_mfa_required"] is applies


def test_inventory_is_deterministic_and_loadable(plan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    first = write_service_inventory(plan, tmp_path / "a.yml").read_bytes()
    second = write_service_inventory(plan, tmp_path / "b.yml").read_bytes()
    assert first == second == render_service_inventory(plan).encode()
    doc = YAML(typ="safe").load(first)
    assert set(doc["all"]["children"]) >= {"service_dns", "service_ntp", "service_log", "service_bastion"}
    assert b"&id" not in first  # no YAML anchors: every group's data stands alone
