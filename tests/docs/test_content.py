"""The rendered docs say what the plan says: every tenant, prefix, flow, rule and applicable control appears."""

from __future__ import annotations

import re

import pytest
from docs_parks import PARKS

from itpark.docs.views import system_anchor
from itpark.plan import Plan


def _section(text: str, start: str, end: str = "\n## ") -> str:
    """The part of a Markdown page from the heading holding `start` to the next heading of the same level."""
    begin = text.index(start)
    stop = text.find(end, begin + len(start))
    return text[begin : stop if stop != -1 else len(text)]


@pytest.mark.parametrize("park", PARKS)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_tenant_system_and_prefix_appears(park: str, lang: str, plans: dict[str, Plan], rendered) -> None:
    plan, files = plans[park], rendered[park]
    index, addresses = files[f"{lang}/index.md"], files[f"{lang}/addresses.md"]
    for site in plan.sites:
        for prefix in (site.ipv4_supernet, site.ipv6_prefix, site.core_v4, site.core_v6, site.shared_v4):
            assert prefix in index
    for service in plan.services:
        assert (
            f"| `{service.kind}` | {service.subnet.name} | {service.subnet.ipv4} | {service.subnet.ipv6} |" in addresses
        )
    for entry in plan.ledger:
        if not entry.key.startswith("host:"):
            assert f"`{entry.key}` | {entry.ipv4} | {entry.ipv6} |" in addresses
    for tenant in plan.tenants:
        assert f"[{tenant.name}](tenants/{tenant.name}.md)" in index
        page = files[f"{lang}/tenants/{tenant.name}.md"]
        for system in tenant.systems:
            section = _section(page, f'<a id="{system_anchor(system)}">')
            assert f"{system.block_v4} · {system.block_v6}" in section
            for zone in system.zones:
                assert f"| {zone.ipv4} | {zone.ipv6} |" in section
                assert f"| {zone.name} | {zone.ipv4} | {zone.ipv6} |" in addresses
            for zone in system.dr_zones:
                assert f"| {zone.name} | {zone.ipv4} | {zone.ipv6} |" in addresses
            for host in system.hosts:
                assert f"| `{host.name}` |" in section and f"| {host.ipv4} | {host.ipv6} |" in section
            dossier = files[f"{lang}/dossier/{system_anchor(system)}.md"]
            for host in system.hosts:
                assert f"`{host.fqdn}`" in dossier and host.ipv4 in dossier and host.ipv6 in dossier
            # the plan's filesystems of level 3+ hosts, with their system volume; none below
            mounts = next((h for h in system.hosts if h.mounts), None)
            assert (mounts is not None) is (system.level >= 3 and bool(system.hosts))
            for mount in mounts.mounts if mounts else ():
                assert f"| `{mount.path}` | {mount.size_gb} | {', '.join(mount.options) or '—'} |" in dossier
            assert (f" {mounts.system_volume_gb} GB " in dossier) if mounts else ("`/var/log/audit`" not in dossier)


@pytest.mark.parametrize("park", PARKS)
def test_every_allowed_flow_and_rule_appears(park: str, plans: dict[str, Plan], rendered) -> None:
    plan, files = plans[park], rendered[park]
    flows_page = files["en/flows.md"]
    for service in plan.services:
        for flow in service.flows:
            assert f"| `{flow.id}` |" in flows_page and ", ".join(flow.ports) in flows_page
    for tenant in plan.tenants:
        page = files[f"en/tenants/{tenant.name}.md"]
        for system in tenant.systems:
            flows = _section(page, f'<a id="{system_anchor(system)}-flows">', "\n### ")
            for flow in system.flows:
                assert re.search(
                    rf"\| `{re.escape(flow.id)}` \| [^|]+ \| [^|]+ \| {re.escape(', '.join(flow.ports))} \|", flows
                )
            rules = _section(page, f'<a id="{system_anchor(system)}-rules">', "\n### ")
            for group in system.security_groups:
                block = _section(rules, f"**{group.name}**", "\n**")
                counted = 0
                for row in re.findall(r"^\| (in|out) \| `([^`]+)` \| ([^|]+) \| ([^|]+) \| (\d+) \|$", block, re.M):
                    counted += int(row[4])
                for rule in group.rules:
                    row = re.search(rf"^\| (in|out) \| `{re.escape(rule.flow)}` \| ([^|]+) \| ([^|]+) \|", block, re.M)
                    assert row, (group.name, rule.flow)
                    port = "icmp" if rule.protocol == "icmp" else f"{rule.port_min}"
                    assert port in row.group(2)
                    assert rule.remote_ip_prefix in [x.strip() for x in row.group(3).split("·")]
                assert counted == len(group.rules), group.name


