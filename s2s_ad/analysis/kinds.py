"""What is known of a function's values when its derivative is built: one fixpoint.

A rule for ``x * y`` must sum its cotangent back to each operand's shape when the
operands broadcast; when both are known to be numbers it need not. Knowing that keeps
scalar code free of run-time shape checks. ``prove`` finds, in one fixpoint over the
function, three sets of values (``Facts``):

- **numbers**: a numeric constant, the result of ``math.*``, ``float()``, ``len()``..., or
  of an elementwise operation on numbers (forward); or a value the program cannot run
  unless it is one: passed to ``math.*`` or ``float()``, or deciding an ``if``/``while``
  (backward). Only uses in the region that defines the value count -- a use inside a
  branch may never run -- and an elementwise result that must be a number makes its
  operands numbers. (An array of one element counts as a number.)
- **numeric**: numbers or arrays, never a list, tuple or dict, whatever the arguments are:
  results of NumPy and ``math``, ``x * 0.5``, ``a[i]`` of an array... Reverse mode asks,
  for a value read both whole and item by item: its two adjoints add up as arrays do,
  where a list's would concatenate.
- **inexact**: numeric values that are never ints (floats, arrays): ``xs * v`` cannot
  repeat a list, and a derivative that is one needs no ``float()``.

and, from the numbers, the **basic** indices (``x[i] += g`` is right for them). A loop's
carried value has a fact if it starts with it and every step keeps it (optimistically,
dropping what a step breaks). ``analyze`` adds what arguments like an example give: it
runs the body on stand-ins for shapes and dtypes (``Facts.avals``), and proves the rest
from there. Facts from outside (``numbers=``...) are arguments known to be numbers at a
call; parameters annotated ``float`` or ``int`` are numbers too.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from ..ir.avals import NUMBER, Array, Aval, Number, Tuple, aval_of, numbers_of
from ..ir.core import LOOPS, Function, Op, Region, Value, const_value, walk
from ..primitives import get
from ..primitives.registry import PRIMITIVES, Primitive
from ..primitives.structures import FRESH_ADJOINTS

_NUMBER_TYPES = (bool, int, float)


def elementwise(op: Op) -> bool:
    """Is ``op`` a number when its operands are (``np.sin``, ``+``...)?"""
    return elementwise_prim(op.prim)


def elementwise_prim(name: str) -> bool:
    prim = get(name)
    return prim.broadcasts or prim.kind == "elementwise"


def track_numbers(e: Any) -> None:
    """Every op the rules build on known numbers is known to be a number, so a number seed's
    cotangents and tangents stay numbers and are never indexed (``(0.25)[i]``). Forward mode,
    and reverse mode where no shapes are tracked (``shapes.track`` knows them otherwise)."""

    def emit(e: Any, prim: str, operands: tuple[Value, ...], attrs: dict[str, Any],
             hint: str) -> Value:
        out = e.append(prim, operands, attrs, hint)
        op = e.region.ops[-1]
        if number_result(op, {a for a in op.args if isinstance(a.aval, Number)}):
            out.aval = NUMBER
        return out

    e.hook = emit


def number_result(op: Op, known: set[Value]) -> bool:
    """Is ``op``'s (single) result a number, given what is known of its operands?"""
    return _number_result(op, get(op.prim), known)


def _number_result(op: Op, prim: Primitive, known: set[Value]) -> bool:
    """``number_result``, ``prim`` being ``op``'s primitive."""
    if op.prim == "const":
        value = const_value(op)
        return isinstance(value, _NUMBER_TYPES) or _is_numpy_scalar(value)
    kind = prim.kind
    if kind == "number":
        return True
    if kind == "reduction":
        return op.attr("axis") is None and not op.attr("keepdims", False)
    if op.prim == "select":
        return op.args[1] in known and op.args[2] in known
    return (prim.broadcasts or kind == "elementwise") and known.issuperset(op.args)


