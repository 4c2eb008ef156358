"""The few helpers generated code calls: adjoints of containers (tuples, lists, dicts,
dataclasses and named tuples).

A container's structure is only known when the gradient runs, so its adjoint is built
then: ``zeros_like`` makes a mutable copy with zeros at the leaves, ``add_at`` adds a
container of cotangents into one entry in place (a number is added inline by the
generated code: ``dxs[i] += g``), and ``like`` gives the result the argument's exact
structure (tuples stay tuples, a dataclass is rebuilt from its fields). Code
without containers never calls them. ``s2s-ad export`` copies them into exported modules,
so each must stand alone (no module globals but ``FieldList``, which it copies too).

A dataclass instance is a record of its fields (``dataclasses.fields``): its adjoint while
it is filled is a dict keyed by field name, and its gradient an instance of its class with
each field replaced by that field's gradient. A named tuple is a tuple whose items also
have names: its adjoint is a ``FieldList``, a list that also takes the field names as keys.
"""

from __future__ import annotations

from typing import Any


class FieldList(list):
    """The adjoint of a named tuple while it is filled: a list whose items can also be
    reached by field name (``d["w"]`` is ``d[0]`` for a named tuple with fields
    ``("w", "b")``), since the function may read the tuple both ways."""

    __slots__ = ("fields",)

    def __getitem__(self, key: Any) -> Any:
        return list.__getitem__(self, self.fields.index(key) if type(key) is str else key)

    def __setitem__(self, key: Any, value: Any) -> None:
        list.__setitem__(self, self.fields.index(key) if type(key) is str else key, value)


def zeros_like(c: Any) -> Any:
    """Zeros shaped like ``c``: dicts and lists (tuples become lists, to be filled; a named
    tuple a ``FieldList``, a dataclass a dict of its fields)."""
    if type(c) in (list, tuple) and all(type(v) in (float, int, bool) for v in c):
        return [0.0] * len(c)  # the common case, without a call per item
    if isinstance(c, dict):
        return {k: zeros_like(v) for k, v in c.items()}
    if hasattr(type(c), "__dataclass_fields__") and not isinstance(c, type):
        import dataclasses

        return {f.name: zeros_like(getattr(c, f.name)) for f in dataclasses.fields(c)}
    if isinstance(c, tuple) and hasattr(c, "_fields"):  # a named tuple
        items = FieldList(zeros_like(v) for v in c)
        items.fields = c._fields
        return items
    if isinstance(c, (list, tuple)):
        return [zeros_like(v) for v in c]
    if hasattr(c, "shape") and hasattr(c, "dtype"):
        import numpy as np

        return np.zeros(c.shape, np.result_type(c.dtype, 0.0))
    return 0.0


def updated(new: Any, old: Any) -> Any:
    """The value of ``old op= ...``, which is ``new``: NumPy writes an array's update into
    ``old``'s memory, so it keeps ``old``'s layout (a transposed array stays transposed, and a
    reduction of it sums in that order) and dtype. A copy here: ``old`` is not written."""
    import numpy as np

    if isinstance(old, np.ndarray):
        out = np.empty_like(old)
        np.copyto(out, new, casting="same_kind")  # (an int array += a float raises, as there)
        return out
    return new


def add_at(acc: Any, key: Any, g: Any) -> None:
    """``acc[key] += g``, where ``g`` may itself be a container of cotangents."""
    if hasattr(acc, "shape") and hasattr(acc, "dtype"):  # an array: repeated indices add up
        import numpy as np

        np.add.at(acc, key, g)
        return
    if isinstance(key, slice):  # g is the adjoint of a slice: add it item by item
        for i, v in zip(range(*key.indices(len(acc))), g):
            add_at(acc, i, v)
        return
    if isinstance(acc, dict) and isinstance(key, str) and key not in acc:
        # (a dict argument's keys are all there: acc is a dataclass's fields)
        raise TypeError(f"cannot differentiate with respect to .{key}, which is not a field "
                        "of the dataclass argument (a property or another attribute of its "
                        "class): compute it from the fields in the function")
    current = acc[key]
    if isinstance(current, (dict, list)):
        if hasattr(type(g), "__dataclass_fields__"):  # a dataclass's gradient: by field
            import dataclasses

            g = {f.name: getattr(g, f.name) for f in dataclasses.fields(g)}
        for k, v in (g.items() if isinstance(g, dict) else enumerate(g)):
            add_at(current, k, v)
    else:
        acc[key] = current + g


