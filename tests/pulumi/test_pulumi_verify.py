"""itpark verify: both examples clean; each property, broken once in a copy of the manifest, is reported."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_helpers import PARKS, ROOT, park_dir

from itpark.plan import Plan
from itpark.verify import verify

Manifest = dict[str, Any]


def _records(manifest: Manifest, suffix: str) -> list[dict[str, Any]]:
    return [r for body in manifest["stacks"].values() for r in body["resources"].values() if r["type"].endswith(suffix)]


def _drop(manifest: Manifest, suffix: str, match: Callable[[dict[str, Any]], bool]) -> None:
    for body in manifest["stacks"].values():
        for key in [k for k, r in body["resources"].items() if r["type"].endswith(suffix) and match(r)]:
            del body["resources"][key]


@pytest.mark.parametrize("park", PARKS)
def test_examples_verify_clean(park: str, manifests: dict[str, Manifest], plans: dict[str, Plan]) -> None:
    assert verify(plans[park], manifests[park]) == []


def _break_layer3(m: Manifest) -> None:  # the softviet ERP router loses its interface on the app zone
    _drop(m, "routerInterface:RouterInterface", lambda r: r["name"] == "softviet-erp-softviet-erp-app-v4")


def _break_route_back(m: Manifest) -> None:  # no default route from the core, no static routes
    for r in _records(m, "subnet:Subnet"):
        if r["name"].startswith("core-"):
            r["inputs"].pop("gatewayIp", None)
    _drop(m, "routerRoutesV2:RouterRoutesV2", lambda r: True)


def _break_rules(m: Manifest) -> None:
    _drop(m, "secGroupRule:SecGroupRule", lambda r: r["name"].startswith("softviet-erp-app/ingress/IPv4"))


def _break_bootstrap(m: Manifest) -> None:
    server = next(r for r in _records(m, "instance:Instance") if r["name"] == "web-01.erp.softviet")
    server["inputs"]["userData"] = server["inputs"]["userData"].replace("ssh_authorized_keys", "no_keys")
    server["inputs"]["configDrive"] = False


def _break_resolvers(m: Manifest) -> None:
    subnet = next(r for r in _records(m, "subnet:Subnet") if r["name"] == "softviet-erp-dmz-v4")
    del subnet["inputs"]["dnsNameservers"]


def _break_ownership(m: Manifest) -> None:
    volume = next(r for r in _records(m, "volume:Volume") if r["name"].endswith(".payments.dana-fintech-data"))
    del volume["provider"]


def _break_quota(m: Manifest) -> None:
    quota = next(r for r in _records(m, "quotaSetV2:QuotaSetV2") if r["name"] == "softviet-compute")
    quota["inputs"]["cores"] = 1


def _break_segments(m: Manifest) -> None:
    net = next(r for r in _records(m, "network:Network") if r["name"] == "core-dc1")
    net["inputs"]["segments"] = [{"networkType": "flat", "physicalNetwork": "physnet-internet"}]
    internet = next(r for r in _records(m, "network:Network") if r["name"].startswith("link-internet"))
    internet["inputs"]["segments"] = [{"networkType": "flat", "physicalNetwork": "physnet-internet"}]


BREAKS = {
    "layer 3: flow softviet/erp/": _break_layer3,
    "layer 3: flow softviet/erp/backup": _break_route_back,
    "rules: flow softviet/erp/": _break_rules,
    "bootstrap: server web-01.erp.softviet: no SSH key": _break_bootstrap,
    "bootstrap: server web-01.erp.softviet: no config drive": _break_bootstrap,
    "bootstrap: server web-01.erp.softviet: subnet softviet-erp-dmz-v4 hands out no resolvers": _break_resolvers,
    "ownership: volume ": _break_ownership,
    "quotas: project softviet-id needs": _break_quota,
    "segments: two flat networks on physical network physnet-internet": _break_segments,
}


@pytest.mark.parametrize("expected", list(BREAKS))
def test_each_broken_property_is_reported(
    expected: str, manifests: dict[str, Manifest], plans: dict[str, Plan]
) -> None:
    broken = copy.deepcopy(manifests["danang-itpark"])
    BREAKS[expected](broken)
    findings = verify(plans["danang-itpark"], broken)
    assert any(f.startswith(expected) for f in findings), findings[:5]


def test_link_flows_need_the_link_router(manifests: dict[str, Manifest], plans: dict[str, Plan]) -> None:
    broken = copy.deepcopy(manifests["quangnam-cloud"])
    _drop(broken, "subnetRoute:SubnetRoute", lambda r: "100.97.10.0/24" in r["name"])
    findings = verify(plans["quangnam-cloud"], broken)
    assert any("to-ngsp" in f and "no path" in f and "100.97.10.0/24" in f for f in findings), findings[:5]


def test_command_exit_codes(tmp_path: Any) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "itpark", "verify", "--golden", str(park_dir("danang-itpark"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and ok.stdout == "", ok.stderr
    bad = subprocess.run([sys.executable, "-m", "itpark", "verify", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2
