"""The control catalog (project data, seeded from the reference catalog) and baseline resolution.

A park names a baseline; the baseline may override controls' min_level and the zone model per level, so a
newer regulation is swapped in by data, not code.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

Automation = Literal["network_design", "host_hardening", "shared_service", "documentation", "manual"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Control(_Frozen):
    id: str
    group: str
    title: str
    title_vi: str
    min_level: int = Field(ge=1, le=5)
    source: str
    automatable_by: Automation
    confirmed: bool
    note: str = ""


class ControlOverride(_Frozen):
    min_level: int | None = Field(None, ge=1, le=5)
    note: str = ""


class BaselineDef(_Frozen):
    title: str
    overrides: dict[str, ControlOverride] = Field(default_factory=dict)
    zone_model_levels: dict[int, list[str]] | None = None
    confirmed: bool = False


class ZoneModel(_Frozen):
    note: str = ""
    zones: dict[str, str]
    levels: dict[int, list[str]]
    level_5_extra: str = ""
    confirmed: bool = False


class LogRetention(_Frozen):
    note: str = ""
    months: dict[int, int]


class Catalog(_Frozen):
    catalog: str
    version: str
    default_baseline: str
    baselines: dict[str, BaselineDef]
    zone_model: ZoneModel
    log_retention: LogRetention
    controls: list[Control]


class Baseline(_Frozen):
    """A resolved baseline: the catalog's controls with this baseline's overrides applied."""

    id: str
    title: str
    catalog: str
    version: str
    confirmed: bool
    zones_by_level: dict[int, tuple[str, ...]]
    zone_descriptions: dict[str, str]
    log_retention_months: dict[int, int]
    controls: tuple[Control, ...]

    def controls_for(self, level: int) -> tuple[Control, ...]:
        return tuple(c for c in self.controls if c.min_level <= level)

    def zones_for(self, level: int) -> tuple[str, ...]:
        return self.zones_by_level[level]

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)


@cache
def load_catalog() -> Catalog:
    text = resources.files("itpark.catalog").joinpath("controls.yaml").read_text(encoding="utf-8")
    return Catalog.model_validate(YAML(typ="safe").load(text))


@cache
def resolve_baseline(baseline_id: str) -> Baseline:
    catalog = load_catalog()
    if baseline_id not in catalog.baselines:
        known = ", ".join(sorted(catalog.baselines))
        raise KeyError(f"unknown baseline {baseline_id!r}; the catalog offers: {known}")
    definition = catalog.baselines[baseline_id]
    controls = []
    for control in catalog.controls:
        override = definition.overrides.get(control.id)
        if override and override.min_level is not None:
            note = "; ".join(x for x in (control.note, override.note) if x)
            control = control.model_copy(update={"min_level": override.min_level, "note": note})
        controls.append(control)
    zones = dict(catalog.zone_model.levels)
    zones.update(definition.zone_model_levels or {})
    return Baseline(
        id=baseline_id,
        title=definition.title,
        catalog=catalog.catalog,
        version=catalog.version,
        confirmed=definition.confirmed,
        zones_by_level={level: tuple(z) for level, z in sorted(zones.items())},
        zone_descriptions=dict(catalog.zone_model.zones),
        log_retention_months=dict(catalog.log_retention.months),
        controls=tuple(sorted(controls, key=lambda c: c.id)),
    )


def baseline_ids() -> list[str]:
    return sorted(load_catalog().baselines)
