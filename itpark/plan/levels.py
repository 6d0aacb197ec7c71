"""Levels from facts, dossier facts, who provides each control, and the park platform as a system. Pure.

- `classify(facts, level)`: the criteria level the classification facts imply (the highest criterion, Law 116
  Art 8.2), the criteria met with their basis (Decree 331 Art 11-15) and the facts missing. The criteria are
  data: itpark/catalog/criteria.yaml.
- `dossier_facts(spec, owner, contact)`: the dossier fields the plan cannot know, with those still empty.
- `control_refs(baseline, level, exposure, services)`: the controls that apply, each with its provider:
  "platform" (inherited), "service:<kind>" (a shared service the system uses) or "system".
- `platform(...)`: the park platform, "park/platform", level 3 at least.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

from itpark.catalog import Baseline, cite, load_catalog
from itpark.plan import model as m
from itpark.spec.classification import Classification, Dossier

PLATFORM_KEY = "park/platform"
PLATFORM_MIN_LEVEL = 3  # information infrastructure serving bodies of a province (Decree 331 Art 13.3)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Frozen):
    equals: Any = None
    in_: list[Any] | None = Field(None, alias="in")
    at_least: int | None = None
    contains: list[str] | None = None
    only: list[str] | None = None

    def holds(self, value: Any) -> bool:
        if value is None or value == []:
            return False
        if self.equals is not None and value != self.equals:
            return False
        if self.in_ is not None and value not in self.in_:
            return False
        if self.at_least is not None and not (isinstance(value, int) and value >= self.at_least):
            return False
        if self.contains is not None and not set(value) & set(self.contains):
            return False
        return self.only is None or set(value) <= set(self.only)


class CriterionRule(Condition):
    fact: str
    when: dict[str, Condition] = Field(default_factory=dict)
    level: int | str  # a level, or "assigned" (the fact's value)
    cite: list[str]
    text: str
    text_vi: str
    confirmed: bool = True


class Criteria(_Frozen):
    criteria: list[CriterionRule]
    required: dict[str, list[str]]
    platform_defaults: dict[str, Any]


@cache
def load_criteria() -> Criteria:
    text = resources.files("itpark.catalog").joinpath("criteria.yaml").read_text(encoding="utf-8")
    return Criteria.model_validate(YAML(typ="safe").load(text))


def classify(facts: Classification | None, declared: int) -> m.Classification:
    """The criteria level of a system from its facts, with the basis and the facts still missing."""
    criteria = load_criteria()
    values = facts.model_dump() if facts is not None else {}
    instruments = load_catalog().instruments
    met = []
    for rule in criteria.criteria:
        value = values.get(rule.fact)
        if not rule.holds(value) or not all(c.holds(values.get(f)) for f, c in rule.when.items()):
            continue
        level = value if rule.level == "assigned" else rule.level
        citation = cite(instruments, rule.cite)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value).lower()
        met.append(
            m.Criterion(
                rule.fact,
                shown,
                int(level),
                citation.text_vi,
                citation.text_en,
                rule.text,
                rule.text_vi,
                rule.confirmed and citation.tag == "P",
            )
        )
    met.sort(key=lambda c: -c.level)
    return m.Classification(
        declared_level=declared,
        criteria_level=met[0].level if met else None,
        basis=tuple(met),
        missing=tuple(f"classification.{f}" for f in _missing(values, criteria)),
        system_type=values.get("system_type"),
        information=tuple(values.get("information") or ()),
    )


def _missing(values: dict[str, Any], data: Criteria) -> list[str]:
    wanted = list(data.required["always"])
    kind = values.get("system_type")
    wanted += data.required.get(kind or "", [])
    return [f for f in dict.fromkeys(wanted) if values.get(f) is None or values.get(f) == []]


_DOSSIER_FIELDS = ("purpose", "users", "user_count", "operator", "owner_contact", "risks")


def dossier_facts(spec: Dossier | None, owner: str, contact: str) -> m.DossierFacts:
    """The dossier facts of a system (or the platform); `to_complete` lists the empty ones, in a fixed order."""
    d = spec or Dossier()
    owner_contact = d.owner_contact or contact
    given = {
        "purpose": d.purpose or d.purpose_vi,
        "users": d.users or d.users_vi,
        "user_count": d.user_count,
        "operator": d.operator or d.operator_vi,
        "owner_contact": owner_contact,
        "risks": d.risks or d.risks_vi,
    }
    return m.DossierFacts(
        purpose=d.purpose,
        purpose_vi=d.purpose_vi,
        users=d.users,
        users_vi=d.users_vi,
        user_count=d.user_count,
        operator=d.operator,
        operator_vi=d.operator_vi,
        operator_contact=d.operator_contact,
        owner=owner,
        owner_contact=owner_contact,
        risks=tuple(d.risks),
        risks_vi=tuple(d.risks_vi),
        to_complete=tuple(f"dossier.{f}" for f in _DOSSIER_FIELDS if given[f] in (None, "", [])),
    )


def provider_of(provider: str, services: tuple[str, ...] | set[str]) -> str:
    """Who provides a control for a system: a shared service only if the system uses it, else the system."""
    if provider.startswith("service:") and provider.split(":", 1)[1] not in services:
        return "system"
    return provider


def control_refs(
    baseline: Baseline, level: int, exposure: tuple[str, ...], services: tuple[str, ...] | set[str]
) -> tuple[m.ControlRef, ...]:
    return tuple(
        m.ControlRef(c.id, c.min_level, c.automatable_by, c.confirmed, provider_of(c.provider, services))
        for c in baseline.controls_for(level, exposure)
    )


def platform_facts(spec: Classification | None) -> Classification:
    """The platform's facts: park.yaml's, or the defaults for a park platform (Art 9.2.c, 13.3)."""
    return spec if spec is not None else Classification.model_validate(load_criteria().platform_defaults)


def platform_level(classification: m.Classification, declared: int | None, served_levels: list[int]) -> int:
    """At least level 3; at least the criteria level; and the highest level among the systems it serves (a
    shared component runs at the highest level among its users: secondary reading of practice)."""
    return max(PLATFORM_MIN_LEVEL, classification.criteria_level or 0, declared or 0, max(served_levels, default=0))


def platform_system(
    *,
    title: str,
    title_vi: str,
    classification: m.Classification,
    level: int,
    baseline: Baseline,
    services: tuple[str, ...],
    hosts: tuple[str, ...],
    exposure: tuple[str, ...],
    dossier: m.DossierFacts,
    serves: int,
) -> m.Platform:
    """The park platform: every control at its level; the ones tenants inherit are provided by the platform or
    its shared services, the rest by the park operator as owner of the platform system."""
    return m.Platform(
        key=PLATFORM_KEY,
        title=title,
        title_vi=title_vi,
        level=level,
        classification=classification,
        services=services,
        hosts=hosts,
        controls=control_refs(baseline, level, exposure, set(services)),
        dossier=dossier,
        serves=serves,
    )
