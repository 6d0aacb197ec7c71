"""Render the plan into Markdown and a static HTML site, in Vietnamese and English, from one set of templates.

A page template is format-neutral: it calls building blocks through `f` (formats.Markdown or formats.Html) and
takes every word from the message catalogue `m` (messages/<lang>.yaml). `render_docs` is pure apart from running
`dot`; `write_docs` does the I/O.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from types import MethodType
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.runtime import Context
from markupsafe import Markup
from ruamel.yaml import YAML

from itpark.docs.diagrams import (
    big_levels,
    dot_env,
    layout_words,
    level_diagram,
    level_graph,
    park_graph,
    relabel,
    render_svg,
    system_graph,
)
from itpark.docs.docx import dossier_docx
from itpark.docs.dossier import Block, DossierBuilder, combined_groups, combined_path
from itpark.docs.enforcement import Enforcement
from itpark.docs.formats import FORMATS, Html, Markdown, Tables, compliance_csv
from itpark.docs.views import STATUSES, Views, control_source, system_anchor
from itpark.fileio import write_bytes_atomic, write_text_atomic
from itpark.plan.model import Plan, Tenant

LANGS = ("vi", "en")
PAGES = ("index", "topology", "addresses", "flows", "compliance", "transition")
NAV_KEYS = {
    "index": "overview",
    "topology": "topology",
    "addresses": "addresses",
    "flows": "flows",
    "compliance": "compliance",
    "transition": "transition",
}
TEXT_SUFFIXES = (".md", ".html", ".svg", ".csv")
MANAGED_SUFFIXES = (*TEXT_SUFFIXES, ".docx")
FMTS = ("md", "html")
PAGE_JOBS = max(2, len(os.sched_getaffinity(0)))  # worker processes: pages and diagrams
SLICES_PER_JOB = 8  # tenant slices per worker: small enough that the workers finish together


@cache
def messages(lang: str, kind: str = "") -> dict[str, Any]:
    """The message catalogue of a language, with the words a kind of park uses instead (`park_words`): on a
    provincial cloud a tenant is a "cơ quan, đơn vị sử dụng", not a "đơn vị thuê"."""
    text = resources.files("itpark.docs").joinpath(f"messages/{lang}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = YAML(typ="safe").load(text)
    words = (data.get("park_words") or {}).get(kind) or {}
    data = _replace_words(data, words) if words else data
    data["words"] = words  # also said of the plan's own texts on the page (the `say` filter)
    return data


def _replace_words(tree: Any, words: Mapping[str, str]) -> Any:
    if isinstance(tree, dict):
        return {k: _replace_words(v, words) for k, v in tree.items()}
    if isinstance(tree, str):
        for old, new in words.items():
            tree = tree.replace(old, new)
    return tree


def _m(lang: str) -> dict[str, Any]:
    """The messages of a language for the park being rendered (set before the workers fork)."""
    return messages(lang, _JOB_STATE.get("kind", ""))


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


FILTERS: dict[str, Callable[..., Any]] = {
    "link_kind": lambda kind, m: m["link_kind"].get(kind, kind),
    "service_title": lambda kind, views, lang: views.service_title(kind, lang),
    "status_name": lambda status, m: m["status"][status],
    "count_of": lambda status, counts: counts[status],
    "say": lambda text, m: _replace_words(text, m["words"]) if m["words"] else text,
}


_HELPERS = (Markdown, Html, Tables, Views)  # classes whose methods the templates call; none takes a Jinja context


class _Context(Context):
    """A page calls `f.row`, `tables.rules`, `v.compliance` tens of thousands of times; Jinja's own `call`
    checks every callable for pass_context and the like, which these helpers never use, so they skip it."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if __obj.__class__ is not MethodType or __obj.__self__.__class__ not in _HELPERS:
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)  # what Jinja hands a pass_context callable: not for these
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja does: an undefined value rather than a silently ended loop
            return __self.environment.undefined("value was undefined because a callable raised a StopIteration")


@cache
def _environment(fmt: str) -> Environment:
    """One environment per format, built once: compiling the templates is the costly part."""
    env = Environment(
        loader=PackageLoader("itpark.docs", "templates"),
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        auto_reload=False,  # templates are package data: no stat of the file at every page
    )
    env.context_class = _Context
    env.filters.update(FILTERS)
    env.globals.update(
        f=FORMATS[fmt](),
        fmt=_fmt,
        anchor=system_anchor,
        control_source=control_source,
        big_levels=big_levels,
        level_diagram=level_diagram,
        combined_groups=combined_groups,
        combined_path=combined_path,
        rule_count=lambda system: sum(len(g.rules) for g in system.security_groups),
        statuses=STATUSES,
        nav_keys=NAV_KEYS,
    )
    return env


def _context(fmt: str, lang: str, views: Views, langs: tuple[str, ...], dossiers: DossierBuilder) -> dict[str, Any]:
    """What a page needs of one language: the messages, the long tables, endpoint names, the other language."""
    other = next((x for x in langs if x != lang), None)
    m = messages(lang, views.plan.park.kind)
    tables = Tables(FORMATS[fmt](), m, lang, views, dossiers)
    return {"m": m, "tables": tables, "ep": tables.ep, "lang": lang, "v": views, "plan": views.plan, "other": other}


