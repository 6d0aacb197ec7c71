"""`itpark harden STACK`: run playbooks/site.yml on the park's hosts and write evidence/<park>/<host>.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itpark.commands.inventory import load_plan
from itpark.errors import UsageError

NAME = "harden"
HELP = (
    "Harden the park's hosts to their systems' security levels with ansible-runner, show progress, "
    "and record per-control evidence in evidence/<park>/<host>.json."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", metavar="STACK", help="park directory, e.g. stacks/danang-itpark")
    parser.add_argument("--limit", metavar="PATTERN", help="Ansible host pattern to restrict the run to")
    parser.add_argument(
        "--level", type=int, choices=range(1, 6), metavar="N", help="only hosts whose system has security level N (1-5)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; report what would change and check the controls (evidence is written)",
    )
    parser.add_argument(
        "--inventory",
        "-i",
        action="append",
        type=Path,
        default=[],
        metavar="SOURCE",
        help="extra inventory source applied after the plan's (repeatable), e.g. test hosts' "
        "addresses and keys; its host vars override the plan inventory's",
    )
    parser.add_argument("--tags", metavar="TAGS", help="only tasks with these tags, e.g. HOST-09 (control ids)")
    parser.add_argument(
        "--inventory-dir",
        type=Path,
        default=Path("inventories"),
        metavar="DIR",
        help="where the plan inventory is (re)generated (default: inventories)",
    )
    parser.add_argument(
        "--evidence-dir",
        type=Path,
        default=Path("evidence"),
        metavar="DIR",
        help="evidence root (default: evidence); files go to DIR/<park>/<host>.json",
    )
    parser.add_argument(
        "--pki-dir",
        type=Path,
        metavar="DIR",
        help="persistent controller directory of the park CA (default: $ITPARK_PKI_DIR; required when the "
        "shared services run; never a home directory)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        metavar="SECONDS",
        help="stop the whole run after SECONDS (default: no limit; a large park takes as long as it takes)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="also show skipped tasks")


def run(args: argparse.Namespace) -> int:
    from itpark.catalog import resolve_baseline
    from itpark.commands.inventory import SERVICES_FILE, write_all
    from itpark.hardening.evidence import build_evidence, failed_controls, write_evidence
    from itpark.hardening.levels import applicable_controls
    from itpark.hardening.runner import limit_pattern, run_site
    from itpark.inventory import group_name

    for source in args.inventory:
        if not source.exists():
            raise UsageError(f"{source}: inventory source not found")
    plan = load_plan(args.stack)
    write_all(plan, args.inventory_dir)
    levels = {h.name: h.level for h in plan.all_hosts()}
    limit = limit_pattern(args.limit, group_name("level", str(args.level)) if args.level else None)
    what = f"{plan.park.name}" + (f" (limit {limit})" if limit else "") + (" in check mode" if args.check else "")
    print(f"itpark harden: {what}", file=sys.stderr)
    result = run_site(
        [args.inventory_dir / plan.park.name / name for name in ("hosts.yml", SERVICES_FILE)] + list(args.inventory),
        limit=limit,
        check=args.check,
        verbose=args.verbose,
        tags=args.tags,
        timeout=args.timeout,
        extravars={"park_ca_dir": str(args.pki_dir.resolve())} if args.pki_dir else None,
    )
    tagged = {t.strip() for t in args.tags.split(",")} if args.tags else None
    interrupted = result.status == "interrupted"
    note = " (--tags: only the tagged controls, evidence files left as they were)" if tagged else ""
    if interrupted:
        note = " (interrupted: tasks run so far; no evidence written)"
    print("\nsummary:" + note, file=sys.stderr)
    bad = False
    for host in sorted(result.hosts):
        res = result.hosts[host]
        line = f"  {host:<40} ok={res.ok} changed={res.changed} failed={res.failed}"
        if res.unreachable:
            line += " UNREACHABLE"
        bad |= bool(res.failed or res.unreachable)
        if res.evidence is not None and host in levels and not interrupted:
            level = levels[host]
            # what the hardening roles must prove, plus every applicable control another role (the shared
            # services' client checks) did check on this host
            at_level = {c.id for c in resolve_baseline(plan.baseline.id).controls_for(level)}
            checked = {str(c["control"]) for c in res.evidence} & at_level
            controls = sorted(set(applicable_controls(plan.baseline.id, level)) | checked)
            if tagged is not None:  # a partial run checks only its tagged controls: not the host's evidence file
                controls = [c for c in controls if c in tagged]
            evidence = build_evidence(host, plan.park.name, level, res.evidence, controls)
            if tagged is None:
                write_evidence(args.evidence_dir, evidence)
            failing = failed_controls(evidence)
            line += f" controls={len(evidence['controls']) - len(failing)}/{len(evidence['controls'])} pass"
            if failing:
                line += f" FAIL: {', '.join(failing)}"
                bad = True
        print(line, file=sys.stderr)
        for error in res.errors[:5]:
            print(f"      {error}", file=sys.stderr)
    if interrupted:
        return 130
    if not result.hosts:
        print("  no host matched", file=sys.stderr)
        return 1
    if result.rc != 0 and not bad:
        print(f"itpark harden: ansible-runner ended with status {result.status} (rc {result.rc})", file=sys.stderr)
        return 1
    return 1 if bad else 0
