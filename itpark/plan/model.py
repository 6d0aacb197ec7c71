"""The plan: everything itpark decided, as frozen dataclasses. Shells (Pulumi, inventory, docs) only read it.

Addresses are strings in canonical netaddr form (CIDR for networks, bare address for hosts), so the plan
serialises to JSON byte-identically and shells need no address arithmetic of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, Literal, NamedTuple

SCHEMA_VERSION = 1

Direction = Literal["ingress", "egress"]
Ethertype = Literal["IPv4", "IPv6"]
Protocol = Literal["tcp", "udp", "icmp"]


class Rule(NamedTuple):
    """One security-group rule, exactly as the Network component registers it and nftables enforces it.

    A NamedTuple rather than a dataclass: large parks have hundreds of thousands of rules.
    """

    direction: Direction
    ethertype: Ethertype
    protocol: Protocol
    port_min: int | None
    port_max: int | None
    remote_ip_prefix: str
    flow: str  # id of the Flow that allowed it
    description: str


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    name: str  # unique in the park, e.g. "acme-erp-app" or "shared-dc1-dns"
    description: str
    site: str
    tenant: str | None  # None for a shared service's group
    system: str | None
    zone: str | None  # tenant zone, or None for a shared service
    service: str | None  # shared service kind, or None
    rules: tuple[Rule, ...]


class Flow(NamedTuple):
    """An allowed flow: who may open connections to whom, on which ports, and why."""

    id: str  # unique in the park
    source: str  # "zone:<tenant>/<system>/<zone>", "service:<kind>@<site>", "sites:<site>" or "link:<kind>"
    destination: str
    ports: tuple[str, ...]  # "443/tcp", "53/udp", "icmp"
    origin: Literal["mandatory", "exposure", "spec", "park"]
    controls: tuple[str, ...]  # catalog control ids this flow serves
    description: str
    tenant: str | None = None
    system: str | None = None
    description_vi: str = ""


class Mount(NamedTuple):
    """A filesystem on the host's system volume: logical volume `lv`, mounted at `path`."""

    path: str
    lv: str  # logical volume name in the volume group "itpark": "var_log_audit"
    size_gb: int
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Host:
    name: str  # inventory name, unique in the park: "web-01.erp.acme" or "dns-01.dc1.shared"
    hostname: str  # short host name: "web-01"
    fqdn: str
    site: str
    availability_zone: str
    tenant: str | None
    system: str | None
    service: str | None  # shared service kind for shared hosts
    tier: str
    role: str
    zone: str  # tenant zone, or "shared" for shared hosts
    network: str  # name of the network it is attached to
    security_group: str
    level: int  # security level of its system (shared hosts: the highest level they serve)
    flavor: str
    image: str
    volume_gb: int
    ipv4: str
    ipv6: str
    ports: tuple[str, ...]  # ports it serves
    # Separate filesystems for logs, audit trail, homes and temporary files (LOG-08, level 3+), on a system
    # volume of system_volume_gb (their sizes plus 1 GB for volume-group metadata); none and 0 below level 3.
    mounts: tuple[Mount, ...] = ()
    system_volume_gb: int = 0
    # Cinder availability zone of its volumes (the park's `defaults.volume_availability_zone`, else its own zone).
    volume_availability_zone: str = ""
    # Anti-affinity server group of its tier when the tier has two or more hosts ("" for none).
    server_group: str = ""


@dataclass(frozen=True, slots=True)
class Subnet:
    """A zone network of a system (or a shared service's network) at one site."""

    name: str  # network name, unique in the park
    zone: str
    site: str
    ipv4: str
    ipv6: str
    gateway_v4: str
    gateway_v6: str
    dhcp_v4: tuple[str, str]  # allocation pool for addresses itpark does not pin
    public: bool  # reachable from outside the park (only the WAF's network); tenant zones never are


