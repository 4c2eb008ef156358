"""Reverse mode: a forward sweep, then a backward sweep that builds adjoints as IR.

Adjoints are created on first write and added to after that -- never zero-initialised.
Rules come from the registry and build IR through the emitter, so the result is an
ordinary ``Function``: the optimizer simplifies it and the transforms accept it again.

Control flow (see ``tape.py`` for loops): the backward sweep of an ``if`` is an ``if`` on
the same condition, which recomputes the branch that was taken and runs its backward
sweep; results are the adjoints of the outer values the branch read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..analysis.activity import MUTATIONS, active_values
from ..analysis.aliasing import drop_checks
from ..analysis.kinds import Facts, analyze, arrays, assign, known, mapped, track_numbers
from ..errors import NoDerivativeRuleError, UnsupportedSyntaxError
from ..ir import verify
from ..ir.avals import Numbers, shape_of, with_shape
from ..ir.builder import Emitter
from ..ir.clone import clone_ops
from ..ir.core import LOOPS, Function, Op, Region, Value, walk
from ..ir.names import Namer
from ..primitives import get
from ..primitives.registry import no_rule_hint, pure_op, rules_for
from ..primitives.structures import dense
from .shapes import sum_to, track
from .tape import backward_loop
from .trees import FieldKey, trailing_kind, tree_paths

# what changes a container or a stack in place, with the markers a body run again backward
# leaves in their place (`Reverse.recompute`): a branch or loop holding one has a backward
# sweep even where no result of it carries a derivative
_MUTATING = frozenset({*MUTATIONS, "appended", "added", "pushed", "pop", "repop"})
# reads of an item or a field (``c[i]``, ``p.w``): the adjoint goes into ``dc[i]``/``dc["w"]``
_ITEM_READS = frozenset({"getitem", "getitem_mut", "getattr", "field"})


ONES = "ones"  # a seed: ones shaped like each result (a number: 1.0)


def vjp(fn: Function, wrt: Sequence[int], *, seed: Any = None, keep_value: bool = False,
        single: bool = True, name: str | None = None,
        example: Sequence[Any] | None = None, facts: Facts | None = None) -> Function:
    """The vector-Jacobian product of ``fn`` with respect to parameters ``wrt``.

    With ``seed=None`` the result takes one cotangent parameter after the original
    parameters, with ``fn``'s output structure (a tuple for a tuple result); otherwise
    every cotangent is the constant ``seed`` (``1.0`` makes a gradient; ``ONES``: ones
    shaped like the result, ``np.ones_like``), or, for a list, leaf ``i``'s cotangent is
    ``seed[i]`` (``None``: zero). It returns the gradients (one,
    or a tuple when ``single`` is false), preceded by the original value when
    ``keep_value``. With ``example`` (arguments like those of the calls it is for: see
    ``kinds.infer``) the code is specialized to their shapes; ``facts``:
    ``analyze(fn, example)``, where the caller has them.
    """
    clone, e = _specialized_copy(fn, example, facts)
    params, results = clone.params, clone.body.results
    wrt_params = [params[i] for i in wrt]
    e.shape_like = _written_in_loops(clone.body, e)
    sweep = Reverse(e, active_values(clone, wrt_params))
    cotangents = _seed(sweep, fn, results, seed)
    sweep.backward(e.region.ops, len(e.region.ops))

    final = _Final(sweep, clone)
    grads = []
    for i, p in zip(wrt, wrt_params):
        g = final.gradient(p)
        if example is not None and _is_integer(example[i]):
            g = e.float(g, hint="d" + p.hint)  # an int argument: a float derivative
        grads.append(g)
    leaves: list[Value] = list(results) if keep_value else []
    grad_tree: Any = len(leaves) if single else tuple(range(len(leaves), len(leaves) + len(grads)))
    leaves.extend(grads)
    tree = (fn.out_tree, grad_tree) if keep_value else grad_tree

    params, kinds = list(params), list(fn.kinds)
    if seed is None:
        params.extend(cotangents)
        kinds.extend([trailing_kind(fn, "cotangent")] * len(cotangents))
    body = Region(list(params), e.region.ops, leaves)
    result = Function(name or fn.name, params, kinds, body, tree, fn.defaults, fn.kwdefaults,
                      fn.file, fn.globals_ns, fn.numbers)
    if verify.ENABLED:
        verify.verify(result, "after reverse mode")
    return result


def _specialized_copy(fn: Function, example: Sequence[Any] | None,
                      known_facts: Facts | None = None) -> tuple[Function, Emitter]:
    """A copy of ``fn`` whose values carry the avals of arguments like ``example``, and the
    emitter that extends its body with the backward sweep (tracking the avals of what the
    rules build). ``known_facts``: ``analyze(fn, example)``, if the caller has them."""
    mapping = {p: Value(p.hint) for p in fn.params}
    params = [mapping[p] for p in fn.params]
    forward = clone_ops(fn.body.ops, mapping)
    results = [mapping.get(v, v) for v in fn.body.results]
    clone = Function(fn.name, params, fn.kinds, Region(params, forward, results), fn.out_tree,
                     numbers=fn.numbers)
    e = Emitter(Region(list(params), forward))
    e.note_constants(clone.body)
    # (the copy's facts are fn's, on the copy's values: no second analysis)
    facts = analyze(clone, example) if known_facts is None else mapped(known_facts, mapping)
    avals = facts.avals
    assign(avals)
    if example is not None:
        drop_checks(clone.body, known(avals))
    e.basic, e.numeric = facts.basic, facts.numeric
    if arrays(avals):  # arrays: follow their shapes through the rules
        track(e)
    else:
        track_numbers(e)
    return clone, e


def _written_in_loops(region: Region, e: Emitter) -> dict[Value, Value]:
    """Each value that may be a list or a dict and that a loop writes items into, inside
    that loop (the versions a write makes, the loop's carried value, a branch's), mapped to
    the loop's result: a list's length and a dict's keys there are the version's (or a
    dict's keys more). Reverse mode reads the structure of an adjoint from that result,
    which the loop need not tape, and adds an item's adjoint into the list's whole adjoint
    in place (``Reverse.accumulate_item``): a write costs O(1), not a copy of the list.
    Not for a list appended to in the loop (its length changes)."""
    out: dict[Value, Value] = {}
    for loop in walk(region):  # (outer loops first: their result wins)
        if loop.prim not in LOOPS or not loop.outs:
            continue
        inner = list(walk(loop.body))
        grown = {op.args[0] for op in inner if op.prim in ("append", "appended")}
        for k, carried in enumerate(loop.carried()):
            if carried in e.numeric or e.array_dtype(carried) is not None or e.scalar(carried):
                continue
            family, changed = {carried}, True
            while changed:  # the versions: writes into it, branches and loops that pass it on
                changed = False
                for op in inner:
                    new: list[Value] = []
                    if op.prim in ("setitem", "index_add") and op.args[0] in family:
                        new = [op.out]
                    elif op.prim in LOOPS:
                        new = [o for a, c, o in zip(op.inits, op.carried(), op.outs)
                               if a in family for o in (c, o)]
                    elif op.prim == "if":
                        new = [o for r in op.regions for v, o in zip(r.results, op.outs)
                               if v in family]
                    if any(v not in family for v in new):
                        family.update(new)
                        changed = True
            written = any(op.prim in ("setitem", "index_add") and op.args[0] in family
                          for op in inner)
            if written and loop.body.results[k] in family and not family & grown:
                for v in family:
                    out.setdefault(v, loop.outs[k])
    return out


def _seed(sweep: Reverse, fn: Function, results: list[Value], seed: Any) -> list[Value]:
    """Seed the results' adjoints; return the cotangent parameters (none for a constant
    ``seed``), named after the results (``dy``), unique among the parameters."""
    e = sweep.e
    namer = Namer(reserved=set(fn.param_names))
    cotangents: list[Value] = []
    per_leaf = list(seed) if isinstance(seed, (list, tuple)) else [seed] * len(results)
    labels = [(fn.result_names[k] if k < len(fn.result_names) and fn.result_names[k] else
               v.hint) or "out" for k, v in enumerate(fn.body.results)]
    if seed is None and not isinstance(fn.out_tree, int):
        # one cotangent with the result's structure (a tuple for a tuple), as in JAX
        whole = Value(namer.fresh("dout"))
        cotangents.append(whole)
        for path, k in tree_paths(fn.out_tree):
            ct = whole
            for key in path:  # (a record's field: `dout.a`)
                ct = e.emit("getattr" if isinstance(key, FieldKey) else "getitem", ct,
                            e.const(str(key) if isinstance(key, FieldKey) else key))[0]
            ct.hint = namer.fresh("d" + labels[k])
            e.share_kind(ct, results[k])  # a cotangent is shaped like its result
            sweep.seed(results[k], ct)
        per_leaf = []
    for leaf, leaf_seed, label in zip(results, per_leaf, labels):
        if seed is None:
            ct = Value(namer.fresh("d" + label))
            cotangents.append(ct)
            e.share_kind(ct, leaf)  # a cotangent is shaped like its result
        elif leaf_seed is None:
            continue  # a zero cotangent: this result contributes nothing
        elif isinstance(leaf_seed, str) and leaf_seed == ONES:  # (elementwise_grad)
            shape = e.array_shape(leaf)  # (known: a broadcast 1.0, which rules see through)
            ct = (e.const(1.0) if e.scalar(leaf) else
                  e.emit("np.broadcast_to", 1.0, e.const(shape))[0] if shape is not None else
                  e.emit("np.ones_like", leaf, hint="d" + label, dtype=float)[0])
        else:
            ct = e.const(leaf_seed)
        sweep.seed(leaf, ct)
    return cotangents


class _Final:
    """After the backward sweep: each ``wrt`` parameter's gradient as the caller gets it."""

    def __init__(self, sweep: Reverse, clone: Function) -> None:
        self.sweep, self.e, self.results = sweep, sweep.e, clone.body.results
        body = clone.body
        self.containers = {op.args[0] for op in walk(body) if op.prim in _ITEM_READS}
        # the function and its sweep, without the ops the gradients add
        self.swept = Region(ops=body.ops[:])
        self.emitted = self.e.region.ops[:]  # (the same ops: the emitter extends the body)

    # (the next two walk the whole function: only where a gradient asks)
    @functools.cached_property
    def read_as_number(self) -> set[Value]:
        """Values used as a number somewhere: numbers, so a missing gradient is 0.0."""
        return {a for op in walk(self.swept) if not get(op.prim).structural for a in op.args}

    @functools.cached_property
    def defs(self) -> dict[Value, Op]:
        """The op that defines each value."""
        return {o: op for op in self.emitted for o in op.outs}

    def gradient(self, p: Value) -> Value:
        e, g, hint = self.e, self.sweep.adjoint.get(p), "d" + p.hint
        if p in self.containers:  # the gradient has p's structure, zeros where unused
            return self.container_gradient(p, g)
        if g is None:
            if p in self.read_as_number and e.scalar(p):  # nothing differentiable reaches it
                return e.const(0.0, hint)
            return e.emit("zero_gradient", p, hint=hint)[0]  # unread, or read as a container
        if g in self.sweep.structured and p not in e.numeric:  # a list or dict written into
            return like(e, g, p, hint)  # (p's keys: none `p[k] = v` added)
        shape = e.array_shape(p)
        if not e.scalar(p) and (shape is None or e.array_shape(g) != shape) and _maybe_number(
                g, self.defs, shape is not None):  # an array's zero (a branch's): in shape
            return e.emit("unbroadcast", g, p, hint=hint)[0]
        if e.array_dtype(p) is not None:  # an array: a writable one, in a float dtype
            return self.array_gradient(p, g)
        if not g.hint or g in self.results:
            return e.copy(g, hint=hint)  # the gradient reads as `dx` (copyprop merges)
        return g

    def container_gradient(self, p: Value, g: Value | None) -> Value:
        """A tuple's, list's or dict's gradient has its structure; an array read item by
        item adds its whole adjoint (``np.sum(xs)``) too."""
        e, hint, numeric = self.e, "d" + p.hint, p in self.e.numeric
        dc = self.sweep.containers.get(p) or self.sweep.container(p)
        if not numeric:  # tuples stay tuples
            dc = like(e, dc, p, hint)
        if g is None:
            return dc
        return e.emit("add" if numeric else "merge_adjoints", g, dc, *(() if numeric else (p,)),
                      hint=hint)[0]

    def array_gradient(self, p: Value, g: Value) -> Value:
        """An array argument's gradient: an array of its own (never a broadcast's read-only
        view), in a float dtype (the argument's, or float64 for an int array)."""
        e, hint = self.e, "d" + p.hint
        p_dtype = e.array_dtype(p)
        dtype = p_dtype if p_dtype.kind in "fc" else np.dtype(float)
        if g in e.deferred:  # a broadcast number
            return e.emit("np.full", e.const(e.array_shape(p)), e.deferred[g][0],
                          dtype=dtype.type, hint=hint)[0]
        if p_dtype.kind not in "fc" or (e.array_dtype(g) or dtype) != dtype:
            # (the gradient may be another argument: d(X * w)/dw is X, of X's dtype)
            return e.emit("np.asarray", g, dtype=dtype.type, hint=hint)[0]
        return g


