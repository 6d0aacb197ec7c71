"""itpark validate STACK: check the spec, report every problem with file, line and field."""

from __future__ import annotations

import argparse

from itpark.commands._common import add_stack, stack_dir
from itpark.plan import plan_park

NAME = "validate"
HELP = "check park.yaml, tenants/*.yaml and the ledger; every problem with file:line, exit 2 if any"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)


def run(args: argparse.Namespace) -> int:
    plan = plan_park(stack_dir(args))  # planning too: "does not fit" is a spec problem
    systems = sum(len(t.systems) for t in plan.tenants)
    print(f"{plan.park.name}: valid ({len(plan.tenants)} tenants, {systems} systems, {len(plan.all_hosts())} hosts)")
    return 0
