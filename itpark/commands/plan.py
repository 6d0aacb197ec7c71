"""itpark plan STACK [--json]: what itpark decided, as a summary or as the whole plan in JSON."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from itpark.commands._common import add_stack, stack_dir
from itpark.fileio import dumps_json
from itpark.plan import Plan, plan_park

NAME = "plan"
HELP = "compute the plan (addresses, zones, flows, hosts, controls); --json prints all of it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--json", action="store_true", help="print the whole plan as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    plan = plan_park(stack_dir(args))
    sys.stdout.write(dumps_json(plan.to_jsonable()) if args.json else summary(plan))
    return 0


def summary(plan: Plan) -> str:
    lines = [f"{plan.park.title} [{plan.park.name}], {plan.park.kind}, {plan.park.province}"]
    lines.append(f"baseline: {plan.baseline.id} ({plan.baseline.catalog} v{plan.baseline.version})")
    for site, use in zip(plan.sites, plan.address_space, strict=True):
        lines.append(
            f"site {site.id}: {site.ipv4_supernet} + {site.ipv6_prefix}; core {site.core_v4}, shared {site.shared_v4}; "
            f"IPv4 used {use.active}, retired {use.retired}, free {use.free} of {use.total}"
        )
    lines.append(f"shared services: {', '.join(sorted({f'{s.kind}@{s.site}' for s in plan.services}))}")
    levels = Counter(s.level for t in plan.tenants for s in t.systems)
    lines.append(
        f"tenants: {len(plan.tenants)}; systems by level: "
        + ", ".join(f"level {lvl}: {n}" for lvl, n in sorted(levels.items()))
    )
    width = max((len(t.name) for t in plan.tenants), default=6)
    for tenant in plan.tenants:
        for system in tenant.systems:
            zones = ",".join(z.zone for z in system.zones)
            lines.append(
                f"  {tenant.name:<{width}}  {system.id:<10} level {system.level}  {system.block_v4:<16} "
                f"{system.block_v6:<24} hosts {len(system.hosts):>2}  zones {zones}"
            )
    groups = plan.all_security_groups()
    lines.append(
        f"hosts: {len(plan.all_hosts())}; security groups: {len(groups)}, rules: {sum(len(g.rules) for g in groups)}; "
        f"flows: {len(plan.all_flows())}"
    )
    changes = plan.ledger_changes
    if changes.empty:
        lines.append("ledger: up to date")
    else:
        lines.append(
            f"ledger: {len(changes.added)} to add, {len(changes.retired)} to retire, "
            f"{len(changes.reactivated)} to reactivate (run `itpark allocate` to record them)"
        )
    return "\n".join(lines) + "\n"
