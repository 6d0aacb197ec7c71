"""Every bundled example validates, plans, and its plan is deterministic and consistent."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from netaddr import IPNetwork, IPSet

from itpark.plan import plan_park
from tests.core.conftest import EXAMPLES, ROOT, run_cli


def test_there_are_two_realistic_examples() -> None:
    assert EXAMPLES == ["danang-itpark", "quangnam-cloud"]
    danang = plan_park(ROOT / "stacks/danang-itpark")
    quangnam = plan_park(ROOT / "stacks/quangnam-cloud")
    assert danang.park.kind == "it-park" and len(danang.tenants) >= 12
    assert {t.kind for t in danang.tenants} == {"agency", "enterprise"}
    assert {s.level for t in danang.tenants for s in t.systems} == {1, 2, 3}
    assert quangnam.park.kind == "provincial-cloud" and len(quangnam.tenants) >= 8
    assert {t.kind for t in quangnam.tenants} == {"agency"}
    assert {3, 4} <= {s.level for t in quangnam.tenants for s in t.systems}
    assert {"lgsp", "sso"} <= {s.kind for s in quangnam.services}
    assert "tslcd" in {link.kind for link in quangnam.links}
    assert quangnam.baseline.id == "tcvn-14423-2026"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_validates_and_ledger_is_current(name: str) -> None:
    result = run_cli("validate", f"stacks/{name}")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    check = run_cli("allocate", "--check", f"stacks/{name}")
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_plan_json_lists_every_tenant_address(name: str) -> None:
    result = run_cli("plan", "--json", f"stacks/{name}")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    tenant_files = sorted(p.stem for p in (ROOT / "stacks" / name / "tenants").glob("*.yaml"))
    assert [t["name"] for t in data["tenants"]] == tenant_files
    for tenant in data["tenants"]:
        for system in tenant["systems"]:
            block4, block6 = IPNetwork(system["block_v4"]), IPNetwork(system["block_v6"])
            for zone in system["zones"]:
                assert IPNetwork(zone["ipv4"]) in block4 and IPNetwork(zone["ipv6"]) in block6
            zones = {z["zone"]: z for z in system["zones"]}
            for host in system["hosts"]:
                zone = zones[host["zone"]]
                assert host["ipv4"] in IPNetwork(zone["ipv4"]) and host["ipv6"] in IPNetwork(zone["ipv6"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_plan_is_byte_identical_across_runs_and_tenant_file_order(name: str, tmp_path: Path) -> None:
    first = run_cli("plan", "--json", f"stacks/{name}").stdout
    assert first == run_cli("plan", "--json", f"stacks/{name}").stdout
    # the same park written file by file in a shuffled order (directory order differs)
    source = ROOT / "stacks" / name
    target = tmp_path / name
    (target / "tenants").mkdir(parents=True)
    shutil.copy(source / "park.yaml", target / "park.yaml")
    shutil.copytree(source / "ledger", target / "ledger")
    files = sorted((source / "tenants").glob("*.yaml"))
    random.Random(7).shuffle(files)
    for path in files:
        shutil.copy(path, target / "tenants" / path.name)
    assert run_cli("plan", "--json", str(target)).stdout == first


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_two_allocations_overlap(name: str) -> None:
    plan = plan_park(ROOT / "stacks" / name)
    blocks = [e for e in plan.ledger if not e.key.startswith(("host:", "router:"))]
    for family in ("ipv4", "ipv6"):
        seen = IPSet()
        for entry in blocks:
            net = IPNetwork(getattr(entry, family))
            if entry.key.endswith("/core") and family == "ipv6":
                continue  # the core /64 sits inside the shared /56 by design
            assert not (seen & IPSet([net])), f"{entry.key} overlaps"
            seen.add(net)
    addresses = [e.ipv4 for e in plan.ledger if e.key.startswith(("host:", "router:"))]
    assert len(addresses) == len(set(addresses))
    hosts = plan.all_hosts()
    assert len({h.name for h in hosts}) == len(hosts)
    assert len({h.ipv6 for h in hosts}) == len(hosts)


def test_zones_follow_the_baseline_zone_model() -> None:
    danang = plan_park(ROOT / "stacks/danang-itpark")
    for tenant in danang.tenants:
        for system in tenant.systems:
            zones = [z.zone for z in system.zones]
            required = {1: ["app"], 2: ["dmz", "app"], 3: ["dmz", "app", "data", "mgmt", "security"]}[system.level]
            assert set(required) <= set(zones)
    quangnam = plan_park(ROOT / "stacks/quangnam-cloud")
    level4 = [s for t in quangnam.tenants for s in t.systems if s.level == 4]
    assert level4 and all("devtest" in [z.zone for z in s.zones] for s in level4)
    assert all(s.dr_zones and s.dr_block_v4 for s in level4)


def test_controls_are_those_of_the_level_and_baseline() -> None:
    plan = plan_park(ROOT / "stacks/quangnam-cloud")
    system = next(s for t in plan.tenants for s in t.systems if s.level == 2)
    ids = {c.id for c in system.controls}
    assert "HOST-04" in ids  # the stricter baseline requires admin MFA from level 1
    assert "NET-19" not in ids  # DR site only from level 4
    danang = plan_park(ROOT / "stacks/danang-itpark")
    level1 = next(s for t in danang.tenants for s in t.systems if s.level == 1)
    assert "HOST-04" in {c.id for c in level1.controls}  # TCVN 14423:2026 (secondary reading): MFA from level 1
    assert level1.log_retention_months == 0
    land = next(s for t in plan.tenants for s in t.systems if s.key == "so-tnmt/land")
    assert (land.level, land.exposure, land.log_retention_months) == (3, ("lgsp",), 3)
    online = next(s for t in danang.tenants for s in t.systems if s.level == 3 and "internet" in s.exposure)
    assert online.log_retention_months == 12  # online services: Decree 333/2026 Art 16.6


def test_storage_layout_is_the_parks_and_changes_no_address(tmp_path: Path) -> None:
    """The park decides the filesystems of level 3+ hosts; a new layout resizes their system volume only."""
    copy = tmp_path / "danang-itpark"
    shutil.copytree(ROOT / "stacks/danang-itpark", copy)
    park = copy / "park.yaml"
    layout = (
        "  storage: {mounts: [{path: /var/log, size_gb: 40, options: [nodev]}, {path: /var/log/audit, size_gb: 10}]}\n"
    )
    park.write_text(park.read_text().replace("  image: debian-12\n", "  image: debian-12\n" + layout, 1))
    before, after = plan_park(ROOT / "stacks/danang-itpark"), plan_park(copy)
    assert [(h.name, h.ipv4, h.ipv6) for h in before.all_hosts()] == [
        (h.name, h.ipv4, h.ipv6) for h in after.all_hosts()
    ]
    for host in after.all_hosts():
        if host.level >= 3:
            assert [(m.path, m.lv, m.size_gb, m.options) for m in host.mounts] == [
                ("/var/log", "var_log", 40, ("nodev",)),
                ("/var/log/audit", "var_log_audit", 10, ()),
            ]
            assert host.system_volume_gb == 51
        else:
            assert host.mounts == () and host.system_volume_gb == 0
    assert any(h.level >= 3 for h in after.all_hosts()) and any(h.level < 3 for h in after.all_hosts())
