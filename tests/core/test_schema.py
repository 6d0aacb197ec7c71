"""The published JSON Schemas are valid for editors and agree with the validator on every rule both express.

The same cases go to the pydantic models (what `itpark validate` runs) and to the published schema (what
yaml-language-server and check-jsonschema run, Draft 2020-12); every `pattern` must be an ECMA-262 regex.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import regress
import yaml
from pydantic import BaseModel, ValidationError

from itpark.commands.schema import SCHEMAS, schemas
from tests.core.conftest import ROOT

PARK = yaml.safe_load((ROOT / "stacks/danang-itpark/park.yaml").read_text(encoding="utf-8"))
TENANT = yaml.safe_load((ROOT / "stacks/danang-itpark/tenants/softviet.yaml").read_text(encoding="utf-8"))
DELETE = object()

SITE_V6 = ("sites", 0, "ipv6_prefix")
PORT = ("systems", 0, "tiers", 0, "ports", 0)
TIER = ("systems", 0, "tiers", 0)

# (id, document, path, value or DELETE, valid?)
CASES: list[tuple[str, str, tuple[Any, ...], Any, bool]] = [
    # ports: the same range and syntax in both
    ("port-443", "tenant", PORT, "443/tcp", True),
    ("port-1", "tenant", PORT, "1/udp", True),
    ("port-65535", "tenant", PORT, "65535/tcp", True),
    ("port-range", "tenant", PORT, "8000-8010/tcp", True),
    ("port-icmp", "tenant", PORT, "icmp", True),
    ("port-0", "tenant", PORT, "0/tcp", False),
    ("port-65536", "tenant", PORT, "65536/tcp", False),
    ("port-99999", "tenant", PORT, "99999/tcp", False),
    ("port-range-end-65536", "tenant", PORT, "1-65536/udp", False),
    ("port-leading-zero", "tenant", PORT, "0443/tcp", False),
    ("port-bad-protocol", "tenant", PORT, "443/tpc", False),
    ("port-no-protocol", "tenant", PORT, "443", False),
    ("port-spaces", "tenant", PORT, " 443/tcp", False),
    ("port-trailing-newline", "tenant", PORT, "443/tcp\n", False),
    ("port-unicode-digits", "tenant", PORT, "\u0664\u0664\u0663/tcp", False),
    ("port-as-number", "tenant", PORT, 443, False),
    # strict integers and booleans
    ("level-3", "tenant", ("systems", 0, "level"), 3, True),
    ("level-string", "tenant", ("systems", 0, "level"), "3", False),
    ("level-true", "tenant", ("systems", 0, "level"), True, False),
    ("level-0", "tenant", ("systems", 0, "level"), 0, False),
    ("level-6", "tenant", ("systems", 0, "level"), 6, False),
    ("count-64", "tenant", (*TIER, "count"), 64, True),
    ("count-65", "tenant", (*TIER, "count"), 65, False),
    ("count-string", "tenant", (*TIER, "count"), "2", False),
    ("volume-negative", "tenant", (*TIER, "volume_gb"), -1, False),
    ("decommission-true", "tenant", ("decommission",), True, True),
    ("decommission-string", "tenant", ("decommission",), "true", False),
    ("decommission-number", "tenant", ("decommission",), 1, False),
    ("exposure-string", "tenant", ("systems", 0, "exposure"), {"internet": "yes"}, False),
    # shapes, names and enums
    ("unknown-field", "tenant", ("contakt",), "x", False),
    ("missing-owner", "tenant", ("owner",), DELETE, False),
    ("missing-systems", "tenant", ("systems",), DELETE, False),
    ("no-systems", "tenant", ("systems",), [], False),
    ("kind-unknown", "tenant", ("kind",), "company", False),
    ("zone-unknown", "tenant", (*TIER, "zone"), "database", False),
    ("zone-devtest", "tenant", (*TIER, "zone"), "devtest", True),
    ("service-unknown", "tenant", ("systems", 0, "services"), ["erp"], False),
    ("tier-name-upper", "tenant", (*TIER, "name"), "Web", False),
    ("tier-name-dash-end", "tenant", (*TIER, "name"), "web-", False),
    ("tier-name-40", "tenant", (*TIER, "name"), "w" * 40, True),
    ("tier-name-41", "tenant", (*TIER, "name"), "w" * 41, False),
    (
        "flow-python-name",
        "tenant",
        ("systems", 0, "flows", 0),
        {"from_": "dmz", "to": "app", "ports": ["1/tcp"]},
        False,
    ),
    ("flow-no-ports", "tenant", ("systems", 0, "flows", 0, "ports"), [], False),
    ("title-number", "tenant", ("systems", 0, "title"), 2024, False),
    # park: addresses, prefix ranges, domain
    ("site-v6-32", "park", SITE_V6, "2001:db8::/32", True),
    ("site-v6-52", "park", SITE_V6, "2001:db8:4000::/52", True),
    ("site-v6-31", "park", SITE_V6, "2001:db8::/31", False),
    ("site-v6-53", "park", SITE_V6, "2001:db8:4000::/53", False),
    ("site-v6-56", "park", SITE_V6, "2001:db8:4000::/56", False),
    ("site-v6-no-length", "park", SITE_V6, "2001:db8::", False),
    ("site-v6-is-v4", "park", SITE_V6, "10.0.0.0/8", False),
    ("site-v4-ok", "park", ("sites", 0, "ipv4_supernet"), "10.0.0.0/8", True),
    ("site-v4-no-length", "park", ("sites", 0, "ipv4_supernet"), "10.40.0.0", False),
    ("site-v4-leading-zero", "park", ("sites", 0, "ipv4_supernet"), "010.40.0.0/16", False),
    ("site-v4-length-33", "park", ("sites", 0, "ipv4_supernet"), "10.40.0.0/33", False),
    ("site-v4-banana", "park", ("sites", 0, "ipv4_supernet"), "banana", False),
    ("operator-v6", "park", ("operator_networks", 1), "2001:db8:ffff:250::/64", True),
    ("operator-no-length", "park", ("operator_networks", 0), "192.168.250.0", False),
    ("link-v4-ok", "park", ("external_links", 0, "ipv4"), "203.0.113.0/26", True),
    ("link-v4-null", "park", ("external_links", 0, "ipv4"), None, True),
    ("link-v4-not-cidr", "park", ("external_links", 0, "ipv4"), "203.0.113.0", False),
    ("domain-ok", "park", ("domain",), "park.internal", True),
    ("domain-upper", "park", ("domain",), "Park.internal", False),
    ("domain-single-label", "park", ("domain",), "internal", False),
    ("shared-v6-56", "park", ("addressing",), {"shared_prefix_v6": 56}, True),
    ("shared-v6-57", "park", ("addressing",), {"shared_prefix_v6": 57}, False),
    ("zone-v4-string", "park", ("addressing",), {"zone_prefix_v4": "26"}, False),
    ("service-count-17", "park", ("shared_services", 0, "count"), 17, False),
    ("service-kind-unknown", "park", ("shared_services", 0, "kind"), "erp", False),
    ("mount-path-relative", "park", ("defaults",), {"storage": {"mounts": [{"path": "var/x", "size_gb": 1}]}}, False),
    (
        "mount-option-unknown",
        "park",
        ("defaults",),
        {"storage": {"mounts": [{"path": "/srv", "size_gb": 1, "options": ["ro"]}]}},
        False,
    ),
    ("sites-empty", "park", ("sites",), [], False),
]


def mutate(document: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(PARK if document == "park" else TENANT)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


def model_accepts(model: type[BaseModel], data: dict[str, Any]) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def ecma_pattern(validator, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:  # type: ignore[no-untyped-def]
    """`pattern` as editors apply it (ECMA-262), not as Python's `re` would (where `$` also matches before a
    final newline and `\\d` matches any Unicode digit)."""
    if validator.is_type(instance, "string") and regress.Regex(pattern).find(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": ecma_pattern})


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    out = {}
    for name, schema in schemas().items():
        jsonschema.Draft202012Validator.check_schema(schema)  # the schema itself, against the 2020-12 metaschema
        out[name] = EcmaValidator(schema)
    return out


def test_the_cases_cover_both_documents_and_both_outcomes() -> None:
    assert len(CASES) >= 30
    assert {(c[1], c[4]) for c in CASES} == {("park", True), ("park", False), ("tenant", True), ("tenant", False)}


@pytest.mark.parametrize(("case", "document", "path", "value", "valid"), CASES, ids=[c[0] for c in CASES])
def test_validator_and_schema_agree(validators, case: str, document: str, path, value, valid: bool) -> None:
    data = mutate(document, path, value)
    schema_says = validators[document].is_valid(data)
    model_says = model_accepts(SCHEMAS[document], data)
    assert (model_says, schema_says) == (valid, valid), f"validator {model_says}, schema {schema_says}"


def patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from patterns(item)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_pattern_is_an_ecma_regex(name: str) -> None:
    committed = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    found = list(patterns(committed))
    assert len(found) >= (4 if name == "park" else 2)
    for pattern in found:
        regress.Regex(pattern)  # raises on Python-only syntax such as (?P<name>...)
        assert "\\d" not in pattern, f"{pattern}: \\d matches non-ASCII digits in Python; use [0-9]"


def test_python_only_syntax_is_caught() -> None:
    with pytest.raises(regress.RegressError):
        regress.Regex(r"^(?P<lo>[0-9]+)$")
