"""Replay a park's manifest against a real OpenStack, through openstacksdk: a TEST ORACLE, not a deployment engine.

What it is for: proving what OpenStack's own APIs accept from the Pulumi program. No Pulumi engine can run here,
so this replays what the program registers under Pulumi's mocks (`itpark manifest`): every resource, in dependency
order, with the request body the pulumi-openstack provider would send, through the credentials its provider would
use (the default provider: the deploying identity; an explicit `openstack.Provider`: the same user scoped to the
project in its `tenantId`, authenticated when the provider is registered, as Pulumi configures it). What OpenStack
refuses is reported with its own error message.

What it is not: it never updates, replaces or deletes, keeps no state, knows nothing of previews, diffs or
protection, and translates only the input fields listed in its tables (an unknown field is reported as
"untranslated", never dropped silently). Never use it to deploy a park: use `itpark up` (the Pulumi engine).

Resource types without a service in the test control plane (Octavia's load balancers) are reported as
"unsupported", with every resource that depends on them, so the caller sees exactly what was not proven.
"""

from __future__ import annotations

import base64
import concurrent.futures
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import openstack
from openstack.connection import Connection

T = "openstack:"
PROVIDER = "pulumi:providers:openstack"
PROJECT = T + "identity/project:Project"
NETWORK = T + "networking/network:Network"
SUBNET = T + "networking/subnet:Subnet"
ROUTER = T + "networking/router:Router"
SECGROUP = T + "networking/secGroup:SecGroup"
PORT = T + "networking/port:Port"
INSTANCE = T + "compute/instance:Instance"
VOLUME = T + "blockstorage/volume:Volume"
SERVER_GROUP = T + "compute/serverGroup:ServerGroup"
LOADBALANCER = T + "loadbalancer/loadBalancer:LoadBalancer"
LISTENER = T + "loadbalancer/listener:Listener"
POOL = T + "loadbalancer/pool:Pool"
FLAVOR = T + "compute/flavor:Flavor"
USER = T + "identity/user:User"
ROLE = T + "identity/role:Role"
ROLE_ASSIGNMENT = T + "identity/roleAssignment:RoleAssignment"

# Which resource types an input field refers to, for names shared by two types (a network and its security group).
REFERENCES: dict[str, tuple[str, ...]] = {
    "networkId": (NETWORK,),
    "externalNetworkId": (NETWORK,),
    "uuid": (NETWORK,),
    "subnetId": (SUBNET,),
    "vipSubnetId": (SUBNET,),
    "routerId": (ROUTER,),
    "securityGroupId": (SECGROUP,),
    "securityGroupIds": (SECGROUP,),
    "remoteGroupId": (SECGROUP,),
    "projectId": (PROJECT,),
    "tenantId": (PROJECT,),
    "domainId": (PROJECT,),
    "parentId": (PROJECT,),
    "defaultProjectId": (PROJECT,),
    "instanceId": (INSTANCE,),
    "volumeId": (VOLUME,),
    "port": (PORT,),
    "portId": (PORT, LOADBALANCER),
    "group": (SERVER_GROUP,),
    "loadbalancerId": (LOADBALANCER,),
    "listenerId": (LISTENER,),
    "poolId": (POOL,),
    "flavorId": (FLAVOR,),
    "userId": (USER,),
    "roleId": (ROLE,),
}
# Outputs other than the id that the program reads (the mocks name them "<name>-<output>").
COMPUTED = {LOADBALANCER: ("vipPortId", "vipAddress")}
IGNORED = {"region", "forceDestroy", "valueSpecs"}  # valueSpecs is merged into the body below


class Untranslated(Exception):
    """An input this oracle does not know how to send: extend its tables, never drop it."""


class Unsupported(Exception):
    """The test control plane has no service for this type."""


class Rejected(Exception):
    """OpenStack refused the request (or the resource went to ERROR)."""


@dataclass
class Outcome:
    key: str  # "stack|type::name"
    type: str
    status: str  # applied | rejected | untranslated | unsupported | skipped
    detail: str = ""
    id: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    def applied_per_type(self) -> Counter[str]:
        return Counter(o.type.rsplit(":", 1)[-1] for o in self.by_status("applied"))

    def summary(self) -> str:
        lines = [f"{len(self.outcomes)} resources replayed in {self.seconds:.0f} s"]
        lines += [
            f"  {s}: {len(self.by_status(s))}"
            for s in ("applied", "rejected", "untranslated", "unsupported", "skipped")
        ]
        lines += [f"  applied {t}: {n}" for t, n in sorted(self.applied_per_type().items())]
        lines += [
            f"  {o.status.upper()} {o.key}: {o.detail}"
            for o in self.outcomes
            if o.status in ("rejected", "untranslated")
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------- request bodies


def _api(
    conn: Connection, service: str, method: str, path: str, body: Any = None, microversion: str | None = None
) -> Any:
    proxy = getattr(conn, service)
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    if microversion:
        kwargs["microversion"] = microversion
    resp = getattr(proxy, method)(path, raise_exc=False, **kwargs)
    if resp.status_code >= 400:
        raise Rejected(f"{method.upper()} {path}: HTTP {resp.status_code}: {_message(resp)}")
    return resp.json() if resp.content else {}


def _message(resp: Any) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text.strip()[:500]
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, dict) and "message" in value:
                return str(value["message"])
        if "NeutronError" in data:
            return str(data["NeutronError"].get("message"))
    return str(data)[:500]


