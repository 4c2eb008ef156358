"""``x[i] = v`` in the code that runs: in place where nothing reads the old array.

Transforms see item assignment as a new value: ``setitem(x, i, v)`` is a copy of ``x``
with ``x[i] = v``, ``index_add(x, i, v)`` one with ``v`` added at ``i``. That keeps every
transform and pass simple and a write differentiable again. Here, just before codegen,
each becomes the statement ``x[i] = v`` (``x[i] += v``, or ``np.add.at`` for an index that
may repeat entries) on ``x`` itself when that cannot be seen:

- ``x`` is the program's own array: every value that may share its memory (views, what a
  branch or a loop passes it through as) comes from an op that makes a fresh array, never
  from an argument or a constant of the code (a loop that writes into the array it
  carries gets a copy of such a start value, or of a read-only broadcast, once, before
  the loop);
- nothing that may share its memory is read after the write: later in program order, in
  a later step of a loop around the write (for values from outside it), or on a tape or
  a list (read by the backward sweep). A view read after the write (a row of ``h`` that
  the tape keeps) becomes a copy of its own where it is taken, which is cheaper than
  copying ``x``.

Elsewhere the write goes into a copy, ``x.copy()``. The values read from ``x`` before an
in-place write are pinned to variables of their own (``Function.pinned``), so codegen does
not write their expressions in after the write.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..analysis.aliasing import (
    _after,
    _carry_sharing,
    _in_order,
    _inside,
    _Place,
    _result_reads,
)
from ..analysis.kinds import prove
from ..ir.avals import Array, Number
from ..ir.core import LOOPS, Function, Op, Region, Value, const_value, walk
from ..optimize.rewrite import rewrite
from ..primitives import get

_ANYWHERE = _Place(-1)
WRITES = frozenset({"setitem", "index_add"})
# ops whose result never shares an operand's memory though their facts alone do not say
_FRESH = frozenset({"zeros_array", "zeros_like", "zeros_list", "np.copy", "copy_of", "setitem",
                    "index_add", "zero_adjoint", "zero_gradient"})
# a new list of its operand's items (list(xs)): a write into it replaces an item, and never
# writes into the memory the items share with the operand's
_NEW_LIST = frozenset({"list"})
_SHARING = frozenset({"select", "max", "min", "np.add.at"})  # one of the operands itself
# never written into: a constant of the code, a read-only broadcast, what a tape gives back
_BORROWED = frozenset({"const", "np.broadcast_to", "pop", "repop"})
_ESCAPES = frozenset({"push", "pushed", "append", "appended", "list_new"})
# reads of an array's shape, type or dtype only: all operands, or those positions
_SHAPE_ONLY: dict[str, object] = {
    **dict.fromkeys((".shape", "np.shape", ".ndim", "np.ndim", ".size", "np.size", ".dtype",
                     "len", "writable", "zeros_like", "zero_adjoint", "zero_gradient",
                     "np.zeros_like", "np.ones_like"), "all"),
    "unbroadcast": (1,), "full_like": (1,), "like": (1,), "merge_adjoints": (2,)}


def settle_writes(fn: Function) -> Function:
    """``fn`` with its ``setitem``/``index_add`` ops written as the code that runs them:
    in place where that cannot be seen, into a copy elsewhere (see the module docstring);
    and an adjoint's ``dx[i] += g`` into a slot still zero as ``dx[i] = g`` (``first_writes``)."""
    fn = first_writes(fn)
    if not any(op.prim in WRITES for op in walk(fn.body)):
        return fn
    graph = _Graph(fn)
    in_place: set[Value] = set()  # the results of the writes done in place
    copies: set[Value] = set()  # views that become copies of their own
    pinned: set[Value] = set()
    for op, _, place in graph.order:
        if op.prim not in WRITES:
            continue
        x = op.args[0]
        aliases = graph.aliases(x, place)
        readers = {a for a in aliases if graph.read_after(a, place)}
        roots = {r: graph.taken_by_indexing(r, aliases) for r in readers}
        views = {root for root in roots.values() if root is not None}
        if None not in roots.values() and all(graph.fresh(a) for a in aliases):
            in_place.add(op.out)
            for r in views:
                copies.add(r)
                graph.cut(r)
            pinned.update(graph.readers_before(aliases - views, place))
            # (x and op.out are one array now; nothing that shared x's memory is read
            # after this write, so a later write into op.out need not look at them)
    settled = _rewrite(fn, in_place, copies, graph.starts)
    return replace(settled, pinned=frozenset(pinned))


