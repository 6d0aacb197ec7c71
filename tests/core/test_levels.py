"""Level criteria (Decree 331/2026 Art 11-15, Law 116/2025 Art 8), dossier facts and the park platform."""

from __future__ import annotations

import re
from pathlib import Path

from itpark.plan import plan_park
from itpark.plan.levels import classify
from itpark.spec.classification import Classification
from tests.core.conftest import run_cli


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture drift: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_highest_criterion_sets_the_level_with_its_basis() -> None:
    facts = Classification(
        system_type="online-service",
        information=["public", "personal"],
        administrative_procedures=False,
        conditional_business=False,
        personal_data_subjects=150_000,
        sensitive_data_subjects=0,
    )
    found = classify(facts, 2)
    assert found.criteria_level == 3
    assert [(c.fact, c.level) for c in found.basis] == [("personal_data_subjects", 3), ("system_type", 2)]
    assert found.basis[0].basis == "Nghị định 331/2026/NĐ-CP, Điều 13"
    assert found.missing == ()
    # the same counts do not raise an internal system (the thresholds are for online services)
    internal = classify(
        Classification(system_type="internal", information=["personal"], personal_data_subjects=10**6), 2
    )
    assert internal.criteria_level == 2
    assert classify(Classification(system_type="internal", information=["public"]), 1).criteria_level == 1
    assert (
        classify(Classification(infrastructure_scope="nationwide", system_type="infrastructure"), 4).criteria_level == 4
    )
    assert classify(Classification(construction_grade="special"), 5).criteria_level == 5
    assert classify(Classification(assigned_level=4), 4).criteria_level == 4
    assert classify(None, 2).criteria_level is None


def test_missing_facts_depend_on_the_system_type() -> None:
    found = classify(Classification(system_type="online-service", information=["public"]), 2)
    assert found.missing == (
        "classification.administrative_procedures",
        "classification.conditional_business",
        "classification.personal_data_subjects",
        "classification.sensitive_data_subjects",
    )
    assert classify(Classification(system_type="infrastructure"), 3).missing == (
        "classification.information",
        "classification.administrative_procedures",
        "classification.infrastructure_scope",
    )


def test_declared_level_below_the_criteria_is_an_error_with_file_and_line(park_copy) -> None:  # type: ignore[no-untyped-def]
    root = park_copy()
    tenant = root / "tenants/softviet.yaml"
    _edit(tenant, "      administrative_procedures: false", "      administrative_procedures: true")
    result = run_cli("validate", str(root))
    assert result.returncode == 2, result.stdout
    line = next(i for i, t in enumerate(tenant.read_text().splitlines(), 1) if re.match(r"\s+level: 2", t))
    assert f"softviet.yaml:{line}: systems[0].level: level 2 is lower than the criteria imply: level 3" in result.stderr
    assert "handles administrative procedures" in result.stderr and "Decree 331/2026/ND-CP, Art. 13" in result.stderr


def test_declared_level_above_the_criteria_is_allowed() -> None:
    """The owner may propose a higher level (Decree 331 Art 10.5): Quang Nam's budget system is level 4."""
    plan = plan_park(Path(__file__).resolve().parents[2] / "stacks/quangnam-cloud")
    budget = plan.tenant("so-tc").systems[0]
    assert budget.level == 4 and budget.classification is not None and budget.classification.criteria_level == 2


def test_warnings_list_missing_facts_and_dossier_fields_and_exit_0(park_copy) -> None:  # type: ignore[no-untyped-def]
    root = park_copy()
    tenant = root / "tenants/mekong-ai.yaml"
    text = tenant.read_text(encoding="utf-8")
    text = re.sub(r"    classification:\n(      .*\n)+", "", text)
    text = text.replace('      purpose: "Online text-analysis API for business customers"\n', "")
    text = text.replace('      purpose_vi: "Dịch vụ trực tuyến phân tích văn bản cho doanh nghiệp"\n', "")
    tenant.write_text(text, encoding="utf-8")
    plain = run_cli("validate", str(root))
    assert plain.returncode == 0 and "warning" not in plain.stdout
    result = run_cli("validate", "--warnings", str(root))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    mekong = [x for x in lines if "mekong-ai.yaml" in x]
    system_line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("  - id: main"))
    assert any(
        x.startswith(f"{root}/tenants/mekong-ai.yaml:{system_line}: systems[0]: warning: no classification")
        for x in mekong
    )
    assert any("systems[0].dossier: warning: dossier fields to be completed" in x and ": purpose" in x for x in mekong)
    assert re.search(r"\d+ warnings$", lines[-1])


