"""Which file and symbol enforces each control, found by scanning the repository plus a small data file.

Sources, in this order: Ansible role task tags (playbooks/roles/*/tasks/*.yml), the `controls:` of the
mandatory flows (itpark/catalog/flows.yaml), Python symbols naming a control in the policy pack (policy/)
and the Pulumi modules (modules/), then enforcement.yaml for documents, shared services and manual evidence.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

CONTROL_ID = re.compile(r"\b(?:GOV|NET|HOST|LOG|APP|DATA|OPS)-\d{2}\b")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, order=True)
class Enforcer:
    kind: str  # role | flow | policy | module | design
    file: str  # relative to the repository root
    symbol: str


@dataclass(frozen=True)
class Enforcement:
    by: dict[str, tuple[Enforcer, ...]]  # control id -> enforcers, sorted
    manual: dict[str, dict[str, str]]  # control id -> {lang: what the operator provides}

    def enforcers(self, control: str) -> tuple[Enforcer, ...]:
        return self.by.get(control, ())


def _yaml_load(path: Path) -> object:
    try:
        return YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (YAMLError, OSError, UnicodeDecodeError):
        return None  # a file another engineer is half-way through writing: skip it, never crash the docs


def _walk_tasks(tasks: object) -> list[dict]:
    """Tasks including those nested in block/rescue/always."""
    found = []
    if isinstance(tasks, list):
        for task in tasks:
            if isinstance(task, dict):
                found.append(task)
                for key in ("block", "rescue", "always"):
                    found.extend(_walk_tasks(task.get(key)))
    return found


def _tags(task: dict) -> list[str]:
    tags = task.get("tags", [])
    tags = [tags] if isinstance(tags, str) else tags if isinstance(tags, list) else []
    return [t for t in (str(x) for x in tags) if CONTROL_ID.fullmatch(t)]


def scan_roles(root: Path) -> list[tuple[str, Enforcer]]:
    found = []
    for path in sorted(root.glob("playbooks/roles/*/tasks/*.yml")):
        rel = path.relative_to(root).as_posix()
        for task in _walk_tasks(_yaml_load(path)):
            name = str(task.get("name", "")).strip() or "(unnamed task)"
            for control in _tags(task):
                found.append((control, Enforcer("role", rel, name)))
    return found


def scan_flows(root: Path) -> list[tuple[str, Enforcer]]:
    path = root / "itpark/catalog/flows.yaml"
    data = _yaml_load(path)
    found = []
    if isinstance(data, dict):
        for flow in data.get("system_flows", []) or []:
            for control in flow.get("controls", []) or []:
                found.append(
                    (str(control), Enforcer("flow", "itpark/catalog/flows.yaml", f"system_flows.{flow['id']}"))
                )
    return found


def scan_python(root: Path, folder: str, kind: str) -> list[tuple[str, Enforcer]]:
    """Top-level functions, classes and assignments whose source names a control id."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        if "test" in path.name or "__pycache__" in path.parts:
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, OSError, UnicodeDecodeError):
            continue
        rel = path.relative_to(root).as_posix()
        for node in tree.body:
            name = _symbol(node)
            if name is None:
                continue
            segment = ast.get_source_segment(source, node) or ""
            for control in sorted(set(CONTROL_ID.findall(segment))):
                found.append((control, Enforcer(kind, rel, name)))
    return found


def _symbol(node: ast.stmt) -> str | None:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and node.targets and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _kind_of(file: str) -> str:
    for prefix, kind in (("policy/", "policy"), ("modules/", "module"), ("playbooks/", "role")):
        if file.startswith(prefix):
            return kind
    return "design"


def load_data() -> dict[str, dict]:
    text = resources.files("itpark.docs").joinpath("enforcement.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text) or {}


def build_enforcement(root: Path = REPO_ROOT) -> Enforcement:
    by: dict[str, set[Enforcer]] = defaultdict(set)
    scanned = scan_roles(root) + scan_flows(root) + scan_python(root, "policy", "policy")
    scanned += scan_python(root, "modules", "module")
    for control, enforcer in scanned:
        by[control].add(enforcer)
    manual = {}
    for control, entry in load_data().items():
        for item in entry.get("by", []) or []:
            by[control].add(Enforcer(_kind_of(item["file"]), item["file"], item["symbol"]))
        if "manual" in entry:
            manual[control] = dict(entry["manual"])
    return Enforcement({c: tuple(sorted(e)) for c, e in sorted(by.items())}, manual)
