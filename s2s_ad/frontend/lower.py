"""Lift a Python function into SSA IR.

Names resolve as Python resolves them in the function: parameters and assigned locals,
then closure cells, then module globals, then builtins. Everything that is not a local is
read once, at transform time (a snapshot), and becomes a constant of the IR.
Calls to the user's own functions are inlined, so the whole computation is one IR body.

An attribute of a value that arrives at run time (``p.w`` of a dataclass or named tuple
argument, ``self.w`` of a bound method's object) is read at run time, like an item: a
``getattr`` op. A bound method is lifted as its function with ``self`` its first
parameter, and the class of the object it is bound to known (``methods.py``): a call of
another method on ``self`` (``self.predict(x)``) and a property read inline the class's
function, with ``self`` bound to that parameter.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import custom
from ..errors import DifferentiationError, NoDerivativeRuleError, UnsupportedSyntaxError
from ..ir import verify
from ..ir.builder import Emitter
from ..ir.clone import clone_ops
from ..ir.core import Function, Op, RecordTree, Region, Update, Value
from ..primitives import get, primitive_for
from . import closures, records
from .arrays import _UNKNOWN, Arrays
from .arrays import _attributes as _array_attributes
from .control import ControlFlow, DictView, Enumerate, Range, Reversed, Zip, make_range
from .desugar import DICT_OF, SET_OF, desugar
from .exits import rewrite_exits
from .fence import fence
from .source import NO_CHILDREN, Source, child_nodes, parse_function

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv",
           ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul"}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
            ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@"}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not_"}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq",
           ast.NotEq: "ne", ast.In: "contains", ast.NotIn: "not_contains"}
_NUMBERS = (bool, int, float, complex)


@dataclass(slots=True, unsafe_hash=True)
class Static:
    """A Python object known at transform time: a module, a function, a global number.
    Never changed (not declared ``frozen``, which makes building one, once per constant
    and name read, three times as slow: see ``errors.Loc``)."""

    obj: Any
    name: str = ""


# An entry of the environment: an IR value, a static object, or a tuple/list of entries.
Entry = Value | Static | tuple | list


def lift(fn: Any) -> Function:
    """The IR of ``fn``: a Python function, a lambda, or a function s2s_ad generated."""
    generated = getattr(fn, "__s2s__", None)
    if generated is not None:
        return generated.ir
    if getattr(fn, "__s2s_per_call__", False):  # (transforms take its IR per call)
        raise NoDerivativeRuleError(
            "a function made by vmap is read for given arguments, not as it is",
            hint="call the transform of it with arguments, or vmap the derivative instead: "
                 "vmap(grad(f))")
    if not isinstance(fn, types.FunctionType):
        shown = repr(fn) if len(repr(fn)) <= 60 else f"{repr(fn)[:57]}..."
        raise NoDerivativeRuleError(
            f"cannot differentiate {shown}: it is not a Python function",
            hint="pass a function defined with `def`; for a builtin or C function register a "
                 "rule with s2s_ad.defvjp")
    fn = inspect.unwrap(fn, stop=lambda f: hasattr(f, "__s2s__"))
    source, exits = _prepared(fn)
    e = Emitter()
    lowerer = _Lowerer(fn, source, e, (fn,), exits)
    params, kinds, env = lowerer.bind_parameters()
    owner = getattr(fn, "__s2s_self__", None)  # a bound method's: see methods.py
    if owner is None:  # Model.loss itself: self's class, checked where the code relies on it
        owner = _defining_class(fn)
        if owner is not None and params:
            lowerer.checked.add(params[0])
    if owner is not None and params:
        lowerer.classes[params[0]] = owner
    with stack_room(source.node, source.children):
        result = lowerer.lower_body(env)
    leaves: list[Value] = []
    tree = lowerer.flatten(result, leaves, source.node)
    lifted = Function(fn.__name__, params, kinds, Region(list(params), e.region.ops, leaves),
                      tree, fn.__defaults__, fn.__kwdefaults__, source.file, fn.__globals__,
                      _annotated_numbers(fn), tuple(lowerer.updates))
    if verify.ENABLED:
        verify.verify(lifted, "after lowering")
    return lifted


_REENTRIES = 4  # frames of one helper on the stack, given other functions each time


def _functions_passed(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, ...]:
    """The identities of the functions among a call's arguments (known when lowering)."""
    return tuple(id(a.obj) for a in (*args, *kwargs.values())
                 if isinstance(a, Static) and (callable(a.obj) or isinstance(
                     a.obj, (closures.Closure, closures.Partial))))


