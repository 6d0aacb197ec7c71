"""Fixtures for the docs tests: the plans and the rendered docs of both example parks, made once per session."""

from __future__ import annotations

import pytest
from docs_parks import PARKS, REPO

from itpark.docs import render_docs
from itpark.docs.enforcement import build_enforcement
from itpark.docs.evidence import load_evidence
from itpark.plan import Plan, plan_park


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    return {park: plan_park(REPO / "stacks" / park) for park in PARKS}


@pytest.fixture(scope="session")
def rendered(plans: dict[str, Plan]) -> dict[str, dict[str, str]]:
    """park -> {relative path: text}, rendered exactly as `itpark docs` run from the repository root does."""
    enforcement = build_enforcement()
    return {
        park: render_docs(plan, enforcement, load_evidence(REPO / "evidence" / park)) for park, plan in plans.items()
    }
