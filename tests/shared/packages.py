"""Packages the shared-service roles install on test hosts, served from the fixtures' offline apt repo."""

from __future__ import annotations

from testhosts.base import EXTRA_PACKAGES

SERVICE_PACKAGES = (
    "bind9",
    "bind9-dnsutils",
    "unbound",
    "chrony",
    "rsyslog",
    "rsyslog-gnutls",
    "prometheus",
    "prometheus-node-exporter",
    "libpam-google-authenticator",
    "openssh-client",
    "ca-certificates",
    "nftables",
    # park mirror: reprepro builds the signed repository, nginx serves it, gnupg signs it
    "reprepro",
    "nginx-light",
    "gnupg",
)
PACKAGES = tuple(sorted(set(EXTRA_PACKAGES) | set(SERVICE_PACKAGES)))
