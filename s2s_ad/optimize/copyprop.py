"""Copy propagation: uses of ``y = copy x`` read ``x``, and a loop's result that its body
passes on unchanged (``for i in ...: yield d``) is the value the loop started from."""

from __future__ import annotations

from ..ir.core import LOOPS, Function, Op, Value
from .rewrite import resolve, rewrite


def copyprop(fn: Function) -> Function:
    def visit(op: Op, subst: dict[Value, Value]) -> Op | Value:
        if op.prim == "copy":
            (x,) = op.args
            if not x.hint and op.out.hint:
                x.hint = op.out.hint
            return x
        if op.prim in LOOPS:  # DCE then drops the slot, and the loop if nothing is left
            for out, param, nxt, init in zip(op.outs, op.carried(), op.body.results, op.inits):
                if nxt is param:
                    subst[out] = resolve(init, subst)
        return op

    return rewrite(fn, visit)
