"""itpark up STACK: deploy every stack of the park in dependency order with the Pulumi engine (pulumi up)."""

from __future__ import annotations

import argparse

from itpark.commands._engine import add_engine_arguments, policy_config_path, stack_names

NAME = "up"
HELP = "deploy every stack of the park in dependency order with the Pulumi engine (pulumi up); needs the Pulumi CLI"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from itpark.pulumi.engine import require_cli, run_op

    require_cli()
    return run_op("up", stack_names(args), args.project_dir, policy_config=policy_config_path(args))
