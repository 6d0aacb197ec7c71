"""itpark changes --from REF [--to REF] STACK: what changed per system between two revisions of the park.

Both revisions of the park directory are taken from git (`git archive` into a temporary directory, so the user's
tree is never touched; without --to, the park as it is on disk) and planned with the current planner. For each
system the report lists what obliges its owner to amend an approved level dossier: hosts added or removed, flows
added or removed, zones added or removed, a level change, a new site or exposure. Markdown, Vietnamese or English."""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itpark.commands._common import add_stack, progress, stack_dir
from itpark.plan import Plan, plan_park
from itpark.plan.model import Flow, System

NAME = "changes"
HELP = (
    "report per system what changed between two git revisions of the park (hosts, flows, zones, level) as "
    "Markdown; exit 1 when a dossier must be amended"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack(parser)
    parser.add_argument("--from", dest="from_ref", required=True, metavar="REF", help="the approved revision")
    parser.add_argument("--to", dest="to_ref", metavar="REF", help="the new revision (default: the park on disk)")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of the report (default: vi)")


@dataclass
class SystemChange:
    key: str  # tenant/system
    title: str
    status: str  # added, removed, changed
    level: tuple[int | None, int | None]
    hosts_added: list[str] = field(default_factory=list)
    hosts_removed: list[str] = field(default_factory=list)
    flows_added: list[str] = field(default_factory=list)
    flows_removed: list[str] = field(default_factory=list)
    zones_added: list[str] = field(default_factory=list)
    zones_removed: list[str] = field(default_factory=list)
    other: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)

    @property
    def amends_dossier(self) -> bool:
        return self.status != "changed" or bool(
            self.hosts_added
            or self.hosts_removed
            or self.flows_added
            or self.flows_removed
            or self.zones_added
            or self.zones_removed
            or self.level[0] != self.level[1]
            or self.other
        )


def _flow(flow: Flow) -> str:
    return f"{flow.source} → {flow.destination} {', '.join(flow.ports)}"


def _hosts(system: System | None) -> dict[str, str]:
    return {h.name: f"{h.name} ({h.zone}, {h.ipv4})" for h in system.hosts} if system else {}


def _systems(plan: Plan) -> dict[str, System]:
    return {s.key: s for t in plan.tenants for s in t.systems}


def _diff(old: dict[str, str], new: dict[str, str]) -> tuple[list[str], list[str]]:
    return [new[k] for k in sorted(set(new) - set(old))], [old[k] for k in sorted(set(old) - set(new))]


def compare(before: Plan, after: Plan) -> list[SystemChange]:
    """Per system, what changed between two plans (pure); systems without a change are left out."""
    old, new = _systems(before), _systems(after)
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        status = "added" if a is None else "removed" if b is None else "changed"
        title = (b or a).title  # type: ignore[union-attr]
        change = SystemChange(key, title, status, (a.level if a else None, b.level if b else None))
        change.hosts_added, change.hosts_removed = _diff(_hosts(a), _hosts(b))
        flows_a = {_flow(f): _flow(f) for f in a.flows} if a else {}
        flows_b = {_flow(f): _flow(f) for f in b.flows} if b else {}
        change.flows_added, change.flows_removed = _diff(flows_a, flows_b)
        zones_a = {z.zone: z.zone for z in a.zones} if a else {}
        zones_b = {z.zone: z.zone for z in b.zones} if b else {}
        change.zones_added, change.zones_removed = _diff(zones_a, zones_b)
        if a and b:
            for what, x, y in (
                ("site", a.site, b.site),
                ("dr_site", a.dr_site or "-", b.dr_site or "-"),
                ("exposure", ", ".join(a.exposure) or "-", ", ".join(b.exposure) or "-"),
            ):
                if x != y:
                    change.other.append((what, x, y))
        if change.amends_dossier:
            changes.append(change)
    return changes


def _list(m: dict[str, Any], label: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"- **{m[label]}** ({len(items)}):", *(f"  - `{item}`" for item in items)]


def render(changes: list[SystemChange], m: dict[str, Any], park: str, refs: tuple[str, str]) -> str:
    """The report as Markdown, every word from the message catalogue `m` (the `changes` section)."""
    lines = [f"# {m['title']}: {park}", "", m["between"].format(old=refs[0], new=refs[1]), ""]
    if not changes:
        return "\n".join([*lines, m["none"], ""])
    lines += [m["intro"].format(count=len(changes)), ""]
    for change in changes:
        lines += [f"## {change.key} — {change.title}", "", f"- **{m['status']}**: {m['status_' + change.status]}"]
        old, new = change.level
        if old != new:
            lines.append(f"- **{m['level']}**: {old or '-'} → {new or '-'}")
        else:
            lines.append(f"- **{m['level']}**: {new} ({m['unchanged']})")
        for what, x, y in change.other:
            lines.append(f"- **{m['field_' + what]}**: {x} → {y}")
        lines += _list(m, "zones_added", change.zones_added) + _list(m, "zones_removed", change.zones_removed)
        lines += _list(m, "hosts_added", change.hosts_added) + _list(m, "hosts_removed", change.hosts_removed)
        lines += _list(m, "flows_added", change.flows_added) + _list(m, "flows_removed", change.flows_removed)
        lines += ["", m["amend"], ""]
    return "\n".join(lines)


def export_park(park: Path, ref: str, target: Path) -> Path:
    """The park directory as it was at `ref`, extracted under `target` (the work tree is never touched)."""
    from itpark.pulumi.affected import git, repo_root

    root = repo_root(park)
    rel = park.resolve().relative_to(root.resolve()).as_posix()
    git(root, "rev-parse", "--verify", f"{ref}^{{commit}}")
    import subprocess

    data = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", ref, "--", rel], capture_output=True, check=False
    )
    if data.returncode != 0:
        from itpark.errors import UsageError

        raise UsageError(f"git archive {ref} {rel}: {data.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(data.stdout)) as archive:
        archive.extractall(target, filter="data")
    return target / rel


def run(args: argparse.Namespace) -> int:
    from itpark.docs.render import messages

    park = stack_dir(args)
    with tempfile.TemporaryDirectory(prefix="itpark-changes-") as tmp:
        progress(f"planning {park} at {args.from_ref}")
        before = plan_park(export_park(park, args.from_ref, Path(tmp) / "from"))
        if args.to_ref:
            progress(f"planning {park} at {args.to_ref}")
            after = plan_park(export_park(park, args.to_ref, Path(tmp) / "to"))
        else:
            after = plan_park(park)
    m = messages(args.lang)["changes"]
    refs = (args.from_ref, args.to_ref or m["work_tree"])
    changes = compare(before, after)
    sys.stdout.write(render(changes, m, after.park.name, refs))
    return 1 if changes else 0  # 1: some dossier must be amended
