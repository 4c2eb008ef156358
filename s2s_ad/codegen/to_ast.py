"""IR -> Python ``ast``.

Single-use pure values are written inline into their one use (in the same region), up to
a size cap, so the code reads like a person's: ``dx1 = 1.0 / x1 + x2``. Names are chosen
after the whole body is built: parameters keep theirs, the globals the code needs
(``math``, ``np``, constants) come next, then locals from the values' hints.
"""

from __future__ import annotations

import ast
import inspect
import math
import types
from dataclasses import dataclass, field
from typing import Any

from ..ir.core import Function, Op, Region, Value, const_value
from ..ir.names import Namer
from ..optimize.rewrite import use_counts
from ..primitives import get
from ..primitives.registry import Call, Compare, Identity, Infix, Prefix, Select

INLINE_LIMIT = 8  # ops in one inlined expression, at most
_LITERALS = (bool, int, float, complex, str, bytes, type(None))
_MODULE_ALIASES = {"numpy": "np", "math": "math"}


@dataclass(slots=True)
class Module:
    """The generated ``def`` and the globals it reads (name -> object)."""

    tree: ast.Module
    name: str
    globals: dict[str, Any] = field(default_factory=dict)


def to_ast(fn: Function, name: str) -> Module:
    return _Codegen(fn).module(name)


class _Codegen:
    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.uses = use_counts(fn)
        self.use_region = _use_regions(fn)
        self.returned = set(fn.body.results)  # returned values keep a name: `return dx, dy`
        self.literals: dict[Value, Any] = {}
        self.objects: dict[Value, tuple[Any, str]] = {}  # non-literal constants
        self.inline: dict[Value, tuple[ast.expr, int]] = {}
        self.names: list[tuple[ast.Name | ast.arg, tuple]] = []
        self.global_objs: dict[int, tuple[Any, str]] = {}

    # --- names, resolved at the end --------------------------------------------------------
    def local(self, v: Value) -> ast.Name:
        node = ast.Name(id="", ctx=ast.Load())
        self.names.append((node, ("v", v)))
        return node

    def global_ref(self, obj: Any, preferred: str) -> ast.Name:
        node = ast.Name(id="", ctx=ast.Load())
        self.global_objs.setdefault(id(obj), (obj, preferred))
        self.names.append((node, ("g", id(obj))))
        return node

    def ref(self, v: Value) -> ast.expr:
        """An expression that reads ``v`` at a use."""
        if v in self.literals:
            return _literal(self.literals[v], self)
        if v in self.objects:
            obj, hint = self.objects[v]
            return self.global_ref(obj, hint)
        if v in self.inline:
            return self.inline.pop(v)[0]
        return self.local(v)

    # --- the body ------------------------------------------------------------------------
    def module(self, name: str) -> Module:
        fn = self.fn
        body = self.region(fn.body, top=True)
        leaves = [self.ref(v) for v in fn.body.results]
        body.append(ast.Return(value=_tree(fn.out_tree, leaves)))
        args = self.arguments()
        fdef = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                               type_comment=None)
        module = Module(ast.Module(body=[fdef], type_ignores=[]), name)
        fdef.name = self.assign_names(module, name)
        module.name = fdef.name
        return module

    def region(self, region: Region, top: bool = False) -> list[ast.stmt]:
        stmts: list[ast.stmt] = []
        for op in region.ops:
            if op.prim == "const":
                self.constant(op)
                continue
            if op.regions:
                raise NotImplementedError(f"codegen of {op.prim!r} regions")  # control flow
            size = 1 + sum(self.inline[a][1] for a in op.args if a in self.inline)
            expr = self.expression(op)
            if self.inlinable(op, region) and size <= INLINE_LIMIT:
                self.inline[op.out] = (expr, size)
                continue
            targets: list[ast.expr] = [self.store(v) for v in op.outs]
            target = targets[0] if len(targets) == 1 else ast.Tuple(elts=targets,
                                                                   ctx=ast.Store())
            stmts.append(ast.Assign(targets=[target], value=expr, type_comment=None))
        return stmts

    def constant(self, op: Op) -> None:
        value = const_value(op)
        if isinstance(value, _LITERALS) and not (isinstance(value, float)
                                                  and not math.isfinite(value)):
            self.literals[op.out] = value
        else:
            self.objects[op.out] = (value, op.out.hint or _object_hint(value))

    def inlinable(self, op: Op, region: Region) -> bool:
        return (len(op.outs) == 1 and self.uses.get(op.out, 0) == 1 and get(op.prim).pure
                and self.use_region.get(op.out) is region and op.out not in self.returned)

    def store(self, v: Value) -> ast.Name:
        node = ast.Name(id="", ctx=ast.Store())
        self.names.append((node, ("v", v)))
        return node

    def expression(self, op: Op) -> ast.expr:
        spec = get(op.prim).emission
        args = [self.ref(a) for a in op.args]
        if isinstance(spec, Infix):
            return ast.BinOp(left=args[0], op=spec.op(), right=args[1])
        if isinstance(spec, Prefix):
            return ast.UnaryOp(op=spec.op(), operand=args[0])
        if isinstance(spec, Compare):
            return ast.Compare(left=args[0], ops=[spec.op()], comparators=[args[1]])
        if isinstance(spec, Call):
            if spec.module is not None:
                alias = _MODULE_ALIASES.get(spec.module.__name__, spec.module.__name__)
                func: ast.expr = ast.Attribute(value=self.global_ref(spec.module, alias),
                                               attr=spec.attr, ctx=ast.Load())
            else:
                func = self.global_ref(spec.obj, spec.attr)
            keywords = [ast.keyword(arg=k, value=_literal(v, self)) for k, v in op.attrs]
            return ast.Call(func=func, args=args, keywords=keywords)
        if isinstance(spec, Select):
            return ast.IfExp(test=args[0], body=args[1], orelse=args[2])
        if isinstance(spec, Identity):
            return args[0]
        raise AssertionError(f"primitive {op.prim!r} has no emission\n{self.fn}")

    def arguments(self) -> ast.arguments:
        fn = self.fn
        posonly, positional, kwonly, kw_defaults = [], [], [], []
        for p, kind in zip(fn.params, fn.kinds):
            arg = ast.arg(arg=p.hint, annotation=None, type_comment=None)
            if kind is inspect.Parameter.POSITIONAL_ONLY:
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
        return ast.arguments(posonlyargs=posonly, args=positional, vararg=None,
                             kwonlyargs=kwonly, kw_defaults=kw_defaults, kwarg=None,
                             defaults=defaults)

    def default(self, param: str, value: Any) -> ast.expr:
        if isinstance(value, _LITERALS):
            return _literal(value, self)
        return self.global_ref(value, f"{param}_default")

    def assign_names(self, module: Module, fname: str) -> str:
        namer = Namer()
        for p in self.fn.params:
            namer.reserve(p.hint)
        fname = namer.fresh(fname)
        chosen: dict[tuple, str] = {}
        for key, (obj, preferred) in self.global_objs.items():
            name = namer.fresh(preferred)
            chosen[("g", key)] = name
            module.globals[name] = obj
        for node, key in self.names:
            if key not in chosen:
                v = key[1]
                chosen[key] = v.hint if v in self.fn.params else namer.fresh(v.hint)
            node.id = chosen[key]
        return fname


