"""Constant folding through the registry's evaluators (``1.0 * 2.0`` -> ``2.0``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..ir.core import Function, Op, Value, const_value
from ..primitives import get
from .rewrite import rewrite

LITERALS = (bool, int, float)


def fold(fn: Function) -> Function:
    """Replace pure ops whose operands are all literal numbers by their value."""
    known: dict[Value, Any] = {}

    def visit(op: Op, subst: dict[Value, Value]) -> Op:
        if op.prim == "const":
            if type(const_value(op)) in LITERALS:
                known[op.out] = const_value(op)
            return op
        for a in op.args:  # (first: most ops read something not a literal)
            if a not in known:
                return op
        prim = get(op.prim)
        if not prim.pure or prim.evaluate is None or op.regions or len(op.outs) != 1:
            return op
        try:
            value = prim.evaluate(*(known[a] for a in op.args), **dict(op.attrs))
        except Exception:  # noqa: BLE001 -- leave it: the generated code raises it at run time
            return op
        if type(value) not in LITERALS:
            return op
        known[op.out] = value
        return replace(op, prim="const", args=(), attrs=(("value", value),), regions=())

    return rewrite(fn, visit)