class _Lowerer(ControlFlow, Arrays):
    """Lowers one function body (the top-level one, or a helper being inlined)."""

    def __init__(self, fn: types.FunctionType, source: Source, e: Emitter,
                 inlining: tuple[types.FunctionType, ...],
                 exits: frozenset[str] = frozenset()) -> None:
        self.fn = fn
        self.label = fn.__name__  # (a nested function's frame: f.<locals>.g)
        self.source = source
        self.e = e
        self.inlining = inlining
        self.passed: tuple[tuple[int, ...], ...] = ((),) * len(inlining)  # (see inline)
        # names assigned in the function (local to it), and lists that grow in loops
        self.locals, self.growing = _assigned_and_growing(source.node, source.children)
        code = fn.__code__
        self.closure = dict(zip(code.co_freevars, fn.__closure__ or ()))
        self.mutable: set[Value] = set()  # run-time lists this function appends to
        self.sets: set[Value] = set()  # sets set comprehensions made (iterated in order)
        # run-time values whose class is known when building (a bound method's `self`):
        # their methods and properties inline (shared with the functions inlined here)
        self.classes: dict[Value, type] = {}
        # of those, the ones whose class is only presumed (`self` of `Model.loss` itself):
        # code that relies on it first checks it (`exactly`)
        self.checked: set[Value] = set()
        self.updates: list[Update] = []  # `u += v` (checked in analysis/aliasing.py)
        self.writable: set[Value] = set()  # arrays of floats: `x[i] = v` needs no check
        # names a `while True:` loop binds on some paths to a break only -> the loop's line
        self.partly_bound: dict[str, int] = {}
        # names two branches of an `if` bound with different structures -> the if's line
        self.unjoined: dict[str, int] = {}
        self.enclosing: closures.Closure | None = None  # a nested function's frame: its own
        self.active_env: dict | None = None  # the environment of the call being lowered
        # a helper's or nested function's frame: the ids of the arrays, lists and dicts
        # its caller passed in (Python would change the caller's own by a write into them),
        # and the run-time loops around the call
        self.borrowed: frozenset[int] = frozenset()
        self.outer_loops = 0
        self.exits = exits  # what a `return` inside a loop returns (frontend/exits.py)

    # --- errors ---------------------------------------------------------------------------
    def error(self, node: ast.AST, message: str, hint: str | None = None,
              kind: type[DifferentiationError] = UnsupportedSyntaxError) -> DifferentiationError:
        return kind(message, loc=self.source.loc(node), hint=hint,
                    stage=f"while lowering {self.label!r}")

    # --- parameters and body ----------------------------------------------------------------
    def bind_parameters(self) -> tuple[list[Value], list[inspect._ParameterKind], dict]:
        a = self.source.node.args
        params: list[Value] = []
        kinds: list[inspect._ParameterKind] = []
        for arg in a.posonlyargs:
            params.append(Value(arg.arg))
            kinds.append(inspect.Parameter.POSITIONAL_ONLY)
        for arg in a.args:
            params.append(Value(arg.arg))
            kinds.append(inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if a.vararg is not None:  # `*xs`: one parameter, a tuple
            params.append(Value(a.vararg.arg))
            kinds.append(inspect.Parameter.VAR_POSITIONAL)
        for arg in a.kwonlyargs:
            params.append(Value(arg.arg))
            kinds.append(inspect.Parameter.KEYWORD_ONLY)
        if a.kwarg is not None:  # `**kw`: one parameter, a dict
            params.append(Value(a.kwarg.arg))
            kinds.append(inspect.Parameter.VAR_KEYWORD)
        env: dict[str, Entry] = {p.hint: p for p in params}
        return params, kinds, env

    def lower_body(self, env: dict[str, Entry]) -> Entry:
        """Lower the statements; the returned entry is what the function returns."""
        node = self.source.node
        if isinstance(node, ast.Lambda):
            return self.expr(node.body, env)
        kind, result = self.block(node.body, env)
        return result if kind == "returns" else Static(None)

    @staticmethod
    def static(obj: Any) -> Static:
        return Static(obj)

    @staticmethod
    def is_static(entry: Entry) -> bool:
        return isinstance(entry, Static)

    def stmt(self, node: ast.stmt, env: dict[str, Entry]) -> None:
        with self.e.at(self.source.loc(node)):
            if isinstance(node, ast.Assign):
                value = self.expr(node.value, env)
                for target in node.targets:
                    self.assign(target, value, env)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self.assign(node.target, self.expr(node.value, env), env)
            elif isinstance(node, ast.AugAssign):
                if isinstance(node.target, ast.Subscript):  # x[i] += v: read, add, write
                    self.assign_item(node.target, self.expr(node.value, env), env, node.op)
                    return
                if not isinstance(node.target, ast.Name):
                    raise self.error(node.target, "cannot differentiate an in-place update of "
                                     "an attribute", hint="build a new value: `x = x + ...`")
                current = self.name(node.target, env)
                new = self.binop(node.op, current, self.expr(node.value, env), node)
                if isinstance(current, Value) and isinstance(new, Value):
                    # NumPy writes an array's update into it: its layout and dtype stay
                    new = self.e.emit("updated", new, current)[0]
                    others = tuple(k for k, v in env.items()
                                   if v is current and k != node.target.id)
                    self.updates.append(Update(current, new, node.target.id,
                                               _SYMBOLS[type(node.op)], self.source.loc(node),
                                               others))
                self.assign(node.target, new, env)
            elif isinstance(node, ast.Expr):
                if not (isinstance(node.value, ast.Constant)
                        and isinstance(node.value.value, str)):  # docstrings are fine
                    self.expr(node.value, env)
            elif isinstance(node, ast.Pass):
                pass
            elif isinstance(node, ast.FunctionDef):
                env[node.name] = closures.define(self, node, env)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    if not isinstance(target, ast.Name):
                        raise self.error(target, "cannot differentiate `del` of an item",
                                         hint="build a new container without it")
                    env.pop(target.id, None)
            else:
                raise self.error(node, f"cannot differentiate a {type(node).__name__} "
                                 "statement here")

    def assign(self, target: ast.expr, value: Entry, env: dict[str, Entry]) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, list) and target.id in self.growing:
                value = self.runtime_list(value, target)
            if isinstance(value, Value) and not value.hint:
                value.hint = target.id
                value.user = True
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            star = _starred(target)
            if isinstance(value, records.Record) and value.named_tuple:  # a tuple too
                value = value.items()
            if isinstance(value, Value):
                value = self.unpack(value, target)
            elif not isinstance(value, (tuple, list)):
                raise self.error(target, "cannot unpack this value",
                                 hint="unpack a tuple, a list or an array")
            elif star is not None and len(value) >= len(target.elts) - 1:  # `a, *rest = xs`
                stop = len(value) - (len(target.elts) - 1 - star)
                value = [*value[:star], list(value[star:stop]), *value[stop:]]
            if len(value) != len(target.elts):
                at_least = "at least " if star is not None else ""
                raise self.error(target, f"cannot unpack {len(value)} values into "
                                 f"{at_least}{len(target.elts) - (star is not None)} names")
            for sub, item in zip(target.elts, value):
                self.assign(sub.value if isinstance(sub, ast.Starred) else sub, item, env)
        elif isinstance(target, ast.Subscript):
            self.assign_item(target, value, env)
        elif isinstance(target, ast.Attribute):
            raise self.error(target, f"cannot differentiate an assignment to the attribute "
                             f"{ast.unparse(target)}", hint="a derivative cannot follow a "
                             "change to an object: compute the new value into a local name "
                             "(and return it)")
        else:
            raise self.error(target, "cannot differentiate an assignment to an attribute",
                             hint="build a new value instead of updating in place")

    def assign_item(self, target: ast.Subscript, value: Entry, env: dict[str, Entry],
                    op: ast.operator | None = None) -> None:
        """``c[k] = v`` (``c[k] op= v`` with ``op``). Into a list or dict built here, at a
        key known now, the entry changes; into an array, the name gets a new value, the
        array with that item written (``setitem``; codegen writes in place where nothing
        reads the old array), and so does every other name bound to it, as NumPy's
        in-place write shows through them."""
        if not isinstance(target.value, ast.Name):
            raise self.error(target, "cannot differentiate an assignment to an item of an "
                             "item or an attribute",
                             hint="index the array itself: `x[i, j] = v`, not `x[i][j] = v`")
        name = target.value.id
        c = self.name(target.value, env)
        if self.enclosing is not None and name not in self.locals:
            raise self.error(target, f"cannot differentiate writing into {name!r}, a variable "
                             f"of the function around {self.label!r}", hint="return the new "
                             "value (or item) and write it in the function that owns it")
        if id(c) in self.borrowed:
            raise self.error(target, f"cannot differentiate writing into {name!r}, which the "
                             f"caller passed to {self.label!r} (Python would change the "
                             "caller's too)", hint=f"write into a copy, `{name} = "
                             f"{name}.copy()`, and return it")
        if isinstance(c, (list, dict)):
            key = self.expr(target.slice, env)
            if not isinstance(key, Static) or isinstance(target.slice, ast.Slice):
                raise self.error(target.slice, f"cannot differentiate assigning to an item of "
                                 f"the {type(c).__name__} {name} built here at a key computed "
                                 "at run time", hint="use a constant index, or build an array "
                                 "(np.zeros(n)) and write into it")
            if op is not None:
                value = self.binop(op, self.subscript(target, env), value, target)
            changed = type(c)(c)  # a new list: the one bound before a branch or loop stays
            try:
                changed[key.obj] = value
            except (IndexError, TypeError):
                raise self.error(target, f"no item {key.obj!r} in {name}",
                                 kind=DifferentiationError) from None
            self.rebind(env, c, changed)
            return
        if isinstance(c, tuple):
            raise self.error(target, f"{name} is a tuple: its items cannot be assigned",
                             kind=DifferentiationError, hint="build a list or an array")
        original = c
        if isinstance(c, Static):
            if not isinstance(c.obj, np.ndarray) or c.name:  # (a global's, or its alias)
                raise self.error(target, f"cannot differentiate writing into "
                                 f"{c.name or name}, a value from outside the function",
                                 hint=f"write into a copy of your own: `{name} = "
                                      f"{c.name or name}.copy()` first")
            c = self.e.const(c.obj, name)  # an array made here from constants: np.zeros(n)
            if original.obj.dtype.kind in "fc":
                self.writable.add(c)
        if not isinstance(c, Value):
            raise self.error(target, f"cannot assign to an item of {name}",
                             kind=DifferentiationError)
        e, loc = self.e, self.source.loc(target)
        index = self.index_value(target.slice, env)
        if op is not None:
            value = self.binop(op, self.read_item(c, index), value, target)
        if c not in self.writable:  # (an array of floats: checked once)
            sliced = {"sliced": True} if isinstance(target.slice, ast.Slice) else {}
            e.emit("writable", c, name=name, at=str(loc), nouts=0, **sliced)
        new = e.emit("setitem", c, index, self.operand(value, target), hint=name)[0]
        self.writable.add(new)
        new.user = True
        self.updates.append(Update(c, new, name, "[]", loc))
        self.rebind(env, original, new)

    @staticmethod
    def rebind(env: dict[str, Entry], old: Entry, new: Entry) -> None:
        """Every name bound to ``old`` (directly, or in a tuple, list or dict built here)
        sees ``new``: NumPy's write into an array, or Python's into a list, shows through
        all of them."""
        memo: dict[int, Entry] = {}
        for key, entry in list(env.items()):
            env[key] = _rebound(entry, old, new, memo)

    def unpack(self, value: Value, target: ast.Tuple | ast.List) -> list[Value]:
        """``a, b = c`` of a value known only at run time (a tuple argument, ``x.shape``,
        the rows of an array): its items, read one by one after a check that it holds
        exactly that many (which raises what Python's unpacking would). A starred name
        (``a, *rest, z = c``) gets a list of the items between, as in Python, after a check
        that ``c`` holds at least the others."""
        e = self.e
        n = len(target.elts)
        star = _starred(target)
        if star is None:
            e.emit("unpacks", value, n=n, nouts=0)
            return [e.getitem(value, e.const(k)) for k in range(n)]
        after = n - 1 - star
        e.emit("unpacks", value, at_least=n - 1, nouts=0)
        heads = [e.getitem(value, e.const(k)) for k in range(star)]
        rest = e.emit("list_new", hint=getattr(target.elts[star].value, "id", ""))[0]
        stop = e.sub(self.length(value), e.const(after)) if after else self.length(value)
        i = Value("i")
        body = Region([i])
        with e.into(body):
            e.emit("append", rest, self.read_item(value, i), nouts=0)
        e.region.ops.append(Op("for_range", (e.const(star), stop, e.const(1)), (),
                               (("breaks", False),), (body,), e.loc))
        self.mutable.add(rest)
        return [*heads, rest, *(e.getitem(value, e.const(k - after)) for k in range(after))]

    # --- expressions ---------------------------------------------------------------------
    def expr(self, node: ast.expr, env: dict[str, Entry]) -> Entry:
        """Lower ``node``: the ops it emits carry its location (as in ``e.at``, without a
        generator, which costs more than lowering most expressions)."""
        kind = node.__class__  # (a constant, or a local's name: no op, so no location)
        if kind is ast.Constant:
            return Static(node.value)  # type: ignore[attr-defined]
        if kind is ast.Name and node.id in env and node.id in self.locals:  # type: ignore[attr-defined]
            return env[node.id]  # type: ignore[attr-defined]
        e = self.e
        saved, e.loc = e.loc, self.source.loc(node)
        try:
            return self.expression(node, env)
        finally:
            e.loc = saved

    def expression(self, node: ast.expr, env: dict[str, Entry]) -> Entry:
        if isinstance(node, ast.Constant):
            return Static(node.value)
        if isinstance(node, ast.Name):
            return self.name(node, env)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left, env),
                              self.expr(node.right, env), node)
        if isinstance(node, ast.UnaryOp):
            prim = _UNARY.get(type(node.op))
            if prim is None:
                raise self.error(node, "cannot differentiate the ~ operator")
            operand = self.expr(node.operand, env)
            if (isinstance(operand, Static) and isinstance(operand.obj, _NUMBERS)
                    and prim in ("neg", "pos")):  # -1: a constant (axis=-1)
                return Static(-operand.obj if prim == "neg" else operand.obj)
            return self.e.emit(prim, self.operand(operand, node))[0]
        if isinstance(node, ast.Compare):
            return self.compare(node, env)
        if isinstance(node, ast.IfExp):
            return self.if_expression(node, env)
        if isinstance(node, ast.BoolOp):
            return self.bool_operation(node, env)
        if isinstance(node, ast.Attribute):
            base = self.expr(node.value, env)
            if isinstance(base, Static):
                try:
                    return Static(getattr(base.obj, node.attr), node.attr)
                except AttributeError:
                    raise self.error(node, f"{base.name or base.obj!r} has no attribute "
                                     f"{node.attr!r}", kind=DifferentiationError) from None
            if isinstance(base, Value):
                return self.attribute(node, base)
            if isinstance(base, records.Record):
                return records.attribute(self, base, node)
            raise self.error(node, f"cannot differentiate attribute access .{node.attr} "
                             "on a tuple or list")
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.Tuple):
            return tuple(self.items(node.elts, env))
        if isinstance(node, ast.List):
            return self.items(node.elts, env)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.Dict):
            return self.dict_display(node, env)
        if isinstance(node, ast.Lambda):
            return closures.define(self, node, env)
        if isinstance(node, ast.Starred):
            raise self.error(node, "cannot differentiate a starred expression here",
                             hint="unpack into a display or a call: `(*xs, y)`, `g(*xs)`")
        raise self.error(node, f"cannot differentiate a {type(node).__name__} expression")

    def items(self, nodes: list[ast.expr], env: dict[str, Entry]) -> list[Entry]:
        """The entries of a display's items or a call's arguments, with those of ``*xs``
        spliced in (a tuple or list known when the derivative is built)."""
        out: list[Entry] = []
        for node in nodes:
            if not isinstance(node, ast.Starred):
                out.append(self.expr(node, env))
                continue
            entry = self.expr(node.value, env)
            if isinstance(entry, Static) and isinstance(entry.obj, (tuple, list)):
                entry = [Static(x) for x in entry.obj]  # a global tuple: its constants
            if not isinstance(entry, (tuple, list)):
                raise self.error(node, "cannot differentiate * of a value whose length is "
                                 "known only at run time", hint="index its items, or pass "
                                 "it whole and unpack it inside: `a, *rest = xs`")
            out += entry
        return out

    def attribute(self, node: ast.Attribute, base: Value) -> Entry:
        """``base.name`` of a value that arrives at run time: NumPy's ``.T``, ``.shape``,
        ``.ndim``, ``.size``, ``.dtype`` (on an object of unknown class), a property of a
        known class (inlined), or a field, read at run time (``getattr``)."""
        cls = self.classes.get(base)
        name = node.attr
        if cls is None:
            if name in _array_attributes():
                return self.array_attribute(node, base)
            return self.e.emit("getattr", base, self.e.const(name))[0]
        found = inspect.getattr_static(cls, name, None)
        if isinstance(found, property) and isinstance(found.fget, types.FunctionType):
            self.check_class(base, cls)
            return self.inline(found.fget, [base], {}, node)
        if isinstance(found, (types.FunctionType, staticmethod, classmethod, property)):
            raise self.error(node, f"cannot differentiate the method .{name} of "
                             f"{cls.__name__} used as a value", hint=f"call it: .{name}(...)")
        return self.e.emit("getattr", base, self.e.const(name))[0]

    def class_method(self, node: ast.Call, base: Value, name: str, args: list[Entry],
                     kwargs: dict[str, Entry]) -> Entry | None:
        """``self.predict(x)`` where ``self``'s class is known: its function, inlined with
        ``self`` bound (a static or class method too). None for anything else."""
        cls = self.classes[base]
        found = inspect.getattr_static(cls, name, None)
        if isinstance(found, (types.FunctionType, staticmethod, classmethod)):
            self.check_class(base, cls)
        if isinstance(found, types.FunctionType):
            return self.inline(found, [base, *args], kwargs, node)
        if isinstance(found, staticmethod) and isinstance(found.__func__, types.FunctionType):
            return self.inline(found.__func__, args, kwargs, node)
        if isinstance(found, classmethod) and isinstance(found.__func__, types.FunctionType):
            return self.inline(found.__func__, [Static(cls, cls.__name__), *args], kwargs, node)
        return None

    def check_class(self, base: Value, cls: type) -> None:
        """Before code inlined from ``cls`` for ``base``, whose class is only presumed:
        stop unless it is ``cls`` itself (a subclass may override what is inlined)."""
        if base in self.checked:
            self.e.emit("exactly", base, self.e.const(cls, cls.__name__), nouts=0)

    def dict_display(self, node: ast.Dict, env: dict[str, Entry]) -> dict:
        """A dict built here: its keys must be known when the derivative is built."""
        out: dict = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise self.error(value, "cannot differentiate ** in a dict display",
                                 hint="write the items out")
            k = self.expr(key, env)
            if not isinstance(k, Static):
                raise self.error(key, "dict keys must be constants here",
                                 hint="use string or number literals as keys")
            out[k.obj] = self.expr(value, env)
        return out

    def method_call(self, node: ast.Call, base: Entry, name: str, args: list[Entry],
                    kwargs: dict) -> Entry:
        """``d.items()``/``.keys()``/``.values()`` of an argument, ``xs.append(v)`` of a list
        built here."""
        if isinstance(base, Value) and base in self.classes:  # (class_method found nothing)
            cls = self.classes[base]
            raise self.error(node, f"cannot differentiate the call .{name}(...): "
                             f"{cls.__name__}.{name} is not a method written in Python",
                             hint="call the function itself (`np.tanh(x)`), or write a method "
                                  "that calls it")
        if isinstance(base, Value) and name in ("items", "keys", "values") and not args:
            return Static(DictView(name, base))
        if name in ("append", "extend") and len(args) == 1 and (
                isinstance(base, list) or base in self.mutable):
            closures.check_owner(self, node)
            items = [args[0]] if name == "append" else args[0]
            if not isinstance(items, (tuple, list)):
                raise self.error(node, "extend needs a tuple or list built here")
            if isinstance(base, list):  # known when transforming: the list just grows
                if id(base) in self.borrowed and self.outer_loops:
                    raise self.error(node, f"cannot differentiate {name}() of a list passed "
                                     f"to {self.label!r}, called in a loop (the list would "
                                     "grow once, when the derivative is built, not once a "
                                     "step)", hint="return the new item and append it in the "
                                                   "loop")
                base.extend(items)
            else:
                for item in items:  # (a tuple built here: a run-time tuple, `(i, j)`)
                    value = self.runtime_tuple(item, node) if isinstance(
                        item, tuple) else self.operand(item, node)
                    self.e.emit("append", base, value, nouts=0)
            return Static(None)
        if isinstance(base, Value):
            raise self.error(node, f"cannot differentiate the method call .{name}(...) of a "
                             "value whose class is known only at run time",
                             hint="call the class's function (`Model.predict(self, x)`), or "
                                  "differentiate the bound method (`s2s_ad.grad(model.loss)`), "
                                  "where self's class is known; supported here: d.items(), "
                                  "d.keys(), d.values() of a dict argument")
        raise self.error(node, f"cannot differentiate the method call .{name}(...) here",
                         hint="supported: d.items(), d.keys(), d.values() of a dict argument "
                              "and append/extend of a list built in this function")

    def compare(self, node: ast.Compare, env: dict[str, Entry]) -> Entry:
        """``a < b``; a chain ``a < b < c`` is ``a < b and b < c`` (``b`` evaluated once)."""
        operands = [self.expr(node.left, env)] + [self.expr(c, env) for c in node.comparators]
        results = []
        for op, left, right in zip(node.ops, operands, operands[1:]):
            prim = _CMPOPS.get(type(op))
            if prim is None:
                raise self.error(node, "cannot differentiate `is` comparisons",
                                 hint="compare values with == or !=")
            if prim in ("contains", "not_contains"):
                results.append(self.membership(prim, left, right, node))
                continue
            results.append(self.e.emit(prim, self.operand(left, node),
                                       self.operand(right, node))[0])
        acc = results[0]
        for more in results[1:]:  # all operands are evaluated: comparisons are pure
            acc = self.e.select(acc, more, acc)
        return acc

    def membership(self, prim: str, x: Entry, c: Entry, node: ast.AST) -> Entry:
        """``x in c`` (``prim`` ``not_contains``: ``x not in c``): decided now for a dict
        built here and a key known now, at run time otherwise."""
        if isinstance(c, dict):
            if not isinstance(x, Static):
                raise self.error(node, "cannot differentiate `in` of a key computed at run "
                                 "time in a dict built here", hint="compare the key with "
                                 "each of the dict's keys, or build it by a dict comprehension")
            return Static((x.obj in c) == (prim == "contains"))
        if isinstance(c, (tuple, list)):
            c = self.runtime_tuple(c, node)
        return self.e.emit(prim, self.operand(x, node), self.operand(c, node))[0]

    def subscript(self, node: ast.Subscript, env: dict[str, Entry]) -> Entry:
        """Indexing a tuple or list built in this function, with a constant index."""
        base = self.expr(node.value, env)
        if isinstance(base, Value):  # an array or a sequence that arrives at run time
            return self.read_item(base, self.index_value(node.slice, env))
        slicing = isinstance(node.slice, ast.Slice)
        if isinstance(base, Static):  # a constant: W[1], W[::-1], C[i]
            known = self.static_index(node.slice, env)
            if known is not _UNKNOWN:  # read now
                try:  # named for what it is: not W itself
                    part = "part" if slicing else "item"
                    return Static(base.obj[known], base.name and f"{base.name}_{part}")
                except (IndexError, KeyError, TypeError):
                    raise self.error(node, f"no item {known!r} in {base.name or 'this value'}",
                                     kind=DifferentiationError) from None
            if not slicing or isinstance(base.obj, np.ndarray):  # indexed at run time
                return self.read_item(self.operand(base, node.value),
                                      self.index_value(node.slice, env))
        if slicing:
            what = ("a global tuple or list with bounds known only at run time"
                    if isinstance(base, Static) else "a tuple or list built here")
            raise self.error(node.slice, f"cannot differentiate slicing {what}",
                             hint="index items one by one")
        index = self.expr(node.slice, env)
        if isinstance(base, records.Record) and base.named_tuple:  # a tuple too
            base = base.items()
        if isinstance(base, (tuple, list, dict)) and isinstance(index, Static):
            try:
                return base[index.obj]
            except (IndexError, KeyError, TypeError):
                raise self.error(node, f"no item {index.obj!r} in this "
                                 f"{type(base).__name__}", kind=DifferentiationError) from None
        if isinstance(base, (tuple, list)):  # built here, indexed at run time
            base = self.runtime_tuple(base, node.value)
        if isinstance(base, Value):
            return self.read_item(base, self.operand(index, node.slice))
        raise self.error(node, "cannot differentiate indexing a dict built in this function "
                         "with a key computed at run time",
                         hint="pass the dict in as an argument, or use a constant key")

    def name(self, node: ast.Name, env: dict[str, Entry]) -> Entry:
        name = node.id
        if name in self.locals:
            if name not in env:
                if name in self.unjoined:
                    raise self.error(node, f"{name!r} has a different structure in the two "
                                     f"branches of the if on line {self.unjoined[name]}",
                                     hint="give it the same shape on every path")
                line = self.partly_bound.get(name)
                hint = None if line is None else (
                    f"the `while True:` loop on line {line} assigns it on some paths to a "
                    "`break`, not on all: assign it on every path that reaches a `break`, or "
                    "before the loop")
                raise self.error(node, f"local variable {name!r} is used before it is "
                                 "assigned", hint=hint, kind=DifferentiationError)
            return env[name]
        if self.enclosing is not None:
            found = closures.free_name(self, node)
            if found is not None:
                return found
        if name in self.closure:
            try:
                return Static(self.closure[name].cell_contents, name)
            except ValueError:
                raise self.error(node, f"closure variable {name!r} is not yet assigned",
                                 kind=DifferentiationError) from None
        if name in self.fn.__globals__:
            return Static(self.fn.__globals__[name], name)
        if hasattr(builtins, name):
            return Static(getattr(builtins, name), name)
        raise self.error(node, f"name {name!r} is not defined", kind=DifferentiationError)

    def operand(self, entry: Entry, node: ast.AST) -> Value:
        """``entry`` as an IR value (constants become ``const`` ops)."""
        if isinstance(entry, Value):
            return entry
        if isinstance(entry, Static):
            obj = entry.obj
            if isinstance(obj, closures.TRANSFORM_TIME):
                raise self.error(node, f"cannot use the function {entry.name!r} as "
                                 "a value here", hint="a nested function or partial can be "
                                 "called, passed to a function and returned to a caller in the "
                                 "differentiated function, but not chosen by a value computed "
                                 "at run time, carried by a loop or returned from it",
                                 kind=DifferentiationError)
            if isinstance(obj, (types.ModuleType, types.FunctionType, type)) or callable(obj):
                raise self.error(node, f"cannot use {entry.name or obj!r} as a value here",
                                 kind=DifferentiationError)
            return self.e.const(obj, "" if isinstance(obj, _NUMBERS) else entry.name)
        if isinstance(entry, records.Record):
            raise self.error(node, f"cannot use the {entry.cls.__name__} built in the function "
                             "as a value here", hint="read its fields (`p.x`), pass it to "
                             "your own functions, or return it; here, pass its fields")
        raise self.error(node, "cannot use a tuple or list as a number",
                         hint="index it or unpack it first")

    def binop(self, op: ast.operator, left: Entry, right: Entry, node: ast.AST) -> Entry:
        prim = _BINOPS[type(op)]
        if isinstance(left, (tuple, list)) and isinstance(right, type(left)) and prim == "add":
            return left + right  # concatenating displays known at transform time
        return self.e.emit(prim, self.operand(left, node), self.operand(right, node))[0]

    # --- calls -----------------------------------------------------------------------------
    def call(self, node: ast.Call, env: dict[str, Entry]) -> Entry:
        saved, self.active_env = self.active_env, env  # (nested functions read it: closures)
        try:
            return self.lowered_call(node, env)
        finally:
            self.active_env = saved

    def lowered_call(self, node: ast.Call, env: dict[str, Entry]) -> Entry:
        if isinstance(node.func, ast.Attribute):
            base = self.expr(node.func.value, env)
            if isinstance(base, records.Record):  # its class's method, inlined
                return records.method_call(self, base, node, self.items(node.args, env),
                                           self.keywords(node, env))
            if not isinstance(base, Static):
                args = self.items(node.args, env)
                kwargs = self.keywords(node, env)
                if isinstance(base, Value) and base in self.classes:
                    out = self.class_method(node, base, node.func.attr, args, kwargs)
                    if out is not None:
                        return out
                elif isinstance(base, Value):  # (never NumPy's method of a known class)
                    out = self.array_method(node, base, node.func.attr, args, kwargs)
                    if out is not None:
                        return out
                return self.method_call(node, base, node.func.attr, args, kwargs)
        callee = self.expr(node.func, env)
        if not isinstance(callee, Static):
            raise self.error(node.func, "cannot differentiate a call to a function chosen at "
                             "run time", hint="call a function known where it is defined")
        args = self.items(node.args, env)
        kwargs = self.keywords(node, env)
        return self.call_entry(callee, args, kwargs, node)

    def call_entry(self, callee: Static, args: list[Entry], kwargs: dict[str, Entry],
                   node: ast.Call) -> Entry:
        """A call of the function ``callee`` with arguments already lowered."""
        obj = _FILLED.get(callee.obj, callee.obj) if _hashable(callee.obj) else callee.obj
        if obj is DICT_OF or obj is SET_OF:  # a dict or set comprehension's (desugar.py)
            return self.collection(obj is DICT_OF, args, node)
        out = closures.dispatch(self, obj, args, kwargs, node)
        if out is not None:
            return out
        if isinstance(getattr(obj, "__self__", None), np.ndarray):  # a constant's method
            values = [self.constant_of(a) for a in args]
            options = {k: self.constant_of(v) for k, v in kwargs.items()}
            if _UNKNOWN not in values and _UNKNOWN not in options.values():
                return Static(obj(*values, **options))  # run once, when building
        if hasattr(obj, "__func__") and getattr(obj, "__self__", None) is not None and (
                isinstance(obj.__func__, types.FunctionType) or hasattr(obj, "__s2s__")):
            # a method of an object known here (a global model): its function with self
            # bound to the object, read when building like any global
            owner = Static(obj.__self__, getattr(obj.__self__, "__name__", ""))
            return self.inline(obj.__func__, [owner, *args], kwargs, node)
        if obj in _STATIC_BUILTINS:
            return self.static_builtin(obj, args, kwargs, node)
        if getattr(obj, "__s2s_per_call__", False):
            raise self.error(node, "cannot differentiate through a function made by vmap "
                             "(its code is built per call, for its arguments' shapes)",
                             hint="vmap the derivative instead (vmap(grad(f)), then sum or "
                                  "average the results), or differentiate the vmap itself: "
                                  "s2s_ad.jacobian(vmap(f))")
        if (_module_root(obj) == "s2s_ad" and not hasattr(obj, "__s2s__")
                and primitive_for(obj) is None):  # (not a function with the user's rules)
            return self.s2s_ad_call(obj, args, kwargs, node)
        if hasattr(obj, "__s2s__") or (isinstance(obj, types.FunctionType)
                                       and primitive_for(obj) is None
                                       and _module_root(obj) != "numpy"):  # np.tri: no rule
            return self.inline(obj, args, kwargs, node)
        constant = self.constant_array(obj, args, kwargs)
        if constant is not _UNKNOWN:
            return Static(constant)
        if (obj in (np.array, np.asarray) and len(args) == 1 and not kwargs
                and isinstance(args[0], (tuple, list))):
            return self.array_from_items(args[0], node)
        prim = primitive_for(obj)
        if prim is not None and (prim.startswith("np.") or prim == "matmul"):
            return self.numpy_call(prim, obj, args, kwargs, node)
        if prim is not None and custom.arity(prim) is not None:  # the user's rules
            if kwargs or len(args) != custom.arity(prim):
                raise self.error(node, f"{_callable_name(obj)} has rules for "
                                 f"{custom.arity(prim)} positional arguments",
                                 hint="call it with exactly those, by position")
            return self.e.emit(prim, *(self.array_operand(a, node) for a in args))[0]
        if prim is None and records.is_record_class(obj):  # a dataclass or named tuple
            return records.build(self, obj, args, kwargs, node)
        if prim is None:
            label = _callable_name(obj, callee.name)
            raise self.error(node, f"no derivative rule for {label}",
                             hint=f"register one with s2s_ad.defvjp({label.strip('`')}, ...) "
                                  "or compute it outside the differentiated function",
                             kind=NoDerivativeRuleError)
        if kwargs:
            raise self.error(node, f"cannot pass keyword arguments to {_callable_name(obj)}",
                             hint="pass them by position")
        if obj in (builtins.max, builtins.min) and len(args) == 1:
            return self.extreme(prim, args[0], node)
        return self.apply(prim, obj, [self.operand(a, node) for a in args], node)

    def extreme(self, prim: str, items: Entry, node: ast.Call) -> Entry:
        """``max(xs)`` (``min``) of one sequence: its item at the index Python's ``max``
        picks (the first of equal ones), ``xs[index_max(xs)]``, so the adjoint goes to
        that item alone."""
        if isinstance(items, (tuple, list)):  # built here: a run-time tuple of its items
            if not items:
                raise self.error(node, f"{prim}() of an empty sequence",
                                 kind=DifferentiationError)
            if len(items) == 1:
                return items[0]
            items = self.runtime_tuple(items, node)
        if not isinstance(items, Value):
            raise self.error(node, f"cannot differentiate {prim}() of this value",
                             hint=f"{prim}(x, y, ...), or {prim}() of a tuple, a list or a "
                                  "comprehension")
        items = self.in_order(items)
        index = self.e.emit(f"index_{prim}", items)[0]
        return self.read_item(items, index)

    def s2s_ad_call(self, obj: Any, args: list[Entry], kwargs: dict[str, Entry],
                    node: ast.Call) -> Entry:
        """``s2s_ad.grad(g, wrt=...)`` (a transform of a function known here) is built now,
        and calling it inlines the derivative, as for ``grad(grad(g))``; s2s_ad's other
        functions do not run inside a derivative."""
        name = getattr(obj, "__name__", "")
        if getattr(obj, "__module__", None) != "s2s_ad.api" or name not in _TRANSFORMS:
            raise self.error(node, f"cannot differentiate a call to {_callable_name(obj)}, "
                             "a function of s2s_ad itself",
                             hint="call it outside the function being differentiated")
        values = [self.constant_of(a) for a in args]
        options = {k: self.constant_of(v) for k, v in kwargs.items()}
        if any(isinstance(v, closures.TRANSFORM_TIME) for v in values):
            raise self.error(node, f"cannot differentiate s2s_ad.{name} of a nested function, "
                             "lambda or partial defined in the function",
                             hint="define the function at module level")
        if _UNKNOWN in values or _UNKNOWN in options.values():
            raise self.error(node, f"s2s_ad.{name} of a function or options computed at run "
                             "time", hint=f"pass s2s_ad.{name} a function and wrt known where "
                                          "the function is defined")
        return Static(obj(*values, **options))  # a generated function: its calls inline

    def keywords(self, node: ast.Call, env: dict[str, Entry]) -> dict[str, Entry]:
        """A call's keyword arguments, with the items of ``**d`` (a dict known when the
        derivative is built: a display, or a global) spliced in."""
        kwargs: dict[str, Entry] = {}
        for kw in node.keywords:
            if kw.arg is not None:
                kwargs[kw.arg] = self.expr(kw.value, env)
                continue
            entry = self.expr(kw.value, env)
            if isinstance(entry, Static) and isinstance(entry.obj, dict):
                entry = {k: Static(v) for k, v in entry.obj.items()}
            if not isinstance(entry, dict) or not all(isinstance(k, str) for k in entry):
                raise self.error(kw.value, "cannot differentiate ** of a dict whose keys are "
                                 "known only at run time", hint="pass the keyword arguments "
                                 "by name, or build the dict in the function: `dict(a=x)` "
                                 "is `{'a': x}`")
            kwargs.update(entry)
        return kwargs

    def static_builtin(self, obj: Any, args: list[Entry], kwargs: dict[str, Entry],
                       node: ast.Call) -> Entry:
        """Builtins evaluated when the derivative is built: range, len, enumerate, zip..."""
        if kwargs:
            raise self.error(node, f"cannot pass keyword arguments to {obj.__name__}()")
        if obj is builtins.range:
            return Static(make_range(self, node, [self.operand(a, node) for a in args]))
        if obj is builtins.enumerate and len(args) == 1 and not isinstance(args[0], (tuple,
                                                                                    list)):
            return Static(Enumerate(args[0]))
        if obj is builtins.zip and not all(isinstance(a, (tuple, list)) for a in args):
            return Static(Zip(args))
        if obj is builtins.reversed and len(args) == 1 and (isinstance(args[0], Value) or (
                isinstance(args[0], Static) and isinstance(args[0].obj, (DictView, Range)))):
            return Static(Reversed(args[0]))  # (a loop runs over it: control.py)
        if obj is builtins.len and isinstance(args[0], Value):
            return self.length(args[0])
        if obj is builtins.len and isinstance(args[0], Static) and hasattr(args[0].obj,
                                                                         "__len__"):
            return Static(len(args[0].obj))  # a constant: len("ab"), len(GLOBAL_TABLE)
        if obj is builtins.sum and len(args) == 1 and (isinstance(args[0], Value) or (
                isinstance(args[0], Static) and isinstance(args[0].obj, DictView))):
            return self.runtime_sum(args[0], node)  # (sum(d.values()) too)
        if obj in (builtins.list, builtins.tuple) and len(args) == 1 and isinstance(
                args[0], Value):  # a copy made at run time: a write into it leaves xs
            if obj is builtins.list and args[0] in self.sets:
                return self.in_order(args[0])
            if obj is builtins.tuple:
                return self.e.emit("tuple_of", args[0])[0]
            copy = self.e.emit("list", args[0])[0]
            self.mutable.add(copy)  # (it may grow: `ys.append(v)`)
            return copy
        if obj in (builtins.list, builtins.tuple) and len(args) == 1 and isinstance(
                args[0], Static) and isinstance(args[0].obj, (Reversed, Zip, Enumerate,
                                                              DictView, Range)):
            return self.runtime_items_of(obj, args[0], node)
        if obj in (builtins.list, builtins.tuple) and len(args) == 1 and isinstance(
                args[0], Static) and isinstance(args[0].obj, (list, tuple, str, dict, range)):
            # a constant (a global list, "abc", range(3)): its items, known now
            return obj(Static(item) for item in args[0].obj)
        if not all(isinstance(a, (tuple, list)) for a in args):
            raise self.error(node, f"cannot differentiate {obj.__name__}() of a value computed "
                             "at run time yet", hint="apply it to a tuple or list built in "
                             "this function")
        if obj is builtins.len:
            return Static(len(args[0]))
        if obj is builtins.sum:
            if not args[0]:
                return Static(0)
            acc = self.operand(args[0][0], node)
            for item in args[0][1:]:
                acc = self.e.add(acc, self.operand(item, node))
            return acc
        if obj is builtins.enumerate:
            return [(Static(i), item) for i, item in enumerate(args[0])]
        if obj is builtins.zip:
            return [tuple(items) for items in zip(*args)]
        if obj is builtins.reversed:
            return list(reversed(args[0]))
        return type(args[0])(args[0]) if obj in (builtins.tuple, builtins.list) else list(args[0])

    def collection(self, is_dict: bool, lists: list[Entry], node: ast.Call) -> Value:
        """The dict (or set) of a comprehension, made at run time from the lists its loop
        appended to: ``dict_from(keys, values)`` (``set_from(items)``)."""
        values = [self.runtime_list(x, node) if isinstance(x, list) else x for x in lists]
        out = self.e.emit("dict_from" if is_dict else "set_from", *values)[0]
        if not is_dict:
            self.sets.add(out)
        return out

    def in_order(self, c: Value) -> Value:
        """``c``, or the list of a set's items in the order Python iterates it."""
        return self.e.emit("set_items", c)[0] if c in self.sets else c

    def runtime_list(self, items: list, target: ast.AST) -> Value:
        """A list that grows in a loop: made at run time, with the items it starts with."""
        xs = self.e.emit("list_new", hint=getattr(target, "id", ""))[0]
        for item in items:
            self.e.emit("append", xs, self.operand(item, target), nouts=0)
        self.mutable.add(xs)
        return xs

    def runtime_tuple(self, items: tuple | list, node: ast.AST) -> Value:
        """A tuple or list built here, as a run-time tuple (to index it at run time)."""
        return self.e.emit("tuple", *(self.operand(item, node) for item in items))[0]

    def read_item(self, c: Value, index: Value) -> Value:
        """``c[index]``: impure for a list that grows, so reads are never merged across
        appends."""
        return self.e.emit("getitem_mut" if c in self.mutable else "getitem", c, index)[0]

    def length(self, c: Value) -> Value:
        return self.e.emit("len_mut" if c in self.mutable else "len", c)[0]

    def runtime_items_of(self, kind: type, iterable: Static, node: ast.Call) -> Value:
        """``list(it)`` (``tuple(it)``) of ``reversed``, ``zip``, ``enumerate``, a dict view
        or a range over values known only at run time: a list made by a loop that appends
        the items (a pair as a run-time tuple), as a comprehension would."""
        e = self.e
        if isinstance(iterable.obj, Range):
            out = e.emit("list", e.emit("range", *iterable.obj.bounds)[0])[0]
        else:
            found = self.iteration(node, iterable)
            if found is None:
                raise self.error(node, f"cannot differentiate {kind.__name__}() of this "
                                 "iterator yet", hint="build the list with a comprehension")
            count, item = found
            out = e.emit("list_new")[0]
            i = Value("i")
            body = Region([i])
            with e.into(body):
                value = item(i)
                if isinstance(value, tuple):
                    value = self.runtime_tuple(value, node)
                e.emit("append", out, self.operand(value, node), nouts=0)
            e.region.ops.append(Op("for_range", (e.const(0), count, e.const(1)), (),
                                   (("breaks", False),), (body,), e.loc))
        if kind is builtins.tuple:
            return e.emit("tuple_of", out)[0]
        self.mutable.add(out)
        return out

    def runtime_sum(self, c: Value | Static, node: ast.AST) -> Value:
        """``sum(c)`` of a run-time sequence or dict view: a loop adding its items."""
        e = self.e
        count, item = self.iteration(node, c)
        i, acc = Value("i"), Value("total")
        body = Region([i, acc])
        with e.into(body):
            body.results = [e.add(acc, item(i))]
        out = Value("total")
        e.region.ops.append(Op("for_range", (e.const(0), count, e.const(1), e.const(0)),
                               (out,), (("breaks", False),), (body,), e.loc))
        return out

    def apply(self, prim: str, obj: Any, args: list[Value], node: ast.AST) -> Value:
        """Emit a call of ``obj`` (lowering to ``prim``), normalising its variants."""
        e = self.e
        if obj is math.log and len(args) == 2:  # log(x, base) = log(x) / log(base)
            return e.truediv(e.log(args[0]), e.log(args[1]))
        if prim in ("max", "min") and len(args) >= 2:  # one op: its rule splits n-way ties
            return e.emit(prim, *args)[0]
        arity = get(prim).arity
        if len(args) != arity:
            raise self.error(node, f"{_callable_name(obj)} takes {arity} argument(s) here, "
                             f"got {len(args)}", hint="differentiable forms: " + _FORMS.get(
                                 prim, f"{_callable_name(obj)}(x)"))
        return e.emit(prim, *args)[0]

    def inline(self, fn: Any, args: list[Entry], kwargs: dict[str, Entry],
               node: ast.Call) -> Entry:
        """Lower a call to the user's own function into the current body."""
        generated = getattr(fn, "__s2s__", None)
        if generated is not None:
            return self.inline_ir(generated.ir, fn, args, kwargs, node)
        passed = _functions_passed(args, kwargs)
        frames = [k for f, k in zip(self.inlining, self.passed) if f is fn]
        # a helper called again inside itself: recursion, unless it was given other functions
        # (`call_with(fn2, y)`, where fn2 calls `call_with(fn1, a)`), a few levels deep
        if frames and (not passed or passed in frames or len(frames) >= _REENTRIES):
            raise self.error(node, f"cannot differentiate the recursive call to "
                             f"{fn.__name__!r}", hint="write the recursion as a loop")
        arguments = self.bind_call(fn, args, kwargs, node)
        source, exits = _prepared(fn)
        inner = _Lowerer(fn, source, self.e, (*self.inlining, fn), exits)
        inner.passed = (*self.passed, passed)
        inner.updates = self.updates
        inner.mutable = self.mutable  # (a list that grows here is read as one in helpers too)
        inner.sets = self.sets
        inner.borrowed = closures.borrowed_ids(arguments.values())
        inner.outer_loops = self.outer_loops + self.runtime_loops
        inner.classes, inner.checked = self.classes, self.checked
        with stack_room(source.node, source.children):
            return inner.lower_body({name: _as_entry(v) for name, v in arguments.items()})

    def bind_call(self, fn: Any, args: list[Entry], kwargs: dict[str, Entry],
                  node: ast.Call) -> dict[str, Any]:
        """Parameter name -> argument entry (defaults filled in), as Python would bind them."""
        try:  # (a generated function's __wrapped__ is the function it differentiates)
            signature = inspect.signature(fn, follow_wrapped=not hasattr(fn, "__s2s__"))
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(node, f"bad call to {fn.__name__!r}: {exc}",
                             kind=DifferentiationError) from None
        bound.apply_defaults()
        return bound.arguments

    def inline_ir(self, ir: Function, fn: Any, args: list[Entry], kwargs: dict[str, Entry],
                  node: ast.Call) -> Entry:
        """Splice an already generated function's IR into the body (values renamed)."""
        arguments = self.bind_call(fn, args, kwargs, node)
        mapping = {}
        for p, kind in zip(ir.params, ir.kinds):
            entry = _as_entry(arguments[p.hint])
            if kind is inspect.Parameter.VAR_POSITIONAL:  # its *args: a tuple at run time
                entry = self.runtime_tuple(entry, node)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                raise self.error(node, f"cannot call {fn.__name__}, which takes **{p.hint}, "
                                 "inside a function being differentiated",
                                 hint="differentiate a function that names its keyword "
                                      "parameters")
            mapping[p] = self.operand(entry, node)
        self.e.region.ops.extend(clone_ops(ir.body.ops, mapping))
        leaves = [mapping.get(v, v) for v in ir.body.results]
        return _unflatten(ir.out_tree, leaves)

    # --- results -----------------------------------------------------------------------------
    def flatten(self, entry: Entry, leaves: list[Value], node: ast.AST) -> Any:
        """Leaves of a returned entry, and the tree that rebuilds it."""
        if isinstance(entry, (tuple, list)):
            return type(entry)(self.flatten(item, leaves, node) for item in entry)
        if isinstance(entry, dict):  # a dict built here: its keys are known
            return {key: self.flatten(item, leaves, node) for key, item in entry.items()}
        if isinstance(entry, records.Record):  # built by its class where the code returns
            return RecordTree(entry.cls, {name: self.flatten(item, leaves, node)
                                          for name, item in entry.fields.items()})
        leaves.append(self.operand(entry, node))
        return len(leaves) - 1


