"""Static verification of a park's manifest (what Pulumi would register), offline: would it work once applied?

Each check reads the manifest's resources across all stacks (ids are the offline mocks' `<logical name>-id`, the
same on both sides of a StackReference) and the plan's flows, and returns findings, one line each:

- layer 3: every plan flow between two networks has a path (subnet -> router -> route -> router -> subnet) both
  ways, and security-group rules tagged with the flow on both ends;
- bootstrap: every server has a config drive, user data with the automation account's key or the park's SSH CA,
  the park mirror as its package source, and subnets that hand out resolvers;
- ownership: a server's ports, volumes, attachments and server group are created by the same project-scoped
  provider, and its ports carry that project;
- quotas: each project's instances, vCPUs, RAM, volumes and GB fit its quota sets;
- provider segments: no two flat networks on one physical network, no VLAN id twice on one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netaddr import IPAddress, IPNetwork

from itpark.plan.flows import parse_port
from itpark.plan.model import Plan
from itpark.plan.routing import core_routes

T = "openstack:"
INSTANCE = f"{T}compute/instance:Instance"
PORT = f"{T}networking/port:Port"
VOLUME = f"{T}blockstorage/volume:Volume"
ATTACH = f"{T}compute/volumeAttach:VolumeAttach"
GROUP = f"{T}compute/serverGroup:ServerGroup"
NETWORK = f"{T}networking/network:Network"
SUBNET = f"{T}networking/subnet:Subnet"
ROUTER = f"{T}networking/router:Router"
INTERFACE = f"{T}networking/routerInterface:RouterInterface"
ROUTE = f"{T}networking/routerRoute:RouterRoute"
RULE = f"{T}networking/secGroupRule:SecGroupRule"
FLAVOR = f"{T}compute/flavor:Flavor"
COMPUTE_QUOTA = f"{T}compute/quotaSetV2:QuotaSetV2"
VOLUME_QUOTA = f"{T}blockstorage/quoteSetV3:QuoteSetV3"
PROVIDER = "pulumi:providers:openstack"


def mock_id(record: dict[str, Any]) -> str:
    """The id the offline mocks give a resource (itpark.pulumi.offline)."""
    return f"{record['name']}-id"


@dataclass
class Index:
    """Every resource of the park's manifest, by type and by mock id, with the stack that registers it."""

    by_type: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (type, id)
    stack_of: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, manifest: dict[str, Any]) -> Index:
        index = cls()
        for stack, body in manifest["stacks"].items():
            for record in body["resources"].values():
                index.by_type[record["type"]].append(record)
                index.by_id.setdefault((record["type"], mock_id(record)), record)
                index.stack_of[id(record)] = stack
        return index

    def get(self, ident: Any, typ: str) -> dict[str, Any] | None:
        return self.by_id.get((typ, str(ident)))


def verify(plan: Plan, manifest: dict[str, Any]) -> list[str]:
    """Every finding, sorted; empty when the manifest would work as planned."""
    index = Index.of(manifest)
    findings = [
        *segments(index),
        *ownership(index),
        *quotas(index),
        *bootstrap(index),
        *layer3(plan, index),
        *flow_rules(plan, index),
    ]
    return sorted(dict.fromkeys(findings))


# -- provider segments ------------------------------------------------------------------------------------------
def segments(index: Index) -> Iterator[str]:
    seen: dict[tuple[str, str, Any], str] = {}
    for net in index.by_type[NETWORK]:
        for seg in net["inputs"].get("segments") or []:
            kind, physnet = seg.get("networkType"), seg.get("physicalNetwork")
            key = (str(physnet), str(kind), seg.get("segmentationId") if kind == "vlan" else None)
            if key in seen:
                what = "two flat networks" if kind == "flat" else f"VLAN {key[2]} twice"
                yield f"segments: {what} on physical network {physnet}: {seen[key]} and {net['name']}"
            else:
                seen[key] = net["name"]


# -- ownership ------------------------------------------------------------------------------------------------
def _provider(record: dict[str, Any]) -> str | None:
    return record.get("provider")


