"""The plan: pure, deterministic decisions from the spec and the ledger."""

from itpark.plan.build import build_plan, plan_park
from itpark.plan.model import Plan

__all__ = ["Plan", "build_plan", "plan_park"]
