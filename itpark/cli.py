"""The `itpark` command. Each subcommand lives in `itpark/commands/<name>.py` and is discovered here.

A command module defines NAME, HELP, `add_arguments(parser)` and `run(args) -> int`.
Exit codes (README): 0 ok, 1 a difference or failed check, 2 bad input / usage / missing engine.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from itpark import __version__, commands
from itpark.errors import EngineMissing, SpecError, UsageError

EXIT_OK, EXIT_DIFF, EXIT_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itpark",
        description="Plan, build, harden and document a Vietnamese IT park or provincial government cloud "
        "from its YAML spec (STACK is a park directory such as stacks/danang-itpark).",
        epilog="Exit codes: 0 ok; 1 difference, drift or failed check; 2 bad input, usage or missing engine.",
    )
    parser.add_argument("--version", action="version", version=f"itpark {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"itpark.commands.{info.name}")
        if not hasattr(module, "NAME"):
            continue
        names = [module.NAME, *getattr(module, "ALIASES", [])]
        for name in names:
            command = sub.add_parser(name, help=module.HELP, description=module.HELP)
            module.add_arguments(command)
            command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SpecError as err:
        print(err, file=sys.stderr)
        count = len(err.problems)
        print(f"itpark: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_INPUT
    except (EngineMissing, UsageError) as err:
        print(f"itpark: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("itpark: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
