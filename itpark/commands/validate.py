"""itpark validate STACK: check the spec, report every problem with file, line and field."""

from __future__ import annotations

import argparse

from itpark.commands._common import add_stack, stack_dir
from itpark.plan import plan_park
from itpark.plan.model import Notice, Plan
from itpark.spec.loader import LoadedPark, load_park

NAME = "validate"
HELP = "check park.yaml, tenants/*.yaml and the ledger; every problem with file:line, exit 2 if any"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument(
        "--warnings",
        action="store_true",
        help="also list what the dossiers still need: classification facts missing (Decree 331/2026 Art 9, 11-15) "
        "and dossier fields to be completed (Art 22), each as file:line: field: message (exit 0 all the same)",
    )


def run(args: argparse.Namespace) -> int:
    root = stack_dir(args)
    plan = plan_park(root)  # planning too: "does not fit" is a spec problem
    if args.warnings:
        for line in warning_lines(load_park(root), plan):  # loaded again only to find the warnings' lines
            print(line)
    systems = sum(len(t.systems) for t in plan.tenants)
    summary = f"{plan.park.name}: valid ({len(plan.tenants)} tenants, {systems} systems, {len(plan.all_hosts())} hosts)"
    if args.warnings:
        summary += f", {len(plan.warnings)} warning{'s' if len(plan.warnings) != 1 else ''}"
    print(summary)
    return 0


def warning_lines(loaded: LoadedPark, plan: Plan) -> list[str]:
    """The plan's warnings as `file:line: field: message`, in file and line order."""
    located = sorted((_where(loaded, n), n.path, n.message) for n in plan.warnings)
    return [f"{file}:{line}: {path}: warning: {message}" for (file, line), path, message in located]


def _where(loaded: LoadedPark, notice: Notice) -> tuple[str, int]:
    doc = loaded.park_doc if notice.tenant is None else loaded.tenant_docs[notice.tenant]
    return doc.file, doc.line(notice.loc)
