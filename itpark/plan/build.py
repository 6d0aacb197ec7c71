"""build_plan: the one place where itpark decides. Pure: spec + ledger in, Plan out, no I/O."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from netaddr import IPNetwork

from itpark.catalog import Baseline as CatalogBaseline
from itpark.catalog import resolve_baseline
from itpark.errors import Problem, SpecError
from itpark.gcpause import paused_gc
from itpark.plan import model as m
from itpark.plan.addressing import (
    DHCP_OFFSETS,
    ZONE_SLOTS,
    BlockAllocator,
    HostAllocator,
    HostIndex,
    address_at,
    slot,
)
from itpark.plan.book import Book
from itpark.plan.flows import ANY, make_rules, service_catalog, sort_rules, system_flow_templates
from itpark.plan.ledger import LEDGER_DIR, LEGACY_FILE, is_pinned, read_ledger
from itpark.plan.ledger_check import address_in, check_ledger, contested
from itpark.plan.levels import classify, control_refs, dossier_facts, platform_facts, platform_level, platform_system
from itpark.plan.quotas import Size, needs
from itpark.plan.transition import TransitionError, transition
from itpark.spec.checks import core_vlan
from itpark.spec.loader import LoadedPark, format_loc, load_park
from itpark.spec.models import Park, Quotas, ServiceKind
from itpark.spec.models import System as SystemSpec
from itpark.spec.models import Tenant as TenantSpec

SERVICE_SLOTS = tuple(k.value for k in ServiceKind)
CORE_SLOT_V6 = 255  # the core network is the last /64 of the shared /56
ZONE_BLOCK_V6 = 60  # a system's IPv6 block: 16 /64s, nibble-aligned for reverse DNS
INITIATING_SERVICES = {"bastion": "22/tcp", "monitoring": "9100/tcp"}  # services that open connections to hosts
HOST_BASE_FLOWS = ("dns", "ntp", "log")  # what every host (shared ones too) needs
STORAGE_CONTROL = "LOG-08"  # protect logs: from the level where it applies, hosts get separate filesystems
VG_METADATA_GB = 1  # room on the system volume for LVM metadata and extent rounding
# The plan pins every host's IPv6 address; only DHCPv6-stateful hands out a pinned address (SLAAC derives it from
# the MAC). Hosts' firewalls must then accept DHCPv6 replies (itpark.plan.bootstrap.HOST_FIREWALL_NEEDS).
IPV6_ADDRESS_MODE = "dhcpv6-stateful"
# Links other than the Internet reach one shared service each (TSLCD publishes through the WAF, NGSP/NDXP talks to
# the LGSP): a link router joins that service's network at a pinned address (itpark.plan.routing).
LINK_SERVICES = {"tslcd": "waf", "ngsp": "lgsp"}
ANTI_AFFINITY_MIN = 2  # a tier of this many hosts or more is spread over compute hosts by a server group


def plan_park(root: str | Path, reallocate: Iterable[str] = ()) -> m.Plan:
    """Load stacks/<park>/ and its ledger, verify the ledger, then plan. The only function here that reads files.

    `reallocate` names tenants whose colliding or moved entries are renumbered (`itpark allocate --reallocate`).
    """
    loaded = load_park(root)
    ledger = read_ledger(root)
    moving = frozenset(reallocate)
    for tenant in sorted(moving):
        for key in contested(ledger, tenant):  # a claim on someone else's space: dropped, not retired
            del ledger.entries[key]
    problems = check_ledger(loaded.park, ledger, root)
    if problems:
        raise SpecError(problems)
    if ledger.legacy:
        print(
            f"itpark: note: {Path(root) / LEGACY_FILE} is the old single-file ledger; "
            f"`itpark allocate {root}` splits it once into {LEDGER_DIR}/ (one file per tenant)",
            file=sys.stderr,
        )
    return build_plan(loaded, ledger.entries, moving)


def build_plan(
    loaded: LoadedPark, ledger: dict[str, m.LedgerEntry], reallocate: frozenset[str] = frozenset()
) -> m.Plan:
    with paused_gc():
        return _Planner(loaded, ledger, reallocate).run()


@dataclass
class _SiteSpace:
    site: m.Site
    v4: BlockAllocator
    v6: BlockAllocator


@dataclass
class _Endpoint:
    remotes: tuple[str, ...]
    group: list[m.Rule] | None = None  # rules of the SG this endpoint owns, if any


@dataclass
class _Planner:
    loaded: LoadedPark
    ledger: dict[str, m.LedgerEntry]
    reallocate: frozenset[str] = frozenset()
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.park: Park = self.loaded.park
        self.baseline: CatalogBaseline = resolve_baseline(self.park.baseline)
        self._storage_by_level: dict[int, dict[str, Any]] = {}
        self.book = Book(self.ledger)
        self.hosts_index = HostIndex(e.ipv4 for k, e in self.ledger.items() if is_pinned(k))
        self.addr = self.park.addressing
        self.offered = {s.kind.value for s in self.park.shared_services}
        self.links = {link.kind.value: link for link in self.park.external_links}
        self.serving: dict[tuple[str, str], str | None] = {}
        self.core_allocators: dict[str, dict[str, HostAllocator]] = defaultdict(dict)  # per site
        self.warnings: list[m.Notice] = []
        self.platform_classification = classify(platform_facts(self.park.platform.classification), 0)
        self.platform_level = platform_level(
            self.platform_classification,
            self.park.platform.level,
            [s.level for t in self.loaded.tenants.values() for s in t.systems],
        )
        self._check_platform_level()

    # -- entry ---------------------------------------------------------------------------------------------
    def run(self) -> m.Plan:
        spaces = self._sites()
        blocks = self._system_blocks(spaces)
        service_levels = self._service_levels()
        services = [self._service(spaces[site], kind, spec) for site, kind, spec in self._service_instances()]
        services_by_key = {(s.kind, s.site): s for s in services}
        tenants = [
            self._tenant(tid, spec, spaces, blocks, services_by_key) for tid, spec in self.loaded.tenants.items()
        ]
        # After the system routers, so a park allocated from scratch gets the same ledger as one that grew.
        spaces = {site_id: self._core_routers(space) for site_id, space in spaces.items()}
        if self.problems:
            raise SpecError(self.problems)
        services = [self._finish_service(s, service_levels, tenants, spaces) for s in services]
        platform = self._platform(services, tenants)
        ledger, changes = self.book.close()
        sites = tuple(space.site for space in spaces.values())
        return m.Plan(
            schema_version=m.SCHEMA_VERSION,
            park=m.ParkInfo(
                name=self.park.name,
                title=self.park.title,
                title_vi=self.park.title_vi,
                kind=self.park.kind,
                province=self.park.province,
                operator=self.park.operator,
                domain=self.park.domain,
                operator_networks=tuple(self.park.operator_networks),
                disruptive=self.park.defaults.hardening.disruptive,
                time_source=tuple(self.park.defaults.hardening.time_source),
            ),
            baseline=m.Baseline(
                self.baseline.id,
                self.baseline.title,
                self.baseline.catalog,
                self.baseline.version,
                self.baseline.confirmed,
                self.baseline.title_vi,
                self.baseline.legacy,
                tuple(c.text_vi for c in self.baseline.basis),
            ),
            sites=sites,
            links=tuple(
                m.Link(
                    link.id,
                    link.kind.value,
                    link.title,
                    link.site,
                    link.ipv4,
                    link.ipv6,
                    link.physical_network,
                    link.network_type,
                    link.segmentation_id,
                )
                for link in self.park.external_links
            ),
            services=tuple(services),
            tenants=tuple(tenants),
            ledger=ledger,
            ledger_changes=changes,
            address_space=tuple(_space_use(site, ledger) for site in sites),
            bootstrap=m.Bootstrap(
                user=self.park.bootstrap.user,
                ssh_keys=tuple(self.park.bootstrap.ssh_keys),
                ssh_ca=self.park.bootstrap.ssh_ca,
                mirror_signing_key=self.park.bootstrap.mirror_signing_key,
                ipv6_address_mode=IPV6_ADDRESS_MODE,
            ),
            platform=platform,
            warnings=tuple(self.warnings),
        )

    # -- sites, shared block, core ---------------------------------------------------------------------------
    def _sites(self) -> dict[str, _SiteSpace]:
        blocks = [(k, e) for k, e in self.ledger.items() if not is_pinned(k)]
        spaces = {}
        for index, site in enumerate(self.park.sites):
            supernet4, supernet6 = IPNetwork(site.ipv4_supernet), IPNetwork(site.ipv6_prefix)
            v4 = BlockAllocator(supernet4, (IPNetwork(e.ipv4) for _, e in blocks))
            v6 = BlockAllocator(supernet6, (IPNetwork(e.ipv6) for _, e in blocks))
            core4 = self._core_v4(site.id, v4)
            shared = self._block(f"{site.id}/shared", v4, v6, self.addr.shared_prefix_v4, self.addr.shared_prefix_v6)
            core = None
            if shared is not None and core4 is not None:
                core = self._block(
                    f"{site.id}/core",
                    v4,
                    v6,
                    self.addr.core_prefix_v4,
                    64,
                    v4_net=core4,
                    v6_net=slot(shared[1], 64, CORE_SLOT_V6),
                )
            if shared is None or core is None:
                self.problems.append(self.loaded.where(None, ("sites",), f"site {site.id}: supernet too small"))
                continue
            spaces[site.id] = _SiteSpace(
                m.Site(
                    id=site.id,
                    title=site.title,
                    role=site.role,
                    availability_zones=tuple(site.availability_zones),
                    ipv4_supernet=str(supernet4),
                    ipv6_prefix=str(supernet6),
                    shared_v4=str(shared[0]),
                    shared_v6=str(shared[1]),
                    core_v4=str(core[0]),
                    core_v6=str(core[1]),
                    core_physical_network=site.core_physical_network,
                    core_vlan=core_vlan(self.park, index),
                ),
                v4,
                v6,
            )
        if self.problems:
            raise SpecError(self.problems)
        return spaces

    def _block(
        self,
        key: str,
        v4: BlockAllocator,
        v6: BlockAllocator,
        len4: int,
        len6: int,
        v4_net: IPNetwork | None = None,
        v6_net: IPNetwork | None = None,
    ) -> tuple[IPNetwork, IPNetwork] | None:
        entry = self.book.get(key)
        if entry is not None:
            net4, net6 = IPNetwork(entry.ipv4), IPNetwork(entry.ipv6)
            if net4.prefixlen != len4:
                raise SpecError(
                    [
                        self.loaded.where(
                            None, ("addressing",), f"ledger holds {net4} for {key} but addressing asks /{len4}"
                        )
                    ]
                )
            return net4, net6
        net4 = v4_net if v4_net is not None else v4.take(len4)
        net6 = v6_net if v6_net is not None else v6.take(len6)
        if net4 is None or net6 is None:
            return None
        self.book.add(key, str(net4), str(net6))
        return net4, net6

    def _core_v4(self, site_id: str, v4: BlockAllocator) -> IPNetwork | None:
        """The core network comes first in a fresh site so the shared block packs right behind it."""
        entry = self.ledger.get(f"{site_id}/core")
        return IPNetwork(entry.ipv4) if entry is not None else v4.take(self.addr.core_prefix_v4)

    # -- system blocks, in sorted key order so file order never matters ---------------------------------------
    def _system_blocks(self, spaces: dict[str, _SiteSpace]) -> dict[str, tuple[IPNetwork, IPNetwork]]:
        len4 = self.addr.zone_prefix_v4 - 3  # 8 zone slots
        wanted = []
        for tenant_id, tenant in self.loaded.tenants.items():
            for index, system in enumerate(tenant.systems):
                sites = [("site", self._site_of(system))]
                if system.dr_site:
                    sites.append(("dr_site", system.dr_site))
                for field_name, site in sites:
                    wanted.append((f"{site}/{tenant_id}/{system.id}", site, tenant_id, index, field_name))
        blocks = {}
        for key, site, tenant_id, index, field_name in sorted(wanted):
            space = spaces[site]
            got = self._block(key, space.v4, space.v6, len4, ZONE_BLOCK_V6)
            if got is None:
                self.problems.append(
                    self.loaded.where(
                        tenant_id,
                        ("systems", index, field_name),
                        f"does not fit: site {site} ({space.site.ipv4_supernet}, {space.site.ipv6_prefix}) has no free "
                        f"/{len4} IPv4 + /{ZONE_BLOCK_V6} IPv6 block left; add a site or a larger supernet",
                    )
                )
                continue
            blocks[key] = got
        return blocks

    def _core_routers(self, space: _SiteSpace) -> _SiteSpace:
        """The physical core router (first address) and the shared router's pinned address on the site's core."""
        site = space.site
        core4, core6 = IPNetwork(site.core_v4), IPNetwork(site.core_v6)
        shared = self._pin(f"router:{site.id}/shared", core4, core6, self.core_allocators[site.id])
        if shared is None:
            self.problems.append(self.loaded.where(None, ("sites",), f"site {site.id}: core network {core4} is full"))
            shared = ("", "")
        site = replace(
            site,
            core_gateway_v4=address_at(core4, 1),
            core_gateway_v6=address_at(core6, 1),
            shared_router_v4=shared[0],
            shared_router_v6=shared[1],
        )
        return _SiteSpace(site, space.v4, space.v6)

    def _volume_zone(self, host_zone: str) -> str:
        """Cinder's zones often differ from Nova's (many clouds have only 'nova'): the park may name one."""
        return self.park.defaults.volume_availability_zone or host_zone

    def _site_of(self, system: SystemSpec) -> str:
        return system.site or self.park.sites[0].id

    # -- hosts -----------------------------------------------------------------------------------------------
    def _pin(
        self,
        key: str,
        net4: IPNetwork,
        net6: IPNetwork,
        allocators: dict[str, HostAllocator],
        owner: str | None = None,
        loc: tuple[str | int, ...] = (),
    ) -> tuple[str, str] | None:
        if key in self.book.used:  # two things planned under one ledger key: their names collide
            where = self.loaded.where(owner, loc, f"ledger key {key} is claimed twice: two names collide")
            self.problems.append(where)
            return "0.0.0.0", "::"  # never planned: the problem above stops the plan
        entry = self.book.get(key)
        if entry is not None:
            if address_in(entry.ipv4, str(net4)) and address_in(entry.ipv6, str(net6)):
                return entry.ipv4, entry.ipv6
            if owner not in self.reallocate or owner is None:
                self.problems.append(self._moved(key, entry, net4, owner, loc))
                return entry.ipv4, entry.ipv6
            self.book.move(key)  # the old address stays retired under `key#n`; a new one is pinned below
        allocator = allocators.get(str(net4))
        if allocator is None:
            allocator = allocators[str(net4)] = HostAllocator(net4, self.hosts_index.used_offsets(net4))
        offset = allocator.take()
        if offset is None:
            return None
        ipv4, ipv6 = address_at(net4, offset), address_at(net6, offset)
        self.book.add(key, ipv4, ipv6)
        return ipv4, ipv6

    def _moved(self, key: str, entry: m.LedgerEntry, net4: IPNetwork, owner: str | None, loc: tuple) -> Problem:  # type: ignore[type-arg]
        """A pinned address outside the subnet it now belongs in: refuse, naming the command that renumbers."""
        name = key.split(":", 1)[1]
        message = (
            f"{name} has {entry.ipv4} in the ledger, outside its subnet {net4} (its system moved to another site "
            f"or its tier to another zone); "
        )
        if owner is None:
            return self.loaded.where(None, ("shared_services",), message + "restore the ledger from git")
        return self.loaded.where(
            owner,
            loc,
            message + f"run `itpark allocate {self.loaded.root} --reallocate {owner}` to renumber it "
            "(the old address stays retired)",
        )

    # -- shared services ---------------------------------------------------------------------------------------
    def _service_instances(self) -> Iterable[tuple[str, str, object]]:
        for spec in sorted(self.park.shared_services, key=lambda s: (s.kind.value, s.site or "")):
            for site in self.park.sites:
                if spec.site in (None, site.id):
                    yield site.id, spec.kind.value, spec

    def _service_levels(self) -> dict[str, int]:
        levels: dict[str, int] = defaultdict(lambda: self.platform_level)  # shared hosts: the platform's level
        for tenant in self.loaded.tenants.values():
            for system in tenant.systems:
                site = self._site_of(system)
                levels[site] = max(levels[site], system.level)
        return levels

    def _service(self, space: _SiteSpace, kind: str, spec) -> m.Service:  # type: ignore[no-untyped-def]
        site = space.site
        index = SERVICE_SLOTS.index(kind)
        net4 = slot(IPNetwork(site.shared_v4), self.addr.service_prefix_v4, index)
        net6 = slot(IPNetwork(site.shared_v6), 64, index)
        name = f"shared-{site.id}-{kind}"
        subnet = _subnet(name, "shared", site.id, net4, net6, public=kind == "waf")
        allocators: dict[str, HostAllocator] = {}
        hosts = []
        ports = tuple(dict.fromkeys([*service_catalog()[kind].ports, *(str(p) for p in spec.ports)]))
        for number in range(1, spec.count + 1):
            hostname = f"{kind}-{number:02d}"
            inventory = f"{hostname}.{site.id}.shared"
            pinned = self._pin(f"host:{inventory}", net4, net6, allocators)
            if pinned is None:
                self.problems.append(
                    self.loaded.where(None, ("shared_services",), f"{kind}: too many hosts for {net4}")
                )
                continue
            hosts.append(
                m.Host(
                    name=inventory,
                    hostname=hostname,
                    fqdn=f"{hostname}.{site.id}.shared.{self.park.domain}",
                    site=site.id,
                    availability_zone=site.availability_zones[(number - 1) % len(site.availability_zones)],
                    tenant=None,
                    system=None,
                    service=kind,
                    tier=kind,
                    role=kind,
                    zone="shared",
                    network=name,
                    security_group=name,
                    level=1,
                    flavor=spec.flavor,
                    image=spec.image,
                    volume_gb=spec.volume_gb,
                    ipv4=pinned[0],
                    ipv6=pinned[1],
                    ports=ports,
                    volume_availability_zone=self._volume_zone(
                        site.availability_zones[(number - 1) % len(site.availability_zones)]
                    ),
                    server_group=f"shared-{site.id}-{kind}" if spec.count >= ANTI_AFFINITY_MIN else "",
                )
            )
        group = m.SecurityGroup(name, f"shared service {kind} at {site.id}", site.id, None, None, None, kind, ())
        port = ("", "")
        if subnet.public:
            port = self._pin(f"router:{site.id}/shared-{kind}", net4, net6, allocators) or port
        link_ports = []
        for link in self.park.external_links:
            if LINK_SERVICES.get(link.kind.value) == kind and link.site == site.id:
                pinned = self._pin(f"router:{site.id}/link-{link.id}", net4, net6, allocators)
                if pinned is not None:
                    link_ports.append((link.id, pinned[0], pinned[1]))
        return m.Service(kind, site.id, subnet, tuple(hosts), ports, group, (), port[0], port[1], tuple(link_ports))

    def _finish_service(
        self, service: m.Service, levels: dict[str, int], tenants: list[m.Tenant], spaces: dict[str, _SiteSpace]
    ) -> m.Service:
        """Levels and the park-level flows of a shared service, now that every tenant is planned."""
        site = spaces[service.site].site
        level = levels[service.site]
        hosts = tuple(replace(h, level=level, **self._storage(level)) for h in service.hosts)
        flows: list[m.Flow] = []
        rules: list[m.Rule] = []
        sites = [s.site for s in spaces.values()]
        tenant_space = tuple(x for s in sites for x in (s.ipv4_supernet, s.ipv6_prefix))

        def add(
            flow_id: str,
            source: str,
            destination: str,
            ports: Iterable[str],
            direction: str,
            remotes: tuple[str, ...],
            controls: tuple[str, ...],
            description: tuple[str, str],  # English, Vietnamese
        ) -> None:
            ports = tuple(ports)
            if not ports or not remotes:
                return
            flow = m.Flow(
                f"park/{service.kind}@{service.site}/{flow_id}",
                source,
                destination,
                ports,
                "park",
                controls,
                description[0],
                description_vi=description[1],
            )
            flows.append(flow)
            rules.extend(make_rules(direction, remotes, ports, flow))

        me = f"service:{service.kind}@{service.site}"
        if service.kind in INITIATING_SERVICES:
            add(
                "to-hosts",
                me,
                "sites:*",
                [INITIATING_SERVICES[service.kind]],
                "egress",
                tenant_space,
                ("NET-03",) if service.kind == "bastion" else ("LOG-07",),
                (f"{service.kind} reaches every host", f"{service.kind} truy cập mọi máy chủ"),
            )
        elif service.kind == "waf":
            published = sorted(
                {
                    p
                    for t in tenants
                    for s in t.systems
                    for f in s.flows
                    if f.id.endswith("/waf-to-dmz") or "/waf-to-dmz/" in f.id
                    for p in f.ports
                }
            )
            add(
                "to-dmz",
                me,
                "sites:*",
                published,
                "egress",
                tenant_space,
                ("NET-01", "NET-09"),
                (
                    "the WAF forwards to published DMZ tiers only",
                    "WAF chỉ chuyển tiếp tới các máy chủ công khai trong DMZ",
                ),
            )
            for kind in ("internet", "tslcd"):
                link = self.links.get(kind)
                if link is not None:
                    remotes = ANY if kind == "internet" else tuple(x for x in (link.ipv4, link.ipv6) if x)
                    add(
                        f"from-{kind}",
                        f"link:{kind}",
                        me,
                        service.ports,
                        "ingress",
                        remotes,
                        ("NET-06", "NET-09"),
                        (
                            f"published services reachable from {kind} only through the WAF",
                            f"dịch vụ công khai chỉ truy cập được từ {kind} qua WAF",
                        ),
                    )
        else:
            add(
                "from-tenants",
                "sites:*",
                me,
                service.ports,
                "ingress",
                tenant_space,
                _service_controls(service.kind),
                (
                    f"tenant hosts use the park {service.kind} service",
                    f"máy chủ của đơn vị thuê dùng dịch vụ {service.kind} của khu",
                ),
            )
        if service.kind == "bastion" and self.park.operator_networks:
            add(
                "from-operators",
                "operators",
                me,
                service.ports,
                "ingress",
                tuple(self.park.operator_networks),
                ("NET-13",),
                (
                    "operators reach the bastion only from the admin VPN",
                    "quản trị viên chỉ truy cập bastion từ VPN quản trị",
                ),
            )
        if service.kind == "lgsp" and "ngsp" in self.links:
            link = self.links["ngsp"]
            add(
                "to-ngsp",
                me,
                "link:ngsp",
                ["443/tcp"],
                "egress",
                tuple(x for x in (link.ipv4, link.ipv6) if x),
                ("NET-18",),
                (
                    "the LGSP exchanges data with the national platform NGSP/NDXP",
                    "LGSP trao đổi dữ liệu với nền tảng quốc gia NGSP/NDXP",
                ),
            )
        # shared hosts are hosts too: administered from the bastion, scraped, and using DNS/NTP/log
        for kind, port in INITIATING_SERVICES.items():
            peer = self._service_subnet(sites, service.site, kind)
            if peer and kind != service.kind:
                add(
                    f"from-{kind}",
                    f"service:{kind}@{service.site}",
                    me,
                    [port],
                    "ingress",
                    peer,
                    ("NET-03",) if kind == "bastion" else ("LOG-07",),
                    (f"{kind} reaches this service's hosts", f"{kind} truy cập các máy chủ của dịch vụ này"),
                )
        for kind in HOST_BASE_FLOWS:
            peer = self._service_subnet(sites, service.site, kind)
            if peer and kind != service.kind:
                add(
                    f"to-{kind}",
                    me,
                    f"service:{kind}@{service.site}",
                    service_catalog()[kind].ports,
                    "egress",
                    peer,
                    _service_controls(kind),
                    (f"this service's hosts use the park {kind}", f"máy chủ của dịch vụ này dùng {kind} của khu"),
                )
        group = m.SecurityGroup(
            service.security_group.name,
            service.security_group.description,
            site.id,
            None,
            None,
            None,
            service.kind,
            sort_rules(rules),
        )
        return replace(service, hosts=hosts, security_group=group, flows=tuple(flows))

    def _service_subnet(self, sites: list[m.Site], site_id: str, kind: str) -> tuple[str, ...]:
        if kind not in self.offered:
            return ()
        chosen = self._serving_site(kind, site_id) or site_id
        site = next(s for s in sites if s.id == chosen)
        index = SERVICE_SLOTS.index(kind)
        return (
            str(slot(IPNetwork(site.shared_v4), self.addr.service_prefix_v4, index)),
            str(slot(IPNetwork(site.shared_v6), 64, index)),
        )

    def _serving_site(self, kind: str, site_id: str) -> str | None:
        """The site whose instance of `kind` serves hosts at `site_id`: its own if it has one, else the first."""
        key = (kind, site_id)
        if key not in self.serving:
            self.serving[key] = self._find_serving_site(kind, site_id)
        return self.serving[key]

    def _find_serving_site(self, kind: str, site_id: str) -> str | None:
        sites = [
            s.id
            for s in self.park.sites
            if any(x.kind.value == kind and x.site in (None, s.id) for x in self.park.shared_services)
        ]
        if not sites:
            return None
        return site_id if site_id in sites else sites[0]

    # -- tenants -------------------------------------------------------------------------------------------------
    def _tenant(
        self,
        tenant_id: str,
        spec: TenantSpec,
        spaces: dict[str, _SiteSpace],
        blocks: dict[str, tuple[IPNetwork, IPNetwork]],
        services: dict[tuple[str, str], m.Service],
    ) -> m.Tenant:
        quotas = spec.quotas or self.park.defaults.quotas
        systems = []
        for index, system in enumerate(spec.systems):
            planned = self._system(tenant_id, index, system, spaces, blocks, services)
            if planned is not None:
                systems.append(planned)
        self._check_quota(tenant_id, quotas, [h for s in systems for h in s.hosts])
        source = f"tenants/{os.path.basename(self.loaded.tenant_docs[tenant_id].file)}"
        return m.Tenant(
            name=tenant_id,
            title=spec.name,
            title_vi=spec.name_vi,
            kind=spec.kind,
            owner=spec.owner,
            contact=spec.contact,
            source=source,
            decommission=spec.decommission,
            quota=m.Quota(**quotas.model_dump()),
            systems=tuple(systems),
        )

    def _check_quota(self, tenant_id: str, quotas: Quotas, hosts: list[m.Host]) -> None:
        """The project quota must hold the tenant's hosts and volumes, or `pulumi up` fails half-way."""
        need = needs(hosts, {f.name: Size(f.vcpus, f.ram_mb) for f in self.park.flavors})
        what = {
            "instances": "hosts",
            "cores": "vCPUs (their flavors)",
            "ram_mb": "MB of RAM (their flavors)",
            "volumes": "volumes (data volumes and level 3+ system volumes)",
            "volume_gb": "GB of volumes (data volumes and level 3+ system volumes)",
        }
        for name, value in need.items():
            limit = getattr(quotas, name)
            if value > limit:
                message = f"quota {limit} is too small: the tenant's hosts need {value} {what[name]}"
                self.problems.append(self.loaded.where(tenant_id, ("quotas", name), message))

    def _system(
        self,
        tenant_id: str,
        index: int,
        spec: SystemSpec,
        spaces: dict[str, _SiteSpace],
        blocks: dict[str, tuple[IPNetwork, IPNetwork]],
        services: dict[tuple[str, str], m.Service],
    ) -> m.System | None:
        site_id = self._site_of(spec)
        key = f"{tenant_id}/{spec.id}"
        block = blocks.get(f"{site_id}/{key}")
        if block is None:
            return None
        zone_names = set(self.baseline.zones_for(spec.level)) | {t.zone.value for t in spec.tiers}
        zone_names = [z for z in ZONE_SLOTS if z in zone_names]
        prefix = f"{tenant_id}-{spec.id}"
        zones = {z: self._zone_subnet(prefix, z, site_id, block) for z in zone_names}
        dr = blocks.get(f"{spec.dr_site}/{key}") if spec.dr_site else None
        dr_zones = (
            tuple(self._zone_subnet(f"{prefix}-dr", z, spec.dr_site, dr) for z in zone_names)
            if dr and spec.dr_site
            else ()
        )
        space = spaces[site_id]
        core4, core6 = IPNetwork(space.site.core_v4), IPNetwork(space.site.core_v6)
        router = self._pin(
            f"router:{site_id}/{key}", core4, core6, self.core_allocators[site_id], tenant_id, ("systems", index)
        )
        if router is None:
            self.problems.append(
                self.loaded.where(
                    tenant_id, ("systems", index), f"does not fit: core network {core4} of site {site_id} is full"
                )
            )
            return None
        used = {s.value for s in spec.services} | {s.value for s in self.park.defaults.mandatory_services}
        if spec.exposure.internet or spec.exposure.tslcd:
            used.add("waf")
        if spec.exposure.lgsp:
            used.add("lgsp")
        used = {u for u in used if u in self.offered}
        hosts = self._hosts(tenant_id, index, spec, zones, site_id, space)
        flows, rules = self._system_flows(tenant_id, spec, zones, used, site_id, services)
        groups = tuple(
            m.SecurityGroup(
                name=f"{prefix}-{z}",
                description=f"{key} zone {z} (level {spec.level})",
                site=site_id,
                tenant=tenant_id,
                system=spec.id,
                zone=z,
                service=None,
                rules=sort_rules(rules[z]),
            )
            for z in zone_names
        )
        exposure = tuple(x for x in ("internet", "tslcd", "lgsp") if getattr(spec.exposure, x))
        tenant = self.loaded.tenants[tenant_id]
        classification = classify(spec.classification, spec.level)
        self._check_level(tenant_id, ("systems", index), spec, classification)
        dossier = dossier_facts(spec.dossier, tenant.owner, tenant.contact)
        self._warn_dossier(tenant_id, ("systems", index), dossier)
        return m.System(
            id=spec.id,
            key=key,
            title=spec.title,
            title_vi=spec.title_vi,
            level=spec.level,
            site=site_id,
            dr_site=spec.dr_site,
            exposure=exposure,
            services=tuple(sorted(used)),
            block_v4=str(block[0]),
            block_v6=str(block[1]),
            router=prefix,
            router_v4=router[0],
            router_v6=router[1],
            dr_block_v4=str(dr[0]) if dr else None,
            dr_block_v6=str(dr[1]) if dr else None,
            zones=tuple(zones.values()),
            dr_zones=dr_zones,
            hosts=hosts,
            security_groups=groups,
            flows=tuple(flows),
            controls=control_refs(self.baseline, spec.level, exposure, used),
            log_retention_months=self._retention(spec.level, exposure),
            classification=classification,
            dossier=dossier,
            transition=self._transition(tenant_id, index, spec, exposure),
        )

    # -- classification, dossier, transition, platform ---------------------------------------------------------
    def _warn(self, tenant_id: str | None, loc: tuple[str | int, ...], message: str) -> None:
        doc = self.loaded.park_doc if tenant_id is None else self.loaded.tenant_docs[tenant_id]
        file = "park.yaml" if tenant_id is None else f"tenants/{os.path.basename(doc.file)}"
        self.warnings.append(m.Notice(file, tenant_id, loc, format_loc(loc), message))

    def _check_level(
        self, tenant_id: str, loc: tuple[str | int, ...], spec: SystemSpec, found: m.Classification
    ) -> None:
        """A declared level below the criteria is an error, except for an approval made before Law 116 (it keeps
        its level, Law 116 Art 45.1: then a warning); missing facts are warnings."""
        if found.criteria_level is not None and spec.level < found.criteria_level:
            top = found.basis[0]
            message = (
                f"level {spec.level} is lower than the criteria imply: level {found.criteria_level} "
                f"({top.text}; {top.basis_en}; Law 116/2025/QH15 Art 8.2: the highest criterion applies)"
            )
            approval = spec.approval
            if approval is not None and approval.date.isoformat() < "2026-07-01":
                self._warn(
                    tenant_id,
                    (*loc, "level"),
                    message + "; approved before 01/07/2026, it keeps its level (Law 116 Art 45.1) until re-classified",
                )
            else:
                self.problems.append(self.loaded.where(tenant_id, (*loc, "level"), message))
        if spec.classification is None:
            self._warn(
                tenant_id,
                loc,
                "no classification facts (Decree 331/2026 Art 9, 11-15): the level is not checked against the criteria",
            )
        elif found.missing:
            names = ", ".join(x.split(".", 1)[1] for x in found.missing)
            self._warn(tenant_id, (*loc, "classification"), f"facts missing (Decree 331/2026 Art 9, 11-15): {names}")

    def _warn_dossier(self, tenant_id: str | None, loc: tuple[str | int, ...], dossier: m.DossierFacts) -> None:
        if dossier.to_complete:
            names = ", ".join(x.split(".", 1)[1] for x in dossier.to_complete)
            self._warn(
                tenant_id, (*loc, "dossier"), f"dossier fields to be completed (Decree 331/2026 Art 22): {names}"
            )

    def _retention(self, level: int, exposure: tuple[str, ...]) -> int:
        """Months of logs to keep: the level's, and 12 for online services where LOG-09 applies (Decree 333 Art
        16.6)."""
        months = self.baseline.log_retention_months[level]
        if any(c.id == "LOG-09" for c in self.baseline.controls_for(level, exposure)):
            months = max(months, 12)
        return months

    def _transition(
        self, tenant_id: str, index: int, spec: SystemSpec, exposure: tuple[str, ...]
    ) -> m.Transition | None:
        if spec.approval is None:
            return None
        loc = ("systems", index, "approval")
        try:
            old = resolve_baseline(spec.approval.baseline)
            return transition(spec.approval, spec.level, exposure, self.baseline, old)
        except KeyError as err:
            self.problems.append(self.loaded.where(tenant_id, (*loc, "baseline"), str(err.args[0])))
        except TransitionError as err:
            self.problems.append(self.loaded.where(tenant_id, loc, str(err)))
        return None

    def _check_platform_level(self) -> None:
        declared = self.park.platform.level
        floor = max(3, self.platform_classification.criteria_level or 0)
        if declared is not None and declared < floor:
            self.problems.append(
                self.loaded.where(
                    None,
                    ("platform", "level"),
                    f"level {declared} is lower than the park platform's criteria imply: level {floor} (information "
                    "infrastructure serving many bodies, Decree 331/2026 Art 9.2.c and Art 13)",
                )
            )

    def _platform(self, services: list[m.Service], tenants: list[m.Tenant]) -> m.Platform:
        spec = self.park.platform
        dossier = dossier_facts(spec.dossier, self.park.operator, "")
        self._warn_dossier(None, ("platform",), dossier)
        exposure = ("internet",) if "internet" in self.links else ()
        return platform_system(
            title=spec.title,
            title_vi=spec.title_vi,
            classification=replace(self.platform_classification, declared_level=self.platform_level),
            level=self.platform_level,
            baseline=self.baseline,
            services=tuple(sorted({s.kind for s in services})),
            hosts=tuple(h.name for s in services for h in s.hosts),
            exposure=exposure,
            dossier=dossier,
            serves=sum(len(t.systems) for t in tenants),
        )

    def _zone_subnet(self, prefix: str, zone: str, site: str, block: tuple[IPNetwork, IPNetwork]) -> m.Subnet:
        index = ZONE_SLOTS.index(zone)
        net4 = slot(block[0], self.addr.zone_prefix_v4, index)
        net6 = slot(block[1], 64, index)
        return _subnet(f"{prefix}-{zone}", zone, site, net4, net6, public=False)

    def _storage(self, level: int) -> dict[str, Any]:
        """Mounts and system volume size of a host at this level (none where STORAGE_CONTROL does not apply)."""
        if level not in self._storage_by_level:
            mounts: tuple[m.Mount, ...] = ()
            if any(c.id == STORAGE_CONTROL for c in self.baseline.controls_for(level)):
                mounts = tuple(
                    m.Mount(x.path, x.path.strip("/").replace("/", "_"), x.size_gb, tuple(x.options))
                    for x in self.park.defaults.storage.mounts
                )
            size = sum(x.size_gb for x in mounts) + VG_METADATA_GB if mounts else 0
            self._storage_by_level[level] = {"mounts": mounts, "system_volume_gb": size}
        return self._storage_by_level[level]

    def _hosts(
        self, tenant_id: str, index: int, spec: SystemSpec, zones: dict[str, m.Subnet], site_id: str, space: _SiteSpace
    ) -> tuple[m.Host, ...]:
        hosts = []
        allocators: dict[str, HostAllocator] = {}
        azs = space.site.availability_zones
        nets = {z: (IPNetwork(s.ipv4), IPNetwork(s.ipv6)) for z, s in zones.items()}
        for tier_index, tier in enumerate(spec.tiers):
            subnet = zones[tier.zone.value]
            net4, net6 = nets[tier.zone.value]
            for number in range(1, tier.count + 1):
                hostname = f"{tier.name}-{number:02d}"
                inventory = f"{hostname}.{spec.id}.{tenant_id}"
                loc = ("systems", index, "tiers", tier_index)
                pinned = self._pin(f"host:{inventory}", net4, net6, allocators, tenant_id, loc)
                if pinned is None:
                    self.problems.append(
                        self.loaded.where(
                            tenant_id,
                            ("systems", index, "tiers", tier_index, "count"),
                            f"does not fit: zone {tier.zone.value} ({net4}) has no free address for {hostname}",
                        )
                    )
                    continue
                hosts.append(
                    m.Host(
                        name=inventory,
                        hostname=hostname,
                        fqdn=f"{inventory}.{self.park.domain}",
                        site=site_id,
                        availability_zone=azs[(number - 1) % len(azs)],
                        tenant=tenant_id,
                        system=spec.id,
                        service=None,
                        tier=tier.name,
                        role=tier.role or tier.name,
                        zone=tier.zone.value,
                        network=subnet.name,
                        security_group=subnet.name,
                        level=spec.level,
                        flavor=tier.flavor or self.park.defaults.flavor,
                        image=tier.image or self.park.defaults.image,
                        volume_gb=tier.volume_gb,
                        ipv4=pinned[0],
                        ipv6=pinned[1],
                        ports=tuple(str(p) for p in tier.ports),
                        **self._storage(spec.level),
                        volume_availability_zone=self._volume_zone(azs[(number - 1) % len(azs)]),
                        server_group=f"{tenant_id}-{spec.id}-{tier.name}" if tier.count >= ANTI_AFFINITY_MIN else "",
                    )
                )
        return tuple(hosts)

    # -- flows of one system ------------------------------------------------------------------------------------
    def _system_flows(
        self,
        tenant_id: str,
        spec: SystemSpec,
        zones: dict[str, m.Subnet],
        used: set[str],
        site_id: str,
        services: dict[tuple[str, str], m.Service],
    ) -> tuple[list[m.Flow], dict[str, list[m.Rule]]]:
        key = f"{tenant_id}/{spec.id}"
        rules: dict[str, list[m.Rule]] = {z: [] for z in zones}
        flows: list[m.Flow] = []
        exposure = {f"exposure:{x}" for x in ("internet", "tslcd", "lgsp") if getattr(spec.exposure, x)}
        dmz_ports = tuple(dict.fromkeys(str(p) for t in spec.tiers if t.zone.value == "dmz" for p in t.ports))

        def endpoint(text: str) -> list[tuple[str, str | None, tuple[str, ...]]]:
            """(label, zone or None, remotes) for each concrete end of a template/spec endpoint."""
            if text == "zones" or text.startswith("zones:"):
                wanted = zones if text == "zones" else [z for z in text.split(":", 1)[1].split(",") if z in zones]
                return [(f"zone:{key}/{z}", z, (zones[z].ipv4, zones[z].ipv6)) for z in wanted]
            if text.startswith("service:"):
                kind = text.split(":", 1)[1]
                serving = self._serving_site(kind, site_id)
                service = services.get((kind, serving)) if serving else None
                if service is None:
                    return []
                return [(f"service:{kind}@{serving}", None, (service.subnet.ipv4, service.subnet.ipv6))]
            return [(f"zone:{key}/{text}", text, (zones[text].ipv4, zones[text].ipv6))] if text in zones else []

        def emit(
            flow_id: str,
            template_ports: tuple[str, ...],
            source: str,
            destination: str,
            origin: str,
            controls: tuple[str, ...],
            description: tuple[str, str],  # English, Vietnamese
        ) -> None:
            for s_label, s_zone, s_remotes in endpoint(source):
                for d_label, d_zone, d_remotes in endpoint(destination):
                    suffix = "/".join(
                        x
                        for x in (
                            s_zone if source.startswith("zones") else None,
                            d_zone if destination.startswith("zones") else None,
                        )
                        if x
                    )
                    flow = m.Flow(
                        f"{key}/{flow_id}" + (f"/{suffix}" if suffix else ""),
                        s_label,
                        d_label,
                        template_ports,
                        origin,
                        controls,
                        description[0],
                        tenant_id,
                        spec.id,
                        description[1],
                    )  # type: ignore[arg-type]
                    flows.append(flow)
                    if d_zone is not None:
                        rules[d_zone].extend(make_rules("ingress", s_remotes, template_ports, flow))
                    if s_zone is not None:
                        rules[s_zone].extend(make_rules("egress", d_remotes, template_ports, flow))

        for template in system_flow_templates():
            conditions = set(template.when)
            active = "always" in conditions or any(
                (c.startswith("service:") and c.split(":", 1)[1] in used) or c in exposure for c in conditions
            )
            if not active:
                continue
            ports = dmz_ports if template.ports == "tiers:dmz" else template.ports
            if ports:
                emit(
                    template.id,
                    tuple(ports),
                    template.source,
                    template.destination,
                    "exposure" if template.when[0].startswith("exposure") else "mandatory",
                    template.controls,
                    (template.description, template.description_vi),
                )
        seen: dict[str, int] = defaultdict(int)
        for flow in spec.flows:
            base = f"{flow.from_}-to-{flow.to}".replace("service:", "")
            seen[base] += 1
            flow_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            emit(
                flow_id,
                tuple(str(p) for p in flow.ports),
                flow.from_,
                flow.to,
                "spec",
                ("NET-07",),
                (
                    flow.description or "declared in the tenant spec",
                    flow.description_vi or flow.description or "khai báo trong hồ sơ của đơn vị thuê",
                ),
            )
        return flows, rules


