"""Evidence files: evidence/<park>/<host>.json, one per host.

Each file records the run that took it: `run.id` (one id per `itpark harden` invocation, shared by every host it
wrote) and `run.taken_at` (UTC, ISO 8601, seconds). The documents read both (itpark/docs/evidence.py) and show
the evidence's age relative to `itpark docs --as-of DATE`. The rest of the file depends only on the checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from itpark.fileio import dumps_json, write_text_atomic


@cache
def current_run() -> dict[str, str]:
    """This process's run: every host's evidence written by one `itpark harden` carries the same id and time."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {"id": f"{now:%Y%m%dT%H%M%SZ}-{os.getpid()}", "taken_at": now.isoformat().replace("+00:00", "Z")}


def build_evidence(
    host: str,
    park: str,
    level: int,
    checks: Iterable[Mapping[str, Any]],
    controls: Iterable[str],
    run: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Group the roles' checks by control; a control passes when all its checks pass.

    A check passes only when its expected value is non-empty and equals the observed one. Only `controls`
    (those applicable at the host's level) are reported; an applicable control no role
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
                # an empty expectation proves nothing: a role that expects "" has nothing to compare
                "status": "pass" if expected and expected == observed else "fail",
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
    taken = dict(run or current_run())
    return {
        "host": host,
        "park": park,
        "level": level,
        "run": {"id": taken["id"], "taken_at": taken["taken_at"]},
        "controls": result,
    }


def write_evidence(root: Path, evidence: Mapping[str, Any]) -> Path:
    return write_text_atomic(root / str(evidence["park"]) / f"{evidence['host']}.json", dumps_json(evidence))


def failed_controls(evidence: Mapping[str, Any]) -> list[str]:
    return sorted(c for c, v in evidence["controls"].items() if v["status"] != "pass")
