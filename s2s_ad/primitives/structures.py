"""Tuples, lists and dicts that arrive at run time (arguments): reading them; and the
value of ``u op= v``.

Lists the function builds and appends to in a loop are run-time lists too: ``append``
mutates them, and reverse mode undoes appends in reverse order, so the adjoint of
``xs.append(v)`` is ``dv += dxs.pop()``.

``getitem(c, i)`` is ``c[i]``. Its adjoint goes into ``dc``, a mutable container of zeros
made once per container (``runtime.zeros_like``): ``dc[i] += g`` when ``c[i]`` is a number
(``add_item``), ``runtime.add_at`` when it is itself a container. Reverse mode does that
itself (see ``Reverse.accumulate_item``), so the VJP slot for ``c`` is empty.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..ir.avals import Array, Number
from .registry import (
    AddItem,
    Call,
    EmptyList,
    Field,
    Into,
    Method,
    StoreItem,
    Subscript,
    TupleDisplay,
    Zeros,
    declare,
    defjvp,
    defprim,
    defvjp,
    nondifferentiable,
    views,
)

defprim("getitem", Subscript(), lambda c, i: c[i], doc="c[i]")
# a field of a dataclass or a named tuple: read like an item, its name the key of the
# container adjoint (runtime.zeros_like: a dict of the fields, a FieldList)
defprim("getattr", Field(), builtins.getattr, doc="c.name (a field; name a constant)")
# A list built here and appended to in a loop is mutable: a read of it before an append
# must never be merged with one after it, so reading it has its own, unmergeable primitives.
defprim("list_new", EmptyList(), pure=False, doc="[] (a list the function appends to)")
defprim("append", Method("append"), pure=False, doc="xs.append(v)")
defprim("appended", None, doc="marks where a recomputed body appended; reverse mode pops there")
defprim("reread", None, doc="reread(xs, i, v): v = xs[i] was read here (its value is taped)")
defprim("pushed", None, doc="marks where a recomputed body pushed onto a gradient's tape")
defprim("added", None, doc="marks where a recomputed body added into an adjoint made "
                           "before it (add_item or add_at, in attribute `of`)")
defprim("repop", None, doc="repop(tape, *values): values were popped here (and are taped)")
defprim("getitem_mut", Subscript(), mergeable=False, doc="xs[i] of a list being appended to")
defprim("len_mut", Call(builtins.len, "len"), mergeable=False,
        doc="len(xs) of a list being appended to")
defprim("len", Call(builtins.len, "len"), builtins.len, doc="len(c)")
defprim("keys", Call(builtins.list, "list"), lambda d: list(d), doc="list(d): a dict's keys")
defprim("zeros_like", Call(runtime.zeros_like, "zeros_like"), pure=False,
        doc="a fresh, mutable container of zeros shaped like c")
defprim("zeros_array", Call(np.zeros, "zeros", np), np.zeros, pure=False, mergeable=False,
        doc="np.zeros(shape): the adjoint of an array of known shape, filled in place")
declare("zeros_array", sized_by=(0,))  # (its shape, a constant: a known aval)
defprim("zeros_list", Zeros(), lambda n: [0.0] * n, pure=False, mergeable=False,
        doc="[0.0] * n: the adjoint of a list or tuple of n numbers (an aval Numbers), "
            "filled in place")
# a container adjoint made fresh, then filled in place: impure only for that (its shape is
# known when it is made; nothing else read, it goes with the adds into it)
FRESH_ADJOINTS = frozenset({"zeros_like", "zeros_array", "zeros_list"})
defprim("add_item", AddItem(), pure=False, doc="acc[i] += g for a number g, in place")
defprim("add_at", Call(runtime.add_at, "add_at"), pure=False,
        doc="acc[i] += g for a container of cotangents g, in place")
defprim("like", Call(runtime.like, "like"), doc="acc with c's structure (tuples kept)")
defprim("as_tuple", Call(builtins.tuple, "tuple"), builtins.tuple,
        doc="tuple(acc): like(acc, c) of a tuple c of numbers (an aval Numbers)")
defprim("field", Call(runtime.field, "field"), runtime.field,
        doc="field(c, key): c[key] of a dict, c.key of a dataclass or a named tuple (the "
            "cotangent of a gradient, read where its adjoint was filled by key)")
views("getitem", "getitem_mut", "getattr", "field", "like", "as_tuple")  # (like: acc itself,
# for an array; as_tuple: its rows)
declare("len", "len_mut", int_result=True, kind="number")
defprim("zero_gradient", Call(runtime.zero_gradient, "zero_gradient"),
        doc="zeros in c's structure: the gradient for an argument nothing reads")
defprim("full_like", Call(runtime.full_like, "full_like"),
        doc="full_like(t, x): a number's tangent t spread over the array x (or t itself)")
defprim("zero_adjoint", Call(runtime.zero_adjoint, "zero_adjoint"),
        doc="0.0, or float zeros of an array's shape: an adjoint nothing reached")
declare("zero_adjoint", float_result=True)
defprim("merge_adjoints", Call(runtime.merge_adjoints, "merge_adjoints"),
        doc="merge_adjoints(g, acc, c): c's whole and item adjoints, in c's structure")
defprim("unshared", Call(runtime.unshared, "unshared"), pure=False,
        doc="stop if `u op= ...` would change an array read again (analysis/aliasing.py)")
defprim("unpacks", Call(runtime.unpacks, "unpacks"), pure=False,
        doc="unpacks(c, n): stop unless c unpacks into n values (`a, b = c` of a value "
            "known only at run time reads c[0], c[1] after it); unpacks(c, at_least=n): "
            "unless it holds n or more (`a, *rest = c`)")
defprim("exactly", Call(runtime.exactly, "exactly"), pure=False,
        doc="exactly(obj, cls): stop unless obj's class is cls (code inlined from cls's "
            "methods follows)")
declare("unshared", "unpacks", "exactly", check=True)
defprim("tuple", TupleDisplay(), lambda *items: items,
        doc="(a, b, ...): a tuple built here but indexed or zipped at run time")
declare("getitem", "getitem_mut", "getattr", "field", "len", "len_mut", "keys", "tuple",
        structural=True)
nondifferentiable("len", "keys", "zeros_like", "zeros_list", "add_item", "add_at", "zero_gradient",
                  "list_new", "zero_adjoint", "unshared", "unpacks", "zeros_array",
                  "len_mut", "appended", "reread", "pushed", "repop", "added", "exactly")
# Reverse mode over a gradient (forward mode handles these ops itself: forward.ADJOINT_OPS;
# reverse mode differentiates the in-place adds: Reverse.backward_add_item). `like` and
# `merge_adjoints` are sums of adjoints: the cotangent passes through as it is, which is
# right where the value is a number or an array (a container's adjoint is indexed alike
# whether it is a list or a tuple).


# merge_adjoints(g, acc, c) of a list c: g, the adjoint of c read whole (np.sum(xs)), is an
# array (or a number) over its items, so its part of a cotangent in c's structure is that
# cotangent as an array, summed to g's shape
defvjp("like", lambda e, ct, acc, c: ct, None)
defvjp("as_tuple", lambda e, ct, acc: ct)
defvjp("merge_adjoints",
       lambda e, ct, g, acc, c: ct if c in e.numeric else e.unbroadcast(ct, g),
       lambda e, ct, g, acc, c: ct, None)
defvjp("full_like", lambda e, ct, t, x: e.unbroadcast(ct, t), None)
def _item_tangent(e, dc, c, i, prim="getitem"):
    if e.constants.get(dc, None) == 0:  # a zero tangent: so is every item's
        return None
    if e.scalar(dc) and not e.scalar(c):  # one number for every item (a seed of ones)
        return dc
    return e.emit(prim, dc, i)[0]


defjvp("getitem", _item_tangent, None)
defjvp("getattr", lambda e, dc, c, name: _item_tangent(e, dc, c, name, "getattr"), None)
defjvp("field", lambda e, dc, c, key: _item_tangent(e, dc, c, key, "field"), None)
defjvp("getitem_mut", lambda e, dc, c, i: _item_tangent(e, dc, c, i, "getitem_mut"), None)


# --- `u op= v` (analysis/aliasing.py) ---------------------------------------------------------
# NumPy writes an array's update into u's memory: the value keeps u's layout and dtype.
# The frontend marks each update `updated(u op v, u)`; in code specialized to arrays,
# codegen/updates.py writes it `np.add(u, v, out=np.empty_like(u))`, NumPy's own arithmetic
# into a fresh array laid out like u (u itself is not written), and elsewhere drops it.
defprim("updated", Call(runtime.updated, "updated"), runtime.updated,
        doc="updated(new, old): new (the value of `old op= ...`) in old's layout and dtype")
views("updated")  # (new itself, for a number)
declare("updated", keeps_ints=True, keeps_containers=True, kind="elementwise")
defvjp("updated", lambda e, g, new, old: g, None)
defjvp("updated", lambda e, dx, new, old: dx, None)
UFUNCS = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
          "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul"}
INTO = {base: base + "_into" for base in UFUNCS}


def _into(ufunc):
    return lambda u, v, like: ufunc(u, v, out=np.empty_like(like))


for _base, _ufunc in UFUNCS.items():  # (only in code to run: `.ir` keeps the marks)
    defprim(INTO[_base], Into(_ufunc), _into(getattr(np, _ufunc)),
            doc=f"np.{_ufunc}(u, v, out=np.empty_like(u)): `u` updated, not written")


# --- `x[i] = v` on an array (frontend/lower.py; codegen/writes.py) ----------------------------
# Transforms see item assignment as a new value: `setitem(x, i, v)` is a copy of x with
# x[i] = v, `index_add(x, i, v)` one with v added at i (repeated indices add up), so the
# adjoint of the overwritten part does not flow back and a write is differentiable again.
# Codegen writes them in place where nothing reads the old array afterwards
# (codegen/writes.py: `x[i] = v`, `x[i] += v`), and as a copy and a write elsewhere.
def _setitem(x, i, v):
    y = x.copy()
    y[i] = v
    return y


def _index_add(x, i, v, basic=False):  # (basic: i selects each entry once, see reverse.py)
    return runtime.index_add(x, i, v)


defprim("setitem", Call(runtime.setitem, "setitem"), _setitem,
        doc="setitem(x, i, v): a copy of the array x with x[i] = v (`x[i] = v`; written in "
            "place where nothing reads the old x)")
defprim("index_add", Call(runtime.index_add, "index_add"), _index_add,
        doc="index_add(x, i, v): a copy of the array x with v added at x[i] (repeated "
            "indices add up)")
defprim("store_item", StoreItem(), pure=False,
        doc="the statement x[i] = v, in place (code to run only: codegen/writes.py)")
defprim("writable", Call(runtime.writable, "writable"), pure=False,
        doc="writable(x, name=, at=): stop unless x is an array of floats (`x[i] = v` in code "
            "for arguments of any type; dropped where x's aval shows it is an array)")
defprim("distinct", Call(runtime.distinct, "distinct"), pure=False,
        doc="distinct(i, at=): stop where `x[i] = v` picks an entry twice (an integer array "
            "with repeats): only the last write stays, which the derivative does not follow")
declare("setitem", "index_add", like_first=True)
declare("distinct", check=True)
declare("writable", check=True)
nondifferentiable("store_item", "writable", "distinct")


def dense(e, g, x):
    """``g``, the cotangent or tangent of an array like ``x``, as an array of its shape (a
    zero or a broadcast number is spread, so that items can be written into a copy)."""
    shape = e.array_shape(x)
    if shape is not None and e.array_shape(g) == shape:
        return g
    if shape is not None and e.scalar(g):
        return e.emit("np.broadcast_to", g, e.const(shape))[0]
    # (g itself when it is an array, or a list: x's structure is read only where g is a
    # number, from the result of the loop that writes into x, if one does)
    return e.emit("full_like", g, e.shape_like.get(x, x))[0]


def _repeats(index) -> bool:
    """May the constant ``index`` pick an entry twice (an integer array with repeats)?"""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        part = np.asarray(part) if isinstance(part, list) else part
        if isinstance(part, np.ndarray) and part.dtype.kind in "iu" and (
                len(np.unique(part)) < part.size):
            return True
    return False


def _written(e, g, x, i, v, **attrs):
    """The cotangent of ``v`` in ``x[i] = v`` (or ``+= v``): ``g``'s items at ``i``, summed
    to ``v``'s shape; none where ``x`` holds ints (what is written is rounded)."""
    dtype = e.array_dtype(x)
    if dtype is not None and dtype.kind not in "fc":
        return None
    mask = e.array_dtype(i) is not None and e.array_dtype(i).kind == "b"  # never repeats
    if i not in e.basic and i not in e.names and not mask:  # (a key never repeats)
        # an integer array may repeat an entry: the last write wins
        known = e.constants.get(i)
        if known is not None and _repeats(known):
            raise UnsupportedSyntaxError(
                "cannot differentiate `x[index] = v` with an index that repeats an entry: only "
                "the last write stays", loc=e.loc, stage="while differentiating (reverse mode)",
                hint="make the index unique, or add with np.add.at(x, index, v)")
        if known is None:
            e.emit("distinct", i, at=str(e.loc) if e.loc else "", nouts=0)
    item = e.getitem(dense(e, g, x), i)
    shape = e.array_shape(x)
    if shape and e.scalar(i) and i in e.basic:  # x[t] with an int t: a row, an item
        item.aval = Array(shape[1:], dtype) if len(shape) > 1 else Number(dtype)
        if shape[1:] == (e.array_shape(v) or ()) and (len(shape) > 1 or e.scalar(v)):
            return item  # (v filled the row or item: no sum)
    return e.unbroadcast(item, v)


