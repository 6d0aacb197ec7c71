"""Tier-1 test hosts: overlay copies of the base root filesystem running sshd in their own namespaces.

A Lab owns everything it creates (names start with its prefix) and removes it in close():
  - a router namespace `<prefix>r` holding one bridge per network (with the network's gateway addresses),
    IPv4/IPv6 forwarding, and a management veth to the machine (`<prefix>m`, addresses from 10.77.X.0/30);
  - per host a namespace `<prefix>N`, a veth `eth0` on a network's bridge, an overlay root, and inside an
    unshared mount/PID/UTS/IPC namespace: proc (with /proc/sys read-only except /proc/sys/net), sysfs read-only,
    devpts, /run, the offline repo at /srv/repo, then `sshd -D -e`.
SSH from the machine reaches host N at 10.77.X.2 port 2200+N: the router DNATs it to the host's address port 22
and SNATs it to `admin_source_v4`, so a host's own firewall sees management traffic from that address (tests
pass the park bastion's address). Traffic stays inside namespaces the Lab created, or on its management veth.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import Base, run

WORK_ROOT = Path(os.environ.get("ITPARK_TESTHOSTS_WORK", "/var/tmp/itpark-testhosts"))
SSH_OPTS = (
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
)


def ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", "-n", ns, *args] if ns else ["ip", *args]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def _prefix_len(cidr: str) -> str:
    return cidr.split("/")[1]


@dataclass
class Network:
    name: str
    bridge: str
    ipv4: str  # CIDR
    ipv6: str
    gateway_v4: str
    gateway_v6: str


@dataclass
class NamespaceHost:
    name: str
    index: int
    netns: str
    ipv4: str
    ipv6: str
    merged: Path
    ssh_host: str
    ssh_port: int
    key: Path
    user: str = "deploy"
    sshd_pid: int = 0

    def ssh(
        self,
        *command: str,
        user: str | None = None,
        key: Path | None = None,
        extra: tuple[str, ...] = (),
        timeout: float = 30,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command over SSH exactly as an administrator would; never raises on failure."""
        args = ["ssh", *SSH_OPTS, *extra, "-p", str(self.ssh_port)]
        if key is not None or self.key:
            args += ["-i", str(key or self.key)]
        args += [f"{user or self.user}@{self.ssh_host}", *command]
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)

    def exec(
        self, *command: str, check: bool = True, timeout: float = 60, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the host (all its namespaces and root) as root, bypassing SSH."""
        args = ["nsenter", "-t", str(self.sshd_pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", *command]
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=check, input=input)

    def spawn(self, *command: str) -> subprocess.Popen[str]:
        """Start a command inside the host; end it with stop() (killing nsenter alone would orphan it)."""
        args = ["nsenter", "-t", str(self.sshd_pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", *command]
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    @staticmethod
    def stop(proc: subprocess.Popen[str]) -> None:
        """Kill a spawn()ed command and nsenter's forked child with it (same process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class Lab:
    base: Base
    admin_source_v4: str = ""  # address SSH from the machine appears to come from (e.g. the bastion)
    prefix: str = field(default_factory=lambda: f"itp{os.getpid() % 10000}{random.randrange(10, 99)}")
    networks: dict[str, Network] = field(default_factory=dict)
    hosts: dict[str, NamespaceHost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-", dir=_mkdir(WORK_ROOT)))
        self.router = f"{self.prefix}r"
        self.mgmt_octet = _free_octet()
        self.mgmt_host = f"10.77.{self.mgmt_octet}.1"
        self.mgmt_router = f"10.77.{self.mgmt_octet}.2"
        self._started = False

    # -- setup -------------------------------------------------------------------------------------------
    def start(self) -> Lab:
        self._started = True
        ip("netns", "add", self.router)
        ip("link", "set", "lo", "up", ns=self.router)
        for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"):
            subprocess.run(["ip", "netns", "exec", self.router, "sysctl", "-qw", key], check=True)
        mgmt = f"{self.prefix}m"
        ip("link", "add", mgmt, "type", "veth", "peer", "name", "mgmt", "netns", self.router)
        ip("addr", "add", f"{self.mgmt_host}/30", "dev", mgmt)
        ip("link", "set", mgmt, "up")
        ip("addr", "add", f"{self.mgmt_router}/30", "dev", "mgmt", ns=self.router)
        ip("link", "set", "mgmt", "up", ns=self.router)
        self._nft("add table ip itplab")
        self._nft("add chain ip itplab pre { type nat hook prerouting priority dstnat; }")
        self._nft("add chain ip itplab post { type nat hook postrouting priority srcnat; }")
        return self

    def _nft(self, rule: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.router, "nft", rule], check=True, capture_output=True, text=True)

    def add_network(self, name: str, ipv4: str, gateway_v4: str, ipv6: str, gateway_v6: str) -> Network:
        bridge = f"br{len(self.networks)}"
        ip("link", "add", bridge, "type", "bridge", ns=self.router)
        ip("addr", "add", f"{gateway_v4}/{_prefix_len(ipv4)}", "dev", bridge, ns=self.router)
        ip("addr", "add", f"{gateway_v6}/{_prefix_len(ipv6)}", "dev", bridge, "nodad", ns=self.router)
        ip("link", "set", bridge, "up", ns=self.router)
        net = Network(name, bridge, ipv4, ipv6, gateway_v4, gateway_v6)
        self.networks[name] = net
        return net

    def add_host(self, name: str, network: str, ipv4: str, ipv6: str) -> NamespaceHost:
        net = self.networks[network]
        index = len(self.hosts) + 1
        netns = f"{self.prefix}{index}"
        hostdir = self.dir / f"h{index}"
        upper, work, merged = hostdir / "upper", hostdir / "work", hostdir / "merged"
        for d in (upper, work, merged):
            d.mkdir(parents=True)
        run(
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={self.base.root},upperdir={upper},workdir={work}",
            str(merged),
        )
        host = NamespaceHost(name, index, netns, ipv4, ipv6, merged, self.mgmt_router, 2200 + index, self.base.key)
        self.hosts[name] = host
        short = name.split(".")[0]
        (merged / "etc/hostname").write_text(short + "\n")
        (merged / "etc/hosts").write_text(f"127.0.0.1 localhost\n::1 localhost\n{ipv4} {name} {short}\n")
        ip("netns", "add", netns)
        ip("link", "set", "lo", "up", ns=netns)
        peer = f"v{index}"
        ip("link", "add", peer, "netns", self.router, "type", "veth", "peer", "name", "eth0", "netns", netns)
        ip("link", "set", peer, "master", net.bridge, "up", ns=self.router)
        ip("addr", "add", f"{ipv4}/{_prefix_len(net.ipv4)}", "dev", "eth0", ns=netns)
        ip("addr", "add", f"{ipv6}/{_prefix_len(net.ipv6)}", "dev", "eth0", "nodad", ns=netns)
        ip("link", "set", "eth0", "up", ns=netns)
        ip("route", "add", "default", "via", net.gateway_v4, ns=netns)
        ip("-6", "route", "add", "default", "via", net.gateway_v6, ns=netns)
        self._nft(f"add rule ip itplab pre iifname mgmt tcp dport {host.ssh_port} dnat to {ipv4}:22")
        if self.admin_source_v4:
            self._nft(
                f"add rule ip itplab post ip saddr {self.mgmt_host} ip daddr {ipv4} snat to {self.admin_source_v4}"
            )
        self._boot(host, hostdir)
        return host

    def _boot(self, host: NamespaceHost, hostdir: Path) -> None:
        m = host.merged
        script = f"""set -e
mount -t proc proc {m}/proc
mount --bind {m}/proc/sys {m}/proc/sys
mount --bind {m}/proc/sys/net {m}/proc/sys/net
mount -o remount,bind,ro {m}/proc/sys
mount -t sysfs -o ro sysfs {m}/sys
mount -t tmpfs -o mode=755 tmpfs {m}/run
mkdir -p {m}/run/sshd {m}/run/lock {m}/srv/repo
mount -t devpts -o newinstance,ptmxmode=0666 devpts {m}/dev/pts
mount --bind {m}/dev/pts/ptmx {m}/dev/ptmx
mount --bind -o ro {self.base.repo} {m}/srv/repo
hostname {host.name.split(".")[0]}
exec chroot {m} /usr/sbin/sshd -D -e
"""
        log = open(hostdir / "sshd.log", "w")  # noqa: SIM115 - kept open for the daemon's lifetime
        subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                host.netns,
                "unshare",
                "--mount",
                "--pid",
                "--uts",
                "--ipc",
                "--fork",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pids = self._sshd_pids(host.netns)
            if pids and _port_open(self.mgmt_router, host.ssh_port):
                host.sshd_pid = min(pids)
                return
            time.sleep(0.1)
        raise RuntimeError(f"{host.name}: sshd did not start:\n{(hostdir / 'sshd.log').read_text()[-2000:]}")

    @staticmethod
    def _sshd_pids(netns: str) -> list[int]:
        out = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
        pids = []
        for pid in out:
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "sshd":
                    pids.append(int(pid))
            except OSError:
                continue
        return pids

    # -- teardown ----------------------------------------------------------------------------------------
    def close(self) -> None:
        for host in self.hosts.values():
            _kill_netns(host.netns)
        _kill_netns(self.router)
        subprocess.run(["ip", "link", "del", f"{self.prefix}m"], capture_output=True)
        for host in self.hosts.values():
            subprocess.run(["umount", "-l", str(host.merged)], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def leftovers(self) -> list[str]:
        """Anything of this lab still present: namespaces, links, mounts, processes."""
        found = []
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        found += [line.split()[0] for line in netns.splitlines() if line.startswith(self.prefix)]
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        found += [f"link {self.prefix}m" for line in links.splitlines() if f" {self.prefix}m@" in line]
        mounts = Path("/proc/mounts").read_text()
        found += [f"mount {line.split()[1]}" for line in mounts.splitlines() if str(self.dir) in line]
        return found

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kill_netns(netns: str) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), sig)
        deadline = time.monotonic() + 3
        while pids and time.monotonic() < deadline:
            pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
            time.sleep(0.05)
        if not pids:
            break
    subprocess.run(["ip", "netns", "del", netns], capture_output=True)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_octet() -> int:
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    choices = [n for n in range(1, 255) if f" 10.77.{n}." not in used]
    return random.choice(choices)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3) as sock:
            sock.settimeout(0.5)
            return sock.recv(4).startswith(b"SSH")
    except OSError:
        return False


def cleanup_prefix(prefix: str) -> None:
    """Remove what a Lab with this prefix left behind after being killed before close()."""
    for line in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(prefix):
            _kill_netns(name)
    subprocess.run(["ip", "link", "del", f"{prefix}m"], capture_output=True)
    for line in reversed(Path("/proc/mounts").read_text().splitlines()):
        target = line.split()[1]
        if f"/{prefix}-" in target and target.startswith(str(WORK_ROOT)):
            subprocess.run(["umount", "-l", target], capture_output=True)
    for path in WORK_ROOT.glob(f"{prefix}-*"):
        shutil.rmtree(path, ignore_errors=True)
