"""Lowering of control flow into structured regions: ``if``, ``for``, ``while``.

A block of statements lowers to one of two outcomes: it *returns* an entry, or it *ends*
(falls through, or leaves a loop iteration by ``break``/``continue``) with an environment.
A branch that can return, break or continue takes the rest of the block with it (the rest
is lowered into the other branch as well), so every early exit becomes an ordinary join of
two regions, and the IR stays structured: no gotos, no flags the user did not write --
except one: a loop whose body can ``break`` yields a ``broke`` flag that ends the loop.
(A ``return`` inside a loop arrives here as a flag and a ``break``: exits.py.)
"""

from __future__ import annotations

import ast
from collections.abc import Container
from typing import Any

from ..ir.core import Op, Region, Value
from .closures import TRANSFORM_TIME, stored_names
from .exits import is_exit
from .records import STRUCTURES, parts, rebuilt, same_shape
from .source import child_nodes

RETURNS, ENDS = "returns", "ends"
BREAK = "<break>"  # pseudo-variable of a loop body: has this iteration executed `break`?


class ControlFlow:
    """Mixin of the lowerer: needs ``e``, ``expr``, ``stmt``, ``operand``, ``error``,
    ``partly_bound``, ``unjoined``, ``exits``."""

    runtime_loops = 0  # run-time loops around the statement being lowered (not unrolled)
    first_bound: tuple = ()  # per run-time loop around it: its _FirstBound, or None

    # --- blocks ---------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], env: dict) -> tuple[str, Any]:
        for index, node in enumerate(stmts):
            if isinstance(node, ast.Return):  # (not in a loop: see exits.py)
                with self.e.at(self.source.loc(node)):
                    value = self.static(None) if node.value is None else self.expr(
                        node.value, env)
                return RETURNS, value
            if isinstance(node, ast.Break):
                env[BREAK] = self.static(True)
                if self.first_bound and self.first_bound[-1] is not None:
                    self.first_bound[-1].reached_break(env)
                return ENDS, env
            if isinstance(node, ast.Continue):
                return ENDS, env
            if isinstance(node, ast.If):
                return self.if_statement(node, stmts[index + 1:], env)
            if isinstance(node, ast.For):
                self.for_loop(node, env)
            elif isinstance(node, ast.While):
                self.while_loop(node, env)
            else:
                self.stmt(node, env)
        return ENDS, env

    def if_statement(self, node: ast.If, rest: list[ast.stmt], env: dict) -> tuple[str, Any]:
        with self.e.at(self.source.loc(node.test)):
            test = self.expr(node.test, env)
        if self.is_static(test):  # decided when the derivative is built
            return self.block((node.body if test.obj else node.orelse) + rest, env)
        exits = _can_exit(node.body) or _can_exit(node.orelse)
        then_stmts = node.body + rest if exits else node.body
        else_stmts = node.orelse + rest if exits else node.orelse
        cond = self.operand(test, node.test)
        then_region, else_region = Region(), Region()
        with self.e.into(then_region):
            then = self.block(then_stmts, dict(env))
        with self.e.into(else_region):
            other = self.block(else_stmts, dict(env))
        with self.e.at(self.source.loc(node)):
            kind, joined = self.join(node, cond, (then_region, then), (else_region, other),
                                     exits, bound=env)
        if kind == RETURNS or exits:
            return kind, joined
        return self.block(rest, joined)

    def join(self, node: ast.AST, cond: Value, then: tuple[Region, tuple[str, Any]],
             other: tuple[Region, tuple[str, Any]], exits: bool = False,
             bound: Container[str] = ()) -> tuple[str, Any]:
        """An ``if`` op whose results are what differs between the two outcomes. ``exits``:
        the iteration ends at this join (a branch breaks or continues; the rest of the
        block is in both branches); ``bound``: the names bound before the if."""
        (r1, (kind1, out1)), (r2, (kind2, out2)) = then, other
        if kind1 != kind2:
            raise self.error(node, "cannot differentiate an if where one branch returns and "
                             "the other does not",
                             hint="return on every path, or return after the if")
        if kind1 == RETURNS:
            slots = self.merge_entries(node, "result", out1, out2, r1, r2)
            return RETURNS, self.emit_if(cond, r1, r2, [slots])[0]
        names = [n for n in out1 if n in out2]
        loop = self.first_bound[-1] if self.first_bound else None
        if exits and loop is not None:  # a name one path binds: a stand-in on the other
            lone = [n for n in {**out1, **out2} if n in loop.names and n not in names]
            out1 = {**out1, **{n: self.stand_in(out2[n]) for n in lone if n not in out1}}
            out2 = {**out2, **{n: self.stand_in(out1[n]) for n in lone if n not in out2}}
            names += lone
        # a name first bound in the branches, with a different structure in each (a
        # temporary reused), is unbound after the if: reading it there says why (lower.py's
        # `name`). (One bound before stays an error here: a loop may carry it.)
        for n in [n for n in names if n not in bound and not _joinable(out1[n], out2[n])]:
            self.unjoined[n] = self.source.loc(node).line
            names.remove(n)
        merged = [self.merge_entries(node, n, out1[n], out2[n], r1, r2) for n in names]
        return ENDS, dict(zip(names, self.emit_if(cond, r1, r2, merged)))

    def stand_in(self, entry: Any) -> Any:
        """What a path that has not bound a name yields for it at the end of an iteration
        (never read: see _FirstBound): ``entry``'s structure, with 0.0 for its IR values."""
        if isinstance(entry, STRUCTURES):
            return rebuilt(entry, [self.stand_in(x) for x in parts(entry)])
        return self.static(0.0) if isinstance(entry, Value) else entry

    def merge_entries(self, node: ast.AST, name: str, a: Any, b: Any, r1: Region,
                      r2: Region) -> Any:
        """A template for the joined entry: leaves equal on both sides stay, others become
        ``(value_in_then, value_in_else)`` slots for the ``if`` to yield."""
        if a is b:
            return a
        if self.is_static(a) and self.is_static(b) and type(a.obj) is type(b.obj) \
                and _same_constant(a.obj, b.obj):
            return a
        if isinstance(a, STRUCTURES) or isinstance(b, STRUCTURES):
            if not same_shape(a, b):
                raise self.error(node, f"{name!r} has a different structure in the two "
                                 "branches", hint="give it the same shape on every path")
            return rebuilt(a, [self.merge_entries(node, name, x, y, r1, r2)
                               for x, y in zip(parts(a), parts(b))])
        with self.e.into(r1):
            va = self.operand(a, node)
        with self.e.into(r2):
            vb = self.operand(b, node)
        return _Slot(va, vb, name)

    def emit_if(self, cond: Value, r1: Region, r2: Region, templates: list[Any]) -> list[Any]:
        slots: list[_Slot] = []
        for template in templates:
            _collect_slots(template, slots)
        r1.results = [s.then for s in slots]
        r2.results = [s.other for s in slots]
        outs = tuple(Value(s.name if s.name != BREAK else "broke") for s in slots)
        self.e.region.ops.append(Op("if", (cond,), outs, (), (r1, r2), self.e.loc))
        filled = dict(zip(map(id, slots), outs))
        return [_fill(t, filled) for t in templates]

    # --- loops ---------------------------------------------------------------------------
    def for_loop(self, node: ast.For, env: dict) -> None:  # (`else:`: exits.py)
        with self.e.at(self.source.loc(node.iter)):
            iterable = self.expr(node.iter, env)
        if isinstance(iterable, (tuple, list)):  # known length: unrolled
            return self.unrolled(node, list(iterable), env)
        if self.is_static(iterable) and isinstance(iterable.obj, Range):
            bounds = iterable.obj.bounds
            if not isinstance(node.target, ast.Name):
                raise self.error(node.target, "cannot unpack a range item")
            return self.loop(node, env, "for_range", bounds, node.target.id)
        if self.is_static(iterable) and _reversed_range(iterable.obj):
            if not isinstance(node.target, ast.Name):
                raise self.error(node.target, "cannot unpack a range item")
            bounds = iterable.obj.inner.obj.bounds
            if _first(node.body, (ast.Break,)) is None:
                return self.loop(node, env, "for_range", bounds, node.target.id, reverse=True)
            # it may leave early (break, or a return): a loop counting up over the range's
            # items, last first, which loops that break know how to run backward
            with self.e.at(self.source.loc(node.iter)):
                steps = self.e.emit("range", *bounds)[0]
                count = self.e.len(steps)
                last = self.e.sub(count, self.e.const(1))
                start = (self.e.const(0), count, self.e.const(1))
            return self.loop(node, env, "for_range", start, None,
                             lambda k: self.e.getitem(steps, self.e.sub(last, k)))
        if isinstance(iterable, Value) and _indexed_by_target(node):
            iterable = self.static(DictView("keys", iterable))  # for k in d: ... d[k] ...
        items = self.iteration(node.iter, iterable)
        if items is None:
            raise self.error(node.iter, "cannot differentiate a for loop over this value",
                             hint="loop over range(...), a tuple, list or dict (with .items(), "
                                  ".keys() or .values()), enumerate(...) or zip(...)")
        count, item = items
        with self.e.at(self.source.loc(node.iter)):
            bounds = (self.e.const(0), count, self.e.const(1))
        self.loop(node, env, "for_range", bounds, None, item)

    def iteration(self, node: ast.AST, iterable: Any):
        """``(count, item(i))`` for a run-time sequence, dict view, enumerate or zip."""
        e = self.e
        if isinstance(iterable, (tuple, list)):  # built here, zipped with a run-time sequence
            built = self.runtime_tuple(iterable, node)
            return e.const(len(iterable)), lambda i: self.read_item(built, i)
        if isinstance(iterable, Value):  # a list or tuple argument, or a list that grows
            iterable = self.in_order(iterable)  # (a set: its items in Python's order)
            return self.length(iterable), lambda i: self.read_item(iterable, i)
        if not self.is_static(iterable):
            return None
        obj = iterable.obj
        if isinstance(obj, DictView):
            keys = e.keys(obj.d)
            d = obj.d
            item = {"keys": lambda i: e.getitem(keys, i),
                    "values": lambda i: e.getitem(d, e.getitem(keys, i)),
                    "items": lambda i: (e.getitem(keys, i), e.getitem(d, e.getitem(keys, i))),
                    }[obj.kind]
            return e.len(keys), item
        if isinstance(obj, Enumerate):
            inner = self.iteration(node, obj.inner)
            if inner is None:
                return None
            count, item = inner
            return count, lambda i: (i, item(i))
        if isinstance(obj, Reversed):  # of a run-time sequence or a dict view: last first
            inner = self.iteration(node, obj.inner)
            if inner is None:
                return None
            count, item = inner
            last = e.sub(count, e.const(1))
            return count, lambda i: item(e.sub(last, i))
        if isinstance(obj, Zip):
            parts = [self.iteration(node, x) for x in obj.inners]
            if any(p is None for p in parts):
                return None
            count = parts[0][0]
            for other, _ in parts[1:]:
                count = e.min(count, other)
            return count, lambda i: tuple(item(i) for _, item in parts)
        if isinstance(obj, Range):  # (zipped with a run-time sequence: its ints)
            numbers = e.emit("range", *obj.bounds)[0]
            return e.len(numbers), lambda i: e.getitem(numbers, i)
        return None

    def unrolled(self, node: ast.For, items: list[Any], env: dict) -> None:
        leave = _first(node.body, (ast.Break, ast.Continue))
        if leave is not None:  # it may end early: a run-time loop over a run-time tuple
            built = self.runtime_items(items, node, leave)
            with self.e.at(self.source.loc(node.iter)):
                bounds = (self.e.const(0), self.e.const(len(items)), self.e.const(1))
            return self.loop(node, env, "for_range", bounds, None,
                             lambda i: self.unrolled_item(built, items, i))
        for item in items:
            self.assign(node.target, item, env)
            _, after = self.block(node.body, env)
            if after is not env:  # an if joined: the iteration ends in a new environment
                env.clear()
                env.update(after)

    def unrolled_item(self, built: Value, items: list[Any], i: Value) -> Any:
        """Item ``i`` of ``items`` (``built``: them as a run-time tuple). Of pairs that
        ``enumerate`` made, the count is the loop's index, an int: read from the tuple, it
        would be an item of a differentiated value (and its adjoint computed)."""
        item = self.read_item(built, i)
        if not items or not all(isinstance(x, tuple) and len(x) == len(items[0])
                                for x in items):
            return item
        parts: list[Any] = []
        for j in range(len(items[0])):
            column = [x[j] for x in items]
            counts = all(self.is_static(c) and type(c.obj) is int and c.obj == k
                         for k, c in enumerate(column))
            parts.append(i if counts else self.read_item(item, self.e.const(j)))
        return tuple(parts)

    def runtime_items(self, items: Any, node: ast.For, leave: ast.AST) -> Value:
        """``items`` (a tuple or list built here, nested ones too) as a run-time tuple, for
        a loop that may leave early; a located error where an item is no run-time value
        (a function, a dict)."""
        if isinstance(items, (tuple, list)):
            with self.e.at(self.source.loc(node.iter)):
                return self.e.emit("tuple", *(self.runtime_items(x, node, leave)
                                              for x in items))[0]
        if isinstance(items, dict) or (self.is_static(items) and callable(items.obj)):
            what = "a return" if is_exit(leave) else "break/continue"
            raise self.error(leave if is_exit(leave) else node,
                             f"cannot differentiate {what} in a loop over a tuple or list "
                             "of functions or dicts built here", hint="loop over "
                             "range(len(...)) and index the items")
        return self.operand(items, node.iter)

    def while_loop(self, node: ast.While, env: dict) -> None:
        self.loop(node, env, "while", (), None)

    def loop(self, node: ast.For | ast.While, env: dict, prim: str, bounds: tuple,
             index: str | None, item: Any = None, reverse: bool = False) -> None:
        """A loop op: carried values are the names the body assigns that exist before it
        (``reverse``: a ``for_range`` that runs over its range last first)."""
        assigned = _assigned_in(node.body)
        targets = set(_assigned_in([ast.Assign(targets=[node.target], value=ast.Constant(0))])
                      ) if isinstance(node, ast.For) else set()
        carried = [n for n in assigned if n in env and n != index and n not in targets]
        breaks = _has(node.body, (ast.Break,))
        with self.e.at(self.source.loc(node)):
            templates = [self.carry_template(node, n, env[n]) for n in carried]
        inits = [leaf for t in templates for leaf in _template_leaves(t)]
        names = [n for n, t in zip(carried, templates) for _ in _template_leaves(t)]

        def fresh_env() -> tuple[dict, list[Value]]:
            params = [Value(name) for name in names]  # named after the user's variable
            inner = dict(env)
            _rebind_all(inner, carried, templates, params)
            return inner, params

        regions = []
        runs_once = False  # `while True:`: the body runs at least once
        if prim == "while":
            cond_env, cond_params = fresh_env()
            cond_region = Region(cond_params)
            with self.e.into(cond_region), self.e.at(self.source.loc(node.test)):
                test = self.expr(node.test, cond_env)
                cond_region.results = [self.operand(test, node.test)]
            runs_once = self.is_static(test) and _true_constant(test.obj)
            regions.append(cond_region)
        body_env, params = fresh_env()
        body = Region(params)
        if prim == "for_range":
            i = Value(index or "i")
            body.params.insert(0, i)
            if index is not None:
                body_env[index] = i
        if breaks:
            body_env[BREAK] = self.static(False)
        unbound = {n for n in assigned if n not in env}
        exits = unbound & self.exits  # (read only after the flag that says it returned)
        first_bound = _FirstBound(unbound if runs_once else exits) if (
            runs_once or exits) else None
        saved = self.first_bound
        self.first_bound = (*saved, first_bound)
        self.runtime_loops += 1
        try:
            with self.e.into(body):
                if item is not None:
                    with self.e.at(self.source.loc(node.target)):
                        self.assign(node.target, item(i), body_env)
                _, end = self.block(node.body, body_env)
                for n, t in zip(carried, templates):
                    body.results.extend(self.carried_leaves(node, n, t, end[n]))
                first = {}  # names bound after the loop that were not bound before it
                if first_bound is not None:
                    bound = (first_bound.at_breaks or set()) | exits
                    for n in first_bound.at_some_break - bound:  # for the error's hint
                        self.partly_bound[n] = self.source.loc(node).line
                    first = {n: end[n] for n in assigned
                             if n in bound and n in end and _carriable(end[n])}
                new_leaves = [v for entry in first.values() for v in _value_leaves(entry)]
                body.results.extend(new_leaves)
                if breaks:
                    body.results.append(self.operand(end[BREAK], node))
        finally:
            self.runtime_loops -= 1
            self.first_bound = saved
        regions.append(body)
        with self.e.at(self.source.loc(node)):
            for v in new_leaves:  # a start value no iteration reads: the body assigns first
                names.append(v.hint)
                inits.append(self.e.const(0.0))
                for region in regions:
                    region.params.append(Value(v.hint))
            outs = tuple(Value(name) for name in names)
            attrs = (("breaks", breaks),) + ((("reverse", True),) if reverse else ())
            self.e.region.ops.append(Op(prim, (*bounds, *inits), outs, attrs,
                                        tuple(regions), self.e.loc))
        _rebind_all(env, carried, templates, outs)
        supply = iter(outs[len(outs) - len(new_leaves):])
        for n, entry in first.items():
            env[n] = _replace_values(entry, supply)

    def carry_template(self, node: ast.AST, name: str, entry: Any) -> Any:
        """``entry`` with every leaf an IR value (statics become constants), hinted ``name``."""
        if isinstance(entry, STRUCTURES):
            return rebuilt(entry, [self.carry_template(node, name, x) for x in parts(entry)])
        if isinstance(entry, dict):
            raise self.error(node, f"cannot differentiate the dict {name!r} built in the "
                             "function changing inside this loop", hint="keep what the loop "
                             "changes in a list, a tuple or an array (`d[k] = v` outside "
                             "loops is fine)")
        value = self.operand(entry, node)
        if not value.hint:
            value.hint = name
        return value

    def carried_leaves(self, node: ast.AST, name: str, template: Any, entry: Any) -> list:
        if isinstance(template, STRUCTURES):
            if not isinstance(entry, STRUCTURES) or not same_shape(template, entry):
                raise self.error(node, f"{name!r} changes structure inside the loop",
                                 hint="keep tuples and lists the same length in loops")
            return [leaf for t, x in zip(parts(template), parts(entry))
                    for leaf in self.carried_leaves(node, name, t, x)]
        return [self.operand(entry, node)]

    # --- expressions with regions --------------------------------------------------------
    def if_expression(self, node: ast.IfExp, env: dict) -> Any:
        test = self.expr(node.test, env)
        if self.is_static(test):
            return self.expr(node.body if test.obj else node.orelse, env)
        return self.branches(node, self.operand(test, node.test),
                             lambda: self.expr(node.body, env),
                             lambda: self.expr(node.orelse, env))

    def bool_operation(self, node: ast.BoolOp, env: dict) -> Any:
        """``a and b`` is ``b if a else a``; ``a or b`` is ``a if a else b`` (short-circuit)."""
        left = self.expr(node.values[0], env)
        for operand in node.values[1:]:
            if self.is_static(left):
                if bool(left.obj) == isinstance(node.op, ast.And):
                    left = self.expr(operand, env)
                continue
            cond = self.operand(left, node)
            kept = left
            rhs = operand
            if isinstance(node.op, ast.And):
                left = self.branches(node, cond, lambda rhs=rhs: self.expr(rhs, env),
                                     lambda kept=kept: kept)
            else:
                left = self.branches(node, cond, lambda kept=kept: kept,
                                     lambda rhs=rhs: self.expr(rhs, env))
        return left

    def branches(self, node: ast.AST, cond: Value, then_fn, else_fn) -> Any:
        r1, r2 = Region(), Region()
        with self.e.into(r1):
            a = then_fn()
        with self.e.into(r2):
            b = else_fn()
        template = self.merge_entries(node, "", a, b, r1, r2)
        return self.emit_if(cond, r1, r2, [template])[0]