Field = str | Callable[[Any, dict[str, Any]], None]


def _put(name: str) -> Callable[[Any, dict[str, Any]], None]:
    def put(value: Any, body: dict[str, Any]) -> None:
        body[name] = value

    return put


def _list_of(mapping: dict[str, str]) -> Callable[[str], Callable[[Any, dict[str, Any]], None]]:
    def field_(name: str) -> Callable[[Any, dict[str, Any]], None]:
        def put(value: Any, body: dict[str, Any]) -> None:
            out = []
            for item in value:
                unknown = set(item) - set(mapping)
                if unknown:
                    raise Untranslated(f"{name}: fields {sorted(unknown)}")
                out.append({mapping[k]: v for k, v in item.items()})
            body[name] = out

        return put

    return field_


def _translate(inputs: Mapping[str, Any], fields: Mapping[str, Field], skip: Iterable[str] = ()) -> dict[str, Any]:
    body: dict[str, Any] = dict(inputs.get("valueSpecs") or {})
    for key, value in inputs.items():
        if key in IGNORED or key in skip:
            continue
        target = fields.get(key)
        if target is None:
            raise Untranslated(f"input '{key}'")
        if callable(target):
            target(value, body)
        else:
            body[target] = value
    return body


def _gateway(value: Any, body: dict[str, Any], key: str) -> None:
    body.setdefault("external_gateway_info", {})[key] = value


def _segments(value: Any, body: dict[str, Any]) -> None:
    keys = {
        "networkType": "provider:network_type",
        "physicalNetwork": "provider:physical_network",
        "segmentationId": "provider:segmentation_id",
    }
    body["segments"] = [{keys[k]: v for k, v in s.items()} for s in value]


def _no_gateway(value: Any, body: dict[str, Any]) -> None:
    if value:
        body["gateway_ip"] = None


def _no_groups(value: Any, body: dict[str, Any]) -> None:
    if value:
        body["security_groups"] = []


def _protocol(value: Any, body: dict[str, Any]) -> None:
    if value not in ("", None):  # the provider leaves an empty protocol out: any protocol
        body["protocol"] = value