@contextmanager
def stack_room(node: ast.AST, known: dict[int, list[ast.AST]] | None = None,
               ) -> Iterator[None]:
    """Lowering recurses into expressions, a few frames a level: room on the stack for
    ``node``'s deepest (a 190-deep nesting, ``x1 + x2 + ... + x5000``), beyond the frames
    already there. (Python calls between Python functions take no C stack since 3.11.)
    ``known``: the children of nodes, where they are known (``Source.children``)."""
    known = known or {}
    deepest, level = 0, [node]
    while level:  # one level of the tree at a time
        deepest += 1
        below: list[ast.AST] = []
        for current in level:
            if current.__class__ in NO_CHILDREN:
                continue
            children = known.get(id(current))
            below += child_nodes(current) if children is None else children
        level = below
    frames, frame = 0, sys._getframe()
    while frame is not None:
        frames, frame = frames + 1, frame.f_back
    limit = sys.getrecursionlimit()
    needed = frames + _FRAMES_PER_LEVEL * deepest + 200
    if needed > limit:
        sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        if needed > limit:
            sys.setrecursionlimit(limit)


_FRAMES_PER_LEVEL = 4  # expr, expression, and a call or binop, per level of the AST


def _prepared(fn: types.FunctionType) -> tuple[Source, frozenset[str]]:
    """``fn``'s parsed source with comprehensions and early exits from loops rewritten, and
    checked against the subset; the names of what it returns from inside loops."""
    source = parse_function(fn)
    exits: frozenset[str] = frozenset()
    # (each looks for its nodes in the whole tree; none is there without its keyword)
    text = "".join(source.lines)
    if "for" in text or "while" in text:
        desugar(source, fn.__name__)  # comprehensions: the loops they stand for
        exits = rewrite_exits(source.node)  # `return` in a loop: a flag and a `break`
    fence(source)
    return source, exits


