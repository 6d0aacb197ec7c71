"""The control catalog (project data) and baseline resolution.

Data model (itpark/catalog/controls.yaml):

- `instruments`: every legal text or standard cited, with its Vietnamese and English names, its `status`
  (`current`, `superseded` = no longer a basis for new dossiers, `unverified` = status not checked) and the
  confidence `tag` of what we know of its content (P primary text read, S secondary summary, U unverified).
- `baselines`: a named set of requirements. `tcvn-14423-2026` (Law 116/2025 + Decree 331/2026 + TCVN
  14423:2026) is the default; `tcvn-11930-2017` is `legacy` (systems approved under Decree 85/2016, in
  transition). A baseline carries its zone model by level, log retention by level and hardening `values` by
  level (each a `Value`, with the Ansible variable that enforces it, or none: left to the operator).
- `controls`: each control has, per baseline it belongs to, its `min_level`, its `citations` and its
  `confirmed` flag; `provider` says who provides it for a tenant system on the park platform.

`resolve_baseline(id)` gives a `Baseline` whose `Control`s carry the values of that baseline: `source` is the
Vietnamese citation text ("Nghị định 331/2026/NĐ-CP, Điều 22"), `source_en` the English one, `unverified` is
true when a citation is unverified or missing. A control absent from a baseline is not in its `controls`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from ruamel.yaml import YAML

Automation = Literal["network_design", "host_hardening", "shared_service", "documentation", "manual"]
Tag = Literal["P", "S", "U"]
Status = Literal["current", "superseded", "unverified"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Instrument(_Frozen):
    vi: str
    en: str
    status: Status
    tag: Tag
    note: str = ""


class Citation(_Frozen):
    """One resolved citation: `text_vi` is what documents print ("Nghị định 331/2026/NĐ-CP, Điều 22")."""

    instrument: str
    at: str  # Vietnamese: "Điều 22 khoản 6", "mục 5.12.2.2 b", or ""
    tag: Tag
    status: Status
    text_vi: str
    text_en: str

    @property
    def current(self) -> bool:
        """A current basis: the instrument is in force for new work."""
        return self.status == "current"


class Control(_Frozen):
    """A control as one baseline defines it."""

    id: str
    group: str
    title: str
    title_vi: str
    min_level: int = Field(ge=1, le=5)
    source: str  # the citations in Vietnamese, joined by "; "
    source_en: str = ""
    automatable_by: Automation
    confirmed: bool
    note: str = ""
    citations: tuple[Citation, ...] = ()
    unverified: bool = False
    provider: str = "system"  # "platform", "service:<kind>" or "system"
    applies_when: str | None = None  # e.g. "exposure:internet"


class BaselineEntry(_Frozen):
    """A control's definition in one baseline (YAML)."""

    min_level: int = Field(ge=1, le=5)
    confirmed: bool
    cite: list[list[str]] = Field(default_factory=list)
    note: str = ""
    title: str | None = None
    title_vi: str | None = None

    @field_validator("cite")
    @classmethod
    def _cite(cls, value: list[list[str]]) -> list[list[str]]:
        for item in value:
            if not 2 <= len(item) <= 3 or (len(item) == 3 and item[2] not in ("P", "S", "U")):
                raise ValueError(f"a citation is [instrument, where, tag?] with tag P, S or U, got {item}")
        return value


class ControlDef(_Frozen):
    id: str
    group: str
    title: str
    title_vi: str
    automatable_by: Automation
    provider: str = "system"
    applies_when: Literal["exposure:internet"] | None = None
    baselines: dict[str, BaselineEntry]


class Value(_Frozen):
    """A hardening value by level (password length, idle timeout, ...)."""

    control: str
    title: str
    title_vi: str
    by_level: dict[int, int]
    var: str | None = None  # the Ansible variable itpark writes; None: left to the operator
    stricter: Literal["higher", "lower"] = "higher"
    cite: list[list[str]] = Field(default_factory=list)
    citations: tuple[Citation, ...] = ()
    note: str = ""

    def stricter_than(self, new: int, old: int | None) -> bool:
        if old is None:
            return True
        return new > old if self.stricter == "higher" else new < old


class BaselineDef(_Frozen):
    title: str
    title_vi: str = ""
    basis: list[str] = Field(default_factory=list)
    legacy: bool = False
    successor: str | None = None
    zone_model_levels: dict[int, list[str]] | None = None
    log_retention_months: dict[int, int]
    values: dict[str, Value] = Field(default_factory=dict)
    confirmed: bool = False


class ZoneModel(_Frozen):
    note: str = ""
    zones: dict[str, str]
    levels: dict[int, list[str]]
    level_5_extra: str = ""
    confirmed: bool = False


class Catalog(_Frozen):
    catalog: str
    version: str
    default_baseline: str
    instruments: dict[str, Instrument]
    baselines: dict[str, BaselineDef]
    zone_model: ZoneModel
    controls: list[ControlDef]

    @model_validator(mode="after")
    def _references(self) -> Catalog:
        cites = [(c.id, x) for c in self.controls for e in c.baselines.values() for x in e.cite]
        cites += [(name, x) for b in self.baselines.values() for name, v in b.values.items() for x in v.cite]
        for owner, cite in cites:
            if cite[0] not in self.instruments:
                raise ValueError(f"{owner}: unknown instrument {cite[0]!r}")
        for control in self.controls:
            if unknown := set(control.baselines) - set(self.baselines):
                raise ValueError(f"{control.id}: unknown baselines {sorted(unknown)}")
        if self.default_baseline not in self.baselines or self.baselines[self.default_baseline].legacy:
            raise ValueError("the default baseline must exist and must not be legacy")
        return self


