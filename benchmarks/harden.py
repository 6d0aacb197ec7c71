"""Benchmark host hardening: one host per level, first and second run, Lynis and OpenSCAP before and after.

Tiers (../shared/testhosts.md):
  namespace  one namespace host per level of the park (default): shares the machine's kernel, so kernel sysctls,
             auditd and process accounting are skipped and Lynis scores lower than on a VM. Minutes in total.
  vm         one systemd VM (QEMU, software emulation) per level, all levels in parallel: the full baseline.
             A Lynis scan takes ~15 min there, the whole run ~45-60 min on 2 cores.
Scanners run inside the host: `lynis audit system --quick` (hardening index, and the tests that lost points)
and OpenSCAP's `standard` profile with Debian 11 SSG content accepted on Debian 12 (see scanners.py). The
"before" figures are of the fresh image (identical for every level, so measured once). Not part of CI.

Run as root: .venv/bin/python benchmarks/harden.py [--tier namespace|vm] [--levels 3 4]
             [--stack stacks/quangnam-cloud] [--no-lynis] [--no-oscap]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scanners import LynisResult, OscapResult, Run, debian12_content, lynis, openscap  # noqa: E402
from testhosts.base import ensure_base  # noqa: E402
from testhosts.plan_lab import override_inventory, plan_lab  # noqa: E402
from testhosts.vm import VMHost, ensure_vm_image, vm_override  # noqa: E402

from itpark.cli import main as itpark  # noqa: E402
from itpark.commands.inventory import SERVICES_FILE  # noqa: E402
from itpark.hardening.runner import run_site  # noqa: E402
from itpark.plan import plan_park  # noqa: E402


@dataclass
class Scores:
    lynis: LynisResult | None = None
    oscap: OscapResult | None = None

    def cells(self) -> tuple[str, str]:
        return (self.lynis.index if self.lynis else "-", self.oscap.summary() if self.oscap else "-")


@dataclass
class Row:
    level: int
    host: str
    rc: int = -1
    first: float = 0.0
    second: float = 0.0
    changed: int = -1
    before: Scores | None = None
    after: Scores | None = None


def scan(run: Run, args: argparse.Namespace, content: str) -> Scores:
    return Scores(
        None if args.no_lynis else lynis(run),
        None if args.no_oscap else openscap(run, content),
    )


def harden(stack: str, plan: Any, row: Row, override: Path, work: Path) -> None:
    """First run as an operator runs it (`itpark harden`), second through the same inventory sources."""
    start = time.monotonic()
    row.rc = itpark(
        ["harden", stack, "--limit", row.host, "-i", str(override), "--inventory-dir", str(work / "inv"),
         "--evidence-dir", str(work / "evidence")]
    )  # fmt: skip
    row.first = time.monotonic() - start
    start = time.monotonic()
    inventories = [work / "inv" / plan.park.name / n for n in ("hosts.yml", SERVICES_FILE)]
    second = run_site([*inventories, override], limit=row.host)
    row.second = time.monotonic() - start
    row.changed = second.hosts[row.host].changed if row.host in second.hosts else -1


def bench_namespace(args: argparse.Namespace, plan: Any, picks: dict[int, str], content: str) -> list[Row]:
    lab = plan_lab(plan, list(picks.values()), ensure_base())
    rows = []
    try:
        work = Path(tempfile.mkdtemp(prefix="itpark-bench-"))
        override = override_inventory(lab, work / "bench.yml")
        for level, name in picks.items():
            host = lab.hosts[name]

            def run(command: str, stdin: str | None = None, _host: Any = host) -> tuple[int, str]:
                done = _host.exec("sh", "-c", command, check=False, timeout=3600, input=stdin)
                return done.returncode, done.stdout

            row = Row(level, name)
            row.before = scan(run, args, content) if not rows else rows[0].before
            harden(args.stack, plan, row, override, work / str(level))
            row.after = scan(run, args, content)
            rows.append(row)
    finally:
        lab.close()
    return rows


@contextmanager
def booted(plan: Any, picks: dict[int, str]) -> Iterator[dict[str, VMHost]]:
    """One VM per picked host, with the plan's system volume attached as a blank disk when it has one."""
    base = ensure_base()
    image = ensure_vm_image(base)
    sizes = {h.name: h.system_volume_gb for h in plan.all_hosts()}
    vms = {name: VMHost(image, base.key, disks_gb=(sizes[name],) if sizes[name] else ()) for name in picks.values()}
    try:
        for vm in vms.values():
            vm.start()
        yield vms
    finally:
        for vm in vms.values():
            vm.close()


