"""Deployability decisions of the plan (issue #12): first-boot user data, provider segments, quotas, projects."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_helpers import PARKS, park_dir, resources

from itpark.errors import SpecError
from itpark.plan import Plan, plan_park
from itpark.plan.bootstrap import MIRROR_KEYRING, bootstrap_gaps, host_firewall_needs, resolvers, user_data


def test_every_host_gets_user_data_it_can_boot_with(plans: dict[str, Plan]) -> None:
    for park in PARKS:
        plan = plans[park]
        for host in plan.all_hosts():
            assert bootstrap_gaps(plan, host) == [], host.name
        host = plan.tenants[0].systems[0].hosts[0]
        text = user_data(plan, host)
        assert text == user_data(plan, host) and text.startswith("#cloud-config\n")
        doc = yaml.safe_load(text)
        user = doc["users"][0]
        assert user["name"] == plan.bootstrap.user and user["lock_passwd"] is True
        files = {f["path"]: f["content"] for f in doc["write_files"]}
        assert (plan.bootstrap.ssh_keys and user["ssh_authorized_keys"] == list(plan.bootstrap.ssh_keys)) or (
            plan.bootstrap.ssh_ca and plan.bootstrap.ssh_ca in files["/etc/ssh/itpark_user_ca.pub"]
        )
        sources = files["/etc/apt/sources.list.d/itpark-mirror.sources"]
        mirror = plan.service("mirror", host.site) or plan.service("mirror")
        assert mirror is not None and f"URIs: http://{mirror.hosts[0].ipv4}/debian" in sources
        assert f"Signed-By: {MIRROR_KEYRING}" in sources and files[MIRROR_KEYRING] == plan.bootstrap.mirror_signing_key
        assert ["rm", "-f", "/etc/apt/sources.list", "/etc/apt/sources.list.d/debian.sources"] in doc["runcmd"]


def test_servers_boot_from_config_drive_and_never_rebuild_silently(
    manifests: dict[str, Any], plans: dict[str, Plan]
) -> None:
    for park in PARKS:
        by_name = {h.name: h for h in plans[park].all_hosts()}
        instances = list(resources(manifests[park], "Instance"))
        assert len(instances) == len(by_name)
        for _, r in instances:
            assert r["inputs"]["configDrive"] is True
            assert r["inputs"]["userData"] == user_data(plans[park], by_name[r["name"]])
            assert {"imageName", "userData"} <= set(r["options"]["ignoreChanges"])


def test_subnets_hand_out_the_park_resolvers_and_ipv6_is_stateful(
    manifests: dict[str, Any], plans: dict[str, Plan]
) -> None:
    plan = plans["danang-itpark"]
    v4, v6 = resolvers(plan, "dc1")
    assert v4 and v6
    subnets = [r for _, r in resources(manifests["danang-itpark"], "Subnet")]
    zone = next(r for r in subnets if r["name"] == "softviet-erp-app-v6")
    assert zone["inputs"]["dnsNameservers"] == v6 and zone["inputs"]["ipv6AddressMode"] == "dhcpv6-stateful"
    assert ("ingress", "ipv6", "udp", 546, "fe80::/10") in [tuple(n)[:5] for n in host_firewall_needs(plan)]


def test_tiers_of_two_or_more_are_spread(manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    groups = {r["name"]: r for _, r in resources(manifests["danang-itpark"], "ServerGroup")}
    for host in plans["danang-itpark"].all_hosts():
        if host.server_group:
            assert groups[host.server_group]["inputs"]["policies"] == "anti-affinity"
    assert groups


def test_tenant_resources_are_created_in_the_tenant_project(manifests: dict[str, Any]) -> None:
    for park in PARKS:
        for stack, body in manifests[park]["stacks"].items():
            tenant = body["config"].get("itpark:tenant")
            if tenant is None:
                continue
            res = body["resources"]
            assert res[f"pulumi:providers:openstack::{tenant}"]["inputs"]["tenantId"] == f"{tenant}-id"
            grant = res[f"openstack:identity/roleAssignment:RoleAssignment::{tenant}-platform"]
            assert grant["inputs"]["projectId"] == f"{tenant}-id"
            assert res[f"openstack:identity/project:Project::{tenant}"]["options"]["protect"] is True
            for key, r in res.items():
                kind = key.split("::")[0].rsplit(":", 1)[-1]
                if r["custom"] and kind in {
                    "Instance",
                    "Port",
                    "Volume",
                    "VolumeAttach",
                    "SecGroup",
                    "Network",
                    "ServerGroup",
                }:
                    assert r.get("provider") == f"pulumi:providers:openstack::{tenant}", (stack, key)


def _copy(tmp_path: Path, park: str) -> Path:
    copy = tmp_path / park
    shutil.copytree(park_dir(park), copy)
    return copy


def test_two_flat_networks_on_one_physnet_are_refused(tmp_path: Path) -> None:
    copy = _copy(tmp_path, "quangnam-cloud")
    park = copy / "park.yaml"
    park.write_text(park.read_text(encoding="utf-8").replace("physnet-ngsp", "physnet-tslcd"), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        plan_park(copy)
    text = str(err.value)
    assert "park.yaml:" in text and "second flat network on physical network 'physnet-tslcd'" in text


def test_a_vlan_used_twice_on_one_physnet_is_refused_across_sites(tmp_path: Path) -> None:
    copy = _copy(tmp_path, "quangnam-cloud")
    park = copy / "park.yaml"
    text = park.read_text(encoding="utf-8").replace(
        "    availability_zones: [az1]\n", "    availability_zones: [az1]\n    core_vlan: 100\n"
    )
    park.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        plan_park(copy)
    assert "VLAN 100 a second time on physical network 'physnet-core'" in str(err.value)


def test_quota_counts_vcpus_and_ram(tmp_path: Path) -> None:
    copy = _copy(tmp_path, "danang-itpark")
    tenant = copy / "tenants" / "so-tttt.yaml"
    tenant.write_text(tenant.read_text(encoding="utf-8").replace("cores: 24, ", "cores: 20, "), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        plan_park(copy)
    assert "so-tttt.yaml:7: quotas.cores: quota 20 is too small: the tenant's hosts need 22 vCPUs" in str(err.value)


def test_volume_availability_zone_comes_from_the_park(tmp_path: Path) -> None:
    copy = _copy(tmp_path, "danang-itpark")
    park = copy / "park.yaml"
    park.write_text(
        park.read_text(encoding="utf-8").replace("defaults:\n", "defaults:\n  volume_availability_zone: nova\n", 1),
        encoding="utf-8",
    )
    plan = plan_park(copy)
    assert {h.volume_availability_zone for h in plan.all_hosts()} == {"nova"}
    assert {h.availability_zone for h in plan.all_hosts()} != {"nova"}  # servers keep their compute zones
