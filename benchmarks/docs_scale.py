"""Render time of `itpark docs` for synthetic parks of 10, 100 and 1,000 tenants (target: 1,000 under 10 s).

Usage: .venv/bin/python benchmarks/docs_scale.py [SIZES...]  (default 10 100 1000)
Prints, per size, the plan time (not counted), the render time (diagrams + both languages, both formats) in
wall and CPU seconds (this process, its page workers and every `dot`), the write time, the number of files and
the 1-minute load average just before the render: others' work on a shared machine stretches the wall time,
so read the CPU seconds as the robust figure.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_park

from itpark.docs import render_docs, write_docs
from itpark.docs.enforcement import build_enforcement
from itpark.plan import plan_park

TARGET_SECONDS = {1000: 10.0}


def cpu() -> float:
    """CPU seconds of this process and its finished children (page workers, `dot`)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(tenants: int) -> tuple[float, float, float, float, int, float]:
    with tempfile.TemporaryDirectory(prefix="itpark-docs-bench-") as tmp:
        park = write_park(Path(tmp) / "park", tenants)
        started = time.perf_counter()
        plan = plan_park(park)
        load = os.getloadavg()[0]
        planned, cpu_before = time.perf_counter(), cpu()
        files = render_docs(plan, build_enforcement(), {})
        rendered, cpu_render = time.perf_counter(), cpu() - cpu_before
        write_docs(files, Path(tmp) / "docs")
        written = time.perf_counter()
    return planned - started, rendered - planned, cpu_render, written - rendered, len(files), load


def main(argv: list[str]) -> int:
    sizes = [int(x) for x in argv] or [10, 100, 1000]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'tenants':>8} {'plan s':>8} {'render s':>9} {'render cpu s':>13} {'write s':>8} {'files':>7} {'load':>5}")
    slow = False
    for size in sizes:
        plan_s, render_s, render_cpu, write_s, count, load = measure(size)
        target = TARGET_SECONDS.get(size)
        verdict = "" if target is None else ("  ok" if render_s < target else f"  OVER {target:.0f} s target")
        slow |= bool(target and render_s >= target)
        print(
            f"{size:>8} {plan_s:>8.2f} {render_s:>9.2f} {render_cpu:>13.2f} {write_s:>8.2f} {count:>7} {load:>5.1f}"
            f"{verdict}",
            flush=True,
        )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
