"""What a project's hosts need from its quotas (instances, vCPUs, RAM, volumes), and the shared-services project's
quota: exactly its needs plus headroom, so `pulumi up` never stops half-way on a quota."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from itpark.plan.model import Host, Plan, Quota

SHARED_HEADROOM = 2  # the shared project's quotas are twice its needs: room to replace a service host in place


class Size(NamedTuple):
    vcpus: int
    ram_mb: int


def needs(hosts: Iterable[Host], flavors: Mapping[str, Size]) -> dict[str, int]:
    """Quota needs of these hosts, by quota field name (flavors unknown to the park count as zero)."""
    hosts = list(hosts)
    sized = [flavors[h.flavor] for h in hosts if h.flavor in flavors]
    return {
        "instances": len(hosts),
        "cores": sum(f.vcpus for f in sized),
        "ram_mb": sum(f.ram_mb for f in sized),
        "volumes": sum((h.volume_gb > 0) + (h.system_volume_gb > 0) for h in hosts),
        "volume_gb": sum(h.volume_gb + h.system_volume_gb for h in hosts),
    }


def shared_quota(plan: Plan, flavors: Mapping[str, Size]) -> Quota:
    """Quota of the shared-services project: its hosts, volumes, groups and rules, with headroom."""
    need = needs((h for s in plan.services for h in s.hosts), flavors)
    groups = [s.security_group for s in plan.services]
    return Quota(
        instances=need["instances"] * SHARED_HEADROOM,
        cores=need["cores"] * SHARED_HEADROOM,
        ram_mb=need["ram_mb"] * SHARED_HEADROOM,
        volumes=need["volumes"] * SHARED_HEADROOM,
        volume_gb=need["volume_gb"] * SHARED_HEADROOM,
        floating_ips=len({s.site for s in plan.services if s.subnet.public}) * SHARED_HEADROOM,
        security_groups=len(groups) * SHARED_HEADROOM,
        security_group_rules=sum(len(g.rules) for g in groups) * SHARED_HEADROOM,
    )
