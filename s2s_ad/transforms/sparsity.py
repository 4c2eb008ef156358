"""Sparse Jacobians and Hessians: fewer directions, by the pattern of the blocks.

A Jacobian block is one sweep batched over the unit vectors of an argument (or of a
result): ``n`` directions for ``n`` entries. Where two unit vectors ``e_j`` and ``e_k``
never meet in the same entry of any result (their columns are structurally orthogonal:
a tridiagonal Hessian's columns ``j`` and ``j + 3``), one sweep along ``e_j + e_k`` gives
both, each in its own entries. Grouping the unit vectors so (a greedy coloring, as
Curtis, Powell and Reid did for finite differences) turns ``n`` directions into the
number of colors: 3 for a tridiagonal Hessian, whatever ``n``.

The pattern comes from the batched sweep itself, run once when the code is built with
NaN along the diagonal of the basis: NaN reaches every entry that a direction can reach.
That holds for every input (not just the one the code is built with) because the sweep
is linear in its direction and every op that reads a direction-dependent value is one
whose pattern of dependence does not depend on values (``LINEAR``: sums, products with
values that do not depend on the direction, indexing by constants, reshapes,
transposes); an op that could select by value (``np.where``, ``max``) or a loop or
branch that reads such a value leaves the block dense. A value of NaN or infinity in the
input itself only makes the pattern larger.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..ir.builder import Emitter
from ..ir.core import Function, Op, Value, walk

# a direction-dependent operand may go into these: their pattern of dependence is the
# same for every value of the other operands (indices must be constants: see _linear)
LINEAR = frozenset({
    "add", "sub", "mul", "truediv", "neg", "pos", "matmul", "np.dot", "np.matmul",
    "np.outer", "np.einsum", "np.tensordot", "np.sum", ".sum", "np.mean", "getitem", "T",
    "np.transpose", "np.reshape", "np.ravel", "np.moveaxis", "np.swapaxes",
    "np.expand_dims", "np.squeeze", "np.broadcast_to", "np.stack", "np.concatenate",
    "np.stack_items", "np.concatenate_items", "copy", "np.copy", "setitem", "index_add",
    "add_item", "add_at", "tuple", "np.cumsum", "np.diag", "np.trace", "np.kron",
})
# what these read of a value is its shape, never its entries
_SHAPES = frozenset({".shape", "np.shape", "len", ".ndim", "np.ndim", ".size", "np.size"})
# ops whose operands after the first are indices: constants only
_INDEXED = frozenset({"getitem", "setitem", "index_add", "add_item", "add_at"})
_WRITES = frozenset({"setitem", "index_add", "add_item", "add_at"})
_FRESH = frozenset({"zeros_array", "np.zeros"})
MAX_SIZE = 20_000  # directions; reading the pattern costs a dense sweep's work (size ** 2)
PROBE = 1 << 22  # entries of a result in one run of the probe: its chunk of directions
WORTH = 0.5  # colors at most this share of the directions, else the dense basis


@dataclass(frozen=True)
class Coloring:
    """``colors[j]``: the group of unit vector ``j``; per result, where each direction
    reaches: ``rows[k]`` (the direction) and ``cols[k]`` (the flat entry of result k)."""

    colors: np.ndarray
    count: int
    rows: list[np.ndarray]
    cols: list[np.ndarray]
    shapes: list[tuple[int, ...]]  # one direction's result k
    dtypes: list[np.dtype]

    def seeds(self, dtype: np.dtype) -> np.ndarray:
        """The directions to sweep along: row c is the sum of the unit vectors of color c."""
        seeds = np.zeros((self.count, len(self.colors)), dtype)
        seeds[self.colors, np.arange(len(self.colors))] = 1
        return seeds


def coloring(make: Callable[[int], Function], example: list[Any], shape: tuple[int, ...],
             dtype: np.dtype, compile_fn: Callable[[Function], Any]) -> Coloring | None:
    """The groups of the unit vectors of ``shape`` that the sweep may share, or None where
    they cannot be found or save too little. ``make(k)`` is the sweep batched over ``k``
    directions (its last parameter, of ``shape``, batched on axis 0; ``example`` the other
    arguments); ``compile_fn(fn)`` makes a Python function of ``fn``. The pattern is read
    a chunk of unit vectors at a time (``PROBE`` entries a result at most)."""
    size = math.prod(shape)
    if size > MAX_SIZE or size < 4:
        return None
    chunk = max(1, min(size, PROBE // size))
    batched = make(chunk)
    if not _linear(batched, batched.params[-1]):
        return None
    # (every parameter positional: the direction comes after any with a default)
    run = compile_fn(replace(batched, kinds=[inspect.Parameter.POSITIONAL_OR_KEYWORD] * len(
        batched.params), defaults=None, kwdefaults=None))
    parts: list[list[np.ndarray]] = []
    results: tuple[Any, ...] = ()
    for first in range(0, size, chunk):
        count = min(chunk, size - first)
        probe = np.zeros((chunk, size), dtype)
        probe[np.arange(count), first + np.arange(count)] = np.nan
        try:
            with np.errstate(all="ignore"):
                out = run(*example, probe.reshape((chunk, *shape)))
        except Exception:  # noqa: BLE001 -- no pattern: the dense basis
            return None
        results = out if isinstance(out, tuple) else (out,)
        reached = []
        for r in results:
            r = np.asarray(r)
            if r.ndim == 0 or r.shape[0] != chunk or r.dtype.kind not in "fc":
                return None
            reached.append(r.reshape(chunk, -1)[:count] != 0)  # (NaN != 0: reached)
        parts.append(reached)
    patterns = [np.concatenate([part[k] for part in parts]) for k in range(len(results))]
    colors = _greedy(patterns, size)
    count = int(colors.max()) + 1
    if count > WORTH * size:
        return None
    rows, cols = [], []
    for p in patterns:
        j, i = np.nonzero(p)
        rows.append(j)
        cols.append(i)
    return Coloring(colors, count, rows, cols, [np.shape(r)[1:] for r in results],
                    [np.asarray(r).dtype for r in results])


def decompressed(e: Emitter, result: Value, c: Coloring, k: int) -> Value:
    """Result ``k`` along each unit vector (the unit vectors first), from ``result`` along
    the colors' directions: entry (j, i) is entry (color of j, i) where j reaches i."""
    size, count, shape = len(c.colors), c.count, c.shapes[k]
    m = math.prod(shape)
    flat = result if len(shape) == 1 else e.emit("np.reshape", result, e.const((count, m)))[0]
    attrs = {} if c.dtypes[k] == np.float64 else {"dtype": c.dtypes[k].type}
    full = e.emit("np.zeros", e.const((size, m)), hint=result.hint, **attrs)[0]
    rows, cols = e.const(c.rows[k], hint="reached"), e.const(c.cols[k], hint="entries")
    colors = e.const(c.colors[c.rows[k]], hint="colors")
    picked = e.getitem(flat, e.emit("tuple", colors, cols)[0])
    full = e.emit("setitem", full, e.emit("tuple", rows, cols)[0], picked, hint=result.hint)[0]
    return full if len(shape) == 1 else e.emit("np.reshape", full, e.const((size, *shape)),
                                               hint=result.hint)[0]