def like(acc: Any, c: Any) -> Any:
    """``acc`` with ``c``'s structure: tuples where ``c`` has tuples, an instance of ``c``'s
    dataclass where ``c`` is one (``acc`` a dict of its fields, or an instance already)."""
    if type(c) is list and all(type(v) in (float, int, bool) for v in c):
        return acc
    if type(c) is tuple and all(type(v) in (float, int, bool) for v in c):
        return tuple(acc)
    if isinstance(c, dict):
        return {k: like(acc[k], v) for k, v in c.items()}
    if isinstance(c, (list, tuple)):
        items = [like(a, v) for a, v in zip(acc, c)]
        return type(c)(*items) if hasattr(c, "_fields") else type(c)(items)  # a namedtuple
    if isinstance(acc, dict) and hasattr(type(c), "__dataclass_fields__"):
        import dataclasses

        # an instance with these fields, made without running __init__/__post_init__ (a
        # gradient is not a value they were written for); frozen ones too
        out = object.__new__(type(c))
        for f in dataclasses.fields(c):
            object.__setattr__(out, f.name, like(acc[f.name], getattr(c, f.name)))
        return out
    return acc


def zero_gradient(c: Any) -> Any:
    """The gradient with respect to an argument nothing reads: zeros in its structure."""
    if isinstance(c, dict):
        return {k: zero_gradient(v) for k, v in c.items()}
    if hasattr(type(c), "__dataclass_fields__") and not isinstance(c, type):
        import dataclasses

        out = object.__new__(type(c))
        for f in dataclasses.fields(c):
            object.__setattr__(out, f.name, zero_gradient(getattr(c, f.name)))
        return out
    if isinstance(c, (list, tuple)):
        items = [zero_gradient(v) for v in c]
        return type(c)(*items) if hasattr(c, "_fields") else type(c)(items)  # a namedtuple
    if hasattr(c, "shape") and hasattr(c, "dtype"):
        import numpy as np

        return np.zeros(c.shape, np.result_type(c.dtype, 0.0))
    return 0.0


def zero_adjoint(x: Any) -> Any:
    """The adjoint of ``x`` where nothing reaches it: float zeros of an array's shape, 0.0
    for anything else."""
    if hasattr(x, "shape") and hasattr(x, "dtype") and x.shape:
        import numpy as np

        return np.zeros(x.shape, np.result_type(x.dtype, 0.0))
    return 0.0


def merge_adjoints(g: Any, acc: Any, c: Any) -> Any:
    """The sum of two adjoints of ``c``: one of it read whole (an array over its items),
    one of its items (in ``c``'s structure), or a zero (a number); in ``c``'s structure."""
    record = hasattr(type(c), "__dataclass_fields__") and not isinstance(c, type)
    if isinstance(c, (list, tuple, dict)) or record:
        if not hasattr(g, "__len__") and not hasattr(type(g), "__dataclass_fields__"):
            # a zero from a path that did not read c
            return acc if not hasattr(acc, "__len__") else like(acc, c)
        if not hasattr(acc, "__len__") and not hasattr(type(acc), "__dataclass_fields__"):
            acc = zeros_like(c)  # only the whole adjoint: item by item
        if isinstance(c, dict):
            return {k: merge_adjoints(g[k], acc[k], v) for k, v in c.items()}
        if record:
            import dataclasses

            out = object.__new__(type(c))
            for f in dataclasses.fields(c):
                parts = [a[f.name] if isinstance(a, dict) else getattr(a, f.name)
                         for a in (g, acc)]
                object.__setattr__(out, f.name, merge_adjoints(*parts, getattr(c, f.name)))
            return out
        items = [merge_adjoints(a, b, v) for a, b, v in zip(g, acc, c)]
        return type(c)(*items) if hasattr(c, "_fields") else type(c)(items)  # a namedtuple
    return g + acc


