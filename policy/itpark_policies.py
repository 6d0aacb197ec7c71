"""itpark's CrossGuard policies, importable without starting a policy server (PolicyPack lives in __main__.py).

Each policy reads camelCase provider properties, as `pulumi preview` and `itpark manifest` show them. Protocols
are compared normalised ("", None and "any" are every protocol; "6" is tcp), prefixes as networks (0.0.0.0/1 is
open too; host bits are tolerated). A rule's security group is found through its `securityGroupId` dependency
(the stack policies), never from logical names or the program's own tags. Park-specific facts (bastion
prefixes, public groups, encrypted volume types) come from the pack config that `itpark stacks` writes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

RULE = "openstack:networking/secGroupRule:SecGroupRule"
NETWORK = "openstack:networking/network:Network"
ROUTER = "openstack:networking/router:Router"
VOLUME = "openstack:blockstorage/volume:Volume"
INSTANCE = "openstack:compute/instance:Instance"
TAGGED = (
    NETWORK,
    ROUTER,
    "openstack:networking/subnet:Subnet",
    "openstack:networking/port:Port",
    "openstack:networking/secGroup:SecGroup",
    "openstack:identity/project:Project",
    "openstack:loadbalancer/loadBalancer:LoadBalancer",
    "openstack:networking/floatingIp:FloatingIp",
)
ANYWHERE = ("0.0.0.0/0", "::/0")
WEB_PORTS = {80, 443}
SSH = 22
PRIVATE_ZONES = {"mgmt", "data"}
REQUIRED = ("tenant", "level", "owner")

SECGROUP = "openstack:networking/secGroup:SecGroup"
# IANA protocol numbers and names Neutron accepts, to the names the policies compare.
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmp", "ipv6-icmp": "icmp", "icmpv6": "icmp"}
OPEN_V4, OPEN_V6 = 8, 16  # a prefix shorter than these spans public address space: open ingress

Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


def protocol(props: Mapping[str, Any]) -> str | None:
    """The rule's protocol by name; None for every protocol ("", None, "any", "0")."""
    value = str(props.get("protocol") or "").strip().lower()
    if value in ("", "any", "0"):
        return None
    return PROTOCOLS.get(value, value)


def network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A remote prefix as a network (host bits dropped); None when absent or not a prefix."""
    if not prefix:
        return None
    try:
        return ipaddress.ip_network(str(prefix), strict=False)
    except ValueError:
        return None


def open_remote(props: Mapping[str, Any]) -> bool:
    """True when a rule admits (a large part of) the Internet: no remote at all, or a very short prefix."""
    if props.get("remoteGroupId"):
        return False
    net = network(props.get("remoteIpPrefix"))
    if net is None:
        return True
    return net.prefixlen < (OPEN_V4 if net.version == 4 else OPEN_V6)


def _group(args: ResourceValidationArgs) -> str:
    return args.name.split("/", 1)[0]


def _ports(props: Mapping[str, Any]) -> range | None:
    low, high = props.get("portRangeMin"), props.get("portRangeMax")
    if low is None or high is None:
        return None  # every port
    return range(int(low), int(high) + 1)


def _tags(props: Mapping[str, Any]) -> dict[str, str]:
    tags = {}
    for tag in props.get("tags") or []:
        key, _, value = str(tag).partition("=")
        tags[key.removeprefix("itpark:")] = value
    return tags


def no_open_ingress(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Ingress from anywhere only to the public (WAF/load balancer) groups, and only on 80/443 TCP."""
    props = args.props
    if args.resource_type != RULE or props.get("direction") != "ingress":
        return
    if not open_remote(props):
        return
    prefix = props.get("remoteIpPrefix")
    ports = _ports(props)
    public = set(args.get_config().get("publicGroups", []))
    web = protocol(props) == "tcp" and ports is not None and set(ports) <= WEB_PORTS
    if _group(args) not in public or not web:
        report(f"{args.name}: ingress from anywhere ({prefix or 'no remote'}) outside the WAF/load balancer on 80/443")