# Pulumi input -> API field, per type of the resources created by one POST.
NETWORK_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "adminStateUp": "admin_state_up",
    "shared": "shared",
    "external": "router:external",
    "tenantId": "tenant_id",
    "mtu": "mtu",
    "portSecurityEnabled": "port_security_enabled",
    "availabilityZoneHints": "availability_zone_hints",
    "dnsDomain": "dns_domain",
    "qosPolicyId": "qos_policy_id",
    "transparentVlan": "vlan_transparent",
    "segments": _segments,
}
SUBNET_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "cidr": "cidr",
    "ipVersion": "ip_version",
    "networkId": "network_id",
    "enableDhcp": "enable_dhcp",
    "gatewayIp": "gateway_ip",
    "noGateway": _no_gateway,
    "dnsNameservers": "dns_nameservers",
    "tenantId": "tenant_id",
    "ipv6AddressMode": "ipv6_address_mode",
    "ipv6RaMode": "ipv6_ra_mode",
    "subnetpoolId": "subnetpool_id",
    "prefixLength": "prefixlen",
    "serviceTypes": "service_types",
    "segmentId": "segment_id",
    "dnsPublishFixedIp": "dns_publish_fixed_ip",
    "allocationPools": _list_of({"start": "start", "end": "end"})("allocation_pools"),
    "hostRoutes": _list_of({"destinationCidr": "destination", "nextHop": "nexthop"})("host_routes"),
}
ROUTER_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "adminStateUp": "admin_state_up",
    "distributed": "distributed",
    "tenantId": "tenant_id",
    "availabilityZoneHints": "availability_zone_hints",
    "externalNetworkId": lambda v, b: _gateway(v, b, "network_id"),
    "enableSnat": lambda v, b: _gateway(v, b, "enable_snat"),
    "externalFixedIps": lambda v, b: _gateway(
        [{{"subnetId": "subnet_id", "ipAddress": "ip_address"}[k]: x for k, x in ip.items()} for ip in v],
        b,
        "external_fixed_ips",
    ),
    "externalSubnetIds": lambda v, b: _gateway([{"subnet_id": s} for s in v], b, "external_fixed_ips"),
}
SECGROUP_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "tenantId": "tenant_id",
    "stateful": "stateful",
}
RULE_FIELDS: dict[str, Field] = {
    "direction": "direction",
    "ethertype": "ethertype",
    "protocol": _protocol,
    "portRangeMin": "port_range_min",
    "portRangeMax": "port_range_max",
    "remoteIpPrefix": "remote_ip_prefix",
    "remoteGroupId": "remote_group_id",
    "securityGroupId": "security_group_id",
    "tenantId": "tenant_id",
    "description": "description",
}
PORT_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "networkId": "network_id",
    "adminStateUp": "admin_state_up",
    "macAddress": "mac_address",
    "tenantId": "tenant_id",
    "deviceOwner": "device_owner",
    "deviceId": "device_id",
    "securityGroupIds": "security_groups",
    "noSecurityGroups": _no_groups,
    "portSecurityEnabled": "port_security_enabled",
    "dnsName": "dns_name",
    "qosPolicyId": "qos_policy_id",
    "fixedIps": _list_of({"subnetId": "subnet_id", "ipAddress": "ip_address"})("fixed_ips"),
    "allowedAddressPairs": _list_of({"ipAddress": "ip_address", "macAddress": "mac_address"})("allowed_address_pairs"),
}
FLOATING_FIELDS: dict[str, Field] = {
    "portId": "port_id",
    "fixedIp": "fixed_ip_address",
    "subnetId": "subnet_id",
    "address": "floating_ip_address",
    "tenantId": "tenant_id",
    "description": "description",
    "dnsName": "dns_name",
    "dnsDomain": "dns_domain",
}
PROJECT_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "domainId": "domain_id",
    "isDomain": "is_domain",
    "parentId": "parent_id",
    "enabled": "enabled",
    "tags": "tags",
}
FLAVOR_FIELDS: dict[str, Field] = {
    "name": "name",
    "ram": "ram",
    "vcpus": "vcpus",
    "disk": "disk",
    "swap": "swap",
    "flavorId": "id",
    "rxTxFactor": "rxtx_factor",
    "ephemeral": "OS-FLV-EXT-DATA:ephemeral",
    "description": "description",
    "isPublic": "os-flavor-access:is_public",
}
VOLUME_FIELDS: dict[str, Field] = {
    "name": "name",
    "description": "description",
    "size": "size",
    "availabilityZone": "availability_zone",
    "metadata": "metadata",
    "volumeType": "volume_type",
    "imageId": "imageRef",
    "sourceVolId": "source_volid",
    "snapshotId": "snapshot_id",
    "consistencyGroupId": "consistencygroup_id",
    "multiattach": "multiattach",
}
COMPUTE_QUOTA = {
    "cores": "cores",
    "instances": "instances",
    "ram": "ram",
    "floatingIps": "floating_ips",
    "fixedIps": "fixed_ips",
    "securityGroups": "security_groups",
    "securityGroupRules": "security_group_rules",
    "keyPairs": "key_pairs",
    "serverGroups": "server_groups",
    "serverGroupMembers": "server_group_members",
    "metadataItems": "metadata_items",
    "injectedFiles": "injected_files",
    "injectedFileContentBytes": "injected_file_content_bytes",
    "injectedFilePathBytes": "injected_file_path_bytes",
}
VOLUME_QUOTA = {
    "gigabytes": "gigabytes",
    "volumes": "volumes",
    "snapshots": "snapshots",
    "backups": "backups",
    "backupGigabytes": "backup_gigabytes",
    "perVolumeGigabytes": "per_volume_gigabytes",
    "groups": "groups",
    "volumeTypeQuota": lambda v, b: b.update(v),
}
NETWORK_QUOTA = {
    "floatingip": "floatingip",
    "network": "network",
    "port": "port",
    "rbacPolicy": "rbac_policy",
    "router": "router",
    "securityGroup": "security_group",
    "securityGroupRule": "security_group_rule",
    "subnet": "subnet",
    "subnetpool": "subnetpool",
}


# ---------------------------------------------------------------------------------------- handlers


@dataclass
class Ctx:
    replay: Replay
    conn: Connection
    inputs: dict[str, Any]
    name: str


def _create(
    service: str,
    path: str,
    wrap: str,
    fields: Mapping[str, Field],
    tags: bool = False,
    skip: Iterable[str] = (),
    after: Callable[[Ctx, dict[str, Any]], None] | None = None,
    microversion: str | None = None,
) -> Callable[[Ctx], str]:
    """A handler for a resource made by one POST to `path` (and its tags set as the provider does, afterwards)."""

    def handler(ctx: Ctx) -> str:
        skipped = {"tags"} if tags else set()
        body = _translate(ctx.inputs, fields, skip=(*skip, *skipped))
        made = _api(ctx.conn, service, "post", path, {wrap: body}, microversion)[wrap]
        if tags and ctx.inputs.get("tags"):
            _api(ctx.conn, service, "put", f"{path}/{made['id']}/tags", {"tags": ctx.inputs["tags"]})
        if after:
            after(ctx, made)
        return str(made["id"])

    return handler


def _quota(service: str, path: str, wrap: str, fields: Mapping[str, Field]) -> Callable[[Ctx], str]:
    def handler(ctx: Ctx) -> str:
        project = ctx.inputs["projectId"]
        body = _translate(ctx.inputs, fields, skip=("projectId",))
        _api(ctx.conn, service, "put", f"{path}/{project}", {wrap: body})
        return str(project)

    return handler


