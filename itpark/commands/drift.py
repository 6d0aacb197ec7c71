"""itpark drift STACK: preview-only refresh plus a preview expecting no changes, for every stack of the park."""

from __future__ import annotations

import argparse

from itpark.commands._engine import add_engine_arguments, stack_names

NAME = "drift"
HELP = "detect drift of every stack (refresh preview + preview expecting no changes); exit 0 none, 1 drift, 2 error"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from itpark.pulumi.engine import drift, require_cli

    require_cli()
    code, results = drift(stack_names(args), args.project_dir)
    for result in results:
        print(result.line())
    drifted = sum(r.drifted for r in results)
    errors = sum(bool(r.error) for r in results)
    print(f"{len(results)} stacks: {drifted} drifted, {errors} failed")
    return code
