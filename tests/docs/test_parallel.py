"""The fast paths of the renderer change nothing: how the work is split, the table helpers, the call shortcut."""

from __future__ import annotations

import dataclasses

import pytest
from docs_parks import REPO
from jinja2 import UndefinedError, pass_context

from itpark.cli import main
from itpark.docs import render, render_docs
from itpark.docs.enforcement import build_enforcement
from itpark.docs.evidence import load_evidence
from itpark.docs.formats import Safe
from itpark.docs.views import Views


@pytest.mark.parametrize(("count", "parts"), [(0, 4), (1, 16), (13, 16), (13, 4), (1000, 16), (1001, 16)])
def test_slices_cover_every_tenant_once_evenly(count: int, parts: int) -> None:
    slices = render._slices(count, parts)
    covered = [i for a, b in slices for i in range(a, b)]
    assert covered == list(range(count))
    lengths = [b - a for a, b in slices]
    assert all(lengths) and len(slices) == min(parts, count)
    assert not lengths or max(lengths) - min(lengths) <= 1


def test_output_does_not_depend_on_the_split(plans, rendered, monkeypatch) -> None:
    """One worker and one slice give the very same files as the default split (quangnam: two sites, DR)."""
    monkeypatch.setattr(render, "PAGE_JOBS", 1)
    monkeypatch.setattr(render, "SLICES_PER_JOB", 1)
    park = "quangnam-cloud"
    single = render_docs(plans[park], build_enforcement(), load_evidence(REPO / "evidence" / park))
    assert single == rendered[park]


def test_a_table_without_rows_reads_like_an_empty_loop(plans) -> None:
    """The row helpers end each row with a newline, so a system without hosts still gets a well-formed table."""
    plan = plans["danang-itpark"]
    tenant = plan.tenants[0]
    system = dataclasses.replace(tenant.systems[0], hosts=())
    bare = dataclasses.replace(tenant, systems=(system, *tenant.systems[1:]))
    files = render_docs(dataclasses.replace(plan, tenants=(bare, *plan.tenants[1:])), build_enforcement(), {})
    html, md = files[f"en/tenants/{tenant.name}.html"], files[f"en/tenants/{tenant.name}.md"]
    assert "<th>IPv6</th><th>Ports</th></tr></thead><tbody>\n</tbody></table>" in html
    hosts = md[md.index(f'<a id="{system.key.replace("/", "--")}-hosts">') :]
    head, rule, after = hosts.split("\n")[2:5]
    assert head.startswith("| ") and rule.startswith("|---|") and after == ""
    dossier = files[f"en/dossier/{system.key.replace('/', '--')}.html"]
    assert "<tbody>\n</tbody></table>" in dossier


def test_call_shortcut_keeps_jinja_semantics(plans) -> None:
    md, html = render._environment("md"), render._environment("html")
    assert md.from_string("{{ f.row(['a|b', 1, 'x\\ny']) }}").render() == "| a\\|b | 1 | x y |"
    row = html.from_string("{{ f.row(['<&>', s, 3]) }}").render(s=Safe("<b>ok</b>"))
    assert row == "<tr><td>&lt;&amp;&gt;</td><td><b>ok</b></td><td>3</td></tr>"
    asks_context = pass_context(lambda context: context["word"])  # not a page helper: Jinja's own call
    assert md.from_string("{{ g() }}").render(g=asks_context, word="ok") == "ok"
    plan = plans["danang-itpark"]
    views = Views(dataclasses.replace(plan, address_space=()), build_enforcement(), {})
    with pytest.raises(UndefinedError, match="StopIteration"):  # a helper's StopIteration: undefined, as in Jinja
        html.from_string("{{ v.space(site) }}").render(v=views, site=plan.sites[0])


def test_missing_dot_in_a_worker_exits_2(tmp_path, monkeypatch, capsys) -> None:
    """The workers run `dot`: its absence still reaches the user as a message and exit 2, and nothing is written."""
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "docs"
    assert main(["docs", str(REPO / "stacks/danang-itpark"), "--out", str(out)]) == 2
    assert "Graphviz `dot` is needed" in capsys.readouterr().err
    assert not out.exists()
