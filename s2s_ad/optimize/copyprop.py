"""Copy propagation: uses of ``y = copy x`` read ``x``."""

from __future__ import annotations

from ..ir.core import Function, Op, Value
from .rewrite import rewrite


def copyprop(fn: Function) -> Function:
    def visit(op: Op, subst: dict[Value, Value]) -> Op | Value:
        if op.prim == "copy":
            (x,) = op.args
            if not x.hint and op.out.hint:
                x.hint = op.out.hint
            return x
        return op

    return rewrite(fn, visit)
