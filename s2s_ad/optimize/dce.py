"""Dead-code elimination: drop pure ops whose results nothing reads (one backward walk)."""

from __future__ import annotations

from dataclasses import replace

from ..ir.core import Function, Op, Region, Value
from ..primitives import get


def dce(fn: Function) -> Function:
    live: set[Value] = set(fn.body.results)
    return replace(fn, body=_dce_region(fn.body, live))


def _dce_region(region: Region, live: set[Value]) -> Region:
    live.update(region.results)
    kept: list[Op] = []
    for op in reversed(region.ops):
        if get(op.prim).pure and not any(o in live for o in op.outs):
            continue
        if op.regions:
            op = replace(op, regions=tuple(_dce_region(r, live) for r in op.regions))
        live.update(op.args)
        kept.append(op)
    kept.reverse()
    return Region(region.params, kept, region.results)
