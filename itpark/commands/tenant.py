"""itpark tenant new ID [--like OTHER]: onboard a tenant in one command.

Writes stacks/<park>/tenants/ID.yaml (schema header, defaults that fit the park, or a copy of OTHER's systems),
validates the park with it and records its allocations with `itpark allocate`. An id that exists, is reserved or
was used by a removed tenant (its addresses stay reserved for it) is refused; on any error nothing is written."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path
from typing import Any

from itpark.commands import allocate
from itpark.commands._common import add_stack, progress, stack_dir
from itpark.errors import UsageError
from itpark.fileio import write_text_atomic
from itpark.spec.loader import TENANT_DIR, load_park

NAME = "tenant"
HELP = "onboard a tenant: `itpark tenant new STACK ID [--like OTHER]` writes, validates and allocates its file"
RESERVED = frozenset({"shared", "park", "core"})  # owners of park-wide names and ledger entries
SCHEMA_HEADER = "# yaml-language-server: $schema=../../../schemas/tenant.schema.json\n"
TO_COMPLETE = "to be completed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = sub.add_parser("new", help="write, validate and allocate a new tenant file", description=__doc__)
    add_stack(new)
    new.add_argument("id", metavar="ID", help="tenant id: the file name, lower-case a-z, 0-9 and '-'")
    new.add_argument("--like", metavar="OTHER", help="copy the systems and quotas of tenant OTHER")
    new.add_argument("--name", help="legal name of the agency or enterprise (default: to be completed)")
    new.add_argument("--owner", help="responsible unit or person, chủ quản (default: to be completed)")


def default_kind(park_kind: str) -> str:
    """A provincial cloud hosts agencies (cơ quan, đơn vị); an IT park hosts enterprises."""
    return "agency" if park_kind == "provincial-cloud" else "enterprise"


def template(tenant_id: str, kind: str, name: str, owner: str, level: int) -> str:
    """A minimal valid tenant: one system with one application tier, to be grown by the owner."""
    return (
        f"{SCHEMA_HEADER}"
        f"name: {_scalar(name)}\n"
        f"kind: {kind}\n"
        f"owner: {_scalar(owner)}\n"
        "systems:\n"
        "  - id: main\n"
        f"    title: {_scalar(f'Main system of {tenant_id}')}\n"
        f"    level: {level}\n"
        "    tiers:\n"
        '      - {name: app, zone: app, count: 1, ports: ["443/tcp"]}\n'
    )


def _scalar(value: str) -> str:
    import json

    return value if re.fullmatch(r"[\w .()-]+", value) and not value[0].isdigit() else json.dumps(value)


def like(source: Path, name: str, owner: str) -> str:
    """OTHER's file with its identity replaced: name, owner, contact and decommission do not carry over."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    doc: Any = yaml.load(source.read_text(encoding="utf-8"))
    for key in ("name_vi", "contact", "decommission"):
        doc.pop(key, None)
    doc["name"], doc["owner"] = name, owner
    out = io.StringIO()
    yaml.dump(doc, out)
    body = "".join(line for line in out.getvalue().splitlines(keepends=True) if not line.startswith("# yaml-language"))
    return SCHEMA_HEADER + body


def _retired_owners(park: Path) -> set[str]:
    """Tenants named in the ledger (active or retired): their addresses are theirs forever."""
    import yaml

    owners: set[str] = set()
    for path in [park / "allocations.yaml", *sorted((park / "ledger").glob("*.yaml"))]:  # one file, or per tenant
        if not path.is_file():
            continue
        owners.add(path.stem)
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in doc.get("allocations") or [] if isinstance(doc, dict) else []:
            key = str(entry.get("key", "")) if isinstance(entry, dict) else ""
            parts = key.split(":", 1)[-1].split("/")
            if key.startswith("host:"):
                owners.add(key.rsplit(".", 1)[-1])
            elif len(parts) > 2:
                owners.add(parts[1])
    return owners


def _refuse(park: Path, tenant_id: str, existing: set[str]) -> None:
    from itpark.spec.models import SLUG_RE

    if not re.fullmatch(SLUG_RE.pattern, tenant_id):
        raise UsageError(f"{tenant_id!r}: a tenant id is 2-40 characters of a-z, 0-9 and '-' (it names hosts and DNS)")
    if tenant_id in RESERVED:
        raise UsageError(f"{tenant_id!r} is reserved for the park's own resources; choose another tenant id")
    if tenant_id in existing:
        raise UsageError(f"{park / TENANT_DIR / tenant_id}.yaml: tenant {tenant_id!r} exists already")
    if tenant_id in _retired_owners(park) - {"allocations", "_park"}:
        raise UsageError(
            f"{tenant_id!r} was used by a removed tenant whose addresses stay reserved for it; to bring that "
            "tenant back restore its file, otherwise choose another id"
        )


def _allocate(park: Path) -> int:
    parser = argparse.ArgumentParser(prog="itpark allocate")
    allocate.add_arguments(parser)
    return int(allocate.run(parser.parse_args([str(park)])))


def run(args: argparse.Namespace) -> int:
    park = stack_dir(args)
    loaded = load_park(park)  # the park must be valid before a tenant is added to it
    _refuse(park, args.id, set(loaded.tenants))
    name, owner = args.name or f"{args.id} ({TO_COMPLETE})", args.owner or TO_COMPLETE
    if args.like:
        source = park / TENANT_DIR / f"{args.like}.yaml"
        if args.like not in loaded.tenants or not source.is_file():
            raise UsageError(f"--like {args.like}: no such tenant in {park}")
        text = like(source, name, owner)
    else:
        text = template(args.id, default_kind(loaded.park.kind), name, owner, level=1)
    path = park / TENANT_DIR / f"{args.id}.yaml"
    write_text_atomic(path, text)
    try:
        code = _allocate(park)  # validates the park with the new tenant, then writes the ledger
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if code != 0:
        path.unlink(missing_ok=True)
        return code
    progress(f"wrote {path}; next: edit it, then `itpark stacks {park}`, `itpark manifest {park} --write`")
    return 0