def test_plan_carries_declared_and_criteria_level_basis_and_dossier() -> None:
    plan = plan_park(Path(__file__).resolve().parents[2] / "stacks/danang-itpark")
    portal = plan.tenant("so-tttt").systems[0]
    assert portal.classification is not None and portal.dossier is not None
    assert (portal.classification.declared_level, portal.classification.criteria_level) == (3, 3)
    assert portal.classification.basis[0].fact == "administrative_procedures"
    assert portal.dossier.purpose_vi.startswith("Cổng thông tin") and portal.dossier.to_complete == ()
    lab = plan.tenant("vnpt-dn-lab").systems[0]
    assert lab.dossier is not None and lab.dossier.to_complete == (
        "dossier.users",
        "dossier.user_count",
        "dossier.risks",
    )
    assert lab.dossier.owner_contact == "it@vnpt-dn-lab.example"  # the tenant's contact when the dossier names none


def test_platform_is_a_system_of_level_3_at_least_and_tenants_inherit_from_it() -> None:
    root = Path(__file__).resolve().parents[2] / "stacks"
    danang, quangnam = plan_park(root / "danang-itpark"), plan_park(root / "quangnam-cloud")
    assert danang.platform is not None and quangnam.platform is not None
    assert danang.platform.key == "park/platform" and danang.platform.level == 3
    assert quangnam.platform.level == 4  # the highest level among the systems it serves
    assert danang.platform.classification.basis[0].basis == "Nghị định 331/2026/NĐ-CP, Điều 13 khoản 3"
    assert {h.level for h in quangnam.all_hosts() if h.service} == {4}  # shared hosts run at the platform's level
    platform_ids = {c.id for c in danang.platform.controls}
    portal = danang.tenant("so-tttt").systems[0]
    providers = {c.id: c.provider for c in portal.controls}
    assert providers["NET-06"] == "platform" and "NET-06" in platform_ids  # perimeter firewall: inherited
    assert providers["NET-24"] == "platform"  # logical separation on the rented cloud (Art 30.8)
    assert providers["DATA-01"] == "service:backup"  # the portal uses the park backup
    assert providers["LOG-03"] == "service:log"
    assert providers["HOST-03"] == "system" and providers["GOV-10"] == "system"
    mail = danang.tenant("so-tttt").systems[1]
    assert "mirror" not in mail.services and {c.id: c.provider for c in mail.controls}["HOST-07"] == "system"
    assert providers["HOST-07"] == "service:mirror"


def test_platform_declared_below_its_criteria_is_an_error(park_copy) -> None:  # type: ignore[no-untyped-def]
    root = park_copy()
    _edit(root / "park.yaml", "platform:\n", "platform:\n  level: 2\n")
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    assert re.search(
        r"park\.yaml:\d+: platform\.level: level 2 is lower than the park platform's criteria", result.stderr
    )


def test_online_services_keep_logs_12_months() -> None:
    """Decree 333/2026 Art 16.6: whatever the level (LOG-09)."""
    plan = plan_park(Path(__file__).resolve().parents[2] / "stacks/danang-itpark")
    mekong, softviet = plan.tenant("mekong-ai").systems[0], plan.tenant("softviet").systems[0]
    assert (mekong.level, mekong.log_retention_months) == (2, 12)
    assert "LOG-09" in {c.id for c in mekong.controls}
    assert (softviet.level, softviet.log_retention_months) == (2, 1) and "LOG-09" not in {
        c.id for c in softviet.controls
    }
