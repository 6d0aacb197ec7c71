"""The GitHub workflows load as YAML, their job graph holds together, and they keep the promises in their headers:
pipefail wherever a pipe carries an exit code, OpenStack secrets only in a step's env, one concurrency group per
pull request, pip cached, stacks never created by preview or drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NEEDS_REF = re.compile(r"needs\.([\w-]+)\.outputs\.([\w-]+)")
STEP_REF = re.compile(r"steps\.([\w-]+)\.outputs\.([\w-]+)")


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in doc["jobs"].items() for step in job.get("steps", [])]


def test_there_are_the_three_workflows() -> None:
    assert {p.stem for p in WORKFLOWS} == {"offline", "preview", "drift"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_job_graph_references_exist(path: Path) -> None:
    doc = load(path)
    jobs = doc["jobs"]
    text = path.read_text(encoding="utf-8")
    for name, job in jobs.items():
        needs = job.get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            assert need in jobs, f"{path.name}: {name} needs unknown job {need}"
        for dep, output in NEEDS_REF.findall(yaml.safe_dump(job)):
            assert dep in ([needs] if isinstance(needs, str) else needs), f"{name} reads {dep} without needing it"
            assert output in jobs[dep].get("outputs", {}), f"{name} reads undefined output {dep}.{output}"
        ids = {s.get("id") for s in job.get("steps", [])}
        for step_id, _ in STEP_REF.findall(yaml.safe_dump(job)):
            assert step_id in ids, f"{path.name}: {name} reads step {step_id} it does not have"
    assert "Pulumi.*.yaml" not in text  # stack files live in stack-config/


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_secrets_and_caches(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {"contents": "read"}  # preview no longer comments with a write token
    for name, job in doc["jobs"].items():
        assert not any(k.startswith("OS_") for k in job.get("env", {})), f"{name}: OpenStack secrets in job env"
    for _, step in steps(doc):
        if step.get("uses", "").startswith("actions/setup-python"):
            assert step["with"].get("cache") == "pip"
        run = step.get("run", "")
        if "|" in run.replace("||", "") and "tee" in run:
            assert "set -o pipefail" in run or "set -euo pipefail" in run, f"pipe without pipefail: {run}"
    if path.stem != "drift":
        assert "github.event.pull_request.number" in doc["concurrency"]["group"]


def test_preview_selects_changed_stacks_and_never_creates_one() -> None:
    doc = load(ROOT / ".github/workflows/preview.yml")
    select = " ".join(s.get("run", "") for s in doc["jobs"]["select"]["steps"])
    assert "--since" in select and "--list-stacks" in select
    preview = doc["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.select.outputs.stacks) }}"
    runs = " ".join(s.get("run", "") for s in preview["steps"])
    assert "pulumi stack select --stack" in runs and "--create" not in runs and "stack init" not in runs
    assert "PULUMI_CONFIG_PASSPHRASE" in preview["env"]
    [cloud] = [s for s in preview["steps"] if "OS_AUTH_URL" in s.get("env", {})]
    assert "pulumi preview" in cloud["run"]


def test_drift_fails_on_drift_and_errors() -> None:
    doc = load(ROOT / ".github/workflows/drift.yml")
    [step] = [s for _, s in steps(doc) if "itpark drift" in s.get("run", "")]
    assert "set -o pipefail" in step["run"] and "OS_APPLICATION_CREDENTIAL_ID" in step["env"]
    assert "PULUMI_CONFIG_PASSPHRASE" in doc["jobs"]["drift"]["env"]