# y = setitem(x, i, v): x's cotangent is y's with the overwritten items zero; v's is y's
# items at i, summed to v's shape where v was broadcast over them
defvjp("setitem", lambda e, g, x, i, v: e.emit("setitem", dense(e, g, x), i, 0.0)[0], None,
       _written)
defvjp("index_add", lambda e, g, x, i, v, **attrs: g, None, _written)


# A dict comprehension's dict, made at run time from the keys and values its loop appended
# (frontend/desugar.py). Its cotangent is a dict (zeros_like and add_at fill it); the
# values' cotangent reads it at each key (0.0 where a later equal key replaced the value).
# dict_from(keys, .) and dict_values(., keys) are linear and each other's transpose.
defprim("dict_from", Call(runtime.dict_from, "dict_from"), runtime.dict_from, mergeable=False,
        doc="dict(zip(keys, values)): a dict comprehension's dict")
defprim("dict_values", Call(runtime.dict_values, "dict_values"), runtime.dict_values,
        mergeable=False, doc="[d[k] for k in keys] (0.0 where a later key replaced it): the "
                             "cotangent of a dict comprehension's values")


def _values_cotangent(e, g, keys, values):
    """A fresh list, popped item by item where the values were appended."""
    out = e.emit("dict_values", g, keys)[0]
    e.fresh_lists.add(out)
    return out


