"""Shapes while derivatives are built, for code specialized to its arguments' shapes.

Rules build IR through the emitter; with this hook installed (``track(e)``), every new
op whose operands have known shapes gets a known shape too, and two things get simpler:

- ``np.broadcast_to(a, S)`` is deferred: an elementwise op on it works on ``a`` itself
  and is broadcast only if its result would still be smaller than ``S``. So the cotangent
  of ``np.sum(x)`` reaches ``x``'s producer as a number, and ``broadcast_to(g, S) * y``
  with ``y`` of shape ``S`` reads ``g * y`` (the same numbers: ``*`` broadcasts anyway).
- ``sum_to`` sums a cotangent back to an operand's shape with the axes known:
  ``np.sum(g, axis=0)`` for a bias, nothing when the shapes match.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..analysis.kinds import elementwise_prim
from ..ir import avals
from ..ir.builder import Emitter
from ..ir.core import Value
from ..primitives import get
from ..primitives.registry import NOT_CONSTANT, abstract_eval

Shape = tuple[int, ...]

def track(e: Emitter) -> None:
    """Install the hook on ``e`` (the values' avals hold what is known)."""
    e.hook = _emit
    e.deferred = {}


def shape_of(v: Value) -> Shape | None:
    return avals.shape_of(v.aval)


def sum_to(e: Emitter, g: Value, x: Value) -> Value:
    """``g`` summed (or broadcast) to ``x``'s shape; a run-time ``unbroadcast`` when either
    shape is unknown."""
    sg, sx = shape_of(g), shape_of(x)
    if sg is None or sx is None:
        return e.unbroadcast(g, x)
    if sg == sx:
        return g
    try:
        full = np.broadcast_shapes(sg, sx)
    except ValueError:
        return e.unbroadcast(g, x)  # not a broadcast of x: NumPy will say so at run time
    if full != sg:  # g stands for a broadcast of itself (a zero from a branch, say)
        g = e.emit("np.broadcast_to", g, e.const(full))[0]
        sg = full
        if sg == sx:
            return g
    lead = len(sg) - len(sx)
    source = e.deferred.get(g)
    if source is not None and e.scalar(source[0]):  # a broadcast number: count copies
        a = source[0]
        return e.emit("np.broadcast_to", e.mul(a, math.prod(sg) // max(math.prod(sx), 1)),
                      e.const(sx))[0]
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(sx)
                                      if n == 1 and sg[lead + i] != 1)
    keep = all(i >= lead for i in axes)  # only size-1 axes: keep them
    if not sx:
        return e.emit("np.sum", g)[0]
    out = e.emit(".sum", g, axis=axes[0] if len(axes) == 1 else axes,
                 **({"keepdims": True} if keep else {}))[0]
    if shape_of(out) != sx:
        out = e.emit("np.reshape", out, e.const(sx))[0]
    return out


def _emit(e: Emitter, prim: str, args: tuple[Value, ...], attrs: dict[str, Any],
          hint: str) -> Value | None:
    shapes = [shape_of(a) for a in args]
    if prim == "np.broadcast_to":
        target = e.constants.get(args[1])
        if target is None or shapes[0] is None:
            return None
        if shapes[0] == tuple(target):
            return args[0]
        out = e.append(prim, args, attrs, hint)
        out.aval = avals.with_shape(tuple(target))
        e.deferred[out] = (args[0], tuple(target))
        return out
    if elementwise_prim(prim) and None not in shapes:
        full = np.broadcast_shapes(*shapes)
        if any(a in e.deferred for a in args):
            bases = tuple(e.deferred[a][0] if a in e.deferred else a for a in args)
            inner = np.broadcast_shapes(*(shape_of(b) for b in bases))
            out = e.append(prim, bases, attrs, hint)
            _record(e, out, inner)
            if inner == full:
                return out
            return e.emit("np.broadcast_to", out, e.const(full), hint=hint)[0]
        out = e.append(prim, args, attrs, hint)
        _record(e, out, full)
        return out
    written = args[0].aval if args else avals.UNKNOWN  # x[i] = v (a list's items: any kind)
    if get(prim).like_first and not isinstance(written, (avals.Unknown, avals.Numbers)):
        out = e.append(prim, args, attrs, hint)
        out.aval = args[0].aval
        return out
    # (np.reshape's shape is a constant operand, as np.zeros' is; x.astype(d) has x's shape)
    if get(prim).shape_by_example or get(prim).shaped_like_first or get(prim).sized_by:
        constants = [e.constants.get(a, NOT_CONSTANT) for a in args]
        aval = abstract_eval(prim, [a.aval for a in args], attrs, constants)
        if aval is avals.UNKNOWN:
            return None
        out = e.append(prim, args, attrs, hint)
        out.aval = aval
        return out
    return None


def _record(e: Emitter, v: Value, shape: Shape) -> None:
    v.aval = avals.with_shape(tuple(shape))
