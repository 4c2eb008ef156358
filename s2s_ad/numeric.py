"""Numerical differentiation: finite differences, Richardson extrapolation, gradient checks.

This is the oracle that s2s_ad's generated derivatives are tested against (seed 001's
finite differences, seed 002's Richardson extrapolation, seed 000's gradient check). It
only *evaluates* ``f`` -- nothing is transformed -- so it works for any Python callable.

=====================  ===================================================  ========
formula                D(x)                                                 error
=====================  ===================================================  ========
forward_difference     (f(x+h) - f(x)) / h                                  O(h)
backward_difference    (f(x) - f(x-h)) / h                                  O(h)
central_difference     (f(x+h) - f(x-h)) / 2h                               O(h^2)
five_point             (8f(x+h) - f(x+2h) - 8f(x-h) + f(x-2h)) / 12h        O(h^4)
richardson             (4 D0(h) - D0(2h)) / 3,  D0 = central_difference     O(h^4)
=====================  ===================================================  ========

The truncation error falls with ``h``, but rounding error grows like ``eps_mach * |f| / h``
(``eps_mach`` = 2.2e-16), so a formula of order ``p`` is most accurate for ``h`` near
``eps_mach ** (1 / (p + 1))``: about 1e-8 for forward/backward, 6e-6 for central and 1e-3
for five-point and Richardson. Those are the default steps. They are absolute steps, meant
for arguments of order one. Steps much smaller lose digits to rounding (the floor at the
bottom of seed 8's convergence table). The formulas are applied as written (``x + h`` is
not rounded to a representable step), so that floor is what they really do.

Relative errors here are ``|a - b| / max(1, |a|, |b|)`` (:func:`relative_error`): relative
for large values and absolute for values below one, so it stays meaningful near zero.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "GradCheck", "backward_difference", "central_difference", "check_grad",
    "directional_derivative", "five_point", "forward_difference", "numerical_grad",
    "observed_order", "relative_error", "richardson",
]

Scalar = Callable[[Any], Any]
Wrt = int | str | Sequence[int | str] | None


# --- derivatives of a function of one variable ------------------------------------------------
def forward_difference(f: Scalar, x: Any, h: float = 1e-8) -> Any:
    """``(f(x + h) - f(x)) / h``: the one-sided difference, error ``O(h)``.

    >>> import math
    >>> round(forward_difference(math.exp, 0.0, 1e-6), 5)
    1.0
    """
    return (f(x + h) - f(x)) / h


def backward_difference(f: Scalar, x: Any, h: float = 1e-8) -> Any:
    """``(f(x) - f(x - h)) / h``: the one-sided difference from the left, error ``O(h)``.

    >>> import math
    >>> round(backward_difference(math.exp, 0.0, 1e-6), 5)
    1.0
    """
    return (f(x) - f(x - h)) / h


def central_difference(f: Scalar, x: Any, h: float = 6e-6) -> Any:
    """``(f(x + h) - f(x - h)) / 2h``: the symmetric difference, error ``O(h^2)``.

    >>> import math
    >>> abs(central_difference(math.sin, 1.0, 1e-5) - math.cos(1.0)) < 1e-10
    True
    """
    return (f(x + h) - f(x - h)) / (2 * h)


def five_point(f: Scalar, x: Any, h: float = 1e-3) -> Any:
    """``(8f(x+h) - f(x+2h) - 8f(x-h) + f(x-2h)) / 12h``: the five-point stencil, ``O(h^4)``.

    >>> import math
    >>> abs(five_point(math.sin, 1.0, 1e-3) - math.cos(1.0)) < 1e-12
    True
    """
    return (8 * (f(x + h) - f(x - h)) - (f(x + 2 * h) - f(x - 2 * h))) / (12 * h)


def richardson(f: Scalar, x: Any, h: float = 1e-3, levels: int = 1) -> Any:
    """Richardson extrapolation of the central difference ``D0``: ``(4 D0(h) - D0(2h)) / 3``.

    ``D0(h) = f'(x) + c2 h^2 + c4 h^4 + ...``, so the combination cancels the ``h^2`` term and
    leaves ``O(h^4)`` (it is the five-point stencil, rearranged). ``levels=k`` repeats the
    elimination on ``D0(h), D0(2h), ..., D0(2^k h)`` -- level ``j`` divides by ``4^j - 1`` --
    for an error ``O(h^(2k+2))``; the best ``h`` grows with ``k`` (try ``5e-3`` for ``k=2``).

    >>> import math
    >>> abs(richardson(math.exp, 0.0, 1e-3) - 1.0) < 1e-12
    True
    >>> abs(richardson(math.exp, 0.0, 1e-2, levels=2) - 1.0) < 1e-13
    True
    """
    if levels < 1:
        raise ValueError(f"levels must be at least 1, not {levels}")
    table = [central_difference(f, x, h * 2**j) for j in range(levels + 1)]
    for k in range(1, levels + 1):
        factor = 4**k
        table = [(factor * fine - coarse) / (factor - 1)
                 for fine, coarse in zip(table, table[1:])]
    return table[0]


_METHODS: dict[str, tuple[Callable[..., Any], float]] = {
    "forward": (forward_difference, 1e-8),
    "backward": (backward_difference, 1e-8),
    "central": (central_difference, 6e-6),
    "five_point": (five_point, 1e-3),
    "richardson": (richardson, 1e-3),
}


def observed_order(steps: Sequence[float], errors: Sequence[float]) -> float:
    """The slope of ``log(error)`` against ``log(h)`` (least squares): the observed order ``p``.

    Meaningful where truncation dominates (error ``~ C h^p``), not down at the rounding floor.

    >>> import math
    >>> steps = [0.1 / 2**k for k in range(5)]
    >>> errors = [abs(central_difference(math.sin, 1.0, h) - math.cos(1.0)) for h in steps]
    >>> round(observed_order(steps, errors), 2)
    2.0
    """
    if len(steps) != len(errors) or len(steps) < 2:
        raise ValueError("need at least two steps, each with its error")
    if min(errors) <= 0.0:
        raise ValueError("an error is zero: there is no slope to fit on a log scale")
    slope, _ = np.polyfit(np.log(steps), np.log(errors), 1)
    return float(slope)


# --- derivatives of a function of several arguments -------------------------------------------
def directional_derivative(f: Callable[..., Any], args: Sequence[Any],
                           direction: Sequence[Any], eps: float = 1e-6) -> float:
    """The central difference along ``direction``: ``(f(a + eps d) - f(a - eps d)) / 2eps``.

    ``args`` are ``f``'s positional arguments; ``direction`` has one entry per argument: a
    float (or an array shaped like a NumPy argument), or ``None`` to hold that argument
    fixed (an integer index, say). For a unit direction ``d`` this approximates
    ``d . grad f`` with error ``O(eps^2)``: seed 000's gradient check.

    >>> def f(x, y):
    ...     return x * y
    >>> round(directional_derivative(f, (2.0, 3.0), (1.0, 0.0)), 9)
    3.0
    >>> round(directional_derivative(f, (2.0, 3.0), (0.6, 0.8)), 9)  # 0.6 * 3 + 0.8 * 2
    3.4
    """
    if len(direction) != len(args):
        raise ValueError(f"direction has {len(direction)} entries but f gets {len(args)} "
                         "arguments (use None for the ones to hold fixed)")
    plus = [_shift(a, d, eps) for a, d in zip(args, direction)]
    minus = [_shift(a, d, -eps) for a, d in zip(args, direction)]
    return float((f(*plus) - f(*minus)) / (2 * eps))


def numerical_grad(f: Callable[..., Any], args: Sequence[Any], wrt: Wrt = None, *,
                   eps: float | None = None, method: str = "central") -> Any:
    """Partial derivatives of a scalar ``f`` at ``args``, one coordinate at a time.

    ``wrt`` is read as by :func:`s2s_ad.grad`: a parameter index or name (default: the first
    parameter), giving one partial, or a tuple of them, giving a tuple. A NumPy array argument
    gets an array of partials of its shape. ``method`` is ``"central"`` (the default),
    ``"forward"``, ``"backward"``, ``"five_point"`` or ``"richardson"`` (more accurate, twice
    the evaluations); ``eps`` is the step, by default the method's (see the module docstring).

    >>> import math
    >>> def f(x1, x2):
    ...     return math.log(x1) + x1 * x2 - math.sin(x2)
    >>> [round(d, 9) for d in numerical_grad(f, (2.0, 5.0), wrt=("x1", "x2"))]
    [5.5, 1.716337815]
    >>> round(numerical_grad(f, (2.0, 5.0), wrt=1, method="richardson"), 12)
    1.716337814537
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, not {method!r}")
    formula, default_step = _METHODS[method]
    step = default_step if eps is None else eps
    indices, single = _resolve_wrt(f, wrt, len(args))
    partials = []
    for i in indices:
        if isinstance(args[i], np.ndarray):
            base = np.asarray(args[i], dtype=float)
            out = np.empty(base.shape)
            for k in np.ndindex(base.shape):
                unit = np.zeros(base.shape)
                unit[k] = 1.0
                out[k] = formula(_along(f, args, i, unit), 0.0, step)
            partials.append(out)
        else:
            partials.append(float(formula(_along(f, args, i, 1.0), 0.0, step)))
    return partials[0] if single else tuple(partials)