def _starred(target: ast.Tuple | ast.List) -> int | None:
    """Where the starred name is in ``a, *rest, z`` (Python allows one), or None."""
    return next((k for k, t in enumerate(target.elts) if isinstance(t, ast.Starred)), None)


def _as_entry(v: Any) -> Entry:
    """A bound argument as an entry: a default value (``b=0.5``) is a constant."""
    return v if isinstance(v, (Value, tuple, list, dict, Static, records.Record)) else Static(v)


def _rebound(entry: Entry, old: Entry, new: Entry, memo: dict[int, Entry]) -> Entry:
    """``entry`` with ``old`` replaced by ``new`` inside tuples, lists and dicts built here
    (new ones: the entries bound before a branch or a loop keep theirs; one per old one, so
    names that shared a list share the new one)."""
    if entry is old:
        return new
    if not isinstance(entry, (list, tuple, dict)):
        return entry
    if id(entry) in memo:
        return memo[id(entry)]
    if isinstance(entry, dict):
        changed: Entry = {k: _rebound(v, old, new, memo) for k, v in entry.items()}
        same = all(changed[k] is v for k, v in entry.items())  # type: ignore[index]
    else:
        items = [_rebound(v, old, new, memo) for v in entry]
        same = all(a is b for a, b in zip(items, entry))
        changed = type(entry)(items)
    memo[id(entry)] = result = entry if same else changed
    return result


