"""Synthetic parks of any size, for benchmarks and scale tests: `write_park(dir, tenants)`.

Tenants cycle through levels 1-4 with realistic tiers; a /8 supernet (blocks of /23) and a /24 IPv6 prefix
leave room for 30,000 systems, so 5,000 tenants fit.
"""

from __future__ import annotations

import sys
from pathlib import Path

PARK = """\
name: synthetic-park
title: Synthetic park ({tenants} tenants)
kind: it-park
province: Benchmark
domain: synthetic.internal
baseline: tcvn-14423-2026
sites:
  - {{id: dc1, title: Main, ipv4_supernet: 10.0.0.0/8, ipv6_prefix: 2001:db8::/32, availability_zones: [az1, az2]}}
operator_networks: [192.168.250.0/24]
external_links:
  - {{id: internet, kind: internet, site: dc1, ipv4: 203.0.113.0/26, ipv6: "2001:db8:ff00::/48"}}
shared_services:
  - {{kind: bastion, count: 2}}
  - {{kind: dns, count: 2}}
  - {{kind: ntp, count: 2}}
  - {{kind: log, count: 2}}
  - {{kind: monitoring, count: 1}}
  - {{kind: backup, count: 2}}
  - {{kind: sso, count: 2}}
  - {{kind: waf, count: 2}}
addressing: {{core_prefix_v4: 16}}
defaults:
  mandatory_services: [bastion, dns, ntp, log, monitoring]
"""

TIERS = {
    1: [("app", "app", 2, "8080/tcp"), ("db", "app", 1, "5432/tcp")],
    2: [("web", "dmz", 2, "443/tcp"), ("app", "app", 2, "8080/tcp"), ("db", "app", 1, "5432/tcp")],
    3: [("web", "dmz", 2, "443/tcp"), ("app", "app", 2, "8080/tcp"), ("db", "data", 2, "5432/tcp")],
    4: [
        ("web", "dmz", 2, "443/tcp"),
        ("app", "app", 3, "8080/tcp"),
        ("db", "data", 2, "5432/tcp"),
        ("ids", "security", 1, ""),
    ],
}
FLOWS = {
    1: [("app", "app", "5432/tcp")],
    2: [("dmz", "app", "8080/tcp"), ("app", "app", "5432/tcp")],
    3: [("dmz", "app", "8080/tcp"), ("app", "data", "5432/tcp")],
    4: [("dmz", "app", "8080/tcp"), ("app", "data", "5432/tcp")],
}


_ONLINE = [
    "      system_type: online-service",
    "      information: [public, personal]",
    "      conditional_business: false",
    "      personal_data_subjects: 1000",
    "      sensitive_data_subjects: 0",
]
CLASSIFICATION = {  # facts whose criteria level never exceeds the declared one
    1: [
        "    classification:",
        "      system_type: internal",
        "      information: [public]",
        "      administrative_procedures: false",
    ],
    2: ["    classification:", *_ONLINE, "      administrative_procedures: false"],
    3: ["    classification:", *_ONLINE, "      administrative_procedures: true"],
    4: ["    classification:", *_ONLINE, "      administrative_procedures: true"],
}


def tenant_yaml(index: int) -> str:
    level = index % 4 + 1
    lines = [
        f"name: Synthetic tenant {index}",
        "kind: " + ("agency" if index % 3 == 0 else "enterprise"),
        f"owner: Owner {index}",
        f"contact: it@tenant-{index}.example",
        "quotas: {instances: 20, volumes: 40, volume_gb: 4000}",  # room for data and level 3+ system volumes
        "systems:",
        "  - id: main",
        f"    title: Main system {index}",
        f"    level: {level}",
        "    exposure: {internet: " + ("true" if level >= 2 else "false") + "}",
        "    services: [backup, sso]",
        *CLASSIFICATION[level],
        "    dossier:",
        f'      purpose_vi: "Hệ thống chính của đơn vị {index}"',
        f'      users_vi: "Cán bộ, khách hàng của đơn vị {index}"',
        f"      user_count: {100 * level}",
        f'      operator_vi: "Bộ phận CNTT của đơn vị {index}"',
        '      risks_vi: ["tấn công ứng dụng web", "mã độc tống tiền"]',
        "    tiers:",
    ]
    for name, zone, count, port in TIERS[level]:
        ports = f'["{port}"]' if port else "[]"
        lines.append(f"      - {{name: {name}, zone: {zone}, count: {count}, ports: {ports}, volume_gb: 20}}")
    lines.append("    flows:")
    for src, dst, port in FLOWS[level]:
        lines.append(f'      - {{from: {src}, to: {dst}, ports: ["{port}"]}}')
    return "\n".join(lines) + "\n"


def write_park(root: Path, tenants: int) -> Path:
    (root / "tenants").mkdir(parents=True, exist_ok=True)
    (root / "park.yaml").write_text(PARK.format(tenants=tenants), encoding="utf-8")
    for index in range(tenants):
        (root / "tenants" / f"t{index:05d}.yaml").write_text(tenant_yaml(index), encoding="utf-8")
    return root


if __name__ == "__main__":
    target = write_park(Path(sys.argv[1]), int(sys.argv[2]))
    print(target)
