"""The building blocks a page template calls through `f`: one class per output format, same method names.

They are plain Python rather than Jinja macros because a 1,000-tenant park has about a million table rows,
and a macro call costs ten times a method call. HTML escapes every plain string and returns Safe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from itpark.docs.dossier import Block, Code, DossierBuilder, Todo
from itpark.docs.views import ControlRow, MatrixCell, Views, endpoint
from itpark.plan.model import Flow, Rule, SecurityGroup, System

_SPECIAL = re.compile(r'[&<>"]')
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;"})


class Safe(str):
    """HTML that is already escaped. Like markupsafe.Markup (Jinja leaves it alone) but far cheaper to make."""

    __slots__ = ()

    def __html__(self) -> str:
        return self


def _e(x: object) -> str:
    """Escape for HTML text; Safe and Markup pass through. Most cells (addresses, ports) need nothing."""
    cls = x.__class__
    if cls is int or cls is Safe or cls is Markup:
        return str(x)
    s = x if cls is str else str(x)
    assert isinstance(s, str)
    return s if _SPECIAL.search(s) is None else s.translate(_ESCAPES)


class Markdown:
    ext = "md"

    @staticmethod
    def c(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    def h(self, level: int, text: str, id: str = "") -> str:
        return "#" * level + f" {text}" + (f' <a id="{id}"></a>' if id else "")

    def p(self, text: str) -> str:
        return str(text)

    def note(self, text: str) -> str:
        return f"> {text}"

    def link(self, href: str, text: object, anchor: str = "") -> str:
        return f"[{text}]({href}.md" + (f"#{anchor})" if anchor else ")")

    def img(self, src: str, alt: str) -> str:
        return f"![{alt}]({src})"

    def li(self, text: str) -> str:
        return f"- {text}"

    def ul(self) -> str:
        return ""

    def ul_end(self) -> str:
        return ""

    def code(self, text: object) -> str:
        return f"`{text}`"

    def b(self, text: object) -> str:
        return f"**{text}**"

    def br(self) -> str:
        return "<br>"

    def badge(self, kind: str, text: str) -> str:
        return str(text)

    def join(self, parts: Iterable[object], sep: str = ", ") -> str:
        return sep.join(str(p) for p in parts)

    def table(self, head: Sequence[object]) -> str:
        return self.row(head) + "\n|" + "---|" * len(head)

    def row(self, cells: Iterable[object]) -> str:
        texts = [x if x.__class__ is str else str(x) for x in cells]
        raw = "".join(texts)
        if "|" in raw or "\n" in raw:  # rare: escape only then
            c = self.c
            texts = [c(x) for x in texts]
        return "| " + " | ".join(texts) + " |"

    def rows(self, rows: Iterable[Iterable[object]]) -> str:
        return "\n".join([self.row(r) for r in rows])

    def lines(self, rows: Iterable[str]) -> str:
        """Rows made by `row`, one a line."""
        return "\n".join(rows)

    def lines_nl(self, rows: Iterable[str]) -> str:
        """Rows made by `row`, each followed by a newline."""
        return "".join([r + "\n" for r in rows])

    def end(self) -> str:
        return ""


class Html(Markdown):
    ext = "html"

    def h(self, level: int, text: str, id: str = "") -> Safe:
        ident = f' id="{_e(id)}"' if id else ""
        return Safe(f"<h{level}{ident}>{_e(text)}</h{level}>")

    def p(self, text: str) -> Safe:
        return Safe(f"<p>{_e(text)}</p>")

    def note(self, text: str) -> Safe:
        return Safe(f'<p class="note">{_e(text)}</p>')

    def link(self, href: str, text: object, anchor: str = "") -> Safe:
        target = f"{href}.html" + (f"#{anchor}" if anchor else "")
        return Safe(f'<a href="{_e(target)}">{_e(text)}</a>')

    def img(self, src: str, alt: str) -> Safe:
        # the picture opens the SVG itself, where its links (system cells to their pages) work
        return Safe(
            f'<figure><a href="{_e(src)}"><img src="{_e(src)}" alt="{_e(alt)}"></a>'
            f"<figcaption>{_e(alt)}</figcaption></figure>"
        )

    def li(self, text: str) -> Safe:
        return Safe(f"<li>{_e(text)}</li>")

    def ul(self) -> Safe:
        return Safe("<ul>")

    def ul_end(self) -> Safe:
        return Safe("</ul>")

    def code(self, text: object) -> Safe:
        return Safe(f"<code>{_e(text)}</code>")

    def b(self, text: object) -> Safe:
        return Safe(f"<strong>{_e(text)}</strong>")

    def br(self) -> Safe:
        return Safe("<br>")

    def badge(self, kind: str, text: str) -> Safe:
        return Safe(f'<span class="badge {_e(kind)}">{_e(text)}</span>')

    def join(self, parts: Iterable[object], sep: str = ", ") -> Safe:
        return Safe(_e(sep).join([_e(p) for p in parts]))

    def table(self, head: Sequence[object]) -> Safe:
        cells = "".join([f"<th>{_e(x)}</th>" for x in head])
        return Safe(f"<table><thead><tr>{cells}</tr></thead><tbody>")

    def row(self, cells: Iterable[object]) -> Safe:
        texts = []
        for x in cells:  # _e inlined for the common cases: a row is made ~700,000 times for 1,000 tenants
            cls = x.__class__
            if cls is str:
                texts.append(x if _SPECIAL.search(x) is None else x.translate(_ESCAPES))
            elif cls is Safe or cls is Markup:
                texts.append(x)
            else:
                texts.append(_e(x))
        return Safe("<tr><td>" + "</td><td>".join(texts) + "</td></tr>")

    def rows(self, rows: Iterable[Iterable[object]]) -> Safe:
        return Safe("\n".join([self.row(r) for r in rows]))

    def lines(self, rows: Iterable[str]) -> Safe:
        return Safe("\n".join(rows))

    def lines_nl(self, rows: Iterable[str]) -> Safe:
        return Safe("".join([r + "\n" for r in rows]))

    def end(self) -> Safe:
        return Safe("</tbody></table>")


FORMATS: dict[str, type[Markdown]] = {"md": Markdown, "html": Html}


class Tables:
    """The long tables (rules, flows, compliance) as rows of cells, for one format and one language."""

    def __init__(
        self, f: Markdown, m: Mapping[str, Any], lang: str, views: Views, dossiers: DossierBuilder | None = None
    ) -> None:
        self.f, self.m, self.lang, self.views = f, m, lang, views
        self.dossiers = dossiers or DossierBuilder(views, m, lang)
        self._block_rows: dict[int, tuple[tuple[str, ...], str]] = {}  # id(row) -> (row, its text)
        self._enforcers: dict[str, list[object]] = {}
        self._status: dict[tuple[str, int, int, int, bool], object] = {}
        self._ep: dict[str, str] = {}
        self._compliance_rows: dict[tuple[object, ...], str] = {}  # ControlRow.key -> its row

    def ep(self, text: str) -> str:
        """An endpoint as a reader names it; each distinct one is worded once."""
        if text not in self._ep:
            self._ep[text] = self._endpoint(text)
        return self._ep[text]

    def _endpoint(self, text: str) -> str:
        e = endpoint(text)
        if e.kind == "zone":
            return f"{e.owner} · {e.name}"
        if e.kind == "service":
            return f"{e.name}@{e.owner}"
        if e.kind == "link":
            return str(self.m["link_kind"].get(e.name, e.name))
        return str(self.m["endpoint"].get(e.kind, text))

    # Row blocks for a template line `{{ f.table(...) }}` / `{{ tables.x(...) }}{{ f.end() }}`: every row ends in
    # a newline, so a table without rows reads exactly like an empty `{% for %}` loop would.
    def _block(self, items: Iterable[Any], cells: Callable[[Any], list[object]]) -> str:
        row = self.f.row
        return self.f.lines_nl([row(cells(x)) for x in items])

    def zones(self, system: System) -> str:
        f, words = self.f, self.m["zone"]
        return self._block(
            system.zones,
            lambda z: [
                f.b(z.zone),
                z.name,
                z.ipv4,
                z.ipv6,
                f"{z.gateway_v4} · {z.gateway_v6}",
                " – ".join(z.dhcp_v4),
                words.get(z.zone, z.zone),
            ],
        )

    def hosts(self, system: System) -> str:
        f = self.f
        return self._block(
            system.hosts,
            lambda h: [
                f.code(h.name),
                h.role,
                h.zone,
                h.availability_zone,
                h.flavor,
                h.image,
                h.ipv4,
                h.ipv6,
                ", ".join(h.ports) or "—",
            ],
        )

    def matrix(
        self, cells: Mapping[tuple[str, str], MatrixCell], rows: Iterable[str], cols: Sequence[str], count: bool = False
    ) -> str:
        """A flow matrix: "→ ports" the row opens to the column, "← ports" the other way; (n) systems with it."""
        b = self.f.b
        return self._block(rows, lambda r: [b(r), *[matrix_cell(cells.get((r, c)), count) for c in cols]])

    def rules(self, group: SecurityGroup) -> str:
        """One row per (direction, flow): its ports and remote prefixes, and how many rules they make."""
        f, direction = self.f, self.m["direction"]
        grouped: dict[tuple[str, str], tuple[dict[str, None], dict[str, None], list[Rule]]] = {}
        for r in group.rules:
            ports, remotes, rules = grouped.setdefault((r.direction, r.flow), ({}, {}, []))
            ports[f"{port_range(r)}/{r.protocol}" if r.protocol != "icmp" else "icmp"] = None
            remotes[r.remote_ip_prefix] = None
            rules.append(r)
        return f.rows(
            [direction[d], f.code(flow), ", ".join(ports), " · ".join(remotes), len(rules)]
            for (d, flow), (ports, remotes, rules) in sorted(grouped.items())
        )

    def flows(self, flows: Iterable[Flow], origin: bool = True) -> str:
        f, ep, origins = self.f, self.ep, self.m["origin"]
        if origin:
            return f.rows(
                [
                    f.code(x.id),
                    ep(x.source),
                    ep(x.destination),
                    ", ".join(x.ports),
                    origins[x.origin],
                    ", ".join(x.controls),
                ]
                for x in flows
            )
        return f.rows([ep(x.source), ep(x.destination), ", ".join(x.ports), ", ".join(x.controls)] for x in flows)

    def compliance(self, system: System) -> str:
        return self._control_rows(system, self._compliance_rows, self._compliance_row)

    def _control_rows(
        self, system: System, cache: dict[tuple[object, ...], str], make: Callable[[ControlRow], str]
    ) -> str:
        """Rows repeat from system to system (same control, same counts): each distinct one is formatted once."""
        rows = []
        for r in self.views.compliance(system):
            if r.key not in cache:
                cache[r.key] = make(r)
            rows.append(cache[r.key])
        return self.f.lines(rows)

    def _compliance_row(self, r: ControlRow) -> str:
        f, m = self.f, self.m
        unconfirmed = f.badge("unconfirmed", m["common"]["unconfirmed"])
        return f.row(
            [
                f.code(r.control.id),
                r.control.title_vi if self.lang == "vi" else r.control.title,
                r.min_level,
                m["automation"][r.control.automatable_by],
                self.enforced(r),
                self.status(r),
                m["common"]["yes"] if r.confirmed else unconfirmed,
            ]
        )

    def enforced(self, r: ControlRow) -> str:
        f, m = self.f, self.m
        if r.control.id not in self._enforcers:  # the same for every system: format it once
            parts: list[object] = []
            for category, groups in self.views.enforcer_groups(r):
                parts.append(f.b(m["category"][category]))
                parts += [
                    f.join([m["enforcer"][kind], ": ", f.code(file), " (", "; ".join(symbols), ")"], "")
                    for kind, file, symbols in groups
                ]
            if r.manual:
                parts.append(f"{m['compliance']['manual']}: {r.manual[self.lang]}")
            self._enforcers[r.control.id] = parts
        parts = list(self._enforcers[r.control.id])
        if r.flows:
            parts.append(m["compliance"]["flows_rules"].format(flows=r.flows, rules=r.rules))
        if not parts:
            return str(m["compliance"]["nothing"])
        return f.join(_interleave(parts, f.br()), "")

    def status(self, r: ControlRow) -> object:
        key = (r.status, r.hosts_pass, r.hosts_fail, r.hosts, bool(r.manual))
        if key not in self._status:
            self._status[key] = self._status_text(r)
        return self._status[key]

    def _status_text(self, r: ControlRow) -> str:
        """The badge, then n/N hosts passing whenever any host was checked, then a documentary part still due."""
        f, m = self.f, self.m
        parts: list[object] = [f.badge(r.status, m["status"][r.status])]
        if r.hosts_pass or r.hosts_fail:
            hosts = m["compliance"]["hosts"].format(passed=r.hosts_pass, failed=r.hosts_fail, total=r.hosts)
            parts.append(f" ({hosts})")
        if r.manual and r.status in ("pass", "partly"):
            parts.append(f" — {m['compliance']['documents_due']}")
        return f.join(parts, "") if len(parts) > 1 else parts[0]  # type: ignore[return-value]

    def evidence_note(self, system: System) -> str:
        """Which runs the system's evidence comes from, how many hosts have it and how old it is."""
        m = self.m["evidence"]
        runs, oldest, hosts = self.views.evidence_runs(system)
        if not hosts:
            return str(m["none"]).format(total=len(system.hosts))
        age = self.views.age_days(oldest)
        when = (
            m["age"].format(day=oldest.isoformat(), days=age, as_of=self.views.as_of)
            if age is not None
            else m["unknown"]
        )
        return str(m["runs"]).format(hosts=hosts, total=len(system.hosts), runs=", ".join(runs) or "—", when=when)

    # -- the dossiers: blocks from dossier.DossierBuilder, the same ones the DOCX is made of ------------------------
    def dossier(self, tenant: Any, system: Any) -> str:
        return self.blocks(self.dossiers.cached(("system", system.key), lambda: self.dossiers.system(tenant, system)))

    def combined(self, tenant: Any, systems: Any) -> str:
        key = ("combined", tenant.name)
        return self.blocks(self.dossiers.cached(key, lambda: self.dossiers.combined(tenant, systems)))

    def blocks(self, blocks: list[Block]) -> str:
        f, out = self.f, []
        for b in blocks:
            if b.kind in ("h1", "h2", "h3"):
                out.append(f.h(int(b.kind[1]), b.text, b.anchor))
            elif b.kind == "p":
                out.append(f.p(self._cell(b.text)))
            elif b.kind == "note":
                out.append(f.note(b.text))
            elif b.kind == "img":
                out.append(f.img(b.text, b.anchor))
            else:
                row = self._row if b.shared else self._plain_row
                out.append(f.join([f.table(b.head), "\n", f.lines_nl([row(r) for r in b.rows]), f.end()], ""))
        return f.join(out, "\n\n")

    def _row(self, row: tuple[str, ...]) -> str:
        """Requirement rows are shared objects across systems: each is formatted once."""
        cached = self._block_rows.get(id(row))
        if cached is not None and cached[0] is row:
            return cached[1]
        text = self.f.row([self._cell(c) for c in row])
        self._block_rows[id(row)] = (row, text)
        return text

    def _plain_row(self, row: tuple[str, ...]) -> str:
        cell = self._cell
        return self.f.row([c if c.__class__ is str else cell(c) for c in row])

    def _cell(self, cell: str) -> object:
        cls = cell.__class__
        if cls is Code:
            return self.f.code(cell)
        if cls is Todo:
            return self.f.badge("todo", cell)
        return cell


