"""The CLI as a user meets it: help everywhere, a readable summary, the schema editors use."""

from __future__ import annotations

import json

import pytest

from itpark.cli import build_parser
from tests.core.conftest import ROOT, run_cli


def test_every_command_has_help() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"validate", "plan", "allocate", "schema"} <= set(commands)
    for name in commands:
        result = run_cli(name, "--help")
        assert result.returncode == 0, name
        assert "usage: itpark" in result.stdout and name in result.stdout


def test_top_level_help_documents_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "Exit codes: 0 ok; 1" in result.stdout


def test_plan_summary_names_every_tenant_and_the_ledger_state() -> None:
    result = run_cli("plan", "stacks/quangnam-cloud")
    assert result.returncode == 0, result.stderr
    for path in (ROOT / "stacks/quangnam-cloud/tenants").glob("*.yaml"):
        assert path.stem in result.stdout
    assert "baseline: tcvn-14423-2026" in result.stdout
    assert "ledger: up to date" in result.stdout
    assert "site hoian" in result.stdout and "site tamky" in result.stdout


@pytest.mark.parametrize("name", ["park", "tenant"])
def test_committed_schemas_match_the_models(name: str) -> None:
    generated = json.loads(run_cli("schema").stdout)[name]
    committed = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert generated == committed, "run `itpark schema --write schemas` and commit"
    assert committed["additionalProperties"] is False  # extra="forbid" reaches editors too


def test_schema_validates_the_examples() -> None:
    import jsonschema
    import yaml

    schemas = json.loads(run_cli("schema").stdout)
    for park in ("danang-itpark", "quangnam-cloud"):
        jsonschema.validate(yaml.safe_load((ROOT / "stacks" / park / "park.yaml").read_text()), schemas["park"])
        for path in (ROOT / "stacks" / park / "tenants").glob("*.yaml"):
            jsonschema.validate(yaml.safe_load(path.read_text()), schemas["tenant"])
