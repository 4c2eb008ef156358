"""Which values carry a derivative: those that depend on ``wrt`` and reach a result.

Dependence flows through differentiable ops, into regions (a branch reads outer values),
out of them (an ``if`` result varies when either branch yields a varying value), through
lists and tapes (what is popped varies when a varying value was pushed) and around loops
(a carried value varies when its initial or its next value does: a fixpoint).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..ir.core import LOOPS, Function, Op, Region, Value, walk
from ..primitives import get

# ops that reverse mode reads a container adjoint with, and how many of their leading
# operands are adjoints (the rest give only the structure): like(acc, c),
# merge_adjoints(g, acc, c), full_like(t, x)
_ADJOINT_READS = {"like": 1, "merge_adjoints": 2, "full_like": 1}
# ops that add a value into a container in place: what they add is useful when the
# container is
MUTATIONS = ("append", "add_item", "add_at", "push")


def active_values(fn: Function, wrt: Iterable[Value]) -> set[Value]:
    """Values that vary with ``wrt`` and may be useful to a result."""
    varied = set(wrt)
    vary(fn.body, varied)
    useful = set(fn.body.results)
    for op in reversed(fn.body.ops):
        if op.regions:  # conservatively: everything a useful region op reads is useful
            appends = {inner.args[0] for inner in walk(Region(ops=[op]))
                       if inner.prim in MUTATIONS}
            if not useful.isdisjoint(op.outs) or appends & useful:
                useful.update(op.args)
                for inner in walk(Region(ops=[op])):
                    useful.update(inner.args)
                    useful.update(inner.outs)
                for region in _regions(op):
                    useful.update(region.params)
                    useful.update(region.results)
        elif not useful.isdisjoint(op.outs) or (op.prim in MUTATIONS
                                                   and op.args[0] in useful):
            useful.update(op.args)
    return varied & useful


def _regions(op: Op) -> list[Region]:
    out, stack = [], list(op.regions)
    while stack:
        region = stack.pop()
        out.append(region)
        for inner in region.ops:
            stack.extend(inner.regions)
    return out


def vary(region: Region, varied: set[Value]) -> None:
    """Add to ``varied`` every value of ``region`` that depends on one already in it."""
    for op in region.ops:
        if op.prim == "if":
            for branch in op.regions:
                vary(branch, varied)
            for k, out in enumerate(op.outs):
                if any(branch.results[k] in varied for branch in op.regions):
                    varied.add(out)
        elif op.prim in LOOPS:
            _vary_loop(op, varied)
        elif op.prim == "append":  # xs.append(v): xs now holds a varying value
            if op.args[1] in varied:
                varied.update((op.args[0], (op.args[0], 0)))
        elif op.prim in ("add_item", "add_at"):  # dc[i] += g: dc now holds a varying value
            if op.args[2] in varied:
                varied.add(op.args[0])
        elif op.prim in _ADJOINT_READS:  # linear in the adjoints they read
            if not varied.isdisjoint(op.args[:_ADJOINT_READS[op.prim]]):
                varied.update(op.outs)
        elif op.prim == "push":  # a tape of the forward sweep: what it pops varies too,
            stack = op.args[0]  # entry by entry (`(stack, k)`: its k-th entry varies)
            slots = [(stack, k) for k, v in enumerate(op.args[1:]) if v in varied]
            if slots:
                varied.update((stack, *slots))
        elif op.prim == "pop":
            stack = op.args[0]
            if stack in varied:  # (a loop counter taped beside x has no derivative)
                slots = [(stack, k) in varied for k in range(len(op.outs))]
                varied.update(out for out, slot in zip(op.outs, slots) if slot or not any(slots))
        elif get(op.prim).differentiable and not varied.isdisjoint(op.args):
            varied.update(op.outs)


def _vary_loop(op: Op, varied: set[Value]) -> None:
    body, carried = op.body, op.carried()
    for init, param in zip(op.inits, carried):
        if init in varied:
            varied.add(param)
    while True:
        before = len(varied)
        for region in op.regions:
            if region is not body:  # a while condition shares the carried values
                for p, q in zip(region.params, carried):
                    if q in varied:
                        varied.add(p)
            vary(region, varied)
        for param, nxt in zip(carried, body.results):
            if nxt in varied:
                varied.add(param)
        if len(varied) == before:
            break
    for out, param in zip(op.outs, carried):
        if param in varied:
            varied.add(out)