# --- the gradient check -----------------------------------------------------------------------
def relative_error(a: float, b: float) -> float:
    """``|a - b| / max(1, |a|, |b|)``: relative above one, absolute below, so robust near zero.

    A NaN or infinite difference counts as an infinite error.

    >>> relative_error(1000.0, 1001.0)
    0.000999000999000999
    >>> relative_error(1e-9, 2e-9)  # small numbers: the absolute error
    1e-09
    """
    diff = abs(a - b)
    if not math.isfinite(diff):
        return math.inf
    return diff / max(1.0, abs(a), abs(b))


@dataclass(frozen=True, slots=True)
class GradCheck:
    """The result of :func:`check_grad`: one row per random direction ``d``.

    ``analytic[k]`` is ``d . gradient`` from the gradient under test, ``numeric[k]`` the
    central difference along the same ``d``, ``errors[k]`` their :func:`relative_error`.
    """

    max_error: float
    errors: tuple[float, ...]
    analytic: tuple[float, ...]
    numeric: tuple[float, ...]
    rtol: float
    eps: float

    @property
    def passed(self) -> bool:
        """Whether every direction agrees to ``rtol``."""
        return self.max_error <= self.rtol

    def __str__(self) -> str:
        lines = [f"{'direction':>9}  {'d . gradient':>24}  {'central difference':>24}  "
                 f"{'relative error':>14}"]
        for k, (a, n, err) in enumerate(zip(self.analytic, self.numeric, self.errors)):
            lines.append(f"{k:>9}  {a:>24.17g}  {n:>24.17g}  {err:>14.3e}")
        verdict = "passed" if self.passed else "FAILED"
        lines.append(f"largest relative error {self.max_error:.3e} (rtol {self.rtol:.1e}, "
                     f"eps {self.eps:.1e}): {verdict}")
        return "\n".join(lines)


