"""Which stacks a change affects, and why: the selection behind `itpark diff --since REF` and the CI matrix.

Files map to stacks by what reads them:
- `stacks/<park>/tenants/<id>.yaml`, the tenant's ledger file, its golden manifest or stack file: that stack;
- `stacks/<park>/park.yaml` (and any other park-wide file): every stack of the park;
- a module under `modules/`: the stacks whose layer component imports it (statically, transitively);
- the program, the planner, the spec or the catalog (what `itpark.pulumi.program` imports, and their data
  files), `__main__.py`, `Pulumi.yaml`, `pyproject.toml`: every stack of every park.
Everything else (documents, playbooks, tests, other commands) reaches no stack.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path, PurePosixPath

import yaml

from itpark.errors import UsageError
from itpark.plan.ledger import LEDGER_DIR
from itpark.plan.ledger import LEGACY_FILE as LEDGER_FILE  # the old one-file ledger
from itpark.pulumi.stacks import STACK_CONFIG_DIR, StackSpec

# The component each layer's stack is built from.
LAYER_ROOTS = {
    "datacenter": "modules.datacenter",
    "network": "modules.network",
    "shared": "modules.shared_services",
    "tenant": "modules.tenant",
}
# The program, and the offline harness and manifest format behind `itpark diff`.
PROGRAM_ROOTS = ("itpark.pulumi.program", "itpark.pulumi.offline", "itpark.pulumi.manifest")
PROJECT_FILES = ("__main__.py", "Pulumi.yaml", "pyproject.toml")


def git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise UsageError("git is not installed; --since needs it") from None
    except subprocess.CalledProcessError as err:
        raise UsageError(f"git {' '.join(args)}: {err.stderr.strip() or err}") from None
    return done.stdout


def repo_root(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--show-toplevel").strip())


def changed_files(root: Path, since: str) -> tuple[str, list[str]]:
    """The merge base of `since` and HEAD, and every path changed since it: commits, the work tree and new
    untracked files (what a pull request would change)."""
    base = git(root, "merge-base", since, "HEAD").strip()
    tracked = git(root, "diff", "--name-only", "--no-renames", base).splitlines()
    untracked = git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    files = set(tracked) | set(untracked)
    return base, sorted(f for f in files if "__pycache__" not in f.split("/") and not f.endswith(".pyc"))


def _module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imports(path: Path, name: str) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                stem = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{stem}.{node.module}" if node.module else stem
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@cache
def closure(root: Path, start: str, prefixes: tuple[str, ...] = ("itpark", "modules")) -> frozenset[str]:
    """Project modules `start` imports, transitively (parents of a module count: importing runs them)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or not name.startswith(prefixes):
            continue
        path = _module_file(root, name)
        if path is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_imports(path, name))
    return frozenset(seen)


def _module_of(path: PurePosixPath) -> str | None:
    """The module a .py file is; for another file, the package whose directory holds it (its data)."""
    parts = list(path.parts)
    if path.suffix == ".py":
        parts[-1] = path.stem
        if parts[-1] == "__init__":
            parts.pop()
    else:
        parts.pop()
    return ".".join(parts) or None


class Selection:
    """Affected stacks of one park, each with the reasons (in the order found)."""

    def __init__(self, specs: Iterable[StackSpec]) -> None:
        self.specs = {s.name: s for s in specs}
        self.reasons: dict[str, list[str]] = {}

    def add(self, stacks: Iterable[str], reason: str) -> None:
        for stack in stacks:
            bucket = self.reasons.setdefault(stack, [])
            if reason not in bucket:
                bucket.append(reason)

    def all(self, reason: str) -> None:
        self.add(self.specs, reason)

    def layer(self, layer: str, reason: str) -> None:
        self.add((n for n, s in self.specs.items() if s.layer == layer), reason)

    def ordered(self) -> dict[str, list[str]]:
        """Plan order first (layers, then tenants), then stacks no longer in the plan."""
        known = [n for n in self.specs if n in self.reasons]
        gone = sorted(n for n in self.reasons if n not in self.specs)
        return {n: self.reasons[n] for n in known + gone}


PARK_WIDE = ("shared", "core")  # ledger owners that are not tenants


def _tenant_of_key(key: str) -> str | None:
    """The tenant a ledger key belongs to: `site/tenant/system`, `router:site/tenant/system`,
    `host:<host>.<system>.<tenant>`; None for the park's own entries (core, shared)."""
    if key.startswith("host:"):
        owner = key.rsplit(".", 1)[-1] if "." in key else None
    else:
        parts = key.split(":", 1)[-1].split("/")
        owner = parts[1] if len(parts) > 2 else None
    return None if owner in PARK_WIDE else owner


