"""Tier 1: level-2 and level-4 hosts of the quangnam-cloud plan in network namespaces, hardened for real."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import STACK, Harden
from testhosts.nshost import Lab
from testhosts.plan_lab import override_inventory, plan_lab, serve_ntp

pytestmark = pytest.mark.slow

PARK = "quangnam-cloud"
L2 = ["web-01.agri.so-nnptnt", "app-01.agri.so-nnptnt"]
L4 = ["web-01.dvc.trung-tam-hcc", "app-01.dvc.trung-tam-hcc"]
HOSTS = L2 + L4
LISTEN = """
import socket, sys, select
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # probes bind these as source ports
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        s.bind(("::", port))
    except OSError:  # a daemon of the host already listens there (sshd on 22)
        s.close(); continue
    s.listen(16); socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        s.accept()[0].close()
"""
CONNECT = """
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor

def probe(target):
    addr, port, sport = target  # sport 0: any source port
    sock = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.settimeout(2)
    try:
        sock.bind(("", sport)); sock.connect((addr, port)); result = "open"
    except socket.timeout:
        result = "dropped"
    except OSError as err:
        result = f"error {err.errno}"
    sock.close()
    return f"{addr}|{port}|{sport}", result

with ThreadPoolExecutor(32) as pool:
    print(json.dumps(dict(pool.map(probe, json.loads(sys.argv[1])))))
