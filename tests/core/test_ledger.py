"""The ledger: adding a tenant never renumbers anyone, removing one retires (never frees) its addresses."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netaddr import IPNetwork

from itpark.errors import SpecError
from itpark.plan import plan_park
from itpark.plan.ledger import ledger_changes_on_disk, read_ledger, render_ledger, write_ledger
from itpark.plan.model import Plan
from tests.core.conftest import run_cli

PARK = """\
name: prop-park
title: Property park
kind: it-park
province: Test
domain: prop.internal
sites:
  - {id: dc1, title: One, ipv4_supernet: 10.9.0.0/19, ipv6_prefix: "2001:db8:9000::/44"}
shared_services:
  - {kind: bastion}
  - {kind: dns}
  - {kind: ntp}
  - {kind: log}
  - {kind: monitoring}
addressing: {core_prefix_v4: 24}
"""


def tenant_text(level: int, app_count: int, systems: int) -> str:
    # Quotas large enough that only address space limits the sequences (quota checks are tested elsewhere).
    quotas = "quotas: {instances: 1000, volumes: 1000, volume_gb: 100000}"
    lines = ["name: T", "kind: enterprise", "owner: O", quotas, "systems:"]
    for index in range(systems):
        lines += [
            f"  - id: s{index}",
            "    title: S",
            f"    level: {level}",
            "    tiers:",
            f"      - {{name: app, zone: app, count: {app_count}}}",
        ]
        if level >= 2:
            lines.append("      - {name: web, zone: dmz, count: 1}")
    return "\n".join(lines) + "\n"


def allocate(root: Path) -> Plan:
    """What `itpark allocate` does, in-process: plan, then record the ledger."""
    plan = plan_park(root)
    write_ledger(root, ledger_changes_on_disk(root, read_ledger(root), render_ledger(plan.park.name, plan.ledger)))
    return plan


def check_invariants(before: dict, after: dict) -> None:  # type: ignore[type-arg]
    # nothing is ever dropped or renumbered
    for key, entry in before.items():
        assert key in after, f"{key} vanished from the ledger"
        assert (after[key].ipv4, after[key].ipv6) == (entry.ipv4, entry.ipv6), f"{key} was renumbered"
    # no two keys share space, active or retired
    blocks = sorted((IPNetwork(e.ipv4), k) for k, e in after.items() if not k.startswith(("host:", "router:")))
    for (net_a, key_a), (net_b, key_b) in itertools.pairwise(blocks):
        assert net_a.last < net_b.first, f"{key_a} overlaps {key_b}"
    blocks6 = sorted(
        (IPNetwork(e.ipv6), k) for k, e in after.items() if not k.startswith(("host:", "router:")) and "core" not in k
    )
    for (net_a, key_a), (net_b, key_b) in itertools.pairwise(blocks6):
        assert net_a.last < net_b.first, f"{key_a} overlaps {key_b} (IPv6)"
    pinned = [(e.ipv4, e.ipv6) for k, e in after.items() if k.startswith(("host:", "router:"))]
    assert len({a for a, _ in pinned}) == len(pinned) and len({b for _, b in pinned}) == len(pinned)


ANCHOR = "anchor"
TENANTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "grow", "upgrade"]),
        st.sampled_from(TENANTS),
        st.integers(min_value=1, max_value=4),
    ),
    min_size=1,
    max_size=14,
)


def used_keys(plan: Plan) -> set[str]:
    keys = set()
    for tenant in plan.tenants:
        for system in tenant.systems:
            keys |= {f"{system.site}/{system.key}", f"router:{system.site}/{system.key}"}
            keys |= {f"host:{h.name}" for h in system.hosts}
    return keys


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_random_add_remove_sequences_keep_every_address(ops) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "tenants").mkdir()
        (root / "park.yaml").write_text(PARK, encoding="utf-8")
        # a park always has a tenant (an empty tenants/ is an error); this one stays while the others come and go
        (root / "tenants" / f"{ANCHOR}.yaml").write_text(tenant_text(1, 1, 1), encoding="utf-8")
        allocate(root)
        ever: dict[str, str] = {}
        specs: dict[str, tuple[int, int, int]] = {}  # tenant -> (level, app count, systems)
        for op, tenant, number in ops:
            path = root / "tenants" / f"{tenant}.yaml"
            before = read_ledger(root).entries
            previous = specs.get(tenant)
            if op == "remove":
                specs.pop(tenant, None)
            elif op == "add" and previous is None:
                specs[tenant] = (min(number, 3), number, 1 + number % 2)
            elif op == "grow" and previous is not None:
                specs[tenant] = (previous[0], previous[1] + number, previous[2])
            elif op == "upgrade" and previous is not None:
                specs[tenant] = (min(previous[0] + 1, 4), previous[1], previous[2])
            if tenant in specs:
                path.write_text(tenant_text(*specs[tenant]), encoding="utf-8")
            else:
                path.unlink(missing_ok=True)
            try:
                plan = allocate(root)
            except SpecError as err:
                assert all("does not fit" in p.message for p in err.problems), err
                if previous is None:
                    specs.pop(tenant, None)
                    path.unlink(missing_ok=True)
                else:
                    specs[tenant] = previous
                    path.write_text(tenant_text(*previous), encoding="utf-8")
                continue
            after = read_ledger(root).entries
            check_invariants(before, after)
            # what the plan uses is active; everything else it ever had is retired, never freed
            active = used_keys(plan)
            for key, entry in after.items():
                if any(f"/{t}/" in key or key.endswith(f".{t}") for t in TENANTS):
                    assert entry.state == ("active" if key in active else "retired"), key
            # an address, once given to a key, is never given to another key
            for key, entry in after.items():
                for address in (entry.ipv4, entry.ipv6):
                    holder = ever.setdefault(address, key)
                    assert holder == key, f"{address} moved from {holder} to {key}"
            assert [t.name for t in plan.tenants] == sorted([ANCHOR, *specs])


def test_adding_a_tenant_changes_nothing_else(park_copy) -> None:
    root = park_copy()
    before = plan_park(root)
    (root / "tenants" / "aaa-newcomer.yaml").write_text(tenant_text(2, 2, 1), encoding="utf-8")
    after = plan_park(root)
    assert [t for t in after.tenants if t.name != "aaa-newcomer"] == list(before.tenants)
    assert after.services == before.services or all(
        a.subnet == b.subnet and a.hosts == b.hosts for a, b in zip(after.services, before.services, strict=True)
    )
    newcomer = after.tenant("aaa-newcomer").systems[0]
    used = [IPNetwork(e.ipv4) for e in before.ledger if not e.key.startswith(("host:", "router:"))]
    assert all(IPNetwork(newcomer.block_v4).first > net.last for net in used), "first fit after every reserved block"
    assert after.ledger_changes.added and all("aaa-newcomer" in k for k in after.ledger_changes.added)


def test_allocate_check_and_retire_and_reactivate(park_copy) -> None:
    root = park_copy()
    assert run_cli("allocate", "--check", str(root)).returncode == 0
    tenant = root / "tenants" / "softviet.yaml"
    saved = tenant.read_text(encoding="utf-8")
    old = plan_park(root).tenant("softviet").systems[0]
    tenant.unlink()
    stale = run_cli("allocate", "--check", str(root))
    assert stale.returncode == 1 and "- dc1/softviet/erp (retired, stays reserved)" in stale.stdout
    assert run_cli("allocate", str(root)).returncode == 0
    ledger = read_ledger(root).entries
    assert ledger["dc1/softviet/erp"].state == "retired"
    assert ledger["dc1/softviet/erp"].ipv4 == old.block_v4
    # a newcomer never gets the retired block
    (root / "tenants" / "newcomer.yaml").write_text(tenant_text(2, 2, 1), encoding="utf-8")
    newcomer = plan_park(root).tenant("newcomer").systems[0]
    assert IPNetwork(newcomer.block_v4) not in IPNetwork(old.block_v4)
    assert newcomer.block_v4 != old.block_v4
    # the same tenant coming back gets its own addresses back
    tenant.write_text(saved, encoding="utf-8")
    back = plan_park(root)
    assert back.tenant("softviet").systems[0] == old
    assert "dc1/softviet/erp" in back.ledger_changes.reactivated


def test_allocate_writes_atomically_and_deterministically(park_copy) -> None:
    root = park_copy()
    ledger = root / "ledger"
    original = {p.name: p.read_text(encoding="utf-8") for p in ledger.iterdir()}
    shutil.rmtree(ledger)
    assert run_cli("allocate", str(root)).returncode == 0
    assert {p.name: p.read_text(encoding="utf-8") for p in ledger.iterdir()} == original
    assert not [p for p in ledger.iterdir() if p.name.endswith(".tmp")]


def test_corrupt_ledger_is_a_clear_error(park_copy) -> None:
    root = park_copy()
    ledger = root / "ledger" / "softviet.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("state: active", "state: gone", 1), encoding="utf-8")
    result = run_cli("plan", str(root))
    assert result.returncode == 2
    assert (
        "ledger/softviet.yaml:10: allocations[0].state: expected one of ('active', 'retired'), got 'gone'"
        in result.stderr
    )
