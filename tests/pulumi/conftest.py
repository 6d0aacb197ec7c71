"""Fixtures of the Pulumi tests: each example park's manifest, computed once per session under mocks."""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

import pytest
from pulumi_helpers import PARKS, ROOT, park_dir

from itpark.plan import Plan, plan_park
from itpark.pulumi.manifest import read_golden
from itpark.pulumi.offline import park_manifest


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    return {park: plan_park(park_dir(park)) for park in PARKS}


@pytest.fixture(scope="session")
def manifests() -> dict[str, dict[str, Any]]:
    # The same path as `itpark manifest stacks/<park>` from the repository root, so stack configs match the golden.
    return {park: park_manifest(os.path.relpath(park_dir(park)), jobs=2) for park in PARKS}


@pytest.fixture(scope="session")
def golden() -> dict[str, dict[str, Any]]:
    return {park: read_golden(park_dir(park)) for park in PARKS}


@pytest.fixture(scope="session")
def policies() -> ModuleType:
    spec = importlib.util.spec_from_file_location("itpark_policies", ROOT / "policy" / "itpark_policies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["itpark_policies"] = module
    spec.loader.exec_module(module)
    return module
