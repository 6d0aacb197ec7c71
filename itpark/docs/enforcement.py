"""What carries out each control: the declared trace in enforcement.yaml, with the role tasks it names.

enforcement.yaml declares, per catalog control, how each Ansible role serves it (`enforce`, `check` or
`document`), the files and symbols of the plan, catalog, policy pack and modules that enforce it by design
(`by:`), and what the operator must provide as documentary evidence (`manual:`). The task names shown next to
a role come from the role's code; tests/docs/test_enforcement.py holds the declaration to that code, so a
role that only writes a text file cannot be declared as enforcing anything.

Kinds of a task, from its code: a task tagged `evidence` (or named "... | Evidence | ...") only checks; meta
tasks (flush handlers, set_fact, debug, assert, includes) do nothing to the host and are never counted; every
other task tagged with a control changes the host for it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

CONTROL_ID = re.compile(r"\b(?:GOV|NET|HOST|LOG|APP|DATA|OPS)-\d{2}\b")
REPO_ROOT = Path(__file__).resolve().parents[2]
ROLE_KINDS = ("enforce", "check", "document")
META_MODULES = frozenset(
    f"{prefix}{name}"
    for prefix in ("", "ansible.builtin.")
    for name in (
        "meta",
        "set_fact",
        "debug",
        "assert",
        "fail",
        "include_tasks",
        "import_tasks",
        "include_role",
        "import_role",
        "include_vars",
        "pause",
    )
)
# What an enforcer's kind counts as on a page: enforces, only checks, or only documents.
CATEGORY = {
    "role": "enforce",
    "flow": "enforce",
    "policy": "enforce",
    "module": "enforce",
    "design": "enforce",
    "check": "check",
    "document": "document",
}


@dataclass(frozen=True, order=True)
class Enforcer:
    kind: str  # role | check | document | flow | policy | module | design
    file: str  # relative to the repository root
    symbol: str

    @property
    def category(self) -> str:
        return CATEGORY[self.kind]


@dataclass(frozen=True)
class RoleTask:
    role: str
    file: str
    name: str
    kind: str  # enforce | check | meta (from the code)
    controls: tuple[str, ...]
    writes: str  # the path a file/template/copy task writes, else ""


@dataclass(frozen=True)
class Enforcement:
    by: dict[str, tuple[Enforcer, ...]]  # control id -> enforcers, sorted
    manual: dict[str, dict[str, str]]  # control id -> {lang: what the operator provides as documents}

    def enforcers(self, control: str) -> tuple[Enforcer, ...]:
        return self.by.get(control, ())

    def checkable(self, control: str) -> bool:
        """Some role has a task that observes this control on a host."""
        return any(e.kind == "check" for e in self.enforcers(control))

    def enforced(self, control: str) -> bool:
        return any(e.category == "enforce" for e in self.enforcers(control))


def _yaml_load(path: Path) -> object:
    try:
        return YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (YAMLError, OSError, UnicodeDecodeError):
        return None  # a file another engineer is half-way through writing: skip it, never crash the docs


def _walk_tasks(tasks: object) -> list[dict[str, Any]]:
    """Tasks including those nested in block/rescue/always."""
    found = []
    if isinstance(tasks, list):
        for task in tasks:
            if isinstance(task, dict):
                found.append(task)
                for key in ("block", "rescue", "always"):
                    found.extend(_walk_tasks(task.get(key)))
    return found


def _tags(task: dict[str, Any]) -> list[str]:
    tags = task.get("tags", [])
    tags = [tags] if isinstance(tags, str) else tags if isinstance(tags, list) else []
    return [str(x) for x in tags]


def task_kind(task: dict[str, Any]) -> str:
    """check, meta or enforce, from the task's own code."""
    name = str(task.get("name", ""))
    if "evidence" in _tags(task) or "| Evidence |" in name or name.startswith("Evidence |"):
        return "check"
    if META_MODULES & set(task) or "block" in task:
        return "meta"
    return "enforce"


def _writes(task: dict[str, Any]) -> str:
    for module in ("file", "template", "copy", "lineinfile", "blockinfile"):
        args = task.get(f"ansible.builtin.{module}", task.get(module))
        if isinstance(args, dict):
            return str(args.get("dest") or args.get("path") or "")
    return ""


def role_tasks(root: Path = REPO_ROOT) -> list[RoleTask]:
    """Every role task tagged with a control id, with its kind read from its code."""
    found = []
    for path in sorted(root.glob("playbooks/roles/*/tasks/*.yml")):
        rel = path.relative_to(root).as_posix()
        role = path.parts[-3]
        for task in _walk_tasks(_yaml_load(path)):
            controls = tuple(t for t in _tags(task) if CONTROL_ID.fullmatch(t))
            if controls:
                name = str(task.get("name", "")).strip() or "(unnamed task)"
                found.append(RoleTask(role, rel, name, task_kind(task), controls, _writes(task)))
    return found


def code_role_kinds(tasks: list[RoleTask]) -> dict[str, dict[str, str]]:
    """control -> role -> what its code does for it: enforce (some task changes the host), check (only
    evidence tasks), or nothing worth naming (meta only: left out)."""
    kinds: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for task in tasks:
        for control in task.controls:
            kinds[control][task.role].add(task.kind)
    out: dict[str, dict[str, str]] = {}
    for control, roles in kinds.items():
        for role, seen in roles.items():
            if "enforce" in seen:
                out.setdefault(control, {})[role] = "enforce"
            elif "check" in seen:
                out.setdefault(control, {})[role] = "check"
    return out


def scan_flows(root: Path) -> list[tuple[str, Enforcer]]:
    data = _yaml_load(root / "itpark/catalog/flows.yaml")
    found = []
    if isinstance(data, dict):
        for flow in data.get("system_flows", []) or []:
            for control in flow.get("controls", []) or []:
                found.append(
                    (str(control), Enforcer("flow", "itpark/catalog/flows.yaml", f"system_flows.{flow['id']}"))
                )
    return found


def _kind_of(file: str) -> str:
    for prefix, kind in (("policy/", "policy"), ("modules/", "module"), ("playbooks/", "role")):
        if file.startswith(prefix):
            return kind
    if file.startswith("itpark/docs/"):
        return "document"  # a rendered document: it records the design, it does not enforce it
    return "design"


def load_data() -> dict[str, dict[str, Any]]:
    text = resources.files("itpark.docs").joinpath("enforcement.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text) or {}


def build_enforcement(root: Path = REPO_ROOT) -> Enforcement:
    data = load_data()
    tasks = role_tasks(root)
    code = code_role_kinds(tasks)
    by: dict[str, set[Enforcer]] = defaultdict(set)
    for control, enforcer in scan_flows(root):
        by[control].add(enforcer)
    for task in tasks:
        if task.kind == "meta":
            continue
        for control in task.controls:
            declared = (data.get(control, {}).get("roles") or {}).get(task.role) or code.get(control, {}).get(task.role)
            if declared is None:
                continue
            if task.kind == "check":
                by[control].add(Enforcer("check", task.file, task.name))
            else:
                by[control].add(Enforcer("document" if declared == "document" else "role", task.file, task.name))
    manual = {}
    for control, entry in data.items():
        for item in entry.get("by", []) or []:
            by[control].add(Enforcer(_kind_of(item["file"]), item["file"], item["symbol"]))
        if "manual" in entry:
            manual[control] = dict(entry["manual"])
    return Enforcement({c: tuple(sorted(e)) for c, e in sorted(by.items())}, manual)
