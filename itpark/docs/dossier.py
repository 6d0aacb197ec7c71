"""The level proposal dossier in the structure Decree 331/2026 asks for (Art 21-22, 29.2, 30.3-30.4).

One dossier per system, and one combined dossier per owner for its level 1-2 systems. A dossier is built once
per language as a list of blocks (headings, paragraphs, notes, figures, tables whose cells are plain text or
`Code` / `Todo` marks); formats.Markdown, formats.Html and docx.py each render the same blocks, so the printed
page, the site and the DOCX the owner completes and signs say the same thing. Everything the plan cannot know
(mandate, representative, purpose, users, information types...) is a `Todo`: visibly "to be completed".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from itpark.docs.views import ControlRow, Views, control_source, system_anchor
from itpark.plan.model import System, Tenant

COMBINED_MAX_LEVEL = 2  # Art 18.1 / the combined L1-2 dossier an owner may file for its small systems


class Code(str):
    """An identifier shown as code."""

    __slots__ = ()


class Todo(str):
    """A field the owner or operator completes: rendered visibly (and highlighted in the DOCX)."""

    __slots__ = ()


Cell = str
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Block:
    kind: str  # h1 | h2 | h3 | p | note | img | table
    text: str = ""
    anchor: str = ""
    head: Row = ()
    rows: tuple[Row, ...] = ()
    shared: bool = False  # its rows are shared by many systems: a renderer may format each one once


@cache
def requirement_groups() -> dict[str, Any]:
    text = resources.files("itpark.docs").joinpath("requirements.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)  # type: ignore[no-any-return]


def requirement_group(control: str) -> str:
    """The Art 30.3 / 30.4 group of a catalog control: explicit in requirements.yaml, else by its prefix."""
    data = requirement_groups()
    for group, controls in data["groups"].items():
        if control in controls:
            return str(group)
    return str(data["by_prefix"][control.split("-")[0]])


def _t(obj: Any, name: str, lang: str) -> str:
    """A text field in the reader's language: `<name>_vi` for Vietnamese when it is given."""
    if obj is None:
        return ""
    if lang == "vi":
        value = getattr(obj, f"{name}_vi", "") or ""
        if value:
            return str(value)
    return str(getattr(obj, name, "") or "")


