"""Nested functions, lambdas, ``functools.partial`` and the builtins that take functions.

A ``def`` or ``lambda`` inside the function being differentiated (or inside a helper it
inlines) binds its name to a ``Closure``, an object of the transform: the node, the frame
(lowerer) whose body holds it, its default values (evaluated where it is defined, as Python
does), and that frame's environment at that point. Calling it lowers its body inline, in a
frame of its own: its parameters are bound as Python binds them, the names it assigns are
its own, and the others resolve as Python resolves them, innermost scope first:

- a name the defining frame binds is read *as it is at the call* (Python closures are
  late-binding): while the defining frame is still being lowered -- the closure is called
  in it, or by a helper or ``map`` it calls -- from its environment at that call;
- once the defining frame has returned (a helper that returned a closure), from its
  environment where the ``def`` ran, when the frame binds that name once only; a name it
  binds again (or first binds after the ``def``) is a located error, since which binding
  the closure would see is then not known here.

So a closure called after a loop rebinds the variable it reads sees the last binding, as in
Python. Recursion of a nested function, ``nonlocal`` (fence.py) and decorators are refused
with a located error, and a nested function cannot be chosen at run time, kept in a loop's
variables or returned from the differentiated function (it is not a number).

``functools.partial(h, a, b=...)`` of a function, a lambda, a nested function or another
partial is a ``Partial``; ``map(f, xs)`` over tuples or lists built here is the list of the
calls; ``sorted``/``min``/``max`` with ``key=`` order items whose keys are known when the
derivative is built (never by values computed at run time).
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
import inspect
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..errors import DifferentiationError
from .arrays import _UNKNOWN
from .source import child_nodes

_P = inspect.Parameter


@dataclass(frozen=True, eq=False, slots=True)
class Closure:
    """A nested ``def`` or ``lambda``, as the transform sees it."""

    node: ast.FunctionDef | ast.Lambda
    definer: Any  # the _Lowerer whose body holds the definition
    snapshot: dict  # the definer's environment where the definition ran
    signature: inspect.Signature  # parameters, with default entries

    @property
    def name(self) -> str:
        return "<lambda>" if isinstance(self.node, ast.Lambda) else self.node.name


@dataclass(frozen=True, eq=False, slots=True)
class Partial:
    """``functools.partial(func, *args, **keywords)`` built in the function."""

    func: Any  # a static entry: the function
    args: tuple
    keywords: tuple[tuple[str, Any], ...]


TRANSFORM_TIME = (Closure, Partial)  # objects of the transform: not values of the program


# --- definitions --------------------------------------------------------------------------
def define(lowerer: Any, node: ast.FunctionDef | ast.Lambda, env: dict) -> Any:
    """The static entry a ``def`` or ``lambda`` evaluates to in ``lowerer``'s frame."""
    a = node.args
    if isinstance(node, ast.FunctionDef) and node.decorator_list:
        raise lowerer.error(node.decorator_list[0], f"cannot differentiate a decorated nested "
                            f"function {node.name!r}", hint="define the decorated function at "
                            "module level, or call the decorator's result yourself")
    defaults = [lowerer.expr(d, env) for d in a.defaults]  # (evaluated here, as Python does)
    positional = a.posonlyargs + a.args
    first_default = len(positional) - len(defaults)
    params = [_P(arg.arg, _P.POSITIONAL_ONLY if k < len(a.posonlyargs)
                 else _P.POSITIONAL_OR_KEYWORD,
                 default=defaults[k - first_default] if k >= first_default else _P.empty)
              for k, arg in enumerate(positional)]
    if a.vararg is not None:  # `*rest`: a tuple of the extra arguments, as for a helper
        params.append(_P(a.vararg.arg, _P.VAR_POSITIONAL))
    params += [_P(arg.arg, _P.KEYWORD_ONLY,
                  default=_P.empty if d is None else lowerer.expr(d, env))
               for arg, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg is not None:  # `**options`: a dict of the extra keyword arguments
        params.append(_P(a.kwarg.arg, _P.VAR_KEYWORD))
    closure = Closure(node, lowerer, dict(env), inspect.Signature(params))
    return dataclasses.replace(lowerer.static(closure), name=closure.name)


def call(lowerer: Any, closure: Closure, args: list, kwargs: dict, node: ast.AST) -> Any:
    """Lower a call of ``closure`` into the current body: what it returns."""
    if closure in lowerer.inlining:
        raise lowerer.error(node, f"cannot differentiate the recursive call to the nested "
                            f"function {closure.name!r}", hint="write the recursion as a loop")
    try:
        bound = closure.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise lowerer.error(node, f"bad call to {closure.name!r}: {exc}",
                            hint=f"call it as it is defined: {closure.name}"
                                 f"{closure.signature}", kind=DifferentiationError) from None
    bound.apply_defaults()
    definer = closure.definer
    source = dataclasses.replace(definer.source, node=closure.node)
    frame = type(definer)(definer.fn, source, lowerer.e, (*lowerer.inlining, closure))
    frame.enclosing = closure
    frame.exits = definer.exits  # (exits.py rewrote the nested function's loops too)
    frame.label = f"{definer.label}.<locals>.{closure.name}"
    frame.updates = lowerer.updates
    frame.mutable = lowerer.mutable  # (one set for the whole function: lists that grow)
    frame.sets = lowerer.sets
    frame.classes, frame.checked = lowerer.classes, lowerer.checked  # (objects: methods.py)
    frame.borrowed = borrowed_ids(bound.arguments.values())
    frame.outer_loops = lowerer.outer_loops + lowerer.runtime_loops
    return frame.lower_body(dict(bound.arguments))


def free_name(frame: Any, node: ast.Name) -> Any:
    """The entry of ``node``'s name in the scopes around ``frame`` (a closure's frame), or
    None when no enclosing function binds it (a global, a builtin)."""
    name = node.id
    closure = frame.enclosing
    while closure is not None:
        definer = closure.definer
        if name in definer.locals:
            return _read(frame, closure, definer, node)
        closure = definer.enclosing
    return None


def _read(frame: Any, closure: Closure, definer: Any, node: ast.Name) -> Any:
    name = node.id
    if definer.active_env is not None:  # the definer is being lowered: its binding now
        if name not in definer.active_env:
            raise frame.error(node, f"free variable {name!r} is used before {definer.label!r} "
                              "assigns it", hint=f"assign {name!r} before calling "
                              f"{closure.name!r}", kind=DifferentiationError)
        return definer.active_env[name]
    if _bindings(definer.source.node)[name] != 1 or name not in closure.snapshot:
        raise frame.error(node, f"{closure.name!r} reads {name!r}, which {definer.label!r} "
                          "binds again (or first) after defining it, and is called after "
                          f"{definer.label!r} has returned", hint=f"pass {name!r} to "
                          f"{closure.name!r} as a parameter, or assign it once, before the "
                          "definition", kind=DifferentiationError)
    return closure.snapshot[name]


def check_owner(frame: Any, node: ast.Call) -> None:
    """``xs.append(v)`` in a nested function, of a list of an enclosing function: refused
    (the call may run in a loop of the enclosing function, where the list grows at run
    time)."""
    base = node.func.value  # type: ignore[attr-defined]
    if frame.enclosing is not None and isinstance(base, ast.Name) and (
            base.id not in frame.locals):
        raise frame.error(node, f"cannot differentiate {node.func.attr}() of "  # type: ignore
                          f"{base.id!r}, a list of the enclosing function, in a nested "
                          "function", hint="return the new items and append them in the "
                                           "function that owns the list")


def _bindings(fn: ast.FunctionDef | ast.Lambda) -> Counter:
    """How many places bind each name in ``fn`` (parameters, assignments, loop targets,
    nested ``def``), not counting its nested functions' own names; a place in a loop counts
    twice (it may run more than once)."""
    a = fn.args
    counts = Counter(arg.arg for arg in a.posonlyargs + a.args + a.kwonlyargs)
    if isinstance(fn, ast.FunctionDef):
        counts.update(stored_names(fn.body))
        stack: list[ast.AST] = list(fn.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.For, ast.While)):
                counts.update(stored_names([node]))
            if not isinstance(node, (ast.FunctionDef, ast.Lambda)):
                stack += child_nodes(node)
    return counts