def _delete_default_rules(ctx: Ctx, group: dict[str, Any]) -> None:
    if ctx.inputs.get("deleteDefaultRules"):
        for rule in group.get("security_group_rules", []):
            _api(ctx.conn, "network", "delete", f"/security-group-rules/{rule['id']}")


def _router_interface(ctx: Ctx) -> str:
    body = _translate(ctx.inputs, {"subnetId": "subnet_id", "portId": "port_id"}, skip=("routerId",))
    made = _api(ctx.conn, "network", "put", f"/routers/{ctx.inputs['routerId']}/add_router_interface", body)
    return str(made["port_id"])


def _router_route(ctx: Ctx) -> str:
    route = _translate(ctx.inputs, {"destinationCidr": "destination", "nextHop": "nexthop"}, skip=("routerId",))
    _api(
        ctx.conn,
        "network",
        "put",
        f"/routers/{ctx.inputs['routerId']}/add_extraroutes",
        {"router": {"routes": [route]}},
    )
    return f"{ctx.inputs['routerId']}-{route['destination']}"


def _router_routes(ctx: Ctx) -> str:
    """RouterRoutesV2: the router's whole list of static routes, set in one update as the provider does."""
    routes = []
    for route in ctx.inputs.get("routes") or []:
        routes.append(_translate(route, {"destinationCidr": "destination", "nextHop": "nexthop"}))
    _translate(ctx.inputs, {"routerId": "router_id", "routes": "routes"})  # nothing else is known
    _api(ctx.conn, "network", "put", f"/routers/{ctx.inputs['routerId']}", {"router": {"routes": routes}})
    return str(ctx.inputs["routerId"])


def _subnet_route(ctx: Ctx) -> str:
    """SubnetRoute: one host route appended to the subnet's list, as the provider does (read, append, update)."""
    route = _translate(ctx.inputs, {"destinationCidr": "destination", "nextHop": "nexthop"}, skip=("subnetId",))
    path = f"/subnets/{ctx.inputs['subnetId']}"
    current = _api(ctx.conn, "network", "get", path)["subnet"].get("host_routes") or []
    _api(ctx.conn, "network", "put", path, {"subnet": {"host_routes": [*current, route]}})
    return f"{ctx.inputs['subnetId']}-{route['destination']}"


def _floating_ip(ctx: Ctx) -> str:
    body = _translate(ctx.inputs, FLOATING_FIELDS, skip=("pool", "tags"))
    nets = _api(ctx.conn, "network", "get", f"/networks?name={ctx.inputs['pool']}")["networks"]
    if len(nets) != 1:
        raise Rejected(f"floating IP pool {ctx.inputs['pool']!r}: {len(nets)} networks of that name")
    body["floating_network_id"] = nets[0]["id"]
    made = _api(ctx.conn, "network", "post", "/floatingips", {"floatingip": body})["floatingip"]
    if ctx.inputs.get("tags"):
        _api(ctx.conn, "network", "put", f"/floatingips/{made['id']}/tags", {"tags": ctx.inputs["tags"]})
    return str(made["id"])


def _role_assignment(ctx: Ctx) -> str:
    i = ctx.inputs
    unknown = set(i) - {"roleId", "projectId", "userId", "groupId", "domainId"} - IGNORED
    if unknown:
        raise Untranslated(f"inputs {sorted(unknown)}")
    target = f"/projects/{i['projectId']}" if i.get("projectId") else f"/domains/{i['domainId']}"
    actor = f"/users/{i['userId']}" if i.get("userId") else f"/groups/{i['groupId']}"
    role = ctx.replay.identity_id("role", i["roleId"])
    if i.get("userId"):
        actor = f"/users/{ctx.replay.identity_id('user', i['userId'])}"
    _api(ctx.conn, "identity", "put", f"{target}{actor}/roles/{role}")
    return f"{target}{actor}/roles/{role}"


def _keypair(ctx: Ctx) -> str:
    body = _translate(ctx.inputs, {"name": "name", "publicKey": "public_key", "userId": "user_id"})
    made = _api(ctx.conn, "compute", "post", "/os-keypairs", {"keypair": body}, "2.10" if "user_id" in body else None)
    return str(made["keypair"]["name"])


def _server_group(ctx: Ctx) -> str:
    i = ctx.inputs
    policies = [i["policies"]] if isinstance(i.get("policies"), str) else i.get("policies")  # one policy or a list
    body = _translate({**i, "policies": policies}, {"name": "name", "policies": "policies"}, skip=("rules",))
    if not policies:
        raise Rejected("a server group without a policy")
    if i.get("rules"):  # the provider sends one policy with rules from microversion 2.64
        body = {"name": body["name"], "policy": policies[0], "rules": i["rules"]}
        made = _api(ctx.conn, "compute", "post", "/os-server-groups", {"server_group": body}, "2.64")
    else:
        made = _api(ctx.conn, "compute", "post", "/os-server-groups", {"server_group": body})
    return str(made["server_group"]["id"])