def unshared(x: Any, *readers: Any, name: str, op: str, at: str) -> None:
    """Stop where ``name op= ...`` (at ``at``, ``file:line:col``) changes the array ``x`` in
    place while something reads it again (one of ``readers``, or, if none is given, a value
    made from it later): a derivative that gives each assignment a new value cannot follow."""
    import numpy as np

    if isinstance(x, np.ndarray) and (not readers or any(isinstance(r, np.ndarray)
                                                         for r in readers)):
        if op == "[]":
            raise TypeError(f"{at}: `{name}[...] = ...` writes into the array {name} in "
                            "place, and a view of it still reads the old array afterwards; "
                            "the derivative cannot follow that: copy the view (`.copy()`)")
        raise TypeError(f"{at}: `{name} {op}= ...` changes the array {name} in place, and "
                        "something still reads the old array afterwards; the derivative "
                        f"cannot follow that: write `{name} = {name} {op} ...` (a new array) "
                        "or copy the array")


def unpacks(c: Any, n: int | None = None, at_least: int | None = None) -> None:
    """Stop as Python's ``a, b, ... = c`` would (``n`` names) where ``c`` cannot give
    exactly ``n`` values, or ``a, *rest = c`` (``at_least`` names besides ``rest``) where
    it cannot give that many: code that unpacks a value known only at run time reads its
    items one by one after this check."""
    names = n if at_least is None else at_least
    if isinstance(c, dict):
        raise TypeError(f"unpacking a dict into {names} names gives its keys, which s2s_ad "
                        "does not differentiate: unpack list(d.values()) or index the dict")
    try:
        size = len(c)
    except TypeError:
        raise TypeError(f"cannot unpack non-iterable {type(c).__name__} object") from None
    if at_least is not None:
        if size < at_least:
            raise ValueError(f"not enough values to unpack (expected at least {at_least}, "
                             f"got {size})")
        return
    if size > n:
        raise ValueError(f"too many values to unpack (expected {n})")
    if size < n:
        raise ValueError(f"not enough values to unpack (expected {n}, got {size})")


def field(c: Any, key: Any) -> Any:
    """``c[key]`` of a dict or a list, ``c.key`` of a dataclass or a named tuple: a field
    of a gradient's cotangent, read by the key its adjoint was filled by; a number (a zero
    from a path that did not read it) is every item's."""
    if not hasattr(c, "__getitem__") and not hasattr(type(c), "__dataclass_fields__"):
        return c
    if type(key) is str and not isinstance(c, (dict, list)):
        return getattr(c, key)
    return c[key]


def exactly(obj: Any, cls: type) -> None:
    """Stop unless ``obj``'s class is ``cls``: the derivative of ``cls.method`` itself (not
    of a bound method) inlines the other methods of ``cls``, which a subclass may
    override."""
    if type(obj) is not cls:
        raise TypeError(f"this derivative of a function of {cls.__qualname__} inlines the "
                        f"methods of {cls.__qualname__}, and self is a "
                        f"{type(obj).__qualname__}: differentiate the bound method "
                        "(s2s_ad.grad(obj.method)), or the function of its own class")


def full_like(t: Any, x: Any) -> Any:
    """The tangent ``t`` of ``x = a + b`` when only a smaller operand moves (``b - t``):
    spread over ``x``'s shape when ``x`` is an array and ``t`` is not already that shape."""
    if isinstance(x, list) and getattr(t, "ndim", 0):  # an array over the items (the
        return list(t)  # adjoint of np.stack(xs)): by item
    if isinstance(x, (list, dict)) and not isinstance(t, (list, dict)):  # a zero, by item
        return {k: t for k in x} if isinstance(x, dict) else [t] * len(x)
    shape = getattr(x, "shape", ())
    if shape and getattr(t, "shape", ()) != shape:
        import numpy as np

        return np.full(shape, t, np.result_type(x.dtype, 0.0))
    return t


def unbroadcast(g: Any, x: Any) -> Any:
    """``g`` summed down to the shape of ``x``: the cotangent of a broadcast operand.

    Also puts a number cotangent (a zero from a branch) into an array operand's shape.
    """
    shape = getattr(x, "shape", ())
    if getattr(g, "shape", ()) == shape:
        return g[()] if not shape and hasattr(g, "ndim") else g  # a number's: no 0-d array
    import numpy as np

    g = np.asarray(g)
    lead = g.ndim - len(shape)
    if lead < 0:
        return np.broadcast_to(g, shape).copy()
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    return g if shape else g[()]


