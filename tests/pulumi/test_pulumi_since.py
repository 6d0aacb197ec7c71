"""`itpark diff --since REF`: a real git repository, a change, and only the stacks that change reaches."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pulumi_helpers import NEW_TENANT, ROOT

from itpark.cli import main
from itpark.pulumi.manifest import write_golden
from itpark.pulumi.offline import run_park, to_manifest

PARK = "stacks/danang-itpark"
COPY = ("itpark", "modules", "stack-config", "policy", "Pulumi.yaml", "__main__.py", "pyproject.toml", PARK)
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.vn", "GIT_COMMITTER_NAME": "t"}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_COMMITTER_EMAIL": "t@example.vn"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository holding the project (program, modules, one park with its golden manifests), one commit."""
    for name in COPY:
        source, target = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def selection(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    capsys.readouterr()
    assert main(["diff", "--since", "main", "--list-stacks", str(repo / PARK)]) == 0
    return {row["stack"]: row["reasons"] for row in json.loads(capsys.readouterr().out)}


def tenants(repo: Path) -> list[str]:
    return sorted(f"danang-itpark-tenant-{p.stem}" for p in (repo / PARK / "tenants").glob("*.yaml"))


def test_new_tenant_on_a_branch_previews_only_its_stack(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "checkout", "-qb", "onboard")
    (repo / PARK / "tenants" / "zz-onboarding.yaml").write_text(NEW_TENANT, encoding="utf-8")
    assert selection(repo, capsys) == {
        "danang-itpark-tenant-zz-onboarding": [f"{PARK}/tenants/zz-onboarding.yaml: tenant file"]
    }
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "onboard")  # committed on the branch: the same selection
    assert list(selection(repo, capsys)) == ["danang-itpark-tenant-zz-onboarding"]
    assert main(["diff", "-j", "1", "--since", "main", str(repo / PARK)]) == 1
    out = capsys.readouterr().out
    assert "1 of 17 stacks affected since main" in out
    assert "+ stack danang-itpark-tenant-zz-onboarding" in out
    assert "0 to change, 0 to remove" in out
    new = run_park(str(repo / PARK), jobs=1, only=["danang-itpark-tenant-zz-onboarding"])
    write_golden(repo / PARK, to_manifest(new), prune=False)  # what `itpark manifest --write` adds
    assert main(["diff", "-j", "1", "--since", "main", str(repo / PARK)]) == 0  # golden written: clean


def test_what_reaches_which_stacks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    everything = ["danang-itpark-datacenter", "danang-itpark-network", "danang-itpark-shared", *tenants(repo)]
    network = repo / "modules" / "network" / "__init__.py"
    network.write_text(network.read_text() + "# changed\n")
    chosen = selection(repo, capsys)
    assert sorted(chosen) == sorted(["danang-itpark-network", *tenants(repo)])  # the components that import it
    assert chosen["danang-itpark-network"] == ["modules/network/__init__.py: used by the network component"]
    git(repo, "checkout", "-q", "--", ".")

    (repo / "itpark" / "docs" / "messages" / "en.yaml").write_text("x: y\n")  # documents reach no stack
    (repo / "modules" / "network" / "README.md").write_text("notes\n")
    assert selection(repo, capsys) == {}
    assert main(["diff", "--since", "main", str(repo / PARK)]) == 0
    git(repo, "checkout", "-q", "--", ".")

    catalog = repo / "itpark" / "catalog" / "flows.yaml"
    catalog.write_text(catalog.read_text() + "\n")
    assert sorted(selection(repo, capsys)) == sorted(everything)
    git(repo, "checkout", "-q", "--", ".")

    park = repo / PARK / "park.yaml"
    park.write_text(park.read_text() + "\n")
    assert sorted(selection(repo, capsys)) == sorted(everything)
    git(repo, "checkout", "-q", "--", ".")

    (repo / "stack-config" / "Pulumi.danang-itpark-shared.yaml").write_text("config: {}\n")
    assert list(selection(repo, capsys)) == ["danang-itpark-shared"]


def test_ledger_change_of_one_tenant_reaches_its_stack(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = repo / PARK / "ledger" / "softviet.yaml"
    host = "key: host:api-01.erp.softviet"
    assert host in ledger.read_text()
    ledger.write_text(ledger.read_text().replace(host, "key: host:api-09.erp.softviet"))
    assert selection(repo, capsys) == {
        "danang-itpark-tenant-softviet": [f"{PARK}/ledger/softviet.yaml: ledger of softviet"]
    }
    git(repo, "checkout", "-q", "--", ".")
    park_ledger = repo / PARK / "ledger" / "_park.yaml"
    park_ledger.write_text(park_ledger.read_text() + "\n")
    assert sorted(selection(repo, capsys)) == sorted(
        ["danang-itpark-datacenter", "danang-itpark-network", "danang-itpark-shared", *tenants(repo)]
    )


def test_onboarding_with_tenant_new_reaches_one_stack(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`itpark tenant new` (file and ledger) on a branch: CI previews the new tenant's stack and nothing else."""
    assert main(["tenant", "new", str(repo / PARK), "zz-onboarding"]) == 0
    assert list(selection(repo, capsys)) == ["danang-itpark-tenant-zz-onboarding"]


def test_removed_tenant_is_reported_removed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / PARK / "tenants" / "vnpt-dn-lab.yaml").unlink()
    chosen = selection(repo, capsys)
    assert list(chosen) == ["danang-itpark-tenant-vnpt-dn-lab"]
    assert main(["diff", "--since", "main", str(repo / PARK)]) == 1
    assert "- stack danang-itpark-tenant-vnpt-dn-lab" in capsys.readouterr().out


def test_bad_ref_is_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--since", "no-such-ref", str(repo / PARK)]) == 2
    assert "no-such-ref" in capsys.readouterr().err
