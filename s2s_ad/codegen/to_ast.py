"""IR -> Python ``ast``.

Single-use pure values are written inline into their one use (in the same region), up to
a size cap, so the code reads like a person's: ``dx1 = 1.0 / x1 + x2``. Names are chosen
after the whole body is built: parameters keep theirs, the globals the code needs
(``math``, ``np``, constants) come next, then locals from the values' hints.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import runtime
from ..ir import verify
from ..ir.avals import Array, Number, Numbers
from ..ir.core import Function, Op, RecordTree, Region, Value, const_value, walk
from ..ir.names import Namer
from ..optimize.rewrite import use_counts
from ..primitives import get
from ..primitives.registry import (
    AddItem,
    Attribute,
    Call,
    Compare,
    Emission,
    EmptyList,
    Field,
    Identity,
    Infix,
    Into,
    Method,
    Prefix,
    Primitive,
    Select,
    StoreItem,
    Subscript,
    TupleDisplay,
    Zeros,
)
from .located import Locator, may_divide_by_zero
from .tapes import GROWABLE_START, ArrayTape, array_tapes, growable_tapes

_CHANGES_FIRST = frozenset({"append", "add_item", "add_at"})
INLINE_LIMIT = 8  # ops in one inlined expression, at most
_LITERALS = (bool, int, float, complex, str, bytes, type(None))
_MODULE_ALIASES = {"numpy": "np", "math": "math"}
# every name shares these, as in the trees ``ast.parse`` makes (one object less per name)
_LOAD, _STORE = ast.Load(), ast.Store()


@dataclass(slots=True)
class Module:
    """The generated ``def`` and the globals it reads (name -> object)."""

    tree: ast.Module
    name: str
    globals: dict[str, Any] = field(default_factory=dict)
    # code that may divide by zero: its ``derivative_error`` and the ops of its expressions
    locator: Locator | None = None
    origins: list[tuple[ast.expr, Op]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Guard:
    """Code specialized to number arguments starts by checking that they are floats:
    ``if x.__class__ is not float: return fallback(x, ...)`` (``fallback`` handles any
    arguments: ints, NumPy scalars, arrays)."""

    params: tuple[str, ...]
    fallback: Any
    name: str


BACKENDS = ("python", "numba")


def to_ast(fn: Function, name: str, guard: Guard | None = None,
           backend: str = "python") -> Module:
    """The module defining ``fn`` as ``name``, prefixed by ``guard``'s check if given.

    ``backend="numba"``: the code Numba's ``njit`` compiles (see ``codegen/jit.py``): no
    guard (dispatch happens outside it), no ``try`` that locates a division by zero (the
    Python code locates it), and reversed loops counting down (``range(n - 1, -1, -1)``,
    not ``reversed(range(n))``)."""
    if verify.ENABLED:
        verify.verify(fn, "before codegen")
    assert backend in BACKENDS and (guard is None or backend == "python"), (backend, guard)
    return _Codegen(fn, backend).module(name, guard)


class _Codegen:
    def __init__(self, fn: Function, backend: str = "python") -> None:
        self.fn = fn
        self.backend = backend
        # the Numba backend's tapes written as arrays (codegen/tapes.py), once their length
        # is known to be readable where the tape is made
        self.planned = array_tapes(fn) if backend == "numba" else {}
        # the Python backend's tapes of floats that the reversed loop reads back by its index
        # (`x_2 = x_tape[i_2]`, where a `pop()` is a method call: 7-12% of the product loop)
        self.read_back = array_tapes(fn) if backend == "python" else {}
        self.array_tapes: dict[Value, ArrayTape] = {}
        # (the Numba backend's other tapes of floats: growable arrays, each with its count)
        self.growable = growable_tapes(fn, self.planned) if backend == "numba" else {}
        self.tops: dict[Value, Value] = {}
        # (objmode's keyword for a value NumPy computes: named once names are chosen)
        self.objmode_names: list[tuple[ast.keyword, ast.Name]] = []
        self.uses = use_counts(fn)
        self.use_region, self.yielded = _use_regions(fn)
        self.returned = set(fn.body.results)  # returned values keep a name: `return dx, dy`
        self.literals: dict[Value, Any] = {}
        self.objects: dict[Value, tuple[Any, str]] = {}  # non-literal constants
        self.inline: dict[Value, tuple[ast.expr, int]] = {}
        # inlined values that read a list being appended to (len_mut, getitem_mut), or hold
        # one: written out before the next op with an effect, so the read is not moved past it
        self.volatile: dict[Value, frozenset[Value]] = {}  # -> the lists it reads
        # the name nodes, filled in by assign_names: of values, and of globals (by id)
        self.value_names: list[tuple[ast.Name, Value]] = []
        self.global_names: list[tuple[ast.Name, int]] = []
        self.global_objs: dict[int, tuple[Any, str]] = {}
        self.alias: dict[Value, Value] = {}
        self.params = set(fn.params)
        self.origins: list[tuple[ast.expr, Op]] = []  # each op's expression
        self.scopes: list[tuple[set[Value], bool]] = []  # see region()
        # `for x in xs` where a loop counts over range(len(xs)) only to read xs[i] (items_loop)
        self.lengths = {op.out: op.args[0] for op in walk(fn.body) if op.prim == "len"}
        self.appended = {op.args[0] for op in walk(fn.body) if op.prim in ("append", "appended")}
        self.loop_items: set[int] = set()  # ids of the reads written as a loop's target

    # --- names, resolved at the end --------------------------------------------------------
    def local(self, v: Value) -> ast.Name:
        node = ast.Name("", _LOAD)  # (by position: half the cost of keywords)
        self.value_names.append((node, v))
        return node

    def variable(self, v: Value) -> Value:
        """The value whose Python variable ``v`` lives in (loop-carried values share one)."""
        while v in self.alias:
            v = self.alias[v]
        return v

    def share(self, a: Value, b: Value) -> None:
        """``a`` and ``b`` live in one Python variable (a parameter's name wins)."""
        a, b = self.variable(a), self.variable(b)
        if a is b:
            return
        if b in self.params:
            a, b = b, a
        self.alias[b] = a

    def global_ref(self, obj: Any, preferred: str) -> ast.Name:
        node = ast.Name("", _LOAD)
        self.global_objs.setdefault(id(obj), (obj, preferred))
        self.global_names.append((node, id(obj)))
        return node

    def ref(self, v: Value) -> ast.expr:
        """An expression that reads ``v`` at a use."""
        held = self.inline.pop(v, None)  # (a constant is never inlined: the order of the
        if held is not None:  # three questions does not matter)
            return held[0]  # (a volatile one: its user holds it now)
        if v in self.literals:
            return _literal(self.literals[v], self)
        if v in self.objects:
            obj, hint = self.objects[v]
            return self.global_ref(obj, hint)
        node = ast.Name("", _LOAD)  # (local(v), without the call)
        self.value_names.append((node, v))
        return node

    def write_volatile(self, stmts: list[ast.stmt], changed: Value | None = None,
                       operands: tuple[Value, ...] = ()) -> None:
        """Assign the inlined reads of lists being appended to (of ``changed``, or of any)
        that no use has taken yet (but the ``operands`` of the op that changes them)."""
        for v, reads in list(self.volatile.items()):
            if (changed is None or changed in reads) and v not in operands:
                del self.volatile[v]
                if v in self.inline:
                    stmts.append(_assign([self.store(v)], self.inline.pop(v)[0]))

    # --- the body ------------------------------------------------------------------------
    def module(self, name: str, guard: Guard | None = None) -> Module:
        fn = self.fn
        body = self.region(fn.body, top=True)
        leaves = [self.ref(v) for v in fn.body.results]
        ret = ast.Return(value=_tree(fn.out_tree, leaves, self.global_ref))
        locator = (Locator(name) if self.backend == "python" and may_divide_by_zero(fn)
                   else None)
        caught = None
        if locator is None:
            body.append(ret)
        else:  # `return dx, dy` cannot raise: it stays after the try
            after = [ret] if _only_names(ret) else []
            caught = self.catch(body if after else [*body, ret], locator)
            body = [caught, *after]
        if guard is not None:
            body.insert(0, self.guard(guard))
        args = self.arguments()
        fdef = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                               type_comment=None)
        module = Module(ast.Module(body=[fdef], type_ignores=[]), name, locator=locator,
                        origins=self.origins)
        fdef.name = self.assign_names(module, name)
        module.name = fdef.name
        if caught is not None:
            locator.name = fdef.name
            handler = caught.handlers[0]
            handler.name = handler.body[0].exc.args[0].id  # the name chosen for `error`
        return module

    def catch(self, body: list[ast.stmt], locator: Locator) -> ast.Try:
        """``body`` in ``try:``, a ZeroDivisionError turned into an InfiniteDerivativeError
        that names the user's operation (codegen/located.py)."""
        error = Value("error")
        raised = ast.Call(func=self.global_ref(locator, "derivative_error"),
                          args=[self.local(error)], keywords=[])
        handler = ast.ExceptHandler(
            type=self.global_ref(ZeroDivisionError, "ZeroDivisionError"), name="",
            body=[ast.Raise(exc=raised, cause=ast.Constant(None))])
        return ast.Try(body=body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])

    def guard(self, guard: Guard) -> ast.stmt:
        params = {p.hint: p for p in self.fn.params}
        checks = [ast.Compare(ast.Attribute(self.ref(params[name]), "__class__", _LOAD),
                              [ast.IsNot()], [ast.Name("float", _LOAD)])
                  for name in guard.params]
        test = checks[0] if len(checks) == 1 else ast.BoolOp(op=ast.Or(), values=checks)
        args, keywords = [], []
        for p, kind in zip(self.fn.params, self.fn.kinds):
            if kind is inspect.Parameter.KEYWORD_ONLY:
                keywords.append(ast.keyword(arg=p.hint, value=self.ref(p)))
            else:
                args.append(self.ref(p))
        call = ast.Call(func=self.global_ref(guard.fallback, guard.name), args=args,
                        keywords=keywords)
        return ast.If(test=test, body=[ast.Return(value=call)], orelse=[])

    def region(self, region: Region, top: bool = False, loop: bool = False) -> list[ast.stmt]:
        # what each enclosing region defines, and whether it is a loop body (carry())
        self.scopes.append(({v for op in region.ops for v in op.outs} | set(region.params)
                            | (self.params if top else set()), loop))
        try:
            return self.region_statements(region)
        finally:
            self.scopes.pop()

    def region_statements(self, region: Region) -> list[ast.stmt]:
        stmts: list[ast.stmt] = []
        inline, origins = self.inline, self.origins  # (read once per op: locals)
        for op in region.ops:
            name = op.prim
            if name == "const":
                self.constant(op)
                continue
            if name in _LITERAL_OPS and all(a in self.literals for a in op.args):
                # a slice or tuple of literals is one too: `x[2:]` at each use, not a name
                self.literals[op.out] = _LITERAL_OPS[name](self.literals[a] for a in op.args)
                continue
            if id(op) in self.loop_items:
                continue  # (the target of `for x in xs`)
            if op.regions:
                self.write_volatile(stmts)
                stmts.extend(self.structured(op))
                continue
            prim = get(name)
            if not prim.pure:  # (an append or `+=` changes only its first operand, after
                #                   reading its operands)
                self.write_volatile(stmts, op.args[0] if op.prim in _CHANGES_FIRST else None,
                                    op.args)
            if self.planned and (op.args and op.args[0] in self.array_tapes
                                 or op.prim == "tape_new" and op.out in self.planned):
                written = self.array_tape(op)
                if written is not None:
                    stmts.append(written)
                    continue
            if self.growable and (op.out in self.growable if op.prim == "tape_new" else
                                  op.prim in ("push", "pop") and op.args[0] in self.growable):
                stmts.extend(self.growable_tape(op))
                continue
            if self.backend == "numba" and numpy_kernel(op):
                expr = self.expression(op, prim.emission)
                origins.append((expr, op))  # (a Numba error there names the user's line)
                stmts.append(self.in_numpy(op, expr))
                continue
            if self.read_back and op.prim == "pop" and op.args[0] in self.read_back:
                plan = self.read_back[op.args[0]]
                read = ast.Subscript(value=self.local(op.args[0]),
                                     slice=self.local(plan.backward), ctx=_LOAD)
                stmts.append(_assign([self.store(v) for v in op.outs], read))
                continue
            emission = prim.emission
            if not op.outs and emission is None:
                continue  # a marker for the transforms (e.g. `appended`): no code
            size = 1
            for a in op.args:
                held = inline.get(a)
                if held is not None:
                    size += held[1]
            adds_item = isinstance(emission, (AddItem, StoreItem))
            expr = None if adds_item else self.expression(op, emission)
            if expr is not None:
                origins.append((expr, op))
            if size <= INLINE_LIMIT and self.inlinable(op, prim, region):
                inline[op.outs[0]] = (expr, size)
                reads = frozenset().union(*(self.volatile[a] for a in op.args
                                            if a in self.volatile)) if self.volatile else (
                    frozenset())
                if not prim.mergeable:
                    reads |= {op.args[0]}
                if reads:
                    self.volatile[op.out] = reads
                continue
            if adds_item:  # a statement: dc[i] += g, or x[i] = v
                target, index, value = (self.ref(a) for a in op.args)
                item = ast.Subscript(value=target, slice=_index(index), ctx=ast.Store())
                stmts.append(ast.Assign(targets=[item], value=value)
                             if isinstance(prim.emission, StoreItem) else
                             ast.AugAssign(target=item, op=ast.Add(), value=value))
                continue
            if not op.outs:
                stmts.append(ast.Expr(value=expr))
                continue
            stmts.append(_assign([self.store(v) for v in op.outs], expr))
        return stmts

    def array_tape(self, op: Op) -> ast.stmt | None:
        """``op`` on a tape written as an array (Numba backend): ``x_tape = np.empty(n)``,
        ``x_tape[i] = x``, ``x_2 = x_tape[i_2]`` (``[i, k]`` for the k-th of several values).
        None where the tape stays a list (its length is an expression inlined elsewhere)."""
        if op.prim == "tape_new":
            plan = self.planned[op.out]
            if plan.length in self.inline:
                return None
            self.array_tapes[op.out] = plan
            size = self.ref(plan.length)
            shape = size if plan.width == 1 else ast.Tuple(
                elts=[size, ast.Constant(plan.width)], ctx=_LOAD)
            empty = ast.Attribute(value=self.global_ref(np, "np"), attr="empty", ctx=_LOAD)
            return _assign([self.store(op.out)], ast.Call(func=empty, args=[shape],
                                                          keywords=[]))
        plan = self.array_tapes[op.args[0]]

        def item(at: Value, k: int, ctx: ast.expr_context) -> ast.Subscript:
            index: ast.expr = self.local(at)
            if plan.width > 1:
                index = ast.Tuple(elts=[index, ast.Constant(k)], ctx=_LOAD)
            return ast.Subscript(value=self.local(op.args[0]), slice=index, ctx=ctx)

        if op.prim == "push":
            targets = [item(plan.forward, k, _STORE) for k in range(plan.width)]
            values = [self.ref(v) for v in op.args[1:]]
            return _assign(targets, values[0] if len(values) == 1 else
                           ast.Tuple(elts=values, ctx=_LOAD))
        assert op.prim == "pop", op
        reads = [item(plan.backward, k, _LOAD) for k in range(plan.width)]
        return _assign([self.store(v) for v in op.outs],
                       reads[0] if len(reads) == 1 else ast.Tuple(elts=reads, ctx=_LOAD))

    def growable_tape(self, op: Op) -> list[ast.stmt]:
        """``op`` on a tape written as a growable array (Numba backend, see tapes.py):
        ``x_tape = np.empty(16)`` and its count ``x_tape_top = 0``; a push doubles a full
        array, writes ``x_tape[x_tape_top] = x`` and counts up; a pop counts down and reads
        ``x_tape[x_tape_top]`` (``[top, k]`` for the k-th of several values)."""
        tape = op.out if op.prim == "tape_new" else op.args[0]
        width = self.growable[tape]
        top = self.tops.setdefault(tape, Value(f"{tape.hint or 'tape'}_top"))
        np_ = self.global_ref(np, "np")

        def numpy(name: str, *args: ast.expr) -> ast.Call:
            return ast.Call(func=ast.Attribute(value=np_, attr=name, ctx=_LOAD),
                            args=list(args), keywords=[])

        def count(step: ast.operator) -> ast.stmt:
            return ast.AugAssign(target=self.store(top), op=step, value=ast.Constant(1))

        def items(ctx: ast.expr_context) -> list[ast.expr]:
            return [ast.Subscript(value=self.local(tape), slice=self.local(top) if width == 1
                                  else ast.Tuple(elts=[self.local(top), ast.Constant(k)],
                                                 ctx=_LOAD), ctx=ctx) for k in range(width)]

        def one(exprs: list[ast.expr]) -> ast.expr:
            return exprs[0] if len(exprs) == 1 else ast.Tuple(elts=exprs, ctx=_LOAD)

        if op.prim == "tape_new":
            start = ast.Constant(GROWABLE_START)
            shape = start if width == 1 else ast.Tuple(elts=[start, ast.Constant(width)],
                                                        ctx=_LOAD)
            return [_assign([self.store(tape)], numpy("empty", shape)),
                    _assign([self.store(top)], ast.Constant(0))]
        if op.prim == "push":
            full = ast.Compare(left=self.local(top), ops=[ast.Eq()], comparators=[
                ast.Subscript(value=ast.Attribute(value=self.local(tape), attr="shape",
                                                  ctx=_LOAD), slice=ast.Constant(0),
                              ctx=_LOAD)])
            doubled = numpy("concatenate", ast.Tuple(elts=[
                self.local(tape), numpy("empty_like", self.local(tape))], ctx=_LOAD))
            return [ast.If(test=full, body=[_assign([self.store(tape)], doubled)], orelse=[]),
                    _assign(items(_STORE), one([self.ref(v) for v in op.args[1:]])),
                    count(ast.Add())]
        assert op.prim == "pop", op
        return [count(ast.Sub()), _assign([self.store(v) for v in op.outs], one(items(_LOAD)))]

    def in_numpy(self, op: Op, expr: ast.expr) -> ast.stmt:
        """``op`` (``numpy_kernel``) run by NumPy in Numba's object mode::

            with numba.objmode(t="float64[:, ::1]"):
                t = np.ascontiguousarray(np.tanh(x))
        """
        aval = op.out.aval
        assert isinstance(aval, Array) and aval.dtype is not None
        layout = ", ".join([":"] * (len(aval.shape) - 1) + ["::1"])
        target = self.store(op.out)
        keyword = ast.keyword(arg="", value=ast.Constant(f"{aval.dtype.name}[{layout}]"))
        self.objmode_names.append((keyword, target))
        np_ = self.global_ref(np, "np")
        contiguous = ast.Call(func=ast.Attribute(value=np_, attr="ascontiguousarray",
                                                 ctx=_LOAD), args=[expr], keywords=[])
        mode = ast.Call(func=ast.Attribute(value=self.global_ref(_numba(), "numba"),
                                           attr="objmode", ctx=_LOAD),
                        args=[], keywords=[keyword])
        return ast.With(items=[ast.withitem(context_expr=mode, optional_vars=None)],
                        body=[_assign([target], contiguous)], type_comment=None)

    # --- control flow ---------------------------------------------------------------------
    def structured(self, op: Op) -> list[ast.stmt]:
        if op.prim == "if":
            return [self.if_statement(op)]
        if op.prim == "for_range":
            return self.for_statement(op)
        if op.prim == "while":
            return self.while_statement(op)
        raise AssertionError(f"no codegen for {op.prim!r} regions\n{self.fn}")

    def if_statement(self, op: Op) -> ast.If:
        cond = self.ref(op.args[0])
        branches = []
        for region in op.regions:
            stmts = self.region(region)
            defined = {v for inner in region.ops for v in inner.outs}
            for out, result in zip(op.outs, region.results):
                if (result in defined and self.uses.get(result, 0) == 1
                        and not any(result in held for held in
                                    (self.inline, self.literals, self.objects))):
                    self.share(out, result)  # the branch computes straight into the variable
                    continue
                stmts.append(_assign([self.store(out)], self.ref(result)))
            branches.append(stmts)
        then, other = branches
        return ast.If(test=cond, body=then or [ast.Pass()], orelse=other)

    def carry(self, op: Op, params: list[Value]) -> list[ast.stmt]:
        """Before a loop: each carried value's variable holds its initial value."""
        stmts = []
        for init, param, out in zip(op.inits, params, op.outs):
            self.share(param, out)
            if (init not in self.inline and init not in self.literals
                    and init not in self.objects and self.uses.get(init, 0) == 1
                    and (not init.hint or init.hint == param.hint)
                    and not self.read_again(init)):
                self.share(param, init)  # the loop takes over the variable of `x` in `x = ...`
            else:
                stmts.append(_assign([self.store(param)], self.ref(init)))
        return stmts

    def read_again(self, v: Value) -> bool:
        """Is ``v`` defined outside a loop that encloses the current region (so its one use
        here runs again, in the next iteration of that loop)?"""
        for defined, loop in reversed(self.scopes):
            if v in defined:
                return False
            if loop:
                return True
        return False

    def next_values(self, op: Op, body: Region, params: list[Value]) -> list[ast.stmt]:
        """At the end of an iteration: all carried variables updated at once."""
        pairs = [(p, v) for p, v in zip(params, op.nexts)
                 if self.variable(v) is not self.variable(p)]
        stmts = []
        broke = body.results[-1] if len(body.results) > len(op.outs) else None
        if pairs and broke is not None and broke in self.inline:
            # the break test reads this iteration's values: test before they are reassigned
            stmts.append(_assign([self.store(broke)], self.ref(broke)))
        if pairs:
            targets = [self.store(p) for p, _ in pairs]
            values = [self.ref(v) for _, v in pairs]
            stmts.append(_assign(targets, values[0] if len(values) == 1
                                 else ast.Tuple(elts=values, ctx=ast.Load())))
        if broke is not None:  # the loop can break
            stmts.append(ast.If(test=self.ref(broke), body=[ast.Break()], orelse=[]))
        return stmts

    def for_statement(self, op: Op) -> list[ast.stmt]:
        body = op.body
        params = op.carried()
        stmts = self.carry(op, params)
        start, stop, step = op.bounds
        if self.literals.get(step) == 1 and type(self.literals.get(step)) is int:
            bounds = [stop] if self.literals.get(start) == 0 and type(
                self.literals.get(start)) is int else [start, stop]
        else:
            bounds = [start, stop, step]
        if op.attr("reverse") and self.backend == "numba":
            iterable = self.countdown(start, stop, step, bounds, stmts)
        else:
            iterable = ast.Call(func=self.global_ref(builtins.range, "range"),
                                args=[self.ref(b) for b in bounds], keywords=[])
        if op.attr("reverse") and self.backend == "python":
            iterable = ast.Call(func=self.global_ref(builtins.reversed, "reversed"),
                                args=[iterable], keywords=[])
        read = self.items_loop(op, bounds)
        if read is not None:  # for x in xs
            self.loop_items.add(id(read))
            iterable, index = self.ref(read.args[0]), self.store(read.out)
        else:
            index = self.store(op.index)
        inner = self.region(body, loop=True) + self.next_values(op, body, params)
        stmts.append(ast.For(target=index, iter=iterable, body=inner or [ast.Pass()],
                             orelse=[], type_comment=None))
        return stmts

    def items_loop(self, op: Op, bounds: list[Value]) -> Op | None:
        """The read ``x = xs[i]`` of a loop ``for i in range(len(xs))`` (counting up from 0)
        that uses ``i`` only there, where ``xs`` is a list or tuple argument of numbers that
        nothing appends to: the loop is ``for x in xs``, which reads the same items, faster
        (the user's ``for x in xs``, lowered to an index). None for any other loop."""
        if self.backend != "python" or op.attr("reverse") or len(bounds) != 1:
            return None
        xs = self.lengths.get(bounds[0])
        if xs is None or not isinstance(xs.aval, Numbers) or xs in self.appended or (
                self.uses.get(op.index, 0) != 1):
            return None
        return next((inner for inner in op.body.ops if inner.prim == "getitem"
                     and inner.args == (xs, op.index)), None)

    def countdown(self, start: Value, stop: Value, step: Value, bounds: list[Value],
                  stmts: list[ast.stmt]) -> ast.expr:
        """``reversed(range(...))`` as a ``range`` that counts down, which Numba compiles:
        ``range(n - 1, -1, -1)``, ``range(b - 1, a - 1, -1)``; for another step ``s``, from
        the last index ``a + (len(range(a, b, s)) - 1) * s`` down to ``a - s``."""
        def sub(left: ast.expr, right: ast.expr) -> ast.expr:
            if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
                return _literal(left.value - right.value, self)
            return ast.BinOp(left=left, op=ast.Sub(), right=right)

        one = ast.Constant(1)
        if len(bounds) < 3:  # step 1
            first = self.ref(start) if len(bounds) == 2 else ast.Constant(0)
            return ast.Call(func=self.global_ref(builtins.range, "range"),
                            args=[sub(self.ref(stop), one), sub(first, one), _literal(-1, self)],
                            keywords=[])
        a, b, s = start, stop, step  # each read several times: named, not inlined
        for v in (a, b, s):
            if v in self.inline:
                stmts.append(_assign([self.store(v)], self.inline.pop(v)[0]))
        size = ast.Call(func=self.global_ref(builtins.len, "len"),
                        args=[ast.Call(func=self.global_ref(builtins.range, "range"),
                                       args=[self.ref(a), self.ref(b), self.ref(s)],
                                       keywords=[])], keywords=[])
        last = ast.BinOp(left=self.ref(a), op=ast.Add(),
                         right=ast.BinOp(left=sub(size, one), op=ast.Mult(), right=self.ref(s)))
        return ast.Call(func=self.global_ref(builtins.range, "range"),
                        args=[last, sub(self.ref(a), self.ref(s)),
                              ast.UnaryOp(op=ast.USub(), operand=self.ref(s))], keywords=[])

    def while_statement(self, op: Op) -> list[ast.stmt]:
        cond_region, body = op.regions
        params = body.params
        stmts = self.carry(op, params)
        for p, q in zip(cond_region.params, params):
            self.share(q, p)
        cond_stmts = self.region(cond_region)
        test = self.ref(cond_region.results[0])
        inner = self.region(body, loop=True) + self.next_values(op, body, params)
        if cond_stmts:  # the condition needs statements: test it at the top of the body
            exit_ = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=test), body=[ast.Break()],
                           orelse=[])
            inner = [*cond_stmts, exit_, *inner]
            test = ast.Constant(True)
        stmts.append(ast.While(test=test, body=inner or [ast.Pass()], orelse=[]))
        return stmts

    def constant(self, op: Op) -> None:
        value = const_value(op)
        if _is_literal(value):
            self.literals[op.out] = value
        else:
            self.objects[op.out] = (value, op.out.hint or _object_hint(value))

    def inlinable(self, op: Op, prim: Primitive, region: Region) -> bool:
        if len(op.outs) != 1:
            return False
        v = op.outs[0]
        return (self.uses.get(v, 0) == 1 and prim.pure
                and v not in self.fn.pinned
                and self.use_region.get(v) is region and v not in self.returned
                # a value the user named keeps its line, unless it is the next value of a
                # loop or branch variable: there it reads `x = x + ...` inlined
                and (not v.user or v in self.yielded))

    def store(self, v: Value) -> ast.Name:
        node = ast.Name("", _STORE)
        self.value_names.append((node, v))
        return node

    def expression(self, op: Op, spec: Emission | None) -> ast.expr:
        """``op``'s expression, as its primitive's ``emission`` ``spec`` says."""
        if self.backend == "numba" and op.prim == "index_add" and integer_index(op):
            return ast.Call(func=self.global_ref(runtime.index_add_item, "index_add_item"),
                            args=[self.ref(a) for a in op.args], keywords=[])
        if self.backend == "numba" and op.prim == "zero_gradient":
            shape = numba_zero(op.args[0])
            if shape is not None:  # (else codegen/jit.py refused it)
                return (ast.Constant(0.0) if shape == () else ast.Call(
                    func=ast.Attribute(value=self.global_ref(np, "np"), attr="zeros",
                                       ctx=_LOAD), args=[_literal(shape, self)], keywords=[]))
        args = [self.ref(a) for a in op.args]
        # (nodes made with positional fields: half the cost of keywords)
        if isinstance(spec, Infix):
            return ast.BinOp(args[0], spec.op(), args[1])
        if isinstance(spec, Prefix):
            return ast.UnaryOp(spec.op(), args[0])
        if isinstance(spec, Compare):
            return ast.Compare(args[0], [spec.op()], [args[1]])
        if isinstance(spec, Call):
            if spec.module is not None:
                alias = _MODULE_ALIASES.get(spec.module.__name__, spec.module.__name__)
                func: ast.expr = self.global_ref(spec.module, alias)
                for part in spec.attr.split("."):  # np.linalg.norm
                    func = ast.Attribute(func, part, _LOAD)
            else:
                func = self.global_ref(spec.obj, spec.attr)
            if spec.pack:
                args = [ast.Tuple(elts=args, ctx=ast.Load())]
            attrs = dict(op.attrs)
            leading = [_literal(attrs.pop(name), self) for name in spec.leading]
            keywords = [ast.keyword(arg=k, value=_literal(v, self)) for k, v in attrs.items()]
            call = ast.Call(func, leading + args, keywords)
            if spec.obj is slice:
                call.s2s_slice = True  # read as `a:b` where it is an index (see _index)
            return call
        if isinstance(spec, Attribute):
            return ast.Attribute(value=args[0], attr=spec.name, ctx=ast.Load())
        if isinstance(spec, Select):
            return ast.IfExp(test=args[0], body=args[1], orelse=args[2])
        if isinstance(spec, Identity):
            return args[0]
        if isinstance(spec, Method):
            rest = args[1:]
            if spec.pack and len(rest) > 1:
                rest = [ast.Tuple(elts=rest, ctx=ast.Load())]
            keywords = [ast.keyword(arg=k, value=_literal(v, self)) for k, v in op.attrs]
            return ast.Call(func=ast.Attribute(value=args[0], attr=spec.name, ctx=ast.Load()),
                            args=rest, keywords=keywords)
        if isinstance(spec, EmptyList):
            return ast.List(elts=[], ctx=ast.Load())
        if isinstance(spec, Subscript):
            return ast.Subscript(value=args[0], slice=_index(args[1]), ctx=ast.Load())
        if isinstance(spec, Field):  # p.w (the name is a constant: see lower.py)
            name = args[1].value if isinstance(args[1], ast.Constant) else None
            if isinstance(name, str) and name.isidentifier():
                return ast.Attribute(value=args[0], attr=name, ctx=ast.Load())
            return ast.Call(func=self.global_ref(builtins.getattr, "getattr"), args=args,
                            keywords=[])
        if isinstance(spec, TupleDisplay):
            return ast.Tuple(elts=args, ctx=ast.Load())
        if isinstance(spec, Zeros):  # [0.0] * n
            return ast.BinOp(left=ast.List(elts=[ast.Constant(0.0)], ctx=ast.Load()),
                             op=ast.Mult(), right=args[0])
        if isinstance(spec, Into):  # np.add(u, v, out=np.empty_like(u))
            like = ast.Call(func=ast.Attribute(value=self.global_ref(np, "np"), attr="empty_like",
                                               ctx=ast.Load()), args=[args[2]], keywords=[])
            return ast.Call(func=ast.Attribute(value=self.global_ref(np, "np"), attr=spec.ufunc,
                                               ctx=ast.Load()),
                            args=args[:2], keywords=[ast.keyword(arg="out", value=like)])
        raise AssertionError(f"primitive {op.prim!r} has no emission\n{self.fn}")

    def arguments(self) -> ast.arguments:
        fn = self.fn
        posonly, positional, kwonly, kw_defaults = [], [], [], []
        var: dict[inspect._ParameterKind, ast.arg] = {}  # *args, **kwargs
        for p, kind in zip(fn.params, fn.kinds):
            arg = ast.arg(p.hint, None, None)
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                var[kind] = arg
            elif kind is inspect.Parameter.POSITIONAL_ONLY:
                posonly.append(arg)
            elif kind is inspect.Parameter.KEYWORD_ONLY:
                kwonly.append(arg)
                kwd = (fn.kwdefaults or {})
                kw_defaults.append(self.default(p.hint, kwd[p.hint]) if p.hint in kwd else None)
            else:
                positional.append(arg)
        ordered = posonly + positional
        given = fn.defaults or ()
        defaults = [self.default(a.arg, d)
                    for a, d in zip(ordered[len(ordered) - len(given):], given)]
        return ast.arguments(posonlyargs=posonly, args=positional,
                             vararg=var.get(inspect.Parameter.VAR_POSITIONAL),
                             kwonlyargs=kwonly, kw_defaults=kw_defaults,
                             kwarg=var.get(inspect.Parameter.VAR_KEYWORD), defaults=defaults)

    def default(self, param: str, value: Any) -> ast.expr:
        if isinstance(value, _LITERALS):
            return _literal(value, self)
        return self.global_ref(value, f"{param}_default")

    def assign_names(self, module: Module, fname: str) -> str:
        namer = Namer(joint="" if self.backend == "numba" else "_")
        for p in self.fn.params:
            namer.reserve(p.hint)
        fname = namer.fresh(fname)
        global_names: dict[int, str] = {}
        for key, (obj, preferred) in self.global_objs.items():
            name = namer.fresh(preferred)
            global_names[key] = name
            module.globals[name] = obj
        for node, key in self.global_names:
            node.id = global_names[key]
        # a variable's name is its first use's (in the order the code reads); a value's,
        # its variable's
        chosen: dict[Value, str] = {}  # variable -> name
        named: dict[Value, str] = {}  # value -> name
        params = self.params
        for node, v in self.value_names:
            name = named.get(v)
            if name is None:
                var = self.variable(v)
                name = chosen.get(var)
                if name is None:
                    name = chosen[var] = var.hint if var in params else namer.fresh(var.hint)
                named[v] = name
            node.id = name
        for keyword, target in self.objmode_names:
            keyword.arg = target.id
        return fname