@dataclass(frozen=True, slots=True)
class ControlRef:
    id: str
    min_level: int
    automatable_by: str
    confirmed: bool
    # who provides it for this system: "platform" (inherited from the park platform), "service:<kind>" (a shared
    # service the system uses) or "system" (the system and its owner)
    provider: str = "system"


@dataclass(frozen=True, slots=True)
class Criterion:
    """One classification fact and the level it implies (Decree 331 Art 11-15, Law 116 Art 8)."""

    fact: str  # spec field under `classification`, e.g. "administrative_procedures"
    value: str  # the fact as given, e.g. "true", "province-or-sector", "120000"
    level: int
    basis: str  # citation, Vietnamese form: "Nghị định 331/2026/NĐ-CP, Điều 13"
    basis_en: str
    text: str  # what the criterion says
    text_vi: str
    confirmed: bool  # False where the criterion comes from a secondary reading


@dataclass(frozen=True, slots=True)
class Classification:
    """The level a system declares, the level its facts imply (the highest criterion, Art 8.2) and why.

    criteria_level is None when no fact is given. `missing` lists the facts not given (spec field paths under
    the system), each also a warning of `itpark validate --warnings`."""

    declared_level: int
    criteria_level: int | None
    basis: tuple[Criterion, ...]  # every criterion the facts meet, highest level first
    missing: tuple[str, ...]
    system_type: str | None
    information: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DossierFacts:
    """Dossier facts from the spec (Decree 331 Art 22.3-22.4); `to_complete` names the empty ones."""

    purpose: str
    purpose_vi: str
    users: str
    users_vi: str
    user_count: int | None
    operator: str
    operator_vi: str
    operator_contact: str
    owner: str
    owner_contact: str
    risks: tuple[str, ...]
    risks_vi: tuple[str, ...]
    to_complete: tuple[str, ...]  # spec field paths under the system, e.g. "dossier.purpose"


