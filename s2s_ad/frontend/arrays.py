"""Lowering NumPy: calls with keyword arguments, array methods and attributes, indexing.

``np.sum(x, axis=0)`` becomes ``np.sum`` with ``x`` as its operand and ``axis=0`` as an
attribute (known when the derivative is built). ``x.sum(axis=0)`` is the same call, and
``x.T``/``x.shape`` are ops of their own. ``np.array([a, b])`` of values computed here is
``np.stack``; NumPy constructors of constants run once, when the derivative is built.
"""

from __future__ import annotations

import ast
import functools
import inspect
from typing import Any, cast

import numpy as np

from ..ir.core import Value
from ..primitives import get
from ..primitives.registry import attribute_index, method_index

# results that are a pair, read by item (np.linalg.slogdet(a)[1], `sign, logdet = ...`)
_PAIRS = frozenset({"np.linalg.slogdet"})
# run when the derivative is built if every argument is a constant (never np.random)
_CONSTANT_CONSTRUCTORS = {np.array, np.asarray, np.zeros, np.ones, np.full, np.eye,
                          np.identity, np.arange, np.linspace, np.logspace, np.geomspace, np.tri}


class Arrays:
    """Mixin of ``_Lowerer`` (frontend/lower.py) for NumPy."""

    def numpy_call(self, prim: str, obj: Any, args: list, kwargs: dict,
                   node: ast.Call) -> Value:
        """``np.<fn>(*args, **kwargs)`` as the op ``prim``."""
        label = f"np.{prim[3:]}" if prim.startswith("np.") else prim
        if get(prim).constructor is not None:
            return self.constructor(prim, label, obj, args, kwargs, node)
        if prim == "np.einsum":
            if not args or not self.is_static(args[0]) or not isinstance(args[0].obj, str):
                raise self.error(node, "np.einsum needs its subscripts as a string constant")
            self.static_attrs(label, kwargs, (), node)
            return self.e.emit(prim, *(self.array_operand(a, node) for a in args[1:]),
                               subscripts=args[0].obj)[0]
        n, allowed = get(prim).binds or (len(args), ())
        try:
            bound = inspect.signature(obj).bind(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise self.error(node, f"bad call to {label}: {exc}") from None
        names = list(bound.arguments)
        operands, given = names[:n], dict(list(bound.arguments.items())[n:])
        if names and bound.signature.parameters[names[0]].kind is inspect.Parameter.VAR_POSITIONAL:
            arrays = bound.arguments[names[0]]  # np.atleast_1d(*arys): one array here
            if len(arrays) != 1:
                raise self.error(node, f"{label} takes one array here",
                                 hint=f"call {label} once per array")
            bound.arguments[names[0]] = arrays[0]
        if prim in ("np.concatenate", "np.stack", "np.hstack", "np.vstack"):
            pieces = bound.arguments[operands[0]]
            if isinstance(pieces, Value):
                attrs = self.static_attrs(label, given, allowed, node)  # a run-time list
                return self.e.emit(prim + "_items", pieces, **attrs)[0]
            if not isinstance(pieces, (tuple, list)):
                raise self.error(node, f"{label} needs a tuple or list of arrays written "
                                 "here", hint=f"write {label}((a, b, ...))")
            values = [self.array_operand(p, node) for p in pieces]
        else:
            values = [self.array_operand(bound.arguments[name], node) for name in operands]
        if prim == "np.clip":
            return self.clip(values, node)
        attrs = self.static_attrs(label, given, allowed, node)
        repeats = attrs.get("repeats")
        if prim == "np.repeat" and (isinstance(repeats, bool)
                                    or not isinstance(repeats, (int, np.integer))):
            raise self.error(node, "np.repeat takes one int repeats here (the same count for "
                             "every entry)", hint="repeat each entry separately and join the "
                             "pieces with np.concatenate")
        if prim == "np.linalg.norm" and attrs.pop("ord", None) not in (None, "fro"):
            raise self.error(node, "only the default (2-norm / Frobenius) np.linalg.norm is "
                             "differentiable here", hint="write the norm out: "
                             "np.sum(np.abs(x) ** p) ** (1 / p)")
        out = self.e.emit(prim, *values, **attrs)[0]
        if prim in _PAIRS:  # (sign, logabsdet): its items, to unpack or index
            return tuple(self.e.getitem(out, k) for k in range(2))
        return out

    def constructor(self, prim: str, label: str, obj: Any, args: list, kwargs: dict,
                    node: ast.Call) -> Value:
        """``np.linspace(0.0, T, num=5, endpoint=False)``: operands as its entry's
        ``constructor`` lists them (by position or by name), the rest attributes known when
        building."""
        names, allowed = cast(tuple, get(prim).constructor)
        try:
            signature = inspect.signature(obj)
            given = dict(signature.bind(*args, **kwargs).arguments)
        except (TypeError, ValueError) as exc:
            raise self.error(node, f"bad call to {label}: {exc}") from None
        last = max((k for k, name in enumerate(names) if name in given), default=-1)
        operands = [self.array_operand(given.pop(name), node) if name in given
                    else self.e.const(signature.parameters[name].default)
                    for name in names[:last + 1]]
        attrs = self.static_attrs(label, given, allowed, node)
        return self.e.emit(prim, *operands, **attrs)[0]

    def clip(self, values: list[Value], node: ast.AST) -> Value:
        """``np.clip`` with a ``None`` bound is ``np.maximum``/``np.minimum``."""
        x, lo, hi = values
        lo_none, hi_none = (self.is_none(v) for v in (lo, hi))
        if lo_none and hi_none:
            raise self.error(node, "np.clip needs at least one bound")
        if hi_none:
            return self.e.emit("np.maximum", x, lo)[0]
        if lo_none:
            return self.e.emit("np.minimum", x, hi)[0]
        return self.e.emit("np.clip", x, lo, hi)[0]

    def is_none(self, v: Value) -> bool:
        for op in reversed(self.e.region.ops):
            if v in op.outs:
                return op.prim == "const" and op.attr("value") is None
        return False

    def static_attrs(self, label: str, given: dict, allowed: tuple[str, ...],
                     node: ast.AST) -> dict[str, Any]:
        attrs = {}
        for name, entry in given.items():
            if name not in allowed:
                raise self.error(node, f"cannot pass {name}= to {label} here",
                                 hint="supported: " + (", ".join(f"{a}=" for a in allowed)
                                                       or "no optional arguments"))
            value = self.constant_of(entry)
            if value is _UNKNOWN:
                raise self.error(node, f"{label}'s {name}= must be known when the derivative "
                                 "is built (a constant, not a value computed at run time)")
            attrs[name] = value
        return attrs

    def constant_of(self, entry: Any) -> Any:
        """The Python value of a constant entry (tuples of constants too), or ``_UNKNOWN``."""
        if self.is_static(entry):
            return entry.obj
        if isinstance(entry, (tuple, list)):
            items = [self.constant_of(item) for item in entry]
            return _UNKNOWN if _UNKNOWN in items else tuple(items)
        return _UNKNOWN

    def array_operand(self, entry: Any, node: ast.AST) -> Value:
        """An argument of a NumPy function: tuples and lists become arrays or tuples."""
        if isinstance(entry, (tuple, list)):
            value = self.constant_of(entry)
            if value is not _UNKNOWN:
                return self.e.const(value)
            return self.e.emit("tuple", *(self.array_operand(item, node) for item in entry))[0]
        return self.operand(entry, node)

    def constant_array(self, obj: Any, args: list, kwargs: dict) -> Any:
        """Run a NumPy constructor of constants now; ``_UNKNOWN`` if it has run-time
        arguments."""
        if obj not in _CONSTANT_CONSTRUCTORS:
            return _UNKNOWN
        values = [self.constant_of(a) for a in args]
        options = {k: self.constant_of(v) for k, v in kwargs.items()}
        if _UNKNOWN in values or _UNKNOWN in options.values():
            return _UNKNOWN
        return obj(*values, **options)

    def array_from_items(self, entry: Any, node: ast.AST) -> Value:
        """``np.array([a, b])`` of values computed here: nested ``np.stack``."""
        if isinstance(entry, (tuple, list)):
            return self.e.emit("np.stack", *(self.array_from_items(x, node) for x in entry))[0]
        return self.operand(entry, node)

    def array_method(self, node: ast.Call, base: Value, name: str, args: list,
                     kwargs: dict) -> Value | None:
        """``x.sum(axis=0)``, ``x.reshape(2, 3)``...: the NumPy function of ``x``."""
        prim = _methods().get(name)
        if prim is None:
            return None
        if name in ("reshape", "transpose") and len(args) > 1:
            args = [tuple(args)]  # x.reshape(2, 3) is np.reshape(x, (2, 3))
        if name == "clip" and len(args) <= 2 and set(kwargs) <= {"min", "max"}:
            # x.clip(lo), x.clip(max=hi): a bound left out is None (np.clip needs both)
            bounds = dict(zip(("min", "max"), args)) | kwargs
            args, kwargs = [bounds.get(b, self.e.const(None)) for b in ("min", "max")], {}
        from ..primitives import PRIMITIVES

        obj = PRIMITIVES[prim].callables[0]
        return self.numpy_call(prim, obj, [base, *args], kwargs, node)

    def array_attribute(self, node: ast.Attribute, base: Value) -> Value:
        prim = _attributes().get(node.attr)
        if prim is None:
            raise self.error(node, f"cannot differentiate attribute access .{node.attr} on a "
                             "value computed at run time",
                             hint="supported: " + ", ".join("." + a for a in _attributes()))
        return self.e.emit(prim, base)[0]

    def index_value(self, node: ast.expr, env: dict) -> Value:
        """The index in ``x[...]``: slices, ``None``, ``...``, tuples of them, or values."""
        if isinstance(node, ast.Slice):
            parts = [self.operand(self.expr(p, env), node) if p is not None
                     else self.e.const(None) for p in (node.lower, node.upper, node.step)]
            return self.e.emit("slice", *parts)[0]
        if isinstance(node, ast.Tuple):
            return self.e.emit("tuple", *(self.index_value(p, env) for p in node.elts))[0]
        entry = self.expr(node, env)
        if isinstance(entry, list):  # x[[0, 2]] picks entries: an integer array
            value = self.constant_of(entry)
            if value is _UNKNOWN:
                return self.e.emit("np.array", self.array_operand(entry, node))[0]
            return self.e.const(np.array(value), "index")
        if isinstance(entry, tuple):
            return self.array_operand(entry, node)
        return self.operand(entry, node)

    def static_index(self, node: ast.expr, env: dict) -> Any:
        """The index in ``c[...]`` as a Python object, if known when building (slices
        too), else ``_UNKNOWN``."""
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self.constant_of(self.expr(p, env))
                     for p in (node.lower, node.upper, node.step)]
            return _UNKNOWN if _UNKNOWN in parts else slice(*parts)
        if isinstance(node, ast.Tuple):
            parts = [self.static_index(p, env) for p in node.elts]
            return _UNKNOWN if _UNKNOWN in parts else tuple(parts)
        return self.constant_of(self.expr(node, env))


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


_UNKNOWN = _Unknown()


@functools.cache
def _methods() -> dict[str, str]:
    return method_index()  # (the registry is filled once, on import)


@functools.cache
def _attributes() -> dict[str, str]:
    return attribute_index()
