"""Address arithmetic for the plan, all of it through netaddr.

Blocks are handed out first fit after every reserved block (the high-water mark of the ledger at that site),
falling back to gaps only when the space past it is exhausted; reserved means active *or retired*.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from netaddr import IPAddress, IPNetwork, IPSet

ZONE_SLOTS = ("dmz", "app", "data", "mgmt", "security", "devtest")
"""Fixed slot of each zone inside a system block: adding a zone later never moves the others."""

FIRST_HOST_OFFSET = 10  # .1 router, .2-.9 DHCP / VIPs / provider reserved
DHCP_OFFSETS = (2, 9)


class BlockAllocator:
    """Aligned blocks of one address family inside one site's supernet."""

    def __init__(self, supernet: IPNetwork, reserved: Iterable[IPNetwork]) -> None:
        self.supernet = supernet
        self.reserved = [net for net in reserved if net in supernet]
        self.cursor = max((net.last + 1 for net in self.reserved), default=supernet.first)

    def take(self, prefixlen: int) -> IPNetwork | None:
        size = 1 << (self.supernet._module.width - prefixlen)
        start = -(-self.cursor // size) * size  # align up
        if start + size - 1 <= self.supernet.last:
            block = IPNetwork((start, prefixlen), version=self.supernet.version)
            self.cursor = start + size
            self.reserved.append(block)
            return block
        return self._take_gap(prefixlen)

    def _take_gap(self, prefixlen: int) -> IPNetwork | None:
        used = IPSet(self.reserved)
        free = IPSet([self.supernet]) - used
        for cidr in free.iter_cidrs():
            if cidr.prefixlen <= prefixlen:
                block = IPNetwork((cidr.first, prefixlen), version=cidr.version)
                self.reserved.append(block)
                return block
        return None


def slot(block: IPNetwork, prefixlen: int, index: int) -> IPNetwork:
    """The index-th subnet of `prefixlen` inside `block`."""
    size = 1 << (block._module.width - prefixlen)
    net = IPNetwork((block.first + index * size, prefixlen), version=block.version)
    if net.last > block.last:
        raise ValueError(f"slot {index} of /{prefixlen} does not fit in {block}")
    return net


def address_at(net: IPNetwork, offset: int) -> str:
    return str(IPAddress(net.first + offset, net.version))


class HostIndex:
    """Sorted host addresses of the ledger, to find which offsets of a subnet are taken."""

    def __init__(self, addresses: Iterable[str]) -> None:
        self.values = sorted(int(IPAddress(a)) for a in addresses)

    def used_offsets(self, net: IPNetwork) -> set[int]:
        lo, hi = bisect_left(self.values, net.first), bisect_right(self.values, net.last)
        return {v - net.first for v in self.values[lo:hi]}


class HostAllocator:
    """Offsets inside one subnet, never reusing any offset the ledger has seen."""

    def __init__(self, net: IPNetwork, used: set[int]) -> None:
        self.net = net
        self.used = used
        self.next = max(used, default=FIRST_HOST_OFFSET - 1) + 1

    def take(self) -> int | None:
        last = self.net.size - 2  # keep the IPv4 broadcast address free
        while self.next <= last:
            offset, self.next = self.next, self.next + 1
            if offset >= FIRST_HOST_OFFSET and offset not in self.used:
                self.used.add(offset)
                return offset
        for offset in range(FIRST_HOST_OFFSET, last + 1):  # gaps left by imported entries
            if offset not in self.used:
                self.used.add(offset)
                return offset
        return None
