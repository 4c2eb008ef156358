"""Row adjoints carried as values: the adjoint of a fill loop's array kept one row at a time.

The gradient of a fill loop (``h[t + 1] = g(h[t])``, examples/rnn.py) has an adjoint ``dh``
of the whole array, made of zeros, seeded at its last row, and a reverse loop that reads
and clears row ``t + 1`` and adds into row ``t``::

    dh = zeros_array((T + 1, n))
    add_item dh T g                      # dh[T] += g
    for t in reversed(range(s, T)):      # carries dh
        r = dh[t + 1]; dh[t + 1] = 0.0   # the adjoint of h[t + 1], read once
        ...
        dh[t] += x                       # the adjoint of h[t]

Row ``t`` holds nothing before step ``t`` adds into it (the seed is in row ``T``, and each
step adds into a row of its own), so ``dh[t] += x`` sets it to ``x``, which the next step
reads. Where nothing else reads ``dh`` (the loop's final ``dh`` is dead, or read only at
row ``s``, with ``0 <= s <= T`` constants: the row the last step adds into), the loop
carries that row instead: ``r`` starts as ``g`` and becomes ``x``, as hand-written
backpropagation through time keeps one vector. Memory: a row instead of ``(T + 1) · n``
floats.

Shapes must be known (code specialized to its arguments): the seed and ``x`` must each
have the row's shape, so that the row is exactly them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..ir.avals import Array, Number, with_shape
from ..ir.core import Function, Op, Region, Value, const_value, walk


def carried_rows(fn: Function) -> Function:
    """``fn`` with each such adjoint carried a row at a time (``fn`` itself if none)."""
    if not any(op.prim == "zeros_array" for op in fn.body.ops):
        return fn
    constants = {op.out: const_value(op) for op in walk(fn.body) if op.prim == "const"}
    reads = _reads(fn.body)
    ops = fn.body.ops
    users: dict[Value, list[Op]] = {}
    for op in ops:
        for a in dict.fromkeys(op.args):
            users.setdefault(a, []).append(op)
    for op in list(ops):
        if op.prim == "zeros_array":
            plan = _plan(op, users, reads, constants)
            if plan is not None:
                ops = _rewritten(ops, *plan)
    return fn if ops is fn.body.ops else replace(
        fn, body=Region(fn.body.params, ops, fn.body.results))


def _reads(region: Region) -> dict[Value, int]:
    """How many times each value is read (as an operand or a region's result)."""
    count: dict[Value, int] = {}
    for v in region.results:
        count[v] = count.get(v, 0) + 1
    for op in walk(region):
        for a in op.args:
            count[a] = count.get(a, 0) + 1
        for inner in op.regions:
            for v in inner.results:
                count[v] = count.get(v, 0) + 1
    return count


def _plan(zeros: Op, users: dict[Value, list[Op]], reads: dict[Value, int],
          constants: dict[Value, object]) -> tuple[Op | None, ...] | None:
    """(zeros, seed add, loop, read, clear, add, final read) where ``zeros`` starts the
    pattern; the final read (None if there is none) is ``dh[s]`` after the loop, where the
    loop runs over ``range(s, T)``, both constants with ``s <= T``: the row the last step
    adds into, which the loop then passes on."""
    dh = zeros.out
    shape = constants.get(zeros.args[0])  # (np.zeros(shape): the shape a constant)
    if (not isinstance(shape, tuple) or len(shape) < 1 or reads.get(dh, 0) != 2
            or len(users.get(dh, ())) != 2 or zeros.attrs):
        return None
    row = with_shape(shape[1:], np.dtype(float))
    seed, loop = users[dh]
    if (seed.prim != "add_item" or seed.args[0] is not dh or dh in seed.args[1:]
            or loop.prim != "for_range" or not loop.attr("reverse")):
        return None
    start, stop, step = loop.bounds
    if (constants.get(step) != 1 or not _same_index(seed.args[1], stop, constants)
            or not _exactly(seed.args[2], row)):
        return None
    slots = [j for j, init in enumerate(loop.inits) if init is dh]
    if len(slots) != 1 or dh in loop.bounds:
        return None
    slot = slots[0]
    final = None
    if reads.get(loop.outs[slot], 0) != 0:
        after = users.get(loop.outs[slot], [])
        first, last = constants.get(start), constants.get(stop)
        if (reads.get(loop.outs[slot]) != 1 or len(after) != 1 or after[0].prim != "getitem"
                or after[0].args[0] is not loop.outs[slot] or type(first) is not int
                or type(last) is not int or not 0 <= first <= last
                or constants.get(after[0].args[1]) != first):
            return None
        final = after[0]
    body, t = loop.body, loop.index
    param = loop.carried()[slot]
    made = {out: op for op in body.ops for out in op.outs}
    uses = [op for op in body.ops if param in op.args]
    if reads.get(param, 0) != 2 or len(uses) != 2:
        return None
    read, clear = uses
    if (read.prim != "getitem" or read.args[0] is not param or clear.prim != "setitem"
            or clear.args[0] is not param or read.args[1] is not clear.args[1]
            or not _is_next(made.get(read.args[1]), t, constants)
            or constants.get(clear.args[2]) != 0.0):
        return None
    cleared = clear.out
    adds = [op for op in body.ops if cleared in op.args]
    if reads.get(cleared, 0) != 1 or len(adds) != 1:
        return None
    (add,) = adds
    if (add.prim != "index_add" or add.args[0] is not cleared or add.args[1] is not t
            or not _exactly(add.args[2], row) or reads.get(add.out, 0) != 1
            or body.results[slot] is not add.out):
        return None
    return zeros, seed, loop, read, clear, add, final


def _same_index(a: Value, b: Value, constants: dict[Value, object]) -> bool:
    """Are ``a`` and ``b`` the same index (one value, or equal int constants)?"""
    return a is b or (type(constants.get(a)) is int and constants.get(a) == constants.get(b))


def _rewritten(ops: list[Op], zeros: Op, seed: Op, loop: Op, read: Op, clear: Op,
               add: Op, final: Op | None) -> list[Op]:
    """``ops`` with the loop carrying the row: it starts as the seed, the step reads it
    where it read the row, and passes on what it added (what ``final`` read after it)."""
    slot = list(loop.inits).index(zeros.out)
    old = loop.carried()[slot]
    row = read.out
    param = Value(row.hint or old.hint, row.user, row.aval)
    body = loop.body
    kept = Region(body.params, [op for op in body.ops if op not in (read, clear, add)],
                  [add.args[2] if k == slot else v for k, v in enumerate(body.results)])
    renamed = _renamed(kept, {row: param, old: param})
    outs = tuple(Value(o.hint, o.user, row.aval) if k == slot else o
                 for k, o in enumerate(loop.outs))
    n = len(loop.args) - len(loop.outs) + slot
    args = loop.args[:n] + (seed.args[2],) + loop.args[n + 1:]
    new_loop = replace(loop, args=args, outs=outs, regions=(*loop.regions[:-1], renamed))
    out: list[Op] = []
    for op in ops:
        if op is loop:
            out.append(new_loop)
        elif op is final:  # (copy propagation then reads the loop's row there)
            out.append(Op("copy", (outs[slot],), op.outs, (), (), op.loc))
        elif op is not zeros and op is not seed:
            out.append(op)
    return out


def _renamed(region: Region, by: dict[Value, Value]) -> Region:
    """A copy of ``region`` reading ``by[v]`` wherever it read ``v``."""
    ops = [replace(op, args=tuple(by.get(a, a) for a in op.args),
                   regions=tuple(_renamed(r, by) for r in op.regions)) for op in region.ops]
    return Region([by.get(p, p) for p in region.params], ops,
                  [by.get(v, v) for v in region.results])


def _exactly(v: Value, row: Number | Array) -> bool:
    """Is ``v`` known to have the row's shape (so that the row is ``v``, not a broadcast)?"""
    aval = v.aval
    if isinstance(row, Number):
        return isinstance(aval, Number)
    return isinstance(aval, Array) and aval.shape == row.shape


def _is_next(op: Op | None, t: Value, constants: dict[Value, object]) -> bool:
    """Is ``op`` ``t + 1``?"""
    if op is None or op.prim != "add" or len(op.args) != 2:
        return False
    a, b = op.args
    other = b if a is t else a if b is t else None
    return other is not None and constants.get(other) == 1
