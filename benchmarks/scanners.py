"""Lynis and OpenSCAP run inside a test host, as judges of the hardening (used by benchmarks/harden.py).

`run(cmd, stdin=None)` executes a shell command as root on the host and returns (rc, stdout). Lynis is installed
from the host's offline repo; OpenSCAP's scanner too, with SCAP Security Guide content for Debian 11 from the
machine's `ssg-debian` package, its platform check changed from Debian 11 to 12 in a copy (Debian ships no
Debian 12 content; see ../shared/testhosts.md). Rule results are as `oscap xccdf eval` reports them inside the
running host (so services and mounts are seen live).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Run = Callable[..., tuple[int, str]]
SSG_DEBIAN11 = Path("/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml")
STANDARD = "xccdf_org.ssgproject.content_profile_standard"
_TEST = re.compile(r"Performing test ID (\S+)")
_FULL = re.compile(r"assigned maximum number of hardening points for this item \((\d+)\)")
_PARTIAL = re.compile(r"assigned partial number of hardening points \((\d+) of (\d+)\)")


@dataclass
class LynisResult:
    index: str
    points: dict[str, list[int]] = field(default_factory=dict)  # test id -> [got, max]

    def lost(self) -> list[tuple[str, int]]:
        """Tests that did not get all their points, most points lost first."""
        gaps = [(test, top - got) for test, (got, top) in self.points.items() if got < top]
        return sorted(gaps, key=lambda item: (-item[1], item[0]))


@dataclass
class OscapResult:
    results: dict[str, str]  # rule title -> pass / fail / notapplicable / unknown / error

    def count(self, result: str) -> int:
        return sum(1 for r in self.results.values() if r == result)

    def failing(self) -> list[str]:
        return sorted(t for t, r in self.results.items() if r not in ("pass", "notapplicable"))

    def summary(self) -> str:
        return f"{self.count('pass')}/{len(self.results)}"


def lynis(run: Run) -> LynisResult:
    run("command -v lynis >/dev/null || (apt-get update -qq && apt-get install -y -qq lynis) >/dev/null 2>&1")
    run("timeout 3000 lynis audit system --quick --no-colors >/dev/null 2>&1 || true")
    _, report = run("cat /var/log/lynis-report.dat")
    _, log = run("cat /var/log/lynis.log")
    match = re.search(r"^hardening_index=(\d+)", report, re.M)
    result = LynisResult(match.group(1) if match else "n/a")
    test = None
    for line in log.splitlines():
        if found := _TEST.search(line):
            test = found.group(1)
        elif test and (full := _FULL.search(line)):
            _add(result.points, test, int(full.group(1)), int(full.group(1)))
        elif test and (part := _PARTIAL.search(line)):
            _add(result.points, test, int(part.group(1)), int(part.group(2)))
    return result


def _add(points: dict[str, list[int]], test: str, got: int, top: int) -> None:
    entry = points.setdefault(test, [0, 0])
    entry[0] += got
    entry[1] += top


def debian12_content() -> str:
    """The Debian 11 datastream with its platform check accepting Debian 12."""
    if not SSG_DEBIAN11.exists():
        raise SystemExit(f"{SSG_DEBIAN11} missing: apt-get install ssg-debian openscap-scanner")
    return SSG_DEBIAN11.read_text(encoding="utf-8").replace("^11.[0-9]+$", "^12.[0-9]+$")


def openscap(run: Run, content: str) -> OscapResult:
    run("command -v oscap >/dev/null || apt-get install -y -qq openscap-scanner >/dev/null 2>&1")
    run("cat > /root/ssg-debian12-ds.xml", stdin=content)
    _, out = run(f"oscap xccdf eval --profile {STANDARD} /root/ssg-debian12-ds.xml 2>/dev/null || true")
    results: dict[str, str] = {}
    title, key = "", ""
    for line in out.splitlines():  # "Title", "Rule", "Result", each followed by its value (same or next line)
        head, _, value = line.partition("\t")
        if head in ("Title", "Rule", "Result"):
            key = head
        if not value.strip():
            continue
        if key == "Title":
            title = value.strip()
        elif key == "Result" and title:
            results[title] = value.strip()
        key = ""
    return OscapResult(results)
