"""The Pulumi program's manifest of a small park, replayed against a real OpenStack control plane (issue #12).

Every resource must be accepted (no PortNotUsable, no duplicate rule, no quota or physnet error); read back from
the APIs, each server's ports are in its own project, every plan flow has a layer-3 path both ways, and every
security group holds exactly the plan's rules.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.openstack.paths import Topology
from tests.openstack.replay import INSTANCE, LISTENER, LOADBALANCER, POOL, Replay, Report

pytestmark = pytest.mark.slow
# Measured on main before the program's #12 fixes (tests/openstack/README.md): non-strict, so they turn into passes
# as the fixes land, and name what OpenStack refused until then.
BEFORE_FIXES = pytest.mark.xfail(
    strict=False,
    reason="issue #12, replayed on main before the program's fixes: shared services and tenant volumes are created "
    "in the deploying project, whose default quotas refuse them (409 quota exceeded for security groups and rules, "
    "413 volumes and gigabytes); link-tslcd is a second flat network on physnet-tslcd (409 physical network in use); "
    "tenant servers are created in the deploying project while their ports are in the tenant's, so every build "
    "fails with PortNotUsable (MaxRetriesExceeded)",
)
OCTAVIA = {LOADBALANCER, LISTENER, POOL, "openstack:loadbalancer/member:Member"}


@pytest.fixture(scope="package")
def applied(cloud: dict[str, Any], manifest: dict[str, Any]) -> tuple[Replay, Report]:
    replay = Replay(cloud["platform_auth"], budget=float(os.environ.get("ITPARK_OPENSTACK_BUDGET", "300")))
    report = replay.apply(manifest)
    sys.stderr.write(f"\ncontrol plane start: {cloud['start_seconds']} s\n{report.summary()}\n")
    return replay, report


@pytest.fixture(scope="package")
def admin(cloud: dict[str, Any]) -> Any:
    import openstack

    return openstack.connect(**cloud["auth"])


def test_every_api_answers(admin: Any, cloud: dict[str, Any]) -> None:
    kinds = {s.type for s in admin.identity.services()}
    assert {"identity", "compute", "network", "volumev3", "placement", "image"} <= kinds
    assert len([s for s in admin.compute.services() if s.binary == "nova-compute" and s.state == "up"]) == 4
    assert len([a for a in admin.network.agents() if a.is_alive]) == 4
    zones = {z.name for z in admin.compute.availability_zones()}
    assert set(cloud["azs"]) <= zones


@BEFORE_FIXES
def test_every_resource_accepted(applied: tuple[Replay, Report]) -> None:
    _, report = applied
    refused = [
        f"{o.status} {o.key}: {o.detail}"
        for o in report.outcomes
        if o.status in ("rejected", "untranslated", "skipped")
    ]
    assert not refused, f"{len(refused)} of {len(report.outcomes)} not accepted:\n" + "\n".join(refused[:40])
    # Only Octavia's resources (and what hangs off them) may go unproven, and only for want of the service.
    unproven = [
        o
        for o in report.by_status("unsupported")
        if o.type not in OCTAVIA and "loadbalancer" not in o.detail and "Octavia" not in o.detail
    ]
    assert not unproven, unproven
    assert report.applied_per_type()["Instance"] > 0


@BEFORE_FIXES
def test_server_ports_in_its_own_project(applied: tuple[Replay, Report], admin: Any) -> None:
    _, report = applied
    servers = list(admin.compute.servers(all_projects=True))
    expected = {o.id for o in report.outcomes if o.type == INSTANCE and o.status == "applied"}
    assert expected and expected <= {s.id for s in servers}
    wrong = []
    for server in servers:
        assert server.status == "ACTIVE", f"{server.name}: {server.status} {server.fault}"
        ports = list(admin.network.ports(device_id=server.id))
        assert ports, f"{server.name} has no port"
        wrong += [
            f"{server.name} ({server.project_id}): port {p.name} in {p.project_id}"
            for p in ports
            if p.project_id != server.project_id
        ]
        for att in server.attached_volumes or []:
            volume = admin.block_storage.get_volume(att["id"])
            if volume.project_id != server.project_id:
                wrong.append(f"{server.name}: volume {volume.name} in {volume.project_id}")
    assert not wrong, "\n".join(wrong)


def _plan(small_park: Path) -> Any:
    from itpark.plan import plan_park

    return plan_park(small_park)


def _rule_key(direction: str, ethertype: str, protocol: Any, pmin: Any, pmax: Any, prefix: Any) -> tuple:
    return (direction, ethertype, protocol or None, pmin, pmax, prefix)


@BEFORE_FIXES
def test_security_groups_equal_the_plan(applied: tuple[Replay, Report], admin: Any, small_park: Path) -> None:
    plan = _plan(small_park)
    groups: dict[str, list[Any]] = {}
    for group in admin.network.security_groups():
        groups.setdefault(group.name, []).append(group)
    problems = []
    for planned in plan.all_security_groups():
        found = groups.get(planned.name, [])
        if len(found) != 1:
            problems.append(f"{planned.name}: {len(found)} groups of that name")
            continue
        actual = {
            _rule_key(
                r["direction"],
                r["ethertype"],
                r["protocol"],
                r["port_range_min"],
                r["port_range_max"],
                r["remote_ip_prefix"],
            )
            for r in found[0].security_group_rules
        }
        wanted = {
            _rule_key(r.direction, r.ethertype, r.protocol, r.port_min, r.port_max, r.remote_ip_prefix)
            for r in planned.rules
        }
        if actual != wanted:
            problems.append(
                f"{planned.name}: missing {sorted(wanted - actual, key=str)[:3]}, "
                f"extra {sorted(actual - wanted, key=str)[:3]}"
            )
    assert not problems, "\n".join(problems)


@BEFORE_FIXES
def test_every_flow_has_a_layer3_path(applied: tuple[Replay, Report], admin: Any, small_park: Path) -> None:
    """Each egress rule of each group: from every port in the group to the rule's prefix, and the reply back."""
    topo = Topology.read(admin)
    by_group: dict[str, list[str]] = {}
    for port in admin.network.ports():
        if port.device_owner and port.device_owner.startswith("compute:"):
            for group in port.security_group_ids or []:
                by_group.setdefault(group, []).extend(ip["ip_address"] for ip in port.fixed_ips)
    names = {g.id: g.name for g in admin.network.security_groups()}
    missing = []
    checked = 0
    for group_id, addresses in by_group.items():
        group = admin.network.get_security_group(group_id)
        for rule in group.security_group_rules:
            prefix = rule["remote_ip_prefix"]
            if rule["direction"] != "egress" or not prefix:
                continue
            for address in addresses:
                if (":" in address) != (rule["ethertype"] == "IPv6"):
                    continue
                targets = [s["cidr"] for s in topo.inside(prefix)] if not prefix.endswith("/0") else [prefix]
                for target in targets or [prefix]:
                    checked += 1
                    ok, why = topo.path(address, target)
                    if ok and target in topo.cidrs():  # inside the cloud: the reply must come back too
                        ok, why = topo.path(topo.host_in(target), address)
                        why = f"reply: {why}"
                    if not ok:
                        missing.append(f"{names.get(group_id)} {address} -> {target}: {why}")
    assert checked, "no flow was checked"
    assert not missing, f"{len(missing)} of {checked} flows have no path:\n" + "\n".join(sorted(set(missing))[:40])


def test_replay_timings_are_reported(applied: tuple[Replay, Report], cloud: dict[str, Any]) -> None:
    _, report = applied
    assert cloud["start_seconds"] > 0 and report.seconds > 0
