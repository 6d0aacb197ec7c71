"""Scheduling for `make test` (pytest-xdist, `--dist loadgroup`): each file is one unit of work, and tiers that
share a machine-wide resource are one unit each, so a module-scoped lab or control plane is never built twice
and two labs never hold the same plan addresses at once.

Order matters on two cores: the VM (one core under software emulation, the longest tier) starts first on one
worker with only a short file after it; the real OpenStack control plane and the namespace labs go to the other.
Without xdist the markers do nothing and the order is pytest's usual one, apart from the slow tiers first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# Groups that must stay on one worker, in the order they are handed out.
SHARED_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vm", ("hosts/test_vm_host.py",)),
    ("openstack", ("openstack/",)),
    ("labs", ("hosts/", "shared/")),
)


def unit_of(item: pytest.Item) -> str:
    """The work unit (xdist group) of a test: its shared tier, else its file."""
    relative = Path(str(item.path)).resolve().relative_to(TESTS).as_posix()
    for group, prefixes in SHARED_TIERS:
        # A prefix ending in "/" is a folder; any other is one file.
        if any(relative.startswith(p) if p.endswith("/") else relative == p for p in prefixes):
            return group
    return relative


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    units = {id(item): unit_of(item) for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(units[id(item)]))
    tier_rank = {group: rank for rank, (group, _) in enumerate(SHARED_TIERS)}
    # vm, openstack, then one ordinary file (so the VM's worker gets a short second unit), then the labs.
    ordinary = sorted({u for u in units.values() if u not in tier_rank})
    order = ["vm", "openstack", *ordinary[:1], "labs", *ordinary[1:]]
    rank = {unit: position for position, unit in enumerate(order)}
    items.sort(key=lambda item: rank[units[id(item)]])
