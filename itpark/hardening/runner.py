"""Run playbooks/site.yml through ansible-runner: live progress to stderr, per-host summary, evidence."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

PROJECT = Path(__file__).resolve().parents[2]
PLAYBOOKS = PROJECT / "playbooks"
ANSIBLE_CFG = PROJECT / "ansible.cfg"  # at the project root, where AWX reads it too
EVIDENCE_TASK = "Evidence | Report"


@dataclass
class HostResult:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: bool = False
    errors: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] | None = None
    level: int | None = None


@dataclass
class RunResult:
    rc: int
    status: str
    hosts: dict[str, HostResult]

    @property
    def failed_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.failed or r.unreachable)


class Progress:
    """Turns ansible-runner events into one line per task result and collects per-host results."""

    def __init__(self, out: TextIO, verbose: bool = False) -> None:
        self.out, self.verbose = out, verbose
        self.hosts: dict[str, HostResult] = {}

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data", {})
        host = data.get("host")
        if not kind.startswith("runner_on_") or not host or kind == "runner_on_start":
            return True
        result = self.hosts.setdefault(host, HostResult())
        role = data.get("role") or "-"
        task = data.get("task", "")
        res = data.get("res") or {}
        if kind == "runner_on_ok" and task == EVIDENCE_TASK:
            msg = res.get("msg") or {}
            result.evidence = list(msg.get("itpark_evidence") or [])
            result.level = int(msg.get("itpark_level") or 0)
        status = {
            "runner_on_ok": "changed" if res.get("changed") else "ok",
            "runner_on_failed": "failed",
            "runner_on_unreachable": "unreachable",
            "runner_on_skipped": "skipped",
        }.get(kind)
        if status is None:
            return True
        if kind == "runner_on_failed" and data.get("ignore_errors"):
            status = "ok"
        self._count(result, status)
        if status in ("failed", "unreachable"):
            reason = res.get("msg") or res.get("stderr") or ""
            result.errors.append(f"{role}: {task}: {str(reason).strip()[:300]}")
            result.unreachable |= status == "unreachable"
        if status != "skipped" or self.verbose:
            print(f"  {status:<11} {host:<40} {role:<11} {task}", file=self.out, flush=True)
        return True

    @staticmethod
    def _count(result: HostResult, status: str) -> None:
        """Running totals as Ansible counts them (changed tasks are also ok), so an interrupted run still has
        its counts; the play recap replaces them when the run ends normally."""
        if status in ("ok", "changed"):
            result.ok += 1
        if status == "changed":
            result.changed += 1
        elif status == "failed":
            result.failed += 1
        elif status == "skipped":
            result.skipped += 1

    def stats(self, stats: dict[str, Any]) -> None:
        if not stats:  # no play recap (the run was cancelled): keep the running totals
            return
        for host in self.hosts.values():
            host.ok = host.changed = host.failed = host.skipped = 0
        for key, attr in (("ok", "ok"), ("changed", "changed"), ("failures", "failed"), ("skipped", "skipped")):
            for host, count in (stats.get(key) or {}).items():
                setattr(self.hosts.setdefault(host, HostResult()), attr, int(count))
        for host in stats.get("dark") or {}:
            self.hosts.setdefault(host, HostResult()).unreachable = True


def limit_pattern(limit: str | None, level_group: str | None) -> str | None:
    """The host pattern for `--limit` and `--level` together: the level is an intersection with the whole
    union (`a,b,&level_3`), split the way Ansible splits patterns (commas, or colons when there is no comma)."""
    from ansible.inventory.manager import split_host_pattern

    parts = [p for p in split_host_pattern(limit or "") if p]
    if level_group:
        parts.append(f"&{level_group}" if parts else level_group)
    return ",".join(parts) or None


def run_site(
    inventories: Sequence[Path],
    *,
    limit: str | None = None,
    check: bool = False,
    extravars: dict[str, Any] | None = None,
    out: TextIO = sys.stderr,
    verbose: bool = False,
    playbook: str = "site.yml",
    tags: str | None = None,
    runner: Callable[..., Any] | None = None,
    timeout: int | None = None,
) -> RunResult:
    """Run the playbook against the inventory sources (later sources override earlier host vars).

    `timeout` (seconds) stops the whole run; None (the default) sets no limit: a fleet of hundreds of hosts
    takes as long as it takes."""
    import ansible_runner

    progress = Progress(out, verbose)
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "ANSIBLE_CONFIG": str(ANSIBLE_CFG),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    }
    cmdline = " ".join(x for x in ("--check --diff" if check else "", f"--tags {tags}" if tags else "") if x)
    with tempfile.TemporaryDirectory(prefix="itpark-harden-") as tmp:
        # SSH masters of this run only: two runs (or two labs) on the same addresses never share a socket.
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(Path(tmp) / "cp")
        kwargs: dict[str, Any] = dict(
            private_data_dir=tmp,
            project_dir=str(PLAYBOOKS),
            playbook=playbook,
            inventory=[str(p) for p in inventories],
            envvars=env,
            extravars=extravars or {},
            event_handler=progress,
            quiet=True,
            suppress_env_files=True,
            artifact_dir=str(Path(tmp) / "artifacts"),
        )
        if timeout:
            kwargs["timeout"] = timeout
        if limit:
            kwargs["limit"] = limit
        if cmdline:
            kwargs["cmdline"] = cmdline
        try:
            result = (runner or ansible_runner.run)(**kwargs)
        except KeyboardInterrupt:  # Ctrl-C: report what ran so far; the caller exits 130
            return RunResult(rc=130, status="interrupted", hosts=progress.hosts)
        progress.stats(result.stats or {})
        return RunResult(rc=int(result.rc), status=str(result.status), hosts=progress.hosts)
