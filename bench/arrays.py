"""Jacobians, Hessians and per-example gradients of array functions, side by side.

Issue 17's measures, each in one run, against a hand-written NumPy version of the same
derivative and, where installed, JAX (``jax.jit`` and un-jitted) and autograd:

* the Hessian of Rosenbrock's function at n = 100 and n = 1000 (``s2s_ad.hessian``: one
  JVP of the gradient batched over the unit vectors; hand-written: the tridiagonal
  formula, vectorized);
* the Jacobian of ``tanh(W @ x)``, 100 -> 100 (forward and reverse mode; hand-written:
  ``(1 - y*y)[:, None] * W``);
* ``hvp`` against ``grad`` (the theory's bound: at most about 4 times the gradient);
* per-example gradients ``vmap(grad(loss))`` of a 784 -> 256 -> 10 MLP over a batch of 64,
  against the gradient of the batch's summed loss, a Python loop of ``grad`` over the
  examples, the floor of writing the per-example gradients at all (one ``np.einsum``
  outer product per layer: 64 x 784 x 256 floats) and, where installed, JAX's jitted
  ``vmap(grad)``, which writes as much.

It also prints the build time of each s2s_ad function (lift, transform, optimize, compile)
and checks every derivative against the hand-written one (exit status 1 if one differs).
Times are CPU time per call, ``timeit`` auto-ranged, minimum of interleaved repeats
(``timing.py``). BLAS and XLA run on one thread, as in ``run.py`` (CPU time counts every
thread), unless the environment says otherwise. Nothing asserts on time.

    python bench/arrays.py [--quick]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from timing import markdown_table, python_line, time_side_by_side  # noqa: E402

import s2s_ad  # noqa: E402


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_hessian_by_hand(x):
    """The tridiagonal Hessian of ``rosen`` (as SciPy's rosen_hess)."""
    off = -400.0 * x[:-1]
    diagonal = np.zeros_like(x)
    diagonal[0] = 1200.0 * x[0] ** 2 - 400.0 * x[1] + 2.0
    diagonal[-1] = 200.0
    diagonal[1:-1] = 202.0 + 1200.0 * x[1:-1] ** 2 - 400.0 * x[2:]
    return np.diag(diagonal) + np.diag(off, 1) + np.diag(off, -1)


def layer(W, x):
    return np.tanh(W @ x)


def layer_jacobian_by_hand(W, x):
    y = np.tanh(W @ x)
    return (1.0 - y * y)[:, None] * W


def loss(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.sum((out - y) ** 2)


def batch_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.sum((out - Y) ** 2)


def outer_floor(X, D1, H, D2):
    """What writing the per-example gradients of both weight matrices costs at least."""
    return np.einsum("ni,nj->nij", X, D1), np.einsum("ni,nj->nij", H, D2)


def _built(make: Callable[[], Any], *args: Any) -> tuple[Any, float]:
    """``make()`` and the seconds to build it and run it once on ``args``."""
    start = time.perf_counter()
    fn = make()
    fn(*args)
    return fn, time.perf_counter() - start


def _peers(kind: str) -> dict[str, Callable[..., Any]]:
    """JAX (jit and not) and autograd versions of ``kind``, where installed."""
    out: dict[str, Callable[..., Any]] = {}
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def jrosen(x):
            return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

        def jlayer(x, W):
            return jnp.tanh(W @ x)

        f = {"hessian": jax.hessian(jrosen), "jacobian": jax.jacfwd(jlayer)}[kind]
        jitted = jax.jit(f)
        # (JAX returns before it computes: wait for the result, as a caller does)
        out["jax (no jit)"] = lambda *args: f(*args).block_until_ready()
        out["jax jit"] = lambda *args: jitted(*args).block_until_ready()
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        def arosen(x):
            return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

        def alayer(x, W):
            return anp.tanh(anp.dot(W, x))

        out["autograd"] = {"hessian": autograd.hessian(arosen),
                           "jacobian": autograd.jacobian(alayer)}[kind]
    except ImportError:
        pass
    return out


def _jax_per_example() -> Callable[..., Any] | None:
    """``jax.jit(jax.vmap(jax.grad(loss)))`` of the MLP, where JAX is installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def jloss(W1, b1, W2, b2, x, y):
        h = jnp.tanh(x @ W1 + b1)
        return jnp.sum((h @ W2 + b2 - y) ** 2)

    jitted = jax.jit(jax.vmap(jax.grad(jloss, argnums=(0, 1, 2, 3)),
                              in_axes=(None,) * 4 + (0, 0)))
    return lambda *args: jax.block_until_ready(jitted(*args))


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}" if seconds < 1e-2 else f"{seconds * 1e3:,.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    opts = parser.parse_args(argv)
    repeats, target = (3, 0.02) if opts.quick else (7, 0.1)
    rng = np.random.default_rng(0)
    print(f"{python_line()}; CPU time per call, min of {repeats} interleaved repeats\n")
    rows, builds, mismatches = [], [], []

    def compare(label: str, calls: dict[str, tuple[Callable[..., Any], tuple]], ours: str,
                reference: str, goals: dict[str, str]) -> None:
        times = time_side_by_side(calls, repeats, target, star_args=True)
        base = times[ours]["min"]
        for name, timing in times.items():
            ratio = timing["min"] / base
            rows.append([label, name, _us(timing["min"]), f"{ratio:.2f}",
                         goals.get(name, "")])
        want = np.asarray(calls[reference][0](*calls[reference][1]))
        got = np.asarray(calls[ours][0](*calls[ours][1]))
        mismatches.append((label, float(np.max(np.abs(got - want))
                                         / max(1.0, float(np.max(np.abs(want)))))))

    # Rosenbrock's Hessian
    for n in (100, 1000):
        x = rng.uniform(-1.0, 1.0, n)
        hess, built = _built(lambda: s2s_ad.hessian(rosen), x)
        builds.append([f"hessian(rosen), n = {n}", f"{built:.2f} s"])
        calls = {"s2s_ad": (hess, (x,)), "by hand": (rosen_hessian_by_hand, (x,))}
        for name, peer in _peers("hessian").items():
            peer(x)  # (jit compiles here)
            calls[name] = (peer, (x,))
        goal = "s2s_ad ≤ 2 × jit" if n == 100 else "s2s_ad ≤ 4 × jit, ≥ 10 × faster than "
        if n == 1000:
            goal += "un-jitted JAX and autograd"
        compare(f"Rosenbrock Hessian, n = {n}", calls, "s2s_ad", "by hand",
                {"jax jit": goal})

    # the Jacobian of tanh(W @ x), 100 -> 100
    W, x = rng.normal(size=(100, 100)) / 10.0, rng.normal(size=100)
    for mode in ("fwd", "rev"):
        jac, built = _built(lambda mode=mode: s2s_ad.jacobian(layer, wrt="x", mode=mode), W, x)
        builds.append([f"jacobian(tanh(W @ x)), mode={mode!r}", f"{built:.2f} s"])
        calls = {"s2s_ad": (jac, (W, x)), "by hand": (layer_jacobian_by_hand, (W, x))}
        if mode == "fwd":
            for name, peer in _peers("jacobian").items():
                peer(x, W)
                calls[name] = (peer, (x, W))
        compare(f"Jacobian of tanh(W @ x), 100 → 100, {mode}", calls, "s2s_ad", "by hand",
                {"jax jit": "s2s_ad ≤ 2 × jit"})

    # hvp against grad
    x = rng.uniform(-1.0, 1.0, 1000)
    v = rng.normal(size=1000)
    g, hv = s2s_ad.grad(rosen), s2s_ad.hvp(rosen)
    times = time_side_by_side({"grad": (g, (x,)), "hvp": (hv, (x, v))}, repeats, target,
                              star_args=True)
    ratio = times["hvp"]["min"] / times["grad"]["min"]
    rows.append(["hvp vs grad, Rosenbrock n = 1000", "grad", _us(times["grad"]["min"]), "1.00",
                 ""])
    rows.append(["hvp vs grad, Rosenbrock n = 1000", "hvp", _us(times["hvp"]["min"]),
                 f"{ratio:.2f}", "≤ 4"])
    mismatches.append(("hvp", float(np.max(np.abs(hv(x, v) - rosen_hessian_by_hand(x) @ v))
                                    / np.max(np.abs(rosen_hessian_by_hand(x) @ v)))))

    # per-example gradients of an MLP
    W1, b1 = rng.normal(size=(784, 256)) / 28.0, np.zeros(256)
    W2, b2 = rng.normal(size=(256, 10)) / 16.0, np.zeros(10)
    X, Y = rng.normal(size=(64, 784)), rng.normal(size=(64, 10))
    params = (W1, b1, W2, b2)
    per_example, built = _built(
        lambda: s2s_ad.vmap(s2s_ad.grad(loss, wrt=(0, 1, 2, 3)),
                            in_axes=(None,) * 4 + (0, 0)), *params, X, Y)
    builds.append(["vmap(grad(loss)), 784 → 256 → 10, batch 64", f"{built:.2f} s"])
    batched = s2s_ad.grad(batch_loss, wrt=(0, 1, 2, 3))
    single = s2s_ad.grad(loss, wrt=(0, 1, 2, 3))

    def looped(*args):
        grads = [single(*args[:4], x, y) for x, y in zip(args[4], args[5])]
        return tuple(np.stack(parts) for parts in zip(*grads))

    H = np.tanh(X @ W1 + b1)
    floor_args = (X, rng.normal(size=(64, 256)), H, rng.normal(size=(64, 10)))
    calls = {"vmap(grad)": (per_example, (*params, X, Y)),
             "grad of the batch's loss": (batched, (*params, X, Y)),
             "loop of grad": (looped, (*params, X, Y)),
             "floor: writing them (einsum)": (outer_floor, floor_args)}
    jax_per_example = _jax_per_example()
    if jax_per_example is not None:  # the same 103 MB to write: the peer's figure
        jax_per_example(*params, X, Y)  # (compiled here, outside the timing)
        calls["jax jit(vmap(grad))"] = (jax_per_example, (*params, X, Y))
    times = time_side_by_side(calls, repeats, target, star_args=True)
    base = times["grad of the batch's loss"]["min"]
    for name, timing in times.items():
        goal = "≤ 2 × the batch's gradient" if name == "vmap(grad)" else ""
        rows.append(["per-example gradients, 784 → 256 → 10, batch 64", name,
                     _us(timing["min"]), f"{timing['min'] / base:.2f}", goal])
    ours, theirs = per_example(*params, X, Y), looped(*params, X, Y)
    mismatches.append(("vmap(grad)", max(float(np.max(np.abs(a - b))) for a, b in
                                         zip(ours, theirs))))
    mean = [part.sum(axis=0) for part in ours]
    mismatches.append(("sum of per-example = batch gradient",
                       max(float(np.max(np.abs(a - b))) for a, b in
                           zip(mean, batched(*params, X, Y)))))

    print(markdown_table(["derivative", "code", "time", "ratio", "goal"], rows,
                         align="llrrl"))
    print("\nratio: to the first row of its block (s2s_ad; the batch's gradient for the "
          "per-example rows)\n")
    print(markdown_table(["built", "seconds (first call, with the build)"], builds,
                         align="lr"))
    print()
    worst = max(m for _, m in mismatches)
    for label, m in mismatches:
        print(f"largest difference, {label}: {m:.1e}")
    if not worst <= 1e-9:
        print("MISMATCH", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