def like(e: Emitter, acc: Value, c: Value, hint: str = "") -> Value:
    """``acc``, the adjoint of the container ``c`` filled item by item, in ``c``'s structure:
    ``runtime.like`` at run time, unless ``c``'s aval says what that is (a list of numbers:
    ``acc`` itself; a tuple of numbers: ``tuple(acc)``)."""
    if isinstance(c.aval, Numbers):
        return acc if c.aval.kind is list else e.emit("as_tuple", acc, hint=hint)[0]
    return e.emit("like", acc, c, hint=hint)[0]


def _is_integer(arg: Any) -> bool:
    return isinstance(arg, (int, np.integer)) and not isinstance(arg, bool)


def _maybe_number(g: Value, defs: dict[Value, Op], shaped: bool = False) -> bool:
    """Might the adjoint ``g`` be a plain number (a zero from a branch) at run time, or,
    unless its argument's shape is known (``shaped``), a 0-d array (np.where's, of
    numbers)? ``defs``: the op that defines each value."""
    numbers = ("const", "select", "if", "for_range", "while") + (() if shaped else ("np.where",))
    stack, seen = [g], set()
    while stack:
        v = stack.pop()
        op = defs.get(v)
        if op is None or v in seen:
            continue
        seen.add(v)
        if op.prim in numbers:
            return True
        if op.prim in ("add", "copy", "updated"):
            stack.extend(op.args)
    return False


