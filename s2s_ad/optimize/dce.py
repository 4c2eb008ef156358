"""Dead-code elimination: drop pure ops whose results nothing reads (one backward walk).

Inside control flow: an ``if`` or a loop whose results nobody reads goes whole (a loop that
breaks too, though its body needs its own ``broke`` flag); a kept ``if`` loses the results
nobody reads, a kept loop the carried values that neither a later op nor the loop itself
needs (a fixpoint over the body). Ops holding tape pushes or pops are never dropped; a
container adjoint that is only added into goes, with the adds.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir.core import LOOPS, Function, Op, Region, Value, walk
from ..primitives.registry import pure_op
from ..primitives.structures import FRESH_ADJOINTS


def dce(fn: Function) -> Function:
    live: set[Value] = set(fn.body.results)
    body = _dce_region(_without_unread_adjoints(fn.body), live)
    return fn if body is fn.body else replace(fn, body=body)


# a container adjoint is made fresh and filled in place; if nothing else reads it, it goes
# with the adds into it (the gradient a Hessian's loop computes beside its tangent)
_ADDS = ("add_item", "add_at")


def _without_unread_adjoints(region: Region) -> Region:
    made = {op.out for op in walk(region) if op.prim in FRESH_ADJOINTS}
    if not made:
        return region
    read = {a for op in walk(region) for k, a in enumerate(op.args)
            if not (op.prim in _ADDS and k == 0)} | {v for r in _regions(region)
                                                      for v in r.results}
    unread = made - read
    return _dropping(region, unread) if unread else region


def _dropping(region: Region, unread: set[Value]) -> Region:
    ops = [replace(op, regions=tuple(_dropping(r, unread) for r in op.regions))
           if op.regions else op for op in region.ops
           if not (op.prim in FRESH_ADJOINTS and op.out in unread)
           and not (op.prim in _ADDS and op.args[0] in unread)]
    return Region(region.params, ops, region.results)


def _regions(region: Region) -> list[Region]:
    return [region, *(r for op in walk(region) for r in op.regions)]


def _dce_region(region: Region, live: set[Value]) -> Region:
    """``region`` without its dead ops (the same region when it has none)."""
    live.update(region.results)
    kept: list[Op] = []
    changed = False
    for op in reversed(region.ops):
        if not _needed(op, live):
            changed = True
            continue
        if op.regions:
            smaller = _dce_structured(op, live)
            changed = changed or smaller is not op
            op = smaller
        live.update(op.args)
        kept.append(op)
    if not changed:
        return region
    kept.reverse()
    return Region(region.params, kept, region.results)


def _needed(op: Op, live: set[Value]) -> bool:
    """Is ``op`` kept: something reads a result, or it (or an op inside it) has effects?

    The one test both walks use: ``_reads`` must not call dead an op that ``_dce_region``
    keeps, or a loop drops a carried value the kept op still reads.
    """
    return not live.isdisjoint(op.outs) or not pure_op(op)


def _dce_structured(op: Op, live: set[Value]) -> Op:
    """``op`` (kept) without the results, and the carried values, that nothing needs (the
    same op when it has none)."""
    if op.prim == "if":
        keep = [k for k, o in enumerate(op.outs) if o in live]
        if len(keep) == len(op.outs):
            return _with_regions(op, tuple(_dce_region(r, live) for r in op.regions))
        regions = tuple(_dce_region(Region(r.params, r.ops, [r.results[k] for k in keep]),
                                    live) for r in op.regions)
        return replace(op, outs=tuple(op.outs[k] for k in keep), regions=regions)
    if op.prim in LOOPS:
        return _dce_loop(op, live)
    return op


def _dce_loop(op: Op, live: set[Value]) -> Op:
    n = len(op.outs)
    body = op.body
    extra = len(body.results) - n  # the `broke` flag, when the loop can break
    keep = {k for k in range(n) if op.outs[k] in live}
    while True:  # a carried value the body reads to compute a kept one is kept too
        needed = set()
        for region in op.regions:
            seeds = set(region.results[n:]) | ({region.results[k] for k in keep}
                                                if region is body else set(region.results))
            needed |= _reads(region, seeds)
        grown = keep | {k for k in range(n)
                        if any(op.carried(r)[k] in needed for r in op.regions)}
        if grown == keep:
            break
        keep = grown
    order = sorted(keep)
    if len(order) == n:
        return _with_regions(op, tuple(_dce_region(r, live) for r in op.regions))
    bounds = op.bounds
    regions = []
    for region in op.regions:
        fixed = len(region.params) - n
        params = region.params[:fixed] + [region.params[fixed + k] for k in order]
        if region is body:
            results = [region.results[k] for k in order] + region.results[n:n + extra]
        else:
            results = region.results
        regions.append(_dce_region(Region(params, region.ops, results), live))
    return replace(op, args=(*bounds, *(op.args[len(bounds) + k] for k in order)),
                   outs=tuple(op.outs[k] for k in order), regions=tuple(regions))


def _with_regions(op: Op, regions: tuple[Region, ...]) -> Op:
    """``op`` with ``regions``: itself when they are its own."""
    if all(new is old for new, old in zip(regions, op.regions)):
        return op
    return replace(op, regions=regions)


def _reads(region: Region, seeds: set[Value]) -> set[Value]:
    """Values read by the ops of ``region`` that ``seeds`` (or side effects) need."""
    live = set(seeds)
    for op in reversed(region.ops):
        if _needed(op, live):
            live.update(op.args)
            for inner in op.regions:
                live |= _reads(inner, set(inner.results))
    return live