class _FirstBound:
    """The names a ``while True:`` body binds that are unbound before the loop, and of
    those, the ones bound on every path to a ``break`` lowered so far (``at_breaks``).

    The body runs at least once and the loop ends only at a ``break``, so those are bound
    after the loop: it carries them out, starting from a stand-in (0.0) that no iteration
    reads. Where a path that binds a name joins one that does not, the iteration ends
    (the rest of the body is in both branches), so the other path yields a stand-in too,
    read by no one: a path that does not break goes on to an iteration that binds the
    name before anything reads it. A name bound on only some paths to a ``break`` stays
    unbound after the loop ("used before it is assigned").

    In any loop, the value a ``return`` inside it returns (``result``, see exits.py) is
    carried out the same way, on the paths that reach its ``break`` or not: only code
    behind the ``returned`` flag reads it."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.at_breaks: set[str] | None = None
        self.at_some_break: set[str] = set()

    def reached_break(self, env: dict) -> None:
        bound = {n for n in self.names if n in env}
        self.at_breaks = bound if self.at_breaks is None else self.at_breaks & bound
        self.at_some_break |= bound


class DictView:
    """``d.items()``, ``d.keys()`` or ``d.values()`` of a run-time dict."""

    def __init__(self, kind: str, d: Value) -> None:
        self.kind, self.d = kind, d


class Enumerate:
    def __init__(self, inner: Any) -> None:
        self.inner = inner


class Reversed:
    """``reversed(...)`` of a range, a run-time sequence or a dict view."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner


