"""Helpers of the Pulumi tests (imported by conftest.py and the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PARKS = ("danang-itpark", "quangnam-cloud")
# A level-1 tenant to onboard into a copy of a park.
NEW_TENANT = """\
name: Test onboarding tenant
kind: enterprise
owner: Test owner
systems:
  - id: main
    title: Main
    level: 1
    tiers:
      - {name: app, zone: app, count: 1, ports: ["8080/tcp"]}
"""


def park_dir(park: str) -> Path:
    return ROOT / "stacks" / park


def resources(manifest: dict[str, Any], typ: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(stack, resource) pairs, optionally of one type token suffix such as 'SecGroupRule'."""
    return [
        (stack, r)
        for stack, body in manifest["stacks"].items()
        for r in body["resources"].values()
        if typ is None or r["type"].endswith(f":{typ}")
    ]
