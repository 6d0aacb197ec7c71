"""Read stacks/<park>/ into validated models, keeping the file and line of every field for error messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from itpark.errors import Problem, SpecError
from itpark.gcpause import paused_gc
from itpark.spec.models import SLUG_RE, Park, Tenant

PARK_FILE = "park.yaml"
TENANT_DIR = "tenants"

Loc = tuple[str | int, ...]


class _UniqueKeyLoader(yaml.CSafeLoader):
    """libyaml's fast safe loader, refusing duplicate keys (PyYAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[no-untyped-call,no-any-return]


@dataclass
class Located:
    """A parsed YAML document with a way back from a field path to its line.

    Parsing uses libyaml (fast); the line of a field is looked up in a round-trip parse made only when an
    error needs it.
    """

    file: str
    text: str
    data: Any
    _tree: Any = None

    def line(self, loc: Loc) -> int:
        """1-based line of the deepest node of `loc` that exists (the document start if none)."""
        if self._tree is None:
            self._tree = YAML(typ="rt").load(self.text)
        node, line = self._tree, 1
        for key in loc:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        return line

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.file, self.line(loc), format_loc(loc), message)


def format_loc(loc: Loc) -> str:
    text = ""
    for key in loc:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


@dataclass(frozen=True)
class LoadedPark:
    """The whole validated spec of one park, tenants keyed and sorted by id (file order never matters)."""

    root: Path
    park: Park
    tenants: dict[str, Tenant]
    park_doc: Located
    tenant_docs: dict[str, Located] = field(default_factory=dict)

    def where(self, tenant: str | None, loc: Loc, message: str) -> Problem:
        doc = self.park_doc if tenant is None else self.tenant_docs[tenant]
        return doc.problem(loc, message)


def read_yaml(path: Path, display: str) -> Located:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError([Problem(display, 0, "", f"cannot read file: {err}")]) from err
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as err:
        # point at where the broken construct starts; say where the parser gave up too
        mark = err.context_mark or err.problem_mark
        line = mark.line + 1 if mark else 0
        reason = " ".join(str(x) for x in (err.context, err.problem) if x)
        if err.context_mark and err.problem_mark and err.problem_mark.line != err.context_mark.line:
            reason += f" (noticed at line {err.problem_mark.line + 1})"
        raise SpecError([Problem(display, line, "", f"malformed YAML: {reason}")]) from err
    except yaml.YAMLError as err:
        raise SpecError([Problem(display, 0, "", f"malformed YAML: {err}")]) from err
    return Located(display, text, {} if data is None else data)


def _describe(error: Mapping[str, Any]) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown field (not allowed here; check the spelling against `itpark schema`)"
    if kind == "missing":
        return "required field is missing"
    value = error.get("input")
    shown = repr(value) if isinstance(value, str | int | float | bool) or value is None else type(value).__name__
    message = message.removeprefix("Value error, ")
    return f"{message}, got {shown}" if ", got" not in message else message


def validate(doc: Located, model: type[BaseModel]) -> Any:
    if not isinstance(doc.data, Mapping):
        raise SpecError([Problem(doc.file, 1, "", f"expected a mapping of fields, got {type(doc.data).__name__}")])
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            loc = tuple(k for k in error["loc"] if not (isinstance(k, str) and k.startswith("function-")))
            problems.append(doc.problem(loc, _describe(error)))
        raise SpecError(problems) from err


TENANT_SUFFIXES = (".yaml", ".yml")
IGNORED_IN_TENANT_DIR = ("README.md",)


def tenant_files(base: Path) -> tuple[list[Path], list[Problem]]:
    """The tenant files of a park, or why they cannot be trusted: a park always has a tenants/ directory with at
    least one tenant (a missing one would retire every tenant), and only regular files that live in the park."""
    directory = base / TENANT_DIR
    if directory.is_symlink() or (base / PARK_FILE).is_symlink():
        link = directory if directory.is_symlink() else base / PARK_FILE
        return [], [Problem(str(link), 0, "", f"must be in the park, not a symbolic link (to {link.readlink()})")]
    if not directory.is_dir():
        near = [p.name for p in base.iterdir() if p.is_dir() and p.name.lower().rstrip("s") == "tenant"]
        hint = f" (found {', '.join(f'{n}/' for n in sorted(near))}: rename it to {TENANT_DIR}/)" if near else ""
        return [], [Problem(str(directory), 0, "", f"no {TENANT_DIR}/ directory: a park needs its tenant files{hint}")]
    paths, problems = [], []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED_IN_TENANT_DIR:
            continue
        if path.is_symlink():
            message = f"tenant files must be regular files in the park, not symbolic links (to {path.readlink()})"
            problems.append(Problem(str(path), 0, "", message))
        elif path.suffix not in TENANT_SUFFIXES or not path.is_file():
            expected = f"expected only tenant files <id>{TENANT_SUFFIXES[0]} in {TENANT_DIR}/"
            problems.append(Problem(str(path), 0, "", f"{expected}, got {path.name!r}"))
        else:
            paths.append(path)
    if not paths and not problems:
        problems.append(Problem(str(directory), 0, "", f"no tenant files (<id>.yaml) in {TENANT_DIR}/"))
    return paths, problems


def load_park(root: str | Path) -> LoadedPark:
    """Load and validate stacks/<park>/: park.yaml and tenants/*.yaml. Raises SpecError with every problem."""
    with paused_gc():
        return _load_park(root)


def _load_park(root: str | Path) -> LoadedPark:
    from itpark.spec.checks import check_park  # cross-file rules need the whole park

    base = Path(root)
    if not (base / PARK_FILE).is_file():
        raise SpecError([Problem(str(base), 0, "", f"not a park directory: {PARK_FILE} not found")])
    problems: list[Problem] = []
    park_doc = read_yaml(base / PARK_FILE, str(base / PARK_FILE))
    park: Park | None = None
    try:
        park = validate(park_doc, Park)
    except SpecError as err:
        problems.extend(err.problems)

    tenants: dict[str, Tenant] = {}
    tenant_docs: dict[str, Located] = {}
    paths, found = tenant_files(base)
    problems.extend(found)
    seen: set[str] = set()
    for path in paths:
        display = str(path)
        tenant_id = path.stem
        if tenant_id in seen:
            problems.append(Problem(display, 0, "", f"duplicate tenant id {tenant_id!r} (two files with that name)"))
            continue
        seen.add(tenant_id)
        if not SLUG_RE.fullmatch(tenant_id):
            problems.append(
                Problem(display, 0, "", f"tenant id (file name) must be a lower-case slug, got {tenant_id!r}")
            )
            continue
        try:
            doc = read_yaml(path, display)
            tenant_docs[tenant_id] = doc
            tenants[tenant_id] = validate(doc, Tenant)
        except SpecError as err:
            problems.extend(err.problems)
    if problems or park is None:
        raise SpecError(problems)
    loaded = LoadedPark(base, park, dict(sorted(tenants.items())), park_doc, dict(sorted(tenant_docs.items())))
    check_park(loaded)
    return loaded
