"""The catalog: the 2026 baseline is the default, citations are in Vietnamese form, and a superseded instrument is
never shown as a current basis."""

from __future__ import annotations

import re

from itpark.catalog import baseline_ids, default_baseline, load_catalog, resolve_baseline
from itpark.hardening.levels import level_vars
from itpark.spec.models import Park

SUPERSEDED_TEXT = re.compile(r"85/2016|03/2017|11930|12/2022|53/2022|Decree 85|Circular 03")


def test_default_baseline_is_the_2026_one_and_the_old_one_is_legacy() -> None:
    assert default_baseline() == "tcvn-14423-2026" == Park.model_fields["baseline"].default
    assert baseline_ids() == ["tcvn-11930-2017", "tcvn-14423-2026"]
    new, old = resolve_baseline("tcvn-14423-2026"), resolve_baseline("tcvn-11930-2017")
    assert not new.legacy and old.legacy and old.successor == new.id
    assert [c.text_vi for c in new.basis] == [
        "Luật An ninh mạng số 116/2025/QH15",
        "Nghị định 331/2026/NĐ-CP",
        "TCVN 14423:2026",
    ]


def test_current_baseline_never_cites_a_superseded_instrument() -> None:
    baseline = resolve_baseline(default_baseline())
    for control in baseline.controls:
        for citation in control.citations:
            assert citation.status != "superseded", (control.id, citation)
        assert not SUPERSEDED_TEXT.search(control.source), (control.id, control.source)
        assert not SUPERSEDED_TEXT.search(control.source_en), (control.id, control.source_en)
    for value in baseline.values.values():
        assert all(c.current for c in value.citations), value


def test_citations_name_the_instrument_in_vietnamese_form() -> None:
    baseline = resolve_baseline(default_baseline())
    assert baseline.control("GOV-02").source == "Nghị định 331/2026/NĐ-CP, Điều 21; Nghị định 331/2026/NĐ-CP, Điều 22"
    assert baseline.control("GOV-02").source_en.startswith("Decree 331/2026/ND-CP, Art. 21")
    assert baseline.control("LOG-09").source == "Nghị định 333/2026/NĐ-CP, Điều 16 khoản 6"


def test_confidence_follows_the_sources() -> None:
    """Only primary-text citations may be confirmed; TCVN 14423:2026 was not read, so its values are not."""
    baseline = resolve_baseline(default_baseline())
    for control in baseline.controls:
        if control.confirmed:
            assert control.citations and all(c.tag == "P" for c in control.citations), control.id
        if any(c.instrument == "tcvn-14423-2026" for c in control.citations):
            assert not control.confirmed, control.id
    unverified = {c.id for c in baseline.controls if c.unverified}
    assert {"NET-16", "NET-17", "NET-18", "GOV-07"} <= unverified  # instruments whose status was not checked
    assert baseline.control("GOV-07").source == "chưa xác minh được căn cứ"
    assert not baseline.control("GOV-01").unverified and baseline.control("GOV-01").confirmed


def test_legacy_baseline_marks_its_instruments_superseded() -> None:
    old = resolve_baseline("tcvn-11930-2017")
    assert all(c.status == "superseded" for c in old.basis)
    assert old.control("GOV-04").citations[0].text_vi == "Nghị định 85/2016/NĐ-CP, Điều 12 khoản 3"
    assert not old.control("GOV-04").citations[0].current
    catalog = load_catalog()
    assert all(not c.baselines.keys() - {"tcvn-14423-2026", "tcvn-11930-2017"} for c in catalog.controls)


def test_hardening_values_follow_the_baseline() -> None:
    new3, old3 = level_vars("tcvn-14423-2026", 3), level_vars("tcvn-11930-2017", 3)
    assert (new3["accounts_pass_min_length"], new3["accounts_pass_min_class"]) == (14, 4)
    assert (new3["accounts_pass_max_days"], new3["ssh_shell_timeout"]) == (60, 300)
    assert (old3["accounts_pass_min_length"], old3["accounts_pass_min_class"], old3["ssh_shell_timeout"]) == (
        12,
        3,
        900,
    )
    assert new3["ssh_client_alive_interval"] == old3["ssh_client_alive_interval"] == 300  # level-only
