"""Translate the plan's shared services into group variables for playbooks/shared-services.yml.

Pure and deterministic. Nothing is decided here: records come from the plan's hosts, client networks from the
services' security-group rules, ports from the services' flows, retention the longest any system needs (plan).
The result is an extra inventory source (`all.children.<group>.vars`) that `itpark harden --inventory` accepts.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import netaddr
from ruamel.yaml import YAML

from itpark.catalog import resolve_baseline
from itpark.fileio import write_text_atomic
from itpark.inventory import group_name
from itpark.plan.model import Host, Plan, Service

HEADER = "# Generated from the plan by itpark.services. Do not edit; change the spec and regenerate.\n"
PKI_DIR = "/etc/itpark/pki"


def reverse_zone(cidr: str) -> str:
    """The reverse zone holding a network: whole octets (IPv4) or nibbles (IPv6) of its prefix."""
    net = netaddr.IPNetwork(cidr)
    unit = 8 if net.version == 4 else 4
    labels = net.network.reverse_dns.rstrip(".").split(".")
    suffix = 2  # in-addr.arpa / ip6.arpa
    keep = net.prefixlen // unit
    return ".".join(labels[len(labels) - suffix - keep :])


def _relative(fqdn: str, zone: str) -> str:
    return fqdn[: -len(zone) - 1] if fqdn.endswith("." + zone) else fqdn + "."


def zone_entry(name: str, records: list[str], nameservers: list[str]) -> dict[str, Any]:
    """One zone for the dns_server role. No serial here: the role derives it on the server (max of the serial
    on disk and the one served, plus one, only when `content` changes), so it only ever grows: BIND with
    inline signing ignores a lower raw serial while `rndc reload` still reports success."""
    records = sorted(records)
    content = json.dumps({"nameservers": list(nameservers), "records": records}, sort_keys=True)
    return {
        "name": name,
        "file": f"db.{name}",
        "content": hashlib.sha256(content.encode()).hexdigest()[:16],
        "nameservers": list(nameservers),
        "records": records,
    }


def dns_zones(plan: Plan) -> list[dict[str, Any]]:
    """Forward zone of the park domain and one reverse zone per site prefix (IPv4 and IPv6); every host in them."""
    domain = plan.park.domain
    hosts = sorted(plan.all_hosts(), key=lambda h: h.name)
    dns = [h for s in plan.services if s.kind == "dns" for h in s.hosts]
    nameservers = sorted(h.fqdn + "." for h in dns)
    forward = [f"{_relative(h.fqdn, domain)} {t} {a}" for h in hosts for t, a in (("A", h.ipv4), ("AAAA", h.ipv6))]
    zones = [zone_entry(domain, forward, nameservers)]
    for site in plan.sites:
        for prefix in (site.ipv4_supernet, site.ipv6_prefix):
            zone = reverse_zone(prefix)
            net = netaddr.IPNetwork(prefix)
            ptrs = [
                f"{_relative(netaddr.IPAddress(addr).reverse_dns.rstrip('.'), zone)} PTR {h.fqdn}."
                for h in hosts
                for addr in (h.ipv4, h.ipv6)
                if netaddr.IPAddress(addr) in net
            ]
            zones.append(zone_entry(zone, ptrs, nameservers))
    return zones


def _ingress_sources(service: Service, port: str) -> list[str]:
    """Client networks of a service: sources of its security group's ingress rules for that port."""
    number, proto = port.split("/")
    return sorted(
        {
            r.remote_ip_prefix
            for r in service.security_group.rules
            if r.direction == "ingress" and r.protocol == proto and r.port_min == int(number)
        }
    )


def _services(plan: Plan, kind: str) -> list[Service]:
    return [s for s in plan.services if s.kind == kind]


def _log_source(host: Host) -> str:
    return f"{host.tenant or 'shared'}/{host.name}"


def _retention(plan: Plan, by_level: dict[int, int], served: list[int]) -> int:
    """Months the collectors keep: the longest any system needs (12 for online services, Decree 333/2026 Art
    16.6) and at least their own level's."""
    systems = [s.log_retention_months for t in plan.tenants for s in t.systems]
    return max([by_level[max(served)], *systems]) if served else 0


