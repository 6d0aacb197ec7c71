"""First contact with a new server, decided from the plan: cloud-init user data (delivered on a config drive, so
no metadata-service flow is needed), the resolvers its subnets hand out, and what its host firewall must accept.

Pure functions of the plan. `user_data(plan, host)` is what Pulumi puts on every server and what test hosts are
seeded from; a server boots with the automation account (keys or the park's SSH CA), the park's resolvers (DHCP,
`dns_nameservers` of its subnets), the park's NTP servers and the park mirror as its only package source
(deb822, `Signed-By` the mirror's key).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml

from itpark.plan.model import Host, Plan, Service

MIRROR_KEYRING = "/etc/apt/keyrings/itpark-mirror.asc"
MIRROR_SOURCES = "/etc/apt/sources.list.d/itpark-mirror.sources"
USER_CA_FILE = "/etc/ssh/itpark_user_ca.pub"
# Distribution of an image by its name: mirror path and suites (the mirror serves these).
_DISTRIBUTIONS = {
    "debian-11": ("debian", "bullseye"),
    "debian-12": ("debian", "bookworm"),
    "debian-13": ("debian", "trixie"),
    "ubuntu-22.04": ("ubuntu", "jammy"),
    "ubuntu-24.04": ("ubuntu", "noble"),
}


class FirewallNeed(NamedTuple):
    """Traffic a host firewall must accept for the plan's address configuration to work."""

    direction: str
    family: str  # "ipv4" | "ipv6"
    protocol: str
    port: int | None
    source: str
    reason: str


# DHCPv6-stateful (the plan's IPv6 address mode): the server (port 547) answers clients on port 546 from its
# link-local address; router advertisements and neighbour discovery are ICMPv6 from link-local addresses.
HOST_FIREWALL_NEEDS: tuple[FirewallNeed, ...] = (
    FirewallNeed("ingress", "ipv6", "udp", 546, "fe80::/10", "DHCPv6 replies (subnets are dhcpv6-stateful)"),
    FirewallNeed("ingress", "ipv6", "icmpv6", None, "fe80::/10", "router advertisements and neighbour discovery"),
    FirewallNeed("ingress", "ipv4", "udp", 68, "0.0.0.0/0", "DHCPv4 replies"),
)


def host_firewall_needs(plan: Plan) -> tuple[FirewallNeed, ...]:
    """What every host's firewall must accept, given the plan's IPv6 address mode."""
    if plan.bootstrap.ipv6_address_mode.startswith("dhcpv6"):
        return HOST_FIREWALL_NEEDS
    return tuple(n for n in HOST_FIREWALL_NEEDS if n.port != 546)


def _service_for(plan: Plan, kind: str, site: str) -> Service | None:
    """The service of this kind at the host's site, else the first site that offers it."""
    return plan.service(kind, site) or plan.service(kind)


def resolvers(plan: Plan, site: str) -> tuple[list[str], list[str]]:
    """IPv4 and IPv6 addresses of the park resolvers serving a site (what its subnets hand out by DHCP)."""
    dns = _service_for(plan, "dns", site)
    hosts = dns.hosts if dns is not None else ()
    return [h.ipv4 for h in hosts], [h.ipv6 for h in hosts]


def mirror_url(plan: Plan, host: Host) -> str | None:
    """Base URL of the park mirror for this host's distribution; None when the park has no mirror."""
    mirror = _service_for(plan, "mirror", host.site)
    if mirror is None or not mirror.hosts:
        return None
    path = _DISTRIBUTIONS.get(host.image, ("debian", ""))[0]
    return f"http://{mirror.hosts[0].ipv4}/{path}"


def apt_sources(plan: Plan, host: Host) -> str | None:
    """The deb822 file that makes the park mirror the host's only package source."""
    url = mirror_url(plan, host)
    if url is None or host.image not in _DISTRIBUTIONS:
        return None
    suite = _DISTRIBUTIONS[host.image][1]
    return (
        f"Types: deb\nURIs: {url}\nSuites: {suite} {suite}-updates {suite}-security\n"
        f"Components: main\nSigned-By: {MIRROR_KEYRING}\n"
    )


