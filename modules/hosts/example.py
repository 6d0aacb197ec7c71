"""Example: the hosts of one system, attached to ids another stack exported (literal ids here)."""

from __future__ import annotations

from typing import Any

from modules.common import Labels
from modules.example_plan import example_plan
from modules.hosts import Attachment, Hosts


def main() -> dict[str, Any]:
    system = example_plan().tenant("nguhanhson-health").systems[0]
    attachments = {
        h.name: Attachment(f"{h.network}-id", f"{h.network}-v4-id", f"{h.network}-v6-id", f"{h.security_group}-id")
        for h in system.hosts
    }
    hosts = Hosts(system.id, system.hosts, attachments, Labels("example", "nguhanhson-health", "owner", system.level))
    return {"ports": {name: p.id for name, p in hosts.ports.items()}}
