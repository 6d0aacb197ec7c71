"""The transition page: each system approved under the old framework, what it must add, and who does it."""

from __future__ import annotations


def test_danang_transition_page_lists_the_portal_and_its_items(plans, rendered) -> None:
    [portal] = [s for t in plans["danang-itpark"].tenants for s in t.systems if s.transition]
    items = portal.transition.items
    assert items, "the example system in transition has something to add"
    vi = rendered["danang-itpark"]["vi/transition.md"]
    en = rendered["danang-itpark"]["en/transition.md"]
    assert f"## {portal.key} — " in vi and f"## {portal.key} — " in en
    # One table row per item, in both languages, and a summary that counts them.
    for page in (vi, en):
        rows = [line for line in page.splitlines() if line.startswith("| `")]
        assert len(rows) == len(items)
        assert {row.split("`")[1] for row in rows} == {i.control for i in items}
    operator = sum(i.enforcement == "operator" for i in items)
    assert f"{len(items)} mục" in vi and f"đơn vị vận hành thực hiện {operator}." in vi
    assert f"{len(items)} items" in en and f"the operator does {operator}." in en
    # Vietnamese page: no English labels for kinds or for what itpark does.
    for english in ("new control", "stricter value", "left to the operator", "enforces", "Deadline"):
        assert english not in vi
    assert "khoảng 2027-06-30" in vi  # approximate, never stated as a date the law gives


def test_a_park_without_legacy_approvals_says_so(plans, rendered) -> None:
    assert not any(s.transition for t in plans["quangnam-cloud"].tenants for s in t.systems)
    assert "Không có hệ thống nào đang chuyển tiếp" in rendered["quangnam-cloud"]["vi/transition.md"]
    assert "No system is in transition" in rendered["quangnam-cloud"]["en/transition.md"]
