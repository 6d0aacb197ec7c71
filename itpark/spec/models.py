"""Pydantic v2 models of the spec. Shapes and single-field rules only; cross-file rules live in checks.py."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from netaddr import AddrFormatError, IPNetwork
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic import Strict as StrictMode

from itpark.spec.classification import Approval, Classification, Dossier, Platform

SLUG_RE = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]")
Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG_RE.pattern}$")]
"""Lower-case id used in names of resources, hosts and DNS labels: a-z, 0-9, '-', 2-40 chars."""


Lax = StrictMode(False)
"""For enum fields: YAML gives their values as strings, which strict mode alone would refuse."""


class Strict(BaseModel):
    """Every spec model: unknown fields refused, and no silent coercion (`level: "3"` or `level: true` is an
    error, not level 3 or 1). Enum fields take their values as strings (see `Lax`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # `from_` is not a spelling of `from`


class Zone(StrEnum):
    """Security zones of a tenant system (the catalog's zone model says which a level requires)."""

    dmz = "dmz"
    app = "app"
    data = "data"
    mgmt = "mgmt"
    security = "security"
    devtest = "devtest"


class ServiceKind(StrEnum):
    """Shared services a park offers to its tenants. Order is the fixed slot order in the shared block."""

    bastion = "bastion"
    dns = "dns"
    ntp = "ntp"
    log = "log"
    monitoring = "monitoring"
    backup = "backup"
    lgsp = "lgsp"
    sso = "sso"
    waf = "waf"
    mirror = "mirror"


class LinkKind(StrEnum):
    internet = "internet"
    tslcd = "tslcd"  # Mạng truyền số liệu chuyên dùng (the government's private data network)
    ngsp = "ngsp"  # national integration platform NGSP / NDXP


# Patterns are written once and used twice: by the validator (Python `re.fullmatch`) and, anchored, in the published
# JSON Schema, so they must mean the same in ECMA-262 (editors): no named groups, [0-9] rather than \d.
_PORT_NUMBER = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
PORT_PATTERN = rf"(?:{_PORT_NUMBER}(?:-{_PORT_NUMBER})?/(?:tcp|udp)|icmp)"
_PORT_RE = re.compile(PORT_PATTERN)
_PORT_LIKE = re.compile(r"[0-9]+(?:-[0-9]+)?/(?:tcp|udp)")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_CIDR_PATTERN = rf"(?:{_OCTET}\.){{3}}{_OCTET}/(?:3[0-2]|[12]?[0-9])"
IPV6_CIDR_PATTERN = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])"
SITE_V6_MIN, SITE_V6_MAX = 32, 52  # a site prefix holds the shared /56 and the systems' /60 blocks
SITE_V6_PATTERN = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*/(?:3[2-9]|4[0-9]|5[0-2])"
DOMAIN_PATTERN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"


def anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _pattern(pattern: str) -> dict[str, str]:
    """Publish a pattern in the schema that the field's validator already enforces (with its own message)."""
    return {"pattern": anchored(pattern)}


class PortSpec(Strict):
    """One port or range: written `443/tcp`, `8000-8010/tcp`, `53/udp` or `icmp` in YAML."""

    protocol: Literal["tcp", "udp", "icmp"]
    port_min: int | None = None
    port_max: int | None = None

    @classmethod
    def parse(cls, text: str) -> PortSpec:
        if not _PORT_RE.fullmatch(text):
            if _PORT_LIKE.fullmatch(text):
                raise ValueError(f"expected ports from 1 to 65535 (no leading zeros), got {text!r}")
            raise ValueError(f"expected a port such as '443/tcp', '8000-8010/tcp', '53/udp' or 'icmp', got {text!r}")
        if text == "icmp":
            return cls(protocol="icmp")
        ports, _, protocol = text.partition("/")
        low, _, high = ports.partition("-")
        lo, hi = int(low), int(high or low)
        if lo > hi:
            raise ValueError(f"expected a range with low <= high, got {text!r}")
        return cls(protocol=protocol, port_min=lo, port_max=hi)  # type: ignore[arg-type]

    def __str__(self) -> str:
        if self.protocol == "icmp":
            return "icmp"
        if self.port_min == self.port_max:
            return f"{self.port_min}/{self.protocol}"
        return f"{self.port_min}-{self.port_max}/{self.protocol}"


