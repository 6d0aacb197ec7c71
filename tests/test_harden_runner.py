"""`itpark harden` around ansible-runner: live counts, the play recap, and a run interrupted with Ctrl-C.

ansible-runner itself is replaced by a fake that emits the events a real run emits (the boundary only); the
real runs are in tests/hosts.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ansible_runner
import pytest

from itpark.cli import main
from itpark.hardening.runner import run_site

STACK = Path(__file__).resolve().parents[1] / "stacks" / "danang-itpark"
HOST = "web-01.portal.ubnd-danang"


def _event(kind: str, task: str, changed: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "event": kind,
        "event_data": {"host": HOST, "role": "ssh", "task": task, "res": {"changed": changed}, **extra},
    }


EVENTS = [
    _event("runner_on_ok", "SSH | Install openssh-server"),
    _event("runner_on_ok", "SSH | Write sshd_config", changed=True),
    _event("runner_on_skipped", "SSH | Only on the bastion"),
    _event("runner_on_failed", "SSH | Probe that may fail", ignore_errors=True),
    _event("runner_on_failed", "SSH | Validate sshd_config"),
]


def fake_runner(stats: dict[str, Any] | None, interrupt: bool) -> Any:
    def run(**kwargs: Any) -> Any:
        for event in EVENTS:
            kwargs["event_handler"](event)
        if interrupt:
            raise KeyboardInterrupt
        return SimpleNamespace(rc=2, status="failed", stats=stats)

    return run


def test_interrupted_run_keeps_the_counts_so_far() -> None:
    result = run_site([STACK], runner=fake_runner(None, interrupt=True))
    host = result.hosts[HOST]
    assert (result.status, result.rc) == ("interrupted", 130)
    # ok counts changed tasks too, as Ansible does; an ignored failure is ok
    assert (host.ok, host.changed, host.skipped, host.failed) == (3, 1, 1, 1)
    assert host.errors == ["ssh: SSH | Validate sshd_config: "]


def test_play_recap_replaces_the_running_counts() -> None:
    recap = {"ok": {HOST: 7}, "changed": {HOST: 2}, "failures": {HOST: 1}, "skipped": {HOST: 4}}
    host = run_site([STACK], runner=fake_runner(recap, interrupt=False)).hosts[HOST]
    assert (host.ok, host.changed, host.skipped, host.failed) == (7, 2, 4, 1)


def test_harden_interrupted_prints_partial_summary_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ansible_runner, "run", fake_runner(None, interrupt=True))
    rc = main(["harden", str(STACK), "--inventory-dir", str(tmp_path / "inv"), "--evidence-dir", str(tmp_path / "ev")])
    err = capsys.readouterr().err
    assert rc == 130
    assert "summary: (interrupted: tasks run so far; no evidence written)" in err
    assert f"{HOST:<40} ok=3 changed=1 failed=1" in err
    assert not (tmp_path / "ev").exists()


def _capturing_runner(seen: dict[str, Any]) -> Any:
    def run(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return SimpleNamespace(rc=0, status="successful", stats={})

    return run


@pytest.mark.parametrize(
    ("limit", "level", "pattern"),
    [
        ("a,b", "level_3", "a,b,&level_3"),
        ("a:b", "level_3", "a,b,&level_3"),  # colon-separated patterns keep the filter on every host too
        (None, "level_3", "level_3"),
        ("web-01.x.y,db-01.x.y", None, "web-01.x.y,db-01.x.y"),
        (None, None, None),
    ],
)
def test_limit_and_level_intersect_the_whole_union(limit: str | None, level: str | None, pattern: str | None) -> None:
    from itpark.hardening.runner import limit_pattern

    assert limit_pattern(limit, level) == pattern


def test_limit_with_level_selects_only_that_level_in_ansible(tmp_path: Path) -> None:
    """The pattern as Ansible itself resolves it against an inventory: the level filter applies to both names."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    from itpark.hardening.runner import limit_pattern

    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  children:\n    level_3: {hosts: {a: null}}\n    level_2: {hosts: {b: null}}\n")
    manager = InventoryManager(loader=DataLoader(), sources=[str(inv)])
    hosts = manager.get_hosts(pattern=limit_pattern("a,b", "level_3"))
    assert [h.name for h in hosts] == ["a"]


