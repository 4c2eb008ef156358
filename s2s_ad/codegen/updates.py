"""``u op= v`` in the code that runs: NumPy's own arithmetic, in ``u``'s layout and dtype.

The frontend marks each update ``updated(u op v, u)`` (analysis/aliasing.py): NumPy writes
an array's update into its memory, so the value keeps ``u``'s layout (a transposed ``u``
stays transposed, and ``np.mean(u)`` sums in that order) and dtype. Here, just before
codegen, code specialized to arrays writes it ``np.add(u, v, out=np.empty_like(u))``: the
same arithmetic into a fresh array laid out like ``u``, which stays unwritten.
"""

from __future__ import annotations

from collections.abc import Collection

from ..ir.core import Function, Op, Value, walk
from ..optimize.rewrite import resolve, rewrite, use_counts
from ..primitives.structures import INTO


def settle_updates(fn: Function, arrays: Collection[Value] | None) -> Function:
    """``fn`` with its ``updated`` marks written as the code that runs computes them.

    ``arrays``: in code specialized to its arguments, the values that are arrays there
    (``kinds.infer``); ``None`` for shape-generic code. An update of an array becomes
    ``np.add(u, v, out=np.empty_like(u))`` (``runtime.updated``, a copy into ``u``'s layout,
    where ``u + v`` is also read elsewhere); any other mark goes: a number's update is its
    value, and shape-generic code computes ``u + v`` (docs/api.md).
    """
    if not any(op.prim == "updated" for op in walk(fn.body)):
        return fn
    uses = use_counts(fn)
    region_of: dict[Value, int] = {}  # where each value is defined: id of its region
    defs: dict[Value, Op] = {}
    stack = [fn.body]
    while stack:
        region = stack.pop()
        for op in region.ops:
            for out in op.outs:
                region_of[out], defs[out] = id(region), op
            stack.extend(op.regions)
    fused: set[Value] = set()  # the values `u op v` of updates written into u's layout
    for op in walk(fn.body):
        if op.prim != "updated" or arrays is None or op.args[1] not in arrays:
            continue
        new, old = op.args
        binop = defs.get(new)
        if (binop is not None and binop.prim in INTO and binop.args[0] is old
                and uses.get(new) == 1 and region_of.get(new) == region_of.get(op.out)):
            fused.add(new)

    def visit(op: Op, subst: dict[Value, Value]) -> Op | Value | None:
        if len(op.outs) == 1 and op.out in fused:
            return None  # written where its mark is, into u's layout
        if op.prim != "updated":
            return op
        new, old = op.args
        if arrays is None or old not in arrays:
            return new
        if new in fused:
            binop = defs[new]
            v = resolve(binop.args[1], subst)
            return Op(INTO[binop.prim], (old, v, old), op.outs, (), (), op.loc)
        return op

    return rewrite(fn, visit)
