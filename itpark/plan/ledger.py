"""The allocation ledger: every block and host address ever handed out in a park, one file per owner.

Layout (stacks/<park>/ledger/):
    _park.yaml        park-level entries: site core and shared blocks, shared-service hosts, anything no tenant owns
    <tenant>.yaml     everything one tenant owns: its system blocks, its hosts, its routers' core addresses
Two onboarding pull requests therefore touch two different files and git merges them without a conflict; if both
took the same free space, the check on load (itpark.plan.ledger_check) refuses the merged ledger with one line
naming `itpark allocate STACK --reallocate TENANT`.

Like a lock file: itpark writes it (`itpark allocate`), people review it, CI checks it is current. An entry is
never deleted: when its tenant, system or host leaves the spec it becomes `retired` and its addresses are
never handed to anybody else. The same key coming back gets its old addresses back.

Keys (the owner, and so the file, follows from the key alone; see `owner_of`):
    <site>/core, <site>/shared                  park blocks                      -> _park.yaml
    <site>/<tenant>/<system>                    a system's block at a site        -> <tenant>.yaml
    host:<hostname>.<site>.shared                a shared-service host            -> _park.yaml
    host:<hostname>.<system>.<tenant>            a tenant host                    -> <tenant>.yaml
    router:<site>/<tenant>/<system>             a system router's core address   -> <tenant>.yaml
    router:<site>/<name>, or any other key      a park-level pinned address      -> _park.yaml
    <key>#<n>                                   an address retired by `--reallocate` (same owner as <key>)
Adding a pinned park-level address (e.g. the shared router's core address, `router:<site>/shared`) needs no
change here: the planner asks `Book.get(key)` / pins a new address, and the key's form decides its file. Keep
anything a single tenant owns in a tenant-owned key form, so onboarding never touches `_park.yaml`.

The old single file (stacks/<park>/allocations.yaml) is still read; `itpark allocate` splits it once into ledger/
and removes it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from netaddr import AddrFormatError, IPAddress, IPNetwork
from ruamel.yaml import YAML

from itpark.errors import Problem, SpecError
from itpark.plan.model import LedgerEntry

LEDGER_DIR = "ledger"
PARK_OWNER = "_park"
LEGACY_FILE = "allocations.yaml"
STATES = ("active", "retired")
FIELDS = ("key", "ipv4", "ipv6", "state")
HEADER = (
    "# itpark allocation ledger ({what}): addresses ever allocated in this park.\n"
    "# Written by `itpark allocate`; review it like a lock file and never edit it by hand.\n"
    "# Retired entries stay reserved forever so their addresses are never reused for someone else.\n"
)


def owner_of(key: str) -> str | None:
    """The tenant owning a ledger key, or None for a park-level entry (see the module docstring)."""
    base = key.split("#", 1)[0]
    if base.startswith("host:"):
        owner = base.rsplit(".", 1)[-1]
        return None if owner == "shared" or "." not in base else owner
    parts = base.removeprefix("router:").split("/")
    return parts[1] if len(parts) == 3 and parts[1] else None


def is_pinned(key: str) -> bool:
    """Host and router entries are single addresses; everything else is a block."""
    return key.startswith(("host:", "router:"))


def file_of(key: str) -> str:
    """The ledger file (relative to the park directory) that holds `key`."""
    return f"{LEDGER_DIR}/{owner_of(key) or PARK_OWNER}.yaml"


@dataclass(frozen=True)
class Origin:
    """Where an entry or header was read: a line-aware document and a field path inside it."""

    doc: object  # itpark.spec.loader.Located
    loc: tuple[str | int, ...]

    def problem(self, message: str, *extra: str | int) -> Problem:
        return self.doc.problem((*self.loc, *extra), message)  # type: ignore[attr-defined]

    @property
    def where(self) -> str:
        problem = self.problem("")
        return f"{problem.file}:{problem.line}"


@dataclass
class Ledger:
    """The ledger as read: entries by key, where each came from, and each file's `park:` (and `tenant:`)."""

    entries: dict[str, LedgerEntry] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    headers: list[tuple[Origin, object, object]] = field(default_factory=list)  # (origin, park, tenant)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text, as read
    legacy: bool = False


def read_ledger(root: str | Path) -> Ledger:
    """Read stacks/<park>/ledger/*.yaml (or the old allocations.yaml). Malformed entries raise SpecError."""
    from itpark.spec.loader import read_yaml  # line-aware reading for good errors

    base = Path(root)
    directory, legacy = base / LEDGER_DIR, base / LEGACY_FILE
    if legacy.is_file() and directory.is_dir():
        raise SpecError(
            [
                Problem(
                    str(legacy),
                    0,
                    "",
                    f"both {LEGACY_FILE} and {LEDGER_DIR}/ exist: {LEDGER_DIR}/ is the ledger; remove {LEGACY_FILE} "
                    f"once you have checked that `itpark allocate --check {base}` passes without it",
                )
            ]
        )
    paths = [legacy] if legacy.is_file() else sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    ledger = Ledger(legacy=legacy.is_file())
    problems: list[Problem] = []
    for path in paths:
        relative = path.relative_to(base).as_posix()
        doc = read_yaml(path, str(path))
        ledger.files[relative] = doc.text
        _read_file(doc, path.stem, ledger, problems)
    if problems:
        raise SpecError(problems)
    return ledger


