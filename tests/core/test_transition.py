"""A system approved under Decree 85/2016 gets the list of what to add by about 30/06/2027 (Law 116 Art 45.1)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from itpark.catalog import resolve_baseline
from itpark.plan import plan_park
from itpark.plan.transition import TransitionError, deadline_of, enforcement, items
from tests.core.conftest import run_cli

NEW, OLD = resolve_baseline("tcvn-14423-2026"), resolve_baseline("tcvn-11930-2017")


def test_da_nang_portal_is_in_transition_with_its_deadline() -> None:
    plan = plan_park(Path(__file__).resolve().parents[2] / "stacks/danang-itpark")
    portal, mail = plan.tenant("so-tttt").systems
    assert mail.transition is None
    t = portal.transition
    assert t is not None
    assert (t.from_baseline, t.to_baseline, t.approved_on) == ("tcvn-11930-2017", "tcvn-14423-2026", "2024-05-15")
    assert (t.deadline, t.deadline_approximate) == ("2027-06-30", True)
    assert t.basis == "Luật An ninh mạng số 116/2025/QH15, Điều 45 khoản 1"
    found = {(i.control, i.kind): i for i in t.items}
    assert found[("NET-20", "new")].enforcement == "enforce"  # the plan's data zone
    assert found[("HOST-12", "new")].enforcement == "operator"  # no role disables inactive accounts
    assert found[("LOG-09", "new")].enforcement == "operator"  # the application's own access logs
    values = {(i.title, i.old, i.new, i.enforcement) for i in t.items if i.kind == "stricter-value"}
    assert ("minimum password length (without MFA)", "12", "14", "enforce") in values
    assert ("idle administrator session locked after (seconds)", "900", "300", "enforce") in values
    assert ("previous passwords that may not be reused", "", "10", "operator") in values
    assert all(not i.confirmed for i in t.items if i.kind == "stricter-value")  # TCVN 14423:2026 was not read


def test_items_list_new_controls_and_controls_that_now_apply() -> None:
    level2 = {(i.control, i.kind) for i in items(2, (), NEW, OLD)}
    assert ("HOST-04", "now-applies") in level2  # admin MFA from level 1 (legacy: level 3)
    assert ("NET-09", "now-applies") in level2  # WAF from level 2 (legacy: level 3)
    assert ("GOV-14", "new") in level2
    assert not {c for c, k in level2 if k == "new"} & {c.id for c in OLD.controls}
    assert ("LOG-09", "new") in {(i.control, i.kind) for i in items(2, ("internet",), NEW, OLD)}
    assert ("LOG-09", "new") not in level2


def test_enforcement_kinds() -> None:
    assert enforcement("HOST-03") == "enforce"  # accounts role
    assert enforcement("NET-16") == "enforce"  # DNS flow
    assert enforcement("GOV-03") == "operator"  # appraisal and approval papers
    assert enforcement("GOV-02") == "document"  # the dossier


def test_deadlines_follow_the_approval_date() -> None:
    assert deadline_of(datetime.date(2025, 1, 1))[0] == datetime.date(2027, 6, 30)
    late, basis, _ = deadline_of(datetime.date(2026, 9, 1))  # in-flight project, Decree 331 Art 39.1
    assert late == datetime.date(2027, 7, 1) and basis == "Nghị định 331/2026/NĐ-CP, Điều 39 khoản 1"
    with pytest.raises(TransitionError, match="after the window"):
        deadline_of(datetime.date(2027, 2, 1))


def test_an_approval_after_the_window_is_an_error_with_file_and_line(park_copy) -> None:  # type: ignore[no-untyped-def]
    root = park_copy()
    tenant = root / "tenants/so-tttt.yaml"
    text = tenant.read_text(encoding="utf-8")
    tenant.write_text(text.replace('date: "2024-05-15"', 'date: "2027-03-01"'), encoding="utf-8")
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    assert re.search(r"so-tttt\.yaml:\d+: systems\[0\]\.approval: an approval under Decree 85/2016", result.stderr)
