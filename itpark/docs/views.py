"""Language-neutral views of the plan for the templates: grouping and lookups only, never new decisions."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from itpark.catalog import Baseline, Control, resolve_baseline
from itpark.docs.enforcement import Enforcement, Enforcer
from itpark.docs.evidence import run_id, taken_date
from itpark.plan.flows import service_catalog
from itpark.plan.model import Flow, LedgerEntry, Plan, Site, Subnet, System, Tenant

# Evidence status of a control for one system. "pass" (met) only when every host of the system has passing
# evidence for it and no documentary part is outstanding; "partly" when some hosts lack it (n/N) or documents are
# still due; "document" when no role can ever observe it, so only documents can show it is met.
CATEGORIES = ("enforce", "check", "document")
STATUSES = ("pass", "partly", "fail", "not_checked", "document")


@dataclass(frozen=True)
class Endpoint:
    kind: str  # zone | service | sites | operators | link
    name: str  # zone name, service kind, link kind, or ""
    owner: str  # "<tenant>/<system>" for a zone, the site for a service, "" otherwise


def endpoint(text: str) -> Endpoint:
    kind, _, rest = text.partition(":")
    if kind == "zone":
        owner, _, zone = rest.rpartition("/")
        return Endpoint("zone", zone, owner)
    if kind == "service":
        name, _, site = rest.partition("@")
        return Endpoint("service", name, site)
    if kind == "link":
        return Endpoint("link", rest, "")
    return Endpoint(kind, rest, "")


def system_anchor(system: System) -> str:
    return system.key.replace("/", "--")


@dataclass(frozen=True)
class ControlRow:
    control: Control
    min_level: int
    confirmed: bool
    enforcers: tuple[Enforcer, ...]
    flows: int  # flows of this system that serve the control
    rules: int  # security-group rules those flows produced
    status: str
    hosts_pass: int
    hosts_fail: int
    hosts: int
    manual: Mapping[str, str]  # the documentary part still due, {lang: text}; empty when there is none

    @property
    def response(self) -> str:
        """The dossier's per-requirement answer: met, partly or not (met)."""
        return {"pass": "met", "partly": "partly"}.get(self.status, "not")

    @property
    def key(self) -> tuple[str, int, bool, int, int, str, int, int, int]:
        """Everything that sets the row's text: enforcers and manual evidence follow from the control id."""
        return (
            self.control.id,
            self.min_level,
            self.confirmed,
            self.flows,
            self.rules,
            self.status,
            self.hosts_pass,
            self.hosts_fail,
            self.hosts,
        )


@dataclass(frozen=True)
class MatrixCell:
    out: tuple[str, ...]  # ports from the row endpoint to the column one
    back: tuple[str, ...]  # ports from the column endpoint to the row one
    systems: int


