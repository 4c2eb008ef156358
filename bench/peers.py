"""The systems ``bench/run.py`` compares: how each one turns a workload into a gradient call.

Every system gets the workload's source, imported from a file of its own with ``m`` bound to
its namespace (see ``workloads.py``), and returns a :class:`Cell`: the callable that is
timed, the arguments it is timed on, and the one-time cost of building it (s2s_ad's
transform, JAX's trace + compile, Tangent's generation, SymPy's derivation). A system that
is not installed, or that cannot handle a workload, gives a cell with a note and no
callable: skipped, never a failure.

Conventions, the same for every system:

* the arguments are the workload's: Python floats, a list of floats, NumPy arrays. What a
  system needs to turn them into its own values happens inside the timed call (PyTorch
  makes leaf tensors from floats or wraps arrays with ``torch.from_numpy``); the constant,
  non-differentiated arrays (the MLP's X and Y) are converted once, outside. JAX gets its
  arrays as JAX arrays, converted once, outside; floats stay floats;
* each call returns the gradient in the system's own types; JAX calls end in
  ``jax.block_until_ready`` (JAX dispatches asynchronously);
* every library runs with its defaults; float64 everywhere (``jax_enable_x64``).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import signal
import statistics
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from timing import fresh
from workloads import Workload

# Tangent keeps generated gradients in a disk cache by default; the generation time must
# be measured, not read back from disk. Set before tangent is imported.
os.environ.setdefault("TANGENT_DISK_CACHE", "0")


@dataclass
class Cell:
    """One (workload, system) pair: the timed callable, or why there is none."""

    system: str
    call: Callable[..., Any] | None = None
    args: tuple[Any, ...] = ()
    setup: dict[str, Any] | None = None  # {"kind", "min", "median", "builds"} in seconds
    status: str = "ok"  # ok | skipped | n/a | failed
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class OverBudget(Exception):
    """A one-time build ran past its time budget."""


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Raise :class:`OverBudget` in this (main) thread if the block runs over ``seconds``.

    SIGALRM interrupts Python code (SymPy, Tangent); a long C call (XLA's compiler) is
    interrupted when it returns to Python.
    """
    def _alarm(signum: int, frame: Any) -> None:
        raise OverBudget(f"over the {seconds:.0f} s budget")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_module(source: str, folder: Path, name: str, namespace: Any,
                extra: dict[str, Any] | None = None) -> types.ModuleType:
    """Import ``source`` from ``folder/name.py`` with ``m`` (and ``extra``) as globals.

    A real file, so ``inspect.getsource`` (s2s_ad, Tangent) reads it.
    """
    path = folder / f"{name}.py"
    path.write_text(f"# workload for bench/run.py; m = {getattr(namespace, '__name__', '?')}\n"
                    + source)
    spec = importlib.util.spec_from_file_location(f"s2s_ad_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    module.m = namespace
    for key, value in (extra or {}).items():
        setattr(module, key, value)
    spec.loader.exec_module(module)
    return module


def timed_builds(build: Callable[[], Any], builds: int, seconds: float,
                 kind: str) -> tuple[Any, dict[str, Any]]:
    """Run ``build`` up to ``builds`` times (CPU time, each under the budget); the last result.

    Builds after the first stop once 10 s have been spent: one slow build is enough.
    """
    cpu: list[float] = []
    wall: list[float] = []
    result = None
    for _ in range(builds):
        if sum(cpu) > 10.0:
            break
        with budget(seconds):
            w0, c0 = time.perf_counter(), time.process_time()
            result = build()
            c1, w1 = time.process_time(), time.perf_counter()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
    return result, {"kind": kind, "min": min(cpu), "median": statistics.median(cpu),
                    "wall_min": min(wall), "builds": len(cpu)}


@dataclass(frozen=True)
class Options:
    """How hard to try: build repeats and the time budget of one build."""

    folder: Path
    s2s_builds: int = 10
    peer_builds: int = 3
    build_budget: float = 60.0
    threads: int = 1


# ---------------------------------------------------------------------------------------
# The systems
# ---------------------------------------------------------------------------------------


def plain_namespace(wl: Workload) -> Any:
    return np if wl.arrays else math


def hand(wl: Workload, opts: Options) -> Cell:
    return Cell("hand", wl.hand, wl.args())


def s2s(wl: Workload, opts: Options) -> Cell:
    import s2s_ad
    from s2s_ad.errors import DifferentiationError

    f = load_module(wl.source, opts.folder, f"{wl.name}_s2s_ad", plain_namespace(wl)).f
    args = wl.args()

    def build() -> Any:
        g = s2s_ad.grad(fresh(f), wrt=wl.wrt)
        if hasattr(g, "specialize"):  # array code is generated at the first call: count it
            g.specialize(*args)
        return g

    try:
        g, setup = timed_builds(build, opts.s2s_builds, opts.build_budget, "transform")
    except DifferentiationError as err:
        first = re.sub(r"^.*?:\d+:\d+: ", "", str(err).splitlines()[0])  # no temp path
        return Cell("s2s_ad", status="failed", note=first)
    ops = g.stats
    return Cell("s2s_ad", g, args, setup,
                extra={"ops_f": ops.function.total, "ops_raw": ops.unoptimized.total,
                       "ops_grad": ops.optimized.total})


def autograd_(wl: Workload, opts: Options) -> Cell:
    import autograd
    import autograd.numpy as anp

    f = load_module(wl.source, opts.folder, f"{wl.name}_autograd", anp).f
    return Cell("autograd", autograd.grad(f, argnum=wl.wrt), wl.args())


def torch_(wl: Workload, opts: Options) -> Cell:
    import torch

    torch.set_num_threads(opts.threads)
    f = load_module(wl.source, opts.folder, f"{wl.name}_torch", torch).f
    args = list(wl.args())
    for i, a in enumerate(args):  # constant arrays: converted once
        if i not in wl.wrt and isinstance(a, np.ndarray):
            args[i] = torch.from_numpy(a)
    wrt = wl.wrt
    f64 = torch.float64
    tensor, from_numpy, autograd_grad = torch.tensor, torch.from_numpy, torch.autograd.grad

    def leaf(a: Any) -> Any:
        if isinstance(a, np.ndarray):
            return from_numpy(a).requires_grad_()
        return tensor(a, dtype=f64, requires_grad=True)

    def torch_grad(*args: Any) -> Any:
        args = list(args)
        leaves = []
        for i in wrt:
            a = args[i]
            if isinstance(a, list):
                args[i] = [leaf(v) for v in a]
                leaves.extend(args[i])
            else:
                args[i] = leaf(a)
                leaves.append(args[i])
        return autograd_grad(f(*args), leaves)

    return Cell("torch", torch_grad, tuple(args))


def _jax() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_args(wl: Workload) -> tuple[Any, ...]:
    import jax.numpy as jnp

    return tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in wl.args())


