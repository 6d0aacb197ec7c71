"""Evidence does not overclaim: met only when every host passed and no documents are due; its age is shown."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from itpark.docs import render_docs
from itpark.docs.enforcement import build_enforcement
from itpark.docs.evidence import load_evidence
from itpark.docs.formats import FORMATS, Tables
from itpark.docs.render import messages
from itpark.docs.views import Views, evidence_status
from itpark.errors import SpecError
from itpark.hardening.evidence import build_evidence, write_evidence
from itpark.plan import Plan

RUN = {"id": "20261201T080000Z-42", "taken_at": "2026-12-01T08:00:00Z"}


@pytest.mark.parametrize(
    ("passed", "failed", "hosts", "checkable", "due", "status"),
    [
        (1, 0, 9, True, False, "partly"),  # one host of nine: not met
        (9, 0, 9, True, False, "pass"),
        (9, 0, 9, True, True, "partly"),  # a pass does not hide documents still due
        (8, 1, 9, True, False, "fail"),
        (0, 0, 9, True, False, "not_checked"),
        (0, 0, 9, False, True, "document"),  # no role can ever check it
        (0, 0, 9, False, False, "document"),
    ],
)
def test_status_rules(passed: int, failed: int, hosts: int, checkable: bool, due: bool, status: str) -> None:
    assert evidence_status(passed, failed, hosts, checkable, due) == status


def _big_system(plan: Plan):
    return max((s for t in plan.tenants for s in t.systems), key=lambda s: len(s.hosts))


def _evidence_for(hosts, controls, status: str = "pass") -> dict[str, dict]:
    checks = [
        {"control": c, "name": f"check {c}", "expected": "x", "observed": "x" if status == "pass" else "y"}
        for c in controls
    ]
    return {h.name: build_evidence(h.name, "park", h.level, checks, controls, RUN) for h in hosts}


def test_one_host_of_many_with_evidence_does_not_make_a_control_met(plans) -> None:
    plan = plans["danang-itpark"]
    system = _big_system(plan)
    assert len(system.hosts) >= 3
    enforcement = build_enforcement()
    checked = [r.id for r in system.controls if enforcement.checkable(r.id)]
    assert checked
    one = _evidence_for(system.hosts[:1], checked)
    views = Views(plan, enforcement, one, date(2026, 12, 8))
    rows = {r.control.id: r for r in views.compliance(system)}
    for control in checked:
        assert rows[control].status in ("partly",), (control, rows[control].status)
        assert rows[control].hosts_pass == 1 and rows[control].hosts == len(system.hosts)
    tables = Tables(FORMATS["md"](), messages("en"), "en", views)
    text = tables.status(rows[checked[0]])
    assert f"1/{len(system.hosts)} hosts pass" in str(text) and "partly met" in str(text)

    every = _evidence_for(system.hosts, checked)
    views = Views(plan, enforcement, every, date(2026, 12, 8))
    rows = {r.control.id: r for r in views.compliance(system)}
    for control in checked:
        expected = "partly" if control in enforcement.manual else "pass"
        assert rows[control].status == expected, control
    for ref in system.controls:  # nothing any role can observe: documents, never "not yet checked"
        if not enforcement.checkable(ref.id):
            assert rows[ref.id].status == "document"


def test_evidence_records_its_run_and_documents_show_its_age(tmp_path: Path, plans) -> None:
    plan = plans["quangnam-cloud"]
    system = _big_system(plan)
    controls = [r.id for r in system.controls]
    for evidence in _evidence_for(system.hosts, controls).values():
        write_evidence(tmp_path, evidence)
    loaded = load_evidence(tmp_path / "park")
    assert {e["run"]["id"] for e in loaded.values()} == {RUN["id"]}
    files = render_docs(plan, build_enforcement(), loaded, ("en",), date(2026, 12, 8))
    again = render_docs(plan, build_enforcement(), loaded, ("en",), date(2026, 12, 8))
    assert files == again  # same inputs and as-of date: byte-identical
    page = files[f"en/tenants/{system.key.split('/')[0]}.md"]
    assert f"Evidence from {len(system.hosts)}/{len(system.hosts)} hosts, run(s) {RUN['id']}" in page
    assert "oldest taken 2026-12-01, 7 day(s) before 2026-12-08" in page
    later = render_docs(plan, build_enforcement(), loaded, ("en",), date(2026, 12, 31))
    assert "30 day(s) before 2026-12-31" in later[f"en/tenants/{system.key.split('/')[0]}.md"]


def test_evidence_files_with_a_bad_run_time_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "park"
    folder.mkdir()
    bad = {"host": "h", "park": "park", "level": 2, "run": {"id": "r", "taken_at": "yesterday"}, "controls": {}}
    (folder / "h.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(SpecError, match=r"run\.taken_at"):
        load_evidence(folder)