class Reverse:
    """The backward sweep over one region; nested regions get a ``Reverse`` of their own."""

    def __init__(self, e: Emitter, active: set[Value], parent: Reverse | None = None) -> None:
        self.e = e
        self.active = active
        self.adjoint: dict[Value, Value] = {}
        self.parent = parent
        self.region = e.region  # where this sweep's ops go
        self.defines: set[Value] = set()  # values of this sweep's region (not the top one)
        self.containers: dict[Value, Value] = {}  # container -> its (mutable) adjoint
        # adjoints that may be lists (of a value that may be one): they add up item by item
        self.structured: set[Value] = parent.structured if parent is not None else set()

    def seed(self, value: Value, cotangent: Value) -> None:
        if value in self.active:
            self.accumulate(value, cotangent)

    def accumulate(self, x: Value, contribution: Value) -> None:
        hint = "d" + x.hint if x.hint else ""
        if x in self.adjoint and self.structured.intersection((contribution, self.adjoint[x])):
            self.adjoint[x] = self.e.emit("merge_adjoints", contribution, self.adjoint[x], x,
                                          hint=hint)[0]
            self.structured.add(self.adjoint[x])
        elif x in self.adjoint:
            # new contributions come from earlier ops: first, so sums read in program order
            self.adjoint[x] = self.e.emit("add", contribution, self.adjoint[x], hint=hint)[0]
        else:
            if not contribution.hint:
                contribution.hint = hint
            self.adjoint[x] = contribution

    def zero(self, v: Value) -> Value:
        """The adjoint of ``v`` where nothing reaches it: 0.0, or zeros of an array's shape
        (rules like ``.T`` and ``@`` cannot take a number): ``zero_adjoint(v)`` when
        ``v`` may be an array of a shape not known yet."""
        shape = self.e.array_shape(v)
        if shape is not None:
            return self.e.emit("np.zeros", self.e.const(shape))[0]
        if self.e.scalar(v):
            return self.e.const(0.0)
        return self.e.emit("zero_adjoint", v)[0]

    def merged(self, v: Value, array: bool = False, whole: bool = False) -> Value | None:
        """``v``'s adjoint plus what its item reads added into its container adjoint.

        For a number or an array (``numeric``, or ``array``: the result of a differentiable
        op) the two add up. A value that may be a list keeps its container adjoint unless
        it also has a whole adjoint (an array over its items: ``np.sum(xs)``) or the caller
        needs one adjoint (``whole``: a branch's or a loop's); then ``merge_adjoints`` adds
        them up at run time, in ``v``'s structure."""
        g = self.adjoint.get(v)
        dc = self.container_adjoint(v)
        if dc is None:
            return g
        if v in self.e.numeric:  # never a list: `like` would return dc as it is
            return dc if g is None else self.e.add(g, dc)
        if array:
            dc = like(self.e, dc, v)
            return dc if g is None else self.e.add(g, dc)
        if g is None and not whole:
            return None
        merged = self.e.emit("merge_adjoints", self.e.const(0.0) if g is None else g, dc, v,
                             hint="d" + v.hint if v.hint else "")[0]
        self.structured.add(merged)
        return merged

    def child(self) -> Reverse:
        """The sweep of a nested region (call with ``e`` already in that region)."""
        return Reverse(self.e, self.active, self)

    def container_adjoint(self, c: Value) -> Value | None:
        owner = self
        while owner.parent is not None and c not in owner.defines:
            owner = owner.parent
        return owner.containers.get(c)

    def forget_container(self, c: Value) -> None:
        owner = self
        while owner.parent is not None and c not in owner.defines:
            owner = owner.parent
        owner.containers.pop(c, None)

    def container(self, c: Value) -> Value:
        """``dc``, the adjoint of container ``c``: made once, where ``c`` is defined, so
        loops over ``c`` add into the same one."""
        owner = self
        while owner.parent is not None and c not in owner.defines:
            owner = owner.parent
        dc = owner.containers.get(c)
        if dc is None:
            hint = "d" + c.hint if c.hint else ""
            if self.e.array_dtype(c) is not None:  # an array: zeros, float
                dtype = np.result_type(self.e.array_dtype(c), 0.0)
                with self.e.into(owner.region):
                    dc = self.e.emit("zeros_array", self.e.const(self.e.array_shape(c)), hint=hint,
                                     **({} if dtype == np.float64 else {"dtype": dtype.type}))[0]
            elif isinstance(c.aval, Numbers):  # a list or tuple of numbers: float zeros
                with self.e.into(owner.region):
                    dc = self.e.emit("zeros_list", self.e.emit("len", c)[0], hint=hint)[0]
            else:
                dc = Value(hint)
                owner.region.ops.append(Op("zeros_like", (c,), (dc,), (), (), self.e.loc))
            owner.containers[c] = dc
        return dc

    def accumulate_item(self, c: Value, index: Value, g: Value, nested: bool) -> None:
        """``dc[index] += g`` in place. ``nested``: ``g`` is a container too. An index that
        may be an integer array (repeated entries add up) goes through ``add_at``
        (``np.add.at`` for arrays)."""
        if g in self.e.deferred:  # `+=` broadcasts: no need to
            g = self.e.deferred[g][0]
        whole = self.adjoint.get(c)
        shape = self.e.array_shape(c)
        if not nested and whole is not None and shape is not None and (
                whole not in self.e.deferred and self.e.array_shape(whole) == shape):
            # (an array written item by item: its adjoint so far gets the item's added)
            self.adjoint[c] = self.e.emit("index_add", whole, index, g, hint=whole.hint,
                                          basic=index in self.e.basic)[0]
            return
        if not nested and c in self.e.shape_like and whole is not None:
            # an item of a list a loop writes into, which has a whole adjoint (the write's):
            # added into that, in place in the code that runs (no adjoint of its own, which
            # would be a list made, and merged, per step)
            with_item = self.e.emit("index_add", dense(self.e, whole, c), index, g,
                                    hint=whole.hint, basic=index in self.e.basic)[0]
            self.structured.add(with_item)
            self.adjoint[c] = with_item
            return
        simple = not nested and index in self.e.basic
        self.e.emit("add_item" if simple else "add_at", self.container(c), index, g, nouts=0)

    def appends_active(self, op: Op) -> bool:
        """Does a branch or loop ``op`` append to a list, add into a container adjoint, or
        pop from a stack, that carries a derivative? (Every pop pushes its adjoints, zeros
        too, so that the entries of the stack of adjoints keep their places.)"""
        return bool(op.regions) and any(
            inner.prim in _MUTATING and inner.args and inner.args[0] in self.active
            for inner in walk(Region(ops=[op])))

    def adjoint_of(self, v: Value) -> Value | None:
        """``v``'s adjoint here or, for a value of an outer region, where it was made (a
        container adjoint that a loop adds into is read whole only after the loop)."""
        owner: Reverse | None = self
        while owner is not None:
            if v in owner.adjoint:
                return owner.adjoint[v]
            owner = owner.parent
        return None

    def backward_add_item(self, op: Op) -> None:
        """``acc[key] += g`` (a gradient being differentiated again): ``g``'s adjoint is
        the item of ``acc``'s adjoint. Everything that reads ``acc`` whole comes after every
        add, so that adjoint is complete here."""
        acc, key, g = op.args
        if g not in self.active:
            return
        # acc read whole (its adjoint), and item by item (its own container adjoint)
        for d_acc in (self.adjoint_of(acc), self.container_adjoint(acc)):
            if d_acc is None:
                continue
            with self.e.at(op.loc):  # a number cotangent (a seed) is every item's
                if d_acc in self.e.constants or self.e.scalar(d_acc):
                    self.accumulate(g, d_acc)
                    continue
                # (a field's adjoint, `dp["w"] += g`: the cotangent of the gradient is an
                # object of the argument's class, read by field)
                # (one that may be a list or a dict, or a zero from a path that did not read
                # it: field reads either)
                item = (self.e.emit("field", d_acc, key)[0] if key in self.e.names or (
                    self.e.array_dtype(d_acc) is None and d_acc not in self.e.numeric)
                    else self.e.getitem(d_acc, key))
                # `dc[1:] += g` broadcasts a number g over the slice: its part sums
                self.accumulate(g, item if op.attr("of", op.prim) == "add_at" or (
                    self.e.scalar(g, item)) else sum_to(self.e, item, g))

    def fold_whole_adjoints(self, op: Op) -> None:
        """Before the appends of ``op`` are undone: the adjoint of a list it appends to,
        read whole after its last append (``np.array(xs)``), goes into the item adjoints
        that the pops read."""
        targets = {inner.args[0] for inner in walk(Region(ops=[op])) if inner.prim in (
            "append", "appended")}
        for xs in targets:
            g = self.adjoint.pop(xs, None)
            if g is None:
                continue
            owner = self
            while owner.parent is not None and xs not in owner.defines:
                owner = owner.parent
            if g in self.e.fresh_lists and xs not in owner.containers:  # its only adjoint
                owner.containers[xs] = g
                continue
            with self.e.at(op.loc):
                owner.containers[xs] = self.e.emit("merge_adjoints", g, self.container(xs),
                                                   xs, hint="d" + xs.hint)[0]

    def backward_pop(self, stack: Value, values: Sequence[Value], op: Op) -> None:
        """``values = stack.pop()`` in a gradient differentiated again (a loop's tape, or a
        list's adjoint): the adjoints of the values go on a stack of their own, which the
        backward sweep of the matching push (or, for a list adjoint, of where the list was
        made) reads. Popped in the reverse order of the pops, it lines up with the pushes."""
        if stack not in self.active:  # (every pop pushes: the stack lines up with it)
            return
        with self.e.at(op.loc):
            adjoints = [self.merged(v, whole=True) or self.zero(v) for v in values]
            self.e.emit("push", self.container(stack), *adjoints, nouts=0)
        for v in values:
            self.adjoint.pop(v, None)

    def backward_push(self, op: Op) -> None:
        """``stack.append(values)``: the values' adjoints are what the pop's backward sweep
        pushed (see ``backward_pop``)."""
        stack, values = op.args[0], op.args[1:]
        d_stack = self.container_adjoint(stack)
        if d_stack is None:
            return
        with self.e.at(op.loc):
            adjoints = self.e.emit("pop", d_stack, nouts=len(values))
            for v, g in zip(values, adjoints):
                if v in self.active:
                    if self.e.may_be_container(v):  # (a list's or a dict's, taped)
                        self.structured.add(g)
                    self.accumulate(v, g)

    def backward_append(self, op: Op) -> None:
        """Appends are undone in reverse order, so ``xs.append(v)`` gives ``dv = dxs.pop()``."""
        xs, v = op.args
        if xs in self.active:  # pop even for a constant item: later pops must line up
            with self.e.at(op.loc):
                item = self.e.emit("pop", self.container(xs))[0]
                if v in self.active:
                    self.accumulate(v, item)

    def recompute(self, ops: list[Op], mapping: dict[Value, Value]) -> None:
        """Emit copies of ``ops`` here (a branch or loop body run again, backward). Appends
        to a list made before ``ops`` are not run again: their copies only mark where the
        backward sweep pops."""
        copies = clone_ops(ops, mapping)
        # a list or an adjoint made in ops is made again, empty: its appends and adds run
        # again too; one made before ops already holds them
        made_here = {v for op in walk(Region(ops=copies)) for v in op.outs}
        for op in walk(Region(ops=copies)):
            if op.prim == "append" and op.args[0] not in made_here:
                op.prim = "appended"
            elif op.prim in ("add_item", "add_at") and op.args[0] not in made_here:
                op.prim, op.attrs = "added", (("of", op.prim), *op.attrs)
            elif op.prim == "push" and op.args[0] not in made_here:  # a gradient's tape,
                op.prim = "pushed"  # differentiated again: filled once (one made in ops,
            elif op.prim == "pop" and op.args[0] not in made_here:  # filled and popped again)
                # (tape.py tapes what a loop body pops from a tape made before it: `repop`)
                raise UnsupportedSyntaxError(
                    "reverse mode over a gradient whose loop sits in a branch, or in a loop "
                    "of another loop, is not supported yet", loc=op.loc,
                    hint="use s2s_ad.hessian, s2s_ad.hvp or s2s_ad.jvp of the gradient "
                         "(forward over reverse)", stage="while differentiating (reverse mode)")
        self.e.region.ops.extend(copies)
        self.e.note_constants(Region(ops=copies))  # rules ask them again (`x ** 0`)
        self.defines.update(mapping.values())
        for old, new in list(mapping.items()):
            if old in self.active:
                self.active.add(new)
            if old in self.e.shape_like:  # (its loop's result, run again here too)
                standin = self.e.shape_like[old]
                self.e.shape_like[new] = mapping.get(standin, standin)
            self.e.share_kind(new, old)
            if old in self.e.basic:
                self.e.basic.add(new)
            if old in self.e.numeric:
                self.e.numeric.add(new)

    def backward(self, ops: list[Op], end: int) -> None:
        """Adjoints of ``ops[:end]``'s operands, from the adjoints of their results."""
        for index in range(end - 1, -1, -1):
            op = ops[index]
            if op.prim in ("append", "appended") or op.regions:
                self.fold_whole_adjoints(op)
            if op.prim in ("append", "appended"):
                self.backward_append(op)
                continue
            if op.prim in ("add_item", "add_at", "added"):
                self.backward_add_item(op)
                continue
            if op.prim in ("push", "pushed"):
                self.backward_push(op)
                continue
            if op.prim == "pop" and not op.args:  # this sweep's own tape (tape.py)
                continue
            if op.prim in ("pop", "repop"):  # repop(stack, *values): values popped, taped
                stack, values = op.args[0], op.args[1:] if op.prim == "repop" else op.outs
                self.backward_pop(stack, values, op)
                if op.prim == "repop":
                    continue
            if op.prim == "reread":  # a taped xs[i]: its cotangent goes into dxs[i]
                self.backward_item(*op.args, op.loc)
                continue
            if not any(o in self.adjoint or self.container_adjoint(o) is not None
                       for o in op.outs) and not self.appends_active(op):
                continue
            for out in op.outs if op.regions else ():  # read by item after a branch or loop
                if self.container_adjoint(out) is not None:
                    with self.e.at(op.loc):
                        self.adjoint[out] = self.merged(out, whole=True)
                    self.forget_container(out)
            if op.prim == "if":
                self.backward_if(op)
            elif op.prim in LOOPS:
                backward_loop(self, ops, index)
            else:
                self.backward_op(op)

    def backward_op(self, op: Op) -> None:
        prim = get(op.prim)
        if not prim.differentiable:
            return
        if op.prim == "tuple":  # a tuple built here: item k's adjoint is dt[k]
            # and, read whole (np.sum(t)), its adjoint's item k
            parts = (self.container_adjoint(op.out), self.adjoint.get(op.out))
            with self.e.at(op.loc):
                for k, item in enumerate(op.args):
                    if item in self.active:
                        for part in parts:
                            if part is not None:
                                self.accumulate(item, self.e.getitem(part, k))
            return
        if op.prim in _ITEM_READS:  # into the container's adjoint, in place
            self.backward_item(*op.args, op.out, op.loc)
            return
        if prim.vjp is None:
            raise NoDerivativeRuleError(f"no VJP rule for the primitive {op.prim!r}",
                                        loc=op.loc, hint=no_rule_hint(op.prim, "defvjp"),
                                        stage="while differentiating (reverse mode)")
        # `x[i] = v` into a value that may be a list or a dict (an argument of code for any
        # type), `list(x)`, an adjoint of a container (a gradient differentiated again): its
        # adjoints are in its structure, and add up as such (merge_adjoints)
        listed = (prim.like_first or prim.container_like) and op.out not in self.e.numeric and (
            self.e.array_dtype(op.out) is None)
        with self.e.at(op.loc):
            # an array may also be read item by item
            g = self.merged(op.out, array=not listed, whole=listed)
            if prim.structural and prim.container_like and op.out not in self.adjoint:
                # list(xs) read item by item only: its items' adjoints, as they are
                g = self.container_adjoint(op.out) or g
            attrs = dict(op.attrs)
            pairs = list(zip(op.args, rules_for(prim.vjp, len(op.args))))
            if prim.like_first:  # `x[i] = v`: v's part of g is read before x's is written
                pairs.reverse()
            for x, rule in pairs:
                if rule is not None and x in self.active:
                    contribution = rule(self.e, g, *op.args, **attrs)
                    if contribution is None:  # the result does not depend on x's values
                        continue
                    if prim.broadcasts and self.may_broadcast(op, x):
                        contribution = sum_to(self.e, contribution, x)
                    if listed and (x is op.args[0] or prim.container_like):
                        self.structured.add(contribution)
                    self.accumulate(x, contribution)

    def backward_item(self, c: Value, index: Value, item: Value, loc: Any) -> None:
        """``item = c[index]`` (read here, or taped: ``reread``): its adjoint, whole and by
        its own items where it was itself indexed, goes into ``c``'s at ``index``."""
        inner = self.container_adjoint(item)  # c[i] was itself indexed
        with self.e.at(loc):
            g = self.merged(item)
        if inner is not None and item in self.e.numeric:  # an array slice: added up
            inner = None
        elif inner is not None and g is None:
            g = inner
        if g is not None and c in self.active:
            with self.e.at(loc):
                self.accumulate_item(c, index, g, nested=inner is not None)

    def may_broadcast(self, op: Op, x: Value) -> bool:
        """Might operand ``x`` of the elementwise ``op`` have fewer entries than its result?
        Not when ``x`` and the result are numbers, nor when every other operand is one."""
        if self.e.scalar(x, op.out) or self.e.scalar(*(a for a in op.args if a is not x)):
            return False
        shape = self.e.array_shape(x)
        return not (shape is not None and shape == self.e.array_shape(op.out))

    def backward_if(self, op: Op) -> None:
        """``if c: (recompute then; its backward) else: (recompute else; its backward)``."""
        branches = []
        for region in op.regions:
            inner = Region()
            with self.e.into(inner), self.e.at(op.loc):
                sweep = self.child()
                mapping: dict[Value, Value] = {}
                sweep.recompute(region.ops, mapping)
                for out, result in zip(op.outs, region.results):
                    if out in self.adjoint:
                        sweep.seed(mapping.get(result, result), self.adjoint[out])
                sweep.backward(inner.ops, len(inner.ops))
            defined = set(mapping.values())
            outer = {v: g for v, g in sweep.adjoint.items() if v not in defined}
            branches.append((inner, outer))
        self.emit_join(op, branches)

    def emit_join(self, op: Op, branches: list[tuple[Region, dict[Value, Value]]]) -> None:
        """An ``if`` yielding, per outer value, its adjoint from each branch (0.0 if none)."""
        targets = list(dict.fromkeys(v for _, outer in branches for v in outer))
        if not targets and all(pure_op(o) for region, _ in branches for o in region.ops):
            return  # nothing flows out, and nothing is added into a container in place
        for region, outer in branches:
            with self.e.into(region):
                region.results = [outer[v] if v in outer else self.zero(v)
                                  for v in targets]
        outs = tuple(Value("d" + v.hint if v.hint else "") for v in targets)
        for k, out in enumerate(outs):  # a shape both branches' adjoints have is the join's
            shapes = {shape_of(region.results[k].aval) for region, _ in branches}
            if len(shapes) == 1 and (shape := shapes.pop()) is not None:
                out.aval = with_shape(shape)
        self.e.region.ops.append(Op("if", op.args, outs, (), tuple(r for r, _ in branches),
                                    op.loc))
        for v, out in zip(targets, outs):
            if any(outer.get(v) in self.structured for _, outer in branches):
                self.structured.add(out)  # (a list's or a dict's, on some path)
            self.accumulate(v, out)
