"""`itpark harden` around ansible-runner: live counts, the play recap, and a run interrupted with Ctrl-C.

ansible-runner itself is replaced by a fake that emits the events a real run emits (the boundary only); the
real runs are in tests/hosts.
"""

from __future__ import annotations

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