def jax_eager(wl: Workload, opts: Options) -> Cell:
    jax = _jax()
    f = load_module(wl.source, opts.folder, f"{wl.name}_jax", jax.numpy).f
    g = jax.grad(f, argnums=wl.wrt)
    block = jax.block_until_ready
    return Cell("jax", lambda *a: block(g(*a)), _jax_args(wl))


def _jax_jit(wl: Workload, opts: Options, system: str, source: str) -> Cell:
    jax = _jax()
    f = load_module(source, opts.folder, f"{wl.name}_{system}", jax.numpy,
                    {"lax": jax.lax}).f
    args = _jax_args(wl)
    block = jax.block_until_ready

    def build() -> Any:  # trace + lower + compile happen on the first call
        jax.clear_caches()
        jg = jax.jit(jax.grad(fresh(f), argnums=wl.wrt), static_argnums=wl.static)
        block(jg(*args))
        return jg

    jg, setup = timed_builds(build, opts.peer_builds, opts.build_budget, "jit compile")
    return Cell(system, lambda *a: block(jg(*a)), args, setup)


def jax_jit(wl: Workload, opts: Options) -> Cell:
    return _jax_jit(wl, opts, "jax_jit", wl.source)


def jax_fori(wl: Workload, opts: Options) -> Cell:
    return _jax_jit(wl, opts, "jax_fori", wl.variants["jax_fori"])


def tangent_(wl: Workload, opts: Options) -> Cell:
    import tangent
    import tangent_math  # noqa: F401 -- registers Tangent adjoints for math.sin, ...
    from tangent import function_cache

    # math in the module too: the registered templates are inlined as `math.cos(x)`.
    f = load_module(wl.source, opts.folder, f"{wl.name}_tangent", plain_namespace(wl),
                    {"math": math}).f

    def build() -> Any:
        function_cache.clear_cache()
        return tangent.grad(fresh(f), wrt=wl.wrt)

    g, setup = timed_builds(build, opts.peer_builds, opts.build_budget, "generation")
    return Cell("tangent", g, wl.args(), setup)


