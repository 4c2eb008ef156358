"""Batching rules (``vmap``, transforms/batch.py), one row per primitive.

A rule is ``rule(b, op) -> outs | None``: it emits, through the ``Batcher`` ``b``, the ops
that compute ``op``'s results with the batch on their leading axis, from operands that are
batched (``b.is_batched``) or the same for every example. ``None`` means this rule does not
cover these operands: the op then runs once per example (slower, never wrong). Shapes are
one example's (``b.shape``), known when the code is built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir.avals import Number
from ..ir.core import Op, Value
from . import control, numpy, scalar, structures  # noqa: F401  (the entries it covers)
from .registry import PRIMITIVES, defbatch

Outs = tuple[Value, ...] | None

# math's functions of a number and builtins, on a batch of numbers: NumPy's
_AS_ARRAY = {"sin": "np.sin", "cos": "np.cos", "tan": "np.tan", "asin": "np.arcsin",
             "acos": "np.arccos", "atan": "np.arctan", "sinh": "np.sinh", "cosh": "np.cosh",
             "tanh": "np.tanh", "exp": "np.exp", "expm1": "np.expm1", "log": "np.log",
             "log2": "np.log2", "log10": "np.log10", "log1p": "np.log1p", "sqrt": "np.sqrt",
             "fabs": "np.abs", "atan2": "np.arctan2", "math_pow": "np.power",
             "max": "np.maximum", "min": "np.minimum", "select": "np.where"}


def _elementwise(b: Any, op: Op, prim: str | None = None) -> Outs:
    """Operands lined up by rank (a batched one gets axes of 1 after the batch), then the
    same primitive: NumPy broadcasts the rest."""
    ranks = [b.rank(a) for a in op.args]
    if None in ranks:
        return None
    rank = max(ranks)
    args = [b.expand(a, rank) if b.is_batched(a) else b.arg(a) for a in op.args]
    return b.e.emit(prim or op.prim, *args, nouts=len(op.outs), **dict(op.attrs))


def _as_array(b: Any, op: Op) -> Outs:
    if len(op.args) != (3 if op.prim == "select" else 2 if op.prim in ("max", "min") else
                        len(op.args)):
        return None  # max(xs): of a list
    return _elementwise(b, op, _AS_ARRAY[op.prim])


def _shift(axis: Any) -> Any:
    """An axis of one example, on the batched value (negative axes count from the end)."""
    if isinstance(axis, tuple):
        return tuple(_shift(a) for a in axis)
    return axis + 1 if axis >= 0 else axis


def _all_axes(b: Any, x: Value) -> tuple[int, ...] | None:
    rank = b.rank(x)
    return None if rank is None else tuple(range(1, rank + 1))


def _reduction(b: Any, op: Op) -> Outs:
    """``np.sum(x, axis=k)`` -> ``axis=k + 1``; no axis -> every axis but the batch."""
    attrs = dict(op.attrs)
    x = op.args[0]
    if len(op.args) > 1 or not b.is_batched(x):
        return None
    if op.prim == "np.linalg.norm" and (attrs.get("ord") is not None or b.rank(x) not in (1, 2)):
        return None
    if op.prim in ("np.argmax", "np.argmin", "np.cumsum", "np.roll") and attrs.get("axis") is None:
        if op.prim == "np.roll" or b.rank(x) != 1:
            return None
    axis = attrs.get("axis")
    attrs["axis"] = _all_axes(b, x) if axis is None else _shift(axis)
    if attrs["axis"] is None:
        return None
    if isinstance(attrs["axis"], tuple) and len(attrs["axis"]) == 1:
        (attrs["axis"],) = attrs["axis"]  # axis=1, as people write it
    return b.same(op, b.arg(x), **attrs)


def _on_axis(b: Any, op: Op) -> Outs:
    """One operand, an ``axis`` attribute (default given per primitive): shifted."""
    if any(b.is_batched(a) for a in op.args[1:]) or not b.is_batched(op.args[0]):
        return None
    attrs = dict(op.attrs)
    axis = attrs.get("axis", _DEFAULT_AXIS.get(op.prim))
    if axis is None:
        if op.prim != "np.flip":
            return None
        axis = tuple(range(b.rank(op.args[0]) or 0))
    attrs["axis"] = _shift(axis)
    return b.same(op, *(b.arg(a) for a in op.args), **attrs)


_DEFAULT_AXIS = {"np.sort": -1, "np.argsort": -1, "np.expand_dims": None, "np.squeeze": None,
                 "np.flip": None, "np.take_along_axis": None}


def _squeeze(b: Any, op: Op) -> Outs:
    attrs = dict(op.attrs)
    shape = b.shape(op.args[0])
    if attrs.get("axis") is None:
        if shape is None:
            return None
        attrs["axis"] = tuple(k for k, n in enumerate(shape) if n == 1)
    attrs["axis"] = _shift(attrs["axis"])
    return b.same(op, b.bcast(op.args[0]), **attrs)


def _expand_dims(b: Any, op: Op) -> Outs:
    attrs = dict(op.attrs)
    attrs["axis"] = _shift(attrs["axis"])
    return b.same(op, b.bcast(op.args[0]), **attrs)


def _transpose(b: Any, op: Op) -> Outs:
    """``x.T`` and ``np.transpose(x, axes)``: the batch stays first."""
    x = op.args[0]
    rank = b.rank(x)
    if rank is None:
        return None
    axes = dict(op.attrs).get("axes") if op.prim == "np.transpose" else None
    order = tuple(range(rank - 1, -1, -1)) if axes is None else tuple(a % rank for a in axes)
    if rank < 2:
        return (b.arg(x),)
    if order == (1, 0) and rank == 2:
        return b.e.emit("np.swapaxes", b.arg(x), b.e.const(1), b.e.const(2))
    return b.e.emit("np.transpose", b.arg(x), axes=(0, *(a + 1 for a in order)))


def _moveaxis(b: Any, op: Op) -> Outs:
    attrs = dict(op.attrs)
    return b.same(op, b.arg(op.args[0]), source=_shift(attrs["source"]),
                  destination=_shift(attrs["destination"]))


def _swapaxes(b: Any, op: Op) -> Outs:
    x, i, j = op.args
    if b.is_batched(i) or b.is_batched(j) or b.constant(i) is None or b.constant(j) is None:
        return None
    return b.e.emit("np.swapaxes", b.arg(x), b.e.const(_shift(b.constant(i))),
                    b.e.const(_shift(b.constant(j))))


def _reshape(b: Any, op: Op) -> Outs:
    """``np.reshape(x, shape)`` -> ``np.reshape(x, (-1, *shape))``; ``np.ravel(x)`` ->
    ``np.reshape(x, (-1, x.size))``."""
    x = op.args[0]
    if op.prim == "np.ravel":
        shape = b.shape(x)
        if shape is None:
            return None
        target: Any = (int(np.prod(shape)),)
    else:
        target = b.constant(op.args[1])
        if b.is_batched(op.args[1]) or target is None:
            return None
        target = tuple(target) if isinstance(target, (tuple, list)) else (target,)
        if -1 in target:
            known = b.shape(op.out)
            if known is None:
                return None
            target = known
    return b.e.emit("np.reshape", b.arg(x), b.e.const((-1, *target)))


def _broadcast_to(b: Any, op: Op) -> Outs:
    x, shape = op.args
    target = b.constant(shape)
    if target is None or b.is_batched(shape):
        return None
    target = tuple(target) if isinstance(target, (tuple, list)) else (target,)
    full = b.e.emit("tuple", b.size, *[b.e.const(n) for n in target])[0]
    return b.e.emit("np.broadcast_to", b.expand(x, len(target)), full)


def _matmul(b: Any, op: Op) -> Outs:
    """``a @ b`` with the batch on either or both: by the operands' ranks, a product NumPy
    batches itself (``x @ W``), the other order (``W @ x`` -> ``x @ W.T``), or an einsum."""
    x, y = op.args
    rx, ry = b.rank(x), b.rank(y)
    if rx is None or ry is None or rx == 0 or ry == 0:
        return _elementwise(b, op, "mul") if rx == 0 or ry == 0 else None
    bx, by = b.is_batched(x), b.is_batched(y)
    e = b.e
    if bx and by:
        if rx == ry and rx >= 2:
            return e.emit("matmul", b.arg(x), b.arg(y))
        spec = {(1, 1): "ni,ni->n", (1, 2): "ni,nij->nj", (2, 1): "nij,nj->ni"}.get((rx, ry))
        return None if spec is None else e.emit("np.einsum", b.arg(x), b.arg(y), subscripts=spec)
    if bx:  # (B, ..., n) @ (n, m) or (n,): NumPy's batch
        return e.emit("matmul", b.arg(x), b.arg(y)) if ry <= 2 else None
    if ry >= 2:  # (m, n) @ (B, n, k): NumPy's batch
        return e.emit("matmul", b.arg(x), b.arg(y)) if rx <= 2 else None
    if rx == 1:  # a . y for each example: y @ a
        return e.emit("matmul", b.arg(y), b.arg(x))
    if rx == 2:  # (m, n) @ y for each example: y @ W.T
        return e.emit("matmul", b.arg(y), e.emit("T", b.arg(x))[0])
    return None


def _outer(b: Any, op: Op) -> Outs:
    x, y = op.args
    if b.rank(x) != 1 or b.rank(y) != 1:
        return None
    spec = ("ni,nj->nij" if b.is_batched(x) and b.is_batched(y) else
            "ni,j->nij" if b.is_batched(x) else "i,nj->nij")
    return b.e.emit("np.einsum", b.arg(x), b.arg(y), subscripts=spec)


def _index(b: Any, index: Value) -> Value | None:
    """An index of one example as an index of the batch: ``(slice(None), *index)`` (a
    constant where the index's parts are: ``x[:, 1:]``); None if it differs across the
    batch or its parts are not known."""
    if b.is_batched(index):
        return None
    e = b.e
    known = _known_index(b, index)
    if known is not _UNKNOWN_INDEX:
        parts = known if isinstance(known, tuple) else (known,)
        return e.const((slice(None), *parts))
    made = b.made_by(index)
    colon = e.const(slice(None))
    if made is not None and made.prim == "tuple":
        return e.emit("tuple", colon, *(b.arg(a) for a in made.args))[0]
    if not b.numeric(index) and (made is None or made.prim != "slice"):
        return None  # a tuple made elsewhere: its parts are not known
    return e.emit("tuple", colon, b.arg(index))[0]


_UNKNOWN_INDEX = object()


def _known_index(b: Any, index: Value) -> Any:
    """``index``'s value where the function's constants decide it (``slice(1, None)``,
    ``(0, slice(None))``), else ``_UNKNOWN_INDEX``."""
    if index in b.consts:
        return b.consts[index]
    made = b.made_by(index)
    if made is None or made.prim not in ("slice", "tuple"):
        return _UNKNOWN_INDEX
    parts = [_known_index(b, a) for a in made.args]
    if any(p is _UNKNOWN_INDEX for p in parts):
        return _UNKNOWN_INDEX
    return slice(*parts) if made.prim == "slice" else tuple(parts)


def _stand_in(b: Any, index: Value) -> Any:
    """A value like ``index`` for one example (to find what it selects), or None."""
    value = b.constant(index)
    if value is not None or index in b.consts:
        return value
    made = b.made_by(index)
    if made is not None and made.prim == "slice":
        return slice(None)
    if made is not None and made.prim == "tuple":
        parts = [_stand_in(b, a) for a in made.args]
        return None if any(p is None and a not in b.consts for p, a in zip(parts, made.args)) \
            else tuple(parts)
    aval = b.avals.get(index)
    shape = b.shape(index)
    if shape is None:
        return None
    dtype = getattr(aval, "dtype", None)
    if shape == ():
        return 0
    return np.zeros(shape, dtype=bool if dtype == np.bool_ else int)


def _selected_rank(b: Any, x: Value, index: Value) -> int | None:
    """The rank of ``x[index]`` for one example."""
    shape, stand_in = b.shape(x), _stand_in(b, index)
    if shape is None or (stand_in is None and index not in b.consts):
        return None
    try:
        return int(np.ndim(np.ones(shape)[stand_in]))
    except (IndexError, TypeError, ValueError):
        return None


def _advanced_apart(b: Any, index: Value) -> bool:
    """Does ``index`` hold two array indices with something between (NumPy then moves
    their axis first, where the batch should be)?"""
    stand_in = _stand_in(b, index)
    if not isinstance(stand_in, tuple):
        return False
    arrays = [k for k, p in enumerate(stand_in) if isinstance(p, np.ndarray)]
    return len(arrays) > 1 and arrays[-1] - arrays[0] != len(arrays) - 1


def _getitem(b: Any, op: Op) -> Outs:
    """``x[i]`` -> ``x[:, i]``; an index that differs across the batch into an array that
    does not: ``x[i]`` as it is (the batch is the index's)."""
    x, index = op.args
    if not b.numeric(x):  # a list or tuple of batched items, read where all examples read
        return None if b.is_batched(index) else b.same(op)
    if b.is_batched(index):
        if b.is_batched(x) or b.made_by(index) is not None and b.made_by(index).prim == "tuple":
            return None
        return b.e.emit("getitem", b.arg(x), b.arg(index))
    if _advanced_apart(b, index):
        return None
    new = _index(b, index)
    return None if new is None else b.e.emit("getitem", b.arg(x), new)


def _write(b: Any, op: Op) -> Outs:
    """``x[i] = v`` (``setitem``, ``index_add``; ``acc[i] += v`` in place): ``x[:, i] = v``,
    ``v`` given axes of 1 after the batch to line up with ``x[:, i]``."""
    x, index, v = op.args
    if b.structure(x):  # into an item of a tuple, list or dict: each item carries the batch
        if b.is_batched(index) or not b.is_batched(x):
            return None
        return b.same(op)
    if b.is_batched(index) or not b.numeric(x) or _advanced_apart(b, index):
        return None
    new = _index(b, index)
    rank = _selected_rank(b, x, index)
    if new is None or rank is None:
        return None
    value = b.expand(v, rank) if b.is_batched(v) else b.arg(v)
    target = b.arg(x) if b.is_batched(x) else b.bcast(x)
    if op.prim in ("add_item", "add_at", "store_item") and not b.is_batched(x):
        return None  # (never: what is written into is batched first)
    prim = "add_at" if op.prim == "add_at" else op.prim
    return b.e.emit(prim, target, new, value, nouts=len(op.outs), **dict(op.attrs))


def _take(b: Any, op: Op) -> Outs:
    """``np.take(x, i, axis=k)`` -> ``axis=k + 1``."""
    x, index = op.args
    axis = dict(op.attrs).get("axis")
    if axis is None or b.is_batched(index) or not b.is_batched(x):
        return None
    return b.e.emit("np.take", b.arg(x), b.arg(index), axis=_shift(axis))


def _fresh(b: Any, op: Op) -> Outs:
    """A fresh array of zeros that batched values go into: zeros of the batch."""
    e = b.e
    if op.prim == "zeros_like" and b.is_batched(op.args[0]):
        return b.same(op)
    if op.prim == "zeros_like" and b.structure(op.args[0]):  # filled by a batch
        return e.emit("batch_of_zeros", b.arg(op.args[0]), b.size)
    shape = b.shape(op.out)
    if shape is None or not b.numeric(op.out):
        return None
    size = e.emit("tuple", b.size, *[e.const(n) for n in shape])[0]
    attrs = dict(op.attrs)
    return e.emit("zeros_array", size, **attrs)


def _like_first(b: Any, op: Op) -> Outs:
    """``np.zeros_like(x)``, ``np.copy(x)``: of the batched ``x``."""
    if any(b.is_batched(a) for a in op.args[1:]):
        return None
    return b.same(op, b.bcast(op.args[0]), *(b.arg(a) for a in op.args[1:]))


def _items(b: Any, op: Op) -> Outs:
    """A tuple display, an append, a tape push: the items of a batched container are
    batched (each the same for every example where it does not differ)."""
    container = op.prim in ("append", "push")
    if container and not b.is_batched(op.args[0]):
        return b.same(op)
    items = op.args[1:] if container else op.args
    if not all(b.numeric(v) or b.is_batched(v) for v in items):
        return None
    head = (b.arg(op.args[0]),) if container else ()
    return b.e.emit(op.prim, *head, *(b.bcast(v) for v in items), nouts=len(op.outs),
                    **dict(op.attrs))


def _stacked(b: Any, op: Op) -> Outs:
    """``np.stack``/``np.concatenate`` of items (or of a list of them): the axis shifted,
    every item batched."""
    attrs = dict(op.attrs)
    axis = attrs.get("axis", 0)
    if axis is None:
        return None
    attrs["axis"] = _shift(axis) if op.prim not in _FLAT else axis
    if op.prim in _FLAT:  # np.hstack/np.vstack: by the items' ranks, a named axis
        return None
    if op.prim.endswith("_items"):
        return b.same(op, b.arg(op.args[0]), **attrs)
    return b.same(op, *(b.bcast(v) for v in op.args), **attrs)


_FLAT = frozenset({"np.hstack", "np.vstack", "np.hstack_items", "np.vstack_items"})


def _read(b: Any, op: Op) -> Outs:
    """A read of a batched list or tape (``pop``, ``xs[i]`` while it grows): as it is."""
    if any(b.is_batched(a) for a in op.args[1:]):
        return None
    return b.same(op)


def _full_like(b: Any, op: Op) -> Outs:
    """``full_like(t, x)``: ``t`` spread over ``x``'s shape (a tangent): over the batch's."""
    t, x = op.args
    shape, have = b.shape(x), b.rank(t)
    if shape is None or have is None:
        return None
    if not shape or b.is_batched(t) and b.shape(t) == shape:
        return (b.bcast(t),)  # (t has x's shape already: itself, copied where written)
    size = b.e.emit("tuple", b.size, *[b.e.const(n) for n in shape])[0]
    spread = b.expand(t, len(shape)) if b.is_batched(t) else b.arg(t)
    return b.e.emit("np.broadcast_to", spread, size)


def _numeric_same(b: Any, op: Op) -> Outs:
    """Zeros shaped like a number or an array (``zero_gradient``): of the batch, as it is."""
    return b.same(op) if b.numeric(op.args[0]) else None


def _float(b: Any, op: Op) -> Outs:
    """``float(x)`` of a batch of numbers: ``x.astype(float)``."""
    if len(op.args) != 1 or not isinstance(b.avals.get(op.args[0]), Number):
        return None
    return b.e.emit("astype", b.arg(op.args[0]), b.e.const(float))


def _like(b: Any, op: Op) -> Outs:
    """``like(acc, c)``: ``acc`` given ``c``'s structure, whichever carries the batch."""
    acc, c = op.args
    return b.same(op) if b.is_batched(acc) or not b.is_batched(c) else None


def _unpacks(b: Any, op: Op) -> Outs:
    """``unpacks(c, n=...)``: a tuple or list has as many items in every example."""
    return b.same(op) if b.structure(op.args[0]) else None


def _as_it_is(b: Any, op: Op) -> Outs:
    """A check of what the value is (a NumPy array, an instance of a class): the batch is
    what each example is."""
    return b.same(op)


def _install() -> None:
    for name, prim in PRIMITIVES.items():
        if (prim.broadcasts or prim.kind == "elementwise") and name not in _NOT_ELEMENTWISE:
            defbatch(name, _elementwise)
    for name in _AS_ARRAY:
        defbatch(name, _as_array)
    for name in ("np.sum", ".sum", "np.mean", "np.prod", "np.max", "np.min", "np.var",
                 "np.std", "np.linalg.norm", "np.argmax", "np.argmin", "np.cumsum"):
        defbatch(name, _reduction)
    for name in ("np.sort", "np.argsort", "np.flip"):
        defbatch(name, _on_axis)
    defbatch("np.squeeze", _squeeze)
    defbatch("np.expand_dims", _expand_dims)
    defbatch("T", _transpose)
    defbatch("np.transpose", _transpose)
    defbatch("np.moveaxis", _moveaxis)
    defbatch("np.swapaxes", _swapaxes)
    defbatch("np.reshape", _reshape)
    defbatch("np.ravel", _reshape)
    defbatch("np.broadcast_to", _broadcast_to)
    for name in ("matmul", "np.matmul", "np.dot"):
        defbatch(name, _matmul)
    defbatch("np.outer", _outer)
    defbatch("getitem", _getitem)
    defbatch("np.take", _take)
    for name in ("setitem", "index_add", "add_item", "add_at", "store_item"):
        defbatch(name, _write)
    for name in ("zeros_like", "zeros_array", "zeros_list"):
        defbatch(name, _fresh)
    for name in ("np.zeros_like", "np.ones_like", "np.copy", "np.asarray", "np.array",
                 "copy", "astype"):
        defbatch(name, _like_first)
    defbatch("full_like", _full_like)
    defbatch("like", _like)
    for name in ("zero_gradient", "zero_adjoint"):
        defbatch(name, _numeric_same)
    defbatch("float", _float)
    for name in ("writable", "exactly"):
        defbatch(name, _as_it_is)
    defbatch("unpacks", _unpacks)
    for name in ("tuple", "append", "push"):
        defbatch(name, _items)
    for name in ("np.stack", "np.concatenate", "np.stack_items", "np.concatenate_items",
                 *_FLAT):
        defbatch(name, _stacked)
    for name in ("pop", "getitem_mut", "len_mut", "reread", "repop", "pushed", "added",
                 "appended", "list_new", "tape_new"):
        defbatch(name, _read)


# elementwise by kind, but not by what batching needs: their own rows below (np.array
# builds an array from a list), or per example (`updated`: a mark of `u op= v`)
_NOT_ELEMENTWISE = frozenset({"np.array", "np.asarray", "updated", "max", "min"})

_install()