def split_like(g: Any, xs: Any, axis: Any = 0) -> list:
    """``g``, the cotangent of ``np.concatenate(xs, axis)``, cut into one piece per item,
    each shaped like its item; ``axis="h"`` for ``np.hstack(xs)``, ``"v"`` for
    ``np.vstack(xs)``."""
    import numpy as np

    if axis == "v":
        sizes, axis = [np.atleast_2d(x).shape[0] for x in xs], 0
    else:
        if axis == "h":
            axis = 0 if np.ndim(xs[0]) <= 1 else 1
        sizes = [np.atleast_1d(x).shape[axis] for x in xs]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, xs)]


def tensordot_spec(na: int, nb: int, axes: Any, which: int) -> str:
    """The einsum that gives the cotangent of operand ``which`` of ``np.tensordot(a, b,
    axes)`` (ranks ``na``, ``nb``) from ``g``: ``"<g>,<other operand>-><operand>"``, a
    letter per axis (tensordot contracts a's ``axes[0]`` with b's ``axes[1]``; its result
    has a's other axes, then b's)."""
    import string

    if isinstance(axes, int):
        axes = (tuple(range(na - axes, na)), tuple(range(axes)))
    ax_a, ax_b = (tuple(k % n for k in (ax if isinstance(ax, (tuple, list)) else (ax,)))
                  for ax, n in zip(axes, (na, nb)))
    sa, sb = list(string.ascii_letters[:na]), list(string.ascii_letters[na:na + nb])
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = "".join([c for k, c in enumerate(sa) if k not in ax_a]
                  + [c for k, c in enumerate(sb) if k not in ax_b])
    a, b = "".join(sa), "".join(sb)
    return f"{out},{b}->{a}" if which == 0 else f"{out},{a}->{b}"


def tensordot_vjp(g: Any, a: Any, b: Any, axes: Any, which: int) -> Any:
    """The cotangent of ``a`` (``which=0``) or ``b`` in ``np.tensordot(a, b, axes)``, for
    operands whose ranks are known only at run time."""
    import numpy as np

    spec = tensordot_spec(np.ndim(a), np.ndim(b), axes, which)
    return np.einsum(spec, g, b if which == 0 else a)


def matmul_vjp(g: Any, a: Any, b: Any, which: int) -> Any:
    """The cotangent of ``a`` (``which=0``) or ``b`` in ``a @ b``, for operands of any rank,
    before summing over broadcast batch axes (used when the ranks are unknown when the
    derivative is built)."""
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)  # a list where NumPy takes an array
    if a.ndim == 1 and b.ndim == 1:  # an inner product
        return g * (b if which == 0 else a)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.asarray(g)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    if which == 0:
        d = g2 @ np.swapaxes(b2, -1, -2)
        return d[..., 0, :] if a.ndim == 1 else d
    d = np.swapaxes(a2, -1, -2) @ g2
    return d[..., 0] if b.ndim == 1 else d


def take_vjp(g: Any, x: Any, index: Any, axis: Any) -> Any:
    """The cotangent of ``x`` in ``np.take(x, index, axis)``: ``g`` added where it was read."""
    import numpy as np

    out = np.zeros(np.shape(x), np.result_type(np.asarray(x).dtype, 0.0))
    if axis is None:
        np.add.at(out.reshape(-1), index, g)
    else:
        np.add.at(out, (slice(None),) * (axis % out.ndim) + (index,), g)
    return out


def take_along_axis_vjp(g: Any, x: Any, indices: Any, axis: Any) -> Any:
    """The cotangent of ``x`` in ``np.take_along_axis(x, indices, axis)``: ``g`` added
    where it was read (repeated indices add up)."""
    import numpy as np

    out = np.zeros(np.shape(x), np.result_type(np.asarray(x).dtype, 0.0))
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return out
    g = np.asarray(g)
    axis %= out.ndim
    # every other axis: its own position (0 where x has one entry that was broadcast)
    where = [indices if k == axis else np.arange(n).reshape((1,) * k + (n,)
                                                           + (1,) * (g.ndim - k - 1)) % size
             for k, (n, size) in enumerate(zip(g.shape, out.shape))]
    np.add.at(out, tuple(where), g)
    return out