def first_writes(fn: Function) -> Function:
    """``dx[i] += g`` as ``dx[i] = g`` where the slot is still zero: ``dx`` is a fresh
    adjoint of zeros (``zeros_list``, ``zeros_array``) made in the region of a loop
    ``for i in range(a, n, s)`` (``a >= 0``, ``s > 0``, either direction: each ``i`` once,
    none negative) that adds ``g`` at its own ``i`` once a step, in its body's top level,
    and nothing else writes into ``dx``. The sum ``0.0 + g`` is ``g`` but for the sign of a
    zero; so that the slot's type is too, a list's ``g`` must be a float (a number, by its
    aval or proven, and proven inexact), where an array's store converts it. Saves an item
    read and an add a step."""
    adds: dict[Value, list[Op]] = {}  # adjoint -> the ops that may change it
    made: dict[Value, Op] = {}
    consts: dict[Value, Any] = {}
    for op in walk(fn.body):
        if op.prim in ("zeros_list", "zeros_array"):
            made[op.out] = op
        elif op.prim == "const":
            consts[op.out] = const_value(op)
        elif not get(op.prim).pure:
            for a in op.args:
                adds.setdefault(a, []).append(op)
    once: set[int] = set()  # ids of the add_item ops to write as stores
    numbers: set[Value] = set()
    floats: set[Value] | None = None
    for region in _regions(fn.body):
        here = {out for op in region.ops for out in op.outs if out in made}
        for loop in region.ops:
            if loop.prim != "for_range" or not here:
                continue
            start, _, step = loop.bounds
            if not (_count(consts.get(start), 0) and _count(consts.get(step), 1)):
                continue
            for op in loop.body.ops:
                if (op.prim != "add_item" or op.args[0] not in here or op.args[1] is not loop.index
                        or adds.get(op.args[0]) != [op]):
                    continue
                g = op.args[2]
                if made[op.args[0]].prim == "zeros_list":
                    if floats is None:
                        facts = prove(fn)
                        numbers, floats = facts.numbers, facts.inexact
                    if g not in floats or not (g in numbers or isinstance(g.aval, Number)):
                        continue
                once.add(id(op))
    if not once:
        return fn
    return rewrite(fn, lambda op, subst: replace(op, prim="store_item") if id(op) in once
                   else op)


def _count(value: Any, least: int) -> bool:
    """Is ``value`` an int constant of at least ``least``?"""
    return type(value) is int and value >= least


def _regions(region: Region) -> Iterator[Region]:
    stack = [region]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(r for op in current.ops for r in op.regions)


def _rewrite(fn: Function, in_place: set[Value], copies: set[Value],
             starts: dict[Value, set[Value]]) -> Function:
    def visit(op: Op, subst: dict[Value, Value]) -> Op | Value | list[Op] | None:
        if op.prim == "writable" and isinstance(op.args[0].aval, Array):
            return None  # (an array there: no check)
        if op.prim in WRITES:
            x, index, v = op.args
            out: list[Op] = []
            if op.out not in in_place:
                target = Value(op.out.hint or x.hint)
                out.append(Op(_copy(x), (x,), (target,), (), (), op.loc))
                x = target
            # (into a value that may be a list: add_at, which never adds into an item in
            # place, an array another list may hold too)
            prim = ("store_item" if op.prim == "setitem" else
                    "add_item" if (op.attr("basic") or _basic(index)) and isinstance(
                        x.aval, (Array, Number)) else "add_at")
            out.append(Op(prim, (x, index, v), (), (), (), op.loc))
            subst[op.out] = x
            return out
        if op.outs and op.outs[0] in starts:  # a loop writing into a copy of its start
            out, args = [], list(op.args)
            for j, a in enumerate(args):
                if a in starts[op.outs[0]]:
                    start = Value(a.hint)
                    out.append(Op(_copy(a), (a,), (start,), (), (), op.loc))
                    args[j] = start
            return [*out, replace(op, args=tuple(args))]
        if len(op.outs) == 1 and op.out in copies:
            view = Value(op.out.hint)
            return [replace(op, outs=(view,)), Op(_copy(op.out), (view,), (op.out,), (), (),
                                                   op.loc)]
        return op

    return rewrite(fn, visit)