def build_service_vars(plan: Plan) -> dict[str, dict[str, Any]]:
    """Group name -> variables for that group (service_dns, service_ntp, service_log, ...)."""
    baseline = resolve_baseline(plan.baseline.id)
    hosts = sorted(plan.all_hosts(), key=lambda h: h.name)
    groups: dict[str, dict[str, Any]] = {}
    log_hosts = [h for s in _services(plan, "log") for h in s.hosts]
    groups["all"] = {
        # park_client: the CA that signed the collectors' TLS certificates, and the logging role's TLS switch.
        "park_client_ca_file": f"{PKI_DIR}/park-ca.crt",
        "logging_tls_ca": f"{PKI_DIR}/park-ca.crt" if log_hosts else "",
        "park_log_collector_names": sorted(h.fqdn for h in log_hosts),
    }
    # One group per service kind: a park with several sites gets the union of its services' data.
    dns, ntp, log = _services(plan, "dns"), _services(plan, "ntp"), _services(plan, "log")
    if dns:
        groups[group_name("service", "dns")] = {
            "dns_server_zones": dns_zones(plan),
            "dns_server_clients": _union(_ingress_sources(s, "53/udp") for s in dns),
        }
    if ntp:
        source = plan.park.time_source
        groups[group_name("service", "ntp")] = {
            "ntp_server_clients": _union(_ingress_sources(s, "123/udp") for s in ntp),
            # park.yaml defaults.hardening.time_source: national time servers, and/or the hypervisor clock
            "ntp_server_upstreams": [s for s in source if s != "hypervisor"],
            "ntp_server_hypervisor_clock": "hypervisor" in source,
        }
    if log:
        served = [h.level for h in log_hosts]
        port = next(p for p in log[0].ports if p.endswith("/tcp"))
        sources = {addr: _log_source(h) for h in hosts for addr in (h.ipv4, h.ipv6)}
        groups[group_name("service", "log")] = {
            "log_collector_port": int(port.split("/")[0]),
            "log_collector_clients": _union(_ingress_sources(s, port) for s in log),
            "log_collector_retention_months": _retention(plan, baseline.log_retention_months, served),
            "log_collector_sources": dict(sorted(sources.items())),
        }
    monitoring = _services(plan, "monitoring")
    scrape_ports = sorted(
        {
            int(f.ports[0].split("/")[0])
            for s in monitoring
            for f in s.flows
            if f.source == f"service:monitoring@{s.site}" and f.destination == "sites:*"
        }
    )
    if monitoring:
        port = scrape_ports[0] if scrape_ports else None
        groups[group_name("service", "monitoring")] = {
            "monitoring_port": int(monitoring[0].ports[0].split("/")[0]),
            "monitoring_targets": [
                {
                    "name": h.name,
                    "address": h.ipv4,
                    "port": port,
                    "site": h.site,
                    "tenant": h.tenant or "shared",
                    "zone": h.zone,
                    "level": h.level,
                }
                for h in hosts
            ]
            if port
            else [],
        }
        if port:
            groups["all"]["node_exporter_port"] = port
    bastions = _services(plan, "bastion")
    if bastions:
        level = max(h.level for s in bastions for h in s.hosts)
        groups[group_name("service", "bastion")] = {
            "bastion_mfa_required": any(c.id == "HOST-04" for c in baseline.controls_for(level)),
            "bastion_targets": _union(_egress_destinations(s, "22/tcp") for s in bastions),
        }
    return dict(sorted(groups.items()))


def _union(lists: Any) -> list[str]:
    return sorted({item for items in lists for item in items})


def _egress_destinations(service: Service, port: str) -> list[str]:
    number, proto = port.split("/")
    return sorted(
        {
            r.remote_ip_prefix
            for r in service.security_group.rules
            if r.direction == "egress" and r.protocol == proto and r.port_min == int(number)
        }
    )


def render_service_inventory(plan: Plan) -> str:
    """The service variables as an inventory source: all.children.<group>.vars (all's own under all.vars)."""
    groups = build_service_vars(plan)
    doc: dict[str, Any] = {
        "all": {"vars": groups.pop("all"), "children": {name: {"vars": data} for name, data in groups.items()}}
    }
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.representer.ignore_aliases = lambda *_: True
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return "---\n" + HEADER + buf.getvalue()


def write_service_inventory(plan: Plan, path: Path) -> Path:
    return write_text_atomic(path, render_service_inventory(plan))
