"""Rules that span fields or files: unique ids, supernets, references between tenants and the park."""

from __future__ import annotations

from collections.abc import Iterable

from netaddr import IPNetwork, IPSet

from itpark.catalog import baseline_ids
from itpark.errors import Problem, SpecError
from itpark.spec.loader import LoadedPark, Loc, format_loc
from itpark.spec.models import Addressing, LinkKind, Park, ServiceKind, Zone
from itpark.spec.names import name_problems

PRIVATE_V4 = IPSet(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"])
USABLE_V6 = IPSet(["2000::/3", "fc00::/7"])  # global unicast (incl. 2001:db8::/32 documentation) and ULA
SERVICE_PREFIX = "service:"
SYSTEM_BLOCK_V6 = 60  # a system's IPv6 block (the planner's ZONE_BLOCK_V6)
DR_LEVEL = 5  # the zone model's level-5 architecture adds a geographically separate DR site (NET-19)
DR_CONTROL = "NET-19"


def check_park(loaded: LoadedPark) -> None:
    problems = list(_park_problems(loaded))
    problems.extend(name_problems(loaded))
    for tenant_id in loaded.tenants:
        problems.extend(_tenant_problems(loaded, tenant_id))
    if problems:
        raise SpecError(problems)


def _duplicates(items: Iterable[tuple[Loc, str]], what: str, where) -> Iterable[Problem]:  # type: ignore[no-untyped-def]
    seen: dict[str, Loc] = {}
    for loc, key in items:
        if key in seen:
            yield where(loc, f"duplicate {what} {key!r} (first defined at {format_loc(seen[key])})")
        else:
            seen[key] = loc


def _park_problems(loaded: LoadedPark) -> Iterable[Problem]:
    park = loaded.park

    def where(loc: Loc, message: str) -> Problem:
        return loaded.where(None, loc, message)

    if park.baseline not in baseline_ids():
        yield where(("baseline",), f"unknown baseline {park.baseline!r}; expected one of {', '.join(baseline_ids())}")
    yield from _duplicates(((("sites", i, "id"), s.id) for i, s in enumerate(park.sites)), "site id", where)
    yield from _duplicates(
        ((("external_links", i, "id"), link.id) for i, link in enumerate(park.external_links)), "link id", where
    )
    yield from _duplicates(
        (
            (("shared_services", i, "kind"), f"{s.kind.value}@{s.site or '*'}")
            for i, s in enumerate(park.shared_services)
        ),
        "shared service",
        where,
    )
    yield from _duplicates(((("flavors", i, "name"), f.name) for i, f in enumerate(park.flavors)), "flavor", where)
    yield from _duplicates(((("images", i, "name"), m.name) for i, m in enumerate(park.images)), "image", where)
    site_ids = {s.id for s in park.sites}
    for i, site in enumerate(park.sites):
        v4, v6 = IPNetwork(site.ipv4_supernet), IPNetwork(site.ipv6_prefix)
        if IPSet([v4]) - PRIVATE_V4:
            yield where(
                ("sites", i, "ipv4_supernet"),
                "expected a private IPv4 supernet (10/8, 172.16/12, 192.168/16 or 100.64/10), "
                f"got {site.ipv4_supernet}",
            )
        yield from _site_room(park.addressing, i, v4, v6, where)
        if IPSet([v6]) - USABLE_V6:
            yield where(
                ("sites", i, "ipv6_prefix"), f"expected a global unicast or ULA IPv6 prefix, got {site.ipv6_prefix}"
            )
        for j, other in enumerate(park.sites[:i]):
            for field, mine, theirs in (
                ("ipv4_supernet", v4, IPNetwork(other.ipv4_supernet)),
                ("ipv6_prefix", v6, IPNetwork(other.ipv6_prefix)),
            ):
                if mine in theirs or theirs in mine:
                    yield where(("sites", i, field), f"{mine} overlaps {theirs} of site {other.id!r} (sites[{j}])")
    for i, link in enumerate(park.external_links):
        if link.site not in site_ids:
            yield where(
                ("external_links", i, "site"), f"unknown site {link.site!r}; expected one of {sorted(site_ids)}"
            )
    for i, service in enumerate(park.shared_services):
        if service.site is not None and service.site not in site_ids:
            yield where(
                ("shared_services", i, "site"), f"unknown site {service.site!r}; expected one of {sorted(site_ids)}"
            )
        if park.flavors and service.flavor not in {f.name for f in park.flavors}:
            yield where(("shared_services", i, "flavor"), f"unknown flavor {service.flavor!r}")
    yield from _segment_problems(park, where)
    offered = {s.kind for s in park.shared_services}
    yield from _service_slots(park.addressing, offered, where)
    for i, kind in enumerate(park.defaults.mandatory_services):
        if kind not in offered:
            yield where(
                ("defaults", "mandatory_services", i), f"mandatory service {kind.value!r} is not offered by the park"
            )


def core_vlan(park: Park, index: int) -> int:
    """VLAN id of the core network of the park's site at `index` (declared, or 100 + its position)."""
    declared = park.sites[index].core_vlan
    return declared if declared is not None else 100 + index


def _segments(park: Park) -> Iterable[tuple[Loc, str, str, int | None]]:
    """Every provider segment the park asks Neutron for: (where, physical network, type, VLAN id)."""
    for i, site in enumerate(park.sites):
        yield ("sites", i, "core_vlan"), site.core_physical_network, "vlan", core_vlan(park, i)
    for i, link in enumerate(park.external_links):
        field = "segmentation_id" if link.network_type == "vlan" else "physical_network"
        yield ("external_links", i, field), link.physical_network, link.network_type, link.segmentation_id


def _segment_problems(park: Park, where) -> Iterable[Problem]:  # type: ignore[no-untyped-def]
    """Neutron allows one flat network per physical network and each VLAN id once per physical network (sites
    sharing a physical network share its VLAN ids)."""
    seen: dict[tuple[str, str, int | None], Loc] = {}
    for loc, physnet, kind, vlan in _segments(park):
        key = (physnet, kind, vlan)
        if key in seen:
            what = "a second flat network" if kind == "flat" else f"VLAN {vlan} a second time"
            yield where(
                loc,
                f"{what} on physical network {physnet!r} (first at {format_loc(seen[key])}); "
                "Neutron refuses it: use network_type vlan with a free segmentation_id or another physnet",
            )
        else:
            seen[key] = loc


def _site_room(addr: Addressing, i: int, v4: IPNetwork, v6: IPNetwork, where) -> Iterable[Problem]:  # type: ignore[no-untyped-def]
    """A site holds its core network, its shared-services block and at least one system block."""
    system4 = addr.zone_prefix_v4 - (addr.system_slots.bit_length() - 1)
    need4 = {"core": addr.core_prefix_v4, "shared-services": addr.shared_prefix_v4, "system": system4}
    need6 = {"shared-services": addr.shared_prefix_v6, "system": SYSTEM_BLOCK_V6}
    for field, net, bits, need in (("ipv4_supernet", v4, 32, need4), ("ipv6_prefix", v6, 128, need6)):
        if sum(2 ** (bits - n) for n in need.values()) > net.size:
            parts = " + ".join(f"a /{n} {what} block" for what, n in need.items())
            yield where(("sites", i, field), f"/{net.prefixlen} is too small: a site needs {parts} (see addressing)")


def _service_slots(addr: Addressing, offered: set[ServiceKind], where) -> Iterable[Problem]:  # type: ignore[no-untyped-def]
    """Each service kind has a fixed slot of service_prefix_v4 in the shared block; the last one offered must fit."""
    if not offered:
        return
    needed = max(list(ServiceKind).index(kind) for kind in offered) + 1
    slots = (
        2 ** (addr.service_prefix_v4 - addr.shared_prefix_v4) if addr.service_prefix_v4 >= addr.shared_prefix_v4 else 0
    )
    if slots < needed:
        yield where(
            ("addressing", "service_prefix_v4"),
            f"/{addr.service_prefix_v4} service subnets give {slots} slots in the /{addr.shared_prefix_v4} "
            f"shared-services block, but the park's services need {needed} (one per kind, in a fixed order); "
            "use a longer service_prefix_v4 or a shorter shared_prefix_v4",
        )


def _tenant_problems(loaded: LoadedPark, tenant_id: str) -> Iterable[Problem]:
    park, tenant = loaded.park, loaded.tenants[tenant_id]

    def where(loc: Loc, message: str) -> Problem:
        return loaded.where(tenant_id, loc, message)

    site_ids = [s.id for s in park.sites]
    offered = {s.kind for s in park.shared_services}
    links = {link.kind for link in park.external_links}
    flavors = {f.name for f in park.flavors}
    images = {m.name for m in park.images}
    baseline_zones = _zones_by_level(park.baseline)
    yield from _duplicates(((("systems", i, "id"), s.id) for i, s in enumerate(tenant.systems)), "system id", where)
    for i, system in enumerate(tenant.systems):
        at = ("systems", i)
        yield from _duplicates(
            (((*at, "tiers", j, "name"), t.name) for j, t in enumerate(system.tiers)), "tier name", where
        )
        for field in ("site", "dr_site"):
            value = getattr(system, field)
            if value is not None and value not in site_ids:
                yield where((*at, field), f"unknown site {value!r}; expected one of {site_ids}")
        if system.dr_site is not None and system.dr_site == (system.site or site_ids[0]):
            yield where((*at, "dr_site"), "the disaster-recovery site must differ from the primary site")
        if system.level >= DR_LEVEL and system.dr_site is None:
            others = [s for s in site_ids if s != (system.site or site_ids[0])]
            fix = f"set dr_site to one of {others}" if others else "the park has one site: add a second one"
            yield where(
                (*at, "dr_site"),
                f"a level-{system.level} system needs a disaster-recovery site at another site ({DR_CONTROL}); {fix}",
            )
        for j, kind in enumerate(system.services):
            if kind not in offered:
                yield where((*at, "services", j), f"service {kind.value!r} is not offered by the park")
        for field, kind, link, need in (
            ("internet", ServiceKind.waf, LinkKind.internet, "an Internet link"),
            ("tslcd", ServiceKind.waf, LinkKind.tslcd, "a TSLCD link"),
            ("lgsp", ServiceKind.lgsp, LinkKind.ngsp, "an NGSP/NDXP link"),
        ):
            if getattr(system.exposure, field) and (kind not in offered or link not in links):
                yield where((*at, "exposure", field), f"needs the park to offer the {kind.value} service and {need}")
        zones = set(baseline_zones.get(system.level, ())) | {t.zone.value for t in system.tiers}
        for j, tier in enumerate(system.tiers):
            if flavors and tier.flavor is not None and tier.flavor not in flavors:
                yield where(
                    (*at, "tiers", j, "flavor"), f"unknown flavor {tier.flavor!r}; expected one of {sorted(flavors)}"
                )
            if images and tier.image is not None and tier.image not in images:
                yield where(
                    (*at, "tiers", j, "image"), f"unknown image {tier.image!r}; expected one of {sorted(images)}"
                )
        if system.exposure.internet and "dmz" not in zones:
            yield where((*at, "exposure", "internet"), "an Internet-facing system needs a tier in the dmz zone")
        for j, flow in enumerate(system.flows):
            for field, end in (("from", flow.from_), ("to", flow.to)):
                problem = _endpoint_problem(end, zones, offered)
                if problem:
                    yield where((*at, "flows", j, field), problem)


def _endpoint_problem(end: str, zones: set[str], offered: set[ServiceKind]) -> str | None:
    if end.startswith(SERVICE_PREFIX):
        kind = end.removeprefix(SERVICE_PREFIX)
        if kind not in {k.value for k in offered}:
            return f"unknown service {kind!r}; the park offers {sorted(k.value for k in offered)}"
        return None
    if end not in {z.value for z in Zone}:
        return f"unknown zone {end!r}; expected one of {[z.value for z in Zone]} or service:<kind>"
    if end not in zones:
        return f"zone {end!r} is not used by this system (its zones: {sorted(zones)})"
    return None


def _zones_by_level(baseline_id: str) -> dict[int, tuple[str, ...]]:
    from itpark.catalog import resolve_baseline

    try:
        return resolve_baseline(baseline_id).zones_by_level
    except KeyError:
        return {}