class DossierBuilder:
    """Builds the blocks of one language's dossiers; rows shared by many systems are built once."""

    def __init__(self, views: Views, m: Mapping[str, Any], lang: str) -> None:
        self.v, self.m, self.lang = views, m, lang
        self.d = m["dossier"]
        self.todo = Todo(self.d["todo"])
        self._requirement_rows: dict[tuple[object, ...], Row] = {}
        self._built: dict[tuple[str, str], list[Block]] = {}
        self._version: str | None = None

    def cached(self, key: tuple[str, str], build: Callable[[], list[Block]]) -> list[Block]:
        """The blocks of one dossier, built once for every format of this language (`clear` between slices)."""
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = build()
        return found

    def clear(self) -> None:
        self._built.clear()

    # -- the documents -----------------------------------------------------------------------------------------
    def system(self, tenant: Tenant, system: System) -> list[Block]:
        d, plan = self.d, self.v.plan
        title = _t(system, "title", self.lang)
        blocks = [
            Block("h1", d["title"].format(system=title, level=system.level)),
            Block(
                "p",
                d["subtitle"].format(
                    key=system.key, tenant=_t(tenant, "title", self.lang), park=_t(plan.park, "title", self.lang)
                ),
            ),
            Block("note", d["basis"]),
            Block("note", self.version_line()),
        ]
        blocks += self._parts(tenant, system, prefix="")
        blocks += self._signatures(system.level)
        return blocks

    def combined(self, tenant: Tenant, systems: Sequence[System]) -> list[Block]:
        """One dossier for an owner's level 1-2 systems: the three parts of each, one after the other."""
        d, plan = self.d, self.v.plan
        blocks = [
            Block("h1", d["combined_title"].format(owner=tenant.owner, tenant=_t(tenant, "title", self.lang))),
            Block("p", d["combined_intro"].format(n=len(systems), park=_t(plan.park, "title", self.lang))),
            Block("note", d["basis"]),
            Block("note", self.version_line()),
            Block(
                "table",
                head=(self.m["col"]["system"], self.m["col"]["level"], d["page"]),
                rows=tuple((Code(s.key), str(s.level), _t(s, "title", self.lang)) for s in systems),
            ),
        ]
        for system in systems:
            blocks.append(
                Block(
                    "h1",
                    d["combined_system"].format(
                        key=system.key, title=_t(system, "title", self.lang), level=system.level
                    ),
                    anchor=system_anchor(system),
                )
            )
            blocks += self._parts(tenant, system, prefix=f"{system.key}: ")
        blocks += self._signatures(max(s.level for s in systems))
        return blocks

    def version_line(self) -> str:
        """Plan hash, catalog version and as-of date: every page and the running header of a printed dossier."""
        if self._version is None:
            self._version = self._version_line()
        return self._version

    def _version_line(self) -> str:
        v, b = self.v, self.v.plan.baseline
        as_of = v.as_of.isoformat() if v.as_of else self.d["no_as_of"]
        return str(self.d["version"]).format(
            plan=v.version or "—", catalog=b.catalog, catalog_version=b.version, baseline=b.id, as_of=as_of
        )

    def _parts(self, tenant: Tenant, system: System, prefix: str) -> list[Block]:
        d = self.d
        out = [Block("h2", prefix + d["part1"])]
        out += self._overview(tenant, system)
        out.append(Block("h2", prefix + d["part2"]))
        out += self._level(system)
        out.append(Block("h2", prefix + d["part3"]))
        out += self._plan(system)
        if system.level >= 4:
            out.append(Block("h2", prefix + d["part4"]))
            out += self._high_levels(system)
        return out

    # -- Part I: overview (Art 22.3) ---------------------------------------------------------------------------
    def _overview(self, tenant: Tenant, system: System) -> list[Block]:
        d, m, plan, todo = self.d, self.m, self.v.plan, self.todo
        facts = getattr(system, "dossier", None)
        col = m["col"]
        item = (col["item"], col["value"])
        owner = _t(facts, "owner", self.lang) or tenant.owner
        operator = _t(facts, "operator", self.lang) or plan.park.operator
        blocks = [
            Block("h3", d["i1"]),
            Block(
                "table",
                head=item,
                rows=(
                    (d["owner_name"], owner or todo),
                    (d["mandate"], todo),
                    (d["representative"], todo),
                    (d["address"], todo),
                    (d["contact"], _t(facts, "owner_contact", self.lang) or tenant.contact or todo),
                ),
            ),
            Block("h3", d["i2"]),
            Block(
                "table",
                head=item,
                rows=(
                    (d["operator_name"], operator or todo),
                    (d["mandate"], todo),
                    (d["representative"], todo),
                    (d["address"], todo),
                    (d["contact"], _t(facts, "operator_contact", self.lang) or todo),
                ),
            ),
            Block("h3", d["i3"]),
            Block("table", head=item, rows=self._scope(system, facts)),
            Block("h3", d["i4"]),
            Block("p", d["logical_text"]),
            Block(
                "img",
                text=f"../../svg/{system_anchor(system)}-{self.lang}.svg",
                anchor=m["tenant"]["diagram_alt"].format(key=system.key),
            ),
            Block(
                "table",
                head=(col["source"], col["destination"], col["ports"], col["controls"]),
                rows=self._flows(system),
            ),
            Block("p", d["physical_text"]),
            Block("table", head=(col["site"], col["az"], col["hosts"], d["role_of_site"]), rows=self._physical(system)),
            Block("h3", d["devices"]),
            Block(
                "table",
                head=(
                    col["host"],
                    d["device_type"],
                    d["location"],
                    d["purpose"],
                    col["zone"],
                    col["volume"],
                    col["ipv4"],
                    col["ipv6"],
                ),
                rows=tuple(
                    (
                        Code(h.fqdn),
                        f"{d['virtual_server']} {h.flavor}",
                        f"{h.site} / {h.availability_zone}",
                        h.role,
                        h.zone,
                        str(h.volume_gb or "—"),
                        h.ipv4,
                        h.ipv6,
                    )
                    for h in system.hosts
                ),
            ),
            Block("h3", d["applications"]),
            Block(
                "table",
                head=(d["service"], col["hosts"], d["location"], col["image"], d["purpose"], col["ports"]),
                rows=self._applications(system),
            ),
        ]
        storage = next((h for h in system.hosts if h.mounts), None)
        if storage is not None:
            blocks.append(Block("p", d["mounts_text"].format(gb=storage.system_volume_gb)))
            blocks.append(
                Block(
                    "table",
                    head=(col["path"], col["size_gb"], col["mount_options"]),
                    rows=tuple((Code(x.path), str(x.size_gb), ", ".join(x.options) or "—") for x in storage.mounts),
                )
            )
        blocks += [
            Block("h3", d["zones"]),
            Block("p", d["zones_text"].format(level=system.level, n=len(system.zones))),
            Block(
                "table",
                head=(col["zone"], d["private_v4"], col["ipv6"], col["gateway"], col["description"]),
                rows=tuple(
                    (Code(z.zone), z.ipv4, z.ipv6, f"{z.gateway_v4} · {z.gateway_v6}", m["zone"].get(z.zone, z.zone))
                    for z in system.zones
                ),
            ),
            Block("p", self._public(system)),
        ]
        return blocks

    def _scope(self, system: System, facts: Any) -> tuple[Row, ...]:
        d, m, todo = self.d, self.m, self.todo
        exposure = ", ".join(m["link_kind"].get(x, x) for x in system.exposure) or d["internal_only"]
        services = "; ".join(self.v.service_title(k, self.lang) for k in system.services)
        location = system.site + (f" · {m['tenant']['dr']} {system.dr_site}" if system.dr_site else "")
        user_count = getattr(facts, "user_count", None)
        return (
            (d["system_name"], _t(system, "title", self.lang)),
            (d["system_id"], Code(system.key)),
            (d["purpose"], _t(facts, "purpose", self.lang) or todo),
            (d["users"], _t(facts, "users", self.lang) or todo),
            (d["user_count"], str(user_count) if user_count else todo),
            (d["scope"], d["scope_text"].format(location=location, exposure=exposure)),
            (
                d["scale"],
                d["scale_text"].format(hosts=len(system.hosts), zones=len(system.zones), flows=len(system.flows)),
            ),
            (d["shared_services"], services or "—"),
        )

    def _flows(self, system: System) -> tuple[Row, ...]:
        ep = self._endpoint
        return tuple((ep(f.source), ep(f.destination), ", ".join(f.ports), ", ".join(f.controls)) for f in system.flows)

    def _endpoint(self, text: str) -> str:
        kind, _, rest = text.partition(":")
        if kind == "zone":
            owner, _, zone = rest.rpartition("/")
            return f"{owner} · {zone}"
        if kind == "service":
            return rest
        if kind == "link":
            return str(self.m["link_kind"].get(rest, rest))
        return str(self.m["endpoint"].get(kind, text))

    def _physical(self, system: System) -> tuple[Row, ...]:
        per_az = Counter((h.site, h.availability_zone) for h in system.hosts)
        roles = {s.id: self.m["site_role"].get(s.role, s.role) for s in self.v.plan.sites}
        rows = [(site, az, str(n), roles.get(site, "")) for (site, az), n in sorted(per_az.items())]
        if system.dr_site:
            rows.append((system.dr_site, "—", "0", f"{roles.get(system.dr_site, '')} ({self.m['addresses']['dr']})"))
        return tuple(rows)

    def _applications(self, system: System) -> tuple[Row, ...]:
        tiers: dict[str, list[Any]] = defaultdict(list)
        for h in system.hosts:
            tiers[h.tier].append(h)
        rows = []
        for tier, hosts in tiers.items():
            first = hosts[0]
            ports = sorted({p for h in hosts for p in h.ports})
            rows.append(
                (
                    Code(tier),
                    ", ".join(h.hostname for h in hosts),
                    f"{first.site} / {first.zone}",
                    first.image,
                    first.role,
                    ", ".join(ports) or "—",
                )
            )
        return tuple(rows)

    def _public(self, system: System) -> str:
        d = self.d
        published = [x for x in system.exposure if x in ("internet", "tslcd")]
        if not published:
            return str(d["no_public"])
        links = [
            f"{link.title}: {link.ipv4 or '—'} · {link.ipv6 or '—'}"
            for link in self.v.plan.links
            if link.site == system.site and link.kind in published
        ]
        return str(d["public"]).format(links="; ".join(links) or "—")

    # -- Part II: level proposal (Art 22.4) --------------------------------------------------------------------
    def _level(self, system: System) -> list[Block]:
        d, m, todo = self.d, self.m, self.todo
        cls = getattr(system, "classification", None)
        kinds = d["system_types"]
        info = d["information_types"]
        system_type = getattr(cls, "system_type", None)
        information = getattr(cls, "information", ()) or ()
        basis = getattr(cls, "basis", ()) or ()
        criteria_level = getattr(cls, "criteria_level", None)
        rows: list[Row] = [
            (d["proposed_level"], str(system.level)),
            (d["system_type"], kinds.get(system_type, system_type) if system_type else todo),
            (d["information"], ", ".join(info.get(x, x) for x in information) if information else todo),
            (d["criteria_level"], str(criteria_level) if criteria_level else todo),
            (d["legal_basis"], "; ".join(self._basis(c) for c in basis[:1]) if basis else todo),
        ]
        transition = getattr(system, "transition", None)
        if transition is not None:
            rows.append(
                (
                    d["transition"],
                    d["transition_text"].format(
                        level=transition.approved_level, baseline=transition.from_baseline, deadline=transition.deadline
                    ),
                )
            )
        blocks = [Block("h3", d["ii1"]), Block("table", head=(m["col"]["item"], m["col"]["value"]), rows=tuple(rows))]
        blocks.append(Block("h3", d["ii2"]))
        if basis:
            blocks.append(
                Block(
                    "table",
                    head=(d["criterion"], d["fact"], m["col"]["level"], d["legal_basis"]),
                    rows=tuple(
                        (
                            _t(c, "text", self.lang) if self.lang == "en" else (c.text_vi or c.text),
                            self._fact_value(c.fact, c.value),
                            str(c.level),
                            self._basis(c),
                        )
                        for c in basis
                    ),
                )
            )
        else:
            blocks.append(Block("p", d["criteria_missing"]))
        missing = getattr(cls, "missing", ()) or ()
        if missing:
            blocks.append(Block("note", d["facts_missing"].format(fields=", ".join(missing))))
        blocks.append(Block("h3", d["ii3"]))
        blocks.append(
            Block(
                "table",
                head=(d["element"], d["from_plan"], d["owner_completes"]),
                rows=self._risks(system, information),
            )
        )
        return blocks

    def _fact_value(self, fact: str, value: str) -> str:
        """A classification fact in the reader's language (the plan keeps the spec's value: true, online-service)."""
        if value in ("true", "false"):
            return str(self.m["common"]["yes" if value == "true" else "no"])
        if fact == "system_type":
            return str(self.d["system_types"].get(value, value))
        if fact == "information":
            return ", ".join(str(self.d["information_types"].get(x, x)) for x in value.split(", "))
        return value

    def _basis(self, criterion: Any) -> str:
        return str(criterion.basis if self.lang == "vi" else (criterion.basis_en or criterion.basis))

    def _risks(self, system: System, information: Iterable[str]) -> tuple[Row, ...]:
        d, todo = self.d, self.todo
        r = d["risk"]
        rows = self.v.compliance(system)
        met = sum(1 for x in rows if x.status == "pass")
        exposed = ", ".join(self.m["link_kind"].get(x, x) for x in system.exposure) or d["internal_only"]
        facts = getattr(system, "dossier", None)
        risks = (getattr(facts, "risks_vi", ()) if self.lang == "vi" else ()) or getattr(facts, "risks", ()) or ()
        info = ", ".join(d["information_types"].get(x, x) for x in information)
        return (
            (r["a"], r["a_plan"].format(hosts=len(system.hosts), tiers=len({h.tier for h in system.hosts})), todo),
            (r["b"], info or "—", "" if info else todo),
            (r["c"], r["c_plan"].format(exposure=exposed, flows=len(system.flows)), "; ".join(risks) or todo),
            (r["d"], "—", todo),
            (r["dd"], r["dd_plan"].format(met=met, total=len(rows)), todo),
            (r["e"], r["e_plan"], todo),
            (r["g"], "—", todo),
        )

    # -- Part III: the protection plan (Art 22.6, 29.2, 30.3-30.4) ---------------------------------------------
    def _plan(self, system: System) -> list[Block]:
        d, m = self.d, self.m
        rows = self.v.compliance(system)
        counts = {"met": 0, "partly": 0, "not": 0}
        for r in rows:
            counts[r.response] += 1
        blocks = [
            Block("h3", d["iii1"]),
            Block("table", head=(d["content"], d["from_plan"], d["owner_completes"]), rows=self._contents(system)),
            Block("h3", d["iii2"]),
            Block(
                "p",
                d["response_text"].format(
                    total=len(rows), met=counts["met"], partly=counts["partly"], no=counts["not"]
                ),
            ),
            Block("note", self._evidence_line(system)),
        ]
        by_group: dict[str, list[ControlRow]] = defaultdict(list)
        for r in rows:
            by_group[requirement_group(r.control.id)].append(r)
        head = (m["col"]["control"], m["col"]["requirement"], d["response"], d["how"], d["evidence_ref"])
        for kind in ("management", "technical"):
            blocks.append(Block("h3", d[f"{kind}_title"]))
            for group, title in d[f"{kind}_groups"].items():
                found = by_group.get(f"{kind}.{group}", [])
                blocks.append(Block("p", f"{title}"))
                if found:
                    rows_ = tuple(self._requirement(r) for r in found)
                    blocks.append(Block("table", head=head, rows=rows_, shared=True))
                else:
                    blocks.append(Block("p", d["group_empty"]))
        blocks.append(Block("note", m["dossier"]["unconfirmed_star"]))
        return blocks

    def _contents(self, system: System) -> tuple[Row, ...]:
        d, todo = self.d, self.todo
        c = d["contents"]
        uses = set(system.services)
        monitor = ", ".join(self.v.service_title(k, self.lang) for k in ("log", "monitoring") if k in uses) or "—"
        backup = self.v.service_title("backup", self.lang) if "backup" in uses else "—"
        return (
            (c["a"], c["a_plan"], todo),
            (c["b"], c["b_plan"], todo),
            (c["c"], c["c_plan"], todo),
            (c["d"], c["d_plan"], todo),
            (c["dd"], c["dd_plan"].format(services=monitor), todo),
            (c["e"], c["e_plan"].format(backup=backup, dr=system.dr_site or "—"), todo),
            (c["g"], c["g_plan"], todo),
        )

    def _evidence_line(self, system: System) -> str:
        e = self.m["evidence"]
        runs, oldest, hosts = self.v.evidence_runs(system)
        if not hosts:
            return str(e["none"]).format(total=len(system.hosts))
        age = self.v.age_days(oldest)
        when = e["age"].format(day=oldest, days=age, as_of=self.v.as_of) if age is not None and oldest else e["unknown"]
        return str(e["runs"]).format(hosts=hosts, total=len(system.hosts), runs=", ".join(runs) or "—", when=when)

    def _requirement(self, r: ControlRow) -> Row:
        row = self._requirement_rows.get(r.key)  # rows repeat from system to system: build each once
        if row is None:
            row = self._requirement_rows[r.key] = self._requirement_row(r)
        return row

    def _requirement_row(self, r: ControlRow) -> Row:
        d, m = self.d, self.m
        how = []
        for category, groups in self.v.enforcer_groups(r):
            names = "; ".join(f"{file} ({', '.join(symbols)})" for _, file, symbols in groups)
            how.append(f"{m['category'][category]} {names}")
        if r.flows:
            how.append(m["compliance"]["flows_rules"].format(flows=r.flows, rules=r.rules))
        evidence = [m["status"][r.status]]
        if r.hosts_pass or r.hosts_fail:
            evidence.append(m["compliance"]["hosts"].format(passed=r.hosts_pass, failed=r.hosts_fail, total=r.hosts))
        if r.manual:
            evidence.append(f"{m['compliance']['manual']}: {r.manual[self.lang]}")
        title = r.control.title_vi if self.lang == "vi" else r.control.title
        return (
            Code(r.control.id + ("" if r.confirmed else " *")),
            f"{title} ({control_source(r.control, self.lang)})",
            str(d["responses"][r.response]),
            " · ".join(how) or str(m["compliance"]["nothing"]),
            "; ".join(evidence),
        )

    # -- levels 4-5 (Art 22.5, 30.5.b, 30.8-30.9) --------------------------------------------------------------
    def _high_levels(self, system: System) -> list[Block]:
        d, todo = self.d, self.todo
        h = d["high"]
        azs = sorted({h_.availability_zone for h_ in system.hosts})
        separation = h["separation_l5"] if system.level >= 5 else h["separation_l34"]
        return [
            Block(
                "table",
                head=(d["element"], d["from_plan"], d["owner_completes"]),
                rows=(
                    (h["risk"], "—", todo),
                    (
                        h["availability"],
                        h["availability_plan"].format(azs=", ".join(azs) or "—", dr=system.dr_site or "—"),
                        todo,
                    ),
                    (h["separation"], separation, todo),
                    (h["opinion"], "—", todo),
                ),
            ),
        ]

    def _signatures(self, level: int) -> list[Block]:
        d = self.d
        rows = [(d["sign_operator"], "", ""), (d["sign_appraiser"], "", ""), (d["sign_owner"], "", "")]
        return [
            Block("h2", d["signatures"]),
            Block("table", head=(d["sign_role"], d["sign_name"], d["sign_date"]), rows=tuple(rows)),
        ]


def combined_groups(tenant: Tenant) -> list[System]:
    """The systems of a tenant that go into its combined level 1-2 dossier (none when it has fewer than two)."""
    small = [s for s in tenant.systems if s.level <= COMBINED_MAX_LEVEL]
    return small if len(small) >= 2 else []


def combined_path(tenant: Tenant) -> str:
    """The page of a tenant's combined dossier (no system anchor has this form: anchors hold "--")."""
    return f"dossier/{tenant.name}.combined"
