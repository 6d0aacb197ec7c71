"""Names that tenant ids and system ids are joined into must never meet.

The plan names a system's router `<tenant>-<system>`, its networks and security groups `<tenant>-<system>-<zone>`
(`-dr-<zone>` at its DR site), a tenant's project `<tenant>`, its hosts `<tier>-NN.<system>.<tenant>`, and its
ledger entries `<site>/<tenant>/<system>`; park-level things use `shared`, `park`, `core-`, `link-` and the park's
name. Tenant `so` + system `tttt-portal` and tenant `so-tttt` + system `portal` would both be `so-tttt-portal`.
"""

from __future__ import annotations

from collections.abc import Iterable

from itpark.errors import Problem
from itpark.spec.loader import LoadedPark, Loc
from itpark.spec.models import ServiceKind, Zone

RESERVED_TENANT_IDS = {
    "shared": "shared services' hosts, FQDNs and ledger keys (<kind>-NN.<site>.shared)",
    "park": "the park's own ledger keys and flows (park/...)",
}


def name_problems(loaded: LoadedPark) -> Iterable[Problem]:
    """Reserved tenant ids, and every joined name claimed twice, naming both files."""
    owners = dict(_park_names(loaded))
    reported: set[tuple[object, ...]] = set()
    for tenant_id in loaded.tenants:
        if tenant_id in RESERVED_TENANT_IDS:
            reserved = f"tenant id {tenant_id!r} (the file name) is reserved for {RESERVED_TENANT_IDS[tenant_id]}"
            yield loaded.where(tenant_id, (), reserved)
            continue
        for name, loc, what in _tenant_names(loaded, tenant_id):
            first = owners.setdefault(name, (tenant_id, loc, what))
            pair = (tenant_id, loc, first[0], first[1])
            if (first[0] == tenant_id and first[1] == loc) or pair in reported:
                continue
            reported.add(pair)  # one problem per pair of owners, not one per clashing network
            yield loaded.where(tenant_id, loc, f"{what} would be named {name!r}, as {_describe(loaded, *first)}")


def _describe(loaded: LoadedPark, tenant_id: str | None, loc: Loc, what: str) -> str:
    if tenant_id is None:
        return f"the park's {what}"
    doc = loaded.tenant_docs[tenant_id]
    return f"the {what} in {doc.file}:{doc.line(loc)}"


def _park_names(loaded: LoadedPark) -> Iterable[tuple[str, tuple[str | None, Loc, str]]]:
    park = loaded.park
    yield park.name, (None, (), "domain")
    yield f"{park.name}-shared", (None, (), "shared-services project")
    for site in park.sites:
        yield f"core-{site.id}", (None, (), f"core network of site {site.id}")
        for kind in ServiceKind:
            yield f"shared-{site.id}-{kind.value}", (None, (), f"{kind.value} service network at {site.id}")
    for link in park.external_links:
        yield f"link-{link.id}", (None, (), f"external link {link.id}")


def _tenant_names(loaded: LoadedPark, tenant_id: str) -> Iterable[tuple[str, Loc, str]]:
    yield tenant_id, (), f"project of tenant {tenant_id!r}"
    for i, system in enumerate(loaded.tenants[tenant_id].systems):
        loc: Loc = ("systems", i, "id")
        what = f"system {tenant_id}/{system.id}"
        base = f"{tenant_id}-{system.id}"
        yield base, loc, f"router of {what}"
        for zone in Zone:  # every zone, so a later level upgrade cannot create a clash either
            yield f"{base}-{zone.value}", loc, f"{zone.value} network of {what}"
            yield f"{base}-dr-{zone.value}", loc, f"DR {zone.value} network of {what}"