def _copy(x: Value) -> str:
    """``np.copy(x)`` of an array; ``copy_of(x)`` of a value that may be a list or a dict."""
    return "np.copy" if isinstance(x.aval, (Array, Number)) else "copy_of"


def _basic(index: Value) -> bool:
    """Does ``index`` pick each entry at most once (an int), so that ``x[i] += v`` adds
    each of ``v``'s entries?"""
    aval = index.aval
    return isinstance(aval, Number) and aval.dtype is not None and aval.dtype.kind in "iu"


class _Graph:
    """Program order, reads, and which values may share memory (``aliases``)."""

    def __init__(self, fn: Function) -> None:
        self.order = list(_in_order(fn.body))
        self.defs: dict[Value, Op] = {}
        self.defined: dict[Value, _Place] = {p: _Place(-1) for p in fn.params}
        self.params = set(fn.params)
        self.edges: dict[Value, list[tuple[Value, _Place]]] = {}
        self.reads: dict[Value, list[_Place]] = {}
        self.readers: dict[Value, list[tuple[_Place, Op]]] = {}  # the ops that read each
        # loop (its first result) -> the starts it gets a copy of: an argument, a constant,
        # a read-only broadcast (a seed of ones), what a tape gives back
        self.starts: dict[Value, set[Value]] = {}
        borrowed = {v for op in walk(fn.body) if op.prim in _BORROWED for v in op.outs}
        self.numbers = {op.out for op in walk(fn.body) if op.prim == "const"
                        and type(const_value(op)) in (int, float, bool, complex)}
        # (and a start that a tape or a list keeps: one copy before the loop, not one per
        # write in it, as for the value a loop nested in another loop starts from)
        kept = {a for op in walk(fn.body) if op.prim in _ESCAPES for a in op.args[1:]}
        for op, _, _ in self.order:
            if op.prim in LOOPS and op.outs:
                written = {w.args[0] for w in walk(op.body) if w.prim in WRITES}
                copied = {a for a, c in zip(op.inits, op.carried()) if c in written and (
                    a in self.params or a in borrowed or a in kept)}
                if copied:
                    self.starts[op.outs[0]] = copied
        for op, _, place in self.order:
            for v in op.outs:
                self.defs[v], self.defined[v] = op, place
            for k, region in enumerate(op.regions):
                for v in region.params:
                    self.defined[v] = _inside(op, k, place)
            for a, b, where in _sharing(op, place, self.starts):
                self.link(a, b, where)
            escapes = op.prim in _ESCAPES
            shape_only = _SHAPE_ONLY.get(op.prim, ())
            for k, a in enumerate(op.args):
                self.readers.setdefault(a, []).append((place, op))
                if shape_only == "all" or k in shape_only:  # type: ignore[operator]
                    continue  # (a write leaves its shape as it is)
                self.reads.setdefault(a, []).append(_Place(float("inf")) if escapes else place)
        for v, where in _result_reads(fn.body, self.order):
            self.reads.setdefault(v, []).append(where)
        _carry_sharing(self.order, self.edges)

    def link(self, a: Value, b: Value, where: _Place = _ANYWHERE) -> None:
        if a in self.numbers or b in self.numbers:  # (a Python number shares no memory)
            return
        self.edges.setdefault(a, []).append((b, where))
        self.edges.setdefault(b, []).append((a, where))

    def cut(self, v: Value) -> None:
        """``v`` becomes a copy: it shares nothing with the value it was taken from."""
        base = self.defs[v].args[0]
        self.edges[v] = [(b, w) for b, w in self.edges.get(v, []) if b is not base]
        self.edges[base] = [(b, w) for b, w in self.edges.get(base, []) if b is not v]

    def taken_by_indexing(self, v: Value, aliases: set[Value]) -> Value | None:
        """The item or slice ``x[i]`` of one of ``aliases`` that ``v`` is (a view of), which
        can become a copy of its own; ``None`` if ``v`` is not one."""
        while v in self.defs:
            op = self.defs[v]
            if op.prim in ("getitem", "getitem_mut") and op.args[0] in aliases:
                return v
            if not (get(op.prim).view and op.args):
                return None
            v = op.args[0]
        return None

    def aliases(self, x: Value, here: _Place) -> set[Value]:
        found, stack = {x}, [x]
        while stack:
            for other, where in self.edges.get(stack.pop(), ()):
                if other not in found and not where.exclusive(here):
                    found.add(other)
                    stack.append(other)
        return found

    def fresh(self, v: Value) -> bool:
        """Is ``v`` the program's own: made fresh, or made from values that are (a view,
        a branch's or a loop's value: those are among the aliases too)?"""
        if v in self.params:
            return False
        op = self.defs.get(v)
        if op is not None and op.prim in LOOPS and op.outs:
            # a loop may run no step: what comes out is then its start, which may be
            # borrowed (an argument, a read-only broadcast), unless the loop copies it
            k = op.outs.index(v)
            start = op.inits[k]
            return start in self.starts.get(op.outs[0], ()) or self.fresh(start)
        return op is None or op.prim not in _BORROWED

    def read_after(self, v: Value, here: _Place) -> bool:
        source = self.defined.get(v, _Place(-1))
        return any(_after(read, here, source) for read in self.reads.get(v, ()))

    def readers_before(self, aliases: set[Value], here: _Place) -> set[Value]:
        """Results of the ops that read ``aliases`` before ``here`` (kept in variables)."""
        return {out for a in aliases for place, op in self.readers.get(a, ())
                if place.at < here.at for out in op.outs}


