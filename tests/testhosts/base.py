"""Build and cache the Debian bookworm base root filesystem and the offline apt repo for test hosts.

Layout under CACHE_ROOT/<key>/ (key = hash of the package lists and RECIPE_VERSION):
  root/        debootstrap minbase, host keys, deploy user, policy-rc.d, sources.list -> file:/srv/repo
  repo/        .debs of the base plus EXTRA_PACKAGES and their dependencies, with Packages.gz
  deploy_key   private SSH key of the `deploy` user (NOPASSWD sudo); deploy_key.pub beside it
  vm-<recipe>/ systemd image for tier 2 (see vm.py), built on first use
A complete build ends by writing `ready`; a lock file serialises concurrent builders.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RECIPE_VERSION = "1"
CACHE_ROOT = Path(os.environ.get("ITPARK_TESTHOSTS_CACHE", "/var/cache/itpark/testhosts"))
MIRROR = os.environ.get("ITPARK_TESTHOSTS_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
BASE_PACKAGES = ("openssh-server", "python3", "sudo", "iproute2", "python3-apt")
# Packages the hardening roles (and scanners run inside hosts) may install; served from the offline repo.
EXTRA_PACKAGES = (
    "libpam-pwquality",
    "auditd",
    "audispd-plugins",
    "aide",
    "aide-common",
    "chrony",
    "rsyslog",
    "nftables",
    "unattended-upgrades",
    "apt-listchanges",
    "lynis",
    "procps",
    "kmod",
    "cron",
    "logrotate",
    "libpam-tmpdir",
    "needrestart",
    "debsums",
    "apt-show-versions",
    "acct",
    "sysstat",
    "netcat-openbsd",
    "orphan-sysvinit-scripts",
    "rsyslog-gnutls",
    "fail2ban",
    "python3-systemd",
    "chkrootkit",
    "openscap-scanner",
    "lvm2",
)
DEPLOY_USER = "deploy"
SECURITY_SOURCES = (
    f"deb {MIRROR} {SUITE} main\ndeb {MIRROR} {SUITE}-updates main\n"
    f"deb http://deb.debian.org/debian-security {SUITE}-security main\n"
)
REPO_SOURCES = "deb [trusted=yes] file:/srv/repo ./\n"


def log(msg: str) -> None:
    print(f"[testhosts] {msg}", file=sys.stderr, flush=True)


def run(*cmd: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kw)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Base:
    """A ready base: root filesystem, offline repo and the deploy user's key."""

    dir: Path

    @property
    def root(self) -> Path:
        return self.dir / "root"

    @property
    def repo(self) -> Path:
        return self.dir / "repo"

    @property
    def key(self) -> Path:
        return self.dir / "deploy_key"

    @property
    def pubkey(self) -> str:
        return (self.dir / "deploy_key.pub").read_text().strip()


def cache_key(extra: tuple[str, ...] = EXTRA_PACKAGES) -> str:
    text = "\n".join([RECIPE_VERSION, SUITE, MIRROR, *BASE_PACKAGES, "--", *sorted(extra)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def chroot_mounts(root: Path, repo: Path | None = None) -> Iterator[None]:
    """proc, sys, dev, dev/pts (and the repo at /srv/repo) mounted for a chroot; always unmounted."""
    mounted: list[Path] = []
    try:
        for src, dst, opts in (
            ("proc", "proc", ["-t", "proc"]),
            ("sysfs", "sys", ["-t", "sysfs"]),
            ("/dev", "dev", ["--bind"]),
            ("devpts", "dev/pts", ["-t", "devpts"]),
        ):
            target = root / dst
            target.mkdir(parents=True, exist_ok=True)
            run("mount", *opts, src, str(target))
            mounted.append(target)
        if repo is not None:
            target = root / "srv/repo"
            target.mkdir(parents=True, exist_ok=True)
            run("mount", "--bind", "-o", "ro", str(repo), str(target))
            mounted.append(target)
        yield
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", "-l", str(target)], check=False)


def chroot(root: Path, *cmd: str) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    run("chroot", str(root), *cmd, env=env)


def scan_repo(repo: Path) -> None:
    out = run("dpkg-scanpackages", "-m", ".", cwd=repo, capture_output=True).stdout
    import gzip

    (repo / "Packages.gz").write_bytes(gzip.compress(out.encode(), mtime=0))


def _build(work: Path, extra: tuple[str, ...]) -> None:
    root, repo = work / "root", work / "repo"
    log(f"debootstrap {SUITE} into {root} (about a minute)")
    run(
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(BASE_PACKAGES)}",
        SUITE,
        str(root),
        MIRROR,
        stdout=subprocess.DEVNULL,
    )
    (root / "etc/apt/sources.list").write_text(SECURITY_SOURCES)
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    with chroot_mounts(root):
        log("downloading role packages for the offline repo")
        chroot(root, "apt-get", "update", "-qq")
        chroot(root, "apt-get", "install", "-y", "-qq", "--download-only", "--no-install-recommends", *extra)
        chroot(root, "ssh-keygen", "-A")
        chroot(root, "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", DEPLOY_USER)
    repo.mkdir()
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        shutil.move(str(deb), repo / deb.name)
    scan_repo(repo)
    (root / "etc/apt/sources.list").write_text(REPO_SOURCES)
    with chroot_mounts(root, repo):
        chroot(root, "apt-get", "update", "-qq")
    (root / "etc/resolv.conf").write_text("")
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "itpark-test-deploy", "-f", str(work / "deploy_key"))
    ssh_dir = root / "home" / DEPLOY_USER / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    shutil.copy(work / "deploy_key.pub", ssh_dir / "authorized_keys")
    (ssh_dir / "authorized_keys").chmod(0o600)
    sudoers = root / "etc/sudoers.d/deploy"
    sudoers.write_text(f"{DEPLOY_USER} ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    uid = int(run("chroot", str(root), "id", "-u", DEPLOY_USER, capture_output=True).stdout)
    for path in (ssh_dir, ssh_dir / "authorized_keys"):
        os.chown(path, uid, uid)
    (root / "etc/hostname").write_text("testhost\n")


def ensure_base(extra: tuple[str, ...] = EXTRA_PACKAGES) -> Base:
    """Return the cached base for these packages, building it first if needed (about 2 minutes)."""
    target = CACHE_ROOT / cache_key(extra)
    with locked(CACHE_ROOT / f"{target.name}.lock"):
        if not (target / "ready").exists():
            work = target.with_name(target.name + ".building")
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            _build(work, extra)
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
            (target / "ready").write_text(cache_key(extra) + "\n")
            log(f"base ready at {target}")
    return Base(target)


if __name__ == "__main__":
    print(ensure_base().dir)
