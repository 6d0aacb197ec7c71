"""Cost of itpark's Pulumi program under mocks against a plain pulumi-openstack program, at 10, 100 and 1,000
tenants (synthetic parks from benchmarks/synthetic.py).

For each size, in one run:
- itpark: every stack of the park (layers + one per tenant), components and StackReferences, in this process;
- plain: the same custom resources registered directly with pulumi-openstack classes, same stacks, no components,
  resource ids wired as Outputs exactly as itpark's are;
- the whole-park manifest with both cores (`itpark manifest -j 2`).
Prints resources, the largest stack, CPU seconds of both programs (process time: robust when other work shares
the cores) with their ratio, and the wall time of the parallel manifest. The plan itself is not timed here
(benchmarks/plan_scale.py does that).

Usage: .venv/bin/python benchmarks/program_scale.py [--sizes 10,100,1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", category=DeprecationWarning)

import pulumi  # noqa: E402
from synthetic import write_park  # noqa: E402

from itpark.plan import Plan, plan_park  # noqa: E402
from itpark.pulumi.offline import StackResult, park_manifest, run_program, run_stack  # noqa: E402
from itpark.pulumi.stacks import park_stacks  # noqa: E402

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def _class(token: str) -> Any:
    """'openstack:networking/secGroupRule:SecGroupRule' -> pulumi_openstack.networking.SecGroupRule."""
    _, module, name = token.split(":")
    return getattr(importlib.import_module(f"pulumi_openstack.{module.split('/')[0]}"), name)


def itpark_run(plan: Plan, park_dir: str) -> tuple[float, list[StackResult]]:
    start = time.process_time()
    results: list[StackResult] = []
    refs: dict[str, Any] = {}
    for spec in park_stacks(plan):
        result = run_stack(plan, spec, park_dir, refs)
        refs[spec.name] = result.outputs
        results.append(result)
    return time.process_time() - start, results


def plain_run(results: list[StackResult]) -> float:
    """Register each stack's custom resources flat, straight from pulumi-openstack, in the same order."""
    classes = {r["type"]: _class(r["type"]) for res in results for r in res.records if r["custom"]}

    def program(records: list[dict[str, Any]]) -> Any:
        made: dict[str, Any] = {}

        def wire(value: Any) -> Any:
            if isinstance(value, str) and value.endswith("-id") and value[:-3] in made:
                return made[value[:-3]].id
            if isinstance(value, list):
                return [wire(v) for v in value]
            if isinstance(value, dict):
                return {k: wire(v) for k, v in value.items()}
            return value

        for r in records:
            if not r["custom"]:
                continue
            kwargs = {_SNAKE.sub("_", k).lower(): wire(v) for k, v in r["inputs"].items()}
            opts = pulumi.ResourceOptions(
                protect=r["options"]["protect"], retain_on_delete=r["options"]["retainOnDelete"]
            )
            made[r["name"]] = classes[r["type"]](r["name"], opts=opts, **kwargs)
        return {}

    start = time.process_time()
    for res in results:
        run_program(res.spec.name, lambda res=res: program(res.records))
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:  # warm-up: imports and first-use costs stay out of the timings
        warm = str(write_park(Path(tmp) / "warm", 2))
        plain_run(itpark_run(plan_park(warm), warm)[1])
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            park_dir = str(write_park(Path(tmp) / f"park-{size}", size))
            plan = plan_park(park_dir)
            itpark_s, results = itpark_run(plan, park_dir)
            plain_s = plain_run(results)
            start = time.perf_counter()
            manifest = park_manifest(park_dir, args.jobs)
            parallel_s = time.perf_counter() - start
        resources = sum(len(r.records) for r in results)
        custom = sum(1 for r in results for rec in r.records if rec["custom"])
        largest = max(results, key=lambda r: len(r.records))
        layers = "/".join(str(len(r.records)) for r in results if r.spec.layer != "tenant")
        assert len(manifest["stacks"]) == len(results)
        rows.append((size, len(results), resources, custom, largest, layers, itpark_s, plain_s, parallel_s))
        print(
            f"{size} tenants: itpark {itpark_s:.1f} s CPU, plain {plain_s:.1f} s CPU, manifest -j {args.jobs} "
            f"{parallel_s:.1f} s wall",
            file=sys.stderr,
            flush=True,
        )
    print(
        "| tenants | stacks | resources (custom) | largest stack | datacenter/network/shared | itpark CPU "
        f"| plain CPU | ratio | manifest -j {args.jobs} wall |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, stacks, resources, custom, largest, layers, itpark_s, plain_s, parallel_s in rows:
        print(
            f"| {size:,} | {stacks:,} | {resources:,} ({custom:,}) | {len(largest.records)} ({largest.spec.layer}) "
            f"| {layers} | {itpark_s:.1f} s | {plain_s:.1f} s | {itpark_s / plain_s:.2f}x | {parallel_s:.1f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
