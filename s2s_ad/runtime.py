"""The few helpers generated code calls: adjoints of containers (tuples, lists, dicts).

A container's structure is only known when the gradient runs, so its adjoint is built
then: ``zeros_like`` makes a mutable copy with zeros at the leaves, ``add_at`` adds a
container of cotangents into one entry in place (a number is added inline by the
generated code: ``dxs[i] += g``), and ``like`` gives the result the argument's exact
structure (tuples stay tuples). Code
without containers never calls them. ``s2s-ad export`` copies them into exported modules,
so each must stand alone (no module globals).
"""

from __future__ import annotations

from typing import Any


def zeros_like(c: Any) -> Any:
    """Zeros shaped like ``c``: dicts and lists (tuples become lists, to be filled)."""
    if isinstance(c, (list, tuple)) and all(type(v) in (float, int, bool) for v in c):
        return [0.0] * len(c)  # the common case, without a call per item
    if isinstance(c, dict):
        return {k: zeros_like(v) for k, v in c.items()}
    if isinstance(c, (list, tuple)):
        return [zeros_like(v) for v in c]
    if hasattr(c, "shape") and hasattr(c, "dtype"):
        return c * 0.0
    return 0.0


def add_at(acc: Any, key: Any, g: Any) -> None:
    """``acc[key] += g``, where ``g`` may itself be a container of cotangents."""
    current = acc[key]
    if isinstance(current, (dict, list)):
        for k, v in (g.items() if isinstance(g, dict) else enumerate(g)):
            add_at(current, k, v)
    else:
        acc[key] = current + g


def like(acc: Any, c: Any) -> Any:
    """``acc`` with ``c``'s structure: tuples where ``c`` has tuples."""
    if type(c) is list and all(type(v) in (float, int, bool) for v in c):
        return acc
    if type(c) is tuple and all(type(v) in (float, int, bool) for v in c):
        return tuple(acc)
    if isinstance(c, dict):
        return {k: like(acc[k], v) for k, v in c.items()}
    if isinstance(c, (list, tuple)):
        return type(c)(like(a, v) for a, v in zip(acc, c))
    return acc


def zero_gradient(c: Any) -> Any:
    """The gradient with respect to an argument nothing reads: zeros in its structure."""
    if isinstance(c, dict):
        return {k: zero_gradient(v) for k, v in c.items()}
    if isinstance(c, (list, tuple)):
        return type(c)(zero_gradient(v) for v in c)
    if hasattr(c, "shape") and hasattr(c, "dtype"):
        return c * 0.0
    return 0.0
