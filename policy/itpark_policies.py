"""itpark's CrossGuard policies, importable without starting a policy server (PolicyPack lives in __main__.py).

Each policy reads camelCase provider properties, as `pulumi preview` and `itpark manifest` show them. Names of
security-group rules start with their group ("shared-dc1-waf/ingress/..."), which is how a rule's group is known.
Park-specific facts (bastion prefixes, public groups) come from the pack config that `itpark stacks` writes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
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

Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


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
    prefix = props.get("remoteIpPrefix")
    if prefix not in ANYWHERE and (prefix or props.get("remoteGroupId")):
        return
    ports = _ports(props)
    public = set(args.get_config().get("publicGroups", []))
    web = props.get("protocol") == "tcp" and ports is not None and set(ports) <= WEB_PORTS
    if _group(args) not in public or not web:
        report(f"{args.name}: ingress from anywhere ({prefix or 'no remote'}) outside the WAF/load balancer on 80/443")


def ssh_only_from_bastion(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """SSH ingress only from the bastion subnets (the bastion's own group takes the operators' networks)."""
    props = args.props
    if args.resource_type != RULE or props.get("direction") != "ingress":
        return
    ports = _ports(props)
    if props.get("protocol") not in ("tcp", None) or (ports is not None and SSH not in ports):
        return
    config = args.get_config()
    if _group(args) in set(config.get("bastionGroups", [])):
        return
    prefix = props.get("remoteIpPrefix")
    bastions = [ipaddress.ip_network(p) for p in config.get("bastionPrefixes", [])]
    if prefix:
        net = ipaddress.ip_network(prefix)
        if any(net.version == b.version and net.subnet_of(b) for b in bastions):  # type: ignore[arg-type]
            return
    report(f"{args.name}: SSH allowed from {prefix or 'anywhere'}, which is not a bastion subnet")


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
