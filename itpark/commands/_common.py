"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itpark.errors import UsageError


def add_stack(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", metavar="STACK", help="park directory, e.g. stacks/danang-itpark")


def stack_dir(args: argparse.Namespace) -> Path:
    path = Path(args.stack)
    if not path.is_dir():
        raise UsageError(f"{path}: no such park directory (expected stacks/<park> with a park.yaml)")
    return path


def progress(message: str) -> None:
    """Progress for people goes to stderr, so stdout stays clean for JSON and pipes."""
    print(f"itpark: {message}", file=sys.stderr, flush=True)