def ownership(index: Index) -> Iterator[str]:
    projects = {}
    for provider in index.by_type[PROVIDER]:
        projects[f"{PROVIDER}::{provider['name']}"] = provider["inputs"].get("tenantId")
    for server in index.by_type[INSTANCE]:
        mine = _provider(server)
        where = f"ownership: server {server['name']}"
        if mine is None or mine not in projects:
            yield f"{where}: not created through a project-scoped provider"
            continue
        project = projects[mine]
        for net in server["inputs"].get("networks") or []:
            port = index.get(net.get("port"), PORT)
            if port is None:
                yield f"{where}: boots on no port of the park (networks {net})"
            elif _provider(port) != mine or port["inputs"].get("tenantId") not in (None, project):
                yield f"{where}: port {port['name']} belongs to another project"
        hints = server["inputs"].get("schedulerHints") or []
        for hint in hints:
            group = index.get(hint.get("group"), GROUP)
            if group is not None and _provider(group) != mine:
                yield f"{where}: server group {group['name']} belongs to another project"
    for attach in index.by_type[ATTACH]:
        server = index.get(attach["inputs"].get("instanceId"), INSTANCE)
        volume = index.get(attach["inputs"].get("volumeId"), VOLUME)
        if server is None or volume is None:
            yield f"ownership: attachment {attach['name']} joins no server or no volume of the park"
        elif not (_provider(server) == _provider(volume) == _provider(attach)):
            yield f"ownership: volume {volume['name']} and server {server['name']} are in different projects"


# -- quotas ---------------------------------------------------------------------------------------------------
def quotas(index: Index) -> Iterator[str]:
    flavors = {f["inputs"]["name"]: f["inputs"] for f in index.by_type[FLAVOR]}
    need: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    project_of_provider = {f"{PROVIDER}::{p['name']}": p["inputs"].get("tenantId") for p in index.by_type[PROVIDER]}
    for server in index.by_type[INSTANCE]:
        project = project_of_provider.get(_provider(server) or "")
        flavor = flavors.get(server["inputs"].get("flavorName"), {})
        counts = need[str(project)]
        counts["instances"] += 1
        counts["cores"] += int(flavor.get("vcpus", 0))
        counts["ram"] += int(flavor.get("ram", 0))
    for volume in index.by_type[VOLUME]:
        counts = need[str(project_of_provider.get(_provider(volume) or ""))]
        counts["volumes"] += 1
        counts["gigabytes"] += int(volume["inputs"].get("size", 0))
    limits: dict[str, dict[str, int]] = defaultdict(dict)
    for typ, fields in ((COMPUTE_QUOTA, ("instances", "cores", "ram")), (VOLUME_QUOTA, ("volumes", "gigabytes"))):
        for quota in index.by_type[typ]:
            for name in fields:
                if quota["inputs"].get(name) is not None:
                    limits[str(quota["inputs"].get("projectId"))][name] = int(quota["inputs"][name])
    for project, counts in sorted(need.items()):
        for name, value in sorted(counts.items()):
            limit = limits.get(project, {}).get(name)
            if limit is None:
                yield f"quotas: project {project} has no {name} quota set (the cloud's default applies)"
            elif value > limit:
                yield f"quotas: project {project} needs {value} {name}, its quota is {limit}"


# -- bootstrap ------------------------------------------------------------------------------------------------
def bootstrap(index: Index) -> Iterator[str]:
    for server in index.by_type[INSTANCE]:
        where = f"bootstrap: server {server['name']}"
        inputs = server["inputs"]
        data = str(inputs.get("userData") or "")
        if not data.startswith("#cloud-config"):
            yield f"{where}: no cloud-init user data"
            continue
        if not inputs.get("configDrive"):
            yield f"{where}: no config drive (and no metadata flow)"
        if "ssh_authorized_keys" not in data and "TrustedUserCAKeys" not in data:
            yield f"{where}: no SSH key or SSH CA for the automation account"
        if "itpark-mirror.sources" not in data or "Signed-By:" not in data:
            yield f"{where}: the park mirror is not its package source"
        for net in inputs.get("networks") or []:
            port = index.get(net.get("port"), PORT)
            for fixed in (port or {}).get("inputs", {}).get("fixedIps") or []:
                subnet = index.get(fixed.get("subnetId"), SUBNET)
                if subnet is not None and not subnet["inputs"].get("dnsNameservers"):
                    yield f"{where}: subnet {subnet['name']} hands out no resolvers"


# -- layer 3 ---------------------------------------------------------------------------------------------------
ROUTES = f"{T}networking/routerRoutesV2:RouterRoutesV2"
SUBNET_ROUTE = f"{T}networking/subnetRoute:SubnetRoute"
MAX_HOPS = 8


@dataclass
class _Node:
    """A router: a Neutron one from the manifest, or a site's physical core router from the plan's routing."""

    name: str
    subnets: set[str] = field(default_factory=set)  # cidrs it has an interface on
    routes: list[tuple[IPNetwork, str]] = field(default_factory=list)  # includes its default routes (/0)