@dataclass(slots=True)
class Facts:
    """What one fixpoint proves of a function's values (see the module docstring): sets of
    values, and the avals of the call the facts are for."""

    numbers: set[Value]
    numeric: set[Value]  # numbers or arrays: never a list, tuple or dict
    inexact: set[Value]  # numeric and never an int (a float, an array): `xs * v` cannot
    #                      repeat a list
    basic: set[Value] = field(default_factory=set)  # index without repeating an entry
    avals: dict[Value, Aval] = field(default_factory=dict)
    backward: int = 0  # facts the uses of values proved in the current pass
    containers: set[Value] = field(default_factory=set)  # a tuple, list or dict at the call

    def sets(self) -> tuple[set[Value], set[Value], set[Value]]:
        return self.numbers, self.numeric, self.inexact

    def copy(self) -> Facts:
        return Facts(set(self.numbers), set(self.numeric), set(self.inexact))

    def add_number(self, v: Value) -> None:
        self.numbers.add(v)
        self.numeric.add(v)

    def size(self) -> int:
        return len(self.numbers) + len(self.numeric) + len(self.inexact)


def prove(fn: Function, numbers: Iterable[Value] = (), numeric: Iterable[Value] = (),
          floats: Iterable[Value] = ()) -> Facts:
    """The facts about ``fn``'s values that hold for every call, given ``numbers`` (values
    known to be numbers), ``numeric`` (numbers or arrays) and ``floats`` (never ints):
    one fixpoint over the three sets, forward from what makes a value and backward from
    what its uses need (numbers only). Parameters annotated ``float`` or ``int`` are
    numbers."""
    facts = _start(fn, numbers, numeric, floats)
    items, loops = _items_and_loops(fn)
    return _fixpoint(fn, facts, items, loops)


def prove_inexact(fn: Function, asked: Sequence[Value], floats: Iterable[Value] = ()) -> Facts:
    """``prove(fn, floats=floats)`` where it is needed to say which of ``asked`` are inexact;
    where one pass forward already proves every one of them inexact (a derivative that is a
    float times anything), the facts of that pass. They are a subset of ``prove``'s (without
    loops ``prove`` finds the least fixpoint of rules that only add facts, and this pass
    applies the same rules once), so the answer for ``asked`` is the same, in a fraction of
    the time: no facts from uses, no second pass (and no basic indices)."""
    facts = _start(fn, (), (), floats)
    items, loops = _items_and_loops(fn)
    if not loops:
        _visit(fn.body, facts, items, backward=False)
        if all(v in facts.inexact for v in asked):
            return facts
    # (from what that pass found: facts of the fixpoint, so it reaches the same one)
    return _fixpoint(fn, facts, items, loops)


def _start(fn: Function, numbers: Iterable[Value], numeric: Iterable[Value],
           floats: Iterable[Value]) -> Facts:
    facts = Facts(set(numbers) | set(annotated(fn)), set(), set(floats))
    facts.numeric = facts.numbers | set(numeric)
    return facts


def _items_and_loops(fn: Function) -> tuple[dict[Value, str], bool]:
    """Tuples and lists of numbers or arrays (np.split's pieces): what their items are; and
    whether ``fn`` loops."""
    items: dict[Value, str] = {}
    loops = False
    for op in walk(fn.body):
        loops = loops or op.prim in LOOPS
        if len(op.outs) == 1 and get(op.prim).container_result:
            items[op.out] = get(op.prim).container_result
    return items, loops


def _fixpoint(fn: Function, facts: Facts, items: dict[Value, str], loops: bool) -> Facts:
    while True:
        before, facts.backward = facts.size(), 0
        _visit(fn.body, facts, items)
        # (without loops, a pass in program order that proves nothing backward leaves
        # nothing for the next: an op's facts follow from earlier values' alone)
        if facts.size() == before or (not loops and not facts.backward):
            break
    facts.basic = _basic_indices(fn, facts.numbers)
    return facts


def annotated(fn: Function) -> list[Value]:
    """The parameters annotated ``float`` or ``int``: numbers (and trusted as floats where
    the derivative's type is decided: ``x: float``)."""
    return [p for p in fn.params if p.hint in fn.numbers]


