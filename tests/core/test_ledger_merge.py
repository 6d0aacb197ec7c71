"""Two operators onboard at once: real git repositories, two branches from the same main, merged both ways.

With the ledger split per tenant the branches touch different files, so git merges them without a conflict.
When both took the same free space, the merged main fails validation and `allocate --check` with one line naming
`itpark allocate STACK --reallocate TENANT` (the tenant whose id sorts last), and that command repairs it.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from netaddr import IPNetwork

from itpark.plan.ledger import is_pinned, owner_of, read_ledger
from tests.core.conftest import ROOT, run_cli

PARK = "stacks/danang-itpark"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def tenant_text(systems: int = 1) -> str:
    lines = ["name: T", "kind: enterprise", "owner: O", "systems:"]
    for index in range(systems):
        lines += [
            f"  - {{id: s{index}, title: S, level: 2, tiers: [{{name: app, zone: app, count: 2}}, "
            "{name: web, zone: dmz, count: 1, ports: ['443/tcp']}]}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding one example park on `main`."""
    shutil.copytree(ROOT / PARK, tmp_path / PARK)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "park")
    return tmp_path


def onboard(repo: Path, branch: str, tenant: str, systems: int = 1) -> None:
    """What an operator's pull request does: a tenant file, `itpark allocate`, commit."""
    git(repo, "checkout", "-q", "-b", branch, "main")
    (repo / PARK / "tenants" / f"{tenant}.yaml").write_text(tenant_text(systems), encoding="utf-8")
    result = run_cli("allocate", PARK, cwd=repo)
    assert result.returncode == 0, result.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"onboard {tenant}")
    git(repo, "checkout", "-q", "main")


def merge(repo: Path, *branches: str) -> None:
    for branch in branches:
        git(repo, "merge", "-q", "--no-edit", branch)  # asserts: no conflict, no hand editing
    assert "<<<<<<<" not in "".join(p.read_text(encoding="utf-8") for p in (repo / PARK / "ledger").iterdir())


def assert_clean(repo: Path) -> None:
    """The merged park validates, its ledger is current, and no address has two owners."""
    for command in (("validate",), ("allocate", "--check")):
        result = run_cli(*command, PARK, cwd=repo)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    entries = read_ledger(repo / PARK).entries
    for family in ("ipv4", "ipv6"):
        spans = sorted(
            (IPNetwork(getattr(e, family)).first, IPNetwork(getattr(e, family)).last, k)
            for k, e in entries.items()
            if not is_pinned(k) and owner_of(k)
        )
        for (_, last, key), (first, _, other) in itertools.pairwise(spans):
            assert last < first, f"{key} overlaps {other}"
    addresses = [e.ipv4 for k, e in entries.items() if is_pinned(k)]
    assert len(addresses) == len(set(addresses))


@pytest.mark.parametrize("order", ["first-then-second", "second-then-first"])
@pytest.mark.parametrize(
    ("first", "second"),
    [("newco-a", "newco-b"), ("aaa-early", "zzz-late")],
    ids=["neighbouring", "distant"],
)
def test_two_onboardings_that_took_the_same_block(repo: Path, first: str, second: str, order: str) -> None:
    onboard(repo, "pr-1", first)
    onboard(repo, "pr-2", second, systems=2)
    merge(repo, *(["pr-1", "pr-2"] if order == "first-then-second" else ["pr-2", "pr-1"]))
    before = read_ledger(repo / PARK).entries
    mover = max(first, second)  # the rule: of two tenants claiming one address, the id that sorts last moves
    for command in (("validate",), ("allocate", "--check")):
        result = run_cli(*command, PARK, cwd=repo)
        assert result.returncode == 2, (command, result.stdout)
        problems = [line for line in result.stderr.splitlines() if not line.startswith("itpark:")]
        assert len(problems) == 1, result.stderr  # ONE line, naming the fix
        assert re.search(
            rf"ledger/{mover}\.yaml:\d+: .*one address, two owners; run `itpark allocate {PARK} --reallocate {mover}`",
            problems[0],
        ), problems[0]
    repaired = run_cli("allocate", PARK, "--reallocate", mover, cwd=repo)
    assert repaired.returncode == 0, repaired.stderr
    assert_clean(repo)
    after = read_ledger(repo / PARK).entries
    keeper = min(first, second)
    for key, entry in before.items():  # everything not the mover's is untouched, the keeper included
        if owner_of(key) != mover:
            assert after[key] == entry, key
    assert any(after[k] != before.get(k) for k in after if owner_of(k) == mover)
    assert all(f"/{keeper}/" in k or k.endswith(f".{keeper}") for k in after if owner_of(k) == keeper)


def test_onboardings_that_do_not_collide_merge_clean(repo: Path) -> None:
    """A new tenant on one branch, new hosts for an existing tenant on another: no conflict, nothing to repair."""
    onboard(repo, "pr-1", "newco")
    git(repo, "checkout", "-q", "-b", "pr-2", "main")
    tenant = repo / PARK / "tenants" / "softviet.yaml"
    tenant.write_text(tenant.read_text(encoding="utf-8").replace("count: 2, flavor", "count: 3, flavor", 1))
    assert run_cli("allocate", PARK, cwd=repo).returncode == 0
    git(repo, "commit", "-qam", "softviet grows")
    git(repo, "checkout", "-q", "main")
    merge(repo, "pr-2", "pr-1")
    assert_clean(repo)
