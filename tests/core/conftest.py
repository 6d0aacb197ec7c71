"""Fixtures for the core tests: example parks copied to a temp dir so tests may change them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "stacks").iterdir() if (p / "park.yaml").is_file())


@pytest.fixture
def park_copy(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy an example park into tmp_path and return its directory."""

    def copy(name: str = "danang-itpark") -> Path:
        target = tmp_path / name
        shutil.copytree(ROOT / "stacks" / name, target)
        return target

    return copy


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `itpark` command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "itpark", *args], capture_output=True, text=True, cwd=cwd or ROOT, check=False
    )
