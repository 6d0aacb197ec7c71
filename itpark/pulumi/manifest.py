"""Golden manifests: where they live, and how two manifests differ.

A park's golden manifest is one file per stack, `stacks/<park>/manifests/<stack>.json`, so two changes to different
tenants never touch the same generated file. In memory a manifest is `{"park", "project", "stacks": {name: body}}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itpark.errors import UsageError
from itpark.fileio import dumps_json, write_text_atomic

GOLDEN_DIR = "manifests"


def golden_dir(park_dir: Path) -> Path:
    return park_dir / GOLDEN_DIR


def golden_stack_path(park_dir: Path, stack: str) -> Path:
    return golden_dir(park_dir) / f"{stack}.json"


def stack_document(manifest: dict[str, Any], stack: str) -> dict[str, Any]:
    """What `manifests/<stack>.json` holds: the stack's body with the park and project it belongs to."""
    return {"park": manifest["park"], "project": manifest["project"], "stack": stack, **manifest["stacks"][stack]}


def read_golden(park_dir: Path, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The park's golden manifest (or only the named stacks' parts that exist) from its per-stack files."""
    folder = golden_dir(park_dir)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no golden manifests (write them with `itpark manifest {park_dir} --write`)")
    paths = sorted(folder.glob("*.json")) if only is None else [golden_stack_path(park_dir, s) for s in only]
    manifest: dict[str, Any] = {"park": park_dir.name, "project": "", "stacks": {}}
    for path in paths:
        if not path.is_file():
            continue
        doc = _load(path)
        if doc.get("stack") != path.stem or not isinstance(doc.get("resources"), dict):
            raise UsageError(f"{path}: not the golden manifest of stack {path.stem!r}")
        manifest["park"], manifest["project"] = doc.pop("park"), doc.pop("project")
        manifest["stacks"][doc.pop("stack")] = doc
    return manifest


def write_golden(park_dir: Path, manifest: dict[str, Any], prune: bool = True) -> list[Path]:
    """Write one file per stack (only those that differ); with `prune`, remove files of stacks not in `manifest`.
    Returns the paths written or removed."""
    changed = []
    for stack in manifest["stacks"]:
        path = golden_stack_path(park_dir, stack)
        text = dumps_json(stack_document(manifest, stack))
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            changed.append(write_text_atomic(path, text))
    if prune:
        for path in sorted(golden_dir(park_dir).glob("*.json")):
            if path.stem not in manifest["stacks"]:
                path.unlink()
                changed.append(path)
    return changed


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}: not JSON: {err}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a manifest")
    return data


def read_manifest(path: Path) -> dict[str, Any]:
    """A whole-park manifest file, as `itpark manifest` prints it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such manifest") from None
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}: not a manifest: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("stacks"), dict):
        raise UsageError(f"{path}: not a manifest (no 'stacks')")
    return data


def _flat(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{stack}|{key}": resource
        for stack, body in manifest["stacks"].items()
        for key, resource in body["resources"].items()
    }


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    fields = []
    for part in ("inputs", "options"):
        a, b = old.get(part, {}), new.get(part, {})
        fields += [f"{part}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    fields += [k for k in ("parent", "custom", "provider") if old.get(k) != new.get(k)]
    return fields


@dataclass
class ManifestDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    stacks_added: list[str] = field(default_factory=list)
    stacks_removed: list[str] = field(default_factory=list)
    outputs_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.stacks_added
            or self.stacks_removed
            or self.outputs_changed
        )

    def report(self) -> str:
        lines = [f"+ stack {s}" for s in self.stacks_added] + [f"- stack {s}" for s in self.stacks_removed]
        lines += [f"+ {k}" for k in self.added] + [f"- {k}" for k in self.removed]
        lines += [f"~ {k}: {', '.join(v)}" for k, v in self.changed.items()]
        lines += [f"~ outputs of {s}" for s in self.outputs_changed]
        lines.append(
            f"{len(self.added)} to add, {len(self.changed)} to change, {len(self.removed)} to remove"
            f" ({len(self.stacks_added)} stacks added, {len(self.stacks_removed)} removed)"
        )
        return "\n".join(lines) + "\n"


def diff_manifests(old: dict[str, Any], new: dict[str, Any]) -> ManifestDiff:
    a, b = _flat(old), _flat(new)
    diff = ManifestDiff(
        added=sorted(set(b) - set(a)),
        removed=sorted(set(a) - set(b)),
        changed={k: _changed_fields(a[k], b[k]) for k in sorted(set(a) & set(b)) if a[k] != b[k]},
        stacks_added=sorted(set(new["stacks"]) - set(old["stacks"])),
        stacks_removed=sorted(set(old["stacks"]) - set(new["stacks"])),
    )
    diff.outputs_changed = [
        s
        for s in sorted(set(old["stacks"]) & set(new["stacks"]))
        if old["stacks"][s].get("outputs") != new["stacks"][s].get("outputs")
    ]
    return diff