def _visit(region: Region, facts: Facts, items: dict[Value, str],
           backward: bool = True) -> None:
    """One pass over ``region``: forward, then (``backward``) what uses prove."""
    numbers, numeric, inexact = facts.sets()
    ops = region.ops
    prims = [PRIMITIVES[op.prim] for op in ops]  # (each op's, asked several times)
    for op, prim in zip(ops, prims):
        outs = op.outs
        if op.prim == "if":
            for branch in op.regions:
                _visit(branch, facts, items, backward)
            for k, out in enumerate(outs):
                results = [branch.results[k] for branch in op.regions]
                for known in facts.sets():
                    if all(r in known for r in results):
                        known.add(out)
        elif op.prim in LOOPS:
            _visit_loop(op, facts, items)
        elif len(outs) == 1:  # (asking only what is not known yet)
            out = outs[0]
            if out not in numbers and _number_result(op, prim, numbers):
                facts.add_number(out)
            if out not in numeric and _is_numeric(op, prim, numeric, inexact, items):
                numeric.add(out)
            if out not in inexact and out in numeric and _is_inexact(op, prim, inexact,
                                                                       items):
                inexact.add(out)
    if not backward:
        return
    # backward: what the program's own uses prove, for values defined in this region
    local = set(region.params)
    local.update(chain.from_iterable(op.outs for op in ops))
    for op, prim in zip(reversed(ops), reversed(prims)):
        if prim.number_operands or op.prim == "if":
            operands = op.args if op.prim != "if" else op.args[:1]
        elif op.prim == "select":
            operands = op.args[:1] + (op.args[1:] if op.out in numbers else ())
        elif op.prim == "for_range":
            operands = op.bounds
        elif op.prim == "while":  # its condition decides: a number
            cond = op.regions[0]
            if cond.results and cond.results[0] not in numbers and (
                    cond.results[0] in _defined_in(cond)):
                facts.add_number(cond.results[0])
                facts.backward += 1
            continue
        elif (prim.broadcasts or prim.kind == "elementwise") and op.outs and (
                numbers.issuperset(op.outs)):
            operands = op.args
        else:
            continue
        for a in operands:
            if a in local and a not in numbers:
                facts.add_number(a)
                facts.backward += 1


def _visit_loop(op: Op, facts: Facts, items: dict[Value, str]) -> None:
    """A loop's regions: optimistically, a carried value is a number (numeric, inexact) if
    it starts as one and every step keeps it one; the slots where a step does not are
    dropped, until nothing changes. (A ``for_range`` index is a number, never inexact.)"""
    body, n, inits, carried = op.body, len(op.outs), op.inits, op.carried()
    if op.prim == "for_range":
        facts.add_number(op.index)
    candidates = [{k for k in range(n) if inits[k] in known} for known in facts.sets()]
    while True:
        trial = facts.copy()
        for known, slots in zip(trial.sets(), candidates):
            for k in slots:
                known.add(carried[k])
                for region in op.regions[:-1]:
                    known.add(op.carried(region)[k])
        trial.numeric |= trial.numbers
        for region in op.regions:
            _visit(region, trial, items)
        kept = [{k for k in slots if body.results[k] in known}
                for known, slots in zip(trial.sets(), candidates)]
        if kept == candidates:
            break
        candidates = kept
    for known, found, slots in zip(facts.sets(), trial.sets(), candidates):
        known |= found
        known.update(op.outs[k] for k in slots)


def _is_numeric(op: Op, prim: Primitive, numeric: set[Value], inexact: set[Value],
                items: dict[Value, str]) -> bool:
    if op.prim == "const":
        return isinstance(const_value(op), (*_NUMBER_TYPES, np.generic, np.ndarray))
    if prim.keeps_containers:  # numeric operands, or one a list could not take
        return numeric.issuperset(op.args) or not inexact.isdisjoint(op.args)
    if op.prim in ("getitem", "getitem_mut"):  # an item of a number, an array, np.split's
        return op.args[0] in numeric or op.args[0] in items
    if prim.like_first:  # x[i] = v: x's kind
        return op.args[0] in numeric
    if op.prim == "select":
        return op.args[1] in numeric and op.args[2] in numeric
    if prim.kind in ("elementwise", "number") or prim.float_result:
        return True  # a list operand would have raised
    return not prim.container_result and (
        prim.broadcasts or bool(prim.kind) or prim.array_op or op.prim == "astype")


def _is_inexact(op: Op, prim: Primitive, inexact: set[Value], items: dict[Value, str]) -> bool:
    """Is ``op``'s numeric result one that a list cannot take in ``+`` or ``*`` (a float or
    an array, where ``xs * n`` with an int ``n``, NumPy's too, repeats a list)?"""
    if op.prim == "const":
        value = const_value(op)
        return isinstance(value, (float, complex, np.inexact, np.ndarray))
    if prim.int_result:
        return False
    if op.prim in ("max", "min", "copy", "updated"):  # one of the operands
        return inexact.issuperset(op.args)
    if op.prim == "unbroadcast" or prim.like_first:  # g summed to x's shape, x[i] = v: g's,
        return op.args[0] in inexact  # x's dtype
    if op.prim == "select":
        return op.args[1] in inexact and op.args[2] in inexact
    if op.prim in ("getitem", "getitem_mut") and op.args[0] in items:
        return items[op.args[0]] != "ints"  # a piece of np.split, a float of slogdet
    if prim.kind == "elementwise":
        return op.prim == "truediv" or not inexact.isdisjoint(op.args)
    return prim.float_result


