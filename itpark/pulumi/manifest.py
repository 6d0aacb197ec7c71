"""Golden manifests: where they live, and how two manifests differ."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itpark.errors import UsageError

GOLDEN = "manifest.json"


def golden_path(park_dir: Path) -> Path:
    return park_dir / GOLDEN


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no golden manifest (write one with `itpark manifest --write`)") from None
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
    fields += [k for k in ("parent", "custom") if old.get(k) != new.get(k)]
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
