"""itpark docs STACK [--lang vi|en|both] [--out DIR]: Markdown + static HTML docs for auditors, with diagrams."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import date
from pathlib import Path

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.docs import LANGS, differences, render_docs, write_docs
from itpark.docs.enforcement import build_enforcement
from itpark.docs.evidence import load_evidence
from itpark.fileio import dumps_json
from itpark.plan import Plan, plan_park

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
        "--no-docx", action="store_true", help="skip the DOCX copy of every dossier (made by default; never committed)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the docs on disk differ from a fresh render"
    )


def plan_hash(plan: Plan) -> str:
    """A short hash of the whole plan: the version a printed dossier names."""
    return hashlib.sha256(dumps_json(plan.to_jsonable()).encode("utf-8")).hexdigest()[:12]


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
    docx = not (args.check or args.no_docx)  # --check compares the committed text files only
    files = render_docs(  # EngineMissing (exit 2) without `dot`
        plan, build_enforcement(), evidence, langs, args.as_of, docx=docx, version=plan_hash(plan)
    )
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
