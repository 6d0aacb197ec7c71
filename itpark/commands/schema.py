"""itpark schema [--write DIR]: JSON Schema of park.yaml and tenant files, for editors and CI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itpark.fileio import dumps_json, write_text_atomic
from itpark.spec.models import Park, Tenant

NAME = "schema"
HELP = "print the JSON Schema of park.yaml and tenants/*.yaml (or write them with --write DIR)"
SCHEMAS = {"park": Park, "tenant": Tenant}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", metavar="DIR", help="write DIR/park.schema.json and DIR/tenant.schema.json")


def schemas() -> dict[str, dict]:  # type: ignore[type-arg]
    out = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True)
        schema["$id"] = f"https://itpark.example/schemas/{name}.schema.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[name] = schema
    return out


def run(args: argparse.Namespace) -> int:
    if args.write:
        for name, schema in schemas().items():
            path = write_text_atomic(Path(args.write) / f"{name}.schema.json", dumps_json(schema))
            print(path)
        return 0
    sys.stdout.write(dumps_json(schemas()))
    return 0
