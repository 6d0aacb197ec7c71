"""The components type-check strictly against pulumi-openstack's typed SDK (the closest offline check to the
provider schema a preview would apply)."""

from __future__ import annotations

import subprocess
import sys

from pulumi_helpers import ROOT


def test_modules_are_mypy_strict_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", "modules/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
