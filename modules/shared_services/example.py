"""Example: the park's bastion and WAF (with its load balancer and the park's one floating IP)."""

from __future__ import annotations

from typing import Any

from modules.common import Labels
from modules.example_plan import example_plan
from modules.hosts import Attachment
from modules.shared_services import SharedServices


def main() -> dict[str, Any]:
    plan = example_plan()
    services = [s for s in plan.services if s.kind in ("bastion", "waf")]
    attachments = {
        s.subnet.name: Attachment(f"{s.subnet.name}-id", f"{s.subnet.name}-v4", f"{s.subnet.name}-v6", "sg-id")
        for s in services
    }
    shared = SharedServices(
        plan.park.name,
        services,
        attachments,
        Labels(plan.park.name, "shared", plan.park.operator, 0),
        public_pools={"dc1": "link-internet"},
    )
    return {"vips": {site: lb.vip_address for site, lb in shared.load_balancers.items()}}
