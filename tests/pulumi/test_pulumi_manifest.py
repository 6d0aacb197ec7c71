"""The program runs under mocks for both examples, and its manifest is the committed golden one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pulumi_helpers import NEW_TENANT, PARKS, park_dir, resources

from itpark.fileio import dumps_json
from itpark.plan import Plan
from itpark.pulumi.manifest import diff_manifests, golden_dir, golden_stack_path, stack_document
from itpark.pulumi.offline import park_manifest
from itpark.pulumi.stacks import park_stacks


@pytest.mark.parametrize("park", PARKS)
def test_every_stack_runs_and_registers_resources(park: str, manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    manifest = manifests[park]
    assert list(manifest["stacks"]) == [s.name for s in park_stacks(plans[park])]
    for name, body in manifest["stacks"].items():
        assert body["resources"], f"{name} registered nothing"
    types = {r["type"] for _, r in resources(manifest)}
    assert {"openstack:compute/instance:Instance", "openstack:networking/secGroupRule:SecGroupRule"} <= types


@pytest.mark.parametrize("park", PARKS)
def test_manifest_matches_golden(park: str, manifests: dict[str, Any], golden: dict[str, Any]) -> None:
    diff = diff_manifests(golden[park], manifests[park])
    assert diff.empty, diff.report()
    for stack in manifests[park]["stacks"]:  # one committed file per stack, byte for byte
        text = golden_stack_path(park_dir(park), stack).read_text(encoding="utf-8")
        assert dumps_json(stack_document(manifests[park], stack)) == text, stack
    assert len(list(golden_dir(park_dir(park)).glob("*.json"))) == len(manifests[park]["stacks"])


def test_no_stack_holds_tenants_of_another(manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    """Layer stacks hold no tenant resource; a tenant stack holds only its own tenant's."""
    for park in PARKS:
        tenants = {t.name for t in plans[park].tenants}
        for stack, r in resources(manifests[park]):
            owner = next(
                (t.split("=", 1)[1] for t in r["inputs"].get("tags", []) if t.startswith("itpark:tenant=")), None
            )
            owner = owner or r["inputs"].get("metadata", {}).get("tenant")
            if owner in tenants:
                assert stack == f"{park}-tenant-{owner}", f"{r['name']} of {owner} is in {stack}"


def test_stateful_resources_are_protected_and_retained(manifests: dict[str, Any]) -> None:
    volumes = [r for park in PARKS for _, r in resources(manifests[park], "Volume")]
    assert volumes
    for volume in volumes:
        options = volume["options"]
        assert options["protect"] is options["retainOnDelete"] is True, volume["name"]
        # A level raise never replaces a protected volume: its type is retyped by procedure (docs/pulumi.md).
        assert options["ignoreChanges"] == ["volumeType"], volume["name"]


def test_level3_hosts_get_a_system_volume_attached(manifests: dict[str, Any], plans: dict[str, Plan]) -> None:
    """Every host from level 3 has a protected system volume of the plan's size attached; lower levels none."""
    for park in PARKS:
        volumes = {r["name"]: r for _, r in resources(manifests[park], "Volume")}
        attached = {r["name"] for _, r in resources(manifests[park], "VolumeAttach")}
        for host in plans[park].all_hosts():
            volume = volumes.get(f"{host.name}-system")
            if host.level < 3:
                assert volume is None and not host.mounts, host.name
                continue
            assert host.system_volume_gb == sum(x.size_gb for x in host.mounts) + 1 > 1
            assert volume is not None and volume["inputs"]["size"] == host.system_volume_gb, host.name
            assert volume["options"]["protect"] is volume["options"]["retainOnDelete"] is True
            assert f"{host.name}-system" in attached


def test_adding_a_tenant_adds_only_its_stack(tmp_path: Path, golden: dict[str, Any]) -> None:
    """A new tenant adds its own stack; elsewhere only the shared router's route table learns its block (one
    in-place update of one resource of the network stack, the route back to it)."""
    copy = tmp_path / "danang-itpark"
    shutil.copytree(park_dir("danang-itpark"), copy)
    (copy / "tenants" / "zz-onboarding.yaml").write_text(NEW_TENANT, encoding="utf-8")
    diff = diff_manifests(golden["danang-itpark"], park_manifest(str(copy), jobs=2))
    assert diff.stacks_added == ["danang-itpark-tenant-zz-onboarding"]
    routes = "danang-itpark-network|openstack:networking/routerRoutesV2:RouterRoutesV2::shared-dc1"
    assert diff.changed == {routes: ["inputs.routes"]}
    assert not diff.removed and not diff.stacks_removed and not diff.outputs_changed
    assert diff.added and all(key.startswith("danang-itpark-tenant-zz-onboarding|") for key in diff.added)


def test_decommissioned_tenant_releases_its_data(tmp_path: Path) -> None:
    copy = tmp_path / "danang-itpark"
    shutil.copytree(park_dir("danang-itpark"), copy)
    source = copy / "tenants" / "dana-fintech.yaml"
    source.write_text(source.read_text(encoding="utf-8") + "decommission: true\n", encoding="utf-8")
    from itpark.plan import plan_park
    from itpark.pulumi.offline import run_park

    assert plan_park(copy).tenant("dana-fintech").decommission
    [result] = run_park(str(copy), jobs=1, only=["danang-itpark-tenant-dana-fintech"])
    volumes = [r for r in result.records if r["type"].endswith(":Volume")]
    assert volumes and all(not v["options"]["protect"] and not v["options"]["retainOnDelete"] for v in volumes)


def test_write_golden_touches_only_changed_stacks(tmp_path: Path, golden: dict[str, Any]) -> None:
    """Golden manifests are per stack: rewriting after one tenant changes touches that tenant's file only."""
    from itpark.pulumi.manifest import read_golden, write_golden

    park = tmp_path / "park"
    assert len(write_golden(park, golden["danang-itpark"])) == len(golden["danang-itpark"]["stacks"])
    assert read_golden(park) == golden["danang-itpark"]
    changed = json.loads(json.dumps(golden["danang-itpark"]))
    stack = "danang-itpark-tenant-softviet"
    changed["stacks"][stack]["outputs"]["extra"] = 1
    del changed["stacks"]["danang-itpark-tenant-vnpt-dn-lab"]
    written = write_golden(park, changed)
    assert sorted(p.name for p in written) == [f"{stack}.json", "danang-itpark-tenant-vnpt-dn-lab.json"]
    assert not golden_stack_path(park, "danang-itpark-tenant-vnpt-dn-lab").exists()
    assert read_golden(park) == changed
