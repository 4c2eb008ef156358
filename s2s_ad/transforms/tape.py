"""The backward sweep of a loop, and the tape that feeds it.

The reversed loop runs the iterations backward. Each reversed iteration pops the carried
values that iteration started with, recomputes the body from them, and runs the body's
backward sweep; adjoints of the carried values are carried backward, and adjoints of
outer values the body reads (``w`` in ``x = x + dt*sin(w*x)``) are accumulated.

The forward loop pushes only the carried values the reversed body actually reads, found
after building it: ``s = s + x*i`` pushes nothing, the recurrence above one float a step.
Loops that can ``break``, and ``while`` loops, also count their iterations, so the
reversed loop knows how many to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UnsupportedSyntaxError
from ..ir.core import Op, Region, Value, walk
from ..primitives import get
from ..primitives.registry import pure_op

WRITES = ("setitem", "index_add")  # `x[i] = v`, `x[i] += v` (a new value: primitives/structures.py)

if TYPE_CHECKING:  # (the sweep that calls backward_loop: reverse.py imports this module)
    from .reverse import Reverse


def backward_loop(sweep: Reverse, ops: list[Op], index: int) -> None:
    """Emit the backward sweep of ``ops[index]``, a loop, in ``sweep``'s region: build the
    reversed body, then tape what it reads (the forward loop pushes it), then the reversed
    loop itself."""
    loop = ops[index]
    reversed_ = _reverse_body(sweep, loop)
    _tape(reversed_, loop, ops, index)
    _reversed_loop(sweep, reversed_, loop, ops, index)


class _Reversed:
    """The reversed body of a loop, as ``_reverse_body`` builds it."""

    def __init__(self, body: Region, pop: Op, saved: list[Value], popped: list[Value],
                 slots: list[int], d_carried: list[Value], outer: list[tuple[Value, Value]],
                 accumulators: list[Value]) -> None:
        self.body, self.pop = body, pop
        self.saved, self.popped = saved, popped  # what an iteration may need, and its pops
        self.slots, self.d_carried = slots, d_carried  # active carried values, adjoints
        self.outer, self.accumulators = outer, accumulators  # outer values' adjoints


def _reverse_body(sweep: Reverse, loop: Op) -> _Reversed:
    """One reversed iteration: pop the values the iteration started with, recompute the
    body from them, and run its backward sweep."""
    e, body, carried, nexts = sweep.e, loop.body, loop.carried(), loop.nexts
    is_for = loop.prim == "for_range"
    slots = [k for k in range(len(loop.outs)) if carried[k] in sweep.active]
    index_param = Value(loop.index.hint if is_for else "_")
    d_carried = [Value("d" + carried[k].hint) for k in slots]
    reversed_body = Region([index_param, *d_carried])
    # What an iteration may need again: the carried values it started with, and what it
    # read from lists that grow in this loop (read again later, they would have grown).
    snapshots = _snapshot_reads(loop, body)
    final = _final_rows(sweep, loop) if is_for else _FinalRows({}, {})
    saved = [*carried, *(v for op in snapshots if op not in final.reads for v in op.outs)]
    popped = [Value(v.hint) for v in saved]
    # a popped value is what was pushed, and an adjoint is shaped like its value
    for v, w in [*zip(saved, popped), *zip([carried[k] for k in slots], d_carried)]:
        e.share_kind(w, v)
    pop = Op("pop", (), tuple(popped), (), (), loop.loc)
    reversed_body.ops.append(pop)
    with e.into(reversed_body), e.at(loop.loc):
        inner = sweep.child()
        inner.defines.update(popped)
        inner.defines.add(index_param)
        mapping = dict(zip(saved, popped))
        if is_for:
            mapping[loop.index] = index_param
        # rows the loop never writes again are read from the array after it, not taped
        for op, (k, offset) in final.reads.items():
            mapping[op.out] = _row(e, loop.outs[k], index_param, offset, op.out.hint)
        rows = {v: _row(e, loop.outs[k], index_param, offset, v.hint)
                for v, (k, offset) in final.written.items()}
        # a taped read is not run again; its marker keeps its place in the backward sweep;
        # a check (`a, b = pair`) ran in the forward sweep, in the program's order
        inner.recompute([Op("repop" if op.prim == "pop" else "reread", op.args + op.outs,
                            (), (), (), op.loc)
                         if op in snapshots else op for op in body.ops
                         if not get(op.prim).check], mapping)
        for k, dk in zip(slots, d_carried):
            inner.seed(mapping.get(nexts[k], nexts[k]), dk)
        inner.backward(reversed_body.ops, len(reversed_body.ops))
        # what the iteration wrote is that row of the array after the loop: read, not
        # computed again (the recomputation goes once nothing else reads it)
        _substitute(reversed_body, _same_values(reversed_body, {mapping[v]: row
                                                                for v, row in rows.items()}))
        next_d = [inner.merged(popped[k], whole=True) or inner.zero(popped[k])
                  for k in slots]
        local = set(mapping.values())
        outer = [(v, g) for v, g in inner.adjoint.items() if v not in local]
        accumulators = [Value("d" + v.hint if v.hint else "") for v, _ in outer]
        reversed_body.params.extend(accumulators)
        # (an adjoint that may be a list or a dict adds up in its structure)
        reversed_body.results = next_d + [
            _structured(inner, e.emit("merge_adjoints", g, acc, v)[0])
            if g in inner.structured else e.add(acc, g)
            for acc, (v, g) in zip(accumulators, outer)]
    return _Reversed(reversed_body, pop, saved, popped, slots, d_carried, outer, accumulators)


def _tape(reversed_: _Reversed, loop: Op, ops: list[Op], index: int) -> None:
    """Push exactly what the reversed body reads; recomputation nothing reads goes (it may
    read carried values that are not pushed)."""
    body, pop, saved, popped = reversed_.body, reversed_.pop, reversed_.saved, reversed_.popped
    _prune(body)
    read = _live_reads(body)
    keep = [k for k in range(len(saved)) if popped[k] in read]
    if not keep:
        body.ops.remove(pop)
        return
    tape = Value((saved[keep[0]].hint or "") + "_tape")
    pop.args = (tape,)
    pop.outs = tuple(popped[k] for k in keep)
    push = Op("push", (tape, *(saved[k] for k in keep)), (), (), (), loop.loc)
    if keep[-1] < len(loop.outs):
        loop.body.ops.insert(0, push)  # carried values only: saved as the iteration starts
    else:
        loop.body.ops.append(push)  # after the reads it saves
    ops.insert(index, Op("tape_new", (), (tape,), (), (), loop.loc))


def _reversed_loop(sweep: Reverse, reversed_: _Reversed, loop: Op, ops: list[Op],
                   index: int) -> None:
    """The loop that runs the reversed body once per forward iteration, last first, and
    hands the adjoints it carries out to the sweep."""
    e, is_for = sweep.e, loop.prim == "for_range"
    slots, outer = reversed_.slots, reversed_.outer
    carried, inits = loop.carried(), loop.inits
    count = None
    if not is_for or loop.attr("breaks"):
        count = _count_iterations(loop, ops, index)
    with e.at(loop.loc):
        if is_for and count is None:
            bounds = loop.bounds
        elif is_for:
            start, _, step = loop.bounds
            bounds = (start, e.add(start, e.mul(count, step)), step)
        else:
            bounds = (e.const(0), count, e.const(1))
        d_inits = [sweep.adjoint.get(loop.outs[k]) or sweep.zero(loop.outs[k]) for k in slots]
        acc_inits = [sweep.adjoint.get(v) or sweep.zero(v) for v, _ in outer]
    finals = tuple(Value(v.hint) for v in (*reversed_.d_carried, *reversed_.accumulators))
    shaped_like = [*(carried[k] for k in slots), *(v for v, _ in outer)]
    for v, w in [*zip(shaped_like, finals),
                 *zip(shaped_like[len(slots):], reversed_.accumulators)]:
        e.share_kind(w, v)
    e.region.ops.append(Op("for_range", (*bounds, *d_inits, *acc_inits), finals,
                           () if loop.attr("reverse") else (("reverse", True),),
                           (reversed_.body,), loop.loc))  # (a reversed loop runs forward)
    for (v, g), final in zip(outer, finals[len(slots):]):
        sweep.adjoint[v] = final  # it started from v's adjoint so far
        if g in sweep.structured:
            sweep.structured.add(final)
    for k, final in zip(slots, finals):  # after: an initial value may be an outer value too
        if inits[k] in sweep.active:
            sweep.accumulate(inits[k], final)


def _structured(sweep: Reverse, v: Value) -> Value:
    sweep.structured.add(v)
    return v


class _FinalRows:
    """What ``_final_rows`` finds: row reads (op -> (carried slot, offset from the index))
    and written values (value -> (carried slot, offset)) that the array after the loop
    holds."""

    def __init__(self, reads: dict[Op, tuple[int, int]],
                 written: dict[Value, tuple[int, int]]) -> None:
        self.reads, self.written = reads, written


def _final_rows(sweep: Reverse, loop: Op) -> _FinalRows:
    """In a loop counting up (``for t in range(start, stop, step)``, step > 0) that fills a
    carried array one row a step (``h[t + c] = v``, c > 0, its only write), a row read at
    ``t + d`` with d < c is never written again: the array after the loop holds it, and
    so does it hold ``v`` at ``t + c`` (where ``v`` has the row's shape and dtype). Reading
    them there saves taping the rows and computing ``v`` again (hand-written
    backpropagation through time reads ``h[t]`` and ``h[t + 1]`` so)."""
    reads: dict[Op, tuple[int, int]] = {}
    written: dict[Value, tuple[int, int]] = {}
    constants = sweep.e.constants
    start, _, step = (constants.get(v) for v in loop.bounds)
    if (type(start) is not int or type(step) is not int or step <= 0
            or loop.attr("reverse")):  # (`for t in reversed(range(T))` counts down)
        return _FinalRows(reads, written)
    t, body = loop.index, loop.body
    made = {out: op for op in body.ops for out in op.outs}

    def offset(index: Value) -> int | None:  # index = t + offset, offset an int constant
        if index is t:
            return 0
        op = made.get(index)
        if op is None or op.prim not in ("add", "sub") or len(op.args) != 2:
            return None
        a, b = op.args
        if op.prim == "add" and b is t:
            a, b = b, a
        c = constants.get(b)
        if a is not t or type(c) is not int:
            return None
        return c if op.prim == "add" else -c

    for k, (array, nxt) in enumerate(zip(loop.carried(), loop.nexts)):
        uses = [op for op in walk(body) if array in op.args]
        writes = [op for op in uses if op.prim in WRITES]
        if len(writes) != 1 or writes[0].prim != "setitem" or writes[0].out is not nxt \
                or writes[0] not in body.ops or writes[0].args[0] is not array:
            continue
        c = offset(writes[0].args[1])
        if c is None or c <= 0 or start + c < 0:
            continue
        row_reads = [op for op in uses if op.prim == "getitem" and op in body.ops
                     and op.args[0] is array]
        if any(op not in row_reads and op is not writes[0] and not get(op.prim).check
               for op in uses):
            continue  # (read whole, or written into by something else)
        for op in row_reads:
            d = offset(op.args[1])
            if d is not None and d < c and start + d >= 0:
                reads[op] = (k, d)
        v, shape = writes[0].args[2], sweep.e.array_shape(array)
        if (shape is not None and sweep.e.array_shape(v) == shape[1:]
                and sweep.e.array_dtype(v) is not None
                and sweep.e.array_dtype(v) == sweep.e.array_dtype(array)):
            written[v] = (k, c)
    return _FinalRows(reads, written)


def _row(e: Any, array: Value, index: Value, offset: int, hint: str) -> Value:
    """``array[index + offset]``."""
    at = index if offset == 0 else e.add(index, offset)
    return e.emit("getitem", array, at, hint=hint)[0]


def _same_values(region: Region, by: dict[Value, Value]) -> dict[Value, Value]:
    """``by``, and the results of the other ops of ``region`` that compute what the op of a
    key computes (a rule computing ``np.tanh(z)`` again for its derivative)."""
    if not by:
        return by
    made = {op.out: op for op in region.ops if len(op.outs) == 1}
    keys = {_key(op): by[v] for v, op in made.items() if v in by}
    same = dict(by)
    for v, op in made.items():
        row = keys.get(_key(op))
        if row is not None and get(op.prim).pure:
            same[v] = row
    return same


def _key(op: Op) -> tuple[Any, ...]:
    """What ``op`` computes, as a key (attributes by id where they are not hashable: a
    constant array)."""
    attrs = tuple((k, v if isinstance(v, (int, float, str, bool, tuple, type(None)))
                   else id(v)) for k, v in op.attrs)
    return op.prim, op.args, attrs


def _substitute(region: Region, by: dict[Value, Value]) -> None:
    """Read ``by[v]`` wherever ``region`` reads ``v`` (in nested regions too)."""
    if not by:
        return
    for op in walk(region):
        op.args = tuple(by.get(a, a) for a in op.args)
        for inner in op.regions:
            inner.results = [by.get(v, v) for v in inner.results]
    region.results = [by.get(v, v) for v in region.results]


def _snapshot_reads(loop: Op, body: Region) -> list[Op]:
    """The body's reads of lists that this loop appends to, its pops (of a gradient's
    tape, differentiated again), and its reads of an array it carries and writes into:
    their values go on the tape, as they cannot be read again."""
    growing = {op.args[0] for op in walk(Region(ops=[loop])) if op.prim == "append"}
    # a stack the body makes is made again, and popped again, when it is recomputed: taping
    # its pop would leave an entry in it (an adjoint stack pushed beside it came out long)
    made = {v for op in walk(body) for v in op.outs}
    # an array the loop carries and writes into (`h[t + 1] = f(h[t])`): its items are
    # taped as they are read, and the array is not (a copy a step)
    written = {op.args[0] for op in body.ops if op.prim in WRITES} & set(loop.carried())
    reads = [op for op in body.ops if (op.prim == "pop" and not (op.args and op.args[0] in made))
             or (op.prim in ("getitem_mut", "len_mut") and op.args[0] in growing)
             or (op.prim == "getitem" and op.args[0] in written)]
    for inner in body.ops:  # (a list the body makes, `for a, *b in pairs`, is made again)
        for nested in (walk(Region(ops=[inner])) if inner.regions else ()):
            if nested.prim in ("getitem_mut", "len_mut") and nested.args[0] in growing - made:
                raise UnsupportedSyntaxError(
                    "cannot differentiate reading a list inside a branch or inner loop of the "
                    "loop that appends to it", loc=nested.loc,
                    hint="read it into a variable at the top of the loop body")
    return reads


def _count_iterations(loop: Op, ops: list[Op], index: int) -> Value:
    """Give ``loop`` one more carried value counting its iterations; return the count."""
    body = loop.body
    n = len(loop.outs)
    zero = Value()
    ops.insert(index, Op("const", (), (zero,), (("value", 0),), (), loop.loc))
    counter = Value("trips")
    one = Value()
    bumped = Value("trips")
    body.ops.append(Op("const", (), (one,), (("value", 1),), (), loop.loc))
    body.ops.append(Op("add", (counter, one), (bumped,), (), (), loop.loc))
    body.params.append(counter)
    body.results.insert(n, bumped)
    for region in loop.regions[:-1]:  # a while condition sees the carried values too
        region.params.append(Value("trips"))
    total = Value("trips")
    loop.args = (*loop.args, zero)
    loop.outs = (*loop.outs, total)
    return total


def _prune(region: Region) -> None:
    """Drop the pure ops of ``region`` whose results nothing live reads."""
    live: set[Value] = set(region.results)
    kept = []
    for op in reversed(region.ops):
        if not pure_op(op) or any(o in live for o in op.outs):
            live.update(op.args)
            for inner in op.regions:
                _prune(inner)
                live |= _live_reads(inner)
            kept.append(op)
    region.ops[:] = reversed(kept)


def _live_reads(region: Region) -> set[Value]:
    """Values that the live ops of ``region`` (and of regions inside them) read."""
    live: set[Value] = set(region.results)
    for op in reversed(region.ops):
        if not pure_op(op) or any(o in live for o in op.outs):
            live.update(op.args)
            for inner in op.regions:
                live.update(_live_reads(inner))
    return live
