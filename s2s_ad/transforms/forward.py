"""Forward mode: every active value gets a tangent computed right beside it.

This is seed 001's dual-number construction done on the program text: ``y = x1 * x2``
gains ``dy = dx1 * x2 + x1 * dx2``. An ``if`` yields the tangents of its results too, and
a loop carries the tangents of its carried values. The result is an ordinary
``Function`` returning ``(value, tangent)``, which the optimizer simplifies and the
transforms accept again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..analysis.activity import vary
from ..analysis.aliasing import drop_checks
from ..analysis.kinds import assign, infer, is_array_op, known, track_numbers
from ..errors import NoDerivativeRuleError
from ..ir import verify
from ..ir.builder import Emitter
from ..ir.clone import clone_ops
from ..ir.core import LOOPS, Function, Op, Region, Value, walk
from ..ir.names import Namer
from ..primitives import get
from ..primitives.registry import no_rule_hint, rules_for
from ..primitives.structures import dense
from .trees import shift_tree, trailing_kind


def jvp(fn: Function, wrt: Sequence[int], *, seeds: Sequence[Any] | None = None,
        name: str | None = None, suffix: str = "",
        example: Sequence[Any] | None = None) -> Function:
    """The Jacobian-vector product of ``fn`` along tangents of the parameters ``wrt``.

    With ``seeds=None`` the result takes one tangent parameter per ``wrt`` entry (after the
    original parameters; keyword-only when ``fn`` has defaults), else the tangents are those
    constants (``None``: zero). It returns ``(value, tangent)``, the tangent shaped like the
    value. ``suffix`` is appended to tangent names (a Jacobian column's input: ``_dy``).
    ``example`` specializes the code to arguments like it (see ``kinds.infer``).
    """
    mapping = {p: Value(p.hint) for p in fn.params}
    params = [mapping[p] for p in fn.params]
    ops = clone_ops(fn.body.ops, mapping)
    # a parameter whose seed is None has no tangent: what only it moves has none either
    varied = {params[i] for k, i in enumerate(wrt) if seeds is None or seeds[k] is not None}
    vary(Region(params, ops), varied)
    sweep = _Forward(Emitter(Region(list(params))), varied, suffix)
    sweep.e.note_constants(Region(params, ops))
    sweep.numpy = any(is_array_op(op.prim) for op in walk(Region(params, ops)))
    clone = Function(fn.name, params, fn.kinds, Region(params, ops, []), fn.out_tree,
                     numbers=fn.numbers)
    avals = infer(clone, example)
    assign(avals)
    if example is not None:
        drop_checks(clone.body, known(avals))
    track_numbers(sweep.e)  # a number seed's tangents stay numbers (never indexed)
    namer = Namer(reserved={p.hint for p in params})
    new_params: list[Value] = []
    for k, i in enumerate(wrt):
        p = params[i]
        if seeds is None:
            t = Value(namer.fresh("d" + p.hint))
            new_params.append(t)
        elif seeds[k] is None:
            continue
        else:
            t = sweep.e.const(seeds[k])
        if not sweep.e.scalar(t):  # a tangent is shaped like its parameter (a seed: a number)
            sweep.e.share_kind(t, p)
        sweep.add_tangent(p, t)
    sweep.written = _written(Region(params, ops))
    sweep.process(ops)
    e = sweep.e

    values = [mapping.get(v, v) for v in fn.body.results]
    tangents = [sweep.tangent.get(v) or _zero(e, v) for v in values]
    for v, t in zip(values, tangents):  # results read `return y, dy` (`out, dout` unnamed)
        if not v.hint and v not in params:
            v.hint = "out"
        if not t.hint:
            t.hint = sweep.name(v)
    tree = (fn.out_tree, shift_tree(fn.out_tree, len(values)))
    kinds = list(fn.kinds)
    params.extend(new_params)
    if new_params:
        kinds.extend([trailing_kind(fn, "tangent")] * len(new_params))
    body = Region(list(params), e.region.ops, values + tangents)
    result = Function(name or fn.name, params, kinds, body, tree, fn.defaults, fn.kwdefaults,
                      fn.file, fn.globals_ns, fn.numbers)
    if verify.ENABLED:
        verify.verify(result, "after forward mode")
    return result


# what reverse mode builds the adjoint of a container or an indexed array with: a fresh
# container of zeros, filled in place (``dc[i] += g``), then read whole. Each is linear in
# what it adds, so its tangent is the same op on the tangents (see ``_Forward.adjoint_op``)
ADJOINT_OPS = frozenset({"zeros_like", "zeros_array", "zeros_list", "add_item", "add_at",
                         "like", "as_tuple", "merge_adjoints", "full_like"})


class _Forward:
    def __init__(self, e: Emitter, varied: set[Value], suffix: str = "") -> None:
        self.e = e
        self.varied = varied
        self.suffix = suffix  # "_dy" in a Jacobian column: tangents read `dx_dy`
        self.written: set[Value] = set()  # what `x[i] = v` writes into (see _written)
        self.tuples: set[Value] = set()  # tuples built here (run-time tuples: "tuple" ops)
        self.tangent: dict[Value, Value] = {}
        self.tape_tangents: dict[Value, list[bool]] = {}  # tape -> which pushed items have one
        self.numpy = False  # does the function use NumPy (so a value may be an array)?

    def name(self, v: Value) -> str:
        """The tangent's name hint: ``dx`` for ``x`` (``dx_dy`` in the column for ``y``)."""
        return "d" + v.hint + self.suffix if v.hint else ""

    def add_tangent(self, x: Value, t: Value) -> None:
        self.tangent[x] = self.e.add(self.tangent[x], t) if x in self.tangent else t

    def process(self, ops: list[Op]) -> None:
        """Emit ``ops`` into the current region, each followed by its tangent."""
        for op in ops:
            if op.prim == "if":
                self.branches(op)
            elif op.prim in LOOPS:
                self.loop(op)
            elif op.prim in ("push", "pop"):
                self.tape_op(op)
                self.e.region.ops.append(op)
                if op.prim == "pop" and op.args[0] in self.tangent:  # an item of dxs, popped
                    self.tangent[op.out] = self.e.emit("pop", self.tangent[op.args[0]],
                                                       hint=self.name(op.out))[0]
            elif op.prim == "tuple":
                self.e.region.ops.append(op)
                self.tuples.add(op.out)
                if any(a in self.tangent for a in op.args):
                    self.tangent[op.out] = self.e.emit(
                        "tuple", *(self.tangent.get(a) or self.zero(a) for a in op.args),
                        hint=self.name(op.out))[0]
            elif op.prim in ("setitem", "index_add"):
                self.e.region.ops.append(op)
                self.write_op(op)
            elif op.prim in ("list_new", "append", "list"):
                self.e.region.ops.append(op)
                self.list_op(op)
            elif op.prim in ADJOINT_OPS:
                self.e.region.ops.append(op)
                self.adjoint_op(op)
            else:
                self.e.region.ops.append(op)
                self.op_tangent(op)

    def op_tangent(self, op: Op) -> None:
        if not any(a in self.tangent for a in op.args):
            return
        prim = get(op.prim)
        if not prim.differentiable:
            return
        if prim.jvp is None:
            raise NoDerivativeRuleError(f"no JVP rule for the primitive {op.prim!r}",
                                        loc=op.loc, hint=no_rule_hint(op.prim, "defjvp"),
                                        stage="while differentiating (forward mode)")
        attrs = dict(op.attrs)
        moving = [a in self.tangent for a in op.args]
        if prim.joins and sum(moving) > 1:  # np.stack((dx, dy)), not two stacks added
            with self.e.at(op.loc):
                pieces = [self.tangent[a] if m else self.e.emit("np.zeros_like", a)[0]
                          for a, m in zip(op.args, moving)]
                self.tangent[op.out] = self.e.emit(op.prim, *pieces, hint=self.name(op.out),
                                                   **attrs)[0]
            return
        total: Value | None = None
        with self.e.at(op.loc):
            for x, rule in zip(op.args, rules_for(prim.jvp, len(op.args))):
                if rule is not None and x in self.tangent:
                    part = rule(self.e, self.tangent[x], *op.args, **attrs)
                    if part is None:  # the result does not depend on x's values
                        continue
                    shape = self.e.array_shape(op.out)
                    if (prim.broadcasts and shape is not None and self.e.array_shape(x) != shape
                            and not prim.tangent_spans_result):
                        # x was broadcast: so is its tangent (`a + b`'s is `da` otherwise)
                        part = self.e.emit("np.broadcast_to", part, self.e.const(shape))[0]
                    total = part if total is None else self.e.add(total, part)
            if (total is not None and op.prim in ("add", "sub") and self.numpy
                    and self.e.ndim(op.out) is None):
                # shape-generic code: `b - t`'s tangent is `-dt`, a number, when only t
                # moves, but `b - t` may be an array and its tangent must be one too
                total = self.e.emit("full_like", total, op.out)[0]
        if total is not None:
            if not total.hint and op.out.hint:
                total.hint = self.name(op.out)
            self.tangent[op.out] = total

    def zero(self, v: Value) -> Value:
        """A zero tangent for ``v``: of its structure (``zeros_like``) where ``x[i] = v``
        writes into ``v`` and it may be a list or a dict, or ``v`` is a tuple built here;
        else as ``_zero``."""
        e = self.e
        if v in self.tuples or (v in self.written and v not in e.numeric and (
                e.array_dtype(v) is None) and not e.scalar(v)):  # (a tuple built here: items)
            return e.emit("zeros_like", v, hint=self.name(v))[0]
        return _zero(e, v)

    def write_op(self, op: Op) -> None:
        """``x[i] = v`` (``+= v``): the tangent is ``x``'s tangent with ``v``'s written (added)
        at ``i``: zeros for an ``x`` nothing varies."""
        x, index, v = op.args
        if x not in self.tangent and v not in self.tangent:
            return
        e = self.e
        dtype = e.array_dtype(x)
        if dtype is not None and dtype.kind not in "fc":  # ints: what is written is rounded
            return
        with e.at(op.loc):
            tx = self.tangent.get(x) or self.zero(x)
            tv = self.tangent.get(v)
            if tv is None and op.prim == "index_add":
                self.tangent[op.out] = tx
                return
            self.tangent[op.out] = e.emit(op.prim, dense(e, tx, x), index,
                                          e.const(0.0) if tv is None else tv,
                                          hint=self.name(op.out), **dict(op.attrs))[0]

    def adjoint_op(self, op: Op) -> None:
        """A container adjoint that a varying value is added into gets a tangent container
        beside it, filled in the same places: ``dc[i] += g`` gains ``tdc[i] += tg``."""
        e, tangent = self.e, self.tangent
        with e.at(op.loc):
            if op.prim in ("zeros_like", "zeros_array", "zeros_list"):
                if op.out in self.varied:
                    tangent[op.out] = e.emit(op.prim, *op.args, hint=self.name(op.out),
                                             **dict(op.attrs))[0]
            elif op.prim in ("add_item", "add_at"):
                acc, key, g = op.args
                if acc in tangent and g in tangent:
                    e.emit(op.prim, tangent[acc], key, tangent[g], nouts=0)
            elif op.prim in ("like", "full_like", "as_tuple"):  # like(acc, c), full_like(t, x)
                if op.args[0] in tangent:
                    tangent[op.out] = e.emit(op.prim, tangent[op.args[0]], *op.args[1:],
                                             hint=self.name(op.out))[0]
            elif op.args[0] in tangent or op.args[1] in tangent:  # merge_adjoints(g, acc, c)
                g, acc, c = op.args
                tangent[op.out] = e.emit("merge_adjoints", tangent.get(g) or e.const(0.0),
                                         tangent.get(acc) or e.const(0.0), c,
                                         hint=self.name(op.out))[0]

    def list_op(self, op: Op) -> None:
        """A list that grows gets a list of tangents growing beside it."""
        if op.prim == "list_new":
            if op.out in self.varied:
                self.tangent[op.out] = self.e.emit("list_new", hint=self.name(op.out))[0]
            return
        if op.prim == "list":  # list(xs): its tangent, or zeros to append tangents to
            if op.args[0] in self.tangent:
                self.op_tangent(op)
            elif op.out in self.varied:
                self.tangent[op.out] = self.e.emit("zeros_like", op.out,
                                                   hint=self.name(op.out))[0]
            return
        xs, v = op.args
        if xs in self.tangent:
            # an item nothing varies: zeros of its shape (the list may be read as an array)
            self.e.emit("append", self.tangent[xs], self.tangent.get(v) or _zero(self.e, v),
                        nouts=0)

    def tape_op(self, op: Op) -> None:
        """A tape entry carries the tangents of its values, so the pop gets them back."""
        tape = op.args[0]
        if op.prim == "push":
            items = op.args[1:]
            has = [v in self.tangent for v in items]
            if any(has):
                self.tape_tangents[tape] = has
                op.args = (*op.args, *(self.tangent[v] for v, h in zip(items, has) if h))
            return
        has = self.tape_tangents.get(tape)
        if has:
            extra = tuple(Value(self.name(v)) for v, h in zip(op.outs, has)
                          if h)
            for v, t in zip([v for v, h in zip(op.outs, has) if h], extra):
                self.tangent[v] = t
            op.outs = (*op.outs, *extra)

    def region(self, region: Region, params: list[Value]) -> Region:
        new = Region(params)
        with self.e.into(new):
            self.process(region.ops)
        new.results = list(region.results)
        return new

    def branches(self, op: Op) -> None:
        regions = [self.region(r, r.params) for r in op.regions]
        outs = list(op.outs)
        for k, out in enumerate(op.outs):
            if any(r.results[k] in self.tangent for r in regions):
                for r in regions:
                    with self.e.into(r):
                        result = r.results[k]
                        r.results.append(self.tangent.get(result) or self.zero(result))
                t = Value(self.name(out))
                outs.append(t)
                self.tangent[out] = t
        op.regions, op.outs = tuple(regions), tuple(outs)
        self.e.region.ops.append(op)

    def loop(self, op: Op) -> None:
        """The loop carries, beside each varying carried value, its tangent."""
        n = len(op.outs)
        body, carried, inits = op.body, op.carried(), op.inits
        slots = [k for k in range(n) if carried[k] in self.varied]
        tangent_params = [Value(self.name(carried[k])) for k in slots]
        for k, t in zip(slots, tangent_params):
            self.tangent[carried[k]] = t
        regions = []
        for region in op.regions:
            params = list(region.params)
            if region is not body:  # a while condition: its own copies of the carried values
                extra = [Value(t.hint) for t in tangent_params]
                params += extra
            else:
                params += tangent_params
            new = self.region(region, params)
            if region is body:
                with self.e.into(new):
                    nexts = [self.tangent.get(new.results[k]) or self.zero(new.results[k])
                             for k in slots]
                new.results[n:n] = nexts  # before the `broke` flag
            regions.append(new)
        with self.e.at(op.loc):
            tangent_inits = [self.tangent.get(inits[k]) or self.zero(inits[k]) for k in slots]
        outs = [Value(self.name(op.outs[k])) for k in slots]
        for k, t in zip(slots, outs):
            self.tangent[op.outs[k]] = t
        op.args = (*op.args, *tangent_inits)
        op.outs = (*op.outs, *outs)
        op.regions = tuple(regions)
        self.e.region.ops.append(op)


def _written(region: Region) -> set[Value]:
    """The values ``x[i] = v`` writes into, and the start values of loops that carry them."""
    out = {op.args[0] for op in walk(region) if op.prim in ("setitem", "index_add")}
    loops = [op for op in walk(region) if op.prim in LOOPS]
    changed = bool(out and loops)
    while changed:
        changed = False
        for op in loops:
            for carried, init in zip(op.carried(), op.inits):
                if carried in out and init not in out:
                    out.add(init)
                    changed = True
    return out  # (a branch yields x or its write: x is here, and the write has a tangent)


def _zero(e: Emitter, v: Value) -> Value:
    """The tangent of a result nothing varies: zeros of its shape (``zero_adjoint(v)`` when
    ``v`` may be an array of a shape not known yet: rules like ``v[i]`` need one)."""
    shape = e.array_shape(v)
    if shape is not None:
        return e.emit("np.zeros", e.const(shape))[0]
    if isinstance(e.constants.get(v), tuple):  # a constant row: zeros of its shape
        return e.emit("np.zeros", e.const(np.shape(e.constants[v])))[0]
    return e.const(0.0) if e.scalar(v) else e.emit("zero_adjoint", v)[0]
