"""Example: the park's domain and flavors, and one tenant's project with its quotas."""

from __future__ import annotations

from typing import Any

from modules.common import Labels
from modules.datacenter import DataCenter, FlavorSpec, TenantProject
from modules.example_plan import example_plan


def main() -> dict[str, Any]:
    plan = example_plan()
    dc = DataCenter(plan.park.name, plan.park, [FlavorSpec("m1.small", 1, 2048, 20)], [])
    tenant = plan.tenant("dana-fintech")
    project = TenantProject(tenant, dc.domain.id, Labels(plan.park.name, tenant.name, tenant.owner, 3))
    return {"domain_id": dc.domain.id, "project_id": project.project.id}