def test_harden_has_no_time_cap_unless_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(ansible_runner, "run", _capturing_runner(seen))
    args = ["harden", str(STACK), "--inventory-dir", str(tmp_path / "inv"), "--evidence-dir", str(tmp_path / "ev")]
    main([*args, "--limit", "a,b", "--level", "3"])
    assert "timeout" not in seen
    assert seen["limit"] == "a,b,&level_3"
    assert seen["envvars"]["ANSIBLE_CONFIG"] == str(ROOT / "ansible.cfg")
    assert "ANSIBLE_HOST_KEY_CHECKING" not in seen["envvars"]
    main([*args, "--timeout", "7200"])
    assert seen["timeout"] == 7200


ROOT = Path(__file__).resolve().parents[1]


def test_ansible_cfg_at_the_project_root_is_chosen_for_a_fleet() -> None:
    import configparser

    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "ansible.cfg")
    assert not (ROOT / "playbooks" / "ansible.cfg").exists()  # one configuration, where AWX reads it
    assert cfg.getint("defaults", "forks") >= 50
    assert cfg.getboolean("defaults", "host_key_checking")
    assert cfg.get("defaults", "fact_caching") == "jsonfile"
    assert (ROOT / cfg.get("defaults", "roles_path")).is_dir()
    ssh_args = cfg.get("ssh_connection", "ssh_args")
    assert "ControlPersist=15m" in ssh_args and "StrictHostKeyChecking=accept-new" in ssh_args
    assert "StrictHostKeyChecking=no" not in (ROOT / "ansible.cfg").read_text()


def _plays(name: str) -> list[dict[str, Any]]:
    import yaml

    return list(yaml.safe_load((ROOT / "playbooks" / name).read_text()))


def test_shared_services_roll_one_server_at_a_time_and_hardening_stops_on_failures() -> None:
    services = [p for p in _plays("shared-services.yml") if str(p["hosts"]).startswith("service_")]
    serial = {p["hosts"]: p.get("serial") for p in services if "lgsp" not in p["hosts"]}
    assert serial and set(serial.values()) == {1}, serial
    harden = next(p for p in _plays("site.yml") if p.get("name") == "Harden park hosts")
    assert 0 < harden["max_fail_percentage"] < 50


def _installed_collections() -> dict[str, str]:
    import json as _json

    import ansible_collections

    found = {}
    for manifest in Path(ansible_collections.__path__[0]).glob("*/*/MANIFEST.json"):
        info = _json.loads(manifest.read_text())["collection_info"]
        found[f"{info['namespace']}.{info['name']}"] = info["version"]
    return found


def test_execution_environment_pins_every_collection_the_roles_use() -> None:
    import re

    import yaml

    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    pinned = {c["name"]: c["version"] for c in ee["dependencies"]["galaxy"]["collections"]}
    text = "\n".join(p.read_text() for p in (ROOT / "playbooks").rglob("*.yml"))
    used = set(re.findall(r"\b((?:ansible\.(?:posix|utils|netcommon))|(?:community\.[a-z_]+))\.[a-z_]+", text))
    assert used and used <= set(pinned), f"not in the EE: {used - set(pinned)}"
    installed = _installed_collections()
    for name, version in pinned.items():
        assert version == f"=={installed[name]}", (name, version, installed[name])
    assert ee["images"]["base_image"]["name"].startswith("quay.io/centos/centos:stream")
    assert ee["dependencies"]["python_interpreter"]["python_path"]


def test_evidence_role_writes_the_evidence_files_without_the_wrapper(tmp_path: Path) -> None:
    """Under AWX no wrapper reads the task results: the evidence role writes the same file itself."""
    import subprocess
    import sys

    from itpark.fileio import dumps_json
    from itpark.hardening.evidence import build_evidence

    checks = [
        {"control": "HOST-05", "name": "sshd permitrootlogin", "expected": "no", "observed": "no"},
        {"control": "HOST-03", "name": "pass min length", "expected": "12", "observed": "8"},
    ]
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.set_fact: {ssh_evidence: " + json.dumps(checks) + "}\n"
        "    - ansible.builtin.include_role: {name: evidence}\n"
    )
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "HOME": str(tmp_path),
    }
    extra = json.dumps(
        {
            "evidence_dir": str(tmp_path / "ev"),
            "itpark_park": "p",
            "itpark_level": 2,
            "itpark_controls": ["HOST-03", "HOST-05"],
        }
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(play), "-e", extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = (tmp_path / "ev" / "p" / "localhost.json").read_text()
    run = json.loads(written)["run"]
    assert run["id"].startswith("ansible-") and run["taken_at"].endswith("Z")
    assert written == dumps_json(build_evidence("localhost", "p", 2, checks, ["HOST-03", "HOST-05"], run=run))
