"""A real OpenStack control plane for this package's tests: started once, torn down at the end, nothing left.

The control plane runs Debian's OpenStack (scripts/openstack/install) under /usr/bin/python3; this package's tests
talk to it only through its APIs on 127.0.0.1. Under CI (CI=true) a control plane that is not installed or does not
start is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
CONTROLPLANE = REPO / "scripts" / "openstack" / "controlplane.py"
EXAMPLE = REPO / "stacks" / "quangnam-cloud"
# The small park: every layer stack of the provincial example (both sites, its TSLCD/NGSP/Internet links) with
# one host per shared service, and two tenants at levels 2 and 3.
TENANTS = ("so-gddt", "so-tnmt")
CI = os.environ.get("CI", "").lower() == "true"
MODULES = ("keystone", "nova", "neutron", "cinder", "placement", "glance")


def _missing() -> list[str]:
    root = Path("/usr/lib/python3/dist-packages")
    return [m for m in MODULES if not (root / m).is_dir()]


def _unavailable(message: str) -> None:
    if CI:
        pytest.fail(f"real OpenStack control plane: {message}", pytrace=False)
    pytest.skip(f"real OpenStack control plane: {message}")


def _physnets(node: Any) -> set[str]:
    """Every physical network a park file names, wherever the spec keeps it."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("physical_network", "physnet") and isinstance(value, str):
                found.add(value)
            found |= _physnets(value)
    elif isinstance(node, list):
        for value in node:
            found |= _physnets(value)
    return found


def _physnets_of(manifest: dict[str, Any]) -> set[str]:
    """The physical networks the program's provider networks use."""
    return {
        segment["physicalNetwork"]
        for stack in manifest["stacks"].values()
        for resource in stack["resources"].values()
        for segment in resource.get("inputs", {}).get("segments") or []
        if segment.get("physicalNetwork")
    }


@pytest.fixture(scope="package")
def small_park(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the provincial example cut down to two tenants and one host per shared service."""
    park = tmp_path_factory.mktemp("park") / EXAMPLE.name
    shutil.copytree(EXAMPLE, park, ignore=shutil.ignore_patterns("manifest*", "docs"))
    for tenant in (park / "tenants").glob("*.yaml"):
        if tenant.stem not in TENANTS:
            tenant.unlink()
    yaml = YAML()
    spec = yaml.load((park / "park.yaml").read_text(encoding="utf-8"))
    for service in spec["shared_services"]:
        service["count"] = 1
    with (park / "park.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(spec, f)
    from itpark.cli import main

    assert main(["allocate", str(park)]) == 0, "the small park's ledger could not be written"
    return park


@pytest.fixture(scope="package")
def manifest(small_park: Path) -> dict[str, Any]:
    """What the real program registers for the small park under Pulumi's mocks (as `itpark manifest`)."""
    from itpark.pulumi.offline import park_manifest

    return park_manifest(str(small_park), 1)


@pytest.fixture(scope="package")
def cloud(
    small_park: Path, manifest: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Start the control plane for the small park's physical networks and availability zones; stop it after."""
    missing = _missing()
    if missing:
        _unavailable(
            f"Debian packages missing ({', '.join('python3-' + m for m in missing)}); "
            "run scripts/openstack/install as root (scripts/setup does)"
        )
    from itpark.plan import plan_park

    plan = plan_park(small_park)
    azs = sorted({az for site in plan.sites for az in site.availability_zones})
    physnets = _physnets(YAML(typ="safe").load((small_park / "park.yaml").read_text(encoding="utf-8")))
    physnets |= {link.physical_network for link in plan.links if link.physical_network}
    physnets |= _physnets_of(manifest)
    state = tmp_path_factory.mktemp("openstack") / "state"
    argv = ["/usr/bin/python3", str(CONTROLPLANE), "start", "--state", str(state)]
    argv += [a for p in sorted(physnets) for a in ("--physnet", p)] + [a for z in azs for a in ("--az", z)]
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=1500, stdin=subprocess.DEVNULL)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            _unavailable(f"did not start (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        info = json.loads(proc.stdout)
        info["start_seconds"] = round(time.monotonic() - started, 1)
        info["platform_auth"] = _operator_setup(info["auth"], small_park)
        yield info
    finally:
        subprocess.run(
            ["/usr/bin/python3", str(CONTROLPLANE), "stop", "--state", str(state)],
            capture_output=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )


PLATFORM_USER = "itpark-platform"  # the program's default platform identity (stack setting platformUser)


def _operator_setup(auth: dict[str, Any], park: Path) -> dict[str, Any]:
    """What the park assumes its operator provides before `pulumi up`: the platform identity (a cloud admin that
    runs Pulumi), the images it does not upload itself and the volume types it names. Returns the platform's auth."""
    import openstack

    conn = openstack.connect(**auth)
    user = conn.identity.create_user(name=PLATFORM_USER, password=auth["password"], domain_id="default")
    admin_project = conn.identity.find_project("admin", domain_id="default")
    conn.identity.assign_project_role_to_user(admin_project, user, conn.identity.find_role("admin"))
    spec = YAML(typ="safe").load((park / "park.yaml").read_text(encoding="utf-8"))
    for image in [i for i in spec.get("images", []) if not i.get("url")]:  # the program makes those with a URL
        made = conn.image.create_image(
            name=image["name"], disk_format="raw", container_format="bare", visibility="public", data=b"\0" * 1024
        )
        conn.image.wait_for_status(made, "active", wait=120)
    for name in ("encrypted",):
        vtype = conn.block_storage.create_type(name=name)
        conn.block_storage.create_type_encryption(
            vtype, provider="luks", cipher="aes-xts-plain64", key_size=256, control_location="front-end"
        )
    return {**auth, "username": PLATFORM_USER}