def park_pages(m: Mapping[str, Any]) -> list[Page]:
    return [Page(name, f"{name}.j2", name, m["nav"][NAV_KEYS[name]], {}) for name in PAGES]


def tenant_pages(tenants: Iterable[Tenant], m: Mapping[str, Any]) -> list[Page]:
    found = []
    for tenant in tenants:
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
        small = combined_groups(tenant)
        if small:
            title = f"{m['dossier']['combined_short']} {tenant.name}"
            context = {"tenant": tenant, "systems": small}
            found.append(Page(combined_path(tenant), "combined.j2", "dossier", title, context))
    return found


def render_docs(
    plan: Plan,
    enforcement: Enforcement,
    evidence: Mapping[str, Mapping[str, Any]],
    langs: Iterable[str] = LANGS,
    as_of: date | None = None,
    docx: bool = False,
    version: str = "",
) -> dict[str, Any]:
    """Relative path -> file text for the whole docs folder of one park.

    Forked worker processes take equal slices of the tenants (their pages in every language and format, and
    their systems' diagrams, each laid out by its own `dot`) plus one task for the park-wide pages; the
    result does not depend on how the work is split or the order the tasks finish in. Evidence ages are
    counted to `as_of` (default: the day of the newest evidence), so the same inputs render the same bytes.
    With `docx`, every dossier is also a .docx file (bytes; the other values are text). `version` is the plan
    hash the dossiers' running header shows.
    """
    langs = tuple(langs)
    views = Views(plan, enforcement, evidence, as_of, version)
    files: dict[str, str] = {
        "style.css": resources.files("itpark.docs").joinpath("static/style.css").read_text("utf-8")
    }
    for system in views.systems:  # computed once here, inherited by every worker
        views.compliance(system)
    dot_env()  # its temporary folder belongs to this process, not to a worker
    for fmt in FMTS:  # templates compiled once here, not once in every worker
        env = _environment(fmt)
        for name in [*(f"{page}.j2" for page in (*PAGES, "tenant", "dossier", "combined")), f"layout.{fmt}.j2"]:
            env.get_template(name)
    _JOB_STATE["views"], _JOB_STATE["langs"], _JOB_STATE["docx"] = (
        views,
        langs,
        docx,
    )  # inherited by the forked workers, never pickled
    _JOB_STATE["kind"] = plan.park.kind
    builders = {lang: DossierBuilder(views, _m(lang), lang) for lang in langs}
    _JOB_STATE["builders"] = builders
    _JOB_STATE["contexts"] = {
        (lang, fmt): _context(fmt, lang, views, langs, builders[lang]) for lang in langs for fmt in FMTS
    }
    slices = _slices(len(plan.tenants), PAGE_JOBS * SLICES_PER_JOB)
    workers = min(PAGE_JOBS, len(slices) + 1)
    gc.freeze()  # forked workers then share the plan's pages instead of copying them when they collect garbage
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as procs:
            tasks = [procs.submit(_render_park), procs.submit(_render_csv)]
            tasks += [procs.submit(_render_level, site.id, level) for site, level in big_levels(views)]
            tasks += [procs.submit(_render_tenants, a, b) for a, b in slices]
            try:
                for task in tasks:
                    files.update(task.result())
            except BaseException:
                procs.shutdown(cancel_futures=True)  # e.g. no `dot`: say so now, not after every other slice
                raise
    finally:
        _JOB_STATE.clear()
        gc.unfreeze()
    files.update(_home(plan, langs))
    return dict(sorted(files.items()))


_JOB_STATE: dict[str, Any] = {}