def _coerce_port(value: object) -> object:
    return PortSpec.parse(value) if isinstance(value, str) else value


Port = Annotated[
    PortSpec,
    BeforeValidator(_coerce_port),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": anchored(PORT_PATTERN),
            "description": "A port or range and protocol: '443/tcp', '8000-8010/tcp', '53/udp' or 'icmp'",
        }
    ),
]


def _check_network(text: str, version: int, what: str) -> str:
    if not re.fullmatch(IPV4_CIDR_PATTERN if version == 4 else IPV6_CIDR_PATTERN, text):
        raise ValueError(f"expected an IPv{version} {what} in CIDR form (address/length), got {text!r}")
    try:
        net = IPNetwork(text)
    except (AddrFormatError, ValueError, TypeError) as err:
        raise ValueError(f"expected an IPv{version} {what} in CIDR form, got {text!r}") from err
    if net.version != version:
        raise ValueError(f"expected an IPv{version} {what}, got IPv{net.version} {text!r}")
    if net.ip != net.network:
        raise ValueError(f"expected a network address with no host bits, got {text!r} (did you mean {net.cidr}?)")
    return str(net.cidr)


class Site(Strict):
    id: Slug
    title: str
    role: Literal["primary", "dr"] = "primary"
    ipv4_supernet: str = Field(
        description="Private IPv4 supernet of the site (RFC 1918 or RFC 6598)",
        json_schema_extra=_pattern(IPV4_CIDR_PATTERN),
    )
    ipv6_prefix: str = Field(
        description=f"IPv6 prefix of the site, /{SITE_V6_MIN} to /{SITE_V6_MAX}",
        json_schema_extra=_pattern(SITE_V6_PATTERN),
    )
    availability_zones: list[Slug] = Field(default_factory=lambda: ["nova"], min_length=1)
    core_physical_network: str = Field(
        "physnet-core", description="Physical network of the site's core (a provider VLAN network)"
    )
    core_vlan: int | None = Field(
        None, ge=1, le=4094, description="VLAN id of the site's core network; default 100 + the site's position"
    )

    @field_validator("ipv4_supernet")
    @classmethod
    def _v4(cls, value: str) -> str:
        return _check_network(value, 4, "supernet")

    @field_validator("ipv6_prefix")
    @classmethod
    def _v6(cls, value: str) -> str:
        value = _check_network(value, 6, "prefix")
        if not SITE_V6_MIN <= IPNetwork(value).prefixlen <= SITE_V6_MAX:
            length = IPNetwork(value).prefixlen
            raise ValueError(f"expected an IPv6 prefix from /{SITE_V6_MIN} to /{SITE_V6_MAX}, got /{length}")
        return value


class ExternalLink(Strict):
    id: Slug
    kind: Annotated[LinkKind, Lax]
    title: str = ""
    site: Slug
    ipv4: str | None = Field(
        None,
        description="Public or provider-assigned IPv4 range of the external network",
        json_schema_extra=_pattern(IPV4_CIDR_PATTERN),
    )
    ipv6: str | None = Field(None, json_schema_extra=_pattern(IPV6_CIDR_PATTERN))
    physical_network: str = Field("physnet1", description="OpenStack provider physical network name")
    network_type: Literal["flat", "vlan"] = Field(
        "flat", description="Provider network type; Neutron allows one flat network per physical network"
    )
    segmentation_id: int | None = Field(None, ge=1, le=4094, description="VLAN id (network_type vlan only)")

    @model_validator(mode="after")
    def _segment(self) -> ExternalLink:
        if self.network_type == "vlan" and self.segmentation_id is None:
            raise ValueError("a vlan link needs segmentation_id (its VLAN id, 1-4094)")
        if self.network_type == "flat" and self.segmentation_id is not None:
            raise ValueError("segmentation_id is only for network_type vlan")
        return self

    @field_validator("ipv4")
    @classmethod
    def _v4(cls, value: str | None) -> str | None:
        return None if value is None else _check_network(value, 4, "range")

    @field_validator("ipv6")
    @classmethod
    def _v6(cls, value: str | None) -> str | None:
        return None if value is None else _check_network(value, 6, "range")


