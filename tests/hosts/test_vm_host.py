"""Tier 2: one level-4 host as a systemd VM (QEMU TCG): auditd, kernel sysctls, the full baseline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import STACK, Harden
from testhosts.vm import VMHost, ensure_vm_image, vm_override

pytestmark = pytest.mark.slow

PARK = "quangnam-cloud"
HOST = "app-01.budget.so-tc"  # level 4


@pytest.fixture(scope="module")
def vm(base: Any) -> Iterator[VMHost]:
    host = VMHost(ensure_vm_image(base), base.key)
    try:
        host.start()
        yield host
    finally:
        host.close()
        assert not host.alive() and not host.dir.exists()


@pytest.fixture(scope="module")
def harden(vm: VMHost, plan: Any, tmp_path_factory: pytest.TempPathFactory) -> Harden:
    work = tmp_path_factory.mktemp("vm")
    return Harden(STACK, vm_override(plan, {HOST: vm}, work / "vm.yml"), work)


@pytest.fixture(scope="module")
def runs(harden: Harden) -> dict[str, Any]:
    import time

    from itpark.hardening.runner import run_site

    machine_kptr = Path("/proc/sys/kernel/kptr_restrict").read_text()
    first = harden("--limit", HOST)
    start = time.monotonic()
    second = run_site(harden.sources(PARK), limit=HOST)
    return {"first": first, "second": second, "second_time": time.monotonic() - start, "kptr": machine_kptr}


def test_level4_vm_hardened_idempotent_with_full_evidence(runs: dict[str, Any], harden: Harden, vm: VMHost) -> None:
    from itpark.hardening.levels import applicable_controls

    rc, seconds = runs["first"]
    print(f"VM first run {seconds:.1f} s, second run {runs['second_time']:.1f} s")
    assert rc == 0
    assert runs["second"].hosts[HOST].changed == 0 and runs["second"].hosts[HOST].failed == 0
    evidence = harden.evidence(PARK, HOST)
    assert evidence["level"] == 4
    assert sorted(evidence["controls"]) == list(applicable_controls("tcvn-11930-2017", 4))
    failing = {c: v for c, v in evidence["controls"].items() if v["status"] != "pass"}
    assert failing == {}, json.dumps(failing, indent=1)
    names = {c["name"] for v in evidence["controls"].values() for c in v["checks"]}
    assert {"sysctl kernel.kptr_restrict", "auditctl enabled (2 = immutable)"} <= names
    # Kernel settings changed inside the guest only.
    assert vm.ssh("/usr/sbin/sysctl", "-n", "kernel.kptr_restrict").stdout.strip() == "2"
    assert Path("/proc/sys/kernel/kptr_restrict").read_text() == runs["kptr"]
    assert vm.ssh("systemctl", "is-active", "auditd").stdout.strip() == "active"
    assert vm.ssh("systemctl", "is-enabled", "nftables").stdout.strip() == "enabled"  # the plan's rules at boot
    refused = vm.ssh("id", user="root")
    assert refused.returncode == 255 and "Permission denied" in refused.stderr