"""


@pytest.fixture(scope="module")
def lab(base: Any, plan: Any) -> Iterator[Lab]:
    lab = plan_lab(plan, HOSTS, base)
    ntp = None
    try:
        # the park NTP service, so that chrony measures a real offset (LOG-02 evidence)
        ntp = serve_ntp(lab, plan, next(h.site for h in plan.all_hosts() if h.name == HOSTS[0]))
        yield lab
    finally:
        if ntp is not None:
            ntp.terminate()
            ntp.wait(10)
        lab.close()
        assert lab.leftovers() == [], "the lab left namespaces, links or mounts behind"


@pytest.fixture(scope="module")
def harden(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Harden:
    work = tmp_path_factory.mktemp("harden")
    # one sysctl value changed per key, the way a park overrides it for its hosts
    extra = {"sysctl_overrides": {"net.ipv4.conf.all.rp_filter": 2}}
    return Harden(STACK, override_inventory(lab, work / "testhosts.yml", extra), work)


@pytest.fixture(scope="module")
def runs(harden: Harden) -> dict[str, Any]:
    """First run from fresh through `itpark harden`, then a second run through the same runner."""
    import time

    from itpark.hardening.runner import run_site

    first = harden("--limit", ",".join(HOSTS))
    start = time.monotonic()
    second = run_site(harden.sources(PARK), limit=",".join(HOSTS))
    return {"first": first, "second": second, "second_time": time.monotonic() - start}


def test_first_run_hardens_and_second_run_changes_nothing(runs: dict[str, Any]) -> None:
    rc, seconds = runs["first"]
    second = runs["second"]
    print(f"first run {seconds:.1f} s, second run {runs['second_time']:.1f} s")
    assert rc == 0
    assert second.rc == 0
    assert {h: (r.changed, r.failed) for h, r in second.hosts.items()} == {h: (0, 0) for h in HOSTS}


def test_evidence_reports_every_applicable_control_pass(runs: dict[str, Any], harden: Harden) -> None:
    from itpark.hardening.levels import applicable_controls

    for host, level in [(h, 2) for h in L2] + [(h, 4) for h in L4]:
        evidence = harden.evidence(PARK, host)
        assert evidence["host"] == host and evidence["park"] == PARK and evidence["level"] == level
        assert sorted(evidence["controls"]) == list(applicable_controls("tcvn-14423-2026", level))
        failing = {c: v for c, v in evidence["controls"].items() if v["status"] != "pass"}
        assert failing == {}, json.dumps(failing, indent=1)
    assert "HOST-10" in harden.evidence(PARK, L4[0])["controls"]  # AIDE from level 3
    assert "HOST-10" not in harden.evidence(PARK, L2[0])["controls"]


def test_ssh_keys_only_no_root(runs: dict[str, Any], lab: Lab) -> None:
    host = lab.hosts[L4[1]]
    assert host.ssh("id", "-un").stdout.strip() == "deploy"
    # Give root the deploy key: only PermitRootLogin can refuse it.
    host.exec(
        "sh", "-c", "mkdir -p /root/.ssh && cp /home/deploy/.ssh/authorized_keys /root/.ssh/ && chmod 700 /root/.ssh"
    )
    refused = host.ssh("id", user="root")
    assert refused.returncode == 255 and "Permission denied" in refused.stderr
    # Give deploy a valid password, set directly (chpasswd would go through the hardened password policy):
    # only sshd's configuration can refuse it.
    hashed = host.exec(
        "python3",
        "-W",
        "ignore",
        "-c",
        "import crypt; print(crypt.crypt('Correct-Horse-Battery-9', crypt.mksalt(crypt.METHOD_SHA512)))",
    ).stdout.strip()
    host.exec("usermod", "-p", hashed, "deploy")
    assert host.exec("getent", "shadow", "deploy").stdout.split(":")[1] == hashed
    password = host.ssh(
        "id", extra=("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive")
    )
    assert password.returncode == 255
    assert "Permission denied (publickey)" in password.stderr  # the server offers nothing but keys


def test_defaults_that_cannot_lock_anyone_out(runs: dict[str, Any], lab: Lab, plan: Any, harden: Harden) -> None:
    name = L4[0]
    host = lab.hosts[name]
    # fail2ban never bans any bastion of the site, IPv4 or IPv6
    site = next(h for h in plan.all_hosts() if h.name == name).site
    bastions = (plan.service("bastion", site) or plan.service("bastion")).hosts
    ignored = host.exec("fail2ban-client", "get", "sshd", "ignoreip").stdout
    for bastion in bastions:
        for address in (bastion.ipv4, bastion.ipv6):
            assert address in ignored, (address, ignored)
    # a key-only operator account created after hardening, whose password has aged past PASS_MAX_DAYS: the
    # login would demand a password change the operator cannot make
    host.exec("useradd", "-m", "-s", "/bin/bash", "op1")
    host.exec("sh", "-c", "mkdir -p ~op1/.ssh && cp ~deploy/.ssh/authorized_keys ~op1/.ssh/ && chown -R op1: ~op1/.ssh")
    host.exec("chage", "-d", "2000-01-01", "op1")
    assert host.ssh("id", "-un", user="op1").returncode != 0  # locked out, as the issue says
    rc, _ = harden("--limit", name)
    assert rc == 0
    assert host.ssh("id", "-un", user="op1").stdout.strip() == "op1"
    assert "Password expires\t\t\t\t\t: never" in host.exec("chage", "-l", "op1").stdout
    # unattended-upgrades: security origins only (Debian's own list cleared)
    origins = host.exec("apt-config", "dump", "Unattended-Upgrade::Origins-Pattern").stdout
    patterns = [line for line in origins.splitlines() if line.startswith("Unattended-Upgrade::Origins-Pattern::")]
    assert patterns and all("Debian-Security" in line for line in patterns), origins
    # rsyslog's own logrotate file keeps the retention
    rotate = host.exec("cat", "/etc/logrotate.d/rsyslog").stdout
    assert "rotate 30" in rotate and "weekly" not in rotate and "rotate 4" not in rotate
    # idle sessions end: channels and unused connections time out, TMOUT in login shells
    # (the park's baseline sets the value: 300 s under tcvn-14423-2026)
    from itpark.hardening.levels import baseline_values

    level = next(h for h in plan.all_hosts() if h.name == name).level
    idle = baseline_values(plan.baseline.id, level)["ssh_shell_timeout"]
    sshd = host.exec("/usr/sbin/sshd", "-T", "-C", "user=deploy,host=x,addr=127.0.0.1").stdout
    assert f"channeltimeout session={idle}" in sshd and f"unusedconnectiontimeout {idle}" in sshd
    assert host.ssh("bash", "-l", "-c", "'echo $TMOUT'").stdout.strip() == str(idle)
    # a sysctl value overridden per key
    assert host.exec("cat", "/proc/sys/net/ipv4/conf/all/rp_filter").stdout.strip() == "2"
    checks = {c["name"]: c for v in harden.evidence(PARK, name)["controls"].values() for c in v["checks"]}
    for check in (
        "every bastion address never banned",
        "key-only accounts that can expire",
        "unattended-upgrades origins (security only)",
        "rsyslog files rotation (logrotate.d/rsyslog)",
        "sshd channeltimeout",
        "login shell TMOUT",
    ):
        assert checks[check]["status"] == "pass", checks[check]


def _allowed_tcp(plan: Any, src: Any, dst: Any, family: int) -> set[int]:
    """Ports the plan allows from src to dst: dst's ingress and src's egress rules both match."""
    groups = {g.name: g for g in plan.all_security_groups()}
    ether = "IPv4" if family == 4 else "IPv6"
    src_addr = ipaddress.ip_address(src.ipv4 if family == 4 else src.ipv6)
    dst_addr = ipaddress.ip_address(dst.ipv4 if family == 4 else dst.ipv6)

    def ports(group: str, direction: str, peer: Any) -> set[int]:
        found: set[int] = set()
        for rule in groups[group].rules:
            if (
                rule.direction == direction
                and rule.ethertype == ether
                and rule.protocol == "tcp"
                and peer in ipaddress.ip_network(rule.remote_ip_prefix)
            ):
                found.update(range(rule.port_min, rule.port_max + 1))
        return found

    return ports(dst.security_group, "ingress", src_addr) & ports(src.security_group, "egress", dst_addr)


def _probe(lab: Lab, source: str, expected: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Connect from `source` to every "addr|port|sport" key in parallel; return the ones not as expected."""
    targets = [[k.split("|")[0], int(k.split("|")[1]), int(k.split("|")[2])] for k in expected]
    observed = json.loads(lab.hosts[source].exec("python3", "-c", CONNECT, json.dumps(targets), timeout=120).stdout)
    return {k: (expected[k], observed.get(k)) for k in expected if observed.get(k) != expected[k]}