class Zip:
    def __init__(self, inners: list[Any]) -> None:
        self.inners = inners


def _reversed_range(obj: Any) -> bool:
    return isinstance(obj, Reversed) and isinstance(getattr(obj.inner, "obj", None), Range)


class Range:
    """``range(...)`` seen at transform time: its bounds are IR values."""

    def __init__(self, bounds: tuple[Value, Value, Value]) -> None:
        self.bounds = bounds


class _Slot:
    def __init__(self, then: Value, other: Value, name: str) -> None:
        self.then, self.other, self.name = then, other, name


def _collect_slots(template: Any, out: list[_Slot]) -> None:
    if isinstance(template, _Slot):
        out.append(template)
    elif isinstance(template, STRUCTURES):
        for t in parts(template):
            _collect_slots(t, out)


def _fill(template: Any, filled: dict[int, Value]) -> Any:
    if isinstance(template, _Slot):
        return filled[id(template)]
    if isinstance(template, STRUCTURES):
        return rebuilt(template, [_fill(t, filled) for t in parts(template)])
    return template


def _template_leaves(template: Any) -> list[Value]:
    if isinstance(template, STRUCTURES):
        return [leaf for t in parts(template) for leaf in _template_leaves(t)]
    return [template]


def _rebind_all(env: dict, names: list[str], templates: list[Any], leaves: Any) -> None:
    """Bind each carried name to its template with the leaves replaced, in order. (By
    position: two names may start as one value, ``w = x``, and must stay two.)"""
    supply = iter(leaves)
    for name, template in zip(names, templates):
        env[name] = _replace_leaves(template, supply)


