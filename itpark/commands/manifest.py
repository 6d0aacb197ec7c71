"""itpark manifest STACK: every resource the Pulumi program would register, run offline under Pulumi's mocks."""

from __future__ import annotations

import argparse
import os
import sys

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.fileio import dumps_json

NAME = "manifest"
HELP = (
    "run the Pulumi program of every stack of the park under mocks and print the resource manifest (JSON); "
    "--write stores it as the golden manifests STACK/manifests/<stack>.json"
)


def add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, help="processes for independent stacks (default: cores)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    add_jobs(parser)
    parser.add_argument(
        "--write",
        action="store_true",
        help="write one golden file per stack into STACK/manifests/ (and remove those of stacks no longer planned)",
    )


def build_manifest(args: argparse.Namespace) -> dict[str, object]:
    from itpark.pulumi.offline import park_manifest  # pulumi is slow to import: only when needed

    park = stack_dir(args)
    progress(f"running the Pulumi program of {park} under mocks ({args.jobs} processes)")
    return park_manifest(park.as_posix(), args.jobs)


def run(args: argparse.Namespace) -> int:
    from itpark.pulumi.manifest import golden_dir, write_golden

    manifest = build_manifest(args)
    if args.write:
        park = stack_dir(args)
        changed = write_golden(park, manifest)
        progress(f"{golden_dir(park)}: {len(changed)} files written or removed, {len(manifest['stacks'])} stacks")
    else:
        sys.stdout.write(dumps_json(manifest))
    return 0