def _ledger_entries(text: str | None) -> dict[str, object]:
    try:
        doc = yaml.safe_load(text or "") or {}
    except yaml.YAMLError:
        return {}
    entries = doc.get("allocations") if isinstance(doc, dict) else None
    return {str(e.get("key")): e for e in entries or [] if isinstance(e, dict)}


def _ledger_change(sel: Selection, park: str, old: str | None, new: str | None, path: str) -> None:
    """A one-file ledger: the tenants whose entries changed; any other entry changed reaches every stack."""
    before, after = _ledger_entries(old), _ledger_entries(new)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    tenants = {_tenant_of_key(k) for k in changed}
    for tenant in sorted(t for t in tenants if t):
        sel.add([f"{park}-tenant-{tenant}"], f"{path}: ledger entries of {tenant}")
    if None in tenants or not (before and after):
        sel.all(f"{path}: park-wide ledger entries")


def select(
    root: Path,
    park_dir: Path,
    specs: Iterable[StackSpec],
    files: Iterable[str],
    old_text: Mapping[str, str | None] | None = None,
) -> dict[str, list[str]]:
    """Affected stacks of the park at `park_dir` (inside the repository at `root`) for the changed `files`
    (POSIX paths relative to `root`). `old_text` gives a changed file's text before the change (for the ledger)."""
    specs = list(specs)
    sel = Selection(specs)
    park = specs[0].park
    park_rel = PurePosixPath(park_dir.resolve().relative_to(root.resolve()).as_posix())
    layer_closure = {layer: closure(root, mod) for layer, mod in LAYER_ROOTS.items()}
    program = frozenset().union(*(closure(root, r, ("itpark",)) for r in PROGRAM_ROOTS))
    for name in sorted(files):
        path = PurePosixPath(name)
        if path.is_relative_to(park_rel):
            _park_file(sel, root, park, path, path.relative_to(park_rel), old_text or {})
        elif path.parts[0] == STACK_CONFIG_DIR and path.name.startswith("Pulumi."):
            stack = path.name.removeprefix("Pulumi.").rsplit(".", 1)[0]
            if stack.startswith(f"{park}-"):
                sel.add([stack], f"{name}: stack config")
        elif path.parts[0] == "policy":
            if path.stem == park or path.suffix != ".json":
                sel.all(f"{name}: policy pack")
        elif name in PROJECT_FILES:
            sel.all(f"{name}: Pulumi project")
        elif path.parts[0] == "modules":
            module = _module_of(path)
            for layer, mods in layer_closure.items():
                if module in mods and path.suffix == ".py":
                    sel.layer(layer, f"{name}: used by the {layer} component")
        elif path.parts[0] == "itpark" and _module_of(path) in program:
            sel.all(f"{name}: read by the Pulumi program (plan, spec or catalog)")
    return sel.ordered()


def _park_file(
    sel: Selection, root: Path, park: str, path: PurePosixPath, rel: PurePosixPath, old: Mapping[str, str | None]
) -> None:
    name = path.as_posix()
    top = rel.parts[0]
    if top == "tenants" and len(rel.parts) == 2 and rel.suffix == ".yaml":
        sel.add([f"{park}-tenant-{rel.stem}"], f"{name}: tenant file")
    elif top == LEDGER_DIR and len(rel.parts) == 2:
        if not rel.stem.startswith("_"):
            sel.add([f"{park}-tenant-{rel.stem}"], f"{name}: ledger of {rel.stem}")
        else:
            sel.all(f"{name}: park-wide ledger")
    elif top == "manifests" and rel.suffix == ".json":
        sel.add([rel.stem], f"{name}: golden manifest")
    elif rel.as_posix() == LEDGER_FILE:
        file = root / path
        new = file.read_text(encoding="utf-8") if file.is_file() else None
        _ledger_change(sel, park, old.get(name), new, name)
    elif top == "park.yaml":
        sel.all(f"{name}: the park")
    else:
        sel.all(f"{name}: park file")


def affected_since(park_dir: Path, specs: Iterable[StackSpec], since: str) -> tuple[str, dict[str, list[str]]]:
    """(merge base, affected stacks with reasons) of the park for everything changed since `since`."""
    root = repo_root(park_dir)
    base, files = changed_files(root, since)
    old: dict[str, str | None] = {}
    for name in files:
        if name.endswith(LEDGER_FILE):
            try:
                old[name] = git(root, "show", f"{base}:{name}")
            except UsageError:
                old[name] = None
    return base, select(root, park_dir, specs, files, old)
