"""Shared shell of the engine commands (preview, up, refresh, drift): which stacks, in which order."""

from __future__ import annotations

import argparse
from pathlib import Path

from itpark.commands._common import add_stack, stack_dir
from itpark.errors import UsageError


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--only", action="append", metavar="NAME", help="only this Pulumi stack (repeatable)")
    parser.add_argument("--project-dir", type=Path, default=Path("."), help="directory of Pulumi.yaml (default: .)")


def stack_names(args: argparse.Namespace) -> list[str]:
    """The park's stacks in dependency order (datacenter, network, shared, tenants), or those of --only."""
    from itpark.plan import plan_park
    from itpark.pulumi.stacks import park_stacks

    if not (args.project_dir / "Pulumi.yaml").is_file():
        raise UsageError(f"{args.project_dir}: no Pulumi.yaml (run from the repository root or pass --project-dir)")
    names = [s.name for s in park_stacks(plan_park(stack_dir(args)))]
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            raise UsageError(f"not a stack of this park: {', '.join(unknown)} (see `itpark stacks`)")
        names = [n for n in names if n in args.only]
    return names


def policy_config_path(args: argparse.Namespace) -> Path:
    """The park's policy pack config (written by `itpark stacks`); `preview` and `up` apply the pack with it."""
    from itpark.plan import plan_park

    path = args.project_dir / "policy" / f"{plan_park(stack_dir(args)).park.name}.json"
    if not path.is_file():
        raise UsageError(f"{path}: no policy pack config (run `itpark stacks {args.stack}`)")
    return path
