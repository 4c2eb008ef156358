"""Common-subexpression elimination by value numbering, in one linear walk.

Key: ``(prim, operand numbers, attributes)``; commutative primitives sort their operand
numbers. Scopes chain per region: an expression computed before a region is reused
inside it, never the other way round.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

from ..ir.core import Function, Op, Region, Value, const_value
from ..primitives import get
from .rewrite import resolve


def cse(fn: Function) -> Function:
    numbers: dict[Value, int] = {}

    def number(v: Value) -> int:
        n = numbers.get(v)
        if n is None:
            n = numbers[v] = len(numbers)
        return n

    for p in fn.params:
        number(p)
    subst: dict[Value, Value] = {}
    body = _cse_region(fn.body, ChainMap(), subst, number)
    return fn if body is fn.body else replace(fn, body=body)


def _cse_region(region: Region, seen: ChainMap, subst: dict[Value, Value], number) -> Region:
    ops: list[Op] = []
    changed = False
    for op in region.ops:
        args = tuple(resolve(a, subst) for a in op.args)
        if op.regions:
            inner = seen.new_child()
            regions = tuple(_cse_region(r, inner.new_child(), subst, number)
                            for r in op.regions)
            if args != op.args or any(new is not old for new, old in zip(regions, op.regions)):
                op = Op(op.prim, args, op.outs, op.attrs, regions, op.loc)
                changed = True
            ops.append(op)
            continue
        if args != op.args:
            op = Op(op.prim, args, op.outs, op.attrs, op.regions, op.loc)
            changed = True
        key = _key(op, number)
        if key is not None:
            hit = seen.get(key)
            if hit is not None:
                for old, new in zip(op.outs, hit):
                    subst[old] = new
                    if not new.hint and old.hint:
                        new.hint = old.hint
                changed = True
                continue
            seen[key] = op.outs
        ops.append(op)
    if not changed and not subst:
        return region
    return Region(region.params, ops, [resolve(v, subst) for v in region.results])


def _key(op: Op, number) -> Hashable | None:
    if op.prim == "const":
        value = const_value(op)
        if isinstance(value, (bool, int, float, complex, str, type(None))):
            return ("const", type(value), repr(value))
        return ("const", "id", id(value))
    if not get(op.prim).mergeable:
        return None
    operands = [number(a) for a in op.args]
    if get(op.prim).commutative:
        operands.sort()
    return (op.prim, tuple(operands), _freeze(op.attrs))


def _freeze(attrs: tuple) -> Hashable:
    frozen: list[Any] = []
    for key, value in attrs:
        try:
            hash(value)
            frozen.append((key, type(value), value))
        except TypeError:
            frozen.append((key, "id", id(value)))
    return tuple(frozen)
