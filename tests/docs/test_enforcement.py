"""The enforcement map is found by scanning roles, flows, the policy pack and modules, plus the data file."""

from __future__ import annotations

from pathlib import Path

from docs_parks import REPO

from itpark.catalog import load_catalog
from itpark.docs.enforcement import Enforcer, build_enforcement, load_data


def test_scan_finds_role_tags_policies_and_modules(tmp_path: Path) -> None:
    tasks = tmp_path / "playbooks/roles/ssh/tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text(
        "- name: Write sshd_config\n  ansible.builtin.template: {src: a, dest: b}\n  tags: [HOST-01, evidence]\n"
        "- name: Hardening block\n  block:\n    - name: Inner task\n      ansible.builtin.command: x\n"
        "      tags: HOST-06\n",
        encoding="utf-8",
    )
    (tmp_path / "playbooks/roles/broken/tasks").mkdir(parents=True)
    (tmp_path / "playbooks/roles/broken/tasks/main.yml").write_text("- name: [unclosed\n", encoding="utf-8")
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy/pack.py").write_text(
        'def no_public_ports(args, report):\n    """NET-06: nothing opens to the Internet."""\n\n\nOTHER = 1\n',
        encoding="utf-8",
    )
    (tmp_path / "modules/network").mkdir(parents=True)
    (tmp_path / "modules/network/groups.py").write_text("class SecurityGroups:\n    controls = ['NET-07']\n")
    (tmp_path / "itpark/catalog").mkdir(parents=True)
    (tmp_path / "itpark/catalog/flows.yaml").write_text(
        "system_flows:\n  - {id: dns, controls: [NET-16]}\n", encoding="utf-8"
    )
    found = build_enforcement(tmp_path)
    assert Enforcer("role", "playbooks/roles/ssh/tasks/main.yml", "Write sshd_config") in found.enforcers("HOST-01")
    assert Enforcer("role", "playbooks/roles/ssh/tasks/main.yml", "Inner task") in found.enforcers("HOST-06")
    assert Enforcer("policy", "policy/pack.py", "no_public_ports") in found.enforcers("NET-06")
    assert Enforcer("module", "modules/network/groups.py", "SecurityGroups") in found.enforcers("NET-07")
    assert Enforcer("flow", "itpark/catalog/flows.yaml", "system_flows.dns") in found.enforcers("NET-16")


def test_data_file_names_catalog_controls_in_both_languages() -> None:
    catalog = {c.id for c in load_catalog().controls}
    for control, entry in load_data().items():
        assert control in catalog
        assert set(entry) <= {"by", "manual"}
        if "manual" in entry:
            assert set(entry["manual"]) == {"en", "vi"} and all(entry["manual"].values())


def test_every_control_has_an_enforcer_or_an_operator_task() -> None:
    """In this repository each catalog control is enforced somewhere or says what the operator provides."""
    found = build_enforcement()
    missing = [c.id for c in load_catalog().controls if not found.enforcers(c.id) and c.id not in found.manual]
    assert not missing


def test_data_file_points_at_files_and_symbols_that_exist() -> None:
    for control, entry in load_data().items():
        for item in entry.get("by", []):
            path = REPO / item["file"]
            assert path.exists(), (control, item)
            if path.is_file() and item["symbol"].isidentifier():
                assert item["symbol"] in path.read_text(encoding="utf-8"), (control, item)
