"""Every component's example runs under mocks and registers what its README says."""

from __future__ import annotations

import importlib

import pytest

from itpark.pulumi.offline import run_program

EXPECTED = {
    "datacenter": {"itpark:datacenter:DataCenter", "openstack:compute/quotaSetV2:QuotaSetV2"},
    "network": {
        "itpark:network:SiteCore",
        "openstack:networking/router:Router",
        "openstack:networking/secGroup:SecGroup",
    },
    "hosts": {"openstack:networking/port:Port", "openstack:blockstorage/volume:Volume"},
    "shared_services": {
        "openstack:loadbalancer/loadBalancer:LoadBalancer",
        "openstack:networking/floatingIp:FloatingIp",
    },
    "tenant": {"itpark:tenant:Tenant", "openstack:compute/instance:Instance"},
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_example_runs(module: str) -> None:
    example = importlib.import_module(f"modules.{module}.example")
    records, outputs = run_program(f"example-{module}", example.main)
    assert EXPECTED[module] <= {r["type"] for r in records}
    assert outputs and all(v is not None for v in outputs.values())