def _defined_in(region: Region) -> set[Value]:
    out = set(region.params)
    for op in region.ops:
        out.update(op.outs)
    return out


def _is_numpy_scalar(value: object) -> bool:
    return isinstance(value, np.generic) and value.dtype.kind in "biuf"


def _basic_indices(fn: Function, numbers: set[Value]) -> set[Value]:
    """Values that index without repeating an entry: numbers, slices, ``None``, ``...``, and
    tuples of them (``x[i] += g`` is right for them; an integer array needs ``np.add.at``)."""
    basic = set(numbers)
    for op in walk(fn.body):
        if op.prim == "const" and _basic_constant(const_value(op)):
            basic.add(op.out)
        elif op.prim == "slice" or (op.prim == "tuple" and all(a in basic for a in op.args)):
            basic.add(op.out)
    return basic


def _basic_constant(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_basic_constant(v) for v in value)
    return value is None or value is Ellipsis or isinstance(value, (int, slice, np.integer))


# --- shapes at a call -------------------------------------------------------------------------
UNKNOWN = object()  # an argument whose kind is not given


def is_array_op(prim: str) -> bool:
    """Does ``prim`` work on arrays (NumPy, ``@``, ``.T``, a method of an array)?"""
    return get(prim).array_op


def could_take_arrays(fn: Function, numbers: AbstractSet[Value]) -> bool:
    """Could an array argument change what ``fn``'s derivative must do? Not when ``fn`` does
    no NumPy and every operand of its elementwise operators is one of ``numbers`` (the
    numbers ``prove`` finds in it)."""
    return any(is_array_op(op.prim) or ((get(op.prim).broadcasts or get(op.prim).array_rule)
                                         and not all(a in numbers for a in op.args))
               for op in walk(fn.body))


def analyze(fn: Function, example: Sequence[Any] | None = None,
            floats: Iterable[Value] = ()) -> Facts:
    """``prove``'s facts about ``fn``'s values, for arguments like ``example`` (and
    ``floats``, values known to be floats), with the avals of the values known to be numbers
    or arrays for such arguments: numbers (with their dtypes where the example shows them),
    and arrays' shapes and dtypes.

    ``example`` holds, per parameter, a value like the arguments of the calls the derivative
    is for (same types, shapes and dtypes), or ``UNKNOWN``. The body runs once on them --
    each branch, and each loop body once -- and a value's shape is known when it cannot
    depend on the numbers in the arguments: not behind a boolean mask, and the same after
    one more loop step. Without ``example`` only what ``prove`` proves is known. The avals
    are a map: ``fn`` may be shared by builds for other arguments (``assign`` writes it on a
    transform's own copy).
    """
    avals: dict[Value, Aval] = {}
    if example is not None:
        env: dict[Value, Any] = {}
        for p, arg in zip(fn.params, example):
            if arg is not UNKNOWN and (isinstance(arg, (*_STAND_INS, list, tuple, dict))
                                       or hasattr(type(arg), "__dataclass_fields__")):
                env[p] = arg
        moving = set(fn.params)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _run(fn.body, env, set(), moving)
        for v, x in env.items():
            if isinstance(x, (*_NUMBER_TYPES, np.generic, np.ndarray)):
                avals[v] = aval_of(x)
            elif isinstance(x, tuple) and v not in moving and all(
                    isinstance(i, (*_NUMBER_TYPES, np.generic, np.ndarray)) for i in x):
                avals[v] = Tuple(tuple(map(aval_of, x)))  # its length: the arguments' kinds'
        # a list or tuple of numbers, of any length: an argument (staging's key), or the
        # floats of an array (`x.tolist()`); not one appended to (it may get anything)
        lists, grown = list(fn.params), set()
        for op in walk(fn.body):
            if op.prim == "append":
                grown.add(op.args[0])
            elif len(op.outs) == 1 and PRIMITIVES[op.prim].container_result == "floats":
                lists.append(op.out)
        for v in lists:
            seq = None if v in grown else numbers_of(env.get(v))
            if seq is not None:
                avals[v] = seq
    facts = prove(fn, numbers=[v for v, a in avals.items() if isinstance(a, Number)],
                  numeric=[v for v, a in avals.items() if isinstance(a, Array)], floats=floats)
    for v in facts.numbers:
        avals.setdefault(v, NUMBER)
    facts.avals = avals
    if example is not None:
        facts.containers = {v for v, x in env.items() if isinstance(x, (list, tuple, dict))}
    return facts