class SharedService(Strict):
    kind: Annotated[ServiceKind, Lax]
    site: Slug | None = Field(None, description="Site that hosts it; default: every site")
    count: int = Field(1, ge=1, le=16, description="Number of instances per site")
    flavor: str = "m1.small"
    image: str = "debian-12"
    volume_gb: int = Field(20, ge=1, le=65536)
    ports: list[Port] = Field(default_factory=list, description="Extra ports it serves, beyond its kind's")


class Flavor(Strict):
    name: str
    vcpus: int = Field(ge=1, le=256)
    ram_mb: int = Field(ge=256)
    disk_gb: int = Field(ge=1)


class Image(Strict):
    name: str
    os: str = "debian"
    version: str = "12"
    url: str | None = Field(None, description="Where the operator's image mirror serves it (never fetched by itpark)")
    min_disk_gb: int = 10


class Quotas(Strict):
    instances: int = Field(10, ge=0)
    cores: int = Field(20, ge=0)
    ram_mb: int = Field(40960, ge=0)
    volumes: int = Field(10, ge=0)
    volume_gb: int = Field(1000, ge=0)
    floating_ips: int = Field(0, ge=0)
    security_groups: int = Field(20, ge=0)
    security_group_rules: int = Field(200, ge=0)


class Addressing(Strict):
    """How big each allocation is. Changing these later needs an explicit re-plan of the ledger."""

    zone_prefix_v4: int = Field(26, ge=22, le=28, description="IPv4 prefix length of one zone subnet")
    zone_prefix_v6: Literal[64] = 64
    system_slots: Literal[8] = Field(8, description="Zone slots per system block (one per zone kind)")
    shared_prefix_v4: int = Field(22, ge=16, le=24, description="IPv4 block for a site's shared services")
    shared_prefix_v6: int = Field(
        56, ge=48, le=56, description="IPv6 block for a site's shared services (its last /64 is the core network)"
    )
    service_prefix_v4: int = Field(26, ge=24, le=28, description="IPv4 subnet of one shared service")
    core_prefix_v4: int = Field(20, ge=16, le=26, description="IPv4 core network of a site (one address per system)")


_MOUNT_OPTIONS = Literal["nodev", "nosuid", "noexec"]


class Mount(Strict):
    """One filesystem of a host's system volume (a logical volume of its own, so a full one stops nothing else)."""

    path: Annotated[str, StringConstraints(pattern=r"^/[a-z][a-z0-9_/]*[a-z0-9]$")]
    size_gb: int = Field(ge=1, le=4096)
    options: list[_MOUNT_OPTIONS] = Field(default_factory=list, description="Mount options besides the defaults")


# Paths the running system needs throughout: only the image build can put them on their own filesystem.
_IMAGE_PATHS = frozenset(
    {"/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys"}
    | {"/usr", "/var", "/var/lib"}
)


def _default_mounts() -> list[Mount]:
    hardened: list[_MOUNT_OPTIONS] = ["nodev", "nosuid", "noexec"]
    return [
        Mount(path="/home", size_gb=4, options=["nodev", "nosuid"]),
        Mount(path="/tmp", size_gb=4, options=hardened),
        Mount(path="/var/tmp", size_gb=2, options=hardened),
        Mount(path="/var/log", size_gb=16, options=hardened),
        Mount(path="/var/log/audit", size_gb=8, options=hardened),
    ]


