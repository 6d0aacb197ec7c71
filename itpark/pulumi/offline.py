"""Run the real program under Pulumi's unit-test mocks and record what `pulumi up` would register.

Mocks are set before any resource is created (resources made earlier are dropped silently), every stack gets a
fresh monitor and event loop, and the result is sorted, so the same park gives a byte-identical manifest.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import wait_for_rpcs

from itpark.plan import Plan, plan_park
from itpark.pulumi.program import Settings, build
from itpark.pulumi.stacks import PROJECT, StackSpec, park_stacks

STACK_REFERENCE = "pulumi:pulumi:StackReference"
# Outputs the provider computes that the program reads back; mocks return only what they are given.
COMPUTED: dict[str, tuple[str, ...]] = {
    "openstack:loadbalancer/loadBalancer:LoadBalancer": ("vipPortId", "vipAddress"),
    "openstack:networking/floatingIp:FloatingIp": ("address",),
}


def _plain(value: Any) -> Any:
    """Integral floats (the wire turns every number into one) back to ints, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _key(urn: str) -> str | None:
    """'type::name' of a URN; None for the root stack."""
    if not urn:
        return None
    parts = urn.split("::")
    typ = parts[2].split("$")[-1]
    return None if typ == "pulumi:pulumi:Stack" else f"{typ}::{parts[3]}"


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self, references: Mapping[str, Mapping[str, Any]]) -> None:
        self.references = references

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            stack = args.name.rsplit("/", 1)[-1]
            return args.name, {**args.inputs, "outputs": dict(self.references.get(stack, {}))}
        outputs = dict(args.inputs)
        for prop in COMPUTED.get(args.typ, ()):
            outputs[prop] = f"{args.name}-{prop}"
        return (f"{args.name}-id" if args.custom else None), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Look-ups (get_user, get_role) answer with an id derived from what was asked."""
        name = args.args.get("name")
        return ({**args.args, "id": f"{name}-id"} if name else {}), []


class _Monitor(pulumi_mocks.MockMonitor):
    """MockMonitor that also records what MockResourceArgs leaves out: parent and resource options."""

    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.records: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        pulumi_mocks._ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.mocks.new_resource(args)
        if request.type != STACK_REFERENCE:
            options = {"protect": request.protect, "retainOnDelete": request.retainOnDelete}
            if request.deleteBeforeReplace:
                options["deleteBeforeReplace"] = True
            if request.ignoreChanges:
                options["ignoreChanges"] = sorted(request.ignoreChanges)
            record = {
                "type": request.type,
                "name": request.name,
                "parent": _key(request.parent),
                "custom": bool(request.custom),
                "inputs": _plain(inputs),
                "options": options,
            }
            if request.provider:  # 'urn::id' of an explicit (or inherited) provider; absent for the default one
                record["provider"] = _key(request.provider.rsplit("::", 1)[0])
            self.records.append(record)
        obj = pulumi_mocks._sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj)


@dataclass
class StackResult:
    spec: StackSpec
    config: dict[str, str]
    records: list[dict[str, Any]]  # in registration order
    outputs: dict[str, Any] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        resources = {f"{r['type']}::{r['name']}": r for r in self.records}
        if len(resources) != len(self.records):
            raise RuntimeError(f"{self.spec.name}: two resources share a type and logical name")
        return {"config": self.config, "outputs": self.outputs, "resources": resources}


def run_program(
    stack: str, program: Callable[[], Any], references: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[list[dict[str, Any]], Any]:
    """Run `program` (which registers resources and returns its outputs) under fresh mocks; return what it
    registered, in order, and its resolved outputs. `references` are the outputs of stacks it refers to."""
    monitor = _Monitor(_Mocks(references or {}))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
        pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
        outputs = program()

        async def settle() -> Any:
            await wait_for_rpcs()
            return await pulumi.Output.from_input(outputs).future()

        resolved = loop.run_until_complete(settle())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    if not monitor.records:
        raise RuntimeError(f"{stack}: the program registered nothing (were mocks set too late?)")
    return monitor.records, _plain(resolved)


def run_stack(
    plan: Plan,
    spec: StackSpec,
    park_dir: str,
    references: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Settings | None = None,
) -> StackResult:
    """Run one stack of the program under mocks."""
    records, outputs = run_program(
        spec.name, lambda: build(plan, spec, Path(park_dir), settings or Settings()), references
    )
    return StackResult(spec, spec.config(park_dir), records, outputs)


@cache
def _cached_plan(park_dir: str) -> Plan:
    return plan_park(park_dir)


_WORKER_PLANS: dict[str, Plan] = {}


def _init_worker(park_dir: str, plan: Plan) -> None:
    """Each worker process receives the parent's plan once (pickled): the park is planned once, not per process."""
    _WORKER_PLANS[park_dir] = plan


def _run_many(park_dir: str, names: Sequence[str], references: Mapping[str, Mapping[str, Any]]) -> list[StackResult]:
    plan = _WORKER_PLANS.get(park_dir) or _cached_plan(park_dir)
    specs = {s.name: s for s in park_stacks(plan)}
    return [run_stack(plan, specs[name], park_dir, references) for name in names]


def _chunks(items: Sequence[str], count: int) -> list[list[str]]:
    size = max(1, -(-len(items) // count))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_park(
    park_dir: str,
    jobs: int | None = None,
    only: Iterable[str] | None = None,
    references: Mapping[str, Mapping[str, Any]] | None = None,
    plan: Plan | None = None,
) -> list[StackResult]:
    """Every stack of the park (or those in `only`), wave by wave; independent stacks of a wave run in `jobs`
    processes. A later wave reads the outputs of the layers; a layer stack not in `only` runs anyway unless
    `references` already holds its outputs (e.g. from its golden manifest)."""
    jobs = jobs or os.cpu_count() or 1
    plan = plan or _cached_plan(park_dir)
    specs = park_stacks(plan)
    wanted = set(only) if only is not None else None
    results: dict[str, StackResult] = {}
    refs: dict[str, Mapping[str, Any]] = dict(references or {})
    pool = None
    try:
        for wave in sorted({s.wave for s in specs}):
            names = [s.name for s in specs if s.wave == wave]
            todo = [n for n in names if wanted is None or n in wanted or (wave < 2 and n not in refs)]
            if jobs < 2 or len(todo) < 2 * jobs:
                _WORKER_PLANS[park_dir] = plan
                batch = _run_many(park_dir, todo, refs)
            else:
                if pool is None:
                    pool = ProcessPoolExecutor(
                        jobs,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=_init_worker,
                        initargs=(park_dir, plan),
                    )
                futures = [pool.submit(_run_many, park_dir, chunk, refs) for chunk in _chunks(todo, jobs * 4)]
                batch = [r for f in futures for r in f.result()]
            for result in batch:
                results[result.spec.name] = result
                refs[result.spec.name] = result.outputs
    finally:
        _WORKER_PLANS.pop(park_dir, None)
        if pool is not None:
            pool.shutdown()
    keep = [n for n in (s.name for s in specs) if n in results and (wanted is None or n in wanted)]
    return [results[n] for n in keep]


def to_manifest(results: Sequence[StackResult]) -> dict[str, Any]:
    park = results[0].spec.park if results else ""
    return {"park": park, "project": PROJECT, "stacks": {r.spec.name: r.manifest() for r in results}}


def park_manifest(park_dir: str, jobs: int | None = None) -> dict[str, Any]:
    return to_manifest(run_park(park_dir, jobs))
