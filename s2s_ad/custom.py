"""Derivative rules for functions s2s_ad cannot see into, registered by users.

``defvjp(f, *rules)`` makes calls to ``f`` in differentiated code a primitive: the
generated code calls ``f`` itself, and its backward sweep calls ``rules[k](g, *args)`` for
the cotangent of argument ``k`` (``None``: that argument gets none). ``defjvp`` does the
same for forward mode, with ``rules[k](dx, *args)``, the tangent of the result along
argument ``k``. The rules are ordinary Python (NumPy) functions, called at run time.

>>> import numpy as np, s2s_ad
>>> def softplus(x):
...     return np.logaddexp(0.0, x)
>>> s2s_ad.defvjp(softplus, lambda g, x: g / (1.0 + np.exp(-x)))
>>> def f(x):
...     return softplus(x) * 2.0
>>> float(s2s_ad.grad(f)(0.0))
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .primitives.registry import PRIMITIVES, Call, defprim
from .primitives.registry import defjvp as _defjvp_rows
from .primitives.registry import defvjp as _defvjp_rows

Rule = Callable[..., Any] | None


def defvjp(f: Callable[..., Any], *rules: Rule) -> None:
    """Register the VJP of ``f``: one ``rule(g, *args)`` per argument of ``f``.

    Each rule returns the cotangent of its argument (same shape as the argument) for the
    cotangent ``g`` of ``f(*args)``; ``None`` means no derivative flows to that argument.
    """
    name = _primitive(f, len(rules))
    _defvjp_rows(name, *(_caller(f, rule, k, "vjp") for k, rule in enumerate(rules)))


def defjvp(f: Callable[..., Any], *rules: Rule) -> None:
    """Register the JVP of ``f``: one ``rule(dx, *args)`` per argument of ``f``, giving the
    tangent of ``f(*args)`` along a tangent ``dx`` of that argument."""
    name = _primitive(f, len(rules))
    _defjvp_rows(name, *(_caller(f, rule, k, "jvp") for k, rule in enumerate(rules)))


def arity(name: str) -> int | None:
    """The number of arguments of a user-registered primitive ``name`` (else None)."""
    return _RULE_COUNTS.get(name)


_RULE_COUNTS: dict[str, int] = {}


def _primitive(f: Callable[..., Any], n: int) -> str:
    if not callable(f):
        raise TypeError(f"defvjp/defjvp register a function, not {f!r}")
    label = getattr(f, "__qualname__", None) or getattr(f, "__name__", repr(f))
    name = f"{getattr(f, '__module__', None) or '?'}.{label}"
    if name in PRIMITIVES and f not in PRIMITIVES[name].callables:  # same name, other f
        name = f"{name}@{id(f):x}"
    if name not in PRIMITIVES:
        defprim(name, Call(f, _identifier(getattr(f, "__name__", "f"))), f, callables=(f,),
                doc=f"{label} (rules registered by the user)")
    if _RULE_COUNTS.setdefault(name, n) != n:
        raise TypeError(f"{label} was registered with {_RULE_COUNTS[name]} rules, now {n}")
    return name


def _caller(f: Callable[..., Any], rule: Rule, k: int, kind: str) -> Any:
    """An internal rule that emits a call to the user's ``rule``."""
    if rule is None:
        return None
    base = _identifier(getattr(f, "__name__", "f"))
    attr = getattr(rule, "__name__", "")
    attr = attr if attr.isidentifier() else f"{base}_{kind}{k}"
    name = f"{kind}:{id(rule)}"
    if name not in PRIMITIVES:
        defprim(name, Call(rule, attr), rule, doc=f"the user's {kind} rule {k} for {base}")
    return lambda e, g, *args: e.emit(name, g, *args)[0]


def _identifier(name: str) -> str:
    return name if name.isidentifier() else "f"