def diagonal_vjp(g: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The cotangent of ``x`` in ``np.diagonal(x, offset, axis1, axis2)``: ``g`` put back
    on that diagonal, zeros elsewhere."""
    import numpy as np

    out = np.zeros(np.shape(x), np.result_type(np.asarray(x).dtype, 0.0))
    n = np.shape(g)[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, cols] = g  # a view of out
    return out


def tile_vjp(g: Any, x: Any, reps: Any) -> Any:
    """The cotangent of ``x`` in ``np.tile(x, reps)``: the tiles of ``g`` added up."""
    import numpy as np

    shape = np.shape(x)
    reps = tuple(np.atleast_1d(reps).tolist())
    d = max(len(shape), len(reps))
    sizes = (1,) * (d - len(shape)) + tuple(shape)
    counts = (1,) * (d - len(reps)) + reps
    split = [n for pair in zip(counts, sizes) for n in pair]  # (tiles, entries) per axis
    return np.reshape(np.reshape(g, split).sum(axis=tuple(range(0, 2 * d, 2))), shape)


def setitem(x: Any, key: Any, v: Any) -> Any:
    """A copy of the array ``x`` with ``x[key] = v``: the value of ``x[key] = v`` where
    something still reads the old ``x`` (codegen writes in place where nothing does)."""
    y = x.copy()
    y[key] = v
    return y


def index_add(x: Any, key: Any, v: Any) -> Any:
    """A copy of the array ``x`` with ``v`` added at ``x[key]`` (repeated indices add up);
    of a list or a dict (an adjoint), with ``v`` added to its item (``add_at``)."""
    y = x.copy()
    if isinstance(x, (list, dict)):
        if isinstance(y[key], (list, dict)):  # (added into in place: a copy of its own)
            import copy

            y[key] = copy.deepcopy(y[key])
        add_at(y, key, v)
        return y
    import numpy as np

    np.add.at(y, key, v)
    return y


def index_add_item(x: Any, i: Any, v: Any) -> Any:
    """``index_add`` at one integer index (which cannot repeat): what the Numba backend
    compiles in its place (it has no ``np.add.at``)."""
    y = x.copy()
    y[i] += v
    return y


def writable(x: Any, name: str, at: str, sliced: bool = False) -> None:
    """Stop where ``name[...] = ...`` (at ``at``) writes into something other than a NumPy
    array of floats, a list or a dict in code built for arguments of any type: s2s_ad
    differentiates item assignment into those (an int array rounds what is written into
    it), not slice assignment into a list (``sliced``)."""
    import numpy as np

    if isinstance(x, (list, dict)) and not sliced:  # into a copy: the caller's stays as is
        return
    if isinstance(x, list):  # (`xs[a:b] = ys` may change its length)
        raise TypeError(f"{at}: `{name}[a:b] = ...` writes a slice of a list; s2s_ad "
                        "differentiates writing its items one by one (`xs[i] = v`), or a "
                        "slice of a NumPy array of floats")
    if not (isinstance(x, np.ndarray) and x.dtype.kind in "fc"):
        what = f"a {x.dtype} array" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{at}: `{name}[...] = ...` writes into {what}; s2s_ad differentiates "
                        "item assignment into NumPy arrays of floats: make it one with "
                        "np.asarray(..., dtype=float)")


def distinct(index: Any, at: str) -> None:
    """Stop where ``x[index] = v`` (at ``at``) picks an entry twice: NumPy keeps the last
    write, and the derivative of ``v``'s other entries would be wrong."""
    import numpy as np

    for part in index if isinstance(index, tuple) else (index,):
        part = np.asarray(part) if isinstance(part, list) else part
        if (isinstance(part, np.ndarray) and part.dtype.kind in "iu"
                and len(np.unique(part)) < part.size):
            raise ValueError(f"{at}: `x[index] = v` with an index that repeats an entry keeps "
                             "only the last write; s2s_ad does not differentiate that: make "
                             "the index unique, or write `x[index] += v` for np.add.at's sum "
                             "(`np.add.at(x, index, v)`)")


def dict_from(keys: list, values: list) -> dict:
    """``dict(zip(keys, values))``: a dict comprehension's dict (a later key replaces an
    earlier one, as in Python)."""
    return dict(zip(keys, values))


def dict_values(d: Any, keys: list) -> list:
    """The cotangent of a dict comprehension's values from the dict's, ``d``: ``d[k]`` at
    the last position of each key, ``0.0`` where a later equal key replaced the value (it
    never reached the dict) and where ``d`` is a zero."""
    if not isinstance(d, dict):
        return [0.0] * len(keys)
    last = {k: i for i, k in enumerate(keys)}
    return [d[k] if last[k] == i else 0.0 for i, k in enumerate(keys)]


def index_max(xs: Any) -> int:
    """The index of the item ``max(xs)`` returns (the first of equal ones, as Python's)."""
    return max(range(len(xs)), key=xs.__getitem__)


def index_min(xs: Any) -> int:
    """The index of the item ``min(xs)`` returns (the first of equal ones, as Python's)."""
    return min(range(len(xs)), key=xs.__getitem__)


def copy_of(x: Any) -> Any:
    """A copy of ``x`` to write into: an array's, a list's or a dict's (``x.copy()``); a
    number as it is."""
    return x.copy() if isinstance(x, (list, dict)) or hasattr(x, "shape") else x


def copied_adjoint(g: Any, c: Any) -> Any:
    """The adjoint ``g`` of ``list(c)`` or ``tuple(c)`` (a list of its items' adjoints, an
    array over them, or a zero) as ``c``'s: an array for an array's rows, zeros for a
    dict's or a string's (their copy holds keys, characters)."""
    if isinstance(c, (set, frozenset)):
        raise TypeError("cannot differentiate list() or tuple() of a set: its order is the "
                        "items' hashes; use a list")
    if isinstance(c, (list, tuple)):
        return g
    if hasattr(c, "shape") and hasattr(c, "dtype"):
        import numpy as np

        if not hasattr(g, "__len__"):  # a zero
            return g
        return np.asarray(g, dtype=np.result_type(c.dtype, 0.0)).reshape(c.shape)
    return zero_gradient(c)


def copied_tangent(t: Any, as_tuple: bool = False) -> Any:
    """The tangent of ``list(c)`` (``tuple(c)``) from ``c``'s tangent ``t``: the same copy
    of its items, or ``t`` itself where it is a number (a zero, a seed)."""
    if isinstance(t, (list, tuple)) or getattr(t, "ndim", 0):
        return tuple(t) if as_tuple else list(t)
    return t


# --- vmap over tuples, lists, dicts and records: each item carries the batch on axis 0 ---

def batch_of_zeros(c: Any, n: int) -> Any:
    """``zeros_like(c)`` for each of ``n`` examples at once: every number or array in it
    an array of zeros with ``n`` in front of its shape (the adjoint of a structure that
    stays the same across a batch, filled by a batch of cotangents)."""
    import numpy as np

    def batched(z: Any) -> Any:
        if isinstance(z, (dict, list)):  # (zeros_like's containers: filled in place)
            for k in (list(z) if isinstance(z, dict) else range(len(z))):
                z[k] = batched(z[k])
            return z
        return np.zeros((n, *np.shape(z)), np.result_type(z, 0.0))

    return batched(zeros_like(c))


def example_of(c: Any, b: int) -> Any:
    """Example ``b`` of a batch of structures: ``c`` with each number or array replaced by
    its ``b``-th entry along axis 0."""
    if isinstance(c, dict):
        return {k: example_of(v, b) for k, v in c.items()}
    if hasattr(type(c), "__dataclass_fields__") and not isinstance(c, type):
        import dataclasses

        return dataclasses.replace(c, **{f.name: example_of(getattr(c, f.name), b)
                                         for f in dataclasses.fields(c)})
    if isinstance(c, tuple) and hasattr(c, "_fields"):
        return type(c)(*(example_of(v, b) for v in c))
    if isinstance(c, (list, tuple)):
        return type(c)(example_of(v, b) for v in c)
    return c[b]


def stack_examples(items: list) -> Any:
    """The batch of ``items`` (one per example, all of one structure): arrays and numbers
    stacked along a new axis 0, tuples, lists, dicts and records item by item."""
    first = items[0]
    if isinstance(first, dict):
        return {k: stack_examples([item[k] for item in items]) for k in first}
    if hasattr(type(first), "__dataclass_fields__") and not isinstance(first, type):
        import dataclasses

        return dataclasses.replace(first, **{
            f.name: stack_examples([getattr(item, f.name) for item in items])
            for f in dataclasses.fields(first)})
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(stack_examples([item[k] for item in items])
                             for k in range(len(first))))
    if isinstance(first, (list, tuple)):
        return type(first)(stack_examples([item[k] for item in items])
                           for k in range(len(first)))
    import numpy as np

    return np.stack(items, axis=0)