def _interleave(parts: list[object], sep: object) -> list[object]:
    out: list[object] = []
    for index, part in enumerate(parts):
        if index:
            out.append(sep)
        out.append(part)
    return out


def port_range(rule: Rule) -> str:
    if rule.port_min is None:
        return "*"
    return str(rule.port_min) if rule.port_min == rule.port_max else f"{rule.port_min}-{rule.port_max}"


def matrix_cell(cell: MatrixCell | None, count: bool = False) -> str:
    """ "→ ports" the row opens to the column, "← ports" the other way; (n) systems with the flow."""
    if cell is None:
        return ""
    parts = [f"{arrow} {', '.join(ports)}" for arrow, ports in (("→", cell.out), ("←", cell.back)) if ports]
    return " · ".join(parts) + (f" ({cell.systems})" if count else "")


def compliance_csv(views: Views, m: Mapping[str, Any], lang: str) -> str:
    """The compliance matrix as CSV: one row per (system, applicable control), in the page's language. The part
    after the system's key and level repeats from system to system: each distinct one is written once."""
    c = m["csv"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([c[k] for k in CSV_COLUMNS])
    tails: dict[tuple[object, ...], str] = {}
    lines = [out.getvalue()]
    for system in views.systems:
        head = _csv_line([system.key, system.level])[:-1] + ","
        for r in views.compliance(system):
            tail = tails.get(r.key)
            if tail is None:
                tail = tails[r.key] = _csv_tail(views, m, lang, r)
            lines.append(head + tail)
    return "".join(lines)


def _csv_line(cells: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _csv_tail(views: Views, m: Mapping[str, Any], lang: str, r: ControlRow) -> str:
    groups = dict(views.enforcer_groups(r))
    named = {
        k: "; ".join(f"{file} ({', '.join(symbols)})" for _, file, symbols in groups.get(k, []))
        for k in ("enforce", "check", "document")
    }
    return _csv_line(
        [
            r.control.id,
            r.control.title_vi if lang == "vi" else r.control.title,
            r.min_level,
            m["common"]["yes"] if r.confirmed else m["common"]["unconfirmed"],
            m["dossier"]["responses"][r.response],
            m["status"][r.status],
            r.hosts_pass,
            r.hosts_fail,
            r.hosts,
            named["enforce"],
            named["check"],
            named["document"],
            r.manual.get(lang, "") if r.manual else "",
        ]
    )


CSV_COLUMNS = (
    "system",
    "level",
    "control",
    "requirement",
    "min_level",
    "confirmed",
    "response",
    "status",
    "hosts_pass",
    "hosts_fail",
    "hosts",
    "enforced_by",
    "checked_by",
    "documented_by",
    "documents_due",
)
