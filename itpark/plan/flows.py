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
        )
        for t in _data()["system_flows"]
    )


@cache
def parse_port(text: str) -> PortSpec:
    return PortSpec.parse(text)


def ethertype(prefix: str) -> str:
    return "IPv6" if ":" in prefix else "IPv4"


def make_rules(direction: str, remotes: Sequence[str], ports: Iterable[str], flow: Flow) -> list[Rule]:
    rules = []
    for remote in remotes:
        for text in ports:
            port = parse_port(text)
            rules.append(
                Rule(
                    direction=direction,  # type: ignore[arg-type]
                    ethertype=ethertype(remote),  # type: ignore[arg-type]
                    protocol=port.protocol,
                    port_min=port.port_min,
                    port_max=port.port_max,
                    remote_ip_prefix=remote,
                    flow=flow.id,
                    description=f"{flow.id}: {text} {'from' if direction == 'ingress' else 'to'} {remote}",
                )
            )
    return rules


def sort_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    unique = {
        (r.direction, r.ethertype, r.protocol, r.port_min or 0, r.port_max or 0, r.remote_ip_prefix): r for r in rules
    }
    return tuple(unique[k] for k in sorted(unique))