class Storage(Strict):
    """Separate filesystems on a system volume for hosts whose level protects logs (LOG-08, level 3 and up):
    logs and audit trail cannot be filled by users or temporary files, nor fill the root filesystem."""

    mounts: list[Mount] = Field(default_factory=_default_mounts, min_length=1)

    @field_validator("mounts")
    @classmethod
    def _distinct(cls, mounts: list[Mount]) -> list[Mount]:
        paths = [m.path for m in mounts]
        if len(set(paths)) != len(paths):
            raise ValueError(f"mount paths must be distinct, got {paths}")
        if fixed := sorted(set(paths) & _IMAGE_PATHS):
            raise ValueError(f"{', '.join(fixed)}: the host image decides these, they cannot move on a running host")
        return mounts


class Bootstrap(Strict):
    """How a new server is reached the first time (cloud-init user data, on a config drive)."""

    user: Slug = Field("itpark", description="Automation account created on every host")
    ssh_keys: list[str] = Field(default_factory=list, description="Public keys of the automation account")
    ssh_ca: str = Field("", description="Public key of the park's SSH user CA (trusted for the automation account)")
    mirror_signing_key: str = Field("", description="ASCII-armoured public key that signs the park mirror")

    @field_validator("ssh_keys")
    @classmethod
    def _keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if not re.fullmatch(
                r"(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?", key
            ):
                raise ValueError(f"expected an OpenSSH public key ('ssh-ed25519 AAAA... comment'), got {key[:40]!r}")
        return keys


_TIME_SOURCE = r"^(hypervisor|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]+)$"


class Hardening(Strict):
    """Park-wide hardening choices (park.yaml `defaults.hardening`)."""

    disruptive: bool = Field(
        False,
        description="Allow settings that can take a host off the network or need a reboot to undo: audit rules "
        "immutable until reboot (-e 2), single-user mode on a full audit disk, purging removed packages",
    )
    time_source: list[Annotated[str, StringConstraints(pattern=_TIME_SOURCE)]] = Field(
        default_factory=list,
        description="Upstream of the park NTP servers: national time servers (names or addresses), or "
        "'hypervisor' for the host clock (PTP from KVM); empty: they serve their own clock",
    )


class Defaults(Strict):
    hardening: Hardening = Field(default_factory=Hardening)
    flavor: str = "m1.small"
    image: str = "debian-12"
    volume_availability_zone: str | None = Field(
        None, description="Cinder availability zone of every volume (often 'nova'); default: the host's zone"
    )
    storage: Storage = Field(default_factory=Storage)
    quotas: Quotas = Field(default_factory=Quotas)
    mandatory_services: list[Annotated[ServiceKind, Lax]] = Field(
        default_factory=lambda: [ServiceKind.dns, ServiceKind.ntp, ServiceKind.log, ServiceKind.monitoring],
        description="Shared services every system uses whether or not it lists them",
    )


