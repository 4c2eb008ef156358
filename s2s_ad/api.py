"""The public transforms: ``grad``, ``value_and_grad``, ``vjp``.

Each returns the generated Python function itself -- no wrapper, no dispatch per call --
with ``.source`` (its code), ``.ir`` (its IR), ``.stats`` (op counts before and after
optimization) and ``__wrapped__`` (the original function). The transform runs once per
(function, wrt, options) and is cached.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .codegen.load import load
from .errors import DifferentiationError
from .frontend.lower import lift
from .ir.core import Function, tree_leaves
from .optimize import OpCounts, count_ops
from .optimize import optimize as run_optimizer
from .transforms.reverse import vjp as reverse_vjp

F = TypeVar("F", bound=Callable[..., Any])
Wrt = int | str | tuple[int | str, ...] | None

_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple, Callable[..., Any]]] = (
    weakref.WeakKeyDictionary())


@dataclass(frozen=True, slots=True)
class Stats:
    """Op counts of a generated function, before and after optimization."""

    function: OpCounts
    unoptimized: OpCounts
    optimized: OpCounts

    def __str__(self) -> str:
        return (f"function:    {self.function}\n"
                f"unoptimized: {self.unoptimized}\n"
                f"optimized:   {self.optimized}")


@dataclass(frozen=True, slots=True)
class Generated:
    """What s2s_ad keeps about a generated function (``g.__s2s__``)."""

    ir: Function  # what the function computes (optimized unless optimize=False)
    unoptimized: Function
    primal: Function  # the IR of the function that was differentiated
    wrt: tuple[int, ...]


def grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """The gradient of a scalar-valued ``f``, as generated Python source compiled to a function.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (default: the first
    parameter). A single ``wrt`` gives a single gradient; a tuple gives a tuple in that
    order. Use as ``grad(f)``, ``@grad`` or ``@grad(wrt=("x", "y"))``.

    >>> import math
    >>> def f(x1, x2):
    ...     return math.log(x1) + x1 * x2 - math.sin(x2)
    >>> df = grad(f, wrt=("x1", "x2"))
    >>> df(2.0, 5.0)
    (5.5, 1.7163378145367738)
    >>> print(df.source)
    def f_grad(x1, x2):
        dx1 = x2 + 1.0 / x1
        dx2 = x1 - math.cos(x2)
        return dx1, dx2
    <BLANKLINE>
    """
    if f is None:
        return functools.partial(grad, wrt=wrt, optimize=optimize)
    return _transform(f, "grad", wrt, optimize)


def value_and_grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """Like :func:`grad`, but the function returns ``(f(*args), gradient)``.

    >>> vg = value_and_grad(lambda x: x * x)
    >>> vg(3.0)
    (9.0, 6.0)
    """
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt, optimize=optimize)
    return _transform(f, "value_and_grad", wrt, optimize)


def vjp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """The vector-Jacobian product: a function of ``(*args, cotangent)``.

    It returns the gradient of ``<cotangent, f(*args)>`` with respect to ``wrt``. For a
    function returning a tuple there is one cotangent argument per item. When ``f`` has
    default or keyword-only parameters, the cotangents are keyword-only (named ``d`` + the
    returned variable's name, e.g. ``dy``).

    >>> def f(x, y):
    ...     return x * y, x + y
    >>> vjp(f, wrt=("x", "y"))(2.0, 3.0, 1.0, 10.0)
    (13.0, 12.0)
    """
    if f is None:
        return functools.partial(vjp, wrt=wrt, optimize=optimize)
    return _transform(f, "vjp", wrt, optimize)


def _transform(f: Any, kind: str, wrt: Wrt, optimize: bool) -> Any:
    key = (kind, wrt, optimize)
    try:
        per_function = _CACHE.setdefault(f, {})
    except TypeError:  # not weak-referenceable (a builtin): lift() explains
        per_function = {}
    if key in per_function:
        return per_function[key]
    try:
        generated = _build(f, kind, wrt, optimize)
    except DifferentiationError as err:
        raise err.with_traceback(None) from None  # users never see our frames
    per_function[key] = generated
    return generated


def _build(f: Any, kind: str, wrt: Wrt, optimize: bool) -> Any:
    primal = lift(f)
    indices, single = resolve_wrt(primal, wrt)
    scalar_out = isinstance(primal.out_tree, int)
    if kind != "vjp" and not scalar_out:
        raise DifferentiationError(
            f"{kind} needs a function that returns one number; {primal.name!r} returns "
            f"{len(tree_leaves(primal.out_tree))} values",
            hint="use s2s_ad.vjp (or s2s_ad.jacobian) for functions with several outputs")
    seed = None if kind == "vjp" else 1.0
    name = f"{primal.name}_{kind}"
    raw = reverse_vjp(primal, indices, seed=seed, keep_value=kind == "value_and_grad",
                      single=single, name=name)
    final = run_optimizer(raw) if optimize else raw
    fn, source = load(final, name)
    fn.__s2s__ = Generated(final, raw, primal, indices)
    fn.source = source
    fn.ir = final
    fn.stats = Stats(count_ops(primal), count_ops(raw), count_ops(final))
    fn.__wrapped__ = f
    fn.__doc__ = f"{kind} of {primal.name} with respect to " + ", ".join(
        primal.params[i].hint for i in indices) + " (generated by s2s_ad)."
    return fn


def resolve_wrt(fn: Function, wrt: Wrt) -> tuple[tuple[int, ...], bool]:
    """Parameter indices for ``wrt``, and whether a single gradient (not a tuple) is wanted."""
    names = fn.param_names
    single = not isinstance(wrt, (tuple, list))
    items = [0 if wrt is None else wrt] if single else list(wrt)  # type: ignore[arg-type]
    if not names:
        raise DifferentiationError(f"{fn.name!r} has no parameters to differentiate")
    position = {name: i for i, name in enumerate(names)}
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DifferentiationError(f"wrt must be parameter indices or names, not {item!r}")
        if isinstance(item, str):
            if item not in position:
                raise DifferentiationError(
                    f"wrt names {item!r}, which is not a parameter of "
                    f"{fn.name}({', '.join(names)})", hint=f"choose from {names}")
            indices.append(position[item])
        else:
            if not -len(names) <= item < len(names):
                raise DifferentiationError(
                    f"wrt index {item} is out of range for {fn.name}({', '.join(names)})")
            indices.append(item % len(names))
    return tuple(indices), single


def stats(g: Any) -> Stats:
    """Op counts by kind of a generated function (``g.stats``): before and after optimizing."""
    return g.stats
