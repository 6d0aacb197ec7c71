"""The ledger is checked on every load: each defect a careless operator or a bad merge can cause is refused
with file:line and exit 2, never planned and never a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from netaddr import IPAddress, IPNetwork

from itpark.plan.ledger import read_ledger
from tests.core.conftest import ROOT, run_cli

LOADERS = (("validate",), ("allocate",))  # plan and allocate --check load the same way (see the merge tests)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def refused(root: Path, pattern: str) -> str:
    """Every command that loads the park exits 2 with `pattern` in its errors and writes nothing."""
    before = {p.name: p.read_text(encoding="utf-8") for p in (root / "ledger").iterdir()}
    for command in LOADERS:
        result = run_cli(*command, str(root))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert re.search(pattern, result.stderr), (command, result.stderr)
    assert {p.name: p.read_text(encoding="utf-8") for p in (root / "ledger").iterdir()} == before
    return result.stderr


def test_two_tenants_given_the_same_block(park_copy) -> None:
    root = park_copy()
    ledger = root / "ledger"
    taken = read_ledger(root).entries["dc1/softviet/erp"]
    mine = read_ledger(root).entries["dc1/mekong-ai/main"]
    edit(ledger / "mekong-ai.yaml", f"ipv4: {mine.ipv4}", f"ipv4: {taken.ipv4}")
    line = line_of(ledger / "softviet.yaml", f"ipv4: {taken.ipv4}")
    errors = refused(
        root,
        rf"ledger/softviet\.yaml:{line}: allocations\[0\]\.ipv4: dc1/softviet/erp {taken.ipv4} overlaps "
        rf"dc1/mekong-ai/main {taken.ipv4} \(\S+ledger/mekong-ai\.yaml:\d+\).*one address, two owners; "
        rf"run `itpark allocate {re.escape(str(root))} --reallocate softviet`",
    )
    assert len(errors.strip().splitlines()) == 2  # the problem, and the count line


def test_overlapping_ipv6_and_retired_space_count_too(park_copy) -> None:
    root = park_copy()
    ledger = root / "ledger"
    taken = read_ledger(root).entries["dc1/softviet/erp"]
    edit(ledger / "mekong-ai.yaml", "state: active", "state: retired", 99)
    mine = read_ledger(root).entries["dc1/mekong-ai/main"]
    edit(ledger / "mekong-ai.yaml", f"ipv6: {mine.ipv6}", f"ipv6: {taken.ipv6}")
    shutil.move(root / "tenants" / "mekong-ai.yaml", root / "mekong-ai.yaml.away")
    refused(root, r"ledger/\S+\.yaml:\d+: allocations\[\d+\]\.ipv6: .*overlaps.*--reallocate")


def test_two_hosts_given_the_same_address(park_copy) -> None:
    root = park_copy()
    entries = read_ledger(root).entries
    a, b = "host:api-01.erp.softviet", "host:api-02.erp.softviet"
    edit(root / "ledger" / "softviet.yaml", f"ipv4: {entries[b].ipv4}\n", f"ipv4: {entries[a].ipv4}\n")
    address = re.escape(entries[a].ipv4)
    refused(
        root,
        rf"ledger/softviet\.yaml:\d+: .*ipv4: host:api-0[12]\.erp\.softviet {address} is also the address of "
        rf"host:api-0[12]\.erp\.softviet .*--reallocate softviet`",
    )
    assert run_cli("allocate", str(root), "--reallocate", "softviet").returncode == 0
    after = read_ledger(root).entries
    assert after[a].ipv4 != after[b].ipv4 and run_cli("validate", str(root)).returncode == 0


def test_a_block_moved_outside_its_site(park_copy) -> None:
    root = park_copy()
    edit(root / "ledger" / "softviet.yaml", "ipv4: 10.40.42.0/23", "ipv4: 10.99.42.0/23")
    line = line_of(root / "ledger" / "softviet.yaml", "10.99.42.0/23")
    refused(
        root, rf"ledger/softviet\.yaml:{line}: allocations\[0\]\.ipv4: dc1/softviet/erp: 10\.99\.42\.0/23 lies outside"
    )


def test_a_supernet_shrunk_below_the_space_handed_out(park_copy) -> None:
    root = park_copy()
    edit(root / "park.yaml", "ipv4_supernet: 10.40.0.0/16", "ipv4_supernet: 10.40.0.0/19")
    errors = refused(root, r"ledger/\S+\.yaml:\d+: .*lies outside site dc1's supernet 10\.40\.0\.0/19")
    assert "dc1/vnpt-dn-lab/" in errors or "dc1/sontra-logistics/" in errors


def test_a_ledger_naming_another_park(park_copy) -> None:
    root = park_copy()
    edit(root / "ledger" / "softviet.yaml", "park: danang-itpark", "park: quangnam-cloud")
    refused(
        root, r"ledger/softviet\.yaml:4: park: this ledger belongs to park 'quangnam-cloud', not to 'danang-itpark'"
    )


def test_another_parks_whole_ledger(park_copy) -> None:
    root = park_copy()
    shutil.rmtree(root / "ledger")
    shutil.copytree(ROOT / "stacks" / "quangnam-cloud" / "ledger", root / "ledger")
    refused(root, r"ledger/_park\.yaml:4: park: this ledger belongs to park 'quangnam-cloud'")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "ipv4: 10.40.42.0/23",
            "ipv4: 10.40.42.0/99",
            r"ipv4: expected an IPv4 network in CIDR form, got '10.40.42.0/99'",
        ),
        ("ipv4: 10.40.42.0/23", "ipv4: banana", r"ipv4: expected an IPv4 network in CIDR form, got 'banana'"),
        ("ipv6: 2001:db8:4000:1b0::/60", "ipv6: 10.0.0.0/8", r"ipv6: expected an IPv6 network"),
        ("ipv4: 10.40.42.74\n", "ipv4: 10.40.42.74/32\n", r"ipv4: expected an IPv4 address, got '10.40.42.74/32'"),
        ("ipv4: 10.40.42.0/23", "ipv4: 10.40.42.1/23", r"expected the canonical form 10\.40\.42\.0/23"),
        ("state: active", "state: 7", r"state: expected a string, got 7"),
        ("  state: active\n", "", r"expected exactly the fields key, ipv4, ipv6, state"),
    ],
)
def test_malformed_entries_are_errors_not_tracebacks(park_copy, old: str, new: str, message: str) -> None:
    root = park_copy()
    edit(root / "ledger" / "softviet.yaml", old, new)
    refused(root, r"ledger/softviet\.yaml:\d+: allocations\[\d+\]" + ".*" + message)


def test_a_ledger_that_is_not_a_ledger(park_copy) -> None:
    root = park_copy()
    (root / "ledger" / "softviet.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    refused(root, r"ledger/softviet\.yaml:1: allocations: expected a mapping")


def test_old_single_file_is_read_and_split_once(park_copy) -> None:
    root = park_copy()
    before = run_cli("plan", "--json", str(root)).stdout
    entries = read_ledger(root).entries
    lines = ["park: danang-itpark", "allocations:"]
    for key in sorted(entries):
        e = entries[key]
        lines += [f"- key: {key}", f"  ipv4: {e.ipv4}", f"  ipv6: {e.ipv6}", f"  state: {e.state}"]
    shutil.rmtree(root / "ledger")
    (root / "allocations.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    planned = run_cli("plan", "--json", str(root))
    assert planned.stdout == before and "old single-file ledger" in planned.stderr
    check = run_cli("allocate", "--check", str(root))
    assert check.returncode == 1 and "split into ledger/ once" in check.stdout
    assert run_cli("allocate", str(root)).returncode == 0
    assert not (root / "allocations.yaml").exists()
    assert run_cli("allocate", "--check", str(root)).returncode == 0
    assert run_cli("plan", "--json", str(root)).stdout == before
    assert {p.name for p in (root / "ledger").iterdir()} == {
        p.name for p in (ROOT / "stacks/danang-itpark/ledger").iterdir()
    }
    # both layouts at once is refused
    (root / "allocations.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("validate", str(root))
    assert result.returncode == 2 and "both allocations.yaml and ledger/ exist" in result.stderr


def test_allocate_never_retires_every_tenant_of_an_empty_tenants_dir(park_copy) -> None:
    root = park_copy()
    before = {p.name: p.read_text(encoding="utf-8") for p in (root / "ledger").iterdir()}
    for path in (root / "tenants").iterdir():
        path.unlink()
    for command in (("allocate",), ("allocate", "--check")):
        result = run_cli(*command, str(root))
        assert result.returncode == 2, result.stdout
        assert "tenants" in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_text(encoding="utf-8") for p in (root / "ledger").iterdir()} == before
    (root / "tenants").rmdir()
    assert run_cli("allocate", str(root)).returncode == 2
    assert {p.name: p.read_text(encoding="utf-8") for p in (root / "ledger").iterdir()} == before


def moved_hosts_are_refused_then_renumbered(root: Path, tenant: str, prefix: str) -> None:
    """Shared by the two move tests: refused naming --reallocate, which renumbers only the moved hosts."""
    before = read_ledger(root).entries
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    assert re.search(
        rf"tenants/{tenant}\.yaml:\d+: systems\[\d+\]\.tiers\[\d+\]: \S+\.{tenant} has \S+ in the ledger, "
        rf"outside its subnet .*run `itpark allocate {re.escape(str(root))} --reallocate {tenant}`",
        result.stderr,
    ), result.stderr
    assert run_cli("allocate", "--check", str(root)).returncode == 2
    done = run_cli("allocate", str(root), "--reallocate", tenant)
    assert done.returncode == 0, done.stderr
    assert run_cli("allocate", "--check", str(root)).returncode == 0
    after = read_ledger(root).entries
    moved = {k for k in before if k in after and (before[k].ipv4, before[k].ipv6) != (after[k].ipv4, after[k].ipv6)}
    assert moved and all(k.startswith("host:") and k.endswith(f".{tenant}") for k in moved), moved
    for key in moved:  # the old address stays, retired under key#1; the new one is elsewhere
        assert after[f"{key}#1"].state == "retired" and after[f"{key}#1"].ipv4 == before[key].ipv4
        assert after[key].ipv4 != before[key].ipv4
    for key, entry in before.items():  # nobody else was renumbered
        if key not in moved and not key.startswith(f"{prefix}") and key in after:
            assert (after[key].ipv4, after[key].ipv6) == (entry.ipv4, entry.ipv6), key
    plan = run_cli("plan", "--json", str(root))
    assert plan.returncode == 0
    # every host lies in its own subnet, and no address is used twice
    import json

    data = json.loads(plan.stdout)
    for tenant_data in data["tenants"]:
        for system in tenant_data["systems"]:
            zones = {z["zone"]: z for z in system["zones"]}
            for host in system["hosts"]:
                assert IPAddress(host["ipv4"]) in IPNetwork(zones[host["zone"]]["ipv4"]), host["name"]
    addresses = [e.ipv4 for k, e in after.items() if k.startswith(("host:", "router:"))]
    assert len(addresses) == len(set(addresses))


def test_a_system_moved_to_another_site(park_copy) -> None:
    root = park_copy("quangnam-cloud")
    edit(root / "tenants" / "so-tnmt.yaml", "site: tamky", "site: hoian")
    moved_hosts_are_refused_then_renumbered(root, "so-tnmt", "tamky/so-tnmt/")
    ledger = read_ledger(root).entries
    assert ledger["tamky/so-tnmt/land"].state == "retired" and ledger["hoian/so-tnmt/land"].state == "active"


def test_a_tier_moved_to_another_zone(park_copy) -> None:
    root = park_copy()
    tenant = root / "tenants" / "softviet.yaml"
    text = tenant.read_text(encoding="utf-8")
    zone = re.search(r"\{name: (\w+), zone: (app|data)", text)
    assert zone, text
    edit(tenant, zone.group(0), f"{{name: {zone.group(1)}, zone: {'data' if zone.group(2) == 'app' else 'app'}")
    moved_hosts_are_refused_then_renumbered(root, "softviet", "dc1/softviet/")


def test_a_tenant_named_like_the_shared_services_never_gets_their_addresses(park_copy) -> None:
    """Tenant `shared`, system `dc1`, tier `bastion` would name the shared bastion's ledger key."""
    root = park_copy()
    (root / "tenants" / "shared.yaml").write_text(
        "name: T\nkind: enterprise\nowner: O\nsystems:\n"
        "  - {id: dc1, title: S, level: 1, tiers: [{name: bastion, zone: app, count: 1}]}\n",
        encoding="utf-8",
    )
    result = run_cli("validate", str(root))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    # the ledger's own guard, unless the spec already refuses the reserved id
    assert "ledger key host:bastion-01.dc1.shared is claimed twice" in result.stderr or "reserved" in result.stderr


def test_a_tenant_file_naming_another_tenant(park_copy) -> None:
    root = park_copy()
    edit(root / "ledger" / "softviet.yaml", "tenant: softviet", "tenant: mekong-ai")
    line = line_of(root / "ledger" / "softviet.yaml", "tenant: mekong-ai")
    refused(root, rf"ledger/softviet\.yaml:{line}: tenant: expected `tenant: softviet` \(the file's name\)")


@pytest.mark.parametrize(
    ("old", "new", "home"),
    [
        ("key: dc1/softviet/erp", "key: dc1/nobody/erp", "ledger/nobody.yaml"),  # a typo in a key
        ("key: host:db-01.erp.softviet", "key: host:db-01.erp.shared", "ledger/_park.yaml"),
    ],
)
def test_an_entry_in_another_owners_file(park_copy, old: str, new: str, home: str) -> None:
    root = park_copy()
    edit(root / "ledger" / "softviet.yaml", old, new)
    line = line_of(root / "ledger" / "softviet.yaml", new)
    key = new.removeprefix("key: ")
    refused(
        root,
        rf"ledger/softviet\.yaml:{line}: allocations\[\d+\]\.key: {re.escape(key)} belongs in {re.escape(home)}, "
        r"not in softviet\.yaml",
    )
