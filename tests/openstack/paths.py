"""Layer-3 paths read back from Neutron: can a packet from one address reach a prefix, and its reply come back?

The model is what Neutron's routers do with what the API shows: a host sends to its subnet's gateway (or a host
route); a router delivers to its connected subnets (interfaces and gateway), then follows its longest matching
static route, then its gateway network's default gateway. A next hop that is no Neutron port is the park's
physical core router: it is assumed to deliver to the core-attached Neutron routers and onwards to anything outside
the cloud (its own routes are the operator's; the plan documents them), which the check reports as "via core".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netaddr import IPAddress, IPNetwork

PHYSICAL = "physical-core"


@dataclass
class Topology:
    subnets: dict[str, dict[str, Any]]  # id -> subnet
    routers: dict[str, dict[str, Any]]  # id -> router
    router_ips: dict[str, str]  # address -> router id (interfaces and gateways)
    router_subnets: dict[str, set[str]]  # router id -> subnet ids it is connected to
    external_nets: set[str]

    @classmethod
    def read(cls, conn: Any) -> Topology:
        subnets = {s.id: s.to_dict() for s in conn.network.subnets()}
        routers = {r.id: r.to_dict() for r in conn.network.routers()}
        router_ips: dict[str, str] = {}
        router_subnets: dict[str, set[str]] = {r: set() for r in routers}
        for port in conn.network.ports():
            if port.device_id in routers and str(port.device_owner).startswith("network:router"):
                for ip in port.fixed_ips:
                    router_ips[ip["ip_address"]] = port.device_id
                    router_subnets[port.device_id].add(ip["subnet_id"])
        external = {n.id for n in conn.network.networks(is_router_external=True)}
        return cls(subnets, routers, router_ips, router_subnets, external)

    def subnets_of(self, version: int) -> list[dict[str, Any]]:
        return [s for s in self.subnets.values() if s["ip_version"] == version]

    def subnet_of(self, address: str) -> dict[str, Any] | None:
        ip = IPAddress(address)
        for s in self.subnets.values():
            if ip in IPNetwork(s["cidr"]):
                return s
        return None

    def cidrs(self) -> set[str]:
        return {str(s["cidr"]) for s in self.subnets.values()}

    def host_in(self, cidr: str) -> str:
        """An address a host of that subnet would have (the start of its allocation pool)."""
        for s in self.subnets.values():
            if s["cidr"] == cidr and s.get("allocation_pools"):
                return str(s["allocation_pools"][0]["start"])
        net = IPNetwork(cidr)
        return str(net[min(10, net.size - 1)])

    def inside(self, prefix: str) -> list[dict[str, Any]]:
        """OpenStack subnets inside `prefix` (or containing it), of its IP version."""
        net = IPNetwork(prefix)
        return [s for s in self.subnets_of(net.version) if IPNetwork(s["cidr"]) in net or net in IPNetwork(s["cidr"])]

    # --------------------------------------------------------------- one direction

    def path(self, source: str, destination: str) -> tuple[bool, str]:
        """From address `source` to prefix `destination`: (found, the hops or why not)."""
        dst = IPNetwork(destination)
        src = self.subnet_of(source)
        if src is None:
            return False, f"{source} is on no subnet"
        if dst in IPNetwork(src["cidr"]):
            return True, "same subnet"
        hop = self._first_hop(src, dst)
        if hop is None:
            return False, f"subnet {src['name']} has no gateway towards {destination}"
        hops: list[str] = []
        node = hop
        for _ in range(10):
            hops.append(self._name(node))
            if node == PHYSICAL:
                return self._from_core(dst, hops)
            nxt, done = self._route(node, dst)
            if done:
                return True, " -> ".join(hops)
            if nxt is None:
                return False, f"{' -> '.join(hops)}: no route to {destination}"
            node = nxt
        return False, f"{' -> '.join(hops)}: routing loop"

    def _name(self, node: str) -> str:
        return node if node == PHYSICAL else str(self.routers[node]["name"])

    def _owner(self, address: str | None) -> str | None:
        if not address:
            return None
        return self.router_ips.get(address, PHYSICAL)

    def _first_hop(self, src: dict[str, Any], dst: IPNetwork) -> str | None:
        for route in src.get("host_routes") or []:
            if dst in IPNetwork(route["destination"]):
                return self._owner(route["nexthop"])
        return self._owner(src.get("gateway_ip"))

    def _route(self, router: str, dst: IPNetwork) -> tuple[str | None, bool]:
        """(next node, delivered) at `router`."""
        connected = [self.subnets[s] for s in self.router_subnets[router] if s in self.subnets]
        if any(dst in IPNetwork(s["cidr"]) for s in connected):
            return None, True
        routes = [r for r in self.routers[router].get("routes") or [] if dst in IPNetwork(r["destination"])]
        if routes:
            best = max(routes, key=lambda r: IPNetwork(r["destination"]).prefixlen)
            return self._owner(best["nexthop"]), False
        gateway = self.routers[router].get("external_gateway_info") or {}
        for ip in gateway.get("external_fixed_ips") or []:
            subnet = self.subnets.get(ip["subnet_id"])
            if subnet and subnet["ip_version"] == dst.version and subnet.get("gateway_ip"):
                return self._owner(subnet["gateway_ip"]), False
        return None, False

    def _from_core(self, dst: IPNetwork, hops: list[str]) -> tuple[bool, str]:
        if not self.inside(str(dst)):
            return True, " -> ".join([*hops, "outside the cloud"])
        for router, subnets in self.router_subnets.items():
            gateway = self.routers[router].get("external_gateway_info") or {}
            if gateway.get("network_id") not in self.external_nets:
                continue
            if any(dst in IPNetwork(self.subnets[s]["cidr"]) for s in subnets if s in self.subnets):
                return True, " -> ".join([*hops, self._name(router)])
        return False, f"{' -> '.join(hops)}: no core-attached router is connected to {dst}"
