"""Each CrossGuard policy's validate function, on resources taken from the manifest: passing and failing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from pulumi_helpers import PARKS, resources
from pulumi_policy import PolicyResourceOptions, ResourceValidationArgs

from itpark.plan import Plan
from itpark.pulumi.program import DEFAULT_ENCRYPTED_VOLUME_TYPE
from itpark.pulumi.stacks import policy_config


def _args(resource: dict[str, Any], config: dict[str, Any]) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(
        protect=resource["options"]["protect"],
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=None,  # type: ignore[arg-type]
        additional_secret_outputs=[],
        parent=resource["parent"],
    )
    return ResourceValidationArgs(
        resource["type"], resource["inputs"], f"urn:x::{resource['name']}", resource["name"], opts, None, config
    )


def _violations(fn: Callable[..., None], resource: dict[str, Any], config: dict[str, Any]) -> list[str]:
    found: list[str] = []
    fn(_args(resource, config), lambda message, urn=None: found.append(message))
    return found


def _config(plan: Plan, policy: str) -> dict[str, Any]:
    return policy_config(plan, [DEFAULT_ENCRYPTED_VOLUME_TYPE]).get(policy, {})


POLICIES = {
    "itpark-no-open-ingress": "no_open_ingress",
    "itpark-ssh-only-from-bastion": "ssh_only_from_bastion",
    "itpark-private-zones-not-external": "private_zones_not_external",
    "itpark-encrypted-volumes": "encrypted_volumes",
    "itpark-required-labels": "required_labels",
}


@pytest.mark.parametrize("park", PARKS)
def test_whole_manifest_passes_every_policy(
    park: str, manifests: dict[str, Any], plans: dict[str, Plan], policies: ModuleType
) -> None:
    assert [p.name for p in policies.policies()] == list(POLICIES)
    for name, fn in POLICIES.items():
        config = _config(plans[park], name)
        for _, r in resources(manifests[park]):
            assert not _violations(getattr(policies, fn), r, config), (name, r["name"])


def _find(manifest: dict[str, Any], typ: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return copy.deepcopy(next(r for _, r in resources(manifest, typ) if pred(r)))


def test_open_ingress(manifests: dict[str, Any], plans: dict[str, Plan], policies: ModuleType) -> None:
    m, config = manifests["danang-itpark"], _config(plans["danang-itpark"], "itpark-no-open-ingress")
    waf = _find(m, "SecGroupRule", lambda r: r["inputs"].get("remoteIpPrefix") == "0.0.0.0/0")
    assert not _violations(policies.no_open_ingress, waf, config)
    waf["inputs"]["portRangeMin"] = waf["inputs"]["portRangeMax"] = 8080
    assert _violations(policies.no_open_ingress, waf, config)
    tenant = _find(m, "SecGroupRule", lambda r: r["name"].startswith("dana-fintech-payments-dmz/ingress"))
    assert not _violations(policies.no_open_ingress, tenant, config)
    tenant["inputs"]["remoteIpPrefix"] = "::/0"
    assert _violations(policies.no_open_ingress, tenant, config)


def test_ssh_only_from_bastion(manifests: dict[str, Any], plans: dict[str, Plan], policies: ModuleType) -> None:
    m, config = manifests["danang-itpark"], _config(plans["danang-itpark"], "itpark-ssh-only-from-bastion")

    def ssh(r: dict[str, Any]) -> bool:
        i = r["inputs"]
        return i["direction"] == "ingress" and i.get("portRangeMin") == 22 and r["name"].startswith("dana-fintech")

    rule = _find(m, "SecGroupRule", ssh)
    assert not _violations(policies.ssh_only_from_bastion, rule, config)
    rule["inputs"]["remoteIpPrefix"] = "10.40.24.64/26"  # the system's own app zone
    assert _violations(policies.ssh_only_from_bastion, rule, config)
    rule["inputs"].update(portRangeMin=1, portRangeMax=1024, remoteIpPrefix="192.168.250.0/24")
    assert _violations(policies.ssh_only_from_bastion, rule, config)


def test_private_zones_never_external(manifests: dict[str, Any], policies: ModuleType) -> None:
    m = manifests["danang-itpark"]
    net = _find(m, "Network", lambda r: "itpark:zone=data" in r["inputs"].get("tags", []))
    assert not _violations(policies.private_zones_not_external, net, {})
    net["inputs"]["external"] = True
    assert _violations(policies.private_zones_not_external, net, {})
    router = _find(m, "Router", lambda r: r["name"] == "dana-fintech-payments")
    assert not _violations(policies.private_zones_not_external, router, {})
    router["inputs"]["tags"] = [t.replace("uplink=core", "uplink=internet") for t in router["inputs"]["tags"]]
    assert _violations(policies.private_zones_not_external, router, {})


def test_level3_volumes_encrypted(manifests: dict[str, Any], plans: dict[str, Plan], policies: ModuleType) -> None:
    m, config = manifests["danang-itpark"], _config(plans["danang-itpark"], "itpark-encrypted-volumes")
    volume = _find(m, "Volume", lambda r: r["inputs"]["metadata"]["level"] == "3")
    assert not _violations(policies.encrypted_volumes, volume, config)
    del volume["inputs"]["volumeType"]
    assert _violations(policies.encrypted_volumes, volume, config)
    low = _find(m, "Volume", lambda r: r["inputs"]["metadata"]["level"] == "1")
    assert "volumeType" not in low["inputs"] and not _violations(policies.encrypted_volumes, low, config)


def test_required_labels(manifests: dict[str, Any], policies: ModuleType) -> None:
    m = manifests["danang-itpark"]
    instance = _find(m, "Instance", lambda r: True)
    assert not _violations(policies.required_labels, instance, {})
    del instance["inputs"]["metadata"]["owner"]
    assert _violations(policies.required_labels, instance, {})
    port = _find(m, "Port", lambda r: True)
    assert not _violations(policies.required_labels, port, {})
    port["inputs"]["tags"] = [t for t in port["inputs"]["tags"] if not t.startswith("itpark:level=")]
    assert _violations(policies.required_labels, port, {})


def _stack_args(stack: dict[str, Any], config: dict[str, Any]) -> Any:
    """StackValidationArgs as the engine builds them: each rule depends on its group through securityGroupId."""
    from pulumi_policy import PolicyResource, StackValidationArgs

    def opts(r: dict[str, Any]) -> PolicyResourceOptions:
        return PolicyResourceOptions(r["options"]["protect"], [], None, [], None, [], None)  # type: ignore[arg-type]

    def make(r: dict[str, Any], deps: dict[str, list[Any]]) -> PolicyResource:
        return PolicyResource(r["type"], r["inputs"], f"urn:x::{r['name']}", r["name"], opts(r), None, None, [], deps)

    groups = {
        f"{r['name']}-id": make(r, {}) for r in stack["resources"].values() if r["type"].endswith("secGroup:SecGroup")
    }
    built = list(groups.values())
    for r in stack["resources"].values():
        if r["type"].endswith("secGroupRule:SecGroupRule"):
            group = groups.get(r["inputs"].get("securityGroupId"))
            built.append(make(r, {"securityGroupId": [group]} if group else {}))
    return StackValidationArgs(built, config)  # type: ignore[call-arg]


def _stack_violations(policies: ModuleType, stack: dict[str, Any], config: dict[str, Any]) -> list[str]:
    found: list[str] = []
    policies.rules_by_group(_stack_args(stack, config), lambda message, urn=None: found.append(message))
    return found


@pytest.mark.parametrize("park", PARKS)
def test_stack_policy_checks_rules_through_their_groups(
    park: str, manifests: dict[str, Any], plans: dict[str, Plan], policies: ModuleType
) -> None:
    config = _config(plans[park], "itpark-rules-by-group")
    assert config["publicGroups"]
    stacks = manifests[park]["stacks"]
    for body in stacks.values():
        assert _stack_violations(policies, body, config) == []
    network = copy.deepcopy(stacks[f"{park}-network"])
    rules = [r for r in network["resources"].values() if r["type"].endswith("secGroupRule:SecGroupRule")]
    app = next(
        r
        for r in rules
        if r["inputs"]["direction"] == "ingress"
        and not r["inputs"]["securityGroupId"].startswith(tuple(config["publicGroups"]))
    )
    app["inputs"].update(remoteIpPrefix="0.0.0.0/1", protocol="6", portRangeMin=443, portRangeMax=443)
    ssh = next(
        r
        for r in rules
        if r is not app
        and r["inputs"]["direction"] == "ingress"
        and not r["inputs"]["securityGroupId"].startswith(tuple(config["bastionGroups"]))
    )
    ssh["inputs"].update(remoteIpPrefix="10.99.0.5/16", protocol="", portRangeMin=None, portRangeMax=None)
    found = _stack_violations(policies, network, config)
    assert any(f"{app['name']}: open ingress into group" in v for v in found), found
    assert any(f"{ssh['name']}: group" in v and "SSH allowed from 10.99.0.5/16" in v for v in found), found


def test_protocols_and_prefixes_are_normalised(policies: ModuleType) -> None:
    assert [policies.protocol({"protocol": p}) for p in ("", None, "any", "6", "tcp", "17", "58")] == [
        None,
        None,
        None,
        "tcp",
        "tcp",
        "udp",
        "icmp",
    ]
    assert policies.open_remote({"remoteIpPrefix": "0.0.0.0/1"})
    assert policies.open_remote({"remoteIpPrefix": "::/1"})
    assert policies.open_remote({})
    assert not policies.open_remote({"remoteIpPrefix": "10.1.2.3/8"})  # host bits: no crash
    assert not policies.open_remote({"remoteGroupId": "g"})
