"""The workloads of ``bench/run.py``: one source text each, run by every system.

Each workload is the source of a module defining ``f`` (and any helper it calls), written
against a namespace ``m`` for its elementary functions (``m.sin``, ``m.exp``, ``m.sum``).
``bench/run.py`` writes the source to a file and imports it once per system with ``m``
bound to that system's namespace: ``math`` for s2s_ad, Tangent and the function's own time
(``numpy`` for the MLP), ``autograd.numpy``, ``torch``, ``jax.numpy``, and for SymPy a small
namespace of SymPy functions. So every system differentiates the same program text.

Next to each workload is a careful hand-written gradient (the floor), the arguments, and
which of them the gradient is taken with respect to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------
# Seed scalar examples (SEED_EXAMPLES.md 1, 15, 16, 18); bench/scalar.py uses these hand grads
# ---------------------------------------------------------------------------------------

SEED01 = """
def f(x1, x2):
    return m.log(x1) + x1 * x2 - m.sin(x2)
"""


def seed01_hand(x1, x2):
    return 1.0 / x1 + x2, x1 - math.cos(x2)


SEED15 = """
def f(w0, w1, w2, x0, x1):
    return 1.0 / (1.0 + m.exp(-(w0 * x0 + w1 * x1 + w2)))
"""


def seed15_hand(w0, w1, w2, x0, x1):
    s = 1.0 / (1.0 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    ds = s * (1.0 - s)  # the compressed sigmoid gate
    return ds * x0, ds * x1, ds, ds * w0, ds * w1


SEED16 = """
def sigmoid(z):
    return 1.0 / (1.0 + m.exp(-z))


def f(x, y):
    return (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)
"""


def seed16_hand(x, y):
    sy = 1.0 / (1.0 + math.exp(-y))
    sx = 1.0 / (1.0 + math.exp(-x))
    xpy = x + y
    inv = 1.0 / (sx + xpy * xpy)
    dden = -(x + sy) * inv * inv  # d f / d denominator
    dxpy = 2.0 * xpy * dden
    return inv + dden * sx * (1.0 - sx) + dxpy, inv * sy * (1.0 - sy) + dxpy


SEED18 = """
def f(x):
    return m.sqrt(x**2 + m.exp(x**2)) + m.cos(x**2 + m.exp(x**2))
"""


def seed18_hand(x):
    xx = x * x
    e = math.exp(xx)
    u = xx + e
    return (0.5 / math.sqrt(u) - math.sin(u)) * (2.0 * x * (1.0 + e))


# ---------------------------------------------------------------------------------------
# Product of theta (seed example 2): straight-line and for-loop forms
# ---------------------------------------------------------------------------------------


def product_source(n: int, name: str = "f") -> str:
    """The straight-line product of n parameters, one statement per multiplication."""
    params = ", ".join(f"t{i}" for i in range(n))
    body = ["    p = t0"] + [f"    p = p * t{i}" for i in range(1, n)] + ["    return p"]
    return f"\ndef {name}({params}):\n" + "\n".join(body) + "\n"


PRODUCT_LOOP = """
def f(theta):
    p = 1.0
    for t in theta:
        p = p * t
    return p
"""


def _prefix_suffix(t: Any) -> list[float]:
    """d/dθk of θ0⋯θ(n-1) = (θ0⋯θ(k-1))·(θ(k+1)⋯θ(n-1)): prefix and suffix products, O(n)."""
    n = len(t)
    prefix = [1.0] * n  # prefix[k] = t0 * ... * t(k-1)
    acc = t[0]
    for k in range(1, n):
        prefix[k] = acc
        acc *= t[k]
    grads = [0.0] * n
    acc = t[n - 1]  # suffix product t(k+1) * ... * t(n-1)
    grads[n - 1] = prefix[n - 1]
    for k in range(n - 2, 0, -1):
        grads[k] = prefix[k] * acc
        acc *= t[k]
    grads[0] = acc
    return grads


def product_hand(*t: float) -> tuple[float, ...]:
    """The gradient of the straight-line product: a tuple, one partial per parameter."""
    return tuple(_prefix_suffix(t))


def product_loop_hand(theta: list[float]) -> list[float]:
    """The gradient of the for-loop product over a list: a list."""
    return _prefix_suffix(theta)


def _thetas(n: int) -> list[float]:
    """Factors near 1 (so the product neither overflows nor underflows), fixed per n."""
    rng = np.random.default_rng(n)
    return [float(v) for v in rng.uniform(0.9, 1.1, n)]


# ---------------------------------------------------------------------------------------
# The recurrence x = x + dt sin(w x) (bench/loops.py uses this hand gradient too)
# ---------------------------------------------------------------------------------------

RECURRENCE = """
def f(x0, w, T):
    x = x0
    dt = 0.01
    for t in range(T):
        x = x + dt * m.sin(w * x)
    return x
"""

# What a JAX user would write for a long loop: lax.fori_loop compiles the body once.
RECURRENCE_FORI = """
def f(x0, w, T):
    return lax.fori_loop(0, T, lambda t, x: x + 0.01 * m.sin(w * x), x0)
"""


def recurrence_hand(x0, w, T):
    """Store the trajectory, then run the adjoint recurrence backward over it."""
    dt = 0.01
    xs = []
    x = x0
    for _ in range(T):
        xs.append(x)
        x = x + dt * math.sin(w * x)
    dx, dw = 1.0, 0.0
    for x in reversed(xs):  # d(x + dt sin(w x)) = (1 + c w) dx + c x dw, c = dt cos(w x)
        c = dx * dt * math.cos(w * x)
        dw = dw + c * x
        dx = c * w + dx
    return dx, dw


# ---------------------------------------------------------------------------------------
# MLP loss (seed example 19): f_i = σ(A f_{i-1} + b), loss ‖y - f_K‖², a batch at a time
# ---------------------------------------------------------------------------------------

MLP = """
def f(W1, b1, W2, b2, X, Y):
    h = 1.0 / (1.0 + m.exp(-(X @ W1 + b1)))
    out = 1.0 / (1.0 + m.exp(-(h @ W2 + b2)))
    r = Y - out
    return m.sum(r * r)