def _literal(value: Any, gen: _Codegen) -> ast.expr:
    if isinstance(value, float) and not math.isfinite(value):
        return gen.global_ref(value, "inf" if value > 0 else "nan" if value != value
                              else "neg_inf")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            value < 0 or (value == 0 and math.copysign(1.0, value) < 0)):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))
    return ast.Constant(value)


def _tree(tree: Any, leaves: list[ast.expr]) -> ast.expr:
    if isinstance(tree, int):
        return leaves[tree]
    if isinstance(tree, dict):
        return ast.Dict(keys=[ast.Constant(k) for k in tree],
                        values=[_tree(t, leaves) for t in tree.values()])
    elts = [_tree(t, leaves) for t in tree]
    if isinstance(tree, list):
        return ast.List(elts=elts, ctx=ast.Load())
    return ast.Tuple(elts=elts, ctx=ast.Load())


def _use_regions(fn: Function) -> dict[Value, Region]:
    """For each value, the region of (one of) its uses."""
    where: dict[Value, Region] = {}
    stack = [fn.body]
    while stack:
        region = stack.pop()
        for op in region.ops:
            for a in op.args:
                where[a] = region
            for inner in op.regions:
                for v in inner.results:
                    where[v] = inner
                stack.append(inner)
    for v in fn.body.results:
        where[v] = fn.body
    return where


def _object_hint(value: Any) -> str:
    if isinstance(value, types.ModuleType):
        return _MODULE_ALIASES.get(value.__name__, value.__name__.rpartition(".")[2])
    return getattr(value, "__name__", "") or "_c"
