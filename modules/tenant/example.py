"""Example: the tenant factory, one call for one tenant of the plan."""

from __future__ import annotations

from typing import Any

from modules.example_plan import example_plan
from modules.tenant import CoreIds, Tenant


def main() -> dict[str, Any]:
    plan = example_plan()
    tenant = Tenant(
        plan.tenant("so-tttt"),
        plan.park.name,
        "domain-id",
        {"dc1": CoreIds("core-dc1-id", "core-dc1-v4-id", "core-dc1-v6-id")},
        encrypted_volume_type="encrypted",
    )
    return {"project_id": tenant.project.project.id}