"""


def mlp_hand(W1, b1, W2, b2, X, Y):
    h = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
    out = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
    dz2 = -2.0 * (Y - out) * out * (1.0 - out)
    dz1 = (dz2 @ W2.T) * h * (1.0 - h)
    return X.T @ dz1, dz1.sum(axis=0), h.T @ dz2, dz2.sum(axis=0)


def _mlp_args(n_in: int, n_hidden: int, n_out: int, batch: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(n_in * 1000 + n_hidden)
    W1 = rng.normal(0.0, 1.0 / math.sqrt(n_in), (n_in, n_hidden))
    b1 = rng.normal(0.0, 0.1, n_hidden)
    W2 = rng.normal(0.0, 1.0 / math.sqrt(n_hidden), (n_hidden, n_out))
    b2 = rng.normal(0.0, 0.1, n_out)
    X = rng.uniform(0.0, 1.0, (batch, n_in))
    Y = np.eye(n_out)[rng.integers(0, n_out, batch)]
    return W1, b1, W2, b2, X, Y


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------

SYMPY_RECURRENCE = ("derivation grows exponentially with T (x appears twice per step: T = 10 "
                    "takes about 1 s here, T = 15 about 50 s); T = 1000 would take far over a "
                    "minute")
SYMPY_ARRAYS = "not attempted: 203,530 parameters, each a SymPy symbol; far over a minute"
JAX_PRODUCT = ("not attempted: XLA's compile time grows about as n³ for this program (measured "
               "here: n = 100 takes 9 s, 200 takes 37 s, 300 takes 117 s); n = 1000 would take "
               "about an hour")
JAX_UNROLLED = ("not in --quick: jit unrolls the 1000 iterations and compiles for about "
                "30 s; the full run measures it")
JAX_COMPILE_QUICK = "not in --quick: compiles for about 10 s; the full run measures it"


@dataclass(frozen=True)
class Workload:
    """One row group of the results: a program, its arguments and its hand gradient."""

    name: str
    title: str
    source: str
    args: Callable[[], tuple[Any, ...]]
    wrt: tuple[int, ...]
    hand: Callable[..., Any]
    arrays: bool = False  # NumPy code: m is numpy, not math
    static: tuple[int, ...] = ()  # integer arguments (loop counts): static under jax.jit
    variants: dict[str, str] = field(default_factory=dict)  # system -> other source
    skip: dict[str, str] = field(default_factory=dict)  # system -> why it is not run
    quick_skip: dict[str, str] = field(default_factory=dict)  # the same, with --quick only


def _product_skips(n: int) -> dict[str, Any]:
    if n >= 1000:
        return {"skip": {"jax_jit": JAX_PRODUCT}}
    if n >= 100:
        return {"quick_skip": {"jax_jit": JAX_COMPILE_QUICK}}
    return {}


def _product(n: int) -> Workload:
    return Workload(f"prod{n}", f"product of θ, straight line, n = {n}", product_source(n),
                    lambda: tuple(_thetas(n)), tuple(range(n)), product_hand,
                    **_product_skips(n))


def _product_loop(n: int) -> Workload:
    return Workload(f"prodloop{n}", f"product of θ, for loop over a list, n = {n}",
                    PRODUCT_LOOP, lambda: (_thetas(n),), (0,), product_loop_hand,
                    **_product_skips(n))


def _mlp(n_in: int, n_hidden: int, n_out: int, batch: int, **kw: Any) -> Workload:
    return Workload(f"mlp{n_in}", f"MLP loss {n_in}→{n_hidden}→{n_out}, batch {batch}", MLP,
                    lambda: _mlp_args(n_in, n_hidden, n_out, batch), (0, 1, 2, 3), mlp_hand,
                    arrays=True, **kw)


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("seed1", "seed 1: log(x1) + x1 x2 - sin(x2)", SEED01, lambda: (2.0, 5.0), (0, 1),
             seed01_hand),
    Workload("seed15", "seed 15: sigmoid neuron", SEED15,
             lambda: (2.0, -3.0, -3.0, -1.0, -2.0), (0, 1, 2, 3, 4), seed15_hand),
    Workload("seed16", "seed 16: (x + σ(y)) / (σ(x) + (x + y)²)", SEED16, lambda: (3.0, -4.0),
             (0, 1), seed16_hand),
    Workload("seed18", "seed 18: sqrt(x² + exp(x²)) + cos(x² + exp(x²))", SEED18,
             lambda: (0.7,), (0,), seed18_hand),
    _product(10),
    _product(100),
    _product(1000),
    _product_loop(10),
    _product_loop(100),
    _product_loop(1000),
    Workload("recurrence", "recurrence x = x + dt sin(w x), T = 1000, d/d(x0, w)", RECURRENCE,
             lambda: (0.5, 0.7, 1000), (0, 1), recurrence_hand, static=(2,),
             variants={"jax_fori": RECURRENCE_FORI}, skip={"sympy": SYMPY_RECURRENCE},
             quick_skip={"jax_jit": JAX_UNROLLED}),
    _mlp(784, 256, 10, 64, skip={"sympy": SYMPY_ARRAYS}),
    _mlp(16, 32, 4, 8),
]}

QUICK = ("seed1", "seed16", "prod10", "prod100", "prodloop10", "recurrence", "mlp16")
