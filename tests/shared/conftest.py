"""A small park on namespace test hosts: the shared services of danang-itpark and two tenant hosts.

Built on tests/testhosts (Lab, base image with the offline repo). SSH from the machine is source-NATed to an
operator address (the plan's operator network), so it reaches the bastion the way an operator does; every other
host is managed through the bastion (ProxyCommand), the only path the plan's security groups allow.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import netaddr
import pytest
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testhosts.base import Base, ensure_base
from testhosts.nshost import SSH_OPTS, Lab, NamespaceHost

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stacks" / "danang-itpark"
BASTION = "bastion-01.dc1.shared"
DNS = "dns-01.dc1.shared"
NTP = "ntp-01.dc1.shared"
LOG = "log-01.dc1.shared"
MONITORING = "monitoring-01.dc1.shared"
TENANT_L2 = "api-01.erp.softviet"
TENANT_L3 = "admin-01.payments.dana-fintech"  # management zone of a level-3 system
HOSTS = [BASTION, DNS, NTP, LOG, MONITORING, TENANT_L2, TENANT_L3]
OPERATOR = "itpark-op"


@pytest.fixture(scope="session")
def base() -> Base:
    from shared.packages import PACKAGES

    return ensure_base(PACKAGES)


@pytest.fixture(scope="session")
def plan() -> Any:
    from itpark.plan import plan_park

    return plan_park(STACK)


@dataclass
class Park:
    lab: Lab
    plan: Any
    work: Path
    operator_key: Path
    hosts: dict[str, Any] = field(default_factory=dict)  # plan hosts by name

    def host(self, name: str) -> NamespaceHost:
        return self.lab.hosts[name]

    def proxy(self) -> str:
        bastion = self.lab.hosts[BASTION]
        inner = " ".join(
            [
                "ssh",
                *SSH_OPTS,
                "-i",
                str(bastion.key),
                "-p",
                str(bastion.ssh_port),
                "-W",
                "%h:%p",
                f"{bastion.user}@{bastion.ssh_host}",
            ]
        )
        return f"ProxyCommand={inner}"

    def inventories(self) -> list[Path]:
        return [
            self.work / "inventories" / self.plan.park.name / "hosts.yml",
            self.work / "services.yml",
            self.work / "testhosts.yml",
        ]


@pytest.fixture(scope="module")
def park(base: Base, plan: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Park]:
    from itpark.inventory import write_inventory
    from itpark.services import write_service_inventory

    work = tmp_path_factory.mktemp("shared")
    operator_source = str(netaddr.IPNetwork(plan.park.operator_networks[0])[10])
    lab = Lab(base, admin_source_v4=operator_source)
    try:
        lab.start()
        nets = plan.all_subnets()
        hosts = {h.name: h for h in plan.all_hosts()}
        for name in HOSTS:
            host = hosts[name]
            if host.network not in lab.networks:
                net = nets[host.network]
                lab.add_network(net.name, net.ipv4, net.gateway_v4, net.ipv6, net.gateway_v6)
            lab.add_host(name, host.network, host.ipv4, host.ipv6)
        operator_key = work / "operator_key"
        import subprocess

        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(operator_key)], check=True)
        park = Park(lab, plan, work, operator_key, hosts)
        write_inventory(plan, work / "inventories")
        write_service_inventory(plan, work / "services.yml")
        _override(park)
        yield park
    finally:
        lab.close()
        assert lab.leftovers() == [], "the lab left namespaces, links or mounts behind"


def _override(park: Park) -> None:
    """How to reach the lab hosts: the bastion directly (as an operator), every other host through it."""
    common = {
        "itpark_shared_kernel": True,
        "ansible_ssh_private_key_file": str(park.lab.base.key),
        "park_ca_dir": str(park.work / "pki"),
        # test hosts are recreated with other keys at the same addresses: never remember them
        "ansible_ssh_extra_args": "-o UserKnownHostsFile=/dev/null",
        "monitoring_scrape_interval": "3s",
    }
    hosts: dict[str, Any] = {}
    for name, h in park.lab.hosts.items():
        if name == BASTION:
            hosts[name] = {
                "ansible_host": h.ssh_host,
                "ansible_port": h.ssh_port,
                "ansible_ssh_common_args": "",
                "bastion_operators": [
                    {"name": OPERATOR, "ssh_key": (park.operator_key.with_suffix(".pub")).read_text().strip()}
                ],
                **common,
            }
        else:
            hosts[name] = {"ansible_port": 22, "ansible_ssh_common_args": f"-o '{park.proxy()}'", **common}
    with open(park.work / "testhosts.yml", "w") as handle:
        YAML().dump({"all": {"hosts": hosts}}, handle)


def wait_for(check: Any, timeout: float, interval: float = 0.2) -> tuple[bool, float]:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return True, time.monotonic() - start
        time.sleep(interval)
    return False, time.monotonic() - start
