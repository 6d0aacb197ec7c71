"""Benchmark host hardening: one namespace host per level (1-5) of a park plan.

For each level: time of the first and second `itpark harden` run, changed count of the second run, and the
Lynis hardening index before and after (`lynis audit system --quick` inside the host; Lynis is in the offline
repo). Namespace hosts share the machine's kernel, so kernel sysctls and auditd are skipped there and Lynis
scores are lower than on a VM. The systemd VM (full baseline, level 4) is timed by tests/hosts/test_vm_host.py;
a Lynis run there takes ~15 min under emulation and is not part of this script. OpenSCAP: Debian's ssg content
covers Debian 10/11 only, so it is not run (see ../shared/testhosts.md for the patched-datastream method).
Not part of CI.  Run as root: .venv/bin/python benchmarks/harden.py [--stack stacks/quangnam-cloud] [--no-lynis]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from testhosts.base import ensure_base  # noqa: E402
from testhosts.plan_lab import override_inventory, plan_lab  # noqa: E402

from itpark.cli import main as itpark  # noqa: E402
from itpark.commands.inventory import SERVICES_FILE  # noqa: E402
from itpark.hardening.runner import run_site  # noqa: E402
from itpark.plan import plan_park  # noqa: E402


def lynis(run: Any) -> str:
    """Install Lynis from the offline repo if needed and return its hardening index."""
    run(
        "sh",
        "-c",
        "command -v lynis >/dev/null || (apt-get update -qq && apt-get install -y -qq lynis) >/dev/null 2>&1",
    )
    out = run(
        "sh", "-c", "timeout 600 lynis audit system --quick --no-colors 2>/dev/null | grep -i 'Hardening index' || true"
    ).stdout
    match = re.search(r"Hardening index : (\d+)", out)
    return match.group(1) if match else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default=str(ROOT / "stacks" / "quangnam-cloud"))
    parser.add_argument("--no-lynis", action="store_true")
    args = parser.parse_args()
    plan = plan_park(args.stack)
    picks: dict[int, str] = {}
    for host in sorted(plan.all_hosts(), key=lambda h: h.name):
        if host.service is None:
            picks.setdefault(host.level, host.name)
    names = [picks[level] for level in sorted(picks)]
    lab = plan_lab(plan, names, ensure_base())
    rows = []
    try:
        work = Path(tempfile.mkdtemp(prefix="itpark-bench-"))
        override = override_inventory(lab, work / "bench.yml")
        for level in sorted(picks):
            name = picks[level]
            host = lab.hosts[name]

            def run(*cmd: str, _host: Any = host) -> Any:
                return _host.exec(*cmd, check=False, timeout=900)

            before = "-" if args.no_lynis else lynis(run)
            start = time.monotonic()
            rc = itpark(
                [
                    "harden",
                    args.stack,
                    "--limit",
                    name,
                    "-i",
                    str(override),
                    "--inventory-dir",
                    str(work / "inv"),
                    "--evidence-dir",
                    str(work / "evidence"),
                ]
            )
            first = time.monotonic() - start
            start = time.monotonic()
            inventories = [work / "inv" / plan.park.name / n for n in ("hosts.yml", SERVICES_FILE)]
            second = run_site([*inventories, override], limit=name)  # the sources `itpark harden` uses
            second_time = time.monotonic() - start
            after = "-" if args.no_lynis else lynis(run)
            rows.append((level, name, rc, first, second_time, second.hosts[name].changed, before, after))
    finally:
        lab.close()
    print("\nlevel host                                rc  first(s) second(s) changed2 lynis-before lynis-after")
    for level, name, rc, first, second_time, changed, before, after in rows:
        print(f"{level:>5} {name:<35} {rc:>3} {first:>9.1f} {second_time:>9.1f} {changed:>8} {before:>12} {after:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