def integer_index(op: Op) -> bool:
    """Is ``op`` (``index_add(x, i, v)``) at one integer index (the Numba backend's
    ``index_add_item``)?"""
    aval = op.args[1].aval
    return isinstance(aval, Number) and aval.dtype is not None and aval.dtype.kind in "iu"


# NumPy's functions that NumPy runs several times faster than Numba's compiled loop over an
# array (SIMD against a libm call per entry: 5-11x for a 64 x 256 array), and the size from
# which that pays for entering object mode (about 3 µs)
_NUMPY_KERNELS = frozenset({
    "np.tanh", "np.exp", "np.expm1", "np.log", "np.log1p", "np.log2", "np.log10", "np.tan",
    "np.arcsin", "np.arccos", "np.arctan", "np.sinh", "np.cosh"})
NUMPY_KERNEL_SIZE = 512


def numpy_kernel(op: Op) -> bool:
    """Does the Numba backend leave ``op`` to NumPy (``_NUMPY_KERNELS`` of a float array of
    at least ``NUMPY_KERNEL_SIZE`` entries, its shape known)?"""
    if op.prim not in _NUMPY_KERNELS or len(op.outs) != 1:
        return False
    aval = op.out.aval
    return (isinstance(aval, Array) and aval.dtype is not None and aval.dtype.kind == "f"
            and math.prod(aval.shape) >= NUMPY_KERNEL_SIZE)


