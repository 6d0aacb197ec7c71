"""The replay oracle's own logic, without a cloud: every type the program registers has a handler, references
resolve to exactly one resource, dependencies come first, and an input it cannot translate is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.openstack import replay as r

REPO = Path(__file__).resolve().parents[2]


def _golden() -> list[dict]:
    found = sorted(REPO.glob("stacks/*/manifest.json")) + sorted(REPO.glob("stacks/*/manifests/*.json"))
    manifests = []
    for path in found:
        data = json.loads(path.read_text(encoding="utf-8"))
        if "stacks" not in data:  # one stack per file
            data = {"stacks": {path.stem: data}}
        manifests.append(data)
    assert manifests, "no golden manifest found"
    return manifests


@pytest.fixture(scope="module")
def records() -> list[r._Record]:
    merged: dict = {"stacks": {}}
    for m in _golden():
        merged["stacks"].update(m["stacks"])
    return r._records(merged)


def test_every_type_the_program_registers_has_a_handler(records: list[r._Record]) -> None:
    types = {rec.type for rec in records} - {r.PROVIDER}
    assert types
    assert not types - set(r.HANDLERS), sorted(types - set(r.HANDLERS))


def test_dependencies_come_first_and_resolve_to_one_resource(records: list[r._Record]) -> None:
    ids = r._mock_ids(records)
    order = r._ordered(records, ids)
    assert len(order) == len(records)
    seen: set[str] = set()
    for rec in order:
        for dep in r._dependencies(rec, ids):  # raises Untranslated on an ambiguous reference
            assert dep in seen, f"{rec.key} before {dep}"
        seen.add(rec.key)


def test_a_port_and_its_group_share_a_name_and_still_resolve(records: list[r._Record]) -> None:
    ids = r._mock_ids(records)
    port = next(rec for rec in records if rec.type == r.PORT and rec.inputs.get("securityGroupIds"))
    deps = r._dependencies(port, ids)
    assert any(r.NETWORK in d for d in deps) and any(r.SECGROUP in d for d in deps)


def test_an_unknown_input_is_reported_not_dropped() -> None:
    with pytest.raises(r.Untranslated, match="input 'bogus'"):
        r._translate({"name": "n", "bogus": 1}, r.NETWORK_FIELDS)
    body = r._translate(
        {
            "name": "n",
            "external": True,
            "segments": [{"networkType": "vlan", "physicalNetwork": "p", "segmentationId": 7}],
        },
        r.NETWORK_FIELDS,
    )
    assert body == {
        "name": "n",
        "router:external": True,
        "segments": [
            {"provider:network_type": "vlan", "provider:physical_network": "p", "provider:segmentation_id": 7}
        ],
    }
