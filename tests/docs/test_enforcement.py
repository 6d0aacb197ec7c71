"""The enforcement trace: enforcement.yaml is held to the role code; checks and descriptions never enforce."""

from __future__ import annotations

from pathlib import Path

from docs_parks import REPO

from itpark.catalog import load_catalog
from itpark.docs.enforcement import (
    ROLE_KINDS,
    Enforcer,
    build_enforcement,
    code_role_kinds,
    load_data,
    role_tasks,
)


def test_task_kinds_come_from_the_code(tmp_path: Path) -> None:
    tasks = tmp_path / "playbooks/roles/ssh/tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text(
        "- name: Write sshd_config\n  ansible.builtin.template: {src: a, dest: b}\n  tags: [HOST-01]\n"
        "- name: Apply it\n  ansible.builtin.meta: flush_handlers\n  tags: [HOST-01, HOST-06]\n"
        "- name: SSH | Evidence | Read\n  ansible.builtin.command: sshd -T\n  tags: [HOST-01, HOST-06, evidence]\n"
        "- name: Hardening block\n  block:\n    - name: Inner task\n      ansible.builtin.command: x\n"
        "      tags: HOST-05\n",
        encoding="utf-8",
    )
    (tmp_path / "playbooks/roles/broken/tasks").mkdir(parents=True)
    (tmp_path / "playbooks/roles/broken/tasks/main.yml").write_text("- name: [unclosed\n", encoding="utf-8")
    (tmp_path / "itpark/catalog").mkdir(parents=True)
    (tmp_path / "itpark/catalog/flows.yaml").write_text(
        "system_flows:\n  - {id: dns, controls: [NET-16]}\n", encoding="utf-8"
    )
    kinds = code_role_kinds(role_tasks(tmp_path))
    assert kinds == {"HOST-01": {"ssh": "enforce"}, "HOST-06": {"ssh": "check"}, "HOST-05": {"ssh": "enforce"}}
    found = build_enforcement(tmp_path)
    file = "playbooks/roles/ssh/tasks/main.yml"
    assert Enforcer("role", file, "Write sshd_config") in found.enforcers("HOST-01")
    assert Enforcer("check", file, "SSH | Evidence | Read") in found.enforcers("HOST-01")
    assert Enforcer("role", file, "Inner task") in found.enforcers("HOST-05")
    # the meta task is no enforcer; HOST-06 is only checked, never enforced, by this role
    assert all(e.symbol != "Apply it" for c in ("HOST-01", "HOST-06") for e in found.enforcers(c))
    assert found.checkable("HOST-06") and not found.enforced("HOST-06")
    assert Enforcer("flow", "itpark/catalog/flows.yaml", "system_flows.dns") in found.enforcers("NET-16")


def test_enforcement_yaml_declares_what_the_role_code_does() -> None:
    """Every (control, role) the code tags is declared with the kind its tasks have, and nothing else is.
    A role may be declared `document` only if its tasks for that control just write a file under /etc/itpark."""
    tasks = role_tasks()
    code = code_role_kinds(tasks)
    declared = {c: dict(e["roles"]) for c, e in load_data().items() if e.get("roles")}
    assert set(declared) == set(code), "enforcement.yaml `roles:` and the role tags name different controls"
    for control, roles in declared.items():
        assert set(roles) == set(code[control]), (control, roles, code[control])
        for role, kind in roles.items():
            assert kind in ROLE_KINDS
            if kind == "document":
                writes = [t.writes for t in tasks if t.role == role and control in t.controls and t.kind == "enforce"]
                assert writes and all(w.startswith("/etc/itpark") for w in writes), (control, role, writes)
            else:
                assert kind == code[control][role], (control, role, kind, code[control][role])


def test_sso_and_lgsp_roles_only_document_their_integration() -> None:
    found = build_enforcement()
    for control, role in (("HOST-04", "sso"), ("NET-18", "lgsp_gateway")):
        mine = [e for e in found.enforcers(control) if f"/roles/{role}/" in e.file]
        assert mine and all(e.kind == "document" and e.category == "document" for e in mine), mine
    assert not [e for e in found.enforcers("NET-18") if e.kind == "role"]  # no role enforces it on a host
    assert any(e.category == "enforce" and "/roles/bastion/" in e.file for e in found.enforcers("HOST-04"))


def test_evidence_and_meta_tasks_never_count_as_enforcement() -> None:
    kinds = {(t.file, t.name): t.kind for t in role_tasks()}
    found = build_enforcement()
    for control, enforcers in found.by.items():
        for e in enforcers:
            if e.kind in ("role", "document") and e.file.startswith("playbooks/"):
                assert kinds[(e.file, e.symbol)] == "enforce", (control, e)
                assert "Evidence" not in e.symbol
            if e.kind == "check":
                assert kinds[(e.file, e.symbol)] == "check", (control, e)


def test_data_file_names_catalog_controls_in_both_languages() -> None:
    catalog = {c.id for c in load_catalog().controls}
    for control, entry in load_data().items():
        assert control in catalog
        assert set(entry) <= {"by", "manual", "roles"}
        if "manual" in entry:
            assert set(entry["manual"]) == {"en", "vi"} and all(entry["manual"].values())


def test_every_control_has_an_enforcer_or_documents_to_provide() -> None:
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


def test_pages_do_not_claim_the_trace_was_found_by_scanning(rendered) -> None:
    for park in rendered.values():
        assert "scanning" not in park["en/compliance.md"]
        assert "bằng cách quét" not in park["vi/compliance.md"]
