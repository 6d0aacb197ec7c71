"""The Pulumi engine through the Automation API. `open_stack` is the only boundary with the engine; tests
replace it with a fake. Without a Pulumi CLI every command stops with one line saying what to install."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from itpark.errors import EngineMissing

INSTALL = (
    "the Pulumi CLI is not installed: install it (https://www.pulumi.com/docs/install/, e.g. "
    "`curl -fsSL https://get.pulumi.com | sh`) and put `pulumi` on PATH"
)
NO_CHANGES_EXPECTED = ("no changes were expected", "changes were proposed")


class StackHandle(Protocol):
    """The part of `pulumi.automation.Stack` itpark uses."""

    def preview(self, **kwargs: Any) -> Any: ...
    def preview_refresh(self, **kwargs: Any) -> Any: ...
    def refresh(self, **kwargs: Any) -> Any: ...
    def up(self, **kwargs: Any) -> Any: ...


Opener = Callable[[str, Path], StackHandle]


def require_cli() -> None:
    if shutil.which("pulumi") is None:
        raise EngineMissing(INSTALL)


class StackMissing(Exception):
    """The stack does not exist in the backend; only `up` creates stacks."""


def open_stack(name: str, work_dir: Path) -> StackHandle:
    """Select an existing stack; never create one (preview, refresh and drift must not)."""
    require_cli()
    from pulumi import automation as auto

    try:
        stack: StackHandle = auto.select_stack(stack_name=name, work_dir=str(work_dir))
    except auto.StackNotFoundError:
        raise StackMissing(name) from None
    return stack


def create_stack(name: str, work_dir: Path) -> StackHandle:
    """Select the stack, creating it first if it is new (`up` only)."""
    require_cli()
    from pulumi import automation as auto

    stack: StackHandle = auto.create_or_select_stack(stack_name=name, work_dir=str(work_dir))
    return stack


def _echo(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def changes(summary: Mapping[str, int] | None) -> dict[str, int]:
    """Operations other than 'same' from a change summary."""
    return {op: int(n) for op, n in sorted((summary or {}).items()) if op != "same" and n}


def _fmt(ops: Mapping[str, int]) -> str:
    return ", ".join(f"{n} to {op}" for op, n in ops.items()) or "no changes"


@dataclass
class StackDrift:
    stack: str
    refresh: dict[str, int] = field(default_factory=dict)  # cloud differs from state
    preview: dict[str, int] = field(default_factory=dict)  # state differs from the program
    error: str | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.refresh or self.preview)

    def line(self) -> str:
        if self.error:
            return f"{self.stack}: error: {self.error}"
        if not self.drifted:
            return f"{self.stack}: no drift"
        return f"{self.stack}: DRIFT: refresh {_fmt(self.refresh)}; preview {_fmt(self.preview)}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[-1] if text else type(err).__name__


def drift_of(name: str, work_dir: Path, opener: Opener) -> StackDrift:
    """Preview-only refresh (cloud vs state), then a preview that expects no changes (state vs program)."""
    result = StackDrift(name)
    try:
        try:
            stack = opener(name, work_dir)
        except StackMissing:
            result.error = "not deployed: no such stack in the backend (`itpark up` creates it)"
            return result
        result.refresh = changes(stack.preview_refresh().change_summary)
        try:
            result.preview = changes(stack.preview(expect_no_changes=True).change_summary)
        except Exception as err:
            if not any(m in str(err) for m in NO_CHANGES_EXPECTED):
                raise
            result.preview = changes(stack.preview().change_summary) or {"update": 1}
    except EngineMissing:
        raise
    except Exception as err:
        result.error = _first_line(err)
    return result


def drift(names: Sequence[str], work_dir: Path, opener: Opener | None = None) -> tuple[int, list[StackDrift]]:
    """Exit code (0 no drift, 1 drift, 2 error) and one result per stack."""
    results = [drift_of(name, work_dir, opener or open_stack) for name in names]
    if any(r.error for r in results):
        return 2, results
    return (1 if any(r.drifted for r in results) else 0), results


POLICY_OPS = ("preview", "up")  # the operations the policy pack guards


def run_op(
    op: str,
    names: Sequence[str],
    work_dir: Path,
    opener: Opener | None = None,
    policy_config: Path | None = None,
) -> int:
    """preview, up or refresh every named stack in order; stops at the first failure (exit 2). preview and up run
    with the policy pack (`policy/`) and the park's pack config when `policy_config` is given. Only `up` creates a
    stack; preview and refresh report a new one as new and go on."""
    extra: dict[str, Any] = {}
    if policy_config is not None and op in POLICY_OPS:
        extra = {
            "policy_packs": [str(work_dir / "policy")],
            "policy_pack_configs": [str(policy_config)],
        }
    for name in names:
        try:
            stack = (opener or (create_stack if op == "up" else open_stack))(name, work_dir)
        except StackMissing:
            print(f"{name}: new stack, not created by {op} (`itpark up` creates it; `itpark diff` shows what)")
            continue
        try:
            result = getattr(stack, op)(on_output=_echo, **extra)
        except Exception as err:
            _echo(f"itpark: {name}: {op} failed: {_first_line(err)}")
            return 2
        summary = getattr(result, "change_summary", None) or getattr(
            getattr(result, "summary", None), "resource_changes", None
        )
        print(f"{name}: {_fmt(changes(summary))}")
    return 0