def scope_names(node: ast.AST) -> list[ast.Name]:
    """The names in ``node`` that are its scope's: not those of a nested function or lambda
    that binds the same name (its parameter, or a name it assigns)."""
    out: list[ast.Name] = []
    stack: list[tuple[ast.AST, frozenset]] = [(child, frozenset()) for child in
                                              (node.body if isinstance(node, ast.FunctionDef)
                                               else [node])]
    while stack:
        item, shadowed = stack.pop()
        if isinstance(item, ast.Name):
            if item.id not in shadowed:
                out.append(item)
            continue
        if isinstance(item, (ast.FunctionDef, ast.Lambda)):
            a = item.args
            own = {arg.arg for arg in a.posonlyargs + a.args + a.kwonlyargs}
            if isinstance(item, ast.FunctionDef):
                own.update(stored_names(item.body))
                stack += [(n, shadowed) for n in item.decorator_list]
            stack += [(n, shadowed) for n in a.defaults + [d for d in a.kw_defaults if d]]
            body = item.body if isinstance(item, ast.FunctionDef) else [item.body]
            stack += [(n, shadowed | own) for n in body]
            continue
        stack += [(child, shadowed) for child in child_nodes(item)]
    return out


def stored_names(stmts: list[ast.stmt]) -> list[str]:
    """The names ``stmts`` bind, once per binding, in order: assignment and loop targets
    and nested ``def`` names, not the names inside nested functions and lambdas."""
    out: list[str] = []
    stack: list[ast.AST] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.append(node.id)
        elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name)):  # x[i] = v gives x a new value
            out.append(node.value.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(node.name)
            stack += reversed(node.decorator_list + node.args.defaults
                              + [d for d in node.args.kw_defaults if d is not None])
            continue
        elif isinstance(node, ast.Lambda):
            continue
        children = child_nodes(node)
        children.reverse()
        stack += children
    return out


def borrowed_ids(entries: Any) -> frozenset[int]:
    """The ids of the entries in ``entries`` (a call's arguments: values, constants, lists,
    tuples, dicts), and of those nested in them."""
    found: set[int] = set()
    stack = list(entries)
    while stack:
        entry = stack.pop()
        if id(entry) not in found:  # (a value, a constant, a list, ...)
            found.add(id(entry))
            if isinstance(entry, (list, tuple, dict)):
                stack.extend(entry.values() if isinstance(entry, dict) else entry)
    return frozenset(found)


# --- calls of objects that take functions ---------------------------------------------------
def dispatch(lowerer: Any, obj: Any, args: list, kwargs: dict, node: ast.Call) -> Any:
    """The entry of a call of ``obj`` when it is a closure, a partial, or a builtin taking
    a function (``map``, ``sorted``, ``min``/``max`` with ``key=``); None otherwise."""
    if isinstance(obj, Closure):
        return call(lowerer, obj, args, kwargs, node)
    if isinstance(obj, Partial):
        return lowerer.call_entry(obj.func, [*obj.args, *args],
                                  {**dict(obj.keywords), **kwargs}, node)
    if isinstance(obj, functools.partial):  # one made at module level
        return lowerer.call_entry(lowerer.static(obj.func),
                                  [*map(lowerer.static, obj.args), *args],
                                  {**{k: lowerer.static(v) for k, v in obj.keywords.items()},
                                   **kwargs}, node)
    if obj is functools.partial:
        if not args or not lowerer.is_static(args[0]) or not callable_entry(args[0].obj):
            raise lowerer.error(node, "functools.partial needs a function known here",
                                hint="pass a function defined with def or lambda")
        return lowerer.static(Partial(args[0], tuple(args[1:]), tuple(kwargs.items())))
    if obj is builtins.map:
        return _map(lowerer, args, kwargs, node)
    if obj is functools.reduce:
        return _reduce(lowerer, args, kwargs, node)
    if obj is builtins.sorted or (obj in (builtins.min, builtins.max) and "key" in kwargs):
        return _ordered(lowerer, obj, args, kwargs, node)
    return None


def callable_entry(obj: Any) -> bool:
    return isinstance(obj, TRANSFORM_TIME) or callable(obj)


def _function(lowerer: Any, entry: Any, what: str, node: ast.Call) -> Any:
    if not (lowerer.is_static(entry) and callable_entry(entry.obj)):
        raise lowerer.error(node, f"{what} needs a function known where it is defined",
                            hint="pass a function defined with def or lambda")
    return entry


def _items(lowerer: Any, entry: Any, what: str, node: ast.Call) -> list:
    if not isinstance(entry, (tuple, list)):
        over = "a range" if lowerer.is_static(entry) else "a value computed at run time"
        raise lowerer.error(node, f"cannot differentiate {what} over {over}",
                            hint="use a for loop or a list comprehension, or build the tuple "
                                 "or list in the function")
    return list(entry)


def _map(lowerer: Any, args: list, kwargs: dict, node: ast.Call) -> list:
    """``map(f, xs, ...)`` of tuples or lists built here: the list of the calls."""
    if kwargs or len(args) < 2:
        raise lowerer.error(node, "map takes a function and one or more iterables")
    f = _function(lowerer, args[0], "map", node)
    columns = [_items(lowerer, a, "map", node) for a in args[1:]]
    return [lowerer.call_entry(f, list(row), {}, node) for row in zip(*columns)]


def _reduce(lowerer: Any, args: list, kwargs: dict, node: ast.Call) -> Any:
    """``functools.reduce(f, xs[, start])`` over a tuple or list built here."""
    if kwargs or len(args) not in (2, 3):
        raise lowerer.error(node, "functools.reduce takes a function, a sequence and an "
                            "optional start value")
    f = _function(lowerer, args[0], "functools.reduce", node)
    items = _items(lowerer, args[1], "functools.reduce", node)
    if len(args) == 3:
        items.insert(0, args[2])
    if not items:
        raise lowerer.error(node, "functools.reduce of an empty sequence with no start value",
                            kind=DifferentiationError)
    acc = items[0]
    for item in items[1:]:
        acc = lowerer.call_entry(f, [acc, item], {}, node)
    return acc


def _ordered(lowerer: Any, obj: Any, args: list, kwargs: dict, node: ast.Call) -> Any:
    """``sorted(xs, key=f, reverse=...)``, ``min(xs, key=f)``, ``max(a, b, key=f)``: the
    order of items whose keys are known when the derivative is built."""
    what = obj.__name__
    options = dict(kwargs)
    key = options.pop("key", None)
    reverse = options.pop("reverse", lowerer.static(False)) if obj is builtins.sorted else None
    if options or not args or (obj is builtins.sorted and len(args) != 1):
        raise lowerer.error(node, f"cannot differentiate this call of {what}()",
                            hint=f"call {what}(items, key=f)")
    items = _items(lowerer, args[0], f"{what}()", node) if len(args) == 1 else list(args)
    if not items and obj is not builtins.sorted:
        raise lowerer.error(node, f"{what}() of an empty sequence", kind=DifferentiationError)
    if key is not None and not (lowerer.is_static(key) and key.obj is None):
        f = _function(lowerer, key, f"{what}(key=...)", node)
        keys = [lowerer.call_entry(f, [item], {}, node) for item in items]
    else:
        keys = items
    known = [lowerer.constant_of(k) for k in keys]
    flip = lowerer.constant_of(reverse) if reverse is not None else False
    if any(k is _UNKNOWN for k in known) or flip is _UNKNOWN:
        raise lowerer.error(node, f"cannot differentiate {what}() ordered by values computed "
                            "at run time: the order is not known when the derivative is built",
                            hint="order by keys known in advance (constants, lengths), or "
                                 "compute the order outside the differentiated function")
    try:  # (min and max: the first of equal keys, as Python's)
        if obj is builtins.sorted:
            return [items[k] for k in sorted(range(len(items)), key=known.__getitem__,
                                             reverse=bool(flip))]
        return items[obj(range(len(items)), key=known.__getitem__)]
    except TypeError as exc:
        raise lowerer.error(node, f"cannot order these keys: {exc}",
                            kind=DifferentiationError) from None
