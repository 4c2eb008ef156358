"""What the caller of a derivative specialized to its arguments gets back: gradients of
their own, never an argument or a constant array itself (the caller may update one in
place), and in a float dtype (the argument's, or float64 for ints)."""

from __future__ import annotations

import collections
from dataclasses import replace
from typing import Any

import numpy as np

from ..analysis.aliasing import views_of
from ..analysis.kinds import annotated, infer, prove_inexact
from ..analysis.kinds import arrays as arrays_in
from ..ir.avals import Array
from ..ir.core import Function, Op, Region, Value, const_value, walk

# views of the whole of their operand: the same memory, another shape or order
_WHOLE_VIEWS = frozenset({"np.reshape", "np.ravel", "T", "np.transpose", "np.squeeze",
                          "np.expand_dims", "np.moveaxis", "np.swapaxes", "np.atleast_1d",
                          "np.atleast_2d", "np.atleast_3d"})


def no_aliases(fn: Function, example: list[Any], names: list[str] | None = None) -> Function:
    """Never return an array argument itself (``d(x @ y)/dx`` is ``y``), a constant array
    (a global ``W``, or ``np.arange(3.0)`` built once), a read-only broadcast
    (``np.broadcast_to(1.0, (3,))`` out of a branch), or one array as two results: the
    caller may update a gradient in place. ``names`` names the copies by result
    (``dx = np.copy(y)``)."""
    arrays = {p for p, arg in zip(fn.params, example) if isinstance(arg, np.ndarray)}
    arrays |= {op.out for op in walk(fn.body) if op.prim == "np.broadcast_to" or (
        op.prim == "const" and isinstance(const_value(op), np.ndarray))}  # W, np.arange(3.0)
    views = views_of(fn, arrays)
    # two results that are the same array seen two ways (np.reshape(z, (2, 3)) and
    # np.reshape(z, (3, 2)) of one z: a Jacobian's zero blocks) count as one array twice
    made = {op.out: op for op in walk(fn.body) if len(op.outs) == 1}
    whole = {}
    for v in dict.fromkeys(fn.body.results):
        base = v
        while base in made and made[base].prim in _WHOLE_VIEWS:
            base = made[base].args[0]
        whole.setdefault(base, []).append(v)
    counts = collections.Counter(fn.body.results)  # (a list's `in` would be quadratic)
    twice = {v for v, n in counts.items() if n > 1}
    twice |= {v for seen in whole.values() if len(seen) > 1 for v in seen[1:]}
    if views & set(fn.body.results) or twice:
        shapes = arrays_in(infer(fn, example))  # a view that is an array (x[2] may be a number)
        arrays |= {v for v in views if v in shapes}
        twice = {v for v in twice if v in arrays or v in shapes}
    if not any(v in arrays for v in fn.body.results) and not twice:
        return fn
    ops, results, seen = list(fn.body.ops), [], set()
    for k, v in enumerate(fn.body.results):
        # the first of two may stay itself (of two views of one array, the first)
        copied = v in arrays or (v in twice and (v in seen or counts[v] == 1))
        seen.add(v)
        if copied:
            copy = Value(names[k] if names and names[k] else
                         v.hint if v.hint.startswith("d") else "d" + v.hint)
            ops.append(Op("np.copy", (v,), (copy,)))
            v = copy
        results.append(v)
    return replace(fn, body=Region(fn.body.params, ops, results))


def float_gradients(fn: Function, example: list[Any], values: int,
                     indices: tuple[int, ...]) -> Function:
    """The gradient for an array argument has its float dtype (an int array's: float64),
    even where it is another argument (d(X * w)/dw is X, and X may hold ints); for a number,
    it is a float (d((a + b) * (b + 1))/da is b + 1, and b may be an int)."""
    wanted = {}
    for j, i in enumerate(indices):
        if isinstance(example[i], np.ndarray):
            wanted[values + j] = (example[i].dtype if example[i].dtype.kind in "fc"
                                  else np.dtype(float))
    ops, results = list(fn.body.ops), list(fn.body.results)
    numbers = [values + j for j, i in enumerate(indices)
               if isinstance(example[i], (float, int, np.number)) and not isinstance(
                   example[i], (bool, np.bool_, complex, np.complexfloating))]
    if numbers:
        floats = [p for p, a in zip(fn.params, example) if isinstance(a, (float, np.floating))]
        inexact = prove_inexact(fn, [results[k] for k in numbers],
                                floats=[*floats, *annotated(fn)]).inexact
        for k in numbers:
            v = results[k]
            if v in inexact:
                continue
            results[k] = Value("d" + fn.params[indices[k - values]].hint)
            ops.append(Op("float", (v,), (results[k],), ()))
    if not wanted:
        return replace(fn, body=Region(fn.body.params, ops, results))
    dtypes = {v: a.dtype for v, a in infer(fn, example).items() if isinstance(a, Array)}
    for k, dtype in wanted.items():
        v = results[k]
        if v in dtypes and dtypes[v] != dtype:
            results[k] = Value("d" + fn.params[indices[k - values]].hint)
            ops.append(Op("np.asarray", (v,), (results[k],), (("dtype", dtype.type),)))
    return replace(fn, body=Region(fn.body.params, ops, results))