def check_grad(f: Callable[..., Any], args: Sequence[Any], wrt: Wrt = None, *,
               eps: float = 1e-6, rtol: float = 1e-6, directions: int = 3, seed: int = 0,
               raise_on_error: bool = True, gradient: Callable[..., Any] | None = None,
               optimize: bool = True) -> GradCheck:
    """Check a gradient of ``f`` at ``args`` against central differences (seed 000).

    For ``directions`` random unit vectors ``d`` over the ``wrt`` arguments (drawn with
    ``numpy.random.default_rng(seed)``), compare ``d . gradient(*args)`` with
    ``(f(args + eps d) - f(args - eps d)) / 2eps``; they agree to ``O(eps^2)`` plus rounding
    (about ``1e-16 |f| / eps``). ``gradient`` defaults to ``s2s_ad.grad(f, wrt,
    optimize=optimize)``; pass any callable of ``f``'s arguments that returns what that
    would (one partial for a single ``wrt``, a tuple for a tuple) to check a hand-written
    gradient instead. ``wrt`` is read as by :func:`s2s_ad.grad`; arguments may be floats or
    NumPy arrays (the direction spans their entries).

    The error is :func:`relative_error`. Raises ``AssertionError`` with the table of
    directions when the largest error exceeds ``rtol`` and ``raise_on_error`` is true;
    returns a :class:`GradCheck` either way.

    >>> import math
    >>> def f(x, y):
    ...     return math.sin(x) * y
    >>> check_grad(f, (1.0, 2.0), wrt=("x", "y")).passed
    True
    >>> wrong = lambda x, y: (math.cos(x), math.sin(x) + 1)  # dy is off by one
    >>> check_grad(f, (1.0, 2.0), wrt=("x", "y"), gradient=wrong, raise_on_error=False).passed
    False
    """
    if directions < 1:
        raise ValueError(f"directions must be at least 1, not {directions}")
    args = tuple(args)
    indices, single = _resolve_wrt(f, wrt, len(args))
    if gradient is None:
        from .api import grad  # numeric is the oracle: the transform is only needed here

        gradient = grad(f, wrt if wrt is None or single else tuple(wrt), optimize=optimize)
    g = gradient(*args)
    parts = (g,) if single else tuple(g)
    if len(parts) != len(indices):
        raise ValueError(f"the gradient returned {len(parts)} partials for {len(indices)} "
                         "wrt arguments")
    shapes = [np.shape(args[i]) for i in indices]
    for i, shape, part in zip(indices, shapes, parts):
        if np.shape(part) != shape:
            raise ValueError(f"the gradient returned a partial of shape {np.shape(part)} for "
                             f"argument {i} of shape {shape}")
    sizes = [math.prod(shape) for shape in shapes]
    rng = np.random.default_rng(seed)
    analytic, numeric, errors = [], [], []
    for _ in range(directions):
        v = rng.standard_normal(sum(sizes))
        v /= np.linalg.norm(v)
        direction: list[Any] = [None] * len(args)
        dot = 0.0
        start = 0
        for i, shape, size, part in zip(indices, shapes, sizes, parts):
            block = v[start:start + size]
            start += size
            direction[i] = block.reshape(shape) if shape else float(block[0])
            dot += float(np.dot(block, np.ravel(np.asarray(part, dtype=float))))
        fd = directional_derivative(f, args, direction, eps)
        analytic.append(dot)
        numeric.append(fd)
        errors.append(relative_error(dot, fd))
    result = GradCheck(max(errors), tuple(errors), tuple(analytic), tuple(numeric), rtol, eps)
    if raise_on_error and not result.passed:
        name = getattr(f, "__qualname__", repr(f))
        raise AssertionError(f"gradient check of {name} failed at args={args!r}, "
                             f"wrt={wrt!r}:\n{result}")
    return result