@dataclass
class _Net:
    routers: dict[str, _Node]  # by owned address
    subnets: dict[str, dict[str, Any]]  # cidr -> {"gateway": addr, "routes": [(net, hop)]}

    def owner(self, address: str) -> _Node | None:
        return self.routers.get(str(IPAddress(address)))


def _network(plan: Plan, index: Index) -> _Net:
    subnets_by_id = {mock_id(s): s["inputs"] for s in index.by_type[SUBNET]}
    net = _Net({}, {})
    for sub in subnets_by_id.values():
        net.subnets[sub["cidr"]] = {"gateway": sub.get("gatewayIp"), "routes": []}
    for route in index.by_type[SUBNET_ROUTE]:
        sub = subnets_by_id.get(str(route["inputs"].get("subnetId")))
        if sub is not None:
            hop = (IPNetwork(route["inputs"]["destinationCidr"]), str(route["inputs"]["nextHop"]))
            net.subnets[sub["cidr"]]["routes"].append(hop)
    nodes: dict[str, _Node] = {mock_id(r): _Node(r["name"]) for r in index.by_type[ROUTER]}
    core_subnets: dict[str, list[dict[str, Any]]] = defaultdict(list)  # network id -> its subnets
    for sub in subnets_by_id.values():
        core_subnets[str(sub.get("networkId"))].append(sub)
    for router in index.by_type[ROUTER]:
        node = nodes[mock_id(router)]
        for fixed in router["inputs"].get("externalFixedIps") or []:
            if fixed.get("ipAddress"):
                net.routers[str(IPAddress(fixed["ipAddress"]))] = node
        for sub in core_subnets.get(str(router["inputs"].get("externalNetworkId")), []):
            node.subnets.add(sub["cidr"])  # its uplink's subnets are directly connected
            if sub.get("gatewayIp"):  # Neutron's default route: the gateway of its external subnet
                node.routes.append((IPNetwork("::/0" if ":" in sub["cidr"] else "0.0.0.0/0"), sub["gatewayIp"]))
    for itf in index.by_type[INTERFACE]:
        node = nodes.get(str(itf["inputs"].get("routerId")))
        if node is None:
            continue
        sub = subnets_by_id.get(str(itf["inputs"].get("subnetId")))
        if sub is not None:
            node.subnets.add(sub["cidr"])
            if sub.get("gatewayIp"):
                net.routers[str(IPAddress(sub["gatewayIp"]))] = node
        port = index.get(itf["inputs"].get("portId"), PORT)
        for fixed in (port or {}).get("inputs", {}).get("fixedIps") or []:
            psub = subnets_by_id.get(str(fixed.get("subnetId")))
            if psub is not None and fixed.get("ipAddress"):
                node.subnets.add(psub["cidr"])
                net.routers[str(IPAddress(fixed["ipAddress"]))] = node
    for routes in index.by_type[ROUTES]:
        node = nodes.get(str(routes["inputs"].get("routerId")))
        for route in routes["inputs"].get("routes") or []:
            if node is not None:
                node.routes.append((IPNetwork(route["destinationCidr"]), str(route["nextHop"])))
    for site in plan.sites:  # the physical core routers, configured from the plan's routing
        core = _Node(f"core-{site.id}", {site.core_v4, site.core_v6})
        for address in (site.core_gateway_v4, site.core_gateway_v6):
            if address:
                net.routers[str(IPAddress(address))] = core
    for route in core_routes(plan):
        core_node = net.owner(next(s.core_gateway_v4 for s in plan.sites if f"core-{s.id}" == route.router))
        if core_node is not None:
            core_node.routes.append((IPNetwork(route.destination), route.next_hop))
    return net


def _best(routes: list[tuple[IPNetwork, str]], address: IPAddress) -> str | None:
    matches = [(dest.prefixlen, hop) for dest, hop in routes if address in dest]
    return max(matches)[1] if matches else None


def path(net: _Net, src: str, dst: str) -> bool:
    """A layer-3 path from a host of subnet `src` to a host of subnet `dst`, hop by hop: the host's routes
    (DHCP host routes, then the subnet gateway), then each router's interfaces, static and default routes."""
    target = IPAddress(IPNetwork(dst).first + 10, IPNetwork(dst).version)
    info = net.subnets.get(src)
    if info is None:
        return False
    hop = _best(info["routes"], target) or info["gateway"]
    seen: set[str] = set()
    for _ in range(MAX_HOPS):
        node = net.owner(hop) if hop else None
        if node is None or node.name in seen:
            return False
        if dst in node.subnets:
            return True
        seen.add(node.name)
        hop = _best(node.routes, target)
    return False