defvjp("dict_from", None, _values_cotangent)
defjvp("dict_from", None, lambda e, dv, keys, values: e.emit("dict_from", keys, dv)[0])
defvjp("dict_values", lambda e, g, d, keys: e.emit("dict_from", keys, g)[0], None)
defjvp("dict_values", lambda e, dd, d, keys: e.emit("dict_values", dd, keys)[0], None)


def _through_set(e, *_):
    """A set's order is its items' hashes': no derivative can follow a number through it."""
    raise UnsupportedSyntaxError(
        "cannot differentiate through a set of numbers that depend on the inputs (its order "
        "is the numbers' hashes, and equal numbers merge)", loc=e.loc,
        stage="while differentiating", hint="use a list (a list comprehension) for the "
        "numbers; a set of ints or strings, or one used only for `in`, is fine")


# A set comprehension's set (frontend/desugar.py); `x in s` reads it
defprim("set_from", Call(builtins.set, "set"), builtins.set, mergeable=False,
        doc="set(items): a set comprehension's set")
defprim("set_items", Call(builtins.list, "list"), builtins.list,
        doc="list(s): a set's items, in the order Python iterates them")
defvjp("set_from", _through_set)
defjvp("set_from", _through_set)
defvjp("set_items", _through_set)
defjvp("set_items", _through_set)