def ssh_only_from_bastion(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """SSH ingress only from the bastion subnets (the bastion's own group takes the operators' networks)."""
    props = args.props
    if args.resource_type != RULE or props.get("direction") != "ingress":
        return
    config = args.get_config()
    if _group(args) in set(config.get("bastionGroups", [])):
        return
    problem = _ssh_problem(props, config)
    if problem:
        report(f"{args.name}: {problem}")


def _ssh_problem(props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    if props.get("direction") != "ingress":
        return None
    ports = _ports(props)
    if protocol(props) not in ("tcp", None) or (ports is not None and SSH not in ports):
        return None
    if props.get("remoteGroupId"):
        return None
    prefix = props.get("remoteIpPrefix")
    net = network(prefix)
    bastions = [b for b in (network(p) for p in config.get("bastionPrefixes", [])) if b is not None]
    if net is not None and any(net.version == b.version and net.subnet_of(b) for b in bastions):  # type: ignore[arg-type]
        return None
    return f"SSH allowed from {prefix or 'anywhere'}, which is not a bastion subnet"


def private_zones_not_external(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Management and data zone networks are never external, nor routed by a router with an external uplink."""
    tags = _tags(args.props)
    if args.resource_type == NETWORK and tags.get("zone") in PRIVATE_ZONES and args.props.get("external"):
        report(f"{args.name}: {tags['zone']} zone network marked external")
    if args.resource_type == ROUTER and tags.get("uplink") not in (None, "core"):
        zones = set(tags.get("zones", "").split(",")) & PRIVATE_ZONES
        if zones:
            report(f"{args.name}: routes {', '.join(sorted(zones))} zones to the external network {tags['uplink']}")


def encrypted_volumes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Volumes of level 3+ systems use an encrypted volume type."""
    if args.resource_type != VOLUME:
        return
    level = int((args.props.get("metadata") or {}).get("level", "0"))
    allowed = set(args.get_config().get("encryptedVolumeTypes", ["encrypted"]))
    if level >= 3 and args.props.get("volumeType") not in allowed:
        report(f"{args.name}: level {level} volume of type {args.props.get('volumeType')!r}, not an encrypted type")


def required_labels(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Tenant, level and owner on every taggable resource (tags) and on instances and volumes (metadata)."""
    if args.resource_type in (INSTANCE, VOLUME):
        labels = dict(args.props.get("metadata") or {})
    elif args.resource_type in TAGGED:
        labels = _tags(args.props)
    else:
        return
    missing = [key for key in REQUIRED if not labels.get(key)]
    if missing:
        report(f"{args.name}: missing {', '.join(missing)}")


def _group_of(rule: PolicyResource, groups: Mapping[str, PolicyResource]) -> PolicyResource | None:
    """The security group a rule belongs to, through its `securityGroupId` dependency (or its resolved id)."""
    for dep in (rule.property_dependencies or {}).get("securityGroupId", []) or []:
        if dep.resource_type == SECGROUP:
            return dep
    return groups.get(str(rule.props.get("securityGroupId")))


def rules_by_group(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every security-group rule belongs to a group of the stack; open ingress only into a public group on
    80/443 TCP; SSH only from the bastion subnets or into a bastion group. Groups are known by their name in
    Neutron (the `name` property), reached through the rule's dependency."""
    groups = {str(r.props.get("id") or r.urn): r for r in args.resources if r.resource_type == SECGROUP}
    config = args.get_config()
    public = set(config.get("publicGroups", []))
    bastion_groups = set(config.get("bastionGroups", []))
    for rule in args.resources:
        if rule.resource_type != RULE:
            continue
        group = _group_of(rule, groups)
        if group is None:
            if rule.props.get("securityGroupId") is not None:
                report(f"{rule.name}: its security group is not a resource of this stack", rule.urn)
            continue
        name = str(group.props.get("name") or group.name)
        props = rule.props
        if props.get("direction") == "ingress" and open_remote(props):
            ports = _ports(props)
            web = protocol(props) == "tcp" and ports is not None and set(ports) <= WEB_PORTS
            if name not in public or not web:
                report(f"{rule.name}: open ingress into group {name}, which is not public on 80/443", rule.urn)
        if name not in bastion_groups:
            problem = _ssh_problem(props, config)
            if problem:
                report(f"{rule.name}: group {name}: {problem}", rule.urn)


def _policy(name: str, validate: Validate, config: dict[str, Any] | None = None) -> ResourceValidationPolicy:
    schema = PolicyConfigSchema(properties=config) if config else None
    return ResourceValidationPolicy(
        name=name,
        description=(validate.__doc__ or name).strip(),
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=schema,
    )


STRINGS = {"type": "array", "items": {"type": "string"}}


def stack_policies() -> list[StackValidationPolicy]:
    schema = PolicyConfigSchema(
        properties={"publicGroups": STRINGS, "bastionGroups": STRINGS, "bastionPrefixes": STRINGS}
    )
    return [
        StackValidationPolicy(
            name="itpark-rules-by-group",
            description=(rules_by_group.__doc__ or "").strip(),
            validate=rules_by_group,
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=schema,
        )
    ]


def policies() -> list[ResourceValidationPolicy]:
    return [
        _policy("itpark-no-open-ingress", no_open_ingress, {"publicGroups": STRINGS}),
        _policy(
            "itpark-ssh-only-from-bastion",
            ssh_only_from_bastion,
            {"bastionPrefixes": STRINGS, "bastionGroups": STRINGS},
        ),
        _policy("itpark-private-zones-not-external", private_zones_not_external),
        _policy("itpark-encrypted-volumes", encrypted_volumes, {"encryptedVolumeTypes": STRINGS}),
        _policy("itpark-required-labels", required_labels),
    ]