class Views:
    """Everything the templates show, computed once per plan and shared by both languages."""

    def __init__(
        self,
        plan: Plan,
        enforcement: Enforcement,
        evidence: Mapping[str, Mapping[str, Any]],
        as_of: date | None = None,
        version: str = "",
    ) -> None:
        self.plan = plan
        self.as_of = as_of if as_of is not None else newest_evidence(evidence)
        self.version = version  # the plan hash the running header shows
        self.baseline: Baseline = resolve_baseline(plan.baseline.id)
        self.enforcement = enforcement
        self.evidence = evidence
        self.services_info = service_catalog()
        self.zone_order = tuple(self.baseline.zone_descriptions)
        self.service_order = tuple(self.services_info)
        self.catalog = {c.id: c for c in self.baseline.controls}
        self.systems = [s for t in plan.tenants for s in t.systems]
        self._compliance: dict[str, list[ControlRow]] = {}
        self._groups: dict[str, list[tuple[str, list[tuple[str, str, list[str]]]]]] = {}
        self._matrices: dict[str, tuple[dict[tuple[str, str], MatrixCell], dict[tuple[str, str], MatrixCell]]] = {}

    # -- overview --------------------------------------------------------------------------------------------
    def systems_by_level(self) -> list[tuple[int, int]]:
        return sorted(Counter(s.level for s in self.systems).items())

    def totals(self) -> dict[str, int]:
        groups = self.plan.all_security_groups()
        return {
            "tenants": len(self.plan.tenants),
            "systems": len(self.systems),
            "hosts": len(self.plan.all_hosts()),
            "zones": sum(len(s.zones) for s in self.systems),
            "security_groups": len(groups),
            "rules": sum(len(g.rules) for g in groups),
            "flows": len(self.plan.all_flows()),
            "controls": sum(len(s.controls) for s in self.systems),
        }

    def tenants_by_level(self) -> list[tuple[int, list[tuple[Tenant, System]]]]:
        grouped: dict[int, list[tuple[Tenant, System]]] = defaultdict(list)
        for tenant in self.plan.tenants:
            for system in tenant.systems:
                grouped[system.level].append((tenant, system))
        return sorted(grouped.items())

    def service_title(self, kind: str, lang: str) -> str:
        info = self.services_info.get(kind)
        if info is None:
            return kind
        return info.title_vi if lang == "vi" else info.title

    # -- addresses -------------------------------------------------------------------------------------------
    def space(self, site: Site) -> Any:
        return next(u for u in self.plan.address_space if u.site == site.id)

    def site_blocks(self, site: Site) -> list[LedgerEntry]:
        return [e for e in self.plan.ledger if e.key.startswith(f"{site.id}/")]

    def site_routers(self, site: Site) -> list[LedgerEntry]:
        return [e for e in self.plan.ledger if e.key.startswith(f"router:{site.id}/")]

    def retired_hosts(self) -> list[LedgerEntry]:
        return [e for e in self.plan.ledger if e.key.startswith("host:") and e.state == "retired"]

    def site_zones(self, site: Site) -> list[tuple[System, Subnet, int, bool]]:
        """(system, subnet, pinned hosts, is DR) for every tenant zone at the site."""
        rows = []
        for system in self.systems:
            hosts = Counter(h.network for h in system.hosts)
            if system.site == site.id:
                rows += [(system, z, hosts[z.name], False) for z in system.zones]
            if system.dr_site == site.id:
                rows += [(system, z, 0, True) for z in system.dr_zones]
        return rows

    # -- flows -----------------------------------------------------------------------------------------------
    def matrices(
        self, flows: Iterable[Flow]
    ) -> tuple[dict[tuple[str, str], MatrixCell], dict[tuple[str, str], MatrixCell]]:
        """Zone x zone and zone x service, by zone name (and service kind); ports merged across systems."""
        zz: dict[tuple[str, str], tuple[set[str], set[str], set[str]]] = defaultdict(lambda: (set(), set(), set()))
        zs: dict[tuple[str, str], tuple[set[str], set[str], set[str]]] = defaultdict(lambda: (set(), set(), set()))
        for flow in flows:
            src, dst = endpoint(flow.source), endpoint(flow.destination)
            owner = f"{flow.tenant}/{flow.system}"
            if src.kind == "zone" and dst.kind == "zone":
                cell = zz[(src.name, dst.name)]
                cell[0].update(flow.ports)
                cell[2].add(owner)
            elif src.kind == "zone" and dst.kind == "service":
                cell = zs[(src.name, dst.name)]
                cell[0].update(flow.ports)
                cell[2].add(owner)
            elif src.kind == "service" and dst.kind == "zone":
                cell = zs[(dst.name, src.name)]
                cell[1].update(flow.ports)
                cell[2].add(owner)
        return _cells(zz), _cells(zs)

    def system_matrices(
        self, system: System
    ) -> tuple[dict[tuple[str, str], MatrixCell], dict[tuple[str, str], MatrixCell]]:
        """`matrices` of one system's flows, made once for every language and format."""
        if system.key not in self._matrices:
            self._matrices[system.key] = self.matrices(system.flows)
        return self._matrices[system.key]

    def park_matrices(self) -> tuple[dict[tuple[str, str], MatrixCell], dict[tuple[str, str], MatrixCell]]:
        """`matrices` of every tenant flow of the park."""
        if "" not in self._matrices:  # no system key is empty
            self._matrices[""] = self.matrices(self.tenant_flows())
        return self._matrices[""]

    def tenant_flows(self) -> list[Flow]:
        return [f for s in self.systems for f in s.flows]

    def park_flows(self) -> list[Flow]:
        return [f for s in self.plan.services for f in s.flows]

    def matrix_zones(self, cells: Mapping[tuple[str, str], MatrixCell], axis: int) -> list[str]:
        present = {k[axis] for k in cells}
        order = self.zone_order if axis == 0 or all(p in self.zone_order for p in present) else self.service_order
        return [z for z in order if z in present] + sorted(present - set(order))

    # -- compliance ------------------------------------------------------------------------------------------
    def compliance(self, system: System) -> list[ControlRow]:
        if system.key not in self._compliance:
            self._compliance[system.key] = self._rows(system)
        return self._compliance[system.key]

    def enforcer_groups(self, row: ControlRow) -> list[tuple[str, list[tuple[str, str, list[str]]]]]:
        """(category, [(kind, file, symbols)]) in the order enforce, check, document, with the symbols of one
        file together, for a compact matrix cell. The same for every system: made once per control."""
        found = self._groups.get(row.control.id)
        if found is None:
            found = self._groups[row.control.id] = self._enforcer_groups(row)
        return found

    def _enforcer_groups(self, row: ControlRow) -> list[tuple[str, list[tuple[str, str, list[str]]]]]:
        groups: dict[str, dict[tuple[str, str], list[str]]] = {c: {} for c in CATEGORIES}
        for e in row.enforcers:
            groups[e.category].setdefault((e.kind, e.file), []).append(e.symbol)
        return [
            (category, [(kind, file, symbols) for (kind, file), symbols in found.items()])
            for category, found in groups.items()
            if found
        ]

    def _rows(self, system: System) -> list[ControlRow]:
        rows = []
        flows_by_control: dict[str, list[Flow]] = defaultdict(list)
        for flow in system.flows:
            for control_id in flow.controls:
                flows_by_control[control_id].append(flow)
        rules_by_flow = Counter(r.flow for g in system.security_groups for r in g.rules)
        evidence = [self.evidence.get(h.name) for h in system.hosts]
        for ref in system.controls:
            control = self.catalog[ref.id]
            results = [e["controls"][ref.id]["status"] for e in evidence if e and ref.id in e.get("controls", {})]
            passed, failed = results.count("pass"), len(results) - results.count("pass")
            manual = self.enforcement.manual.get(ref.id, {})
            checkable = bool(results) or self.enforcement.checkable(ref.id)
            status = evidence_status(passed, failed, len(system.hosts), checkable, bool(manual))
            flows = flows_by_control.get(ref.id, [])
            rows.append(
                ControlRow(
                    control=control,
                    min_level=ref.min_level,
                    confirmed=ref.confirmed,
                    enforcers=self.enforcement.enforcers(ref.id),
                    flows=len(flows),
                    rules=sum(rules_by_flow[f.id] for f in flows),
                    status=status,
                    hosts_pass=passed,
                    hosts_fail=failed,
                    hosts=len(system.hosts),
                    manual=manual,
                )
            )
        return rows

    def evidence_runs(self, system: System) -> tuple[tuple[str, ...], date | None, int]:
        """(run ids, the oldest day among them, hosts with evidence) of the system's hosts' evidence."""
        found = [self.evidence[h.name] for h in system.hosts if h.name in self.evidence]
        runs = tuple(sorted({run_id(e) for e in found if run_id(e)}))
        days = [d for d in (taken_date(e) for e in found) if d is not None]
        return runs, min(days) if days else None, len(found)

    def age_days(self, day: date | None) -> int | None:
        if day is None or self.as_of is None:
            return None
        return (self.as_of - day).days

    def status_counts(self, rows: Iterable[ControlRow]) -> dict[str, int]:
        counts = Counter(r.status for r in rows)
        return {s: counts[s] for s in STATUSES}


