"""Read the hardening evidence of a park: evidence/<park>/<host>.json, written by itpark/hardening/evidence.py.

A file says, per applicable control, pass or fail with the checks behind it, and (since runs are recorded)
which run took it and when: {"run": {"id": ..., "taken_at": "2026-12-01T08:00:00Z"}}. Older files without a
run are read; their age shows as not recorded.
"""

from __future__ import annotations

import json
from datetime import date, datetime
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
        return 'expected {"host": ..., "park": ..., "level": N, "run": {...}, "controls": {...}}'
    controls = data.get("controls")
    if not isinstance(controls, dict):
        return "controls: expected a mapping of control id to {status, checks}"
    for control, result in sorted(controls.items()):
        if not isinstance(result, dict) or result.get("status") not in STATUSES:
            return f"controls.{control}.status: expected pass or fail"
    run = data.get("run")
    if run is not None:
        if not isinstance(run, dict) or not isinstance(run.get("id"), str):
            return 'run: expected {"id": "...", "taken_at": "YYYY-MM-DDTHH:MM:SSZ"}'
        if taken_date(data) is None:
            return (
                f"run.taken_at: expected an ISO 8601 UTC time such as 2026-12-01T08:00:00Z, got {run.get('taken_at')!r}"
            )
    return ""


def taken_date(evidence: dict[str, Any]) -> date | None:
    """The day the evidence was taken, or None when the file predates run records."""
    run = evidence.get("run")
    if not isinstance(run, dict):
        return None
    try:
        return datetime.fromisoformat(str(run.get("taken_at", "")).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def run_id(evidence: dict[str, Any]) -> str:
    run = evidence.get("run")
    return str(run.get("id", "")) if isinstance(run, dict) else ""