def _numba() -> Any:
    import numba  # (only the Numba backend's code reads it)

    return numba


def numba_zero(v: Value) -> tuple[int, ...] | None:
    """The Numba backend's ``zero_gradient(v)`` (the gradient of an argument nothing reads),
    from ``v``'s aval: ``0.0`` for a float64 or integer number (shape ``()``),
    ``np.zeros(shape)`` for such an array; None where the aval does not say."""
    aval = v.aval
    if not isinstance(aval, (Number, Array)) or aval.dtype is None or (
            np.result_type(aval.dtype, 0.0) != np.float64):
        return None
    return () if isinstance(aval, Number) else aval.shape


def _only_names(ret: ast.Return) -> bool:
    """Does ``return ...`` read only names and constants (so it cannot raise)?"""
    return all(isinstance(node, (ast.Name, ast.Constant, ast.Tuple, ast.List, ast.Dict,
                                 ast.Load, ast.expr_context))
               for node in ast.walk(ret.value))


def _assign(targets: list[ast.expr], value: ast.expr) -> ast.Assign:
    target = targets[0] if len(targets) == 1 else ast.Tuple(targets, _STORE)
    return ast.Assign([target], value, None)


def _is_literal(value: Any) -> bool:
    """Written in the code as itself: numbers, strings, ``None``, tuples of them (shapes)."""
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    if isinstance(value, slice):
        return all(_is_literal(v) for v in (value.start, value.stop, value.step))
    return (isinstance(value, _LITERALS) or value is Ellipsis) and not (
        isinstance(value, float) and not math.isfinite(value))


