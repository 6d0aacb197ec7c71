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
DECOY_GB = 2  # a second blank disk of another size: the storage role must leave it alone
# `itpark harden` exits 1 here: every task succeeds, but LOG-02 (a measured clock offset) cannot pass without an
# NTP server, which QEMU's restricted user network cannot reach.
HARDEN_RC = 1
RUN_LIMIT_S = 1800  # each hardening run; the first took 858 s in an earlier CI (TCG, one core)
UNVERIFIED = pytest.mark.xfail(
    reason="issue #13: changed for the audit defaults (rotate, audisp syslog shipping, b32, -e 2 only when "
    "disruptive) and measured LOG-02; not yet run to completion (the loaded machine ran the TCG guest too slowly "
    "for the session), so unverified; the namespace and shared labs cover the roles that do not need a kernel",
    strict=False,
)


@pytest.fixture(scope="module")
def vm(base: Any, plan: Any) -> Iterator[VMHost]:
    [planned] = [h for h in plan.all_hosts() if h.name == HOST]
    # /dev/vdb: the plan's system volume, as the cloud would attach it; /dev/vdc: the decoy.
    host = VMHost(ensure_vm_image(base), base.key, disks_gb=(planned.system_volume_gb, DECOY_GB))
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
    # Bounded runs: a guest that stalls under emulation fails the test instead of running past CI's limit.
    first = harden("--limit", HOST, "--timeout", str(RUN_LIMIT_S))
    start = time.monotonic()
    second = run_site(harden.sources(PARK), limit=HOST, timeout=RUN_LIMIT_S)
    return {"first": first, "second": second, "second_time": time.monotonic() - start, "kptr": machine_kptr}


@UNVERIFIED
def test_level4_vm_hardened_idempotent_with_full_evidence(runs: dict[str, Any], harden: Harden, vm: VMHost) -> None:
    from itpark.hardening.levels import applicable_controls

    rc, seconds = runs["first"]
    print(f"VM first run {seconds:.1f} s, second run {runs['second_time']:.1f} s")
    assert rc == HARDEN_RC
    assert runs["second"].hosts[HOST].changed == 0 and runs["second"].hosts[HOST].failed == 0
    evidence = harden.evidence(PARK, HOST)
    assert evidence["level"] == 4
    assert sorted(evidence["controls"]) == list(applicable_controls("tcvn-14423-2026", 4))
    failing = {c: v for c, v in evidence["controls"].items() if v["status"] != "pass"}
    # QEMU's user network (restrict=on) reaches no NTP server: LOG-02 is a measurement, so it fails here, and
    # only on the measurement (the namespace and shared-services labs have a server and pass it).
    assert sorted(failing) == ["LOG-02"], json.dumps(failing, indent=1)
    unmet = {c["name"] for c in failing["LOG-02"]["checks"] if c["status"] != "pass"}
    assert unmet == {"chrony selected a park NTP server", "measured clock offset within 1.0 s"}, unmet
    names = {c["name"] for v in evidence["controls"].values() for c in v["checks"]}
    assert {"sysctl kernel.kptr_restrict", "auditctl enabled (2 = immutable)"} <= names
    # Kernel settings changed inside the guest only.
    assert vm.ssh("/usr/sbin/sysctl", "-n", "kernel.kptr_restrict").stdout.strip() == "2"
    assert Path("/proc/sys/kernel/kptr_restrict").read_text() == runs["kptr"]
    assert vm.ssh("systemctl", "is-active", "auditd").stdout.strip() == "active"
    assert vm.ssh("systemctl", "is-enabled", "nftables").stdout.strip() == "enabled"  # the plan's rules at boot
    refused = vm.ssh("id", user="root")
    assert refused.returncode == 255 and "Permission denied" in refused.stderr
    # Lock-out-safe audit defaults: rotation, no single-user mode, rules not locked, records shipped to syslog,
    # 32-bit syscalls covered.
    conf = vm.ssh("sudo", "cat", "/etc/audit/auditd.conf").stdout
    assert "max_log_file_action = rotate" in conf and "single" not in conf.lower()
    assert vm.ssh("sudo", "/usr/sbin/auditctl", "-s").stdout.split("\n")[0] == "enabled 1"
    for name in ("audit records reach syslog (forwarded to the collector)", "32-bit syscall rules loaded"):
        assert names and any(
            c["name"] == name and c["status"] == "pass" for v in evidence["controls"].values() for c in v["checks"]
        ), name