@dataclass(frozen=True, slots=True)
class TransitionItem:
    """One thing a system approved under the old baseline must add by the deadline."""

    control: str
    kind: Literal["new", "now-applies", "stricter-value"]
    title: str
    title_vi: str
    old: str  # the old requirement or value ("" for a new control)
    new: str
    enforcement: Literal["enforce", "check", "document", "operator"]  # what itpark does about it
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Transition:
    """A system approved under a legacy baseline and what it must add to meet the current one."""

    from_baseline: str
    to_baseline: str
    approved_on: str  # ISO date
    decision: str
    approved_level: int
    deadline: str  # ISO date
    deadline_approximate: bool  # the texts give a period, not a date
    basis: str  # citation, Vietnamese form
    basis_en: str
    items: tuple[TransitionItem, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning about the spec (missing facts, dossier fields to complete). The plan keeps the field path; the
    line is looked up only when shown (`itpark validate --warnings`), so large parks plan fast."""

    file: str  # relative to the park directory: "park.yaml" or "tenants/<id>.yaml"
    tenant: str | None  # None for park.yaml
    loc: tuple[str | int, ...]  # field path, e.g. ("systems", 0, "classification")
    path: str  # the same, formatted: "systems[0].classification"
    message: str


@dataclass(frozen=True, slots=True)
class Quota:
    instances: int
    cores: int
    ram_mb: int
    volumes: int
    volume_gb: int
    floating_ips: int
    security_groups: int
    security_group_rules: int


@dataclass(frozen=True, slots=True)
class System:
    id: str
    key: str  # "<tenant>/<system>"
    title: str
    title_vi: str
    level: int
    site: str
    dr_site: str | None
    exposure: tuple[str, ...]  # subset of ("internet", "tslcd", "lgsp")
    services: tuple[str, ...]  # shared service kinds it uses (mandatory ones included)
    block_v4: str
    block_v6: str
    router: str  # name of the system's router; its gateway sits on the site's core network
    router_v4: str  # the router's fixed address on the core network (next hop for block_v4)
    router_v6: str
    dr_block_v4: str | None
    dr_block_v6: str | None
    zones: tuple[Subnet, ...]  # at the primary site, in zone-model order
    dr_zones: tuple[Subnet, ...]  # networks kept ready at the DR site (no hosts)
    hosts: tuple[Host, ...]
    security_groups: tuple[SecurityGroup, ...]
    flows: tuple[Flow, ...]
    controls: tuple[ControlRef, ...]  # every catalog control that applies at its level
    log_retention_months: int
    classification: Classification | None = None
    dossier: DossierFacts | None = None
    transition: Transition | None = None  # set when approved under a legacy baseline


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str  # tenant id = file name
    title: str
    title_vi: str
    kind: str
    owner: str
    contact: str
    source: str  # path of its YAML file, relative to the park directory
    decommission: bool
    quota: Quota
    systems: tuple[System, ...]


@dataclass(frozen=True, slots=True)
class Service:
    """One shared service at one site."""

    kind: str
    site: str
    subnet: Subnet
    hosts: tuple[Host, ...]
    ports: tuple[str, ...]
    security_group: SecurityGroup
    flows: tuple[Flow, ...]
    # A public service's network is routed by the edge router (its gateway); the shared router is attached to it
    # too, at this pinned address (ledger: router:<site>/shared-<kind>), for the way back into the park.
    core_port_v4: str = ""
    core_port_v6: str = ""
    # Ports of the link routers on this network (link id, IPv4, IPv6; ledger: router:<site>/link-<id>).
    link_ports: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    kind: str
    title: str
    site: str
    ipv4: str | None
    ipv6: str | None
    physical_network: str
    network_type: str = "flat"  # "flat" or "vlan"
    segmentation_id: int | None = None


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    title: str
    role: str
    availability_zones: tuple[str, ...]
    ipv4_supernet: str
    ipv6_prefix: str
    shared_v4: str  # block of the shared services
    shared_v6: str
    core_v4: str  # core (transit) network: system routers' gateways, routed by the park core
    core_v6: str
    core_physical_network: str = "physnet-core"  # the core is a provider VLAN network
    core_vlan: int = 0
    # The park's physical core router on the core network (first address): default route of every router,
    # inter-site transit. itpark.plan.routing gives it the routes it must carry.
    core_gateway_v4: str = ""
    core_gateway_v6: str = ""
    # The shared-services router's fixed address on the core network (in the ledger: router:<site>/shared).
    shared_router_v4: str = ""
    shared_router_v6: str = ""


@dataclass(frozen=True, slots=True)
class SpaceUse:
    """How much of a site's space is in use, retired (never reused) and free.

    IPv4 in addresses; IPv6 in /64 networks (the unit of every IPv6 subnet the plan makes).
    """

    site: str
    total: int
    active: int
    retired: int
    free: int
    ipv6_total_64: int
    ipv6_active_64: int
    ipv6_retired_64: int
    ipv6_free_64: int


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    key: str  # "<site>/shared", "<site>/<tenant>/<system>", "host:<inventory name>"
    ipv4: str
    ipv6: str
    state: Literal["active", "retired"]


@dataclass(frozen=True, slots=True)
class LedgerChanges:
    added: tuple[str, ...]
    retired: tuple[str, ...]
    reactivated: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.retired or self.reactivated)


@dataclass(frozen=True, slots=True)
class Baseline:
    id: str
    title: str
    catalog: str
    version: str
    confirmed: bool
    title_vi: str = ""
    legacy: bool = False
    basis: tuple[str, ...] = ()  # the instruments, Vietnamese form


@dataclass(frozen=True, slots=True)
class Platform:
    """The park platform as an information system ("park/platform"): information infrastructure serving many
    bodies (Decree 331 Art 9.2.c), level 3 at least (Art 13). Its controls are the ones tenant systems inherit
    (provider "platform") or get from its shared services ("service:<kind>")."""

    key: str  # "park/platform"
    title: str
    title_vi: str
    level: int
    classification: Classification
    services: tuple[str, ...]  # shared service kinds it runs
    hosts: tuple[str, ...]  # inventory names of the shared hosts
    controls: tuple[ControlRef, ...]
    dossier: DossierFacts
    serves: int  # number of tenant systems it serves


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """What a new server gets in its cloud-init user data (itpark.plan.bootstrap renders it)."""

    user: str
    ssh_keys: tuple[str, ...]
    ssh_ca: str
    mirror_signing_key: str
    ipv6_address_mode: str  # "dhcpv6-stateful": the plan pins IPv6 addresses, which SLAAC cannot honour


@dataclass(frozen=True, slots=True)
class ParkInfo:
    name: str
    title: str
    title_vi: str
    kind: str
    province: str
    operator: str
    domain: str
    operator_networks: tuple[str, ...]
    # park.yaml defaults.hardening: settings that can take a host off the network or need a reboot to undo
    # (-e 2, single, purges) only when true; the upstream of the park NTP servers
    disruptive: bool = False
    time_source: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    schema_version: int
    park: ParkInfo
    baseline: Baseline
    sites: tuple[Site, ...]
    links: tuple[Link, ...]
    services: tuple[Service, ...]
    tenants: tuple[Tenant, ...]
    ledger: tuple[LedgerEntry, ...]  # the whole ledger after this plan, sorted by key
    ledger_changes: LedgerChanges
    address_space: tuple[SpaceUse, ...]
    bootstrap: Bootstrap = Bootstrap("itpark", (), "", "", "dhcpv6-stateful")
    platform: Platform | None = None
    warnings: tuple[Notice, ...] = ()  # `itpark validate --warnings`: missing facts, dossier fields to complete

    def all_hosts(self) -> list[Host]:
        hosts = [h for s in self.services for h in s.hosts]
        hosts += [h for t in self.tenants for s in t.systems for h in s.hosts]
        return hosts

    def all_security_groups(self) -> list[SecurityGroup]:
        groups = [s.security_group for s in self.services]
        groups += [g for t in self.tenants for s in t.systems for g in s.security_groups]
        return groups

    def all_subnets(self) -> dict[str, Subnet]:
        """Every network of the plan by name: shared services', tenant zones' and their DR copies."""
        subnets = {s.subnet.name: s.subnet for s in self.services}
        for tenant in self.tenants:
            for system in tenant.systems:
                subnets.update((z.name, z) for z in (*system.zones, *system.dr_zones))
        return subnets

    def all_flows(self) -> list[Flow]:
        flows = [f for s in self.services for f in s.flows]
        flows += [f for t in self.tenants for s in t.systems for f in s.flows]
        return flows

    def tenant(self, name: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.name == name:
                return tenant
        raise KeyError(name)

    def service(self, kind: str, site: str | None = None) -> Service | None:
        for service in self.services:
            if service.kind == kind and (site is None or service.site == site):
                return service
        return None

    def to_jsonable(self) -> dict[str, Any]:
        return to_jsonable(self)  # type: ignore[no-any-return]


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts, tuples to lists; fast enough for plans of thousands of tenants."""
    fields_of = getattr(value, "_fields", None)
    if fields_of is not None:  # NamedTuple
        return {name: to_jsonable(v) for name, v in zip(fields_of, value, strict=True)}
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    names = _field_names(type(value)) if hasattr(value, "__dataclass_fields__") else None
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    return value


__all__ = [
    "SCHEMA_VERSION",
    "Baseline",
    "Bootstrap",
    "Classification",
    "ControlRef",
    "Criterion",
    "DossierFacts",
    "Flow",
    "Host",
    "LedgerChanges",
    "LedgerEntry",
    "Link",
    "Mount",
    "Notice",
    "ParkInfo",
    "Plan",
    "Platform",
    "Quota",
    "Rule",
    "SecurityGroup",
    "Service",
    "Site",
    "SpaceUse",
    "Subnet",
    "System",
    "Tenant",
    "Transition",
    "TransitionItem",
    "field",
    "to_jsonable",
]
