"""itpark refresh STACK: refresh the state of every stack of the park from the cloud (pulumi refresh)."""

from __future__ import annotations

import argparse

from itpark.commands._engine import add_engine_arguments, stack_names

NAME = "refresh"
HELP = "refresh the state of every stack of the park from the cloud (pulumi refresh); needs the Pulumi CLI"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from itpark.pulumi.engine import require_cli, run_op

    require_cli()
    return run_op("refresh", stack_names(args), args.project_dir)
