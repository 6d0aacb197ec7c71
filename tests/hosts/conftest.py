"""Fixtures for real test hosts (see tests/testhosts/README.md). All host tests are marked slow."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testhosts.base import Base, ensure_base

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stacks" / "quangnam-cloud"


@pytest.fixture(scope="session")
def base() -> Base:
    return ensure_base()


@pytest.fixture(scope="session")
def plan() -> Any:
    from itpark.plan import plan_park

    return plan_park(STACK)


@dataclass
class Harden:
    """Runs `itpark harden` the way an operator does, with the test hosts' inventory override."""

    stack: Path
    override: Path
    workdir: Path

    def __call__(self, *args: str) -> tuple[int, float]:
        from itpark.cli import main

        start = time.monotonic()
        rc = main(
            [
                "harden",
                str(self.stack),
                "-i",
                str(self.override),
                "--inventory-dir",
                str(self.workdir / "inventories"),
                "--evidence-dir",
                str(self.workdir / "evidence"),
                *args,
            ]
        )
        return rc, time.monotonic() - start

    def sources(self, park: str) -> list[Path]:
        """The inventory sources `itpark harden` runs with: the plan's hosts and services, then the override."""
        from itpark.commands.inventory import SERVICES_FILE

        return [self.workdir / "inventories" / park / name for name in ("hosts.yml", SERVICES_FILE)] + [self.override]

    def evidence(self, park: str, host: str) -> dict[str, Any]:
        return json.loads((self.workdir / "evidence" / park / f"{host}.json").read_text())


@pytest.fixture
def tmp_work(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
