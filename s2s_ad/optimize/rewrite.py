"""The one mechanism every pass shares: rebuild a function with ops replaced or dropped.

A pass gives ``rewrite`` a function ``visit(op, subst)`` returning an ``Op`` to keep (the
same or a replacement), a list of ops to put in its place (the last defines the op's
results), a ``Value`` that the op's single result becomes (the op is dropped and its uses
read that value), or ``None`` to drop the op.

A rewrite that changes nothing returns the function it was given (the pipeline stops
repeating passes when a round returns what it started from); a region nothing changed
in stays the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..ir.core import Function, Op, Region, Value, walk

Visit = Callable[[Op, dict[Value, Value]], "Op | list[Op] | Value | None"]


def rewrite(fn: Function, visit: Visit) -> Function:
    subst: dict[Value, Value] = {}
    body = _rewrite_region(fn.body, visit, subst)
    return fn if body is fn.body else replace(fn, body=body)


def _rewrite_region(region: Region, visit: Visit, subst: dict[Value, Value]) -> Region:
    ops: list[Op] = []
    changed = False
    replaced = subst.keys()  # (a view: it sees what later ops add)
    for op in region.ops:
        if op.regions:
            regions = tuple([_rewrite_region(r, visit, subst) for r in op.regions])
            if subst or any(new is not old for new, old in zip(regions, op.regions)):
                op = replace(op, args=tuple([resolve(a, subst) for a in op.args]),
                             regions=regions)
                changed = True
        elif subst and not replaced.isdisjoint(op.args):  # (most ops read nothing replaced)
            op = replace(op, args=tuple([resolve(a, subst) for a in op.args]))
            changed = True
        result = visit(op, subst)
        if result is op:
            ops.append(op)
            continue
        changed = True
        if isinstance(result, Op):
            ops.append(result)
        elif isinstance(result, list):
            ops.extend(result)
        elif isinstance(result, Value):
            target = resolve(result, subst)
            if not target.hint and op.out.hint:
                target.hint = op.out.hint  # the value that takes its place takes its name
            subst[op.out] = target
    if not changed and not subst:
        return region
    return Region(region.params, ops, [resolve(v, subst) for v in region.results])


def resolve(v: Value, subst: dict[Value, Value]) -> Value:
    while v in subst:
        v = subst[v]
    return v


def op_count(fn: Function) -> int:
    """Ops that do work (constants are free)."""
    return sum(1 for op in walk(fn.body) if op.prim != "const")


def use_counts(fn: Function) -> dict[Value, int]:
    """How many times each value is read: by ops, by region yields, by the return."""
    uses: dict[Value, int] = {}
    for op in walk(fn.body):
        for v in op.args:
            uses[v] = uses.get(v, 0) + 1
        for region in op.regions:
            for v in region.results:
                uses[v] = uses.get(v, 0) + 1
    for v in fn.body.results:
        uses[v] = uses.get(v, 0) + 1
    return uses


def ancestors(fn: Function, values: list[Value]) -> set[Value]:
    """Every value that ``values`` are computed from (a branch or loop: all inside it)."""
    needed = set(values)
    if not needed:
        return needed
    for op in reversed(list(walk(fn.body))):
        if needed.isdisjoint(op.outs):
            continue
        needed.update(op.args)
        if not op.regions:
            needed.update(op.outs)
            continue
        for inner in walk(Region(ops=[op])):
            needed.update(inner.outs)
            needed.update(inner.args)
        for region in op.regions:
            needed.update(region.params)
            needed.update(region.results)
    return needed