def test_flow_matrix_shows_tenant_zone_to_zone_flows(plans: dict[str, Plan], rendered) -> None:
    """A spec flow app -> data must show in the park matrix in the app row, data column."""
    plan, page = plans["quangnam-cloud"], rendered["quangnam-cloud"]["en/flows.md"]
    matrix = _section(page, "## Zone × zone", "\n## ")
    header = next(line for line in matrix.splitlines() if line.startswith("| from"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    app_row = next(line for line in matrix.splitlines() if line.startswith("| **app** |"))
    cells = [c.strip() for c in app_row.strip("|").split("|")]
    ports = {
        p for f in plan.all_flows() if f.source.endswith("/app") and f.destination.endswith("/data") for p in f.ports
    }
    assert ports and all(p in cells[columns.index("data")] for p in ports)


@pytest.mark.parametrize("park", PARKS)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_applicable_control_missing_from_the_matrix(park: str, lang: str, plans: dict[str, Plan], rendered) -> None:
    plan, files = plans[park], rendered[park]
    for tenant in plan.tenants:
        page = files[f"{lang}/tenants/{tenant.name}.md"]
        for system in tenant.systems:
            matrix = _section(page, f'<a id="{system_anchor(system)}-compliance">', "\n## ")
            shown = re.findall(r"^\| `([A-Z]+-\d\d)` \|", matrix, re.M)
            assert sorted(shown) == sorted(c.id for c in system.controls)
            dossier = files[f"{lang}/dossier/{system_anchor(system)}.md"]
            shown = re.findall(r"^\| `([A-Z]+-\d\d)(?: \*)?` \|", dossier, re.M)
            assert sorted(shown) == sorted(c.id for c in system.controls)
            for ref in system.controls:  # the unconfirmed flag is carried into the dossier
                assert (f"`{ref.id} *`" in dossier) is (not ref.confirmed)


def test_vietnamese_pages_use_the_vietnamese_catalogue(rendered) -> None:
    files = rendered["quangnam-cloud"]
    assert "## Tổng hợp" in files["vi/index.md"] and "## Totals" in files["en/index.md"]
    dossier = files["vi/dossier/so-tc--budget.md"]
    assert "# Hồ sơ đề xuất cấp độ" in dossier and "Nghị định 331/2026/NĐ-CP" in dossier
    assert "## Phần III. Thuyết minh phương án bảo đảm an ninh mạng" in dossier
    assert "Level proposal dossier" not in dossier


# Wording found in review that Vietnamese pages must no longer carry, and English that is not an identifier.
NOT_ON_VI_PAGES = (
    "Bộ kiểm soát áp dụng",
    "không bao giờ bị đánh lại",
    "Công bố ra",
    "thủ công",
    "Ảnh hệ điều hành",
    "Decree ",
    "Circular ",
    "Decision ",
    " Art ",
    "not yet checked",
    "needs documentary evidence",
    "to be completed",
    "Enforced by",
    "found by scanning",
    "level dossier annex",
)


@pytest.mark.parametrize("park", PARKS)
def test_vietnamese_pages_carry_the_reviewed_wording(park: str, rendered) -> None:
    files = rendered[park]
    for path, text in files.items():
        if path.startswith("vi/") and path.endswith(".md"):
            for phrase in NOT_ON_VI_PAGES:
                assert phrase not in text, (path, phrase)
    index = files["vi/index.md"]
    assert "Danh mục biện pháp áp dụng" in index
    assert "đánh số lại" in files["vi/addresses.md"]
    assert "Bản image hệ điều hành" in next(t for p, t in files.items() if p.startswith("vi/tenants/"))
    statuses = files["vi/compliance.md"]
    assert "cần hồ sơ chứng minh" in statuses


def test_a_provincial_cloud_calls_its_tenants_user_agencies(rendered) -> None:
    for path, text in rendered["quangnam-cloud"].items():
        if path.startswith("vi/") and path.endswith(".md"):
            assert "đơn vị thuê" not in text.lower(), path
    assert "Cơ quan, đơn vị sử dụng" in rendered["quangnam-cloud"]["vi/index.md"]
    assert "Đơn vị thuê" in rendered["danang-itpark"]["vi/index.md"]  # an IT park keeps the word