_LITERAL_OPS = {"slice": lambda items: slice(*items), "tuple": tuple}


def _index(node: ast.expr) -> ast.expr:
    """An index as written: ``slice(1, None, None)`` reads ``1:``."""
    if isinstance(node, ast.Tuple):
        return ast.Tuple(elts=[_index(elt) for elt in node.elts], ctx=ast.Load())
    if getattr(node, "s2s_slice", False) and len(node.args) == 3:
        lower, upper, step = (None if isinstance(a, ast.Constant) and a.value is None else a
                              for a in node.args)
        return ast.Slice(lower=lower, upper=upper, step=step)
    return node


def _literal(value: Any, gen: _Codegen) -> ast.expr:
    kind = type(value)
    if (kind is float or kind is int) and 0 < value < math.inf:  # (most literals)
        return ast.Constant(value)
    if isinstance(value, tuple):
        return ast.Tuple(elts=[_literal(v, gen) for v in value], ctx=ast.Load())
    if isinstance(value, slice) and _is_literal(value):  # `1:` where it is an index
        call = ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), keywords=[],
                        args=[_literal(v, gen) for v in (value.start, value.stop, value.step)])
        call.s2s_slice = True  # type: ignore[attr-defined]
        return call
    if isinstance(value, type) and value.__module__ == "numpy":  # a dtype: np.float32
        return ast.Attribute(value=gen.global_ref(np, "np"), attr=value.__name__,
                             ctx=ast.Load())
    if not isinstance(value, (bool, int, float, str, type(None), type(Ellipsis))):
        return gen.global_ref(value, getattr(value, "__name__", "constant"))
    if isinstance(value, float) and not math.isfinite(value):
        return gen.global_ref(value, "inf" if value > 0 else "nan" if value != value
                              else "neg_inf")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            value < 0 or (value == 0 and math.copysign(1.0, value) < 0)):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))
    return ast.Constant(value)


