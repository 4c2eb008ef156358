"""Aliasing: ``u += v`` on an array another name still reads, and the values that may
share an array's memory.

NumPy updates the array in place, so every other name for it sees the change: ``w = u``
before the update, a view (``u[1:]``, ``u.T``, ``u.reshape(...)``), a list holding it.
s2s_ad lowers ``u += v`` as ``u = u + v``, a new SSA value: right for numbers, and for an
array nothing else reads afterwards. The frontend lists the updates
(``Function.updates``); for those where something else reads the old array afterwards,
``mark_shared_updates`` puts an ``unshared(u)`` op after the update:

- code specialized to its arguments (what ``grad`` runs) asks ``shared_update`` first:
  an error naming the line when ``u`` is an array there and one of those reads is not a
  number (``w = u[0]`` of a vector is a copy), and the ops go where the arguments show
  whether ``u`` is an array (``drop_checks``);
- shape-generic code (``s2s-ad export``, ``g.general``), and specialized code where they
  do not (``u = np.array(vals)`` of a list appended in a loop), keep them:
  ``runtime.unshared`` raises, naming the file and line, if ``u`` is an array when it runs.

NumPy writes ``u += v`` into ``u``'s memory, so the new value keeps ``u``'s layout (a
transposed ``u`` stays transposed, and ``np.mean`` of it sums in that order) and dtype,
where ``u + v`` is a fresh C-ordered array. The frontend marks each update
``updated(u + v, u)``; ``codegen/updates.py`` writes it, in code specialized to arrays, as
``np.add(u, v, out=np.empty_like(u))`` (the same arithmetic into a fresh array laid out
like ``u``), so a value stays bit for bit ``f``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..errors import UnsupportedSyntaxError
from ..ir.avals import Array, Tuple
from ..ir.core import LOOPS, Function, Op, Region, Update, Value, walk
from ..primitives import get


@dataclass(frozen=True)
class SharedUpdate:
    """An update whose old value is read afterwards through ``readers``."""

    update: Update
    readers: tuple[Value, ...]


@dataclass(frozen=True)
class _Place:
    """Where an op runs: its position in program order, the loops around it (ids), the
    branches it is in (``(id of the if, which branch)``) and the regions it is in (ids: a
    ``while``'s condition and its body are two)."""

    at: float
    loops: tuple[int, ...] = ()
    branches: tuple[tuple[int, int], ...] = ()
    regions: tuple[int, ...] = ()

    def exclusive(self, other: _Place) -> bool:
        """Never on one path: in different branches of one ``if``."""
        mine = dict(self.branches)
        return any(mine.get(op, k) != k for op, k in other.branches)


def mark_shared_updates(fn: Function, updates: list[Update],
                        numbers: set[Value]) -> tuple[SharedUpdate, ...]:
    """Find the ``updates`` of ``fn`` whose old value (not one of the ``numbers``) is read
    again afterwards, and put an ``unshared`` check after each."""
    if not updates:
        return ()
    order = list(_in_order(fn.body))
    defined: dict[Value, _Place] = {}
    enclosing: dict[Value, int] = {}  # a branch's or loop's result -> the id of its op
    sharing: dict[Value, list[tuple[Value, _Place]]] = {}  # value -> (may share it, where)
    reads: dict[Value, list[_Place]] = {}
    for op, _, place in order:
        for v in op.outs:
            defined[v] = place
            if op.regions:
                enclosing[v] = id(op)
        for k, region in enumerate(op.regions):
            inner = _inside(op, k, place)
            for v in region.params:
                defined[v] = inner
        for a, b, where in _shares(op, place):
            sharing.setdefault(a, []).append((b, where))
            sharing.setdefault(b, []).append((a, where))
        for a in op.args:
            reads.setdefault(a, []).append(place)
    _carry_sharing(order, sharing)
    for v, where in _result_reads(fn.body, order):
        reads.setdefault(v, []).append(where)
    # list(xs) shares xs's items, not the list: `ys[i] = v` into it leaves xs as it is
    items_only = {pair for op, _, _ in order if op.prim == "list"
                  for pair in ((op.out, op.args[0]), (op.args[0], op.out))}
    shared = []
    for update in updates:
        if update.old in numbers or update.new not in defined:
            continue
        here = defined[update.new]
        # what may share old's memory on a path through the update, in the order found (a
        # dict, not a set: the check's operands, and so the generated code, are the same
        # from one run to the next)
        aliases, stack = {update.old: None}, [update.old]
        while stack:
            current = stack.pop()
            for other, where in sharing.get(current, ()):
                if update.op == "[]" and (current, other) in items_only:
                    continue
                if other not in aliases and not where.exclusive(here):
                    aliases[other] = None
                    stack.append(other)
        readers = tuple(v for v in aliases if any(
            _after(read, here, defined.get(v, _Place(-1))) for read in reads.get(v, ())))
        if readers:
            op, region, _ = next(entry for entry in order if update.new in entry[0].outs)
            # the readers there already: the update is harmless if none of them is an array
            known = tuple(v for v in readers if v is not update.old
                          and _visible(v, defined.get(v, _Place(-1)), here, enclosing))
            at = str(update.loc) if update.loc else f"line 0 of {fn.name}"
            check = Op("unshared", (update.old, *known), (),
                       (("name", update.name), ("op", update.op), ("at", at)), (), update.loc)
            region.ops.insert(region.ops.index(op) + 1, check)
            shared.append(SharedUpdate(update, readers))
    return tuple(shared)


def _carry_sharing(order: list[tuple[Op, Region, _Place]],
                   sharing: dict[Value, list[tuple[Value, _Place]]]) -> None:
    """Carried values that one pass of a loop ends with sharing memory (``w = u``) start
    the next pass sharing it: link them (twice over, for loops in loops)."""
    for _ in range(2):
        component = _components(sharing)
        for op, _, place in order:
            if op.prim not in LOOPS:
                continue
            carried = op.carried()
            inside = _inside(op, len(op.regions) - 1, place)
            groups: dict[int, list[Value]] = {}
            for k, result in enumerate(op.nexts):
                groups.setdefault(component.get(result, id(result)), []).append(carried[k])
            for same in groups.values():
                for a, b in zip(same, same[1:]):
                    sharing.setdefault(a, []).append((b, inside))
                    sharing.setdefault(b, []).append((a, inside))


def _components(sharing: dict[Value, list[tuple[Value, _Place]]]) -> dict[Value, int]:
    """Each value's connected component (a number) in ``sharing``, on any path."""
    component: dict[Value, int] = {}
    for start in sharing:
        if start in component:
            continue
        component[start] = label = id(start)
        stack = [start]
        while stack:
            for other, _ in sharing.get(stack.pop(), ()):
                if other not in component:
                    component[other] = label
                    stack.append(other)
    return component


def _visible(v: Value, source: _Place, here: _Place, enclosing: dict[Value, int]) -> bool:
    """Is ``v`` (defined at ``source``) bound where the update at ``here`` runs: before it,
    not inside a branch or loop that ``here`` is outside of, not the result of one that
    ``here`` is inside?"""
    around = {op for op, _ in here.branches} | set(here.loops)
    return (source.at < here.at and set(source.branches) <= set(here.branches)
            and set(source.loops) <= set(here.loops) and set(source.regions) <= set(here.regions)
            and enclosing.get(v) not in around)


def _after(read: _Place, update: _Place, source: _Place) -> bool:
    """Can ``read`` run after ``update`` on one path: later, or in a loop that runs the
    update again and that the value read (defined at ``source``) comes from outside of?"""
    if read.exclusive(update):
        return False
    again = set(update.loops) - set(source.loops)
    return read.at > update.at or bool(again.intersection(read.loops))


def shared_update(in_place: tuple[SharedUpdate, ...], numbers: set[Value],
                  arrays: set[Value], stage: str) -> None:
    """Raise where an update is known to change an array that is read again (``numbers``
    and ``arrays``: what the arguments at hand make the values of the lifted function)."""
    for shared in in_place:
        update = shared.update
        if update.old in arrays and any(r not in numbers for r in shared.readers):
            raise in_place_error(shared, stage)


def in_place_error(shared: SharedUpdate, stage: str) -> UnsupportedSyntaxError:
    update = shared.update
    n, op = update.name, update.op
    other = list(update.others) or sorted(r.hint for r in shared.readers
                                          if r.user and r.hint != n)
    who = f"`{other[0]}`" if other else "another name, a view (a slice, .T) or a list"
    if op == "[]":  # `x[i] = v`
        return UnsupportedSyntaxError(
            f"`{n}[...] = ...` writes into the array {n} in place, and {who} still reads "
            f"the old array afterwards (a view of {n}, or {n} is a view of it): s2s_ad "
            "gives every assignment a new value, so that read would not see the write",
            loc=update.loc, stage=stage,
            hint=f"take the view after the write, or give it a copy of its own with "
                 f"`.copy()`; to write through a view, index {n} itself (`{n}[i, j] = v`)")
    return UnsupportedSyntaxError(
        f"`{n} {op}= ...` changes the array {n} in place, and {who} still reads the old "
        f"array afterwards: s2s_ad gives every assignment a new value, so its derivative "
        "would not see the change",
        loc=update.loc, stage=stage,
        hint=f"write `{n} = {n} {op} ...` for a new array (the other name keeps the old "
             "values), or give the other name a copy of its own with `.copy()`")


def _inside(op: Op, k: int, place: _Place) -> _Place:
    """The place of ``op``'s region ``k``."""
    regions = place.regions + (id(op.regions[k]),)
    if op.prim in LOOPS:
        return _Place(place.at, place.loops + (id(op),), place.branches, regions)
    return _Place(place.at, place.loops, place.branches + ((id(op), k),), regions)


def _in_order(region: Region) -> Iterator[tuple[Op, Region, _Place]]:
    """``(op, its region, its place)`` in program order."""
    count = 0
    stack: list[tuple[Iterator[Op], Region, _Place]] = [(iter(region.ops), region, _Place(0))]
    while stack:
        ops, current, around = stack[-1]
        op = next(ops, None)
        if op is None:
            stack.pop()
            continue
        place = _Place(count, around.loops, around.branches, around.regions)
        count += 1
        yield op, current, place
        for k in reversed(range(len(op.regions))):
            stack.append((iter(op.regions[k].ops), op.regions[k], _inside(op, k, place)))


def _result_reads(body: Region, order: list[tuple[Op, Region, _Place]]
                  ) -> Iterator[tuple[Value, _Place]]:
    """The results of nested regions, read where the region ends, and the function's, read
    at the end."""
    ends: dict[int, float] = {}  # id(region) -> position of its last op
    for _, region, place in order:
        ends[id(region)] = place.at
    for op, _, place in order:
        for k, region in enumerate(op.regions):
            inner = _inside(op, k, place)
            end = _last(region, ends, place.at)
            for r in region.results:
                yield r, _Place(end, inner.loops, inner.branches, inner.regions)
    for r in body.results:
        yield r, _Place(float("inf"))


def _last(region: Region, ends: dict[int, float], default: float) -> float:
    """The position of the last op in ``region``, nested ones included."""
    last, stack = default, [region]
    while stack:
        current = stack.pop()
        last = max(last, ends.get(id(current), default))
        stack.extend(r for op in current.ops for r in op.regions)
    return last


def _shares(op: Op, place: _Place) -> Iterator[tuple[Value, Value, _Place]]:
    """``(a, b, where)``: ``op`` may make ``a`` and ``b`` share memory (a view and its
    base, a tuple and its items, what goes into a branch or a loop and what comes out: the
    first step of a loop starts from its initial values), on the paths through ``where``."""
    if op.prim == "tuple":
        yield from ((a, op.out, place) for a in op.args)
    elif get(op.prim).view and op.args:
        yield from ((op.args[0], out, place) for out in op.outs)
    elif op.prim in LOOPS:
        for region in op.regions:
            yield from ((a, b, place) for a, b in zip(op.inits, op.carried(region)))
        yield from ((a, b, place) for a, b in zip(op.body.results, op.outs))
    else:
        for k, region in enumerate(op.regions):
            branch = _inside(op, k, place)
            yield from ((a, b, branch) for a, b in zip(region.results, op.outs))


def drop_checks(region: Region, known: set[Value]) -> None:
    """Remove the run-time checks that code specialized to its arguments settles when it
    is built (its values carry their avals): the ``unshared`` checks of ``u += v``
    (``mark_shared_updates``) where ``u`` is ``known`` there to be a number or an array
    (the api settled those when building it), and ``unpacks(c, n=...)`` (or
    ``at_least=...``) where ``c``'s length is known (``x.shape``, the rows of an array).
    Where it is not (an array made from a list appended in a loop, a tuple argument), the
    check stays and runs."""
    stack = [region]
    while stack:
        current = stack.pop()
        current.ops[:] = [op for op in current.ops if not _settled(op, known)]
        stack.extend(r for op in current.ops for r in op.regions)


def _settled(op: Op, known: set[Value]) -> bool:
    if op.prim == "unshared":
        return op.args[0] in known
    if op.prim == "writable":  # `x[i] = v`: an array (of ints, it carries no derivative)
        return isinstance(op.args[0].aval, Array)
    if op.prim == "unpacks":
        aval = op.args[0].aval
        length = (len(aval.items) if isinstance(aval, Tuple) else
                  aval.shape[0] if isinstance(aval, Array) else None)
        at_least = op.attr("at_least")
        return length == op.attr("n") if at_least is None else (
            length is not None and length >= at_least)
    return False


def views_of(fn: Function, arrays: set[Value]) -> set[Value]:
    """The values of ``fn`` that may share the memory of ``arrays``: views (``x[1:]``,
    ``x.T``, ``x.reshape(...)``) and what a branch or a loop passes one through as."""
    views: set[Value] = set()
    while True:
        before = len(views)
        for op in walk(fn.body):
            shared = arrays | views
            if get(op.prim).view and op.args and op.args[0] in shared:
                views.update(op.outs)
            elif op.regions:
                ins: list[Sequence[Value]] = [
                    region.results for region in op.regions[-1 if op.prim in LOOPS else 0:]]
                if op.prim in LOOPS:
                    ins.append(op.inits)
                views.update(out for k, out in enumerate(op.outs)
                             if any(values[k] in shared for values in ins))
        if len(views) == before:
            return views
