"""`itpark tenant new`: one command writes a valid tenant, allocates it, and refuses what it must."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from itpark.cli import main
from itpark.commands import tenant
from itpark.plan import plan_park
from tests.core.conftest import ROOT


def copy_park(tmp_path: Path, name: str) -> Path:
    park = tmp_path / name
    shutil.copytree(ROOT / "stacks" / name, park, ignore=shutil.ignore_patterns("manifests"))
    return park


def snapshot(park: Path) -> dict[str, bytes]:
    return {p.relative_to(park).as_posix(): p.read_bytes() for p in sorted(park.rglob("*")) if p.is_file()}


def test_new_tenant_of_a_provincial_cloud_is_an_agency_and_is_allocated(tmp_path: Path) -> None:
    park = copy_park(tmp_path, "quangnam-cloud")
    assert main(["tenant", "new", str(park), "so-ct", "--owner", "Sở Công Thương"]) == 0
    text = (park / "tenants" / "so-ct.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../../schemas/tenant.schema.json\n")
    doc = yaml.safe_load(text)
    assert doc["kind"] == "agency" and doc["owner"] == "Sở Công Thương"
    assert main(["allocate", "--check", str(park)]) == 0  # the ledger already holds it
    plan = plan_park(park)
    assert [h.name for s in plan.tenant("so-ct").systems for h in s.hosts]


def test_it_park_tenant_is_an_enterprise_and_like_copies_systems(tmp_path: Path) -> None:
    park = copy_park(tmp_path, "danang-itpark")
    assert main(["tenant", "new", str(park), "newco"]) == 0
    assert yaml.safe_load((park / "tenants" / "newco.yaml").read_text())["kind"] == "enterprise"
    assert main(["tenant", "new", str(park), "softviet-2", "--like", "softviet", "--name", "SoftViet 2"]) == 0
    copy = yaml.safe_load((park / "tenants" / "softviet-2.yaml").read_text())
    source = yaml.safe_load((park / "tenants" / "softviet.yaml").read_text())
    assert copy["systems"] == source["systems"] and copy["name"] == "SoftViet 2"
    plan = plan_park(park)
    ours = {h.ipv4 for s in plan.tenant("softviet-2").systems for h in s.hosts}
    theirs = {h.ipv4 for s in plan.tenant("softviet").systems for h in s.hosts}
    assert ours and not ours & theirs
    assert main(["allocate", "--check", str(park)]) == 0


@pytest.mark.parametrize(
    ("tenant_id", "message"),
    [
        ("softviet", "exists already"),
        ("shared", "reserved"),
        ("Bad_Id", "2-40 characters"),
        ("gone", "removed tenant"),
    ],
)
def test_refused_ids_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tenant_id: str, message: str
) -> None:
    park = copy_park(tmp_path, "danang-itpark")
    assert main(["tenant", "new", str(park), "gone"]) == 0
    (park / "tenants" / "gone.yaml").unlink()  # removed: its ledger entries stay reserved for it
    before = snapshot(park)
    capsys.readouterr()
    assert main(["tenant", "new", str(park), tenant_id]) == 2
    assert message in capsys.readouterr().err
    assert snapshot(park) == before


def test_invalid_result_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    park = copy_park(tmp_path, "danang-itpark")
    before = snapshot(park)
    bad = tenant.template("broken", "enterprise", "Broken", "x", level=1).replace("count: 1", "count: 999")
    monkeypatch.setattr(tenant, "template", lambda *args, **kwargs: bad)
    assert main(["tenant", "new", str(park), "broken"]) == 2
    assert "broken.yaml" in capsys.readouterr().err
    assert snapshot(park) == before
