"""Which values carry a derivative: those that depend on ``wrt`` and reach a result."""

from __future__ import annotations

from collections.abc import Iterable

from ..ir.core import Function, Value, walk
from ..primitives import get


def active_values(fn: Function, wrt: Iterable[Value]) -> set[Value]:
    """Values that vary with ``wrt`` (through differentiable ops) and are useful to a result."""
    ops = list(walk(fn.body))
    varied = set(wrt)
    for op in ops:
        if get(op.prim).differentiable and any(a in varied for a in op.args):
            varied.update(op.outs)
    useful = set(fn.body.results)
    for op in reversed(ops):
        if any(o in useful for o in op.outs):
            useful.update(op.args)
    return varied & useful