def _replace_leaves(template: Any, supply: Any) -> Any:
    if isinstance(template, STRUCTURES):
        return rebuilt(template, [_replace_leaves(t, supply) for t in parts(template)])
    return next(supply)


def _true_constant(obj: Any) -> bool:
    """Is ``obj`` a constant that is true (``while True:``, ``while 1:``)?"""
    return isinstance(obj, (bool, int, float, str)) and bool(obj)


def _carriable(entry: Any) -> bool:
    """Can a loop carry ``entry`` out: values, objects known when building (the same in
    every iteration), and tuples and lists of them? (Not a dict display, nor a ``range``,
    ``zip``... that holds this iteration's values.)"""
    if isinstance(entry, STRUCTURES):
        return all(_carriable(x) for x in parts(entry))
    return not isinstance(entry, dict) and not isinstance(
        getattr(entry, "obj", None), (DictView, Enumerate, Zip, Range, *TRANSFORM_TIME))


def _value_leaves(entry: Any) -> list[Value]:
    if isinstance(entry, STRUCTURES):
        return [leaf for x in parts(entry) for leaf in _value_leaves(x)]
    return [entry] if isinstance(entry, Value) else []


def _replace_values(entry: Any, supply: Any) -> Any:
    """``entry`` with its IR values replaced, in order, from ``supply`` (constants stay:
    they are the same in every iteration)."""
    if isinstance(entry, STRUCTURES):
        return rebuilt(entry, [_replace_values(x, supply) for x in parts(entry)])
    return next(supply) if isinstance(entry, Value) else entry


