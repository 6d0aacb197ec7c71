"""The inventory translates the plan deterministically; levels are data; evidence is grouped per control."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from itpark.hardening.evidence import build_evidence, failed_controls, write_evidence
from itpark.hardening.levels import applicable_controls, level_vars
from itpark.hardening.runner import EVIDENCE_TASK, Progress
from itpark.inventory.build import build_inventory, group_name, render, write_inventory

STACK = Path(__file__).resolve().parents[1] / "stacks" / "quangnam-cloud"


@cache
def plan() -> Any:
    from itpark.plan import plan_park

    return plan_park(STACK)


def test_inventory_is_deterministic(tmp_path: Path) -> None:
    first = render(build_inventory(plan()))
    assert first == render(build_inventory(plan()))
    written = write_inventory(plan(), tmp_path)
    assert sorted(p.relative_to(tmp_path / plan().park.name).as_posix() for p in written) == sorted(first)
    assert (tmp_path / plan().park.name / "hosts.yml").read_text() == first["hosts.yml"]


def test_every_host_with_addresses_groups_and_level() -> None:
    inv = build_inventory(plan())["hosts.yml"]["all"]
    hosts = plan().all_hosts()
    assert sorted(inv["hosts"]) == sorted(h.name for h in hosts)
    for host in hosts:
        hv = inv["hosts"][host.name]
        assert (hv["itpark_ipv4"], hv["itpark_ipv6"], hv["ansible_host"]) == (host.ipv4, host.ipv6, host.ipv4)
        for group in (
            group_name("level", str(host.level)),
            group_name("zone", host.zone),
            group_name("site", host.site),
        ):
            assert host.name in inv["children"][group]["hosts"]
        if host.tenant:
            assert host.name in inv["children"][group_name("tenant", host.tenant)]["hosts"]
    assert {g for g in inv["children"] if g.startswith("level_")} == {f"level_{n}" for n in range(1, 6)}


def test_management_path_is_the_bastion() -> None:
    inv = build_inventory(plan())["hosts.yml"]["all"]["hosts"]
    for host in plan().all_hosts():
        hv = inv[host.name]
        if host.service == "bastion":
            assert "ansible_ssh_common_args" not in hv and hv["ssh_allow_tcp_forwarding"] is True
        else:
            assert "-W %h:%p -q {{ itpark_jump_host }}" in hv["ansible_ssh_common_args"]
            assert "StrictHostKeyChecking=accept-new" in hv["ansible_ssh_common_args"]


def test_every_bastion_can_carry_the_automation_path() -> None:
    files = build_inventory(plan())
    assert files["group_vars/all.yml"]["itpark_jump_host"] == "{{ itpark_jump_hosts | first }}"
    for site in plan().sites:
        bastion = plan().service("bastion", site.id) or plan().service("bastion")
        site_vars = files[f"group_vars/{group_name('site', site.id)}.yml"]
        assert site_vars["itpark_jump_hosts"] == [f"deploy@{h.ipv4}" for h in bastion.hosts]
        assert site_vars["itpark_bastions"] == [a for h in bastion.hosts for a in (h.ipv4, h.ipv6)]


def test_firewall_rules_are_the_plans_security_group() -> None:
    inv = build_inventory(plan())["hosts.yml"]["all"]["hosts"]
    groups = {g.name: g for g in plan().all_security_groups()}
    for host in plan().all_hosts():
        rules = groups[host.security_group].rules
        ingress = inv[host.name]["firewall_ingress_rules"]
        assert len(ingress) == sum(r.direction == "ingress" for r in rules)
        assert len(inv[host.name]["firewall_egress_rules"]) == sum(r.direction == "egress" for r in rules)
        for rule, got in zip([r for r in rules if r.direction == "ingress"], ingress, strict=True):
            assert got["source"] == rule.remote_ip_prefix and got["flow"] == rule.flow
            assert got["family"] == {"IPv4": "ip", "IPv6": "ip6"}[rule.ethertype]


def test_park_services_in_site_vars() -> None:
    files = build_inventory(plan())
    site = plan().sites[0].id
    data = files[f"group_vars/site_{site}.yml"]
    ntp = plan().service("ntp", site)
    assert data["itpark_ntp_servers"] == [a for h in ntp.hosts for a in (h.ipv4, h.ipv6)]
    assert data["itpark_log_collectors"] == [h.ipv4 for h in plan().service("log", site).hosts]


def test_levels_turn_roles_on_as_data() -> None:
    v1, v2, v3, v4 = (level_vars("tcvn-11930-2017", n) for n in (1, 2, 3, 4))
    assert (v1["firewall_enabled"], v2["firewall_enabled"]) == (False, True)  # HOST-09 from level 2
    assert (v1["timesync_enabled"], v2["timesync_enabled"]) == (False, True)  # LOG-02 from level 2
    assert (v2["aide_enabled"], v3["aide_enabled"]) == (False, True)  # HOST-10 from level 3
    assert (v2["auditd_immutable"], v3["auditd_immutable"]) == (False, True)  # LOG-08 from level 3
    assert v4["accounts_pass_min_length"] >= v2["accounts_pass_min_length"]
    assert v2["itpark_controls"] == list(applicable_controls("tcvn-11930-2017", 2))
    assert set(applicable_controls("tcvn-11930-2017", 2)) < set(applicable_controls("tcvn-11930-2017", 4))


def test_hosts_from_level_3_get_the_plans_storage_layout() -> None:
    inv = build_inventory(plan())["hosts.yml"]["all"]["hosts"]
    levels = set()
    for host in plan().all_hosts():
        hv = inv[host.name]
        if host.level < 3:
            assert "storage_mounts" not in hv and "storage_volume_gb" not in hv, host.name
            continue
        levels.add((host.level, host.service is not None))
        assert hv["storage_volume_gb"] == host.system_volume_gb == sum(m["size_gb"] for m in hv["storage_mounts"]) + 1
        assert [(m["path"], m["lv"]) for m in hv["storage_mounts"]] == [
            ("/home", "home"),
            ("/tmp", "tmp"),
            ("/var/tmp", "var_tmp"),
            ("/var/log", "var_log"),
            ("/var/log/audit", "var_log_audit"),
        ]
        assert all("nodev" in m["options"] and "nosuid" in m["options"] for m in hv["storage_mounts"])
    assert {(3, False), (4, False), (4, True)} <= levels  # tenant hosts and shared hosts serving level 4
    v2, v3 = (level_vars(plan().baseline.id, n) for n in (2, 3))
    assert (v2["storage_enabled"], v3["storage_enabled"]) == (False, True)  # LOG-08 from level 3


def test_evidence_groups_checks_and_fails_missing_controls(tmp_path: Path) -> None:
    checks = [
        {"control": "HOST-05", "name": "sshd permitrootlogin", "expected": "no", "observed": "yes"},
        {
            "control": "HOST-05",
            "name": "mode of /etc/shadow",
            "expected": "root:shadow 0640",
            "observed": "root:shadow 0640",
        },
        {"control": "HOST-01", "name": "sysctl x", "expected": "1", "observed": "1"},
        {"control": "HOST-10", "name": "aide database", "expected": "present", "observed": "present"},
    ]
    ev = build_evidence("h1", "park", 2, checks, ["HOST-01", "HOST-05", "HOST-09"])
    assert ev["controls"]["HOST-01"]["status"] == "pass"
    assert ev["controls"]["HOST-05"]["status"] == "fail"
    assert ev["controls"]["HOST-09"]["status"] == "fail"  # applicable but nothing checked it
    assert "HOST-10" not in ev["controls"]  # not applicable at level 2
    assert failed_controls(ev) == ["HOST-05", "HOST-09"]
    path = write_evidence(tmp_path, ev)
    assert path == tmp_path / "park" / "h1.json"
    text = path.read_text()
    assert json.loads(text) == ev and text == json.dumps(ev, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert set(ev) == {"host", "park", "level", "run", "controls"}
    assert set(ev["run"]) == {"id", "taken_at"} and ev["run"]["taken_at"].endswith("Z")


def test_progress_collects_results_and_evidence() -> None:
    lines: list[str] = []

    class Out:
        def write(self, s: str) -> None:
            lines.append(s)

        def flush(self) -> None:
            pass

    progress = Progress(Out())  # type: ignore[arg-type]
    progress(
        {
            "event": "runner_on_ok",
            "event_data": {"host": "a", "role": "ssh", "task": "SSH | x", "res": {"changed": True}},
        }
    )
    progress(
        {
            "event": "runner_on_unreachable",
            "event_data": {"host": "b", "task": "Gathering Facts", "res": {"msg": "no route"}},
        }
    )
    progress(
        {
            "event": "runner_on_ok",
            "event_data": {
                "host": "a",
                "role": "evidence",
                "task": EVIDENCE_TASK,
                "res": {"msg": {"itpark_evidence": [{"control": "X"}], "itpark_level": "2"}},
            },
        }
    )
    progress.stats({"ok": {"a": 5}, "changed": {"a": 1}, "failures": {}, "dark": {"b": 1}})
    assert progress.hosts["a"].evidence == [{"control": "X"}] and progress.hosts["a"].level == 2
    assert progress.hosts["a"].changed == 1 and progress.hosts["b"].unreachable
    assert any("changed" in s and "ssh" in s for s in lines) and any("unreachable" in s for s in lines)


def test_an_empty_expected_value_never_passes() -> None:
    checks = [
        {"control": "HOST-02", "name": "unneeded packages installed", "expected": "", "observed": ""},
        {"control": "HOST-05", "name": "sshd permitrootlogin", "expected": "no", "observed": "no"},
    ]
    evidence = build_evidence("h", "p", 2, checks, ["HOST-02", "HOST-05"])
    assert failed_controls(evidence) == ["HOST-02"]
    assert evidence["controls"]["HOST-05"]["status"] == "pass"