@contextlib.contextmanager
def _listening(lab: Lab, ports: set[int]) -> Iterator[None]:
    listeners = [lab.hosts[name].spawn("python3", "-c", LISTEN, *map(str, sorted(ports))) for name in HOSTS]
    try:
        for proc in listeners:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield
    finally:
        for name, proc in zip(HOSTS, listeners, strict=True):
            lab.hosts[name].stop(proc)


def test_firewall_with_real_traffic(runs: dict[str, Any], lab: Lab, plan: Any) -> None:
    hosts = {h.name: h for h in plan.all_hosts()}
    sample = {22, 5432, 8080, 8443, 9100, 443, 3306}
    pairs = [(a, b, fam) for a in HOSTS for b in HOSTS if a != b for fam in (4, 6)]
    allowed = {(a, b, fam): _allowed_tcp(plan, hosts[a], hosts[b], fam) for a, b, fam in pairs}
    listen_ports = sample.union(*allowed.values())

    def addr(name: str, fam: int) -> str:
        return hosts[name].ipv4 if fam == 4 else hosts[name].ipv6

    allowed_seen = denied_seen = 0
    with _listening(lab, listen_ports):
        for a in HOSTS:  # one probe run per source host, all its targets in parallel
            expected = {
                f"{addr(b, fam)}|{port}|0": "open" if port in allowed[(a, b, fam)] else "dropped"
                for x, b, fam in pairs
                if x == a
                for port in listen_ports
            }
            wrong = _probe(lab, a, expected)
            assert wrong == {}, f"from {a}: (expected, observed) {wrong}"
            allowed_seen += sum(v == "open" for v in expected.values())
            denied_seen += sum(v == "dropped" for v in expected.values())
    # The plan allows dmz -> app inside each system on both address families; everything else is dropped.
    assert allowed_seen >= 4 and denied_seen >= 20
    # A reply rule must not open a way in: b -> a is allowed on port p, yet a connecting to b's closed ports
    # FROM source port p is dropped (those ports listen now, and nothing else holds p on a).
    closed = set(sorted(sample - set().union(*allowed.values()))[:2])
    replies = 0
    with _listening(lab, closed):
        for a in HOSTS:
            expected = {
                f"{addr(b, fam)}|{port}|{sport}": "dropped"
                for x, b, fam in pairs
                if x == a
                for sport in allowed[(b, a, fam)] - allowed[(a, b, fam)]
                for port in closed
            }
            wrong = _probe(lab, a, expected)
            assert wrong == {}, f"from {a}: (expected, observed) {wrong}"
            replies += len(expected)
    assert replies >= 4