class Park(Strict):
    """stacks/<park>/park.yaml"""

    name: Slug
    title: str
    title_vi: str = ""
    kind: Literal["it-park", "provincial-cloud"]
    province: str
    operator: str = ""
    domain: str = Field(
        description="Internal DNS domain of the park, e.g. danang-itpark.internal",
        json_schema_extra=_pattern(DOMAIN_PATTERN),
    )
    baseline: str = Field(
        "tcvn-14423-2026",
        description="Baseline id from the control catalog (default: Law 116/2025 + Decree 331/2026 + TCVN 14423:2026)",
    )
    platform: Platform = Field(default_factory=Platform, description="The park platform as an information system")
    sites: list[Site] = Field(min_length=1)
    operator_networks: list[
        Annotated[str, Field(json_schema_extra=_pattern(f"{IPV4_CIDR_PATTERN}|{IPV6_CIDR_PATTERN}"))]
    ] = Field(
        default_factory=list, description="CIDRs of the operators' admin VPN; the only sources allowed to the bastion"
    )
    external_links: list[ExternalLink] = Field(default_factory=list)
    shared_services: list[SharedService] = Field(default_factory=list)
    flavors: list[Flavor] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    addressing: Addressing = Field(default_factory=Addressing)
    defaults: Defaults = Field(default_factory=Defaults)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)

    @field_validator("operator_networks")
    @classmethod
    def _operators(cls, value: list[str]) -> list[str]:
        return [_check_network(v, 6 if ":" in v else 4, "network") for v in value]

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not re.fullmatch(DOMAIN_PATTERN, value):
            raise ValueError(f"expected a lower-case DNS domain such as 'park.internal', got {value!r}")
        return value


class Tier(Strict):
    """A group of identical hosts of one system in one zone."""

    name: Slug
    zone: Annotated[Zone, Lax]
    count: int = Field(1, ge=1, le=64)
    flavor: str | None = None
    image: str | None = None
    volume_gb: int = Field(0, ge=0, le=65536, description="Data volume (protected); 0 for none")
    ports: list[Port] = Field(default_factory=list, description="Ports the tier serves")
    role: str = Field("", description="Free-text role, e.g. web, api, postgresql")


class Endpoint(StrEnum):
    """Non-zone flow ends."""

    internet = "internet"
    tslcd = "tslcd"
    ngsp = "ngsp"


class Flow(Strict):
    """An allowed flow inside a system: zone to zone, or zone to/from a shared service (`service:<kind>`)."""

    from_: str = Field(alias="from", description="A zone of this system, or service:<kind>")
    to: str = Field(description="A zone of this system, or service:<kind>")
    ports: list[Port] = Field(min_length=1)
    description: str = ""
    description_vi: str = Field("", description="Vietnamese description for the rendered documents")


class Exposure(Strict):
    internet: bool = Field(False, description="Published to the Internet through the park WAF")
    tslcd: bool = Field(False, description="Published on TSLCD (government private network) through the WAF")
    lgsp: bool = Field(False, description="Exchanges data through the provincial LGSP gateway")


class System(Strict):
    """An information system (hệ thống thông tin) with its security level (Law 116/2025, Decree 331/2026)."""

    id: Slug
    title: str
    title_vi: str = ""
    level: int = Field(ge=1, le=5, description="Security level (cấp độ) 1-5, Decree 331/2026/NĐ-CP Art 11-15")
    site: Slug | None = Field(None, description="Primary site; default: the park's first site")
    dr_site: Slug | None = Field(None, description="Disaster-recovery site (NET-19, from level 4)")
    exposure: Exposure = Field(default_factory=Exposure)
    services: list[Annotated[ServiceKind, Lax]] = Field(default_factory=list, description="Shared services used")
    tiers: list[Tier] = Field(min_length=1)
    flows: list[Flow] = Field(default_factory=list)
    classification: Classification | None = Field(None, description="Facts that set the level (Decree 331 Art 9)")
    dossier: Dossier | None = Field(None, description="Dossier facts the plan cannot know")
    approval: Approval | None = Field(None, description="An approval it already holds (e.g. under Decree 85/2016)")


class Tenant(Strict):
    """stacks/<park>/tenants/<id>.yaml; the id is the file name."""

    name: str = Field(description="Legal name of the agency or enterprise")
    name_vi: str = ""
    kind: Literal["agency", "enterprise"]
    owner: str = Field(description="Responsible unit or person (chủ quản)")
    contact: str = ""
    quotas: Quotas | None = None
    decommission: bool = Field(
        False, description="Explicitly allow deleting this tenant's data-bearing resources (volumes)"
    )
    systems: list[System] = Field(min_length=1)
