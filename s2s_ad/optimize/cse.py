"""Common-subexpression elimination by value numbering, in one linear walk.

Key: ``(prim, operands, attributes)``, operands by identity (``id``: every value is alive
while the pass runs); commutative primitives sort them. A key of plain ints is one the
cycle collector stops tracking, so a table of every op of a long function does not make
it walk the heap again and again. Scopes nest per region: an expression computed before a
region is reused inside it, never the other way round.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from typing import Any

from ..ir.core import Function, Op, Region, Value, const_value
from ..primitives import get
from .rewrite import resolve


def cse(fn: Function) -> Function:
    body = _cse_region(fn.body, {}, {})
    return fn if body is fn.body else replace(fn, body=body)


def _cse_region(region: Region, seen: dict[Hashable, tuple[Value, ...]],
                subst: dict[Value, Value]) -> Region:
    """``region`` with repeated expressions merged; ``seen``: the expressions of the
    enclosing scopes, and of this one while it is walked (its own go when it ends)."""
    ops: list[Op] = []
    own: list[Hashable] = []
    changed = False
    merged = subst.keys()  # (a view: it sees what later ops add)
    for op in region.ops:
        if subst and not merged.isdisjoint(op.args):  # (most ops read nothing merged)
            op = Op(op.prim, tuple([resolve(a, subst) for a in op.args]), op.outs, op.attrs,
                    op.regions, op.loc)
            changed = True
        if op.regions:
            regions = tuple([_cse_region(r, seen, subst) for r in op.regions])
            if any(new is not old for new, old in zip(regions, op.regions)):
                op = replace(op, regions=regions)
                changed = True
            ops.append(op)
            continue
        key = _key(op)
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
            own.append(key)
        ops.append(op)
    for key in own:
        del seen[key]
    if not changed and not subst:
        return region
    return Region(region.params, ops, [resolve(v, subst) for v in region.results])


def _key(op: Op) -> Hashable | None:
    if op.prim == "const":
        value = const_value(op)
        if isinstance(value, (bool, int, float, complex, str, type(None))):
            return ("const", type(value), repr(value))
        return ("const", "id", id(value))
    prim = get(op.prim)
    if not prim.mergeable:
        return None
    args = op.args  # (a key of plain ints: see the module docstring)
    operands: tuple[int, ...]
    if len(args) == 2:  # (most ops: in order without a sort)
        i, j = id(args[0]), id(args[1])
        operands = (j, i) if j < i and prim.commutative else (i, j)
    else:
        operands = tuple(map(id, args))
        if prim.commutative:
            operands = tuple(sorted(operands))
    return (op.prim, operands, _freeze(op.attrs) if op.attrs else ())


def _freeze(attrs: tuple) -> Hashable:
    frozen: list[Any] = []
    for key, value in attrs:
        try:
            hash(value)
            frozen.append((key, type(value), value))
        except TypeError:
            frozen.append((key, "id", id(value)))
    return tuple(frozen)
