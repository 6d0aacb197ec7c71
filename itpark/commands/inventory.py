"""`itpark inventory STACK`: write the Ansible inventory of a park from its plan."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itpark.errors import UsageError

SERVICES_FILE = "services.yml"
NAME = "inventory"
HELP = "Write inventories/<park>/hosts.yml and group_vars/ (groups by site, zone, tenant, role, level) from the plan."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", metavar="STACK", help="park directory, e.g. stacks/danang-itpark")
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("inventories"),
        metavar="DIR",
        help="inventory root (default: inventories); files go to DIR/<park>/",
    )


def load_plan(stack: str):  # type: ignore[no-untyped-def]
    from itpark.plan import plan_park

    if not Path(stack).is_dir():
        raise UsageError(f"{stack}: not a park directory (expected stacks/<park>/ with park.yaml)")
    return plan_park(stack)


def write_all(plan, root: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    """hosts.yml + group_vars (itpark.inventory) and services.yml, the shared services' variables."""
    from itpark.inventory import write_inventory
    from itpark.services import write_service_inventory

    written = list(write_inventory(plan, root))
    written.append(write_service_inventory(plan, root / plan.park.name / SERVICES_FILE))
    return written


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.stack)
    written = write_all(plan, args.output)
    hosts = len(plan.all_hosts())
    print(f"itpark inventory: {hosts} hosts, {len(written)} files in {args.output / plan.park.name}", file=sys.stderr)
    return 0