# max(xs) of one sequence is xs[index_max(xs)]: the index Python's max picks (the first of
# equal items), so the adjoint goes to that item alone (frontend/lower.py: extreme)
defprim("index_max", Call(runtime.index_max, "index_max"), runtime.index_max,
        doc="the index of max(xs)'s item (the first of equal ones)")
defprim("index_min", Call(runtime.index_min, "index_min"), runtime.index_min,
        doc="the index of min(xs)'s item (the first of equal ones)")
nondifferentiable("index_max", "index_min")
declare("index_max", "index_min", int_result=True, kind="number")

# codegen/writes.py: a write into a value that may be a list or a dict goes into a copy
defprim("copy_of", Call(runtime.copy_of, "copy_of"), pure=False, mergeable=False,
        doc="x.copy() of an array, a list or a dict (a number as it is): what a write into "
            "a value of a type known only at run time writes into")
nondifferentiable("copy_of")


# list(xs) and tuple(xs) of a value known only at run time (a list or tuple argument, an
# array's rows): a new container of the same items, so a write into it leaves xs as it
# is. Its adjoint is the copy's, passed back whole in xs's structure (copied_adjoint: an
# array for an array's rows, zeros for a dict's keys); its tangent is the same copy of
# xs's tangent.
defprim("list", Call(builtins.list, "list"), builtins.list, mergeable=False,
        doc="list(xs): a new list of the items of xs (a value known only at run time)")