def _flavor_after(ctx: Ctx, made: dict[str, Any]) -> None:
    if ctx.inputs.get("extraSpecs"):
        _api(
            ctx.conn,
            "compute",
            "post",
            f"/flavors/{made['id']}/os-extra_specs",
            {"extra_specs": ctx.inputs["extraSpecs"]},
        )


def _wait(fetch: Callable[[], dict[str, Any]], ok: str, bad: Iterable[str], what: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        obj = fetch()
        status = str(obj.get("status", "")).lower()
        if status == ok:
            return obj
        if status in bad:
            fault = obj.get("fault", {}).get("message", "")
            raise Rejected(f"{what} went to {status.upper()}{': ' + fault if fault else ''}")
        if time.monotonic() > deadline:
            raise Rejected(f"{what} still {status.upper()} after {timeout:.0f} s")
        time.sleep(1)


def _volume_after(ctx: Ctx, made: dict[str, Any]) -> None:
    _wait(
        lambda: _api(ctx.conn, "block_storage", "get", f"/volumes/{made['id']}")["volume"],
        "available",
        ("error",),
        f"volume {ctx.name}",
        ctx.replay.timeout,
    )


def _instance(ctx: Ctx) -> str:
    i, conn = ctx.inputs, ctx.conn
    server: dict[str, Any] = {}
    fields: dict[str, Field] = {
        "name": "name",
        "availabilityZone": "availability_zone",
        "metadata": "metadata",
        "keyPair": "key_name",
        "configDrive": "config_drive",
        "adminPass": "adminPass",
        "accessIpV4": "accessIPv4",
        "accessIpV6": "accessIPv6",
        "userData": lambda v, b: b.update(user_data=base64.b64encode(v.encode()).decode()),
        "securityGroups": lambda v, b: b.update(security_groups=[{"name": g} for g in v]),
        "networks": _list_of(
            {"port": "port", "uuid": "uuid", "fixedIpV4": "fixed_ip", "fixedIpV6": "fixed_ip", "name": "name"}
        )("networks"),
        "blockDevices": _list_of(
            {
                "uuid": "uuid",
                "sourceType": "source_type",
                "destinationType": "destination_type",
                "volumeSize": "volume_size",
                "bootIndex": "boot_index",
                "deleteOnTermination": "delete_on_termination",
                "volumeType": "volume_type",
                "deviceType": "device_type",
                "diskBus": "disk_bus",
            }
        )("block_device_mapping_v2"),
    }
    hints: dict[str, Any] = {}
    skip = (
        "flavorName",
        "flavorId",
        "imageName",
        "imageId",
        "schedulerHints",
        "tags",
        "powerState",
        "stopBeforeDestroy",
    )
    server = _translate(i, fields, skip=skip)
    if any(n.get("name") for n in server.get("networks", [])):
        raise Untranslated("networks[].name (the provider looks the network up by name)")
    server["flavorRef"] = i.get("flavorId") or ctx.replay.flavor_id(conn, i["flavorName"])
    if i.get("imageId") or i.get("imageName"):
        server["imageRef"] = i.get("imageId") or ctx.replay.image_id(conn, i["imageName"])
    for hint in i.get("schedulerHints") or []:
        unknown = set(hint) - {"group", "differentHosts", "sameHosts"}
        if unknown:
            raise Untranslated(f"schedulerHints fields {sorted(unknown)}")
        if hint.get("group"):
            hints["group"] = hint["group"]
        if hint.get("differentHosts"):
            hints["different_host"] = hint["differentHosts"]
        if hint.get("sameHosts"):
            hints["same_host"] = hint["sameHosts"]
    body: dict[str, Any] = {"server": server}
    if hints:
        body["os:scheduler_hints"] = hints
    made = _api(conn, "compute", "post", "/servers", body)["server"]
    _wait(
        lambda: _api(conn, "compute", "get", f"/servers/{made['id']}")["server"],
        "active",
        ("error",),
        f"server {ctx.name}",
        ctx.replay.timeout,
    )
    if i.get("tags"):
        _api(conn, "compute", "put", f"/servers/{made['id']}/tags", {"tags": i["tags"]}, "2.26")
    return str(made["id"])


def _volume_attach(ctx: Ctx) -> str:
    body = _translate(ctx.inputs, {"volumeId": "volumeId", "device": "device"}, skip=("instanceId", "multiattach"))
    made = _api(
        ctx.conn,
        "compute",
        "post",
        f"/servers/{ctx.inputs['instanceId']}/os-volume_attachments",
        {"volumeAttachment": body},
    )["volumeAttachment"]
    _wait(
        lambda: _api(ctx.conn, "block_storage", "get", f"/volumes/{body['volumeId']}")["volume"],
        "in-use",
        ("error", "error_attaching", "available"),
        f"attachment {ctx.name}",
        ctx.replay.timeout,
    )
    return f"{ctx.inputs['instanceId']}/{made['id']}"


def _image(ctx: Ctx) -> str:
    """The image record as the provider makes it; its bytes are a 1 KiB stand-in for the source URL (no network
    here), uploaded so that servers can boot from it."""
    fields: dict[str, Field] = {
        "name": "name",
        "containerFormat": "container_format",
        "diskFormat": "disk_format",
        "visibility": "visibility",
        "minDiskGb": "min_disk",
        "minRamMb": "min_ram",
        "protected": "protected",
        "tags": "tags",
        "properties": lambda v, b: b.update(v),
        "hidden": "os_hidden",
    }
    body = _translate(
        ctx.inputs,
        fields,
        skip=("imageSourceUrl", "webDownload", "verifyChecksum", "localFilePath", "imageCachePath", "decompress"),
    )
    made = _api(ctx.conn, "image", "post", "/images", body)
    resp = ctx.conn.image.put(
        f"/images/{made['id']}/file",
        data=b"\0" * 1024,
        headers={"Content-Type": "application/octet-stream"},
        raise_exc=False,
    )
    if resp.status_code >= 400:
        raise Rejected(f"upload of image {ctx.name}: HTTP {resp.status_code}: {_message(resp)}")
    return str(made["id"])


def _no_octavia(ctx: Ctx) -> str:
    raise Unsupported("no Octavia (load-balancer service) in the test control plane")


HANDLERS: dict[str, Callable[[Ctx], str]] = {
    PROJECT: _create("identity", "/projects", "project", PROJECT_FIELDS),
    USER: _create(
        "identity",
        "/users",
        "user",
        {
            "name": "name",
            "description": "description",
            "domainId": "domain_id",
            "password": "password",
            "enabled": "enabled",
            "defaultProjectId": "default_project_id",
        },
    ),
    ROLE: _create("identity", "/roles", "role", {"name": "name", "domainId": "domain_id"}),
    ROLE_ASSIGNMENT: _role_assignment,
    FLAVOR: _create("compute", "/flavors", "flavor", FLAVOR_FIELDS, skip=("extraSpecs",), after=_flavor_after),
    T + "compute/keypair:Keypair": _keypair,
    SERVER_GROUP: _server_group,
    T + "compute/quotaSetV2:QuotaSetV2": _quota("compute", "/os-quota-sets", "quota_set", COMPUTE_QUOTA),
    T + "blockstorage/quoteSetV3:QuoteSetV3": _quota("block_storage", "/os-quota-sets", "quota_set", VOLUME_QUOTA),
    T + "networking/quotaV2:QuotaV2": _quota("network", "/quotas", "quota", NETWORK_QUOTA),
    NETWORK: _create("network", "/networks", "network", NETWORK_FIELDS, tags=True),
    SUBNET: _create("network", "/subnets", "subnet", SUBNET_FIELDS, tags=True),
    ROUTER: _create("network", "/routers", "router", ROUTER_FIELDS, tags=True),
    T + "networking/routerInterface:RouterInterface": _router_interface,
    T + "networking/routerRoute:RouterRoute": _router_route,
    T + "networking/routerRoutesV2:RouterRoutesV2": _router_routes,
    T + "networking/subnetRoute:SubnetRoute": _subnet_route,
    SECGROUP: _create(
        "network",
        "/security-groups",
        "security_group",
        SECGROUP_FIELDS,
        tags=True,
        skip=("deleteDefaultRules",),
        after=_delete_default_rules,
    ),
    T + "networking/secGroupRule:SecGroupRule": _create(
        "network", "/security-group-rules", "security_group_rule", RULE_FIELDS
    ),
    PORT: _create("network", "/ports", "port", PORT_FIELDS, tags=True),
    T + "networking/floatingIp:FloatingIp": _floating_ip,
    VOLUME: _create("block_storage", "/volumes", "volume", VOLUME_FIELDS, after=_volume_after),
    INSTANCE: _instance,
    T + "compute/volumeAttach:VolumeAttach": _volume_attach,
    T + "images/image:Image": _image,
    LOADBALANCER: _no_octavia,
    LISTENER: _no_octavia,
    POOL: _no_octavia,
    T + "loadbalancer/member:Member": _no_octavia,
}


# ---------------------------------------------------------------------------------------- the replay


@dataclass
class _Record:
    key: str
    stack: str
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str | None  # key of the provider record, None for the default provider
    after: tuple[str, ...] = ()  # a provider: its stack's role assignments (the program's dependsOn, which the
    # manifest does not record: a provider is configured, so authenticated, only after them)


class Replay:
    """Apply a manifest (`itpark manifest` JSON) to the cloud `auth` names (an admin, as the deploying identity)."""

    def __init__(
        self, auth: Mapping[str, Any], timeout: float = 600, threads: int = 8, budget: float | None = None
    ) -> None:
        self.auth = dict(auth)
        self.timeout = timeout  # for one server, volume or attachment to become ready
        self.threads = threads
        self.budget = budget  # seconds for the whole replay; what is left is reported "skipped", never passed
        self._deadline = float("inf")
        self.admin = openstack.connect(**self.auth)
        self.ids: dict[str, str] = {}  # record key -> real id (and "key#output" -> value)
        self.conns: dict[str, Connection] = {}
        self._flavors: dict[str, str] = {}
        self._images: dict[str, str] = {}

    # lookups the provider does by name
    def flavor_id(self, conn: Connection, name: str) -> str:
        if name not in self._flavors:
            found = [f for f in _api(conn, "compute", "get", "/flavors")["flavors"] if f["name"] == name]
            if len(found) != 1:
                raise Rejected(f"flavor {name!r}: {len(found)} found")
            self._flavors[name] = found[0]["id"]
        return self._flavors[name]

    def image_id(self, conn: Connection, name: str) -> str:
        if name not in self._images:
            found = _api(conn, "image", "get", f"/images?name={name}")["images"]
            if len(found) != 1:
                raise Rejected(f"image {name!r}: {len(found)} found")
            self._images[name] = found[0]["id"]
        return self._images[name]

    def identity_id(self, kind: str, value: str) -> str:
        """A user's or role's id from its id or its name; the mocks answer the program's look-ups by name
        (`get_user(name=N)`) with "N-id", so that form is looked up as the name N, as the provider would."""
        found = _api(self.admin, "identity", "get", f"/{kind}s")[f"{kind}s"]
        names = (value, value.removesuffix("-id"))
        for item in found:
            if value == item["id"] or item["name"] in names:
                return str(item["id"])
        raise Rejected(f"{kind} {value!r} does not exist")

    def apply(self, manifest: Mapping[str, Any]) -> Report:
        """Every resource, wave by wave: a wave holds the resources whose dependencies are all in earlier waves,
        and runs `self.threads` requests at a time (as Pulumi runs independent resources in parallel)."""
        start = time.monotonic()
        self._deadline = start + self.budget if self.budget else float("inf")
        records = _records(manifest)
        mock_ids = _mock_ids(records)
        failed: dict[str, str] = {}  # key -> why its dependants are skipped
        outcomes: dict[str, Outcome] = {}
        order = _ordered(records, mock_ids)
        depth: dict[str, int] = {}
        for rec in order:
            deps = [d for d in _dependencies(rec, mock_ids, ordering=True) if d in depth]
            depth[rec.key] = 1 + max((depth[d] for d in deps), default=-1)
        with concurrent.futures.ThreadPoolExecutor(self.threads) as pool:
            for wave in range(max(depth.values(), default=-1) + 1):
                batch = [rec for rec in order if depth[rec.key] == wave]
                for rec, outcome in zip(batch, pool.map(lambda r: self._one(r, mock_ids, failed), batch), strict=True):
                    if outcome.status != "applied":
                        failed[rec.key] = f"{outcome.status} {rec.key}"
                    outcomes[rec.key] = outcome
        return Report([outcomes[rec.key] for rec in order], time.monotonic() - start)

    def _one(self, rec: _Record, mock_ids: dict[str, list[str]], failed: dict[str, str]) -> Outcome:
        out = Outcome(rec.key, rec.type, "applied")
        if time.monotonic() > self._deadline:
            out.status, out.detail = "skipped", f"not attempted: the replay's time budget ({self.budget:.0f} s) ran out"
            return out
        try:
            deps = _dependencies(rec, mock_ids)
            blocked = [failed[d] for d in deps if d in failed]
            if blocked:
                unsupported = any(b.startswith("unsupported") for b in blocked)
                out.status = "unsupported" if unsupported else "skipped"
                out.detail = f"depends on {blocked[0]}"
                return out
            inputs = _resolve(rec.inputs, mock_ids, self.ids)
            if rec.type == PROVIDER:
                self.conns[rec.key] = self._provider(inputs)
                out.id = rec.key
                return out
            handler = HANDLERS.get(rec.type)
            if handler is None:
                raise Untranslated(f"no handler for type {rec.type}")
            conn = self.conns[rec.provider] if rec.provider else self.admin
            out.id = handler(Ctx(self, conn, inputs, rec.name))
            self.ids[rec.key] = out.id
            if rec.type == LOADBALANCER:  # never reached without Octavia; kept for the computed outputs
                pass
        except Rejected as err:
            out.status, out.detail = "rejected", str(err)
        except Untranslated as err:
            out.status, out.detail = "untranslated", str(err)
        except Unsupported as err:
            out.status, out.detail = "unsupported", str(err)
        except openstack.exceptions.SDKException as err:
            out.status, out.detail = "rejected", f"{type(err).__name__}: {err}"
        return out

    def _provider(self, inputs: Mapping[str, Any]) -> Connection:
        """The same identity scoped as the provider's inputs say, authenticated now (as Pulumi configures it)."""
        auth = {k: v for k, v in self.auth.items() if k not in ("project_name", "project_domain_name")}
        known = {
            "tenantId",
            "tenantName",
            "projectDomainName",
            "projectDomainId",
            "userDomainName",
            "domainName",
            "userName",
            "password",
            "authUrl",
            "region",
            "cloud",
            "insecure",
            "endpointType",
            "userId",
            "applicationCredentialId",
            "applicationCredentialSecret",
        }
        unknown = set(inputs) - known
        if unknown:
            raise Untranslated(f"provider inputs {sorted(unknown)}")
        if inputs.get("tenantId"):
            auth["project_id"] = inputs["tenantId"]
        elif inputs.get("tenantName"):
            auth["project_name"] = inputs["tenantName"]
            auth["project_domain_name"] = inputs.get("projectDomainName") or "Default"
        else:
            auth["project_name"] = self.auth["project_name"]
            auth["project_domain_name"] = self.auth["project_domain_name"]
        conn = openstack.connect(**auth)
        try:
            conn.authorize()
        except openstack.exceptions.SDKException as err:
            raise Rejected(f"provider cannot authenticate scoped to {inputs.get('tenantId')}: {err}") from None
        return conn


def _records(manifest: Mapping[str, Any]) -> list[_Record]:
    out = []
    for stack, body in manifest["stacks"].items():
        for key, r in body["resources"].items():
            if r.get("custom") or r["type"] == PROVIDER:
                out.append(
                    _Record(
                        f"{stack}|{key}",
                        stack,
                        r["type"],
                        r["name"],
                        r.get("inputs", {}),
                        f"{stack}|{provider}" if (provider := _provider_of(r)) else None,
                    )
                )
    for rec in out:
        if rec.type == PROVIDER:
            rec.after = tuple(r.key for r in out if r.stack == rec.stack and r.type == ROLE_ASSIGNMENT)
    return out


def _provider_of(resource: Mapping[str, Any]) -> str | None:
    """Key of the resource's explicit provider (recorded beside or among its options); None: the default one."""
    return resource.get("provider") or (resource.get("options") or {}).get("provider")


def _mock_ids(records: list[_Record]) -> dict[str, list[str]]:
    """Mock id (what the program saw) -> record keys, plus '<name>-<output>' for computed outputs."""
    ids: dict[str, list[str]] = {}
    for rec in records:
        ids.setdefault(f"{rec.name}-id", []).append(rec.key)
        for output in COMPUTED.get(rec.type, ()):
            ids.setdefault(f"{rec.name}-{output}", []).append(f"{rec.key}#{output}")
    return ids


def _target(value: str, field_: str | None, mock_ids: Mapping[str, list[str]], stack: str) -> str | None:
    keys = mock_ids.get(value)
    if not keys:
        return None
    if len(keys) > 1 and field_ in REFERENCES:
        keys = [k for k in keys if k.split("|", 1)[1].split("::", 1)[0] in REFERENCES[field_]] or keys
    if len(keys) > 1:
        same = [k for k in keys if k.startswith(stack + "|")]
        keys = same or keys
    if len(keys) > 1:
        raise Untranslated(f"reference {value!r} in '{field_}' is ambiguous: {keys}")
    return keys[0]


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's wire signature of a secret value


def _walk(value: Any, visit: Callable[[str, str | None], Any], field_: str | None = None) -> Any:
    if isinstance(value, dict) and SECRET_SIG in value:
        return _walk(value.get("value"), visit, field_)
    if isinstance(value, str):
        return visit(value, field_)
    if isinstance(value, list):
        return [_walk(v, visit, field_) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, visit, k) for k, v in value.items()}
    return value


