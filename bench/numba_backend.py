"""The Numba backend (``backend="numba"``) next to the Python backend, in one run.

Each row times, side by side (``timing.time_side_by_side``: interleaved repeats, CPU time),
the hand-written Python gradient (the reference, 1.00), s2s_ad's generated Python gradient
(``backend="python"``) and the same gradient compiled by Numba (``backend="numba"``), and
prints both as ratios to the hand-written one. Rows:

* the recurrence ``x = x + 0.01 sin(w x)``, T = 1,000 (``bench/workloads.py``), with its
  floor: the hand-written gradient itself compiled by ``numba.njit`` (1,000 ``sin`` and
  1,000 ``cos`` calls in a compiled loop);
* the product of θ written as a loop over an array, n = 1,000;
* the MLP losses 16→32→4 (batch 8) and 784→256→10 (batch 64) of ``bench/workloads.py``;
* seed 1, ``log(x1) + x1 x2 - sin(x2)``: a scalar function, where Numba's call overhead
  (about 0.2 µs) is larger than the work (``backend="auto"`` runs it as Python).

BLAS runs one thread (as ``bench/run.py`` does by default). Then, per function, the
compile time (the first call of ``grad(f, backend="numba")``: the
derivative built, written and compiled, in a fresh cache directory) and the start of a
second process that builds the same gradient (Numba loads the machine code from its cache;
the time of ``import numba`` and Numba's one-time start is shown apart).

    PYTHONPATH=$PWD python bench/numba_backend.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

# one BLAS thread (NumPy's OpenBLAS and SciPy's, which Numba's matmul calls), as
# bench/run.py runs by default: a shared machine gives threads unevenly
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import load_module  # noqa: E402
from timing import format_time, markdown_table, time_side_by_side  # noqa: E402
from workloads import (  # noqa: E402
    MLP,
    RECURRENCE,
    SEED01,
    _mlp_args,
    _prefix_suffix,
    mlp_hand,
    recurrence_hand,
    seed01_hand,
)

import s2s_ad  # noqa: E402

PRODUCT_ARRAY = """
def f(theta):
    p = 1.0
    for i in range(theta.shape[0]):
        p = p * theta[i]
    return p
"""


def product_array_hand(theta: np.ndarray) -> np.ndarray:
    """The gradient of the product of an array's entries: prefix and suffix products."""
    return np.array(_prefix_suffix(theta.tolist()))


def recurrence_floor(x0: float, w: float, T: int) -> tuple[float, float]:
    """The hand-written gradient as Numba compiles it (an array for the trajectory, a loop
    that counts down): 1,000 ``sin`` and 1,000 ``cos`` calls in a compiled loop."""
    dt = 0.01
    xs = np.empty(T)
    x = x0
    for t in range(T):
        xs[t] = x
        x = x + dt * math.sin(w * x)
    dx, dw = 1.0, 0.0
    for t in range(T - 1, -1, -1):
        c = dx * dt * math.cos(w * xs[t])
        dw = dw + c * xs[t]
        dx = c * w + dx
    return dx, dw


def rows(quick: bool) -> list[tuple[str, str, Any, tuple[Any, ...], tuple[int, ...], Any]]:
    """(name, source, namespace m, arguments, wrt, hand-written gradient) per row."""
    rng = np.random.default_rng(1000)
    theta = rng.uniform(0.9, 1.1, 1000)
    table = [
        ("recurrence T=1000", RECURRENCE, math, (0.5, 0.7, 1000), (0, 1), recurrence_hand),
        ("product loop over an array, n=1000", PRODUCT_ARRAY, math, (theta,), (0,),
         product_array_hand),
        ("MLP 16→32→4, batch 8", MLP, np, _mlp_args(16, 32, 4, 8), (0, 1, 2, 3), mlp_hand),
        ("MLP 784→256→10, batch 64", MLP, np, _mlp_args(784, 256, 10, 64), (0, 1, 2, 3),
         mlp_hand),
        ("seed 1 (scalar)", SEED01, math, (2.0, 5.0), (0, 1), seed01_hand),
    ]
    return table[:1] + table[2:3] + table[4:] if quick else table


def _flat(x: Any) -> np.ndarray:
    parts = x if isinstance(x, (tuple, list)) else (x,)
    return np.concatenate([np.ravel(np.asarray(p, dtype=float)) for p in parts])


def _close(a: Any, b: Any) -> bool:
    return bool(np.allclose(_flat(a), _flat(b), rtol=1e-9, atol=1e-12))


