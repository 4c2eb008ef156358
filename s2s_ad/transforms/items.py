"""A float array read item by item in a loop, read as a list of Python floats instead.

``theta[i]`` of a NumPy array is a ``np.float64``, and arithmetic on those costs about
three times what it costs on Python floats: a gradient that reads a vector item by item in
a loop (``p = p * theta[i]``) spends most of its time there, in both sweeps, and in
``dtheta[i] += g`` on an array. Where a ``grad`` is specialized to a 1-d ``float64`` array
``theta`` (``wrt``) that the function reads only by integer items, in a loop, and by its
shape, ``as_lists`` gives it ``xs = theta.tolist()`` (the ``tolist`` primitive) and has
the items, and the length, read from ``xs``: the adjoint is a list of floats,
``[0.0] * len(xs)``, made an array once at the end (``tolist``'s VJP: ``np.array(dxs)``).

The items have the same values, and ``+``, ``-``, ``*``, comparisons, ``math`` and NumPy's
functions give the same IEEE results on Python floats as on ``np.float64`` -- but not the
same errors: ``x / 0.0`` raises where NumPy gives ``inf``. ``reads_alike`` checks the
derivative built that way: every op that takes a value made from the items (``tainted``)
must be one that behaves the same on either (``_SAME``), or one whose result has the same
type whichever it gets (NumPy's and ``math``'s functions). Otherwise the caller builds the
derivative from the array as it is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..analysis.kinds import _KIND_READS, analyze  # (reads of an array's kind: its shape)
from ..ir.avals import Number
from ..ir.core import LOOPS, Function, Op, Region, Value, walk
from ..primitives import get
from ..primitives.registry import Call

# ops that give the same results and raise the same errors on Python floats as on NumPy's
# (their results are made from the items too); anything else that takes one must give a
# result of one type whatever it gets (_same_type), or the derivative keeps the array.
# (Not `round`: NumPy rounds to digits by scaling, Python exactly.)
_SAME = frozenset({"add", "sub", "mul", "neg", "pos", "abs", "max", "min", "select", "copy",
                   "lt", "le", "gt", "ge", "eq", "ne", "not_", "float", "int",
                   "getitem", "getitem_mut", "push", "pop", "append", "appended", "add_item",
                   "store_item", "tape_new", "list_new", "zeros_list",
                   "np.array", "for_range", "while", "if", "tolist"})
# ops that change their first operand in place: what they put in it is made from the items
_INTO = frozenset({"push", "append", "appended", "add_item", "store_item"})


def as_lists(fn: Function, example: list[Any], wrt: tuple[int, ...]) -> Function | None:
    """``fn`` reading its 1-d float64 array arguments (of ``wrt``, in ``example``) that it
    reads only by integer items, at least once in a loop, and by their shape, through
    ``xs = x.tolist()``; None where there is none (see the module docstring)."""
    avals = analyze(fn, example).avals
    loops = {v for op in walk(fn.body) if op.prim in LOOPS
             for inner in walk(Region(ops=[op])) if inner is not op for v in inner.outs}
    chosen: list[Value] = []
    for k in wrt:
        x, arg = fn.params[k], example[k]
        if not (isinstance(arg, np.ndarray) and arg.ndim == 1 and arg.dtype == np.float64):
            continue
        reads = [op for op in walk(fn.body) if x in op.args]
        items = [op for op in reads if op.prim == "getitem" and op.args[0] is x]
        if (items and all(op in items or (op.prim in _KIND_READS and op.args[0] is x)
                          for op in reads)
                and all(_integer(avals.get(op.args[1])) and x not in op.args[1:]
                        for op in items)
                and any(op.out in loops for op in items)):
            chosen.append(x)
    if not chosen:
        return None
    lists = {x: Value(x.hint + "_items") for x in chosen}
    made = [Op("tolist", (x,), (lists[x],)) for x in chosen]

    def redirect(region: Region) -> Region:
        ops = []
        for op in region.ops:
            if op.prim == "getitem" and op.args[0] in lists:
                op = replace(op, args=(lists[op.args[0]], *op.args[1:]))
            elif op.prim in ("len", ".shape") and op.args[0] in lists:
                # (the length of a vector is its list's: `for x in xs` where a loop counts
                # over it only to read xs[i]; `theta.shape` is `(len(xs),)`)
                n = op.out if op.prim == "len" else Value("")
                ops.append(replace(op, prim="len", args=(lists[op.args[0]],), outs=(n,),
                                   attrs=()))
                if op.prim == "len":
                    continue
                op = replace(op, prim="tuple", args=(n,), attrs=())
            elif op.regions:
                op = replace(op, regions=tuple(redirect(r) for r in op.regions))
            ops.append(op)
        return replace(region, ops=ops)

    body = redirect(fn.body)
    return replace(fn, body=replace(body, ops=[*made, *body.ops]))


def _integer(aval: Any) -> bool:
    return isinstance(aval, Number) and aval.dtype is not None and aval.dtype.kind in "iu"


def reads_alike(fn: Function, results: int) -> bool:
    """Does ``fn`` (a derivative of a function read through ``tolist``) do with the items
    only what gives the same results and errors on Python floats as on NumPy's, and return
    none of them among its first ``results`` results (whose type would change)?"""
    tainted = tainted_values(fn)
    if tainted is None:
        return False
    return not tainted.intersection(fn.body.results[:results])


def tainted_values(fn: Function) -> set[Value] | None:
    """The values of ``fn`` made from the items of a ``tolist``; None where an op that does
    not behave alike on Python and NumPy floats takes one."""
    tainted = {op.out for op in walk(fn.body) if op.prim == "tolist"}
    while True:
        before = len(tainted)
        for op in walk(fn.body):
            if not any(a in tainted for a in op.args) and not (op.regions and any(
                    r in tainted for region in op.regions for r in region.results)):
                continue
            if op.prim not in _SAME:
                if _same_type(op):
                    continue  # (its result's type is the same whatever it gets)
                return None
            tainted.update(op.outs)
            if op.prim in _INTO:
                tainted.add(op.args[0])
            for region in op.regions:  # (what a loop or a branch carries or yields)
                tainted.update(region.params)
        if len(tainted) == before:
            return tainted


def _same_type(op: Op) -> bool:
    """Is ``op`` a call of NumPy or ``math`` that gives a NumPy or a Python float whether
    it gets Python floats or NumPy's (``np.sin``, ``math.exp``), or a length?"""
    if op.prim in ("len", "len_mut"):
        return True  # an int
    spec = get(op.prim).emission
    return (isinstance(spec, Call) and spec.module is not None
            and spec.module.__name__ in ("math", "numpy") and not get(op.prim).container_result)
