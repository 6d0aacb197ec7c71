"""Transition: what a system approved under a legacy baseline must add to meet the current one. Pure.

Deadlines (the texts give periods, so each date is approximate):
- approved before 01/07/2026 (under Law 86/2015 and Decree 85/2016): keeps its level and meets the new
  requirements within 12 months of 01/07/2026, about 30/06/2027 (Law 116/2025/QH15 Art 45.1);
- a project still being invested in or built, approved under Decree 85/2016 within 6 months of 01/07/2026
  (about 01/01/2027): meets the Decree 331 measures within 12 months, about 01/07/2027 (Decree 331 Art 39.1).

Each item says what itpark does about it: `enforce` (a hardening role, the plan's network or a shared service
applies it), `check` (itpark observes it but does not apply it), `document` (the rendered documents carry it)
or `operator` (left to the owner and operator, with evidence to provide).
"""

from __future__ import annotations

import datetime
from functools import cache
from importlib import resources

from ruamel.yaml import YAML

from itpark.catalog import Baseline, cite, load_catalog
from itpark.hardening.levels import ROLE_CONTROLS
from itpark.plan import model as m
from itpark.spec.classification import Approval

LAW_116_IN_FORCE = datetime.date(2026, 7, 1)
DECREE_85_WINDOW_END = datetime.date(2027, 1, 1)  # ≈ 6 months after 01/07/2026 (Decree 331 Art 39.1)
DEADLINES = {
    "law": (datetime.date(2027, 6, 30), ["luat-116-2025", "Điều 45 khoản 1"]),
    "decree": (datetime.date(2027, 7, 1), ["nd-331-2026", "Điều 39 khoản 1"]),
}


class TransitionError(ValueError):
    """An approval that cannot lead to a transition (unknown or current baseline, too late)."""


@cache
def _enforcement_data() -> dict[str, dict[str, object]]:
    """itpark/docs/enforcement.yaml, if present: per control `by` (code that carries it out), `manual`, and,
    once the docs split it, `enforce` / `check` / `document` lists."""
    try:
        text = resources.files("itpark.docs").joinpath("enforcement.yaml").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return YAML(typ="safe").load(text) or {}


@cache
def _flow_controls() -> frozenset[str]:
    text = resources.files("itpark.catalog").joinpath("flows.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    return frozenset(c for flow in data.get("system_flows", []) for c in flow.get("controls", []))


_HARDENED = frozenset(c for ids in ROLE_CONTROLS.values() for c in ids)


def enforcement(control_id: str) -> str:
    """What itpark does about a control: enforce, check, document, or leave it to the operator."""
    entry = _enforcement_data().get(control_id) or {}
    for kind in ("enforce", "check", "document"):
        if entry.get(kind):
            return kind
    if control_id in _HARDENED or control_id in _flow_controls():
        return "enforce"
    if entry.get("manual"):
        return "operator"  # whatever code helps, the operator still has evidence to provide
    by = entry.get("by") or []
    files = [x.get("file", "") for x in by if isinstance(x, dict)]  # type: ignore[union-attr]
    if any(not f.startswith("itpark/docs/") for f in files):
        return "enforce"
    if files:
        return "document"
    return "operator"


def deadline_of(approved_on: datetime.date) -> tuple[datetime.date, str, str]:
    """The deadline of an approval and its basis (Vietnamese and English citation texts)."""
    if approved_on < LAW_116_IN_FORCE:
        date, ref = DEADLINES["law"]
    elif approved_on < DECREE_85_WINDOW_END:
        date, ref = DEADLINES["decree"]
    else:
        raise TransitionError(
            f"an approval under Decree 85/2016 dated {approved_on.isoformat()} is after the window that ended about "
            "01/01/2027 (Decree 331/2026 Art 39.1); classify the system under the current baseline"
        )
    citation = cite(load_catalog().instruments, ref)
    return date, citation.text_vi, citation.text_en


def transition(
    approval: Approval, level: int, exposure: tuple[str, ...], new: Baseline, old: Baseline
) -> m.Transition | None:
    """The transition of a system approved under `old` (a legacy baseline); None if approved under `new`."""
    if approval.baseline == new.id:
        return None
    if not old.legacy:
        raise TransitionError(f"approval baseline {old.id} is not a legacy baseline (the park uses {new.id})")
    approved_level = approval.level or level
    deadline, basis, basis_en = deadline_of(approval.date)
    return m.Transition(
        from_baseline=old.id,
        to_baseline=new.id,
        approved_on=approval.date.isoformat(),
        decision=approval.decision,
        approved_level=approved_level,
        deadline=deadline.isoformat(),
        deadline_approximate=True,
        basis=basis,
        basis_en=basis_en,
        items=items(level, exposure, new, old),
    )


def items(level: int, exposure: tuple[str, ...], new: Baseline, old: Baseline) -> tuple[m.TransitionItem, ...]:
    """New controls, controls that now apply at this level, and stricter values, in control-id order."""
    found: list[m.TransitionItem] = []
    for control in new.controls_for(level, exposure):
        if not old.has(control.id):
            kind, was = "new", ""
        elif old.control(control.id).min_level > level:
            kind, was = "now-applies", f"from level {old.control(control.id).min_level}"
        else:
            continue
        found.append(
            m.TransitionItem(
                control.id,
                kind,  # type: ignore[arg-type]
                control.title,
                control.title_vi,
                was,
                f"from level {control.min_level}; {control.source}",
                enforcement(control.id),  # type: ignore[arg-type]
                control.confirmed,
            )
        )
    for name, value in sorted(new.values.items()):
        now = value.by_level.get(level)
        before = old.value(name, level)
        if now is None or now == before or not value.stricter_than(now, before):
            continue
        found.append(
            m.TransitionItem(
                value.control,
                "stricter-value",
                value.title,
                value.title_vi,
                "" if before is None else str(before),
                str(now),
                "enforce" if value.var else "operator",
                False,  # every value comes from a secondary reading of TCVN 14423:2026
            )
        )
    return tuple(sorted(found, key=lambda i: (i.control, i.kind, i.title)))
