"""The public transforms: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``,
``hessian``, ``hvp``.

Each returns a generated Python function with ``.source`` (its code), ``.ir`` (its IR),
``.stats`` (op counts before and after optimization) and ``__wrapped__`` (the original
function). The transform runs once per (function, wrt, options) and is cached; which
function it returns depends on what the arguments can be (``staging.py``), and which
sweeps build each kind of derivative is ``transforms/compose.py``'s table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .batched import InAxes, vmapped
from .staging import Dispatcher, Generated, GeneratedFunction, Stats, compiled, transform
from .transforms.compose import Wrt

__all__ = ["Dispatcher", "Generated", "GeneratedFunction", "Stats", "Wrt", "elementwise_grad",
           "grad", "hessian", "hvp", "jacobian", "jit", "jvp", "stats", "value_and_grad", "vjp",
           "vmap"]

F = TypeVar("F", bound=Callable[..., Any])


def grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
         backend: str = "python") -> Any:
    """The gradient of a scalar-valued ``f``, as generated Python source compiled to a function.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (default: the first
    parameter). A single ``wrt`` gives a single gradient; a tuple gives a tuple in that
    order. Use as ``grad(f)``, ``@grad`` or ``@grad(wrt=("x", "y"))``. A dataclass or
    named-tuple argument gets a gradient of its class. ``f`` may be a bound method,
    ``grad(model.loss)``: ``wrt`` counts its own parameters, and ``self`` is read when the
    gradient runs (every transform takes one).

    ``backend`` (every transform takes it): ``"python"`` (the default) runs the generated
    Python code; ``"numba"`` compiles the code specialized to each call's argument types
    and shapes with ``numba.njit(cache=True)`` (``pip install 's2s-ad[jit]'``; see
    ``docs/numba.md``); ``"auto"`` compiles a function with loops and runs the rest as
    Python, as it does, with one warning, what Numba cannot compile.

    >>> import math
    >>> def f(x1, x2):
    ...     return math.log(x1) + x1 * x2 - math.sin(x2)
    >>> df = grad(f, wrt=("x1", "x2"))
    >>> df(2.0, 5.0)
    (5.5, 1.7163378145367738)
    >>> print(df.source)
    def f_grad(x1, x2):
        dx2 = x1 - math.cos(x2)
        dx1 = 1.0 / x1 + x2
        return dx1, dx2
    <BLANKLINE>
    """
    if f is None:
        return functools.partial(grad, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "grad", wrt, optimize, backend=backend)


def value_and_grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
                   backend: str = "python") -> Any:
    """Like :func:`grad`, but the function returns ``(f(*args), gradient)``.

    >>> vg = value_and_grad(lambda x: x * x)
    >>> vg(3.0)
    (9.0, 6.0)
    """
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "value_and_grad", wrt, optimize, backend=backend)


def elementwise_grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
                     backend: str = "python") -> Any:
    """The derivative of an elementwise ``f`` at every entry of an array, at once:
    the vector-Jacobian product with a cotangent of ones (autograd's ``elementwise_grad``),
    so ``elementwise_grad(f)(x)[i]`` is the derivative of ``sum(f(x))`` with respect to
    ``x[i]``, which for an elementwise ``f`` is ``f'(x[i])``. It is generated code like
    every transform, so it can be applied again: the second derivative of ``np.tanh`` is
    ``elementwise_grad(elementwise_grad(np_tanh))``. For a function of a number it is
    :func:`grad`; where ``f`` mixes entries (``np.cumsum``) it is the gradient of
    ``np.sum(f(x))``, not a derivative per entry.

    >>> import numpy as np
    >>> def softplus(x):
    ...     return np.log1p(np.exp(x))
    >>> elementwise_grad(softplus)(np.array([-1.0, 0.0, 2.0]))  # the logistic sigmoid
    array([0.26894142, 0.5       , 0.88079708])
    """
    if f is None:
        return functools.partial(elementwise_grad, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "elementwise_grad", wrt, optimize, backend=backend)


def vjp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
        backend: str = "python") -> Any:
    """The vector-Jacobian product: a function of ``(*args, cotangent)``.

    It returns the gradient of ``<cotangent, f(*args)>`` with respect to ``wrt``. The
    cotangent is one argument shaped like ``f``'s value: a tuple for a function returning a
    tuple (as in JAX, autograd and PyTorch). When ``f`` has default or keyword-only
    parameters, the cotangent is keyword-only (named ``d`` + the returned variable's name,
    e.g. ``dy``, or ``dout`` for a tuple).

    >>> def f(x, y):
    ...     return x * y, x + y
    >>> vjp(f, wrt=("x", "y"))(2.0, 3.0, (1.0, 10.0))
    (13.0, 12.0)
    """
    if f is None:
        return functools.partial(vjp, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "vjp", wrt, optimize, backend=backend)


def jvp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
        backend: str = "python") -> Any:
    """The Jacobian-vector product (forward mode): a function of ``(*args, *tangents)``.

    It returns ``(f(*args), tangent)``: the directional derivative of ``f`` along the
    tangents of the ``wrt`` parameters, shaped like ``f``'s value. Tangent arguments follow
    the parameters, one per ``wrt`` entry, named ``d`` + the parameter (``dx``); they are
    keyword-only when ``f`` has default or keyword-only parameters.

    >>> def f(x1, x2, x3):
    ...     return (x1 + x2) * x3
    >>> jvp(f, wrt="x1")(1.0, 2.0, 3.0, 1.0)
    (9.0, 3.0)
    """
    if f is None:
        return functools.partial(jvp, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "jvp", wrt, optimize, backend=backend)


def jacobian(f: F | None = None, wrt: Wrt = None, *, mode: str = "auto",
             optimize: bool = True, backend: str = "python") -> Any:
    """The Jacobian of ``f``: one function that returns every partial derivative.

    The result has ``f``'s output structure, with each output replaced by its derivatives
    with respect to ``wrt`` (a single one, or a tuple for a tuple ``wrt``).
    ``mode="rev"`` builds one VJP per output, ``"fwd"`` one JVP per input, and ``"auto"``
    (the default) picks the one with fewer sweeps, as seed 001's table explains: forward
    when there are no more inputs than outputs. All sweeps live in one generated function,
    so they share the forward computation.

    >>> def f(x0, x1, x2):
    ...     return [x0 * x0 + x1, x1 * x2]
    >>> jacobian(f, wrt=(0, 1, 2))(1.0, 2.0, 3.0)
    [(2.0, 1.0, 0.0), (0.0, 3.0, 2.0)]
    """
    if mode not in ("auto", "fwd", "rev"):
        raise ValueError(f"mode must be 'auto', 'fwd' or 'rev', not {mode!r}")
    if f is None:
        return functools.partial(jacobian, wrt=wrt, mode=mode, optimize=optimize,
                                 backend=backend)
    return transform(f, "jacobian", wrt, optimize, mode, backend)


def hessian(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
            backend: str = "python") -> Any:
    """The Hessian of a scalar ``f`` (forward mode over the reverse-mode gradient).

    A single ``wrt`` gives the second derivative; a tuple gives a tuple of rows.

    >>> def f(x, y):
    ...     return x * x * y
    >>> hessian(f, wrt=("x", "y"))(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    if f is None:
        return functools.partial(hessian, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "hessian", wrt, optimize, backend=backend)


def hvp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True,
        backend: str = "python") -> Any:
    """Hessian-vector product without forming the Hessian: ``(*args, *v) -> H v``.

    ``v`` has one entry per ``wrt`` parameter (named ``d`` + the parameter).

    >>> def f(x, y):
    ...     return x * x * y
    >>> hvp(f, wrt=("x", "y"))(3.0, 2.0, 1.0, 0.0)
    (4.0, 6.0)
    """
    if f is None:
        return functools.partial(hvp, wrt=wrt, optimize=optimize, backend=backend)
    return transform(f, "hvp", wrt, optimize, backend=backend)


def jit(g: GeneratedFunction) -> GeneratedFunction:
    """The derivative ``g`` (what a transform returned) compiled by Numba: the same as
    passing ``backend="numba"`` to the transform that made it. Needs Numba
    (``pip install 's2s-ad[jit]'``).

    >>> import math
    >>> def f(w, x, T):
    ...     for t in range(T):
    ...         x = x + 0.01 * math.sin(w * x)
    ...     return x
    >>> df = jit(grad(f))  # doctest: +SKIP
    >>> print(df.specialize(0.5, 0.3, 1000).source)  # doctest: +SKIP
    """
    return compiled(g)


def vmap(f: F | None = None, in_axes: InAxes = 0, out_axes: int | None = 0, *,
         optimize: bool = True) -> Any:
    """``f`` over a batch of examples, as generated NumPy code: the batch is one more axis
    of the arrays, not a Python loop (JAX's ``vmap``).

    ``in_axes`` is the batch axis of every argument, or one per argument (``None``: the
    same for every example); ``out_axes`` that of every result. ``f`` may be a function
    s2s_ad generated: ``vmap(grad(loss), in_axes=(None, 0, 0))`` gives per-example
    gradients. A tuple, list, dict, dataclass or named tuple argument given an axis (0)
    carries the batch on axis 0 of each of its items, and so does such a result (JAX's
    pytrees); keyword arguments at the call are taken by position. The code is built for
    the shapes of one example, on the first call with them (``.specialize(*args).source``
    shows it). What no batching rule covers (an ``if`` on a value that differs across the
    batch) runs once per example in a loop of the generated code.

    >>> import numpy as np
    >>> def f(x, w):
    ...     return np.sum(np.tanh(x * w))
    >>> batched = vmap(f, in_axes=(0, None))
    >>> batched(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([1.0, 0.5]))
    array([0.46211716, 1.86917583])
    >>> print(batched.source)
    def f_vmap(x, w):
        out = np.sum(np.tanh(x * w), axis=1)
        return out
    <BLANKLINE>
    """
    if f is None:
        return functools.partial(vmap, in_axes=in_axes, out_axes=out_axes, optimize=optimize)
    return vmapped(f, in_axes, out_axes, optimize)


def stats(g: GeneratedFunction) -> Stats:
    """Op counts by kind of a generated function (``g.stats``): before and after optimizing."""
    return g.stats