def _read_file(doc, stem: str, ledger: Ledger, problems: list[Problem]) -> None:  # type: ignore[no-untyped-def]
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("allocations", []), list):
        problems.append(doc.problem(("allocations",), "expected a mapping with `park` and a list `allocations`"))
        return
    unknown = sorted(set(data) - {"park", "tenant", "allocations"}, key=str)
    if unknown:
        problems.append(doc.problem((unknown[0],), "unknown field (expected park, tenant, allocations)"))
    ledger.headers.append((Origin(doc, ("park",)), data.get("park"), data.get("tenant")))
    for index, item in enumerate(data.get("allocations") or []):
        origin = Origin(doc, ("allocations", index))
        entry = _entry(item, origin, problems)
        if entry is None:
            continue
        if entry.key in ledger.entries:
            other = ledger.origins[entry.key].where
            problems.append(origin.problem(f"duplicate key {entry.key!r} (also at {other})", "key"))
            continue
        ledger.entries[entry.key] = entry
        ledger.origins[entry.key] = origin


def _entry(item: object, origin: Origin, problems: list[Problem]) -> LedgerEntry | None:
    if not isinstance(item, dict) or set(item) != set(FIELDS):
        shown = sorted(map(str, item)) if isinstance(item, dict) else type(item).__name__
        problems.append(origin.problem(f"expected exactly the fields {', '.join(FIELDS)}; got {shown}"))
        return None
    values = {name: item[name] for name in FIELDS}
    bad = [name for name, value in values.items() if not isinstance(value, str)]
    if bad:
        problems.append(origin.problem(f"expected a string, got {values[bad[0]]!r}", bad[0]))
        return None
    ok = True
    if values["state"] not in STATES:
        problems.append(origin.problem(f"expected one of {STATES}, got {values['state']!r}", "state"))
        ok = False
    for family, version in (("ipv4", 4), ("ipv6", 6)):
        message = _address_problem(values[family], version, is_pinned(values["key"]))
        if message:
            problems.append(origin.problem(message, family))
            ok = False
    if not ok:
        return None
    return LedgerEntry(values["key"], values["ipv4"], values["ipv6"], values["state"])  # type: ignore[arg-type]


def _address_problem(text: str, version: int, pinned: bool) -> str | None:
    """Why `text` is not a canonical IPv`version` address (pinned) or network (block), or None."""
    what = f"an IPv{version} {'address' if pinned else 'network in CIDR form'}"
    try:
        value = IPAddress(text) if pinned else IPNetwork(text)
    except (AddrFormatError, ValueError, TypeError):
        return f"expected {what}, got {text!r}"
    if value.version != version or (not pinned and "/" not in text):
        return f"expected {what}, got {text!r}"
    canonical = str(value) if pinned else str(value.cidr)  # type: ignore[union-attr]
    if canonical != text:
        return f"expected the canonical form {canonical}, got {text!r}"
    return None


def render_ledger(park: str, entries: tuple[LedgerEntry, ...] | list[LedgerEntry]) -> dict[str, str]:
    """The ledger files (relative path -> text), one per owner, entries sorted by key."""
    owners: dict[str | None, list[LedgerEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.key):
        owners.setdefault(owner_of(entry.key), []).append(entry)
    files = {}
    for owner, items in owners.items():
        header: dict[str, object] = {"park": park}
        if owner is not None:
            header["tenant"] = owner
        header["allocations"] = [{"key": e.key, "ipv4": e.ipv4, "ipv6": e.ipv6, "state": e.state} for e in items]
        what = f"tenant {owner}" if owner else "park-level entries"
        files[f"{LEDGER_DIR}/{owner or PARK_OWNER}.yaml"] = HEADER.format(what=what) + _dump(header)
    return dict(sorted(files.items()))


def _dump(data: dict[str, object]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def ledger_changes_on_disk(root: str | Path, current: Ledger, files: dict[str, str]) -> dict[str, str | None]:
    """What writing `files` would change: relative path -> new text, or None for a file to remove."""
    base = Path(root)
    changes: dict[str, str | None] = {p: t for p, t in files.items() if current.files.get(p) != t}
    for path in current.files:
        if path not in files:
            changes[path] = None
    if current.legacy and (base / LEGACY_FILE).is_file():
        changes[LEGACY_FILE] = None
    return dict(sorted(changes.items()))


def write_ledger(root: str | Path, changes: dict[str, str | None]) -> None:
    """Apply `ledger_changes_on_disk`: each file replaced atomically; removals last, so nothing is lost."""
    from itpark.fileio import write_text_atomic

    base = Path(root)
    for path, text in changes.items():
        if text is not None:
            write_text_atomic(base / path, text)
    for path, text in changes.items():
        if text is None:
            (base / path).unlink(missing_ok=True)
