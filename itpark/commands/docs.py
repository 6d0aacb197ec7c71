"""itpark docs STACK [--lang vi|en|both] [--out DIR]: Markdown + static HTML docs for auditors, with diagrams."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.docs import LANGS, differences, render_docs, write_docs
from itpark.docs.enforcement import build_enforcement
from itpark.docs.evidence import load_evidence
from itpark.plan import plan_park

NAME = "docs"
HELP = "render the park's docs (overview, topology, address plan, flow and compliance matrices, level dossiers)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--lang", choices=["vi", "en", "both"], default="both", help="language(s) (default: both)")
    parser.add_argument("--out", type=Path, help="output folder (default: docs/<park>)")
    parser.add_argument(
        "--evidence",
        type=Path,
        default=Path("evidence"),
        help="evidence root; reads <root>/<park>/<host>.json if present (default: evidence)",
    )
    parser.add_argument(
        "--as-of",
        type=_day,
        metavar="YYYY-MM-DD",
        help="count evidence ages to this day (default: the day of the newest evidence; same inputs, same bytes)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the docs on disk differ from a fresh render"
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    plan = plan_park(stack_dir(args))
    out: Path = args.out or Path("docs") / plan.park.name
    langs = LANGS if args.lang == "both" else (args.lang,)
    evidence = load_evidence(args.evidence / plan.park.name)
    progress(
        f"rendering {plan.park.name}: {len(plan.tenants)} tenants, {len(langs)} language(s), "
        f"evidence for {len(evidence)} host(s)"
    )
    files = render_docs(plan, build_enforcement(), evidence, langs, args.as_of)  # EngineMissing (exit 2) without `dot`
    if args.check:
        changed = differences(files, out)
        for rel in changed:
            print(f"differs: {out / rel}", file=sys.stdout)
        progress(f"{len(changed)} file(s) differ from a fresh render" if changed else f"{out} is up to date")
        return 1 if changed else 0
    written, removed = write_docs(files, out)
    progress(
        f"{out}: {len(files)} files, {len(written)} written, {len(removed)} removed "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0
