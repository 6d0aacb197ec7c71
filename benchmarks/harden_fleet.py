"""Benchmark a fleet: N namespace hosts of one site hardened in one `site.yml` run through the site's bastion.

The bastion is a namespace host too, reached the way an operator reaches it (SSH source-NATed to an operator
address); every other host is managed through it (ProxyCommand), the only path the plan's security groups
allow. Prints, per N: wall time of the run, time per host, and the controller's peak memory (the sum of the
resident memory of ansible-playbook and its SSH processes, sampled every 0.5 s). The per-host cost should not
grow with N. Not part of CI.

Run as root: .venv/bin/python benchmarks/harden_fleet.py [--sizes 10 25 50] [--stack stacks/danang-itpark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import netaddr
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from testhosts.base import ensure_base  # noqa: E402
from testhosts.nshost import SSH_OPTS, Lab  # noqa: E402

from itpark.commands.inventory import write_all  # noqa: E402
from itpark.hardening.runner import run_site  # noqa: E402
from itpark.plan import plan_park  # noqa: E402


def _descendants_rss_mb(root: int) -> float:
    """Resident memory of `root`'s process tree, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        total += rss.get(pid, 0) if pid != root else 0
    return total / 1024


class PeakMemory(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.running = 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _descendants_rss_mb(os.getpid()))
            time.sleep(0.5)


def _fleet(plan: Any, size: int) -> tuple[Any, list[Any]]:
    bastion = plan.service("bastion").hosts[0]
    hosts = sorted((h for h in plan.all_hosts() if h.site == bastion.site and not h.service), key=lambda h: h.name)
    if len(hosts) < size:
        raise SystemExit(f"the plan has {len(hosts)} tenant hosts at {bastion.site}, fewer than {size}")
    return bastion, hosts[:size]


def _override(lab: Lab, bastion: Any, names: list[str], path: Path) -> Path:
    jump = lab.hosts[bastion.name]
    proxy = " ".join(
        ["ssh", *SSH_OPTS, "-i", str(jump.key), "-p", str(jump.ssh_port), "-W", "%h:%p", f"{jump.user}@{jump.ssh_host}"]
    )
    common = {
        "itpark_shared_kernel": True,
        "itpark_shared_services": False,
        "ansible_ssh_private_key_file": str(lab.base.key),
        "ansible_ssh_extra_args": "-o UserKnownHostsFile=/dev/null",
    }
    hosts: dict[str, Any] = {
        bastion.name: {"ansible_host": jump.ssh_host, "ansible_port": jump.ssh_port, "ansible_ssh_common_args": ""}
    }
    for name in names:
        hosts[name] = {"ansible_port": 22, "ansible_ssh_common_args": f"-o 'ProxyCommand={proxy}'"}
    for data in hosts.values():
        data.update(common)
    with open(path, "w") as handle:
        YAML().dump({"all": {"hosts": hosts}}, handle)
    return path


def measure(plan: Any, base: Any, size: int, work: Path) -> dict[str, float]:
    bastion, fleet = _fleet(plan, size)
    lab = Lab(base, admin_source_v4=str(netaddr.IPNetwork(plan.park.operator_networks[0])[10]))
    try:
        lab.start()
        nets = plan.all_subnets()
        for host in [bastion, *fleet]:
            if host.network not in lab.networks:
                net = nets[host.network]
                lab.add_network(net.name, net.ipv4, net.gateway_v4, net.ipv6, net.gateway_v6)
            lab.add_host(host.name, host.network, host.ipv4, host.ipv6)
        write_all(plan, work / "inventories")
        sources = [work / "inventories" / plan.park.name / n for n in ("hosts.yml", "services.yml")]
        sources.append(_override(lab, bastion, [h.name for h in fleet], work / f"fleet-{size}.yml"))
        memory = PeakMemory()
        memory.start()
        start = time.monotonic()
        with open(os.devnull, "w") as quiet:
            result = run_site(sources, limit=",".join([bastion.name, *(h.name for h in fleet)]), out=quiet)
        wall = time.monotonic() - start
        memory.running = False
        memory.join()
        failed = sorted(result.failed_hosts)
        return {
            "hosts": size + 1,
            "wall": wall,
            "per_host": wall / (size + 1),
            "peak_mb": memory.peak,
            "failed": len(failed),
            "rc": result.rc,
        }
    finally:
        lab.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--stack", type=Path, default=ROOT / "stacks" / "danang-itpark")
    args = parser.parse_args()
    plan, base = plan_park(args.stack), ensure_base()
    print(f"{'hosts':>6} {'wall s':>8} {'s/host':>7} {'peak MB':>8} {'failed':>6}  load")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="itpark-fleet-") as tmp:
            row = measure(plan, base, size, Path(tmp))
        load = os.getloadavg()[0]
        print(
            f"{row['hosts']:>6} {row['wall']:>8.1f} {row['per_host']:>7.2f} {row['peak_mb']:>8.0f} "
            f"{row['failed']:>6}  {load:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