def _same_constant(a: Any, b: Any) -> bool:
    if isinstance(a, (bool, int, float, complex, str, type(None))):
        return a == b and repr(a) == repr(b)
    return a is b


def _walk_same_function(stmts: list[ast.stmt], stop_at_loops: bool):
    """Nodes of ``stmts``, not entering nested loops when ``stop_at_loops``, nor nested
    functions."""
    stack: list[ast.AST] = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if (stop_at_loops and isinstance(node, (ast.For, ast.While))) or isinstance(
                node, (ast.FunctionDef, ast.Lambda)):
            continue
        stack += child_nodes(node)


def _indexed_by_target(node: ast.For) -> bool:
    """``for k in d: ... d[k] ...``: the loop variable indexes what it iterates, so ``d``
    is a dict and the loop goes over its keys (over a list, ``for x in xs`` gives items)."""
    if not (isinstance(node.iter, ast.Name) and isinstance(node.target, ast.Name)):
        return False
    return any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
               and n.value.id == node.iter.id and isinstance(n.slice, ast.Name)
               and n.slice.id == node.target.id
               for n in _walk_same_function(node.body, stop_at_loops=False))


def _can_exit(stmts: list[ast.stmt]) -> bool:
    """Can ``stmts`` leave the enclosing block early (return, or break/continue of it)?"""
    return any(isinstance(n, (ast.Return, ast.Break, ast.Continue))
               for n in _walk_same_function(stmts, stop_at_loops=True)) or any(
        isinstance(n, ast.Return) for n in _walk_same_function(stmts, stop_at_loops=False))


