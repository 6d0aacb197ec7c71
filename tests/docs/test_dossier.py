"""The dossier in Decree 331's structure, in Markdown/HTML and DOCX from the same blocks; CSV and print CSS."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from docs_parks import PARKS
from docx import Document

from itpark.docs import render_docs
from itpark.docs.dossier import DossierBuilder, combined_groups, combined_path
from itpark.docs.enforcement import build_enforcement
from itpark.docs.render import messages
from itpark.docs.views import Views, system_anchor
from itpark.plan import Plan

PARTS = {
    "vi": ("Phần I. Thuyết minh tổng quan", "Phần II. Thuyết minh đề xuất cấp độ", "Phần III. Thuyết minh phương án"),
    "en": ("Part I. Overview", "Part II. Level proposal", "Part III. Protection plan"),
}
TODO = {"vi": "cần bổ sung", "en": "to be completed"}


@pytest.fixture(scope="module")
def with_docx(plans: dict[str, Plan]) -> dict[str, object]:
    plan = plans["quangnam-cloud"]
    return render_docs(plan, build_enforcement(), {}, as_of=date(2026, 12, 8), docx=True, version="abc123def456")


@pytest.mark.parametrize("park", PARKS)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_dossier_has_the_three_parts_and_visible_gaps(park: str, lang: str, plans, rendered) -> None:
    plan, files = plans[park], rendered[park]
    for tenant in plan.tenants:
        for system in tenant.systems:
            page = files[f"{lang}/dossier/{system_anchor(system)}.md"]
            heads = re.findall(r"^## (.+)$", page, re.M)
            positions = [next(i for i, h in enumerate(heads) if h.startswith(p)) for p in PARTS[lang]]
            assert positions == sorted(positions), (system.key, heads)
            assert TODO[lang] in page  # what the plan cannot know is visibly left to the owner
            assert ("Part IV" in page or "Phần IV" in page) is (system.level >= 4)
            for letter in ("a)", "b)", "c)", "d)", "đ)", "e)", "g)"):  # Art 10.3 and Art 29.2 items
                assert f"| {letter} " in page
            for zone in system.zones:
                assert zone.ipv4 in page and zone.ipv6 in page


def test_owners_with_several_level_1_2_systems_get_one_combined_dossier(plans, rendered) -> None:
    for park in PARKS:
        for tenant in plans[park].tenants:
            small = combined_groups(tenant)
            page = rendered[park].get(f"vi/{combined_path(tenant)}.md")
            assert (page is not None) is bool(small)
            for system in small:
                assert f"# Hệ thống {system.key}:" in page
    # an owner with two level 1-2 systems (and one level 3): one combined dossier with both, in order
    plan = plans["danang-itpark"]
    systems = [s for t in plan.tenants for s in t.systems]
    small = [s for s in systems if s.level <= 2][:2]
    big = next(s for s in systems if s.level >= 3)
    owner = replace(plan.tenants[0], systems=(small[0], big, small[1]))
    assert combined_groups(owner) == small
    builder = DossierBuilder(Views(plan, build_enforcement(), {}), messages("en"), "en")
    blocks = builder.combined(owner, small)
    heads = [b.text for b in blocks if b.kind in ("h1", "h2")]
    assert heads[0].startswith("Combined level proposal dossier")
    for system in small:
        at = heads.index(next(h for h in heads if h.startswith(f"System {system.key}:")))
        assert [h.split(".")[0] for h in heads[at + 1 : at + 4]] == [
            f"{system.key}: Part I",
            f"{system.key}: Part II",
            f"{system.key}: Part III",
        ]


def test_docx_of_every_dossier_holds_the_parts(with_docx, plans) -> None:
    plan = plans["quangnam-cloud"]
    for tenant in plan.tenants:
        for system in tenant.systems:
            for lang in ("vi", "en"):
                data = with_docx[f"{lang}/dossier/{system_anchor(system)}.docx"]
                assert isinstance(data, bytes)
                doc = Document(io.BytesIO(data))
                headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
                for part in PARTS[lang]:
                    assert any(h.startswith(part) for h in headings), (system.key, lang)
                texts = {c.text for t in doc.tables for row in t.rows for c in row.cells}
                assert TODO[lang] in texts  # the fields the owner completes
                assert any(z.ipv4 in texts for z in system.zones)
                assert "abc123def456" in doc.sections[0].header.paragraphs[0].text
                assert doc.core_properties.created.date() == date(2026, 12, 8)


def test_docx_bytes_are_deterministic(with_docx, plans) -> None:
    again = render_docs(
        plans["quangnam-cloud"], build_enforcement(), {}, as_of=date(2026, 12, 8), docx=True, version="abc123def456"
    )
    docx = sorted(k for k in with_docx if k.endswith(".docx"))
    assert docx and all(again[k] == with_docx[k] for k in docx)
    with zipfile.ZipFile(io.BytesIO(with_docx[docx[0]])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_compliance_csv_has_a_row_per_system_and_control(lang: str, plans, rendered) -> None:
    plan = plans["danang-itpark"]
    rows = list(csv.reader(io.StringIO(rendered["danang-itpark"][f"{lang}/compliance.csv"])))
    head, body = rows[0], rows[1:]
    assert len(head) == 15 and all(len(r) == 15 for r in body)
    expected = sorted((s.key, c.id) for t in plan.tenants for s in t.systems for c in s.controls)
    assert sorted((r[0], r[2]) for r in body) == expected


def test_print_css_numbers_pages_and_repeats_the_version(with_docx) -> None:
    css = with_docx["style.css"]
    assert "@page" in css and "counter(page)" in css and "string(version)" in css
    page = with_docx["vi/dossier/so-tc--budget.html"]
    assert 'class="version"' in page and "abc123def456" in page and "2026-12-08" in page


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_classification_facts_are_shown_in_the_readers_language(lang: str, plans, rendered) -> None:
    """Part II shows the spec's facts (true, online-service, personal) as words of the page's language."""
    kinds = messages(lang)["dossier"]["system_types"]
    yes = messages(lang)["common"]["yes"]
    typed = 0
    for park in PARKS:
        for tenant in plans[park].tenants:
            for system in tenant.systems:
                page = rendered[park][f"{lang}/dossier/{system_anchor(system)}.md"]
                part2 = page.split(f"## {PARTS[lang][1]}", 1)[1].split(f"## {PARTS[lang][2]}", 1)[0]
                assert not re.search(r"\| (true|false|online-service) \|", part2), (system.key, part2)
                cls = system.classification
                if cls is not None and cls.system_type:
                    assert f"| {kinds[cls.system_type]} |" in part2, system.key
                    typed += 1
                if cls is not None and any(c.value == "true" for c in cls.basis):
                    assert f"| {yes} |" in part2, system.key
    assert typed
