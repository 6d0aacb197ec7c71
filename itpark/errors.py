"""Errors that reach the user as `file:line: field.path: message`, never as a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass
class SpecError(Exception):
    """Raised with every problem found, so the user fixes them in one pass."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in sorted(self.problems))


class EngineMissing(Exception):
    """The Pulumi engine (CLI) is needed and not installed."""


class UsageError(Exception):
    """A command was called with arguments that cannot work (exit 2)."""
