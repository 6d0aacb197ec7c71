"""itpark allocate STACK [--check] [--reallocate TENANT]: record the plan's allocations in the ledger (ledger/)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.errors import Problem, SpecError, UsageError
from itpark.plan import plan_park
from itpark.plan.ledger import LEGACY_FILE, ledger_changes_on_disk, owner_of, read_ledger, render_ledger, write_ledger
from itpark.plan.model import Plan

NAME = "allocate"
HELP = (
    "write new allocations and retirements to the ledger (ledger/<tenant>.yaml, ledger/_park.yaml); "
    "--check exits 1 if it is stale"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the ledger is not current")
    parser.add_argument(
        "--reallocate",
        metavar="TENANT",
        action="append",
        default=[],
        help="renumber TENANT's entries that collide with another owner's or lie outside their subnet after a "
        "move (old uncontested addresses stay retired); repeatable",
    )


def run(args: argparse.Namespace) -> int:
    return allocate(stack_dir(args), args.reallocate, check=args.check)


def allocate(root: Path, reallocate: Sequence[str] = (), check: bool = False) -> int:
    """Plan the park and record its allocations in ledger/ (the function `itpark tenant new` calls too).

    Prints what changed; returns 0 (written or up to date) or 1 (`check` and stale). Raises SpecError (exit 2)
    on a bad spec or ledger, UsageError on an unknown tenant to reallocate.
    """
    current = read_ledger(root)
    known = {owner_of(k) for k in current.entries} | {p.stem for p in (root / "tenants").glob("*.y*ml")}
    for tenant in reallocate:
        if tenant not in known:
            raise UsageError(f"--reallocate {tenant}: no such tenant in {root}/tenants or the ledger")
    plan = plan_park(root, reallocate)
    _refuse_mass_retirement(root, plan)
    files = render_ledger(plan.park.name, plan.ledger)
    changes = ledger_changes_on_disk(root, current, files)
    summary = plan.ledger_changes
    described = [f"+ {k}" for k in summary.added] + [f"~ {k} (reactivated)" for k in summary.reactivated]
    described += [f"- {k} (retired, stays reserved)" for k in summary.retired]
    if not changes:
        print(f"{root}: ledger up to date ({len(plan.ledger)} entries in {len(files)} files)")
        return 0
    if check:
        if current.legacy:
            described.append(f"(the old single-file {LEGACY_FILE} is split into ledger/ once)")
        for line in described or ["(formatting or file layout differs)"]:
            print(line)
        print(f"{root}: ledger stale: {len(described)} change(s) not recorded; run `itpark allocate {root}`")
        return 1
    progress(f"writing {len(changes)} ledger file(s) under {root}")
    write_ledger(root, changes)
    for line in described:
        print(line)
    if current.legacy:
        print(f"migrated: {root / LEGACY_FILE} split into {root}/ledger/ (one file per tenant) and removed")
    print(
        f"{root}: {len(summary.added)} added, {len(summary.retired)} retired, "
        f"{len(summary.reactivated)} reactivated; {len(plan.ledger)} entries in {len(files)} files"
    )
    return 0


def _refuse_mass_retirement(root: Path, plan: Plan) -> None:
    """A park with no tenants left while the ledger has active ones is a lost directory, not a decision."""
    if plan.tenants:
        return
    leaving = sorted({owner_of(k) for k in plan.ledger_changes.retired} - {None})
    if leaving:
        raise SpecError(
            [
                Problem(
                    str(root / "tenants"),
                    0,
                    "",
                    f"no tenant files, but the ledger has {len(leaving)} active tenant(s) ({', '.join(leaving[:5])}"
                    f"{', ...' if len(leaving) > 5 else ''}); refusing to retire them all: restore tenants/",
                )
            ]
        )
