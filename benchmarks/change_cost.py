"""What CI pays for a one-tenant change: `itpark diff --since` against a full offline preview, at 10, 100 and
1,000 tenants (synthetic parks from benchmarks/synthetic.py, each in a real git repository).

For each size:
- a repository with the project (itpark/, modules/) and the park, its ledger allocated and the golden manifests
  of its layer stacks committed on `main`;
- a branch that adds one tenant and runs `itpark allocate`, as an onboarding pull request does;
- CPU seconds (user + system, children included) of `itpark diff --since main` on that branch;
- CPU seconds of a full offline preview: the plan plus every stack under mocks, in this process (at more than
  `--sample` tenants, that many tenant stacks are run and the rest scaled from their mean);
- how many stacks a change to modules/network reaches.

Usage: .venv/bin/python benchmarks/change_cost.py [--sizes 10,100,1000] [--sample 50] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", category=DeprecationWarning)

from synthetic import tenant_yaml, write_park  # noqa: E402

from itpark.plan import plan_park  # noqa: E402
from itpark.pulumi.affected import select  # noqa: E402
from itpark.pulumi.manifest import write_golden  # noqa: E402
from itpark.pulumi.offline import run_park, run_stack, to_manifest  # noqa: E402
from itpark.pulumi.stacks import park_stacks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PARK = "stacks/synthetic-park"
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.vn",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.vn",
}


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(args, cwd=repo, env=ENV, check=True, capture_output=True, text=True).stdout


def itpark(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpark", *args], cwd=repo, env=ENV, capture_output=True, text=True, check=False
    )


def make_repo(base: Path, tenants: int) -> Path:
    repo = base / f"park-{tenants}"
    for name in ("itpark", "modules"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Pulumi.yaml", ".gitignore"):
        shutil.copy(ROOT / name, repo / name)
    park = write_park(repo / PARK, tenants)
    itpark(repo, "allocate", PARK).check_returncode()
    os.chdir(repo)  # stack config names the park as a repository-relative path, as in a real checkout
    plan = plan_park(PARK)
    layers = [s.name for s in park_stacks(plan) if s.wave == 0]
    write_golden(park, to_manifest(run_park(PARK, jobs=1, only=layers, plan=plan)), prune=False)
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", f"park of {tenants} tenants")
    return repo


def onboard(repo: Path, tenants: int) -> str:
    """A branch adding one tenant (file and ledger), as its pull request would; returns the new stack."""
    sh(repo, "git", "checkout", "-qb", "onboard")
    (repo / PARK / "tenants" / f"t{tenants:05d}.yaml").write_text(tenant_yaml(tenants), encoding="utf-8")
    itpark(repo, "allocate", PARK).check_returncode()
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "onboard one tenant")
    return f"synthetic-park-tenant-t{tenants:05d}"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def since_cost(repo: Path, jobs: int) -> tuple[float, float, str]:
    before, wall = children_cpu(), time.perf_counter()
    done = itpark(repo, "diff", "-j", str(jobs), "--since", "main", PARK)
    cpu, wall = children_cpu() - before, time.perf_counter() - wall
    if done.returncode != 1:  # the new stack is a difference: exit 1
        raise SystemExit(f"diff --since exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return cpu, wall, done.stdout.splitlines()[0]


def full_cost(repo: Path, sample: int) -> tuple[float, str]:
    """CPU of the plan plus every stack under mocks (tenant stacks sampled and scaled above `sample`)."""
    os.chdir(repo)
    start = time.process_time()
    plan = plan_park(PARK)
    planned = time.process_time() - start
    specs = park_stacks(plan)
    layers = [s for s in specs if s.wave == 0 or s.layer == "shared"]
    tenants = [s for s in specs if s.layer == "tenant"]
    refs: dict[str, object] = {}
    start = time.process_time()
    for spec in layers:
        refs[spec.name] = run_stack(plan, spec, PARK, refs).outputs  # type: ignore[arg-type]
    layer_cpu = time.process_time() - start
    chosen = tenants if len(tenants) <= sample else tenants[:: max(1, len(tenants) // sample)][:sample]
    start = time.process_time()
    for spec in chosen:
        run_stack(plan, spec, PARK, refs)  # type: ignore[arg-type]
    per_tenant = (time.process_time() - start) / len(chosen)
    total = planned + layer_cpu + per_tenant * len(tenants)
    how = "all stacks" if chosen is tenants else f"{len(chosen)} tenant stacks sampled, scaled"
    return total, f"plan {planned:.2f}, {per_tenant:.3f}/tenant stack; {how}"


def network_reach(repo: Path) -> str:
    specs = park_stacks(plan_park(repo / PARK))
    chosen = select(repo, repo / PARK, specs, ["modules/network/__init__.py"])
    return f"{len(chosen)}/{len(specs)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds are user + system", flush=True)
    print("| tenants | `diff --since` CPU-s (wall) | full preview CPU-s | modules/network reaches |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="itpark-change-cost-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            repo = make_repo(Path(tmp), size)
            onboard(repo, size)
            cpu, wall, selected = since_cost(repo, args.jobs)
            full, how = full_cost(repo, args.sample)
            reach = network_reach(repo)
            print(f"| {size:,} | {cpu:.2f} ({wall:.1f} s) | {full:.1f} | {reach} |", flush=True)
            print(f"  {selected}; full preview: {how}", file=sys.stderr, flush=True)
            os.chdir(ROOT)
            shutil.rmtree(repo)


if __name__ == "__main__":
    main()
