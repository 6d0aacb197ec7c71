"""Stack files from the plan, the root entry point `pulumi up` runs, and the commands' bad-input paths."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi_helpers import NEW_TENANT, PARKS, ROOT, park_dir

from itpark.cli import main
from itpark.pulumi.offline import run_program


@pytest.mark.parametrize("park", PARKS)
def test_committed_stack_files_are_current(park: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["stacks", "--check", f"stacks/{park}"]) == 0


def test_new_tenant_adds_one_stack_file(tmp_path: Path) -> None:
    park = tmp_path / "stacks" / "danang-itpark"
    shutil.copytree(park_dir("danang-itpark"), park)
    assert main(["stacks", "--project-dir", str(tmp_path), str(park)]) == 0
    before = {p.name: p.read_text() for p in tmp_path.rglob("*") if p.is_file() and "stacks" not in p.parts}
    assert len([n for n in before if n.startswith("Pulumi.")]) == 16
    (park / "tenants" / "zz-onboarding.yaml").write_text(NEW_TENANT, encoding="utf-8")
    assert main(["stacks", "--check", "--project-dir", str(tmp_path), str(park)]) == 1
    assert main(["stacks", "--project-dir", str(tmp_path), str(park)]) == 0
    after = {p.name: p.read_text() for p in tmp_path.rglob("*") if p.is_file() and "stacks" not in p.parts}
    assert set(after) - set(before) == {"Pulumi.danang-itpark-tenant-zz-onboarding.yaml"}
    assert all(after[name] == text for name, text in before.items())
    assert "itpark:tenant: zz-onboarding" in after["Pulumi.danang-itpark-tenant-zz-onboarding.yaml"]


def test_root_entry_point_runs_a_tenant_stack(monkeypatch: pytest.MonkeyPatch, golden: dict[str, Any]) -> None:
    """`pulumi up` runs __main__.py with the stack's config; it registers what the manifest says."""
    monkeypatch.chdir(ROOT)
    stack = "danang-itpark-tenant-softviet"
    pulumi.runtime.set_all_config(
        {"itpark:park": "stacks/danang-itpark", "itpark:layer": "tenant", "itpark:tenant": "softviet"}
    )
    refs = {
        name: golden["danang-itpark"]["stacks"][name]["outputs"]
        for name in ("danang-itpark-datacenter", "danang-itpark-network")
    }
    try:
        records, _ = run_program(stack, lambda: runpy.run_path(str(ROOT / "__main__.py")) and {}, refs)
    finally:
        pulumi.runtime.set_all_config({})
    expected = golden["danang-itpark"]["stacks"][stack]["resources"]
    assert {f"{r['type']}::{r['name']}": r for r in records} == expected


def test_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", str(tmp_path / "nope")]) == 2
    shutil.copytree(park_dir("danang-itpark"), tmp_path / "park", ignore=shutil.ignore_patterns("manifest.json"))
    assert main(["diff", str(tmp_path / "park")]) == 2
    assert "no golden manifest" in capsys.readouterr().err
