"""`itpark_evidence`: the role's checks as the evidence file `itpark harden` writes, for runs without the wrapper
(AWX / Ansible Automation Platform, plain ansible-playbook). One implementation: itpark.hardening.evidence from
the project checkout (the project root is three levels above the roles directory)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_PROJECT = Path(__file__).resolve().parents[4]
if str(_PROJECT) not in sys.path:
    sys.path.insert(0, str(_PROJECT))

from itpark.fileio import dumps_json  # noqa: E402
from itpark.hardening.evidence import build_evidence  # noqa: E402


def itpark_evidence(
    checks: list[dict[str, Any]],
    host: str,
    park: str,
    level: Any,
    controls: list[str],
    run: dict[str, str] | None = None,
) -> str:
    """The evidence file's text for one host: the same bytes the wrapper writes for the same checks and run."""
    return dumps_json(build_evidence(host, park, int(level), checks, controls, run=run))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"itpark_evidence": itpark_evidence}
