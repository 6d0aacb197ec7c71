"""How planning scales: synthetic parks of 10, 100, 1,000 and 5,000 tenants.

For each size, in a fresh process (so peak memory is that size's own): time to load and validate the
spec, time to build the plan (the target: 1,000 tenants under 1 s), peak RSS, and the cost per tenant,
whose flatness shows linear growth. Run: .venv/bin/python benchmarks/plan_scale.py [sizes...]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_park

SIZES = [100, 1000, 5000]  # 10 is too small to time against; pass it explicitly to see it
REPEAT = 3


def measure(park: str) -> dict[str, float]:
    """Runs in the child process."""
    from itpark.plan import build_plan
    from itpark.spec import load_park

    started = time.perf_counter()
    loaded = load_park(park)
    loaded_at = time.perf_counter()
    plans, cpus = [], []
    for _ in range(REPEAT):
        start, cpu = time.perf_counter(), time.process_time()
        plan = build_plan(loaded, {})
        plans.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "load_s": loaded_at - started,
        "plan_s": min(plans),
        "plan_cpu_s": min(cpus),
        "rss_mb": rss_kb / 1024,
        "hosts": len(plan.all_hosts()),
        "rules": sum(len(g.rules) for g in plan.all_security_groups()),
    }


def main(sizes: list[int]) -> None:
    print(
        f"{'tenants':>8} {'hosts':>7} {'rules':>8} {'load s':>7} {'plan s':>7} {'plan cpu s':>10} "
        f"{'cpu ms/tenant':>13} {'vs smallest':>11} {'peak MB':>8}"
    )
    base = None
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            park = write_park(Path(tmp) / "park", size)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(park)], capture_output=True, text=True, check=True
            ).stdout
            r = json.loads(out)
            per_tenant = 1000 * r["plan_cpu_s"] / size
            base = base or per_tenant
            print(
                f"{size:>8} {r['hosts']:>7} {r['rules']:>8} {r['load_s']:>7.2f} {r['plan_s']:>7.2f} "
                f"{r['plan_cpu_s']:>10.2f} {per_tenant:>13.2f} {per_tenant / base:>10.2f}x {r['rss_mb']:>8.0f}",
                flush=True,
            )
    print("target: 1,000 tenants planned in under 1 s; 'vs smallest' near 1x means cost grows linearly")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main([int(a) for a in sys.argv[1:]] or SIZES)