def _service_controls(kind: str) -> tuple[str, ...]:
    return {
        "dns": ("NET-16",),
        "ntp": ("LOG-02",),
        "log": ("LOG-01", "LOG-04", "LOG-08"),
        "backup": ("DATA-01",),
        "mirror": ("HOST-07",),
        "sso": ("APP-01",),
        "lgsp": ("NET-18",),
        "monitoring": ("LOG-07",),
    }.get(kind, ())


def _subnet(name: str, zone: str, site: str, net4: IPNetwork, net6: IPNetwork, public: bool) -> m.Subnet:
    return m.Subnet(
        name=name,
        zone=zone,
        site=site,
        ipv4=str(net4),
        ipv6=str(net6),
        gateway_v4=address_at(net4, 1),
        gateway_v6=address_at(net6, 1),
        dhcp_v4=(address_at(net4, DHCP_OFFSETS[0]), address_at(net4, DHCP_OFFSETS[1])),
        public=public,
    )


def _space_use(site: m.Site, ledger: tuple[m.LedgerEntry, ...]) -> m.SpaceUse:
    supernet4, supernet6 = IPNetwork(site.ipv4_supernet), IPNetwork(site.ipv6_prefix)
    used = {"active": [0, 0], "retired": [0, 0]}  # [IPv4 addresses, IPv6 /64s]
    for entry in ledger:
        if is_pinned(entry.key) or not entry.key.startswith(f"{site.id}/"):
            continue
        counts = used[entry.state]
        counts[0] += IPNetwork(entry.ipv4).size
        if not entry.key.endswith("/core"):  # the core /64 lies inside the shared block
            counts[1] += 1 << (64 - IPNetwork(entry.ipv6).prefixlen)
    total6 = 1 << (64 - supernet6.prefixlen)
    active, retired = used["active"], used["retired"]
    return m.SpaceUse(
        site=site.id,
        total=supernet4.size,
        active=active[0],
        retired=retired[0],
        free=supernet4.size - active[0] - retired[0],
        ipv6_total_64=total6,
        ipv6_active_64=active[1],
        ipv6_retired_64=retired[1],
        ipv6_free_64=total6 - active[1] - retired[1],
    )
