"""Scheduling for `make test` (pytest-xdist, two workers): each test file is one unit of work, and tiers that
share a machine-wide resource are one unit each, so a module-scoped lab or control plane is never built twice
and two labs never hold the same plan addresses at once.

Order matters on two cores: the VM (one core under software emulation, the longest tier) starts first on one
worker with only a short file after it; the real OpenStack control plane and the namespace labs go to the other.
Without xdist only the order applies (slow tiers first).

The units are given to xdist by a scheduler of our own (`pytest_xdist_make_scheduler`), not by `xdist_group`
marks: under pytest 9 xdist's `--dist loadgroup` no longer sees the marks (it renames `item._nodeid`, which
pytest 9 no longer reads), and the tiers were split across workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent

# Tiers that must stay on one worker, in the order they are handed out. A prefix ending in "/" is a folder.
SHARED_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vm", ("hosts/test_vm_host.py",)),
    ("openstack", ("openstack/",)),
    ("labs", ("hosts/", "shared/")),
)


def unit_of(relative: str) -> str:
    """The work unit of a test file (path relative to tests/): its shared tier, else the file itself."""
    for group, prefixes in SHARED_TIERS:
        if any(relative.startswith(p) if p.endswith("/") else relative == p for p in prefixes):
            return group
    return relative


def _unit_of_item(item: pytest.Item) -> str:
    return unit_of(Path(str(item.path)).resolve().relative_to(TESTS).as_posix())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    units = {id(item): _unit_of_item(item) for item in items}
    tier_rank = {group for group, _ in SHARED_TIERS}
    # vm, openstack, then one ordinary file (so the VM's worker gets a short second unit), then the labs.
    ordinary = sorted({u for u in units.values() if u not in tier_rank})
    order = ["vm", "openstack", *ordinary[:1], "labs", *ordinary[1:]]
    rank = {unit: position for position, unit in enumerate(order)}
    items.sort(key=lambda item: rank[units[id(item)]])


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # keep our order (xdist would put the units with most tests first)

    class TierScheduling(LoadScopeScheduling):
        """LoadScope with our units as scopes, handed out in collection order (two per worker to start)."""

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return unit_of(path.removeprefix("tests/"))

    return TierScheduling(config, log)