class Baseline(_Frozen):
    """A resolved baseline: the catalog's controls as this baseline defines them."""

    id: str
    title: str
    title_vi: str
    catalog: str
    version: str
    confirmed: bool
    legacy: bool
    successor: str | None
    basis: tuple[Citation, ...]
    zones_by_level: dict[int, tuple[str, ...]]
    zone_descriptions: dict[str, str]
    log_retention_months: dict[int, int]
    values: dict[str, Value]
    controls: tuple[Control, ...]

    def controls_for(self, level: int, exposure: tuple[str, ...] | None = None) -> tuple[Control, ...]:
        """Controls that apply at this level. Without `exposure`, conditional controls are left out."""
        return tuple(
            c
            for c in self.controls
            if c.min_level <= level
            and (c.applies_when is None or (exposure is not None and c.applies_when.split(":")[1] in exposure))
        )

    def zones_for(self, level: int) -> tuple[str, ...]:
        return self.zones_by_level[level]

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    def has(self, control_id: str) -> bool:
        return any(c.id == control_id for c in self.controls)

    def value(self, name: str, level: int) -> int | None:
        value = self.values.get(name)
        return None if value is None else value.by_level.get(level)


_EN_WORDS = (("Điều", "Art."), ("khoản", "cl."), ("điểm", "pt."), ("mục", "clause"), ("yêu cầu cấp độ", "level"))


def _english(at: str) -> str:
    for vi, en in _EN_WORDS:
        at = re.sub(rf"\b{vi}\b", en, at)
    return at


def cite(instruments: dict[str, Instrument], item: list[str]) -> Citation:
    """Resolve [instrument, where, tag?] into a Citation with its Vietnamese and English texts."""
    doc = instruments[item[0]]
    at = item[1]
    tag = item[2] if len(item) == 3 else doc.tag
    return Citation(
        instrument=item[0],
        at=at,
        tag=tag,  # type: ignore[arg-type]
        status=doc.status,
        text_vi=f"{doc.vi}, {at}" if at else doc.vi,
        text_en=f"{doc.en}, {_english(at)}" if at else doc.en,
    )


@cache
def load_catalog() -> Catalog:
    text = resources.files("itpark.catalog").joinpath("controls.yaml").read_text(encoding="utf-8")
    return Catalog.model_validate(YAML(typ="safe").load(text))


def _control(definition: ControlDef, entry: BaselineEntry, instruments: dict[str, Instrument]) -> Control:
    citations = tuple(cite(instruments, x) for x in entry.cite)
    unverified = not citations or any(c.tag == "U" or c.status == "unverified" for c in citations)
    return Control(
        id=definition.id,
        group=definition.group,
        title=entry.title or definition.title,
        title_vi=entry.title_vi or definition.title_vi,
        min_level=entry.min_level,
        source="; ".join(c.text_vi for c in citations) or "chưa xác minh được căn cứ",
        source_en="; ".join(c.text_en for c in citations) or "no verified basis",
        automatable_by=definition.automatable_by,
        confirmed=entry.confirmed,
        note=entry.note,
        citations=citations,
        unverified=unverified,
        provider=definition.provider,
        applies_when=definition.applies_when,
    )


@cache
def resolve_baseline(baseline_id: str) -> Baseline:
    catalog = load_catalog()
    if baseline_id not in catalog.baselines:
        known = ", ".join(sorted(catalog.baselines))
        raise KeyError(f"unknown baseline {baseline_id!r}; the catalog offers: {known}")
    definition = catalog.baselines[baseline_id]
    instruments = catalog.instruments
    controls = [
        _control(c, c.baselines[baseline_id], instruments) for c in catalog.controls if baseline_id in c.baselines
    ]
    zones = dict(catalog.zone_model.levels)
    zones.update(definition.zone_model_levels or {})
    values = {
        name: v.model_copy(update={"citations": tuple(cite(instruments, x) for x in v.cite)})
        for name, v in definition.values.items()
    }
    return Baseline(
        id=baseline_id,
        title=definition.title,
        title_vi=definition.title_vi or definition.title,
        catalog=catalog.catalog,
        version=catalog.version,
        confirmed=definition.confirmed,
        legacy=definition.legacy,
        successor=definition.successor,
        basis=tuple(cite(instruments, [x, ""]) for x in definition.basis),
        zones_by_level={level: tuple(z) for level, z in sorted(zones.items())},
        zone_descriptions=dict(catalog.zone_model.zones),
        log_retention_months=dict(definition.log_retention_months),
        values=values,
        controls=tuple(sorted(controls, key=lambda c: c.id)),
    )


def baseline_ids() -> list[str]:
    return sorted(load_catalog().baselines)


def default_baseline() -> str:
    return load_catalog().default_baseline
