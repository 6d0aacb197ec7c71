"""itpark allocate STACK [--check]: record the plan's allocations in the ledger (allocations.yaml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.fileio import write_text_atomic
from itpark.plan import plan_park
from itpark.plan.ledger import render_ledger
from itpark.spec.loader import LEDGER_FILE

NAME = "allocate"
HELP = "write new allocations and retirements to allocations.yaml; --check exits 1 if it is stale"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the ledger is not current")


def run(args: argparse.Namespace) -> int:
    root = stack_dir(args)
    plan = plan_park(root)
    path = Path(root) / LEDGER_FILE
    text = render_ledger(plan.park.name, plan.ledger)
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    changes = plan.ledger_changes
    described = [f"+ {k}" for k in changes.added] + [f"~ {k} (reactivated)" for k in changes.reactivated]
    described += [f"- {k} (retired, stays reserved)" for k in changes.retired]
    if current == text:
        print(f"{path}: up to date ({len(plan.ledger)} entries)")
        return 0
    if args.check:
        for line in described or ["(formatting differs; run `itpark allocate` to rewrite it)"]:
            print(line)
        print(f"{path}: stale: {len(described)} change(s) not recorded; run `itpark allocate {root}`")
        return 1
    progress(f"writing {path}")
    write_text_atomic(path, text)
    for line in described:
        print(line)
    print(
        f"{path}: {len(changes.added)} added, {len(changes.retired)} retired, "
        f"{len(changes.reactivated)} reactivated; {len(plan.ledger)} entries"
    )
    return 0
