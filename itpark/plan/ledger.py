"""The allocation ledger (stacks/<park>/allocations.yaml): every block and host address ever handed out.

Like a lock file: itpark writes it (`itpark allocate`), people review it, CI checks it is current. An entry is
never deleted: when its tenant, system or host leaves the spec it becomes `retired` and its addresses are
never handed to anybody else. The same key coming back gets its old addresses back.
"""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML

from itpark.errors import Problem, SpecError
from itpark.fileio import write_text_atomic
from itpark.plan.model import LedgerEntry

HEADER = (
    "# itpark allocation ledger: every address block and host address ever allocated in this park.\n"
    "# Written by `itpark allocate`; review it like a lock file and never edit it by hand.\n"
    "# Retired entries stay reserved forever so their addresses are never reused for someone else.\n"
)
STATES = ("active", "retired")


def read_ledger(path: Path) -> dict[str, LedgerEntry]:
    """Entries by key; an absent file is an empty ledger."""
    if not path.is_file():
        return {}
    from itpark.spec.loader import read_yaml  # line-aware reading for good errors

    doc = read_yaml(path, str(path))
    data = doc.data or {}
    entries: dict[str, LedgerEntry] = {}
    problems: list[Problem] = []
    items = data.get("allocations") if hasattr(data, "get") else None
    if not isinstance(items, list):
        raise SpecError([doc.problem(("allocations",), "expected a list of allocations")])
    for index, item in enumerate(items):
        loc = ("allocations", index)
        try:
            entry = LedgerEntry(
                key=str(item["key"]),
                ipv4=str(item["ipv4"]),
                ipv6=str(item["ipv6"]),
                state=str(item["state"]),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError) as err:
            problems.append(doc.problem(loc, f"expected key, ipv4, ipv6 and state; missing {err}"))
            continue
        if entry.state not in STATES:
            problems.append(doc.problem((*loc, "state"), f"expected one of {STATES}, got {entry.state!r}"))
        if entry.key in entries:
            problems.append(doc.problem((*loc, "key"), f"duplicate key {entry.key!r}"))
        entries[entry.key] = entry
    if problems:
        raise SpecError(problems)
    return entries


def render_ledger(park: str, entries: tuple[LedgerEntry, ...]) -> str:
    data = {
        "park": park,
        "allocations": [
            {"key": e.key, "ipv4": e.ipv4, "ipv6": e.ipv6, "state": e.state}
            for e in sorted(entries, key=lambda e: e.key)
        ],
    }
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return HEADER + buffer.getvalue()


def write_ledger(path: Path, park: str, entries: tuple[LedgerEntry, ...]) -> None:
    write_text_atomic(path, render_ledger(park, entries))