def _has(stmts: list[ast.stmt], kinds: tuple[type, ...]) -> bool:
    return _first(stmts, kinds) is not None


def _first(stmts: list[ast.stmt], kinds: tuple[type, ...]) -> ast.AST | None:
    """The first node of one of ``kinds`` in ``stmts`` (not in nested loops), or None."""
    found = [n for n in _walk_same_function(stmts, stop_at_loops=True) if isinstance(n, kinds)]
    return min(found, key=lambda n: (n.lineno, n.col_offset), default=None)


def _assigned_in(stmts: list[ast.stmt]) -> list[str]:
    """Names stored anywhere in ``stmts`` (``def`` names too, not nested functions' own),
    in order of first appearance."""
    return list(dict.fromkeys(stored_names(stmts)))


def make_range(lowerer: Any, node: ast.Call, args: list[Value]) -> Range:
    """``range(stop)``, ``range(start, stop)`` or ``range(start, stop, step)``."""
    if not 1 <= len(args) <= 3:
        raise lowerer.error(node, "range takes 1 to 3 arguments")
    e = lowerer.e
    if len(args) == 1:
        return Range((e.const(0), args[0], e.const(1)))
    if len(args) == 2:
        return Range((args[0], args[1], e.const(1)))
    return Range(tuple(args))  # type: ignore[arg-type]


def _joinable(a: Any, b: Any) -> bool:
    """Do two branches' entries for a name hold their parts the same way (so one ``if`` can
    yield it)?"""
    if a is b:
        return True
    if isinstance(a, STRUCTURES) or isinstance(b, STRUCTURES):
        return same_shape(a, b) and all(map(_joinable, parts(a), parts(b)))
    return True
