"""Evidence files: evidence/<park>/<host>.json, one per host, deterministic (no timestamps)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from itpark.fileio import dumps_json, write_text_atomic


def build_evidence(
    host: str, park: str, level: int, checks: Iterable[Mapping[str, Any]], controls: Iterable[str]
) -> dict[str, Any]:
    """Group the roles' checks by control; a control passes when all its checks pass.

    Only `controls` (those applicable at the host's level) are reported; an applicable control no role
    checked on this host is reported as fail with a check saying so, never silently dropped.
    """
    wanted = sorted(set(controls))
    grouped: dict[str, list[dict[str, str]]] = {c: [] for c in wanted}
    for check in checks:
        control = str(check["control"])
        if control not in grouped:
            continue
        expected, observed = str(check["expected"]), str(check["observed"])
        grouped[control].append(
            {
                "name": str(check["name"]),
                "expected": expected,
                "observed": observed,
                "status": "pass" if expected == observed else "fail",
            }
        )
    result: dict[str, Any] = {}
    for control, items in grouped.items():
        if not items:
            items = [
                {"name": "checked by a role", "expected": "at least one check", "observed": "none", "status": "fail"}
            ]
        items.sort(key=lambda c: (c["name"], c["expected"], c["observed"]))
        status = "pass" if all(c["status"] == "pass" for c in items) else "fail"
        result[control] = {"status": status, "checks": items}
    return {"host": host, "park": park, "level": level, "controls": result}


def write_evidence(root: Path, evidence: Mapping[str, Any]) -> Path:
    return write_text_atomic(root / str(evidence["park"]) / f"{evidence['host']}.json", dumps_json(evidence))


def failed_controls(evidence: Mapping[str, Any]) -> list[str]:
    return sorted(c for c, v in evidence["controls"].items() if v["status"] != "pass")
