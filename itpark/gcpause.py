"""Pause Python's cycle collector while building large acyclic trees (specs, plans).

Parsing and planning allocate millions of small, long-lived, acyclic objects; the collector keeps
re-scanning them for cycles that do not exist, which made a 5,000-tenant park plan four times slower.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
