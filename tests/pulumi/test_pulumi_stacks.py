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


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and "stacks" not in p.parts
    }


def test_new_tenant_adds_one_stack_file(tmp_path: Path) -> None:
    park = tmp_path / "stacks" / "danang-itpark"
    shutil.copytree(park_dir("danang-itpark"), park)
    assert main(["stacks", "--project-dir", str(tmp_path), str(park)]) == 0
    before = _files(tmp_path)
    assert len([n for n in before if n.startswith("stack-config/Pulumi.")]) == 16
    (park / "tenants" / "zz-onboarding.yaml").write_text(NEW_TENANT, encoding="utf-8")
    assert main(["stacks", "--check", "--project-dir", str(tmp_path), str(park)]) == 1
    assert main(["stacks", "--project-dir", str(tmp_path), str(park)]) == 0
    after = _files(tmp_path)
    assert set(after) - set(before) == {"stack-config/Pulumi.danang-itpark-tenant-zz-onboarding.yaml"}
    assert all(after[name] == text for name, text in before.items())
    assert "itpark:tenant: zz-onboarding" in after["stack-config/Pulumi.danang-itpark-tenant-zz-onboarding.yaml"]


USER_STACK_FILE = """\
secretsprovider: passphrase
encryptionsalt: v1:Zm9vYmFyYmF6:v1:c2FsdA==:bm9uY2U=
config:
  # the cloud's LUKS type, set by the operator
  itpark:encryptedVolumeType: luks
  itpark:layer: network
  openstack:password:
    secure: v1:AAAABBBBCCCC
"""


def test_stacks_merges_into_user_files_and_moves_root_files(tmp_path: Path) -> None:
    """Secrets, encryptionsalt, comments and extra config survive; a stale owned key is corrected; a root-level
    file from an older layout moves into stack-config/; --org is kept for later runs and new stacks."""
    park = tmp_path / "stacks" / "danang-itpark"
    shutil.copytree(park_dir("danang-itpark"), park)
    root_file = tmp_path / "Pulumi.danang-itpark-tenant-softviet.yaml"
    root_file.write_text(USER_STACK_FILE, encoding="utf-8")
    assert main(["stacks", "--project-dir", str(tmp_path), str(park)]) == 0
    assert not root_file.exists()
    moved = (tmp_path / "stack-config" / root_file.name).read_text()
    for kept in (
        "encryptionsalt: v1:Zm9vYmFyYmF6",
        "secure: v1:AAAABBBBCCCC",
        "itpark:encryptedVolumeType: luks",
        "# the cloud's LUKS type",
        "secretsprovider: passphrase",
    ):
        assert kept in moved
    assert "itpark:layer: tenant" in moved and "itpark:tenant: softviet" in moved
    assert main(["stacks", "--check", "--project-dir", str(tmp_path), str(park)]) == 0
    assert main(["stacks", "--org", "acme", "--project-dir", str(tmp_path), str(park)]) == 0
    assert "itpark:org: acme" in (tmp_path / "stack-config" / root_file.name).read_text()
    (park / "tenants" / "zz-onboarding.yaml").write_text(NEW_TENANT, encoding="utf-8")
    assert main(["stacks", "--project-dir", str(tmp_path), str(park)]) == 0  # no --org: the park's is kept
    new = (tmp_path / "stack-config" / "Pulumi.danang-itpark-tenant-zz-onboarding.yaml").read_text()
    assert "itpark:org: acme" in new
    assert "secure: v1:AAAABBBBCCCC" in (tmp_path / "stack-config" / root_file.name).read_text()


def test_committed_layout_is_per_stack() -> None:
    """Pulumi reads stack files from stack-config/ (stackConfigDir); none is left in the root."""
    import yaml

    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["stackConfigDir"] == "stack-config"
    assert not list(ROOT.glob("Pulumi.*.yaml"))
    assert not list(ROOT.glob("stacks/*/manifest.json"))


def test_org_is_the_backends_unless_set(golden: dict[str, Any]) -> None:
    """StackReference names: itpark:org when set; otherwise the backend's organization (Pulumi Cloud's own)."""
    from itpark.plan import plan_park
    from itpark.pulumi.program import Settings, build
    from itpark.pulumi.stacks import StackSpec

    plan = plan_park(park_dir("danang-itpark"))
    spec = StackSpec("danang-itpark-tenant-softviet", "danang-itpark", "tenant", "softviet")
    refs = {
        name: golden["danang-itpark"]["stacks"][name]["outputs"]
        for name in ("danang-itpark-datacenter", "danang-itpark-network")
    }
    seen: list[str] = []
    original = pulumi.StackReference.__init__

    def record(self: Any, name: str, *args: Any, **kwargs: Any) -> None:
        seen.append(name)
        original(self, name, *args, **kwargs)

    pulumi.StackReference.__init__ = record  # type: ignore[method-assign]
    try:
        run_program(spec.name, lambda: build(plan, spec, park_dir("danang-itpark"), Settings(org="acme")), refs)
    finally:
        pulumi.StackReference.__init__ = original  # type: ignore[method-assign]
    assert seen and all(name.startswith("acme/itpark/danang-itpark-") for name in seen)


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
    shutil.copytree(park_dir("danang-itpark"), tmp_path / "park", ignore=shutil.ignore_patterns("manifests"))
    assert main(["diff", str(tmp_path / "park")]) == 2
    assert "no golden manifests" in capsys.readouterr().err
    assert main(["diff", "--list-stacks", str(tmp_path / "park")]) == 2
