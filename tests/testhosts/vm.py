"""Tier-2 test hosts: QEMU (software emulation) VMs booting systemd from an image of the base root filesystem.

`ensure_vm_image(base)` builds and caches <base>/vm-<recipe>/{vmlinuz,initrd.img,image.raw}: a copy of the base with a
kernel, systemd, udev, dbus, auditd and the offline repo inside at /srv/repo (guests have no network out).
`VMHost(image_dir, key)` boots one copy-on-write overlay of it; SSH is forwarded to a free loopback port and
the guest is kept off every other network (`restrict=on`). Always `close()` it (a context manager does).
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .base import Base, chroot, chroot_mounts, locked, log, run
from .nshost import SSH_OPTS, WORK_ROOT, _mkdir
from .plan_lab import write_override

VM_PACKAGES = (
    "linux-image-amd64",
    "systemd-sysv",
    "udev",
    "dbus",
    "initramfs-tools",
    "zstd",
    "kmod",
    "procps",
    "auditd",
    # Pre-installed like auditd: its initramfs trigger takes ~6 minutes under emulation (seconds on real hosts).
    "lvm2",
)
NETWORK = "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n"


def ensure_vm_image(base: Base) -> Path:
    recipe = hashlib.sha256("\n".join(VM_PACKAGES).encode()).hexdigest()[:8]
    target = base.dir / f"vm-{recipe}"  # a new package list builds a new image beside the old one
    with locked(base.dir / "vm.lock"):
        if (target / "ready").exists():
            return target
        work = base.dir / f"vm-{recipe}.building"
        shutil.rmtree(work, ignore_errors=True)
        root = work / "root"
        work.mkdir()
        log("building the VM image (about 2 minutes)")
        run("cp", "-a", str(base.root), str(root))
        sources = root / "etc/apt/sources.list"
        kept = sources.read_text()
        from .base import SECURITY_SOURCES

        sources.write_text(SECURITY_SOURCES)
        shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
        with chroot_mounts(root):
            chroot(root, "apt-get", "update", "-qq")
            chroot(root, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *VM_PACKAGES)
            sources.write_text(kept)
            shutil.copytree(base.repo, root / "srv/repo", dirs_exist_ok=True)
            chroot(root, "apt-get", "update", "-qq")
            chroot(root, "systemctl", "enable", "systemd-networkd", "ssh")
            chroot(root, "systemctl", "mask", "systemd-firstboot.service")
        (root / "etc/resolv.conf").write_text("")
        (root / "etc/systemd/network/80-dhcp.network").write_text(NETWORK)
        (root / "etc/fstab").write_text("/dev/vda / ext4 defaults 0 1\n")
        (root / "etc/hostname").write_text("testvm\n")
        (root / "etc/hosts").write_text("127.0.0.1 localhost testvm\n::1 localhost\n")
        (root / "etc/machine-id").write_text("")
        (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
        for apt_cache in (root / "var/cache/apt/archives").glob("*.deb"):
            apt_cache.unlink()
        shutil.copy(root / "vmlinuz", work / "vmlinuz", follow_symlinks=True)
        shutil.copy(root / "initrd.img", work / "initrd.img", follow_symlinks=True)
        run("mkfs.ext4", "-q", "-d", str(root), str(work / "image.raw"), "3G")
        shutil.rmtree(root)
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
        (target / "ready").write_text("1\n")
        log(f"VM image ready at {target}")
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VMHost:
    """One systemd guest. ssh_host/ssh_port/key/user mirror NamespaceHost so tests can treat both alike."""

    def __init__(
        self, image: Path, key: Path, memory_mb: int = 1024, user: str = "deploy", disks_gb: tuple[int, ...] = ()
    ) -> None:
        """disks_gb: blank virtio disks (sparse) after the root disk, as /dev/vdb, /dev/vdc, ... in the guest:
        what a cloud's attached volumes look like."""
        self.image, self.key, self.user, self.memory_mb = image, key, user, memory_mb
        self.disks_gb = disks_gb
        self.dir = Path(tempfile.mkdtemp(prefix="itpvm-", dir=_mkdir(WORK_ROOT)))
        self.ssh_host, self.ssh_port = "127.0.0.1", _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 600) -> VMHost:
        disk = self.dir / "vm.qcow2"
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", str(self.image / "image.raw"), "-F", "raw", str(disk))
        drives = [f"file={disk},if=virtio,format=qcow2"]
        for number, size in enumerate(self.disks_gb, start=1):
            blank = self.dir / f"disk{number}.qcow2"
            run("qemu-img", "create", "-q", "-f", "qcow2", str(blank), f"{size}G")
            drives.append(f"file={blank},if=virtio,format=qcow2")
        self.proc = subprocess.Popen(
            [
                "qemu-system-x86_64",
                "-accel",
                "tcg,tb-size=256",
                "-m",
                str(self.memory_mb),
                "-smp",
                "1",
                "-kernel",
                str(self.image / "vmlinuz"),
                "-initrd",
                str(self.image / "initrd.img"),
                "-append",
                "root=/dev/vda rw console=ttyS0",
                *(arg for drive in drives for arg in ("-drive", drive)),
                "-netdev",
                f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22",
                "-device",
                "virtio-net-pci,netdev=n0",
                "-display",
                "none",
                "-serial",
                f"file:{self.dir / 'vm.log'}",
                "-monitor",
                "none",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self.wait_ssh(timeout)

    def wait_ssh(self, timeout: float = 600) -> VMHost:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"QEMU exited ({self.proc.returncode}):\n{self.console_tail()}")
            if self.ssh("true", timeout=10).returncode == 0:
                return self
            time.sleep(0.5)
        raise RuntimeError(f"VM did not answer SSH in {timeout:.0f} s:\n{self.console_tail()}")

    def reboot(self, timeout: float = 600) -> VMHost:
        """Reboot the guest (QEMU stays up, same disks and port) and wait until SSH answers again."""
        self.ssh("sudo", "systemctl", "reboot", timeout=20)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.ssh("true", timeout=5).returncode == 0:
            time.sleep(1)
        return self.wait_ssh(timeout)

    def console_tail(self, chars: int = 3000) -> str:
        log_file = self.dir / "vm.log"
        return log_file.read_text(errors="replace")[-chars:] if log_file.exists() else ""

    def ssh(
        self,
        *command: str,
        user: str | None = None,
        key: Path | None = None,
        extra: tuple[str, ...] = (),
        timeout: float = 60,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        args = [
            "ssh",
            *SSH_OPTS,
            *extra,
            "-p",
            str(self.ssh_port),
            "-i",
            str(key or self.key),
            f"{user or self.user}@{self.ssh_host}",
            *command,
        ]
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, input=input)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, 255, "", "timeout")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> VMHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# QEMU's user network delivers the machine's SSH from this address.
QEMU_GATEWAY = "10.0.2.2"


def vm_override(plan: Any, vms: dict[str, VMHost], path: Path) -> Path:
    """Inventory override for plan hosts played by VMs: each host's plan firewall rules plus the one extra rule
    letting SSH in from QEMU's gateway (the test's stand-in for the bastion path)."""
    from itpark.inventory.build import _rule

    groups = {g.name: g for g in plan.all_security_groups()}
    hosts = {h.name: h for h in plan.all_hosts()}
    ssh_in = {
        "family": "ip",
        "protocol": "tcp",
        "source": f"{QEMU_GATEWAY}/32",
        "port_min": 22,
        "port_max": 22,
        "flow": "test-management",
    }
    rules = {
        name: {
            "firewall_ingress_rules": [
                *(_rule(r) for r in groups[hosts[name].security_group].rules if r.direction == "ingress"),
                ssh_in,
            ]
        }
        for name in vms
    }
    return write_override(vms, path, rules)
