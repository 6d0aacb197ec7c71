"""Namespace hosts standing in for a plan's hosts, at the plan's addresses, plus the inventory override.

`plan_lab(plan, names, base)` starts a Lab with one bridge per network the named hosts sit on (gateways as
the plan says) and one namespace host per name at its plan IPv4/IPv6 address. SSH from the machine is
source-NATed to the site's bastion address, the management path the plan allows. `override_inventory()`
returns the extra inventory `itpark harden --inventory` takes: how to reach each host (port, key, no
ProxyJump) and `itpark_shared_kernel: true`, so roles leave the machine's kernel alone.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .base import Base
from .nshost import Lab


def plan_lab(plan: Any, names: list[str], base: Base) -> Lab:
    hosts = {h.name: h for h in plan.all_hosts()}
    missing = [n for n in names if n not in hosts]
    if missing:
        raise KeyError(f"not in the plan: {missing}")
    first = hosts[names[0]]
    bastion = plan.service("bastion", first.site) or plan.service("bastion")
    lab = Lab(base, admin_source_v4=bastion.hosts[0].ipv4 if bastion else "")
    try:
        lab.start()
        subnets = plan.all_subnets()
        for name in names:
            host = hosts[name]
            if host.network not in lab.networks:
                net = subnets[host.network]
                lab.add_network(net.name, net.ipv4, net.gateway_v4, net.ipv6, net.gateway_v6)
            lab.add_host(name, host.network, host.ipv4, host.ipv6)
    except BaseException:
        lab.close()
        raise
    return lab


def write_override(hosts: Mapping[str, Any], path: Path, extra: Mapping[str, Mapping[str, Any]]) -> Path:
    """The extra inventory `itpark harden --inventory` takes: how to reach each test host (its SSH port and key,
    no ProxyJump, no shared-service hosts beside it) plus that host's `extra` variables.

    `hosts` maps plan host names to test hosts (namespace hosts or VMs: both have ssh_host, ssh_port, user, key)."""
    entries = {
        name: {
            "ansible_host": h.ssh_host,
            "ansible_port": h.ssh_port,
            "ansible_user": h.user,
            "ansible_ssh_private_key_file": str(h.key),
            "ansible_ssh_common_args": "",
            # test hosts are recreated with other keys at the same addresses: never remember them
            "ansible_ssh_extra_args": "-o UserKnownHostsFile=/dev/null",
            "itpark_shared_services": False,  # these labs have no shared-service hosts
            **extra.get(name, {}),
        }
        for name, h in hosts.items()
    }
    with open(path, "w") as handle:
        YAML().dump({"all": {"hosts": entries}}, handle)
    return path


def override_inventory(lab: Lab, path: Path, extra: dict[str, Any] | None = None) -> Path:
    """The override for a lab's namespace hosts: they share the machine's kernel (`itpark_shared_kernel`)."""
    shared = {"itpark_shared_kernel": True, **(extra or {})}
    return write_override(lab.hosts, path, {name: shared for name in lab.hosts})


def serve_ntp(lab: Lab, plan: Any, site: str) -> subprocess.Popen[str]:
    """The park NTP service of `site` played by the lab's router namespace: the plan's NTP addresses on its
    loopback and a small NTP server (testhosts/sntp.py) answering with this machine's clock. The caller stops
    it (terminate); the lab's close() removes the namespace with the addresses."""
    service = plan.service("ntp", site) or plan.service("ntp")
    addresses = [a for host in service.hosts for a in (host.ipv4, host.ipv6)]
    for address in addresses:
        plen = 128 if ":" in address else 32
        # nodad: an IPv6 address must be usable at once (the server binds it next)
        subprocess.run(["ip", "-n", lab.router, "addr", "add", f"{address}/{plen}", "dev", "lo", "nodad"], check=True)
    server = str(Path(__file__).with_name("sntp.py"))
    command = ["ip", "netns", "exec", lab.router, "python3", server, *addresses]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc
