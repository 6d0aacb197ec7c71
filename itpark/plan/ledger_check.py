"""The ledger is checked, never trusted: every load verifies it against itself and the park spec.

Pure functions over a read `Ledger`. Findings (each as file:line, exit 2):
- a file naming another park (or no park), or a tenant file naming another tenant;
- an entry in another owner's file (a hand edit or a bad merge moved it; the key's form decides its file);
- a block of a site the park does not have (active), or lying outside its site's supernet (retired included:
  shrinking a supernet below space ever handed out would let it be reused);
- overlapping blocks (IPv4 or IPv6, retired included) of different owners, or of one tenant;
- one address given to two hosts/routers, or a tenant's address inside another tenant's block.
A conflict between two owners is reported once per pair, on one line naming the repair:
`itpark allocate STACK --reallocate TENANT`, where TENANT is the tenant that moves: of two tenants the one whose
id sorts last, of a tenant and the park the tenant (park entries never move).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from netaddr import IPAddress, IPNetwork

from itpark.errors import Problem
from itpark.plan.ledger import LEDGER_DIR, PARK_OWNER, Ledger, file_of, is_pinned, owner_of
from itpark.spec.models import Park


@dataclass(frozen=True, order=True)
class _Span:
    first: int
    last: int
    key: str
    family: str


def check_ledger(park: Park, ledger: Ledger, stack: str | Path) -> list[Problem]:
    """Every problem of the ledger; empty when it can be trusted."""
    problems = _headers(park, ledger)
    problems += _misfiled(ledger)
    problems += _sites(park, ledger)
    conflicts = find_conflicts(ledger)
    problems += _conflict_problems(ledger, conflicts, str(stack))
    return problems


def _headers(park: Park, ledger: Ledger) -> list[Problem]:
    problems = []
    for origin, name, tenant in ledger.headers:
        if name != park.name:
            problems.append(
                origin.problem(
                    f"this ledger belongs to park {name!r}, not to {park.name!r} (park.yaml name); "
                    "was it copied from another park?"
                )
            )
        stem = Path(origin.doc.file).stem  # type: ignore[attr-defined]
        if not ledger.legacy and stem != PARK_OWNER and tenant != stem:
            problems.append(
                origin.doc.problem(("tenant",), f"expected `tenant: {stem}` (the file's name), got {tenant!r}")  # type: ignore[attr-defined]
            )
    return problems


def _misfiled(ledger: Ledger) -> list[Problem]:
    """Entries in another owner's file (the key's form decides its file; `allocate` would silently move them)."""
    if ledger.legacy:
        return []
    problems = []
    for key, origin in ledger.origins.items():
        stem = Path(origin.doc.file).stem  # type: ignore[attr-defined]
        if stem != (owner_of(key) or PARK_OWNER):
            problems.append(
                origin.problem(
                    f"{key} belongs in {file_of(key)}, not in {stem}.yaml (moved by a hand edit or a bad merge?); "
                    f"move it back or restore {LEDGER_DIR}/ from git",
                    "key",
                )
            )
    return problems


def _sites(park: Park, ledger: Ledger) -> list[Problem]:
    sites = {s.id: (IPNetwork(s.ipv4_supernet), IPNetwork(s.ipv6_prefix)) for s in park.sites}
    problems = []
    for key, entry in ledger.entries.items():
        if is_pinned(key):
            continue
        site = key.split("/", 1)[0]
        origin = ledger.origins[key]
        if site not in sites:
            if entry.state == "active":
                problems.append(origin.problem(f"{key}: park.yaml has no site {site!r}", "key"))
            continue
        for family, supernet in zip(("ipv4", "ipv6"), sites[site], strict=True):
            net = IPNetwork(getattr(entry, family))
            if net not in supernet:
                problems.append(
                    origin.problem(
                        f"{key}: {net} lies outside site {site}'s {'supernet' if family == 'ipv4' else 'prefix'} "
                        f"{supernet} ({entry.state}; a supernet may grow, never shrink below space handed out)",
                        family,
                    )
                )
    return problems


@dataclass(frozen=True)
class Conflict:
    key: str  # the entry of the owner that must move
    other: str  # the entry it collides with
    what: str  # e.g. "10.40.44.0/23 overlaps 10.40.44.0/23"


def mover(a: str | None, b: str | None) -> str | None:
    """Which of two owners is renumbered: a tenant before the park, else the id that sorts last."""
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


def find_conflicts(ledger: Ledger) -> list[Conflict]:
    """Every collision between entries that must not share space, as (entry that moves, entry it hits)."""
    entries = ledger.entries
    blocks = [k for k in entries if not is_pinned(k)]
    pinned = [k for k in entries if is_pinned(k)]
    found: list[Conflict] = []
    for family in ("ipv4", "ipv6"):
        spans = sorted(_span(k, getattr(entries[k], family), family) for k in blocks)
        found += _overlaps(spans)
        found += _duplicates(sorted(_span(k, getattr(entries[k], family), family) for k in pinned))
        found += _pinned_in_blocks(spans, sorted(_span(k, getattr(entries[k], family), family) for k in pinned))
    return found


def _span(key: str, text: str, family: str) -> _Span:
    net = IPNetwork(text)
    return _Span(net.first, net.last, key, family)


def _ordered(a: str, b: str) -> Conflict | None:
    owner_a, owner_b = owner_of(a), owner_of(b)
    if owner_a is None and owner_b is None:
        return None  # two park entries: the core /64 lies inside the shared /56 by design
    moving = mover(owner_a, owner_b)
    return Conflict(a, b, "") if owner_a == moving else Conflict(b, a, "")


def _overlaps(spans: list[_Span]) -> Iterable[Conflict]:
    open_spans: list[_Span] = []
    for span in spans:
        open_spans = [s for s in open_spans if s.last >= span.first]
        for other in open_spans:
            pair = _ordered(other.key, span.key)
            if pair is not None:
                yield _describe(pair, span.family, "overlaps")
        open_spans.append(span)


def _duplicates(spans: list[_Span]) -> Iterable[Conflict]:
    for index in range(1, len(spans)):
        a, b = spans[index - 1], spans[index]
        if a.first == b.first:
            pair = _ordered(a.key, b.key) or Conflict(b.key, a.key, "")
            yield _describe(pair, a.family, "is also the address of")


def _pinned_in_blocks(blocks: list[_Span], pinned: list[_Span]) -> Iterable[Conflict]:
    """A tenant's host or router address inside another tenant's block (park blocks hold anybody's routers)."""
    tenant_blocks = [b for b in blocks if owner_of(b.key)]
    index = 0
    open_blocks: list[_Span] = []
    for pin in pinned:
        while index < len(tenant_blocks) and tenant_blocks[index].first <= pin.first:
            open_blocks.append(tenant_blocks[index])
            index += 1
        open_blocks = [b for b in open_blocks if b.last >= pin.first]
        for block in open_blocks:
            if owner_of(block.key) != owner_of(pin.key):
                pair = _ordered(pin.key, block.key)
                if pair is not None:
                    yield _describe(pair, pin.family, "lies inside")


def _describe(pair: Conflict, family: str, verb: str) -> Conflict:
    return Conflict(pair.key, pair.other, f"{family} {verb}")


def _conflict_problems(ledger: Ledger, conflicts: list[Conflict], stack: str) -> list[Problem]:
    """One line per pair of owners (or per tenant colliding with itself), naming the command that repairs it."""
    first: dict[tuple[str | None, str | None], tuple[Conflict, int]] = {}
    for conflict in conflicts:
        pair = (owner_of(conflict.key), owner_of(conflict.other))
        seen = first.get(pair)
        first[pair] = (seen[0], seen[1] + 1) if seen else (conflict, 1)
    problems = []
    for (moving, _), (conflict, count) in sorted(first.items(), key=lambda x: (str(x[0][0]), str(x[0][1]))):
        entries, origins = ledger.entries, ledger.origins
        this, other = entries[conflict.key], entries[conflict.other]
        family = conflict.what.split(" ", 1)[0]
        more = f" (and {count - 1} more collision{'s' if count > 2 else ''} between them)" if count > 1 else ""
        fix = (
            f"run `itpark allocate {stack} --reallocate {moving}`"
            if moving
            else "park entries never move; restore the ledger from git"
        )
        problems.append(
            origins[conflict.key].problem(
                f"{conflict.key} {getattr(this, family)} {conflict.what.split(' ', 1)[1]} {conflict.other} "
                f"{getattr(other, family)} ({_where(ledger, conflict.other)}){more}: one address, two owners; {fix}",
                family,
            )
        )
    return problems


def _where(ledger: Ledger, key: str) -> str:
    return ledger.origins[key].where


def contested(ledger: Ledger, tenant: str) -> set[str]:
    """The tenant's entries that collide with someone else's (or its own): dropped, then re-allocated."""
    keys = set()
    for conflict in find_conflicts(ledger):
        for key in (conflict.key, conflict.other):
            if owner_of(key) == tenant:
                keys.add(key)
    return keys


def address_in(address: str, network: str) -> bool:
    return IPAddress(address) in IPNetwork(network)
