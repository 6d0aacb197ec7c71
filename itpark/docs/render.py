"""Render the plan into Markdown and a static HTML site, in Vietnamese and English, from one set of templates.

A page template is format-neutral: it calls building blocks through `f` (templates/_md.j2 or _html.j2) and
takes every word from the message catalogue `m`. `render_docs` is pure apart from running `dot`; `write_docs`
does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from ruamel.yaml import YAML

from itpark.docs.diagrams import park_graph, render_svgs, system_graph
from itpark.docs.enforcement import Enforcement
from itpark.docs.views import STATUSES, MatrixCell, Views, endpoint, system_anchor
from itpark.fileio import write_text_atomic
from itpark.plan.model import Plan, Rule

LANGS = ("vi", "en")
FORMATS = ("md", "html")
PAGES = ("index", "topology", "addresses", "flows", "compliance")
NAV_KEYS = {
    "index": "overview",
    "topology": "topology",
    "addresses": "addresses",
    "flows": "flows",
    "compliance": "compliance",
}
MANAGED_SUFFIXES = (".md", ".html", ".svg")


@cache
def messages(lang: str) -> dict[str, Any]:
    text = resources.files("itpark.docs").joinpath(f"messages/{lang}.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Page:
    path: str  # relative to the language folder, without extension: "index", "tenants/acme"
    template: str
    kind: str  # nav key, or "tenant" / "dossier"
    title: str
    context: Mapping[str, Any]

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


def _fmt(text: str, **values: Any) -> str:
    return str(text).format(**values)


def _port_range(rule: Rule) -> str:
    if rule.port_min is None:
        return "*"
    return str(rule.port_min) if rule.port_min == rule.port_max else f"{rule.port_min}-{rule.port_max}"


def _cell(cell: MatrixCell | None, count: bool = False) -> str:
    """ "→ ports" the row opens to the column, "← ports" the other way; (n) systems with the flow."""
    if cell is None:
        return ""
    parts = [f"{arrow} {', '.join(ports)}" for arrow, ports in (("→", cell.out), ("←", cell.back)) if ports]
    return " · ".join(parts) + (f" ({cell.systems})" if count else "")


def _environment(fmt: str, lang: str, views: Views, other: str | None) -> Environment:
    m = messages(lang)
    env = Environment(
        loader=PackageLoader("itpark.docs", "templates"),
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )

    def ep(text: str) -> str:
        e = endpoint(text)
        if e.kind == "zone":
            return f"{e.owner} · {e.name}"
        if e.kind == "service":
            return f"{e.name}@{e.owner}"
        if e.kind == "link":
            return str(m["link_kind"].get(e.name, e.name))
        return str(m["endpoint"].get(e.kind, text))

    filters: dict[str, Callable[..., Any]] = {
        "cell_for": lambda col, cells, row: _cell(cells.get((row, col))),
        "cell_n_for": lambda col, cells, row: _cell(cells.get((row, col)), count=True),
        "link_kind": lambda kind: m["link_kind"].get(kind, kind),
        "service_title": lambda kind, language: views.service_title(kind, language),
        "status_name": lambda status: m["status"][status],
        "count_of": lambda status, counts: counts[status],
    }
    env.filters.update(filters)
    env.globals.update(
        m=m,
        lang=lang,
        v=views,
        plan=views.plan,
        fmt=_fmt,
        ep=ep,
        anchor=system_anchor,
        rule_count=lambda system: sum(len(g.rules) for g in system.security_groups),
        port_range=_port_range,
        statuses=STATUSES,
        nav_keys=NAV_KEYS,
        other=other,
    )
    env.globals["f"] = env.get_template(f"_{fmt}.j2").module
    return env


def pages(plan: Plan, lang: str) -> list[Page]:
    m = messages(lang)
    found = [Page(name, f"{name}.j2", name, m["nav"][NAV_KEYS[name]], {}) for name in PAGES]
    for tenant in plan.tenants:
        found.append(Page(f"tenants/{tenant.name}", "tenant.j2", "tenant", tenant.name, {"tenant": tenant}))
        for system in tenant.systems:
            title = f"{m['dossier']['short']} {system.key}"
            found.append(
                Page(
                    f"dossier/{system_anchor(system)}",
                    "dossier.j2",
                    "dossier",
                    title,
                    {"tenant": tenant, "system": system},
                )
            )
    return found


def render_docs(
    plan: Plan, enforcement: Enforcement, evidence: Mapping[str, Mapping[str, Any]], langs: Iterable[str] = LANGS
) -> dict[str, str]:
    """Relative path -> file text for the whole docs folder of one park."""
    langs = tuple(langs)
    views = Views(plan, enforcement, evidence)
    files: dict[str, str] = {
        "style.css": resources.files("itpark.docs").joinpath("static/style.css").read_text("utf-8")
    }
    for lang in langs:
        other = next((x for x in langs if x != lang), None)
        files.update(_diagrams(views, lang))
        for fmt in FORMATS:
            env = _environment(fmt, lang, views, other)
            layout = env.get_template(f"layout.{fmt}.j2")
            for page in pages(plan, lang):
                body = env.get_template(page.template).render(root=page.root, **page.context)
                text = layout.render(
                    body=Markup(body.strip("\n")), root=page.root, kind=page.kind, title=page.title, path=page.path
                )
                files[f"{lang}/{page.path}.{fmt}"] = _tidy(text, fmt)
    files.update(_home(plan, langs))
    return dict(sorted(files.items()))


def _diagrams(views: Views, lang: str) -> dict[str, str]:
    m = messages(lang)
    sources = {f"{lang}/svg/park.svg": park_graph(views, m)}
    for system in views.systems:
        sources[f"{lang}/svg/{system_anchor(system)}.svg"] = system_graph(views, system, m)
    return render_svgs(sources)


def _home(plan: Plan, langs: tuple[str, ...]) -> dict[str, str]:
    entries = [(lang, messages(lang)) for lang in langs]
    out = {}
    for fmt in FORMATS:
        env = Environment(
            loader=PackageLoader("itpark.docs", "templates"),
            autoescape=fmt == "html",
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=StrictUndefined,
        )
        text = env.get_template(f"home.{fmt}.j2").render(plan=plan, entries=entries)
        out["index.html" if fmt == "html" else "README.md"] = _tidy(text, fmt)
    return out


def _tidy(text: str, fmt: str) -> str:
    """One trailing newline; for Markdown also no runs of blank lines, so diffs in review stay small."""
    lines = [line.rstrip() for line in text.split("\n")]
    if fmt == "md":
        squeezed: list[str] = []
        for line in lines:
            if line or (squeezed and squeezed[-1]):
                squeezed.append(line)
        lines = squeezed
    return "\n".join(lines).strip("\n") + "\n"


def write_docs(files: Mapping[str, str], out: Path) -> tuple[list[str], list[str]]:
    """Write changed files atomically and remove the files a previous run made that no longer exist."""
    written = []
    for rel, text in files.items():
        target = out / rel
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        write_text_atomic(target, text)
        written.append(rel)
    removed = stale_files(files, out)
    for rel in removed:
        (out / rel).unlink()
    return written, removed


def stale_files(files: Mapping[str, str], out: Path) -> list[str]:
    langs = {rel.split("/", 1)[0] for rel in files if "/" in rel}
    stale = []
    for lang in sorted(langs):
        for path in sorted((out / lang).rglob("*")):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and path.suffix in MANAGED_SUFFIXES and rel not in files:
                stale.append(rel)
    return stale


def differences(files: Mapping[str, str], out: Path) -> list[str]:
    """Files that are missing, different or stale in `out` compared with a fresh render."""
    changed = [
        rel
        for rel, text in files.items()
        if not (out / rel).is_file() or (out / rel).read_text(encoding="utf-8") != text
    ]
    return sorted(changed + stale_files(files, out))


__all__ = ["LANGS", "differences", "messages", "render_docs", "write_docs"]
