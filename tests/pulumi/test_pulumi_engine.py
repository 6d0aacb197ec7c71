"""Engine commands: without a Pulumi CLI they stop with one line (exit 2); drift's exit codes with a fake
Automation API stack (only the `open_stack` boundary is replaced)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pulumi_helpers import ROOT

from itpark.pulumi import engine


@pytest.mark.parametrize("command", ["preview", "up", "refresh", "drift"])
def test_missing_cli_is_one_line_exit_2(command: str, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no pulumi anywhere on PATH
    done = subprocess.run(
        [sys.executable, "-m", "itpark", command, "stacks/danang-itpark"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"itpark: {engine.INSTALL}"]
    assert "Traceback" not in done.stderr and done.stdout == ""


class _Result:
    def __init__(self, summary: dict[str, int]) -> None:
        self.change_summary = summary


class FakeStack:
    """Stands in for pulumi.automation.Stack: canned change summaries, or the engine's error."""

    def __init__(self, refresh: dict[str, int], preview: dict[str, int], error: Exception | None = None) -> None:
        self._refresh, self._preview, self._error = refresh, preview, error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def preview_refresh(self, **kwargs: Any) -> _Result:
        self.calls.append(("preview_refresh", kwargs))
        if self._error:
            raise self._error
        return _Result(self._refresh)

    def preview(self, **kwargs: Any) -> _Result:
        self.calls.append(("preview", kwargs))
        if kwargs.get("expect_no_changes") and engine.changes(self._preview):
            raise RuntimeError("error: no changes were expected but changes were proposed")
        return _Result(self._preview)

    def refresh(self, **kwargs: Any) -> _Result:
        self.calls.append(("refresh", kwargs))
        return _Result(self._refresh)

    def up(self, **kwargs: Any) -> _Result:
        self.calls.append(("up", kwargs))
        return _Result(self._preview)


def _opener(stacks: dict[str, FakeStack]) -> engine.Opener:
    return lambda name, work_dir: stacks[name]


def test_drift_none() -> None:
    stacks = {"a": FakeStack({"same": 10}, {"same": 10}), "b": FakeStack({}, {"same": 3})}
    code, results = engine.drift(["a", "b"], ROOT, _opener(stacks))
    assert code == 0 and [r.line() for r in results] == ["a: no drift", "b: no drift"]
    assert stacks["a"].calls == [("preview_refresh", {}), ("preview", {"expect_no_changes": True})]


def test_drift_found_with_summary() -> None:
    stacks = {"a": FakeStack({"same": 9, "update": 1}, {"same": 10}), "b": FakeStack({"same": 2}, {"create": 2})}
    code, results = engine.drift(["a", "b"], ROOT, _opener(stacks))
    assert code == 1
    assert results[0].line() == "a: DRIFT: refresh 1 to update; preview no changes"
    assert results[1].line() == "b: DRIFT: refresh no changes; preview 2 to create"


def test_drift_error_wins() -> None:
    stacks = {"a": FakeStack({"update": 1}, {}), "b": FakeStack({}, {}, RuntimeError("stack not found\nno such"))}
    code, results = engine.drift(["a", "b"], ROOT, _opener(stacks))
    assert code == 2 and results[1].line() == "b: error: no such"


def test_drift_command_exit_codes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from itpark.cli import main

    monkeypatch.setattr(engine, "require_cli", lambda: None)
    fakes: dict[str, FakeStack] = {}
    monkeypatch.setattr(engine, "open_stack", lambda name, work_dir: fakes.setdefault(name, FakeStack({}, {})))
    monkeypatch.chdir(ROOT)
    assert main(["drift", "stacks/danang-itpark", "--only", "danang-itpark-network"]) == 0
    assert list(fakes) == ["danang-itpark-network"]
    fakes["danang-itpark-network"] = FakeStack({"delete": 1}, {})
    assert main(["drift", "stacks/danang-itpark", "--only", "danang-itpark-network"]) == 1
    assert "1 drifted" in capsys.readouterr().out
    assert main(["drift", "stacks/danang-itpark", "--only", "nope"]) == 2


def test_preview_and_up_run_with_the_policy_pack(capsys: pytest.CaptureFixture[str]) -> None:
    config = ROOT / "policy" / "danang-itpark.json"
    for op in ("preview", "up", "refresh"):
        stack = FakeStack({}, {"same": 3})
        assert engine.run_op(op, ["s"], ROOT, opener=_opener({"s": stack}), policy_config=config) == 0
        [(called, kwargs)] = stack.calls
        assert called == op
        if op == "refresh":
            assert "policy_packs" not in kwargs
        else:
            assert kwargs["policy_packs"] == [str(ROOT / "policy")]
            assert kwargs["policy_pack_configs"] == [str(config)]


def test_preview_and_drift_never_create_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    """A stack missing from the backend: preview reports it as new and goes on; drift reports it, exit 2."""

    def opener(name: str, work_dir: Any) -> FakeStack:
        if name == "new":
            raise engine.StackMissing(name)
        return FakeStack({}, {"same": 1})

    assert engine.run_op("preview", ["new", "old"], ROOT, opener) == 0
    out = capsys.readouterr().out
    assert "new: new stack, not created by preview" in out and "old: no changes" in out
    code, results = engine.drift(["new", "old"], ROOT, opener)
    assert code == 2 and results[0].line().startswith("new: error: not deployed")