# --- helpers ----------------------------------------------------------------------------------
def _shift(arg: Any, direction: Any, t: float) -> Any:
    if direction is None:
        return arg
    if isinstance(arg, np.ndarray) or isinstance(direction, np.ndarray):
        return np.asarray(arg, dtype=float) + t * np.asarray(direction, dtype=float)
    return float(arg) + t * float(direction)


def _along(f: Callable[..., Any], args: Sequence[Any], i: int, unit: Any) -> Scalar:
    """``t -> f(args with args[i] moved by t * unit)``."""
    def line(t: float) -> Any:
        moved = list(args)
        moved[i] = _shift(args[i], unit, t)
        return f(*moved)

    return line


def _resolve_wrt(f: Callable[..., Any], wrt: Wrt, nargs: int) -> tuple[tuple[int, ...], bool]:
    """Argument indices for ``wrt`` (as :func:`s2s_ad.grad` reads it), and whether single."""
    single = not isinstance(wrt, (tuple, list))
    items = [0 if wrt is None else wrt] if single else list(wrt)  # type: ignore[arg-type]
    try:
        names = [p.name for p in inspect.signature(f).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # a builtin without a signature: indices only
        names = []
    indices = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise ValueError(f"wrt names {item!r}, which is not a positional parameter of "
                                 f"{getattr(f, '__qualname__', f)!r} (parameters: {names})")
            item = names.index(item)
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(f"wrt must be parameter indices or names, not {item!r}")
        if not -nargs <= item < nargs:
            raise ValueError(f"wrt index {item} is out of range for {nargs} arguments")
        indices.append(item % nargs)
    return tuple(indices), single