def _greedy(patterns: list[np.ndarray], size: int) -> np.ndarray:
    """A color per direction such that two directions of one color reach no entry of any
    result in common (first fit, in order)."""
    reach = [np.nonzero(row)[0] for row in np.concatenate(patterns, axis=1)]
    used: dict[int, set[int]] = {}  # entry -> the colors that reach it
    colors = np.zeros(size, dtype=np.intp)
    for j in range(size):
        taken: set[int] = set()
        for i in reach[j]:
            taken |= used.get(int(i), set())
        c = 0
        while c in taken:
            c += 1
        colors[j] = c
        for i in reach[j]:
            used.setdefault(int(i), set()).add(c)
    return colors


def _linear(fn: Function, direction: Value) -> bool:
    """Does every op that reads a value depending on ``direction`` propagate dependence
    the same way for every input (see the module docstring)?"""
    known = {op.out for op in walk(fn.body) if op.prim == "const"}  # (indices)
    fresh: set[Value] = set()  # arrays of zeros made here, written into
    tainted = {direction}
    for op in fn.body.ops:
        if op.prim in _FRESH:
            fresh.update(op.outs)
        elif fresh:  # read before it is written into (a view of it?): no longer fresh
            fresh.difference_update(_reads(op)[1:] if op.prim in _WRITES else _reads(op))
        if op.prim in ("slice", "tuple") and all(a in known for a in op.args):
            known.add(op.out)
        if not any(a in tainted for a in _reads(op)):
            continue
        if op.regions or op.prim not in LINEAR and op.prim not in _SHAPES:
            return False
        if op.prim in _INDEXED and not all(a in known for a in op.args[1:2]):
            return False
        if op.prim in _WRITES and op.args[0] not in tainted:
            if op.args[0] not in fresh:  # (a view: what else reads its base is not known)
                return False
            tainted.add(op.args[0])  # (written into in place)
        if op.prim not in _SHAPES:
            tainted.update(op.outs)
    return True


def _reads(op: Op) -> list[Value]:
    reads = list(op.args)
    for region in op.regions:
        for inner in walk(region):
            reads.extend(inner.args)
        reads.extend(region.results)
    return reads
