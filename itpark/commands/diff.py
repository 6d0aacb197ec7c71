"""itpark diff STACK: the offline preview. Compare the program's manifest with the committed golden one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itpark.commands._common import add_stack, stack_dir
from itpark.commands.manifest import add_jobs, build_manifest

NAME = "diff"
HELP = "compare the Pulumi manifest with the park's golden manifest.json; exit 0 equal, 1 different"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    add_jobs(parser)
    parser.add_argument("--golden", type=Path, help="golden manifest to compare with (default: STACK/manifest.json)")


def run(args: argparse.Namespace) -> int:
    from itpark.pulumi.manifest import diff_manifests, golden_path, read_manifest

    golden = read_manifest(args.golden or golden_path(stack_dir(args)))
    diff = diff_manifests(golden, build_manifest(args))
    sys.stdout.write("no changes: the program registers exactly the golden manifest\n" if diff.empty else diff.report())
    return 0 if diff.empty else 1