class SympyNamespace:
    """``m`` for SymPy: SymPy's functions, applied element by element to object arrays."""

    __name__ = "sympy (element-wise)"

    def __init__(self) -> None:
        import sympy

        for name in ("sin", "cos", "exp", "log", "sqrt"):
            setattr(self, name, self._elementwise(getattr(sympy, name)))
        self._add = sympy.Add

    @staticmethod
    def _elementwise(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        vectorized = np.vectorize(fn, otypes=[object])
        return lambda x: vectorized(x) if isinstance(x, np.ndarray) else fn(x)

    def sum(self, x: Any) -> Any:
        return self._add(*np.ravel(x)) if isinstance(x, np.ndarray) else x


def sympy_(wl: Workload, opts: Options) -> Cell:
    import sympy

    f = load_module(wl.source, opts.folder, f"{wl.name}_sympy", SympyNamespace()).f
    args = wl.args()

    def build() -> Any:
        symbolic, flat = list(args), []
        for i in wl.wrt:
            a = args[i]
            if isinstance(a, np.ndarray):
                syms = np.array(sympy.symbols(f"a{i}_0:{a.size}"), dtype=object)
                symbolic[i] = syms.reshape(a.shape)
                flat.extend(syms)
            elif isinstance(a, list):
                symbolic[i] = list(sympy.symbols(f"a{i}_0:{len(a)}"))
                flat.extend(symbolic[i])
            else:
                symbolic[i] = sympy.Symbol(f"a{i}")
                flat.append(symbolic[i])
        expr = f(*symbolic)
        grads = [sympy.diff(expr, s) for s in flat]
        return sympy.lambdify(flat, grads, modules="math", cse=True)

    try:
        fn, setup = timed_builds(build, 1, opts.build_budget, "derivation")
    finally:
        sympy.core.cache.clear_cache()  # SymPy's expression cache: no load on the timings
    if all(isinstance(args[i], float) for i in wl.wrt) and len(wl.wrt) == len(args):
        return Cell("sympy", fn, args, setup)  # the generated function takes f's arguments
    wrt = wl.wrt

    def sympy_grad(*args: Any) -> Any:  # the gradient takes the flat list of wrt scalars
        flat = []
        for i in wrt:
            a = args[i]
            if isinstance(a, np.ndarray):
                flat.extend(a.ravel().tolist())
            elif isinstance(a, list):
                flat.extend(a)
            else:
                flat.append(a)
        return fn(*flat)

    return Cell("sympy", sympy_grad, args, setup)


@dataclass(frozen=True)
class System:
    key: str
    label: str
    module: str | None  # what must import for the system to run (None: always)
    prepare: Callable[[Workload, Options], Cell]
    applies: Callable[[Workload], bool] = lambda wl: True  # noqa: E731


SYSTEMS: dict[str, System] = {s.key: s for s in [
    System("hand", "hand-written", None, hand),
    System("s2s_ad", "s2s_ad", "s2s_ad", s2s),
    System("autograd", "autograd", "autograd", autograd_),
    System("torch", "PyTorch eager", "torch", torch_),
    System("jax_jit", "JAX jit(grad)", "jax", jax_jit),
    System("jax_fori", "JAX jit(grad), lax.fori_loop", "jax", jax_fori,
           lambda wl: "jax_fori" in wl.variants),
    System("jax", "JAX grad (no jit)", "jax", jax_eager),
    System("tangent", "Tangent (tangent-ad)", "tangent", tangent_),
    System("sympy", "SymPy lambdify", "sympy", sympy_),
]}


def availability(key: str) -> str | None:
    """None if the system's module imports, else why not (the exception, one line)."""
    module = SYSTEMS[key].module
    if module is None:
        return None
    try:
        importlib.import_module(module)
    except Exception as err:  # ImportError, and whatever a broken install raises
        return f"{module} does not import: {type(err).__name__}: {str(err).splitlines()[0]}"
    return None


def warm_up(key: str, opts: Options) -> None:
    """Pay each system's first-use costs (XLA's backend, imports) before anything is timed."""
    tiny = Workload("warmup", "", "\ndef f(x, y):\n    return m.sin(x) * y\n", lambda: (0.5, 2.0),
                    (0, 1), lambda x, y: (math.cos(x) * y, math.sin(x)))
    if not SYSTEMS[key].applies(tiny):
        return
    cell = SYSTEMS[key].prepare(tiny, Options(opts.folder, 1, 1, opts.build_budget,
                                              opts.threads))
    if cell.call is not None:
        cell.call(*cell.args)