def _slices(count: int, parts: int) -> list[tuple[int, int]]:
    """`parts` ranges of [0, count) whose lengths differ by at most one; no empty ones."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    bounds = [i * size + min(i, extra) for i in range(parts + 1)]
    return [(a, b) for a, b in pairwise(bounds) if b > a]


def _render(pages_of_lang: Callable[[str], list[Page]]) -> dict[str, str]:
    files = {}
    for lang in _JOB_STATE["langs"]:
        found = pages_of_lang(lang)
        for fmt in FMTS:
            env, context = _environment(fmt), _JOB_STATE["contexts"][(lang, fmt)]
            layout = env.get_template(f"layout.{fmt}.j2")
            for page in found:
                body = env.get_template(page.template).render(root=page.root, **context, **page.context)
                text = layout.render(
                    context,
                    body=Markup(body.strip("\n")),
                    root=page.root,
                    kind=page.kind,
                    title=page.title,
                    path=page.path,
                )
                files[f"{lang}/{page.path}.{fmt}"] = _tidy(text, fmt)
        builder: DossierBuilder = _JOB_STATE["builders"][lang]
        if _JOB_STATE.get("docx"):
            for page in found:
                blocks = _dossier_blocks(builder, page)
                if blocks:
                    header = f"{blocks[0].text} · {builder.version_line()}"
                    files[f"{lang}/{page.path}.docx"] = dossier_docx(
                        blocks, blocks[0].text, header, lang, builder.v.as_of
                    )
        builder.clear()  # every format is done with this slice's dossiers
    return files


def _dossier_blocks(builder: DossierBuilder, page: Page) -> list[Block]:
    c = page.context
    if page.template == "dossier.j2":
        return builder.cached(("system", c["system"].key), lambda: builder.system(c["tenant"], c["system"]))
    if page.template == "combined.j2":
        return builder.cached(("combined", c["tenant"].name), lambda: builder.combined(c["tenant"], c["systems"]))
    return []


def _render_park() -> dict[str, str]:
    """The park-wide pages and the park diagram of each language."""
    views: Views = _JOB_STATE["views"]
    files: dict[str, Any] = _render(lambda lang: park_pages(_m(lang)))
    for lang in _JOB_STATE["langs"]:
        files[f"svg/park-{lang}.svg"] = render_svg(park_graph(views, _m(lang), lang))
    return files


def _render_csv() -> dict[str, str]:
    """The compliance matrix as CSV in each language."""
    views: Views = _JOB_STATE["views"]
    return {f"{lang}/compliance.csv": compliance_csv(views, _m(lang), lang) for lang in _JOB_STATE["langs"]}


def _render_level(site_id: str, level: int) -> dict[str, str]:
    """The diagram of one big site level: laid out once, then each language's words and links."""
    views: Views = _JOB_STATE["views"]
    langs: tuple[str, ...] = _JOB_STATE["langs"]
    site = next(s for s in views.plan.sites if s.id == site_id)
    words = {lang: _m(lang)["diagram"] for lang in langs}
    layout = layout_words(words)
    svg = render_svg(level_graph(views, site, level, {"diagram": layout}, "LANG"))
    return {
        f"svg/{level_diagram(site_id, level, lang)}.svg": relabel(svg, layout, words[lang]).replace(
            'href="../LANG/', f'href="../{lang}/'
        )
        for lang in langs
    }


def _render_tenants(start: int, stop: int) -> dict[str, str]:
    """Tenant pages, dossiers and system diagrams of plan.tenants[start:stop]."""
    views: Views = _JOB_STATE["views"]
    langs: tuple[str, ...] = _JOB_STATE["langs"]
    tenants = views.plan.tenants[start:stop]
    files = _render(lambda lang: tenant_pages(tenants, _m(lang)))
    words = {lang: _m(lang)["diagram"] for lang in langs}
    layout = layout_words(words)
    for tenant in tenants:
        for system in tenant.systems:
            svg = render_svg(system_graph(views, system, layout))  # one layout, each language's labels
            for lang in langs:
                files[f"svg/{system_anchor(system)}-{lang}.svg"] = relabel(svg, layout, words[lang])
    return files


def _home(plan: Plan, langs: tuple[str, ...]) -> dict[str, str]:
    entries = [(lang, messages(lang, plan.park.kind)) for lang in langs]
    out = {}
    for fmt in FMTS:
        text = _environment(fmt).get_template(f"home.{fmt}.j2").render(plan=plan, entries=entries)
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


def _same(target: Path, content: str | bytes) -> bool:
    if not target.is_file():
        return False
    if isinstance(content, bytes):
        return target.read_bytes() == content
    return target.read_text(encoding="utf-8") == content


def write_docs(files: Mapping[str, str | bytes], out: Path) -> tuple[list[str], list[str]]:
    """Write changed files atomically and remove the files a previous run made that no longer exist."""
    written = []
    for rel, content in files.items():
        target = out / rel
        if _same(target, content):
            continue
        if isinstance(content, bytes):
            write_bytes_atomic(target, content)
        else:
            write_text_atomic(target, content)
        target.chmod(0o644)  # a static site others serve and read; the temporary file was private
        written.append(rel)
    removed = stale_files(files, out)
    for rel in removed:
        (out / rel).unlink()
    return written, removed


def stale_files(files: Mapping[str, str | bytes], out: Path) -> list[str]:
    """Managed files in `out` a render no longer makes; DOCX files only when this render made DOCX files."""
    langs = {rel.split("/", 1)[0] for rel in files if "/" in rel}
    suffixes = MANAGED_SUFFIXES if any(rel.endswith(".docx") for rel in files) else TEXT_SUFFIXES
    stale = []
    for lang in sorted(langs):
        for path in sorted((out / lang).rglob("*")):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and path.suffix in suffixes and rel not in files:
                stale.append(rel)
    return stale


def differences(files: Mapping[str, str | bytes], out: Path) -> list[str]:
    """Files that are missing, different or stale in `out` compared with a fresh render."""
    changed = [rel for rel, content in files.items() if not _same(out / rel, content)]
    return sorted(changed + stale_files(files, out))


__all__ = ["LANGS", "differences", "messages", "render_docs", "write_docs"]