def mapped(facts: Facts, mapping: dict[Value, Value]) -> Facts:
    """``facts`` about a function, as the facts about its copy (``clone_ops``' ``mapping``,
    old value -> new): what ``analyze`` finds for the copy, which has the same ops (the
    analysis looks at ops and parameters, never at a value's identity or ``aval``)."""

    def new(values: AbstractSet[Value]) -> set[Value]:
        return {mapping.get(v, v) for v in values}

    return Facts(new(facts.numbers), new(facts.numeric), new(facts.inexact), new(facts.basic),
                 {mapping.get(v, v): a for v, a in facts.avals.items()}, facts.backward,
                 new(facts.containers))


def infer(fn: Function, example: Sequence[Any] | None = None) -> dict[Value, Aval]:
    """The avals of ``analyze``: what is known of ``fn``'s values for arguments like
    ``example``."""
    return analyze(fn, example).avals


def assign(avals: dict[Value, Aval]) -> None:
    """Write ``avals`` (``infer``'s) on the values of a transform's copy of a function."""
    for v, aval in avals.items():
        v.aval = aval


def known(avals: dict[Value, Aval]) -> set[Value]:
    """The values ``avals`` knows to be numbers or arrays."""
    return {v for v, a in avals.items() if isinstance(a, (Number, Array))}


def arrays(avals: dict[Value, Aval]) -> dict[Value, tuple[int, ...]]:
    """The shapes of the values ``avals`` knows to be arrays."""
    return {v: a.shape for v, a in avals.items() if isinstance(a, Array)}


class _Tape:
    """A tape of the forward sweep in ``_run``: the stand-ins of what each push holds, shared
    by every copy of the environment (``items`` is None once a push holds a value of unknown
    kind, or two pushes differ)."""

    def __init__(self) -> None:
        self.pushed = False
        self.items: tuple[Any, ...] | None = None


def _tape_op(op: Op, env: dict[Value, Any], tainted: set[Value]) -> None:
    """A push records its values' stand-ins on the tape; a pop gets them back, so what the
    adjoint sweep pops has the kind of what the forward sweep pushed."""
    if op.prim == "tape_new":
        env[op.out] = _Tape()
        return
    tape = env.get(op.args[0])
    if not isinstance(tape, _Tape):
        tainted.update(op.outs)
        return
    if op.prim == "push":
        items = op.args[1:]
        pushed = (tuple(env[a] for a in items)
                  if all(a in env and a not in tainted for a in items) else None)
        if not tape.pushed:
            tape.pushed, tape.items = True, pushed
        elif tape.items is not None and (pushed is None or len(pushed) != len(tape.items) or any(
                _signature(a) != _signature(b) for a, b in zip(pushed, tape.items))):
            tape.items = None
    elif tape.items is not None and len(tape.items) == len(op.outs):
        env.update(zip(op.outs, tape.items))
    else:
        tainted.update(op.outs)


