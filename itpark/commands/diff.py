"""itpark diff STACK: the offline preview. Compare the program's manifest with the committed golden one.

With --since REF only the stacks the change affects run (each printed with its reasons); the layer stacks they
read keep their golden outputs. --list-stacks prints that selection as JSON for a CI matrix and previews nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.commands.manifest import add_jobs, build_manifest

NAME = "diff"
HELP = (
    "compare the Pulumi manifest with the park's golden manifests (STACK/manifests/); --since REF: only the stacks "
    "changed since REF; exit 0 equal, 1 different"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    add_jobs(parser)
    parser.add_argument("--golden", type=Path, help="a whole-park manifest to compare with (`itpark manifest` output)")
    parser.add_argument(
        "--since",
        metavar="REF",
        help="preview only the stacks affected by what changed since the merge base of REF and HEAD "
        "(commits, work tree and untracked files)",
    )
    parser.add_argument(
        "--list-stacks", action="store_true", help="with --since: print the affected stacks as JSON and stop"
    )


def _selection(args: argparse.Namespace, park: Path, plan: Any) -> dict[str, list[str]]:
    from itpark.pulumi.affected import affected_since
    from itpark.pulumi.stacks import park_stacks

    base, selected = affected_since(park, park_stacks(plan), args.since)
    if args.list_stacks:
        return selected
    print(f"{len(selected)} of {len(park_stacks(plan))} stacks affected since {args.since} (merge base {base[:12]})")
    for stack, reasons in selected.items():
        print(f"  {stack}: {'; '.join(reasons)}")
    return selected


def _since(args: argparse.Namespace, park: Path) -> int:
    from itpark.plan import plan_park
    from itpark.pulumi.manifest import diff_manifests, read_golden
    from itpark.pulumi.stacks import park_stacks

    plan = plan_park(park)
    selected = _selection(args, park, plan)
    specs = {s.name: s for s in park_stacks(plan)}
    if args.list_stacks:
        rows = [{"stack": n, "park": park.as_posix(), "planned": n in specs, "reasons": r} for n, r in selected.items()]
        sys.stdout.write(json.dumps(rows) + "\n")
        return 0
    if not selected:
        print("no changes: the change reaches no stack of this park")
        return 0
    from itpark.pulumi.offline import run_park, to_manifest

    layers = [n for n, s in specs.items() if s.wave < 2 and n not in selected]
    references = {n: body["outputs"] for n, body in read_golden(park, layers)["stacks"].items()}
    run = [n for n in selected if n in specs]
    progress(f"running {len(run)} stacks of {park} under mocks")
    results = run_park(park.as_posix(), args.jobs, only=run, references=references, plan=plan)
    new = to_manifest(results)
    new["park"] = plan.park.name
    return _report(diff_manifests(read_golden(park, selected), new))


def _report(diff: Any) -> int:
    sys.stdout.write("no changes: the program registers exactly the golden manifest\n" if diff.empty else diff.report())
    return 0 if diff.empty else 1


def run(args: argparse.Namespace) -> int:
    from itpark.errors import UsageError
    from itpark.pulumi.manifest import diff_manifests, read_golden, read_manifest

    park = stack_dir(args)
    if args.list_stacks and not args.since:
        raise UsageError("--list-stacks needs --since REF")
    if args.since:
        return _since(args, park)
    golden = read_manifest(args.golden) if args.golden else read_golden(park)
    return _report(diff_manifests(golden, build_manifest(args)))
