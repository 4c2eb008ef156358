"""Batching (``vmap``): a function of one example rewritten to take a batch of them.

Every value of the batched function either is the same for every example (unbatched) or
carries the batch on its leading axis. Which is which is decided first, for the whole
function (``_batched_values``: a value computed from a batched one is batched; a list, a
tape or an adjoint that a batched value is written into is batched, and so is everything
read from it; a loop's carried value is batched in every step if it is in one). Then each
op is emitted by its primitive's batching rule (``Primitive.batch``,
primitives/batching.py): ``np.sin(x)`` stays ``np.sin(x)``, ``np.sum(x)`` becomes
``np.sum(x, axis=(1, 2))``, ``W @ x`` becomes ``x @ W.T``. The code is specialized to the
shapes of one example (``example``), which every rule may ask (``Batcher.shape``).

An op no rule covers, an ``if`` whose condition differs across the batch, a loop whose
trip count does, runs once per example in a loop of the generated code (``fallback``),
its results stacked: slower, never wrong. Where even that cannot be done op by op (the op
pushes onto a gradient's tape, or its result's shape is not known when the code is
built), the whole function runs once per example (``whole``); where its results are not
numbers or arrays, that is a located error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..analysis.fields import fields_of, is_record, is_structure, read_constant
from ..analysis.kinds import infer
from ..errors import DifferentiationError
from ..ir import verify
from ..ir.avals import Array, Aval, Number, Tuple, Unknown, shape_of
from ..ir.builder import Emitter
from ..ir.clone import clone_ops
from ..ir.core import LOOPS, Function, Op, Region, Value, const_value, walk
from ..primitives import get

# ops that change their first operand in place: it is batched when what goes in is
_WRITES_INTO = frozenset({"add_item", "add_at", "append", "push", "store_item"})
# what these make is zeros, and stays zeros (an adjoint made by zeros_array is filled in
# place: not one of them): a batch of them is np.zeros
_ZEROS = frozenset({"np.zeros_like", "np.zeros"})
# what these read of a batched value is the same for every example (its shape, its length)
_SHAPE_QUERIES = frozenset({"np.shape", "np.size", "np.ndim", ".shape", ".size", ".ndim",
                            ".dtype", "len"})


def batch(fn: Function, axes: Sequence[int | None], out_axes: int | None,
          example: Sequence[Any], name: str, size: int | None = None) -> Function:
    """``fn`` over a batch: parameter ``k`` carries the batch on axis ``axes[k]`` (``None``:
    the same for every example), each result on ``out_axes`` (``None``: results must not
    differ across the batch). ``example`` is one example's arguments; ``size`` the batch
    size where it is known when the code is built (else read from an argument)."""
    avals = infer(fn, list(example))
    batched = _batched_values(fn, {p for p, a in zip(fn.params, axes) if a is not None})
    params = [Value(p.hint, p.user) for p in fn.params]
    b = Batcher(Emitter(Region(list(params))), avals, batched,
                {out: op for op in walk(fn.body) for out in op.outs},
                _structures(fn, example))
    with b.e.at(None):
        first = None  # a batched array the batch size is read from
        for p, new, axis, one in zip(fn.params, params, axes, example):
            if axis is None:
                b.env[p] = new
                continue
            # (a tuple, list, dict or record carries the batch on axis 0 of each item)
            structure = is_structure(one)
            moved = new if axis == 0 or structure else b.e.emit(
                "np.moveaxis", new, source=axis, destination=0, hint=new.hint)[0]
            b.env[p] = moved
            if first is None or isinstance(first, tuple):
                first = (moved, one) if structure else moved
        if first is None:
            raise DifferentiationError(f"vmap of {fn.name!r}: no argument is batched",
                                       hint="give in_axes an axis for at least one argument")
        if isinstance(first, tuple):
            first = _first_item(b.e, *first)
        b.size = (b.e.const(size) if size is not None else
                  b.e.getitem(b.e.emit(".shape", first)[0], b.e.const(0), hint="batch"))
    prologue = len(b.e.region.ops)
    try:
        b.process(fn.body.ops)
    except DifferentiationError:
        if out_axes is None or any(isinstance(b.avals.get(v, v.aval), Tuple)
                                   for v in fn.body.results):
            raise
        # what cannot be batched op by op (an `if` on a value that differs across the batch,
        # around a tape of a gradient): the whole function once per example
        del b.e.region.ops[prologue:]
        b.whole(fn, [p for p, a in zip(fn.params, axes) if a is not None])
    b.write_avals(size)
    results = []
    for v in fn.body.results:
        if out_axes is None:
            if v in batched:
                raise DifferentiationError(
                    f"vmap of {fn.name!r} with out_axes=None: a result differs across the "
                    "batch", hint="give out_axes an axis")
            results.append(b.env.get(v, v))
            continue
        if b.structure(v) and (v not in batched or out_axes != 0):
            raise DifferentiationError(
                f"vmap of {fn.name!r}: a result is a tuple, list or dict "
                + ("the same for every example" if v not in batched else
                   f"and out_axes is {out_axes}"),
                hint="vmap batches such a result on axis 0 of each item, where it differs "
                     "across the batch: return its items separately, or use out_axes=0")
        out = b.bcast(v) if v in batched or b.shape(v) is not None else b.repeat(v)
        if out_axes != 0:
            out = b.e.emit("np.moveaxis", out, source=0, destination=out_axes)[0]
        if not out.hint:
            out.hint = v.hint or "out"
        results.append(out)
    body = Region(list(params), b.e.region.ops, results)
    out = Function(name, params, fn.kinds, body, fn.out_tree, fn.defaults, fn.kwdefaults,
                   fn.file, fn.globals_ns, fn.numbers)
    if verify.ENABLED:
        verify.verify(out, "after vmap")
    return out


def _first_item(e: Emitter, x: Value, example: Any) -> Value:
    """The first array inside the structure ``x`` (``example``: one example of it)."""
    while is_structure(example):
        if isinstance(example, dict):
            key, example = next(iter(example.items()))
            x = e.getitem(x, e.const(key))
        elif is_record(example):
            name = fields_of(example)[0]
            x, example = e.emit("getattr", x, e.const(name))[0], getattr(example, name)
        else:
            x, example = e.getitem(x, e.const(0)), example[0]
    return x


def _structures(fn: Function, example: Sequence[Any]) -> dict[Value, Any]:
    """The values of ``fn`` known to be tuples, lists, dicts or records (each with one
    example of it): the arguments that are, their items read by a constant key, and the
    adjoints and copies made like them."""
    known = {p: one for p, one in zip(fn.params, example) if is_structure(one)}
    if not known:
        return known
    constants: dict[Value, Any] = {}
    for op in walk(fn.body):
        if op.prim == "const":
            constants[op.out] = const_value(op)
        elif op.prim in ("getitem", "getattr") and op.args[0] in known and (
                op.args[1] in constants):
            try:
                key = constants[op.args[1]]
                base = known[op.args[0]]
                item = read_constant(op.prim, base, key)
            except Exception:  # noqa: BLE001 -- not read this way at run time: nothing known
                continue
            if is_structure(item):
                known[op.out] = item
        elif op.prim in ("zeros_like", "like", "copy_of") and op.args[-1] in known:
            known[op.out] = known[op.args[-1]]  # (like(acc, c): c's structure)
    return known


def _batched_values(fn: Function, params: set[Value]) -> set[Value]:
    """The values of ``fn`` that differ across the batch when ``params`` do (a fixpoint:
    a write into a list makes what was read of it before batched too)."""
    batched = set(params)
    while True:
        size = len(batched)
        for op in walk(fn.body):
            if op.prim in _SHAPE_QUERIES:
                continue
            if op.prim in _WRITES_INTO:
                if any(a in batched for a in op.args[1:]):
                    batched.add(op.args[0])
                elif op.args[0] in batched:
                    batched.update(op.outs)
                continue
            if op.prim in LOOPS:
                _loop_slots(op, batched)
            elif op.prim == "if":
                if op.args[0] in batched:
                    batched.update(op.outs)
                for k, out in enumerate(op.outs):
                    if any(r.results[k] in batched for r in op.regions):
                        batched.add(out)
            elif any(a in batched for a in op.args):
                batched.update(op.outs)
        if len(batched) == size:
            return batched


def _loop_slots(op: Op, batched: set[Value]) -> None:
    """A carried value is batched in every step if it is in one (its start, a step's
    result, after the loop); a loop whose trip count differs runs per example."""
    if _loop_differs(op, batched):
        batched.update(op.outs)
    n = len(op.outs)
    for k in range(n):
        carried = [op.outs[k], *(r.params[len(r.params) - n + k] for r in op.regions)]
        if any(v in batched for v in (op.inits[k], op.nexts[k], *carried)):
            # (not the start or the next value themselves: they are broadcast where they
            # are not batched; a list started outside and written into inside cannot be,
            # and the whole function then runs per example)
            batched.update(carried)


def _loop_differs(op: Op, batched: set[Value]) -> bool:
    """Does the loop's trip count differ across the batch (its bounds, its condition, a
    ``break``)?"""
    if any(v in batched for v in op.bounds):
        return True
    if op.prim == "while" and op.regions[0].results[0] in batched:
        return True
    return any(v in batched for v in op.body.results[len(op.outs):])


class Batcher:
    """Emits the batched ops; ``env`` maps each value of the function to its batched
    version (batch on axis 0 where the value is in ``batched``)."""

    def __init__(self, e: Emitter, avals: dict[Value, Aval], batched: set[Value],
                 defs: dict[Value, Op], structures: dict[Value, Any]) -> None:
        self.e = e
        self.defs = defs
        self.structures = structures
        self.avals = avals
        self.batched = batched
        self.env: dict[Value, Value] = {}
        self.consts: dict[Value, Any] = {}  # the function's constants, by value
        self.size: Value = Value("batch")  # the batch size, read from a batched argument

    # --- what a rule asks --------------------------------------------------------------

    def arg(self, v: Value) -> Value:
        """``v``'s value in the batched function."""
        return self.env.get(v, v)

    def is_batched(self, v: Value) -> bool:
        return v in self.batched

    def shape(self, v: Value) -> tuple[int, ...] | None:
        """``v``'s shape for one example (``()`` for a number), when known."""
        return shape_of(self.avals.get(v, v.aval))

    def rank(self, v: Value) -> int | None:
        shape = self.shape(v)
        return None if shape is None else len(shape)

    def structure(self, v: Value) -> bool:
        """Is ``v`` known to be a tuple, list, dict or record (batched: each of its numbers
        and arrays carries the batch on axis 0)?"""
        return v in self.structures

    def numeric(self, v: Value) -> bool:
        """Is ``v`` known to be a number or an array (not a container)?"""
        return isinstance(self.avals.get(v, v.aval), (Number, Array))

    def made_by(self, v: Value) -> Op | None:
        """The op of the function that computes ``v`` (None for a parameter)."""
        return self.defs.get(v)

    def constant(self, v: Value) -> Any:
        """``v``'s value where it is a constant of the function, else ``None``."""
        return self.consts.get(v)

    # --- what a rule builds ------------------------------------------------------------

    def bcast(self, v: Value) -> Value:
        """``v`` batched: as it is, or the same value for every example (a read-only view)."""
        if v in self.batched:
            return self.env[v]
        shape = self.shape(v)
        if shape is None:
            raise self.refuse(None, f"a value of unknown shape ({v.hint or 'unnamed'}) "
                                    "would have to be repeated over the batch")
        size = self.e.emit("tuple", self.size, *[self.e.const(n) for n in shape])[0]
        made = self.made_by(v)
        constant = self.consts.get(v)
        if (made is not None and made.prim in _ZEROS
                or isinstance(constant, (int, float)) and constant == 0):
            return self.e.emit("np.zeros", size, hint=v.hint)[0]  # a zero tangent's
        return self.e.emit("np.broadcast_to", self.arg(v), size, hint=v.hint)[0]

    def repeat(self, v: Value) -> Value:
        """A result the same for every example, of a shape known only when the code runs:
        repeated over the batch (a read-only view)."""
        e = self.e
        size = e.add(e.emit("tuple", self.size)[0], e.emit("np.shape", self.arg(v))[0])
        return e.emit("np.broadcast_to", self.arg(v), size, hint=v.hint)[0]

    def expand(self, v: Value, rank: int) -> Value:
        """Batched ``v`` with axes of length 1 after the batch, to ``rank`` axes besides it:
        NumPy then lines its axes up with an unbatched operand of that rank."""
        have = self.rank(v)
        x = self.bcast(v)
        if have is None or have >= rank:
            return x
        return self.e.emit("np.expand_dims", x, axis=tuple(range(1, 1 + rank - have)))[0]

    def refuse(self, op: Op | None, what: str) -> DifferentiationError:
        return DifferentiationError(f"vmap cannot batch {what}", loc=op.loc if op else None,
                                    hint="move it out of the batched function, or loop over "
                                         "the examples in Python")

    # --- the walk ----------------------------------------------------------------------

    def process(self, ops: list[Op]) -> None:
        for op in ops:
            with self.e.at(op.loc):
                self.one(op)

    def one(self, op: Op) -> None:
        if op.prim == "const":
            new = self.e.const(op.attrs[0][1], hint=op.out.hint)
            self.consts[op.out] = op.attrs[0][1]
            self.env[op.out] = new
            return
        if op.prim == "if":
            if op.args[0] in self.batched:
                self.fallback(op)
            else:
                self.branches(op)
            return
        if op.prim in LOOPS:
            if _loop_differs(op, self.batched):
                self.fallback(op)
            else:
                self.loop(op)
            return
        batched_args = any(a in self.batched for a in op.args)
        if op.prim in _SHAPE_QUERIES and batched_args:
            self.shape_query(op)
            return
        if not batched_args and not any(o in self.batched for o in op.outs):
            self.copy(op)
            return
        rule = get(op.prim).batch
        outs = None if rule is None else rule(self, op)
        if outs is None:
            self.fallback(op)
            return
        for old, new in zip(op.outs, outs):
            if not new.hint:
                new.hint = old.hint
            self.env[old] = new

    def copy(self, op: Op) -> None:
        """``op`` as it is, on the batched function's values."""
        outs = tuple(Value(o.hint, o.user) for o in op.outs)
        self.e.region.ops.append(Op(op.prim, tuple(self.arg(a) for a in op.args), outs,
                                    op.attrs, (), op.loc))
        self.env.update(zip(op.outs, outs))

    def same(self, op: Op, *args: Value, **attrs: Any) -> tuple[Value, ...]:
        """``op``'s primitive on ``args`` (default: its operands, batched where they are)."""
        operands = args or tuple(self.arg(a) for a in op.args)
        return self.e.emit(op.prim, *operands, nouts=len(op.outs),
                           **(attrs or dict(op.attrs)))

    def shape_query(self, op: Op) -> None:
        """``x.shape`` of a batched ``x`` is one example's: a constant."""
        x = op.args[0]
        shape = self.shape(x)
        if shape is None or not self.numeric(x):
            if op.prim == "len" and not self.numeric(x):  # a list's length: not batched
                self.copy(op)
                return
            raise self.refuse(op, f"{op.prim} of a value whose shape is not known")
        value = {"np.shape": shape, ".shape": shape, "np.size": int(np.prod(shape)),
                 ".size": int(np.prod(shape)), "np.ndim": len(shape), ".ndim": len(shape),
                 "len": shape[0] if shape else None}.get(op.prim)
        if value is None:
            if op.prim == ".dtype":
                self.e.region.ops.append(Op(".dtype", (self.arg(x),), (Value(op.out.hint),)))
                self.env[op.out] = self.e.region.ops[-1].out
                return
            raise self.refuse(op, "len() of a number")
        self.env[op.out] = self.e.const(value, hint=op.out.hint)

    def branches(self, op: Op) -> None:
        """An ``if`` whose condition is the same for every example: both branches batched,
        a result batched in one branch is broadcast in the other."""
        regions = []
        for region in op.regions:
            new = Region([])
            with self.e.into(new):
                self.process(region.ops)
                new.results = [self.bcast(v) if out in self.batched else self.arg(v)
                               for v, out in zip(region.results, op.outs)]
            regions.append(new)
        outs = tuple(Value(o.hint, o.user) for o in op.outs)
        self.e.region.ops.append(Op("if", (self.arg(op.args[0]),), outs, op.attrs,
                                    tuple(regions), op.loc))
        self.env.update(zip(op.outs, outs))

    def loop(self, op: Op) -> None:
        """A loop whose trip count is the same for every example; a carried value batched
        in one step starts batched."""
        n = len(op.outs)
        inits = [self.bcast(v) if out in self.batched else self.arg(v)
                 for v, out in zip(op.inits, op.outs)]
        regions = []
        for region in op.regions:
            params = [Value(p.hint, p.user) for p in region.params]
            self.env.update(zip(region.params, params))
            new = Region(params)
            with self.e.into(new):
                self.process(region.ops)
                results = []
                for k, v in enumerate(region.results):
                    carried = region is op.body and k < n
                    results.append(self.bcast(v) if carried and op.outs[k] in self.batched
                                   else self.arg(v))
                new.results = results
            regions.append(new)
        outs = tuple(Value(o.hint, o.user) for o in op.outs)
        args = tuple(self.arg(a) for a in op.bounds) + tuple(inits)
        self.e.region.ops.append(Op(op.prim, args, outs, op.attrs, tuple(regions), op.loc))
        self.env.update(zip(op.outs, outs))

    def write_avals(self, size: int | None) -> None:
        """Give the batched function's values what is known of them (later passes ask):
        an unbatched value's aval, a batched one's with the batch in front where its size
        is known."""
        for old, new in self.env.items():
            aval = self.avals.get(old)
            if not isinstance(aval, (Number, Array)) or not isinstance(new.aval, Unknown):
                continue
            if old not in self.batched:
                new.aval = aval
            elif size is not None:
                new.aval = Array((size, *(shape_of(aval) or ())), aval.dtype)

    def whole(self, fn: Function, batched: list[Value]) -> None:
        """``fn``'s body once per example, in a loop; its results stacked. ``batched``:
        the parameters that carry the batch."""
        e = self.e
        stacks = [e.emit("list_new", hint=v.hint + "s" if v.hint else "")[0]
                  for v in fn.body.results]
        k = Value("b")
        body = Region([k])
        with e.into(body):
            mapping = {p: self.example(p, k) if p in batched else self.env[p]
                       for p in fn.params}
            body.ops.extend(clone_ops(fn.body.ops, mapping))
            for stack, v in zip(stacks, fn.body.results):
                e.emit("append", stack, mapping.get(v, v), nouts=0)
        e.region.ops.append(Op("for_range", (e.const(0), self.size, e.const(1)), (), (),
                               (body,)))
        self.batched.update(fn.body.results)
        for v, stack in zip(fn.body.results, stacks):
            self.env[v] = self.stacked(v, stack)

    def example(self, v: Value, k: Value) -> Value:
        """Example ``k`` of the batched ``v``."""
        if self.structure(v):
            return self.e.emit("example_of", self.env[v], k, hint=v.hint)[0]
        return self.e.getitem(self.env[v], k, hint=v.hint)

    def stacked(self, v: Value, stack: Value) -> Value:
        """The batch of ``v``, from the list of its examples ``stack``."""
        if self.numeric(v):
            return self.e.emit("np.stack_items", stack, axis=0, hint=v.hint)[0]
        # (a tuple, list, dict or record, or a value known only at run time)
        return self.e.emit("stack_examples", stack, hint=v.hint)[0]

    def fallback(self, op: Op) -> None:
        """``op`` once per example, in a loop; its results stacked along the batch."""
        for out in op.outs:
            if isinstance(self.avals.get(out, out.aval), Unknown):
                raise self.refuse(op, f"{_what(op)}: the shape of its result is not known "
                                      "when the code is built (it comes from a list built in "
                                      "a loop, or from behind a boolean mask)")
            if not self.numeric(out):
                raise self.refuse(op, f"{_what(op)}, whose result is a tuple, list or dict, "
                                      "where it differs across the batch")
        inside = _defined_inside(op)
        free = [a for a in _reads(op) if a not in inside]
        writes = op.prim in ("add_item", "add_at", "store_item")  # into x[b], a view of x
        if not writes and not all(get(o.prim).pure or get(o.prim).check  # (checks: per example)
                                  for o in [op, *_nested(op)]):
            raise self.refuse(op, f"{_what(op)} that changes a list or a tape, where it "
                                  "differs across the batch")
        for v in free:
            if v in self.batched and not self.numeric(v) and not self.structure(v):
                raise self.refuse(op, f"{_what(op)} reading a tuple, list or dict that "
                                      "differs across the batch")
        e = self.e
        stacks = [e.emit("list_new", hint=o.hint + "s" if o.hint else "")[0] for o in op.outs]
        k = Value("b")
        body = Region([k])
        with e.into(body):
            mapping = {v: self.example(v, k) if v in self.batched else self.arg(v)
                       for v in free}
            (copied,) = clone_ops([op], mapping)
            body.ops.append(copied)
            for stack, out in zip(stacks, copied.outs):
                e.emit("append", stack, out, nouts=0)
        e.region.ops.append(Op("for_range", (e.const(0), self.size, e.const(1)), (), (),
                               (body,), op.loc))
        for old, stack in zip(op.outs, stacks):
            self.env[old] = e.emit("np.stack_items", stack, axis=0, hint=old.hint)[0]


def _nested(op: Op) -> list[Op]:
    return [inner for region in op.regions for inner in walk(region)]


def _defined_inside(op: Op) -> set[Value]:
    inside: set[Value] = set()
    for region in op.regions:
        inside.update(region.params)
        for inner in walk(region):
            inside.update(inner.outs)
            for r in inner.regions:
                inside.update(r.params)
    return inside


def _reads(op: Op) -> list[Value]:
    """Every value ``op`` and the ops in its regions read, in order, once each."""
    seen: dict[Value, None] = dict.fromkeys(op.args)
    for region in op.regions:
        for inner in walk(region):
            seen.update(dict.fromkeys(inner.args))
        seen.update(dict.fromkeys(region.results))
        for inner in walk(region):
            for r in inner.regions:
                seen.update(dict.fromkeys(r.results))
    return list(seen)


def _what(op: Op) -> str:
    return {"if": "an `if`", "for_range": "a `for` loop", "while": "a `while` loop"}.get(
        op.prim, f"{op.prim!r}")
