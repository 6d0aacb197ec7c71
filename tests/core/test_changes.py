"""`itpark changes`: a real git repository, two revisions of a park, the per-system report an owner amends by."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from itpark.cli import main
from tests.core.conftest import ROOT

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x.vn", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env={**os.environ, **ENV})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    park = tmp_path / "stacks" / "danang-itpark"
    shutil.copytree(ROOT / "stacks" / "danang-itpark", park, ignore=shutil.ignore_patterns("manifests"))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "approved")
    git(tmp_path, "tag", "approved")
    return tmp_path


def test_report_lists_hosts_flows_zones_and_level(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    park = repo / "stacks" / "danang-itpark"
    source = park / "tenants" / "softviet.yaml"
    text = source.read_text(encoding="utf-8")
    text = text.replace("level: 2", "level: 3", 1).replace(
        "{name: api, zone: app, count: 2", "{name: api, zone: app, count: 3", 1
    )
    source.write_text(text, encoding="utf-8")
    (park / "tenants" / "vnpt-dn-lab.yaml").unlink()
    git(repo, "commit", "-qam", "softviet to level 3, one more API host; vnpt-dn-lab leaves")
    work_tree = {p: p.read_bytes() for p in park.rglob("*") if p.is_file()}

    capsys.readouterr()
    assert main(["changes", "--from", "approved", "--to", "HEAD", "--lang", "en", str(park)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("# Changes to the level dossiers: danang-itpark")
    section = out.split("## softviet/erp")[1].split("\n## ")[0]
    assert "**Level**: 2 → 3" in section
    assert "api-03.erp.softviet" in section.split("Hosts added")[1].split("\n- **")[0]
    assert "Zones added" in section and "`data`" in section  # level 3 adds data, mgmt, security
    assert "Flows added" in section
    assert "## vnpt-dn-lab/main" in out and "system removed" in out
    assert "## so-tttt" not in out  # unchanged systems are left out
    assert {p: p.read_bytes() for p in park.rglob("*") if p.is_file()} == work_tree  # the tree is untouched

    assert main(["changes", "--from", "approved", str(park)]) == 1  # Vietnamese, against the work tree
    vi = capsys.readouterr().out
    assert "Thay đổi đối với hồ sơ đề xuất cấp độ" in vi and "Máy chủ bổ sung" in vi and "Cấp độ" in vi

    assert main(["changes", "--from", "HEAD", "--to", "HEAD", str(park)]) == 0
    assert "Không có hệ thống nào" in capsys.readouterr().out


def test_unknown_ref_is_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["changes", "--from", "nope", str(repo / "stacks" / "danang-itpark")]) == 2
    assert "nope" in capsys.readouterr().err