def _mounts(vm: VMHost) -> dict[str, str]:
    listing = vm.ssh("findmnt", "--list", "--noheadings", "--output", "TARGET,SOURCE,OPTIONS").stdout
    return {line.split()[0]: " ".join(line.split()[1:]) for line in listing.splitlines()}


@UNVERIFIED
def test_level4_vm_has_the_plans_filesystems_and_keeps_them_after_reboot(
    runs: dict[str, Any], plan: Any, vm: VMHost, harden: Harden
) -> None:
    """The storage role put each plan mount on its own logical volume of the system volume, with its options,
    moved the existing files there, left the other blank disk alone, and the layout survives a reboot."""
    assert runs["first"][0] == HARDEN_RC
    [planned] = [h for h in plan.all_hosts() if h.name == HOST]
    assert [m.path for m in planned.mounts] == ["/home", "/tmp", "/var/tmp", "/var/log", "/var/log/audit"]
    checks = {c["name"]: c for v in harden.evidence(PARK, HOST)["controls"].values() for c in v["checks"]}
    for attempt in ("hardened", "rebooted"):
        mounts = _mounts(vm)
        for mount in planned.mounts:
            source, options = mounts[mount.path].split()
            assert source == f"/dev/mapper/itpark-{mount.lv}", (attempt, mount.path, source)
            assert set(mount.options) <= set(options.split(",")), (attempt, mount.path, options)
            assert checks[f"{mount.path} on its own filesystem with its options"]["status"] == "pass"
        assert vm.ssh("sudo", "pvs", "--noheadings", "-o", "pv_name,vg_name").stdout.split() == ["/dev/vdb", "itpark"]
        assert vm.ssh("sudo", "blkid", "-p", "/dev/vdc").returncode == 2  # no signature: untouched
        # Existing files moved with their owners and modes; logging and auditing write to the new filesystems.
        assert vm.ssh("stat", "-c", "%U:%a", "/home/deploy/.ssh/authorized_keys").stdout.strip() == "deploy:600"
        assert vm.ssh("stat", "-c", "%a", "/tmp").stdout.strip() == "1777"
        assert vm.ssh("systemctl", "is-active", "auditd", "rsyslog").stdout.split() == ["active", "active"]
        assert vm.ssh("sudo", "test", "-s", "/var/log/audit/audit.log").returncode == 0
        if attempt == "hardened":
            vm.reboot()


@UNVERIFIED
def test_disruptive_park_locks_rules_and_a_rule_change_reports_reboot_required(
    runs: dict[str, Any], plan: Any, vm: VMHost, harden: Harden
) -> None:
    """With defaults.hardening.disruptive the rules end with -e 2; a later rule change cannot load until reboot:
    the run says so and succeeds instead of failing."""
    from itpark.hardening.runner import run_site

    assert runs["first"][0] == HARDEN_RC
    override = vm_override(plan, {HOST: vm}, harden.workdir / "disruptive.yml")
    text = override.read_text().replace(
        "itpark_shared_services: false", "itpark_shared_services: false\n      itpark_disruptive: true"
    )
    override.write_text(text)
    sources = [*harden.sources(PARK)[:-1], override]
    locked = run_site(sources, limit=HOST, tags="LOG-08")
    assert locked.rc == 0, locked.hosts[HOST].errors
    assert vm.ssh("sudo", "/usr/sbin/auditctl", "-s").stdout.split("\n")[0] == "enabled 2"
    override.write_text(
        text.replace(
            "itpark_disruptive: true",
            "itpark_disruptive: true\n      auditd_num_logs: 10\n"
            "      auditd_syscall_rules: [{syscalls: [mount], key: mounts}]",
        )
    )
    changed = run_site(sources, limit=HOST, tags="LOG-08")
    assert changed.rc == 0, changed.hosts[HOST].errors
    assert "immutable" in vm.ssh("cat", "/run/reboot-required").stdout