def _ntp_servers(plan: Plan, site: str) -> list[str]:
    ntp = _service_for(plan, "ntp", site)
    return [h.ipv4 for h in ntp.hosts] if ntp is not None else []


def cloud_config(plan: Plan, host: Host) -> dict[str, Any]:
    """The cloud-config document of a host, as data."""
    boot = plan.bootstrap
    user: dict[str, Any] = {
        "name": boot.user,
        "gecos": "itpark automation",
        "groups": ["sudo"],
        "shell": "/bin/bash",
        "lock_passwd": True,
        "sudo": "ALL=(ALL) NOPASSWD:ALL",
    }
    if boot.ssh_keys:
        user["ssh_authorized_keys"] = list(boot.ssh_keys)
    files: list[dict[str, Any]] = []
    if boot.ssh_ca:
        files.append({"path": USER_CA_FILE, "permissions": "0644", "content": boot.ssh_ca.strip() + "\n"})
        files.append(
            {
                "path": "/etc/ssh/sshd_config.d/10-itpark-user-ca.conf",
                "permissions": "0644",
                "content": f"TrustedUserCAKeys {USER_CA_FILE}\n",
            }
        )
    sources = apt_sources(plan, host)
    runcmd: list[Any] = []
    if sources is not None and boot.mirror_signing_key:
        files.append({"path": MIRROR_KEYRING, "permissions": "0644", "content": boot.mirror_signing_key})
        files.append({"path": MIRROR_SOURCES, "permissions": "0644", "content": sources})
        # The mirror is the only package source: drop the image's own.
        runcmd.append(["rm", "-f", "/etc/apt/sources.list", "/etc/apt/sources.list.d/debian.sources"])
    v4, v6 = resolvers(plan, host.site)
    doc: dict[str, Any] = {
        "hostname": host.hostname,
        "fqdn": host.fqdn,
        "prefer_fqdn_over_hostname": True,
        "manage_etc_hosts": True,
        "disable_root": True,
        "ssh_pwauth": False,
        "users": [user],
        "apt": {"preserve_sources_list": True},
        "package_update": False,
        "ntp": {"enabled": True, "servers": _ntp_servers(plan, host.site)},
        # Resolvers come from DHCP (the subnets' dns_nameservers); recorded here for the host's own checks.
        "write_files": [
            *files,
            {
                "path": "/etc/itpark/bootstrap.yml",
                "permissions": "0644",
                "content": yaml.safe_dump(
                    {"resolvers": v4 + v6, "domain": plan.park.domain, "site": host.site}, sort_keys=True
                ),
            },
        ],
    }
    if runcmd:
        doc["runcmd"] = runcmd
    return doc


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (keys, files) as literal blocks, so the user data reads like the files it writes."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def user_data(plan: Plan, host: Host) -> str:
    """cloud-init user data of a host: deterministic text (same plan, same bytes)."""
    body = yaml.dump(cloud_config(plan, host), Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=1000)
    return "#cloud-config\n" + body


def bootstrap_gaps(plan: Plan, host: Host) -> list[str]:
    """What a host would lack on first boot (empty when it can be reached and configured)."""
    gaps = []
    if not plan.bootstrap.ssh_keys and not plan.bootstrap.ssh_ca:
        gaps.append("no SSH key or SSH CA for the automation account (park.yaml bootstrap)")
    if not resolvers(plan, host.site)[0]:
        gaps.append("no DNS resolver serves its site")
    if apt_sources(plan, host) is None:
        gaps.append(f"no park mirror serves its image {host.image!r}")
    elif not plan.bootstrap.mirror_signing_key:
        gaps.append("the park mirror's signing key is not set (park.yaml bootstrap.mirror_signing_key)")
    return gaps