SECOND = """
import sys, time
start = time.perf_counter()
import numba
imported = time.perf_counter()
numba.njit(lambda x: x + 1.0)(1.0)  # Numba's one-time start: its target and type system
started = time.perf_counter()
sys.path.insert(0, {folder!r})
import importlib.util, math, numpy as np, s2s_ad
spec = importlib.util.spec_from_file_location("s2s_ad_bench_{name}", {path!r})
module = importlib.util.module_from_spec(spec)
module.m = {namespace}
spec.loader.exec_module(module)
args = {args}
ready = time.perf_counter()
s2s_ad.grad(module.f, wrt={wrt!r}, backend="numba")(*args)
done = time.perf_counter()
print(imported - start, started - imported, done - ready)
"""


def second_process(folder: Path, name: str, namespace: Any, args_code: str,
                   wrt: tuple[int, ...]) -> tuple[float, float, float]:
    """(import numba, Numba's start, build and first call) in a fresh process that finds the
    compiled code in the cache."""
    path = folder / f"{name}.py"
    code = SECOND.format(folder=str(folder), name=name, path=str(path),
                         namespace="np" if namespace is np else "math", args=args_code,
                         wrt=wrt)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False,
                          capture_output=True, text=True, env=os.environ)
    if done.returncode:  # (say why: the second process's own traceback)
        raise RuntimeError(f"the second process for {name} failed:\n{done.stderr}")
    a, b, c = map(float, done.stdout.split()[-3:])
    return a, b, c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three rows, fewer repeats")
    opts = parser.parse_args(argv)
    import numba

    repeats, target = (5, 0.05) if opts.quick else (15, 0.2)
    folder = Path(tempfile.mkdtemp(prefix="s2s_ad_bench_numba_"))
    os.environ["S2S_AD_CACHE"] = str(folder / "cache")  # a fresh cache: compile times
    numba.njit(lambda x: x + 1.0)(1.0)  # Numba's one-time start, not counted below
    table, compiles = [], []
    for k, (label, source, namespace, args, wrt, hand) in enumerate(rows(opts.quick)):
        name = f"row{k}"
        module = load_module(source, folder, name, namespace)
        python = s2s_ad.grad(module.f, wrt=wrt)
        compiled = s2s_ad.grad(module.f, wrt=wrt, backend="numba")
        auto = s2s_ad.grad(module.f, wrt=wrt, backend="auto")
        start = time.perf_counter()
        value = compiled(*args)
        compile_time = time.perf_counter() - start
        assert _close(value, python(*args)), label
        assert _close(value, hand(*args)), label
        calls = {"hand": (hand, args), "python": (python, args), "numba": (compiled, args),
                 "auto": (auto, args)}
        if label.startswith("recurrence"):
            floor = numba.njit(recurrence_floor)
            calls["floor"] = (floor, args)
        times = time_side_by_side(calls, repeats, target)
        base = times["hand"]["min"]
        cells = [label, format_time(base), f"{times['python']['min'] / base:.2f}",
                 f"{times['numba']['min'] / base:.2f}", f"{times['auto']['min'] / base:.2f}"]
        cells.append(f"{times['floor']['min'] / base:.2f}" if "floor" in times else "—")
        table.append(cells)
        args_code = {math: repr(args), np: ""}.get(namespace, "")
        if namespace is np:
            n_in, n_hidden = args[0].shape
            args_code = (f"__import__('workloads')._mlp_args({n_in}, {n_hidden}, "
                         f"{args[2].shape[1]}, {args[4].shape[0]})")
        elif label.startswith("product"):
            args_code = "(np.random.default_rng(1000).uniform(0.9, 1.1, 1000),)"
        os.environ["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.abspath(
            __file__)), *sys.path])
        imported, started, built = second_process(folder, name, namespace, args_code, wrt)
        compiles.append([label, f"{compile_time:.2f} s", f"{built * 1e3:.0f} ms",
                         f"{imported:.2f} s + {started:.2f} s"])
    print(markdown_table(["gradient", "hand-written Python", "python / hand", "numba / hand",
                          "auto / hand", "floor / hand"], table))
    print("\nfloor: the hand-written gradient compiled by numba.njit (the recurrence: 1,000 "
          "sin and 1,000 cos calls in a compiled loop)\n")
    print(markdown_table(["gradient", "compile (first call)", "second process (cached)",
                          "second process: import numba + Numba start"], compiles))
    print(f"\nnumba {numba.__version__}, numpy {np.__version__}, Python "
          f"{sys.version.split()[0]}; {repeats} repeats, minimum CPU time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
