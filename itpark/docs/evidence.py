"""Read the hardening evidence of a park: evidence/<park>/<host>.json, written by the hardening run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from itpark.errors import Problem, SpecError

STATUSES = {"pass", "fail"}


def load_evidence(folder: Path) -> dict[str, dict[str, Any]]:
    """Host inventory name -> evidence document. A missing folder means nothing was checked yet."""
    found: dict[str, dict[str, Any]] = {}
    problems = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            problems.append(Problem(str(path), 0, "", f"not readable as JSON evidence: {err}"))
            continue
        problem = _check(data)
        if problem:
            problems.append(Problem(str(path), 0, "", problem))
            continue
        found[str(data["host"])] = data
    if problems:
        raise SpecError(problems)
    return found


def _check(data: object) -> str:
    if not isinstance(data, dict) or not isinstance(data.get("host"), str):
        return 'expected {"host": ..., "park": ..., "level": N, "controls": {...}}'
    controls = data.get("controls")
    if not isinstance(controls, dict):
        return "controls: expected a mapping of control id to {status, checks}"
    for control, result in sorted(controls.items()):
        if not isinstance(result, dict) or result.get("status") not in STATUSES:
            return f"controls.{control}.status: expected pass or fail"
    return ""
