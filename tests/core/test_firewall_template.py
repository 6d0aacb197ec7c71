"""The host firewall accepts what the plan says address configuration needs (HOST_FIREWALL_NEEDS): with egress
filtering on (level 2 and up) a host whose DHCPv6 replies or requests are dropped loses its leased addresses."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from itpark.plan import plan_park
from itpark.plan.bootstrap import host_firewall_needs
from tests.core.conftest import ROOT

TEMPLATE = ROOT / "playbooks" / "roles" / "firewall" / "templates" / "nftables.conf.j2"


def render(filter_egress: bool) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE.name).render(
        ansible_managed="test",
        firewall_ingress_rules=[],
        firewall_egress_rules=[],
        firewall_filter_egress=filter_egress,
        firewall_log_prefix="itpark-drop ",
    )


def chain(text: str, name: str) -> list[str]:
    body = text.split(f"chain {name} {{", 1)[1].split("\n  }", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip().endswith("accept")]


def test_dhcp_needs_of_the_plan_are_accepted_both_ways() -> None:
    plan = plan_park(ROOT / "stacks" / "danang-itpark")
    text = render(filter_egress=True)
    accepted_in, accepted_out = chain(text, "input"), chain(text, "output")
    for need in host_firewall_needs(plan):
        if need.protocol != "udp":
            continue
        family = "ip6" if need.family == "ipv6" else "meta nfproto ipv4"
        server = 547 if need.family == "ipv6" else 67
        assert any(r.startswith(family) and f"udp dport {need.port} accept" in r for r in accepted_in), need
        assert any(r.startswith(family) and f"udp dport {server} accept" in r for r in accepted_out), need
    assert "ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept" in accepted_in


def _cannot_check(reason: str) -> None:
    """Off CI a machine without nft or namespaces skips; under CI (scripts/setup installs nftables, root) it fails."""
    if os.environ.get("CI"):
        pytest.fail(f"cannot parse the ruleset: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.mark.parametrize("filter_egress", [True, False])
def test_the_ruleset_parses(tmp_path: Path, filter_egress: bool) -> None:
    if not shutil.which("nft") or not shutil.which("unshare"):
        _cannot_check("needs nft and unshare")
    path = tmp_path / "nftables.conf"
    path.write_text(render(filter_egress), encoding="utf-8")
    # nft -c only parses and checks; in a fresh network namespace of this test nothing is ever loaded
    result = subprocess.run(["unshare", "-n", "nft", "-c", "-f", str(path)], capture_output=True, text=True)
    if result.returncode and "Operation not permitted" in result.stderr:
        _cannot_check("no permission for a network namespace")
    assert result.returncode == 0, result.stderr