def _tree(tree: Any, leaves: list[ast.expr], global_ref: Any) -> ast.expr:
    """The returned structure; a record is built by its class, its fields by name
    (``global_ref(cls, hint)`` names the class)."""
    if isinstance(tree, int):
        return leaves[tree]
    if isinstance(tree, RecordTree):
        return ast.Call(func=global_ref(tree.cls, tree.cls.__name__), args=[], keywords=[
            ast.keyword(arg=k, value=_tree(t, leaves, global_ref)) for k, t in tree.items()])
    if isinstance(tree, dict):
        return ast.Dict(keys=[ast.Constant(k) for k in tree],
                        values=[_tree(t, leaves, global_ref) for t in tree.values()])
    elts = [_tree(t, leaves, global_ref) for t in tree]
    if isinstance(tree, list):
        return ast.List(elts=elts, ctx=ast.Load())
    return ast.Tuple(elts=elts, ctx=ast.Load())


def _use_regions(fn: Function) -> tuple[dict[Value, Region], set[Value]]:
    """For each value, the region of (one of) its uses; and the values regions yield."""
    where: dict[Value, Region] = {}
    yielded: set[Value] = set()
    stack = [fn.body]
    while stack:
        region = stack.pop()
        for op in region.ops:
            for a in op.args:
                where[a] = region
            for inner in op.regions:
                for v in inner.results:
                    where[v] = inner
                yielded.update(inner.results)
                stack.append(inner)
    for v in fn.body.results:
        where[v] = fn.body
    return where, yielded


def _object_hint(value: Any) -> str:
    if isinstance(value, float):  # inf, -inf, nan
        return "nan" if value != value else "inf" if value > 0 else "neg_inf"
    if isinstance(value, types.ModuleType):
        return _MODULE_ALIASES.get(value.__name__, value.__name__.rpartition(".")[2])
    return getattr(value, "__name__", "") or "_c"