def test_broken_setting_turns_control_to_fail(runs: dict[str, Any], lab: Lab, harden: Harden) -> None:
    name = L2[0]
    host = lab.hosts[name]
    host.exec("sed", "-i", "1i PermitRootLogin yes", "/etc/ssh/sshd_config")
    rc, _ = harden("--check", "--limit", name)
    assert rc == 1
    evidence = harden.evidence(PARK, name)["controls"]
    assert evidence["HOST-05"]["status"] == "fail"
    root_check = [c for c in evidence["HOST-05"]["checks"] if c["name"] == "sshd permitrootlogin"]
    assert root_check == [{"name": "sshd permitrootlogin", "expected": "no", "observed": "yes", "status": "fail"}]
    assert evidence["HOST-03"]["status"] == "pass"
    rc, _ = harden("--limit", name)  # hardening again repairs it
    assert rc == 0
    assert harden.evidence(PARK, name)["controls"]["HOST-05"]["status"] == "pass"


def test_machine_kernel_untouched(runs: dict[str, Any]) -> None:
    # kernel.* keys are skipped on namespace hosts; net.* ones stay in the hosts' namespaces.
    assert Path("/proc/sys/net/ipv4/conf/all/log_martians").read_text().strip() == _ROOT_LOG_MARTIANS


_ROOT_LOG_MARTIANS = Path("/proc/sys/net/ipv4/conf/all/log_martians").read_text().strip()


UDP_RECEIVE = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((sys.argv[1], int(sys.argv[2])))
sock.settimeout(float(sys.argv[3]))
print("ready", flush=True)
try:
    data, peer = sock.recvfrom(512)
    if len(sys.argv) > 4:  # answer, as a server would
        sock.sendto(data, peer)
    print("got", flush=True)
except socket.timeout:
    print("nothing", flush=True)
"""
UDP_SEND = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((sys.argv[1], int(sys.argv[2])))
sock.settimeout(3)
sock.sendto(b"probe", (sys.argv[3], int(sys.argv[4])))
if len(sys.argv) > 5:
    try:
        sock.recvfrom(512); print("reply")
    except socket.timeout:
        print("no reply")
"""


def test_udp_replies_work_but_open_no_ports(runs: dict[str, Any], lab: Lab, plan: Any) -> None:
    """UDP is left to connection tracking: the answer to a host's own query gets in, while a datagram from the
    same peer and service port to any other port (what a stateless reply rule would let in) is dropped."""
    import subprocess

    name = L2[1]
    host = next(h for h in plan.all_hosts() if h.name == name)
    group = next(g for g in plan.all_security_groups() if g.name == host.security_group)
    rule = next(r for r in group.rules if r.direction == "egress" and r.protocol == "udp" and r.ethertype == "IPv4")
    peer = str(ipaddress.ip_network(rule.remote_ip_prefix)[-2])  # not a gateway the lab may have made
    port = rule.port_min
    # The peer (e.g. the park's DNS server) played by the lab's router namespace, which this test run created.
    subprocess.run(["ip", "-n", lab.router, "addr", "add", f"{peer}/32", "dev", "lo"], check=True)

    def in_router(*args: str) -> subprocess.Popen[str]:
        command = ["ip", "netns", "exec", lab.router, "python3", "-c", *args]
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    server = in_router(UDP_RECEIVE, peer, str(port), "10", "answer")
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    query = lab.hosts[name].exec("python3", "-c", UDP_SEND, host.ipv4, "40123", peer, str(port), "wait")
    assert query.stdout.strip() == "reply" and server.wait(10) == 0
    receiver = lab.hosts[name].spawn("python3", "-c", UDP_RECEIVE, host.ipv4, "40999", "3")
    try:
        assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
        sender = in_router(UDP_SEND, peer, str(port), host.ipv4, "40999")
        assert sender.wait(10) == 0
        assert receiver.stdout.readline().strip() == "nothing"
    finally:
        lab.hosts[name].stop(receiver)