def _dependencies(rec: _Record, mock_ids: Mapping[str, list[str]], ordering: bool = False) -> list[str]:
    """Keys of the resources `rec` refers to (its provider too); with `ordering`, also what must come first."""
    deps: list[str] = [rec.provider] if rec.provider else []
    if ordering:
        deps += rec.after

    def visit(value: str, field_: str | None) -> str:
        target = _target(value, field_, mock_ids, rec.stack)
        if target:
            deps.append(target.split("#", 1)[0])
        return value

    _walk(rec.inputs, visit)
    return deps


def _resolve(inputs: dict[str, Any], mock_ids: Mapping[str, list[str]], ids: Mapping[str, str]) -> dict[str, Any]:
    def visit(value: str, field_: str | None) -> str:
        for stack_key in mock_ids.get(value, []):
            target = _target(value, field_, mock_ids, stack_key.split("|", 1)[0])
            if target and target in ids:
                return ids[target]
        return value

    return _walk(inputs, visit)  # type: ignore[no-any-return]


def _ordered(records: list[_Record], mock_ids: Mapping[str, list[str]]) -> list[_Record]:
    """Dependency order, stable in manifest order (the order the program registered them)."""
    by_key = {r.key: r for r in records}
    done: set[str] = set()
    out: list[_Record] = []

    def visit(rec: _Record, path: tuple[str, ...] = ()) -> None:
        if rec.key in done:
            return
        if rec.key in path:
            raise Untranslated(f"dependency cycle through {rec.key}")
        for dep in _dependencies(rec, mock_ids, ordering=True):
            if dep in by_key:
                visit(by_key[dep], (*path, rec.key))
        done.add(rec.key)
        out.append(rec)

    for rec in records:
        visit(rec)
    return out