def _makes_fresh(op: Op) -> bool:
    prim = get(op.prim)
    if op.prim in _FRESH or op.prim in _NEW_LIST:
        return True
    if prim.view or op.prim in _SHARING or not op.outs:
        return False
    return bool(prim.array_op or prim.kind in ("elementwise", "reduction", "number")
                or prim.broadcasts or prim.int_result or prim.float_result)


def _sharing(op: Op, place: _Place, starts: dict[Value, set[Value]]
             ) -> Iterator[tuple[Value, Value, _Place]]:
    """``(a, b, where)``: ``op`` may make ``a`` and ``b`` share memory: any op not known to
    make a fresh result (a view, a tuple, an op of the user's rules), what goes into a
    branch or a loop and what comes out."""
    if op.prim in LOOPS:
        copied = starts.get(op.outs[0], set()) if op.outs else set()
        for region in op.regions:
            yield from ((a, b, place) for a, b in zip(op.inits, op.carried(region))
                        if a not in copied)
        yield from ((a, b, place) for a, b in zip(op.body.results, op.outs))
    elif op.regions:
        for k, region in enumerate(op.regions):
            branch = _inside(op, k, place)
            yield from ((a, b, branch) for a, b in zip(region.results, op.outs))
    elif op.prim in _NEW_LIST:
        return
    elif get(op.prim).view and op.args:  # (its first operand's memory, the registry says)
        yield from ((op.args[0], out, place) for out in op.outs
                    if not isinstance(out.aval, Number))  # (an item that is a number: a copy)
    elif not _makes_fresh(op) and op.prim not in WRITES:
        shape_only = _SHAPE_ONLY.get(op.prim, ())
        yield from ((a, out, place) for k, a in enumerate(op.args) if shape_only != "all"
                    and k not in shape_only for out in op.outs)
