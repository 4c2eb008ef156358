"""The dispatcher of code specialized to its arguments, generated as Python source.

A transform of NumPy code, or of code that reads a list item by item, returns a function
that runs the code built for its arguments' kinds, shapes and dtypes (``staging``'s
``_specializing``). Finding that code in a table keyed by the arguments' signatures costs
about 1 µs a call: a frame that collects the arguments, one that computes the key, a tuple
hashed; on a gradient of 2–4 µs (a loop over ten items) that is a third of the time.

So the function a transform returns is generated, with the derivative's own parameters, and
starts with one test per specialization built so far, written for the kind of argument it
was built for, before it falls back to the table (``_d_fallback``)::

    def f_grad(theta, x):
        _d_theta_list = False
        if type(theta) is list and theta and type(theta[0]) is float:
            try:
                _d_theta_list = sum(theta, 0.0).__class__ is float
            except Exception:
                pass
        if _d_theta_list and type(x) is _d_ndarray and x.shape == (3,) and x.dtype is _d_float64:
            return _d_f_grad(theta, x)
        return _d_fallback(theta, x)

Each test holds only where the table's key for the argument (``staging._signature``) is the
specialization's, with one exception that the code allows (``loose``): a list of floats
may hold ints and bools where its code gives the same derivatives, floats, for them (its
aval, ``Numbers``, is the same; ``staging`` proves the rest). That test is ``sum``'s loop
over floats in C, 5 ns an item, where checking each item's type costs 25. A list of floats
that code does not allow ints in is tested item by item (``countOf(map(type, xs), float)``).
An argument whose key no test spells (a dict, a dataclass, a list of arrays) takes the
table. When a specialization is added, ``refresh`` compiles the tests again and gives the
function their code (``__code__``): the function callers hold stays the same object.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import operator
import threading
from collections.abc import Callable, Container, Mapping
from types import FunctionType
from typing import Any, cast

import numpy as np

from . import files

INLINE = 4  # specializations tested inline, in the order they were built; later ones: table

_NUMBER_TYPES = (float, int, bool)
_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.KEYWORD_ONLY,
}
_PREFIX = "_d_"  # the dispatcher's own names (a parameter that starts so: no tests)
# the builtins the tests call (a parameter of one of these names: no tests either)
_BUILTINS = frozenset({"type", "sum", "len", "map", "float", "int", "bool", "list", "tuple",
                       "Exception"})

Key = tuple[Any, ...]  # the signatures of the arguments, in the parameters' order
_FIXED = {"_d_ndarray": np.ndarray, "_d_count": operator.countOf}  # what every test may read


def dispatcher(name: str, fallback: Callable[..., Any]) -> FunctionType:
    """A function named ``name`` that calls ``fallback`` with its arguments until
    ``refresh`` gives it its parameters and tests."""
    namespace = {"__builtins__": builtins, "__name__": "s2s_ad.generated",
                 "_d_fallback": fallback, **_FIXED}
    source = f"def {name}(*args, **kwargs):\n    return _d_fallback(*args, **kwargs)\n"
    return _compiled(name, source, namespace)


def refresh(fn: FunctionType, signature: inspect.Signature,
            table: Mapping[Key, Callable[..., Any]], loose: Container[Key] = ()) -> None:
    """Give ``fn`` (made by ``dispatcher``) ``signature``'s parameters and a test for each
    of the first ``INLINE`` entries of ``table`` whose keys it can test; ``loose``: keys
    whose code allows ints in a list or tuple of floats. Left as it is for a signature that
    collects arguments (``*args``, ``**kwargs``): their keys are made after binding."""
    with _LOCK:  # (two threads adding kinds at once: one name per object, one code)
        _refresh(fn, signature, list(table.items()), loose)


_LOCK = threading.Lock()


def _refresh(fn: FunctionType, signature: inspect.Signature,
             entries: list[tuple[Key, Callable[..., Any]]], loose: Container[Key]) -> None:
    params = list(signature.parameters.values())
    if not params or any(p.kind not in _KINDS or p.name.startswith(_PREFIX)
                         or p.name in _BUILTINS for p in params):
        return
    namespace = fn.__globals__
    namespace.update(_FIXED)  # (a copy that cloudpickle made holds the names its code read)
    names = _Names(namespace)
    name = fn.__code__.co_name  # (what it was made as: `__name__` may be set since)
    passed = ", ".join(p.name if p.kind is not p.KEYWORD_ONLY else f"{p.name}={p.name}"
                       for p in params)
    preludes: dict[str, list[str]] = {}
    body: list[str] = []
    for key, code in entries:
        if len(body) == 2 * INLINE:
            break
        if len(key) != len(params):
            continue
        needs: dict[str, list[str]] = {}
        tests = [_test(p.name, part, names, key in loose, needs)
                 for p, part in zip(params, key)]
        if any(t is None for t in tests):
            continue
        preludes.update(needs)
        body.append(f"    if {' and '.join(cast(list[str], tests))}:")
        body.append(f"        return {names.of(code, name)}({passed})")
    lines = [f"def {name}({_header(params, names)}):",
             *(line for prelude in preludes.values() for line in prelude), *body,
             f"    return _d_fallback({passed})"]
    made = _compiled(name, "\n".join(lines) + "\n", namespace)
    fn.__code__ = made.__code__  # (frames running the old code go on with it)
    fn.__defaults__ = made.__defaults__
    fn.__kwdefaults__ = made.__kwdefaults__


def _header(params: list[inspect.Parameter], names: _Names) -> str:
    """The parameter list, defaults bound to names in the namespace."""
    parts = []
    for k, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and (k == 0 or params[k - 1].kind is not p.KEYWORD_ONLY):
            parts.append("*")
        default = "" if p.default is p.empty else "=" + names.of(p.default, f"{p.name}_default")
        parts.append(p.name + default)
        if p.kind is p.POSITIONAL_ONLY and (
                k + 1 == len(params) or params[k + 1].kind is not p.POSITIONAL_ONLY):
            parts.append("/")
    return ", ".join(parts)


def _test(name: str, key: Any, names: _Names, loose: bool,
          preludes: dict[str, list[str]]) -> str | None:
    """A test that the argument ``name`` has the signature ``key``, or None where ``key`` is
    not one a test spells. ``loose``: a list of floats may hold ints and bools; its test is
    a flag that a prelude sets (``preludes``, by flag), once for all specializations."""
    if isinstance(key, type):  # (a class other than those _signature looks into)
        return f"type({name}) is {names.of(key, key.__name__)}"
    if not (isinstance(key, tuple) and len(key) == 2):
        return None
    first, second = key
    if isinstance(second, np.dtype) and isinstance(first, tuple):  # an array's shape, dtype
        return (f"type({name}) is _d_ndarray and {name}.shape == {first!r} "
                f"and {name}.dtype is {names.of(second, str(second))}")
    if first not in (list, tuple) or second not in _NUMBER_TYPES:
        return None
    kind, item = first.__name__, second.__name__
    if not (loose and second is float):
        return (f"type({name}) is {kind} and {name} "
                f"and _d_count(map(type, {name}), {item}) == len({name})")
    flag = f"{_PREFIX}{name}_{kind}"
    # the first item a float, so that a list of arrays is not summed
    preludes[flag] = [
        f"    {flag} = False",
        f"    if type({name}) is {kind} and {name} and type({name}[0]) is float:",
        "        try:",
        f"            {flag} = sum({name}, 0.0).__class__ is float",
        "        except Exception:  # (an item a float cannot be added to: the table's)",
        "            pass",
    ]
    return flag


class _Names:
    """Names in the dispatcher's namespace for the objects its source refers to."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace

    def of(self, obj: Any, hint: str) -> str:
        if any(obj is kind for kind in (*_NUMBER_TYPES, list, tuple)):
            return str(obj.__name__)
        for name, value in self.namespace.items():
            if value is obj and name.startswith(_PREFIX):
                return name
        stem = _PREFIX + "".join(c if c.isalnum() else "_" for c in hint)
        name, k = stem, 1
        while name in self.namespace:
            k += 1
            name = f"{stem}_{k}"
        self.namespace[name] = obj
        return name


def _compiled(name: str, source: str, namespace: dict[str, Any]) -> FunctionType:
    """The function ``name`` that ``source`` defines in ``namespace``, its file registered
    so that tracebacks show its lines."""
    filename = files.write(f"{name}_dispatch", source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    fn: FunctionType = namespace.pop(name)
    files.remove_with(fn.__code__, filename)
    return fn
