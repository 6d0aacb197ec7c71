"""itpark verify STACK: static checks that the park's manifest would work once applied, offline.

Every plan flow has a layer-3 path and rules on both ends; every server a bootstrap path; a server's ports,
volumes and group in its own project; quotas that fit; no provider segment Neutron would refuse. Reads the
program's manifest under mocks (or the committed golden one with --golden)."""

from __future__ import annotations

import argparse
import sys

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.commands.manifest import add_jobs, build_manifest

NAME = "verify"
HELP = (
    "check offline that the park's manifest would work: layer-3 paths and rules for every flow, bootstrap, "
    "ownership, quotas, provider segments; exit 0 clean, 1 one line per finding"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    add_jobs(parser)
    parser.add_argument(
        "--golden", action="store_true", help="verify the committed golden manifests instead of running the program"
    )


def run(args: argparse.Namespace) -> int:
    from itpark.plan import plan_park
    from itpark.pulumi.manifest import read_golden
    from itpark.verify import verify

    park = stack_dir(args)
    plan = plan_park(park)
    manifest = read_golden(park) if args.golden else build_manifest(args)
    findings = verify(plan, manifest)
    for line in findings:
        sys.stdout.write(line + "\n")
    progress(f"{park}: {len(findings)} findings" if findings else f"{park}: verified, no findings")
    return 1 if findings else 0
