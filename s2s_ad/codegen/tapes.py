"""Tapes as preallocated arrays, for the Numba backend (``to_ast(..., backend="numba")``).

A tape (``transforms/tape.py``) is a list: the forward loop appends the values the reversed
loop pops. Where the trip count is known before the loop, Numba runs an array faster (the
product of θ as a loop over 1,000 entries: 8 µs instead of 17 µs), so the code for Numba
writes ``x_tape = np.empty(n)``, ``x_tape[i] = x`` and ``x_2 = x_tape[i_2]`` for a tape

- made in the region of both loops, and used by one ``push`` and one ``pop`` alone;
- pushed at the top level of the body of ``for i in range(n)`` (start 0, step 1: one entry
  per step, at index ``i``), and popped at the top level of the body of the same range
  reversed (``range(n - 1, -1, -1)``: it reads them back at the same index);
- of float64 numbers (one column per value pushed together).

Any other tape of float64 numbers (a ``while`` loop's: its trip count is known only after
it ends) is a growable array (``growable_tapes``): ``x_tape = np.empty(16)`` and a count
``x_tape_top = 0``; a push doubles the array when it is full, then writes
``x_tape[x_tape_top] = x`` and counts up; a pop counts down and reads
``x_tape[x_tape_top]``. Any other tape stays a list, which Numba types from its ``append``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir.avals import Number
from ..ir.core import Function, Op, Region, Value, const_value, walk
from ..optimize.rewrite import use_counts


@dataclass(frozen=True, slots=True)
class ArrayTape:
    """How a tape is written as an array: ``np.empty(length)`` (``width`` columns when
    several values are pushed together), filled at ``forward`` (the loop index) and read
    back at ``backward`` (the reversed loop's index)."""

    length: Value
    forward: Value
    backward: Value
    width: int


def array_tapes(fn: Function) -> dict[Value, ArrayTape]:
    """The tapes of ``fn`` that can be arrays (see the module docstring)."""
    if not any(op.prim == "tape_new" for op in walk(fn.body)):
        return {}  # (straight-line code: no pass over its uses)
    consts = {op.out: const_value(op) for op in walk(fn.body) if op.prim == "const"}
    uses = use_counts(fn)
    plans: dict[Value, ArrayTape] = {}
    stack = [fn.body]
    while stack:
        region = stack.pop()
        for op in region.ops:
            stack.extend(op.regions)
        made = {op.out for op in region.ops if op.prim == "tape_new"}
        if not made:
            continue
        pushes: dict[Value, tuple[Op, Op]] = {}
        pops: dict[Value, tuple[Op, Op]] = {}
        for loop in region.ops:
            if loop.prim != "for_range" or not _counts_from_zero(loop, consts):
                continue
            found = pops if loop.attr("reverse") else pushes
            for inner in _top(loop.body):
                if inner.prim in ("push", "pop") and inner.args and inner.args[0] in made:
                    found.setdefault(inner.args[0], (loop, inner))
        for tape in made:
            if tape not in pushes or tape not in pops or uses.get(tape, 0) != 2:
                continue
            (forward, push), (backward, pop) = pushes[tape], pops[tape]
            stop, other = forward.bounds[1], backward.bounds[1]
            same = stop is other or (stop in consts and other in consts
                                     and consts[stop] == consts[other])
            if same and (push.prim, pop.prim) == ("push", "pop") and all(
                    _float(v) for v in push.args[1:]) and len(pop.outs) == len(push.args) - 1:
                plans[tape] = ArrayTape(stop, forward.index, backward.index, len(pop.outs))
    return plans


def _top(region: Region) -> list[Op]:
    return region.ops


def _counts_from_zero(loop: Op, consts: dict[Value, object]) -> bool:
    start, _, step = loop.bounds
    return (type(consts.get(start)) is int and consts[start] == 0
            and type(consts.get(step)) is int and consts[step] == 1)


def _float(v: Value) -> bool:
    return isinstance(v.aval, Number) and v.aval.dtype == np.dtype(np.float64)


GROWABLE_START = 16  # a growable tape's first length (doubled when full)


def growable_tapes(fn: Function, planned: dict[Value, ArrayTape]) -> dict[Value, int]:
    """The tapes of ``fn`` not in ``planned`` that can be growable arrays, and their width
    (values pushed together): used by ``push`` and ``pop`` alone, each pushing or popping
    the same number of float64 numbers."""
    widths: dict[Value, int] = {}
    made = {op.out for op in walk(fn.body) if op.prim == "tape_new" and op.out not in planned}
    refused: set[Value] = set()
    for op in walk(fn.body):
        if op.prim == "tape_new":
            continue
        for k, a in enumerate(op.args):
            if a not in made:
                continue
            values = {"push": op.args[1:], "pop": op.outs}.get(op.prim, ()) if k == 0 else ()
            floats = op.prim == "pop" or all(_float(v) for v in values)
            if not values or not floats or widths.setdefault(a, len(values)) != len(values):
                refused.add(a)  # (read some other way, or not floats of one width)
    for region_results in _yielded(fn):  # (a tape a region yields: a loop carries it)
        refused.update(v for v in region_results if v in made)
    return {tape: width for tape, width in widths.items() if tape not in refused}


def _yielded(fn: Function) -> list[tuple[Value, ...]]:
    return [tuple(fn.body.results)] + [tuple(region.results) for op in walk(fn.body)
                                       for region in op.regions]
