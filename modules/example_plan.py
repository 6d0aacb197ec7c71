"""The plan the components' examples translate: the Da Nang example park."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from itpark.plan import Plan, plan_park

EXAMPLE_PARK = Path(__file__).resolve().parents[1] / "stacks" / "danang-itpark"


@cache
def example_plan() -> Plan:
    return plan_park(EXAMPLE_PARK)