def evidence_status(passed: int, failed: int, hosts: int, checkable: bool, documents_due: bool) -> str:
    """A control is met only when every one of the system's hosts passed it and no documentary part is due."""
    if failed:
        return "fail"
    if passed and passed == hosts:
        return "partly" if documents_due else "pass"
    if passed:
        return "partly"
    return "not_checked" if checkable else "document"


def newest_evidence(evidence: Mapping[str, Mapping[str, Any]]) -> date | None:
    """The default as-of date: the day of the newest evidence, so a render depends only on its inputs."""
    days = [d for d in (taken_date(dict(e)) for e in evidence.values()) if d is not None]
    return max(days) if days else None


def _cells(raw: Mapping[tuple[str, str], tuple[set[str], set[str], set[str]]]) -> dict[tuple[str, str], MatrixCell]:
    return {k: MatrixCell(_ports(v[0]), _ports(v[1]), len(v[2])) for k, v in sorted(raw.items())}


def _ports(ports: Iterable[str]) -> tuple[str, ...]:
    def key(port: str) -> tuple[int, str]:
        number, _, proto = port.partition("/")
        return (int(number), proto) if number.isdigit() else (-1, port)

    return tuple(sorted(set(ports), key=key))


_CITE_WORDS = (
    ("Decree ", "Nghị định "),
    ("Circular ", "Thông tư "),
    ("Decision ", "Quyết định "),
    ("Law ", "Luật "),
    (" Art ", ", Điều "),
    ("Art ", "Điều "),
    (" -> ", " → "),
    ("(draft summary)", "(bản tóm tắt dự thảo)"),
)
_ENGLISH_ASIDE = re.compile(r" \([A-Za-z0-9 ]+\)")
_TRAILING_ENGLISH = re.compile(r"(?<=[\d)]) (?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*(?=;|$)")


def cite(text: str, lang: str) -> str:
    """A citation in the reader's language: "Decree 85/2016/NĐ-CP Art 15" is "Nghị định 85/2016/NĐ-CP, Điều 15"
    on a Vietnamese page, without the English descriptions some catalog sources carry."""
    if lang != "vi" or not text:
        return text
    for old, new in _CITE_WORDS:
        text = text.replace(old, new)
    return _ENGLISH_ASIDE.sub("", _TRAILING_ENGLISH.sub("", text))


def control_source(control: Control, lang: str) -> str:
    """A control's citations in the reader's language (`source_en` on English pages when the catalog has it)."""
    if lang != "vi":
        return str(getattr(control, "source_en", "") or control.source)
    return cite(control.source, lang)
