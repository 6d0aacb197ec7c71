"""itpark stacks STACK: write Pulumi.<stack>.yaml for every stack of the park (a new tenant file adds one)."""

from __future__ import annotations

import argparse
from pathlib import Path

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.fileio import dumps_json, write_text_atomic
from itpark.plan import plan_park
from itpark.pulumi.program import DEFAULT_ENCRYPTED_VOLUME_TYPE
from itpark.pulumi.stacks import park_stacks, policy_config, relative_park_dir, stack_file

NAME = "stacks"
HELP = (
    "write the Pulumi.<stack>.yaml files of the park's layer and tenant stacks and the policy pack config "
    "policy/<park>.json; --check only compares"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--project-dir", type=Path, default=Path("."), help="directory of Pulumi.yaml (default: .)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a stack file is missing, different or stale")


def expected_files(park: Path, project_dir: Path) -> dict[Path, str]:
    plan = plan_park(park)
    park_ref = relative_park_dir(park, project_dir)
    files = {project_dir / f"Pulumi.{s.name}.yaml": stack_file(s, park_ref) for s in park_stacks(plan)}
    policy = policy_config(plan, [DEFAULT_ENCRYPTED_VOLUME_TYPE])
    files[project_dir / "policy" / f"{plan.park.name}.json"] = dumps_json(policy)
    return files


def run(args: argparse.Namespace) -> int:
    park = stack_dir(args)
    files = expected_files(park, args.project_dir)
    prefix = f"Pulumi.{plan_park(park).park.name}-"
    stale = sorted(p for p in args.project_dir.glob(f"{prefix}*.yaml") if p not in files)
    differ = [p for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in differ:
            progress(f"{path}: missing or out of date (run `itpark stacks {args.stack}`)")
        for path in stale:
            progress(f"{path}: no such stack in the plan (remove it after `pulumi destroy` of that stack)")
        return 1 if differ or stale else 0
    for path in differ:
        write_text_atomic(path, files[path])
    progress(f"{len(differ)} stack files written, {len(files) - len(differ)} up to date")
    for path in stale:
        progress(f"{path}: stale (tenant removed); its data is retained: see docs/pulumi.md before removing it")
    return 0