def bench_vm(args: argparse.Namespace, plan: Any, picks: dict[int, str], content: str) -> list[Row]:
    rows = [Row(level, name) for level, name in picks.items()]
    work = Path(tempfile.mkdtemp(prefix="itpark-bench-vm-"))
    with booted(plan, picks) as vms:
        override = vm_override(plan, vms, work / "vms.yml")

        def runner(vm: VMHost) -> Callable[..., tuple[int, str]]:
            def run(command: str, stdin: str | None = None) -> tuple[int, str]:
                done = vm.ssh("sudo", "sh", "-c", shlex.quote(command), timeout=3600, input=stdin)
                return done.returncode, done.stdout

            return run

        def one(index: int, row: Row) -> None:
            run = runner(vms[row.host])
            if index == 0:  # the fresh image, the same for every level
                rows[0].before = scan(run, args, content)
            harden(args.stack, plan, row, override, work / str(row.level))
            row.after = scan(run, args, content)

        threads = [threading.Thread(target=one, args=(i, row)) for i, row in enumerate(rows)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for row in rows[1:]:
        row.before = rows[0].before
    return rows


def report(rows: list[Row], tier: str, elapsed: float) -> None:
    print(f"\n{tier} hosts, {elapsed / 60:.1f} min in total")
    print("level host                           rc first(s) second(s) changed2  lynis before>after  oscap before>after")
    for row in rows:
        lynis_before, oscap_before = row.before.cells() if row.before else ("-", "-")
        lynis_after, oscap_after = row.after.cells() if row.after else ("-", "-")
        print(
            f"{row.level:>5} {row.host:<30} {row.rc:>3} {row.first:>8.1f} {row.second:>9.1f} {row.changed:>8}"
            f"  {lynis_before:>9} > {lynis_after:<7}  {oscap_before:>9} > {oscap_after}"
        )
    for row in rows:
        if row.after and row.after.lynis:
            lost = ", ".join(f"{test} -{points}" for test, points in row.after.lynis.lost())
            print(f"level {row.level} Lynis points still lost: {lost or 'none'}")
        if row.after and row.after.oscap:
            print(f"level {row.level} OpenSCAP rules not passing: {'; '.join(row.after.oscap.failing()) or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=("namespace", "vm"), default="namespace")
    parser.add_argument("--levels", type=int, nargs="*", help="levels to measure (default: every level the park has)")
    parser.add_argument("--stack", default=str(ROOT / "stacks" / "quangnam-cloud"))
    parser.add_argument("--no-lynis", action="store_true")
    parser.add_argument("--no-oscap", action="store_true")
    args = parser.parse_args()
    plan = plan_park(args.stack)
    picks: dict[int, str] = {}
    for host in sorted(plan.all_hosts(), key=lambda h: h.name):
        if host.service is None and (not args.levels or host.level in args.levels):
            picks.setdefault(host.level, host.name)
    picks = dict(sorted(picks.items()))
    content = "" if args.no_oscap else debian12_content()
    start = time.monotonic()
    rows = (bench_vm if args.tier == "vm" else bench_namespace)(args, plan, picks, content)
    report(rows, args.tier, time.monotonic() - start)
    return 0 if all(row.rc == 0 and row.changed == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