defprim("tuple_of", Call(builtins.tuple, "tuple"), builtins.tuple,
        doc="tuple(xs): a tuple of the items of xs (a value known only at run time)")
declare("list", "tuple_of", structural=True)
defprim("copied_adjoint", Call(runtime.copied_adjoint, "copied_adjoint"),
        runtime.copied_adjoint, doc="copied_adjoint(g, xs): the adjoint g of list(xs) as "
        "xs's (an array for an array's rows)")
defprim("copied_tangent", Call(runtime.copied_tangent, "copied_tangent"),
        runtime.copied_tangent, doc="copied_tangent(t, as_tuple=): the tangent of list(xs) "
        "(tuple(xs)) from xs's tangent t")


def _copy_tangent(e, dxs, xs, as_tuple=False):
    if e.constants.get(dxs, None) == 0 or e.scalar(dxs):  # a zero, or a seed: every item's
        return dxs
    return e.emit("copied_tangent", dxs, **({"as_tuple": True} if as_tuple else {}))[0]


defvjp("list", lambda e, g, xs: e.emit("copied_adjoint", g, xs)[0])
defvjp("tuple_of", lambda e, g, xs: e.emit("copied_adjoint", g, xs)[0])
defjvp("list", _copy_tangent)
defjvp("tuple_of", lambda e, dxs, xs: _copy_tangent(e, dxs, xs, as_tuple=True))
# (linear in the adjoint or tangent, which passes through: the structures add up alike)
defvjp("copied_adjoint", lambda e, ct, g, xs: ct, None)
defjvp("copied_adjoint", lambda e, dg, g, xs: e.emit("copied_adjoint", dg, xs)[0], None)
defvjp("copied_tangent", lambda e, ct, t, **attrs: ct)
declare("list", "tuple_of", "copied_adjoint", "copied_tangent", "like", "merge_adjoints",
        "full_like", container_like=True)
# (a copy holds xs's items: an array's rows are views of it; the adjoint of those rows, an
# array made from them, may be one; codegen/writes.py knows a new list is written into
# without touching its items)
views("list", "tuple_of", "copied_adjoint", "copied_tangent")
defjvp("copied_tangent", lambda e, dt, t, **attrs: e.emit("copied_tangent", dt, **attrs)[0])
# vmap (transforms/batch.py) of a function whose argument or result is a tuple, list, dict
# or record: each of its numbers and arrays carries the batch on axis 0
defprim("batch_of_zeros", Call(runtime.batch_of_zeros, "batch_of_zeros"), pure=False,
        mergeable=False, doc="batch_of_zeros(c, n): zeros_like(c) for n examples at once")
defprim("example_of", Call(runtime.example_of, "example_of"), runtime.example_of,
        doc="example_of(c, b): example b of a batch of structures")
defprim("stack_examples", Call(runtime.stack_examples, "stack_examples"),
        runtime.stack_examples, doc="stack_examples(items): the batch of one structure per "
        "example, item by item")
nondifferentiable("batch_of_zeros", "example_of", "stack_examples")
views("example_of")  # (each item of it a view of the batch's)
defprim("range", Call(builtins.range, "range"), builtins.range,
        doc="range(start, stop, step): the items of reversed(range(...)) in a loop that may "
            "break (read from the last)")
nondifferentiable("range")