def _defining_class(fn: types.FunctionType) -> type | None:
    """The class whose body defines ``fn`` (``Model.loss``), found by its qualified name in
    its module; None for a function defined elsewhere (inside a function too)."""
    owner, _, name = fn.__qualname__.rpartition(".")
    if not owner or "." in owner or "<" in owner:
        return None
    cls = fn.__globals__.get(owner)
    if isinstance(cls, type) and cls.__dict__.get(name) is fn:
        return cls
    return None


def _annotated_numbers(fn: types.FunctionType) -> frozenset[str]:
    """Parameters annotated ``float`` or ``int``: numbers, so their code needs no check."""
    return frozenset(name for name, kind in getattr(fn, "__annotations__", {}).items()
                     if name != "return" and kind in (float, int, "float", "int"))


def _unflatten(tree: Any, leaves: list[Value]) -> Entry:
    if isinstance(tree, int):
        return leaves[tree]
    if isinstance(tree, RecordTree):
        return records.Record(tree.cls, {k: _unflatten(v, leaves) for k, v in tree.items()})
    if isinstance(tree, dict):
        return {k: _unflatten(v, leaves) for k, v in tree.items()}  # type: ignore[return-value]
    return type(tree)(_unflatten(t, leaves) for t in tree)


def _assigned_and_growing(fn: ast.FunctionDef | ast.Lambda,
                          known: dict[int, list[ast.AST]]) -> tuple[set[str], set[str]]:
    """The names assigned anywhere in the function (Python's rule: they are local to it),
    and the names ``xs`` with ``xs.append(...)``/``xs.extend(...)`` inside a loop: one walk
    of the tree, each node with whether a loop is around it. ``known``: the children of
    nodes, where they are known (``Source.children``)."""
    a = fn.args
    assigned = {arg.arg for arg in a.posonlyargs + a.args + a.kwonlyargs}
    assigned |= {arg.arg for arg in (a.vararg, a.kwarg) if arg is not None}
    growing: set[str] = set()
    if isinstance(fn, ast.Lambda):
        return assigned, growing
    # the nodes outside any loop, and inside one (the order of the walk does not matter)
    outside: list[ast.AST] = list(fn.body)
    inside: list[ast.AST] = []
    while outside or inside:
        in_loop = not outside
        node = inside.pop() if in_loop else outside.pop()
        if isinstance(node, ast.Name):  # (no children but its ctx)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                assigned.add(node.id)
            continue
        if node.__class__ in NO_CHILDREN:
            continue
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):  # (their names are their own)
            if isinstance(node, ast.FunctionDef):
                assigned.update(closures.stored_names([node]))
            continue
        if (in_loop and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("append", "extend")
                and isinstance(node.func.value, ast.Name)):
            growing.add(node.func.value.id)
        children = known.get(id(node))
        if children is None:
            children = child_nodes(node)
        if in_loop or isinstance(node, (ast.For, ast.While)):
            inside += children
        else:
            outside += children
    return assigned, growing


def _module_root(obj: Any) -> str:
    return (getattr(obj, "__module__", None) or "").partition(".")[0]


def _callable_name(obj: Any, fallback: str = "") -> str:
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or fallback
    if module in (None, "builtins"):
        return f"`{name}`"
    return f"`{module}.{name}`"


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


# np.empty's entries are whatever memory held: code that writes each before reading it
# (the only code whose result is defined) runs the same on zeros, which the code uses
_FILLED = {np.empty: np.zeros, np.empty_like: np.zeros_like}
# s2s_ad's transforms: a call of one in a function being differentiated is built then
_TRANSFORMS = frozenset({"grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp",
                         "elementwise_grad"})
_STATIC_BUILTINS = {builtins.range, builtins.len, builtins.enumerate, builtins.zip,
                    builtins.reversed, builtins.sum, builtins.tuple, builtins.list}
_FORMS = {"pow": "pow(x, y)", "hypot": "math.hypot(x, y)", "max": "max(x, y, ...)",
          "min": "min(x, y, ...)", "log": "math.log(x) or math.log(x, base)"}