def _run(region: Region, env: dict[Value, Any], tainted: set[Value],
         moving: set[Value]) -> None:
    """Evaluate ``region`` on stand-ins; values whose shape depends on data are dropped.

    ``moving`` holds the values that follow the numbers in the arguments (not only their
    kinds): a constructor sized by one (``np.zeros(n)``, ``np.arange(a, b)``) has a shape
    that the arguments' kinds do not decide."""
    for op in region.ops:
        if op.prim == "const":
            env[op.out] = const_value(op)
            continue
        prim = get(op.prim)
        if op.prim not in _KIND_READS and not moving.isdisjoint(op.args):
            moving.update(op.outs)
        if op.prim in ("tape_new", "push", "pop"):
            moving.update(op.outs)
            _tape_op(op, env, tainted)
            continue
        if op.regions:
            _run_structured(op, env, tainted, moving)
            continue
        if not tainted.isdisjoint(op.args) or any(a not in env for a in op.args) or any(
                op.args[i] in moving for i in prim.sized_by if i < len(op.args)):
            tainted.update(op.outs)
            continue
        evaluate = prim.evaluate or getattr(prim.emission, "obj", None)
        if evaluate is None or not (prim.pure or op.prim in FRESH_ADJOINTS) or len(op.outs) != 1:
            tainted.update(op.outs)
            continue
        args = [env[a] for a in op.args]
        if op.prim in ("getitem", "getitem_mut") and (
                _data_dependent(args[1]) or (_mixed(args[0]) and op.args[1] in moving)):
            # (an item of a container of mixed kinds, at an index that follows the data)
            tainted.update(op.outs)
            continue
        try:
            out = evaluate(*args, **dict(op.attrs))
        except Exception:  # noqa: BLE001 -- any failure: the shape stays unknown
            tainted.update(op.outs)
            continue
        env[op.out] = out
    for v in tainted:
        env.pop(v, None)


def _run_structured(op: Op, env: dict[Value, Any], tainted: set[Value],
                    moving: set[Value]) -> None:
    moving.update(op.outs)  # conservatively: what a branch or a loop gives follows the data
    for region in op.regions:
        moving.update(region.params)
    if op.prim == "if":
        outs = []
        for branch in op.regions:
            inner = dict(env)
            _run(branch, inner, set(tainted), moving)
            env.update({v: x for v, x in inner.items() if v not in env})
            outs.append([inner.get(r, UNKNOWN) for r in branch.results])
        for k, out in enumerate(op.outs):
            first, second = outs[0][k], outs[1][k]
            if first is not UNKNOWN and second is not UNKNOWN and _same_kind(first, second):
                env[out] = first
            else:
                tainted.add(out)
        return
    body, n, inits, carried = op.body, len(op.outs), op.inits, op.carried()
    unstable: set[int] = set()
    for _ in range(3):  # a slot whose kind changes in a step is unknown; run again
        inner = dict(env)
        if op.prim == "for_range" and op.args[0] in env:
            inner[op.index] = env[op.args[0]]
        for k in range(n):
            if inits[k] in env and k not in unstable:
                inner[carried[k]] = env[inits[k]]
                for region in op.regions[:-1]:
                    inner[op.carried(region)[k]] = env[inits[k]]
        for region in op.regions:
            _run(region, inner, set(tainted), moving)
        changed = {k for k in range(n) if k not in unstable and not (
            carried[k] in inner and body.results[k] in inner
            and _same_kind(inner[carried[k]], inner[body.results[k]]))}
        if not changed:
            break
        unstable |= changed
    env.update({v: x for v, x in inner.items() if v not in env})
    for k, out in enumerate(op.outs):
        if k in unstable or carried[k] not in inner:
            tainted.add(out)
        else:
            env[out] = inner[carried[k]]


# results that depend only on their operand's kind (its shape, its length), never on numbers
_KIND_READS = frozenset({".shape", ".ndim", ".size", ".dtype", "np.shape", "np.ndim", "np.size",
                         "len"})


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and a.dtype == b.dtype)
    return True


def _mixed(c: Any) -> bool:
    """Is ``c`` a container whose items differ in kind (so an item's depends on where)?
    Items that are containers themselves are alike when their structures and leaves are."""
    if not isinstance(c, (list, tuple, dict)):
        return False
    items = list(c.values() if isinstance(c, dict) else c)
    return len({_signature(x) for x in items}) > 1


def _signature(x: Any) -> Any:
    """What ``infer`` knows of ``x``: a number, an array's shape and dtype, a container's
    structure with its items' signatures."""
    if isinstance(x, np.ndarray):
        return ("array", x.shape, x.dtype) if x.ndim else "number"
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, tuple(_signature(v) for v in x))
    if isinstance(x, dict):
        return ("dict", tuple((k, _signature(v)) for k, v in x.items()))
    if isinstance(x, (*_NUMBER_TYPES, np.generic)):
        return "number"
    return type(x).__name__


def _data_dependent(index: Any) -> bool:
    """Does indexing with ``index`` give a shape that depends on the index's values?"""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype == bool for p in parts)


_STAND_INS = (bool, int, float, np.generic, np.ndarray)
