"""The flow matrix: flow templates from catalog data, expanded per system, turned into security-group rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ruamel.yaml import YAML

from itpark.plan.model import Flow, Rule
from itpark.spec.models import PortSpec

ANY = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class FlowTemplate:
    id: str
    source: str
    destination: str
    ports: str | tuple[str, ...]
    when: tuple[str, ...]
    controls: tuple[str, ...]
    description: str
    description_vi: str


@dataclass(frozen=True)
class ServiceInfo:
    ports: tuple[str, ...]
    title: str
    title_vi: str


@cache
def _data() -> dict:  # type: ignore[type-arg]
    text = resources.files("itpark.catalog").joinpath("flows.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)  # type: ignore[no-any-return]


@cache
def service_catalog() -> dict[str, ServiceInfo]:
    return {kind: ServiceInfo(tuple(v["ports"]), v["title"], v["title_vi"]) for kind, v in _data()["services"].items()}


@cache
def system_flow_templates() -> tuple[FlowTemplate, ...]:
    return tuple(
        FlowTemplate(
            id=t["id"],
            source=t["from"],
            destination=t["to"],
            ports=t["ports"] if isinstance(t["ports"], str) else tuple(t["ports"]),
            when=tuple(t["when"].split("|")),
            controls=tuple(t["controls"]),
            description=t["description"],
            description_vi=t["description_vi"],
        )
        for t in _data()["system_flows"]
    )


@cache
def parse_port(text: str) -> PortSpec:
    return PortSpec.parse(text)


def make_rules(direction: str, remotes: Sequence[str], ports: Iterable[str], flow: Flow) -> list[Rule]:
    rules = []
    word = "from" if direction == "ingress" else "to"
    parsed = [(text, parse_port(text)) for text in ports]
    for remote in remotes:
        family = "IPv6" if ":" in remote else "IPv4"
        for text, port in parsed:
            rules.append(
                Rule(
                    direction,  # type: ignore[arg-type]
                    family,  # type: ignore[arg-type]
                    port.protocol,
                    port.port_min,
                    port.port_max,
                    remote,
                    flow.id,
                    f"{flow.id}: {text} {word} {remote}",
                )
            )
    return rules


def sort_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    unique = {
        (r.direction, r.ethertype, r.protocol, r.port_min or 0, r.port_max or 0, r.remote_ip_prefix): r for r in rules
    }
    return tuple(unique[k] for k in sorted(unique))