def _flow_subnets(plan: Plan, end: str) -> list[str]:
    """The subnets (cidrs) of a flow end that is a network of the park; [] for sites, links and the Internet."""
    kind, _, rest = end.partition(":")
    if kind == "zone":
        tenant, system, zone = rest.split("/")
        for sys in plan.tenant(tenant).systems if tenant in {t.name for t in plan.tenants} else ():
            if sys.id == system:
                return [c for z in sys.zones if z.zone == zone for c in (z.ipv4, z.ipv6)]
    if kind == "service":
        service_kind, _, site = rest.partition("@")
        service = plan.service(service_kind, site)
        if service is not None:
            return [service.subnet.ipv4, service.subnet.ipv6]
    if kind == "link":  # the link's own ranges (the Internet's are everyone's: nothing to route to)
        return [
            c for link in plan.links if link.kind == rest for c in (link.ipv4, link.ipv6) if c and rest != "internet"
        ]
    return []


def _pairs(a: list[str], b: list[str]) -> Iterable[tuple[str, str]]:
    for x in a:
        for y in b:
            if IPNetwork(x).version == IPNetwork(y).version:
                yield x, y


def layer3(plan: Plan, index: Index) -> Iterator[str]:
    net = _network(plan, index)
    for flow in plan.all_flows():
        src, dst = _flow_subnets(plan, flow.source), _flow_subnets(plan, flow.destination)
        # A link's own side is its provider's: check the park's side of the path only.
        from_link, to_link = flow.source.startswith("link:"), flow.destination.startswith("link:")
        for a, b in _pairs(src, dst):
            if a == b:
                continue
            if not from_link and not path(net, a, b):
                yield f"layer 3: flow {flow.id}: no path from {a} to {b}"
            elif not to_link and not path(net, b, a):
                yield f"layer 3: flow {flow.id}: no return path from {b} to {a}"


# -- security-group rules on both ends -------------------------------------------------------------------------
def _group_name(plan: Plan, end: str) -> str | None:
    kind, _, rest = end.partition(":")
    if kind == "zone":
        return rest.replace("/", "-")
    if kind == "service":
        service_kind, _, site = rest.partition("@")
        return f"shared-{site}-{service_kind}"
    return None


@dataclass(frozen=True)
class _Rule:
    direction: str
    protocol: str | None
    low: int | None
    high: int | None
    remote: IPNetwork | None


def _rules_by_group(index: Index) -> dict[str, list[_Rule]]:
    names = {mock_id(g): g["inputs"].get("name", g["name"]) for g in index.by_type[f"{T}networking/secGroup:SecGroup"]}
    out: dict[str, list[_Rule]] = defaultdict(list)
    for rule in index.by_type[RULE]:
        i = rule["inputs"]
        group = names.get(str(i.get("securityGroupId")))
        if group is None:
            continue
        remote = IPNetwork(i["remoteIpPrefix"]) if i.get("remoteIpPrefix") else None
        low, high = i.get("portRangeMin"), i.get("portRangeMax")
        out[str(group)].append(_Rule(str(i.get("direction")), i.get("protocol") or None, low, high, remote))
    return out


def _allows(rules: list[_Rule], direction: str, port: str, peers: list[str]) -> bool:
    """Some rule of this direction admits the port from (or to) every peer network of its family."""
    spec = parse_port(port)
    for peer in peers:
        net = IPNetwork(peer)
        if not any(
            r.direction == direction
            and r.protocol in (None, spec.protocol)
            and (r.low is None or (spec.port_min is not None and r.low <= spec.port_min <= spec.port_max <= r.high))
            and (r.remote is None or (r.remote.version == net.version and net in r.remote))
            for r in rules
        ):
            return False
    return True


def flow_rules(plan: Plan, index: Index) -> Iterator[str]:
    """Each flow between two networks is admitted by the destination's ingress and the source's egress rules."""
    groups = _rules_by_group(index)
    for flow in plan.all_flows():
        src_nets, dst_nets = _flow_subnets(plan, flow.source), _flow_subnets(plan, flow.destination)
        if not src_nets or not dst_nets:
            continue
        src, dst = _group_name(plan, flow.source), _group_name(plan, flow.destination)
        for port in flow.ports:
            if dst is not None and not _allows(groups.get(dst, []), "ingress", port, src_nets):
                yield f"rules: flow {flow.id}: {dst} does not admit {port} from {flow.source}"
            if src is not None and not _allows(groups.get(src, []), "egress", port, dst_nets):
                yield f"rules: flow {flow.id}: {src} does not let {port} out to {flow.destination}"
