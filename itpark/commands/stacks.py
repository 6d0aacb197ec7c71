"""itpark stacks STACK: write stack-config/Pulumi.<stack>.yaml for every stack of the park (a new tenant adds one).

Only the keys itpark owns are set; secrets, `encryptionsalt` and config a user added stay. Stack files left in the
project root by older versions are merged and moved into stack-config/ (Pulumi.yaml `stackConfigDir`)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import yaml

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.fileio import dumps_json, write_text_atomic
from itpark.plan import plan_park
from itpark.pulumi.program import DEFAULT_ENCRYPTED_VOLUME_TYPE
from itpark.pulumi.stacks import (
    STACK_CONFIG_DIR,
    existing_org,
    layer_stack,
    merge_stack_file,
    park_stacks,
    policy_config,
    relative_park_dir,
    stack_config_path,
)

NAME = "stacks"
HELP = (
    f"write {STACK_CONFIG_DIR}/Pulumi.<stack>.yaml of the park's layer and tenant stacks (merging into existing "
    "files) and the policy pack config policy/<park>.json; --check only compares"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--project-dir", type=Path, default=Path("."), help="directory of Pulumi.yaml (default: .)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a stack file is missing, different or stale")
    parser.add_argument(
        "--org",
        help="backend organization of StackReference names, written as itpark:org in every stack file of the park "
        "(Pulumi Cloud: your organization; default: what the backend reports, 'organization' when self-managed); "
        "kept until changed, and new stacks inherit the park's",
    )


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _encrypted_types(stack_files: Iterable[str]) -> list[str]:
    """The encrypted volume types the park's stacks are set to (`itpark:encryptedVolumeType`), for the pack."""
    types = set()
    for text in stack_files:
        config = (yaml.safe_load(text) or {}).get("config") or {}
        types.add(str(config.get("itpark:encryptedVolumeType") or DEFAULT_ENCRYPTED_VOLUME_TYPE))
    return sorted(types)


def expected_files(park: Path, project_dir: Path, org: str | None = None) -> tuple[dict[Path, str], list[Path]]:
    """Every file `itpark stacks` would write, with its text, and the old root files it would replace."""
    plan = plan_park(park)
    park_ref = relative_park_dir(park, project_dir)
    if org is None:  # the park's setting: what its datacenter stack file says
        path = stack_config_path(project_dir, layer_stack(plan.park.name, "datacenter"))
        org = existing_org(_read(path), str(path))
    files: dict[Path, str] = {}
    moved: list[Path] = []
    for spec in park_stacks(plan):
        path = stack_config_path(project_dir, spec.name)
        old_root = project_dir / path.name
        existing = _read(path)
        if existing is None and old_root.is_file():
            existing = _read(old_root)
            moved.append(old_root)
        files[path] = merge_stack_file(existing, spec, park_ref, org, str(path))
    policy = policy_config(plan, _encrypted_types(files.values()))
    files[project_dir / "policy" / f"{plan.park.name}.json"] = dumps_json(policy)
    return files, moved


def run(args: argparse.Namespace) -> int:
    park = stack_dir(args)
    files, moved = expected_files(park, args.project_dir, args.org)
    prefix = f"Pulumi.{plan_park(park).park.name}-"
    stale = sorted(p for p in (args.project_dir / STACK_CONFIG_DIR).glob(f"{prefix}*.yaml") if p not in files)
    differ = [p for p, text in files.items() if _read(p) != text]
    if args.check:
        for path in differ:
            progress(f"{path}: missing or out of date (run `itpark stacks {args.stack}`)")
        for path in moved:
            progress(f"{path}: belongs in {STACK_CONFIG_DIR}/ (run `itpark stacks {args.stack}` to move it)")
        for path in stale:
            progress(f"{path}: no such stack in the plan (remove it after `pulumi destroy` of that stack)")
        return 1 if differ or stale or moved else 0
    for path in differ:
        write_text_atomic(path, files[path])
    for path in moved:
        path.unlink()
        progress(f"{path}: moved into {STACK_CONFIG_DIR}/ (its other keys and secrets kept)")
    progress(f"{len(differ)} stack files written, {len(files) - len(differ)} up to date")
    for path in stale:
        progress(f"{path}: stale (tenant removed); its data is retained: see docs/pulumi.md before removing it")
    return 0
