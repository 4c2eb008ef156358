"""Scalar seed examples: the function, s2s_ad's gradient and a hand-written gradient, timed.

For each scalar seed example of SEED_EXAMPLES.md (1, 12, 13, 15, 16, 18, 20) this file
defines the function as a person would write it and, next to it, a careful hand-written
gradient (``math`` module, shared subexpressions computed once). One run measures, side by
side:

* t(f), t(grad), t(hand): time per call of the function, of ``s2s_ad.grad(f, wrt=...)``
  and of the hand-written gradient;
* the ratios t(grad)/t(f) (the cheap-gradient principle says a small constant) and
  t(grad)/t(hand) (1.0 means as fast as a person's code);
* the largest relative difference between s2s_ad's and the hand-written gradient, at the seed
  point and at 20 random points within +-0.5 of it (must be <= 1e-12);
* the transform time: building ``grad(f)`` from scratch (parse, IR, adjoint, optimize,
  compile), on a fresh function object each time so the cache never answers.

Timing is timeit-style (``timing.py``, shared by the bench scripts): each callable is
warmed up, the loop count is auto-ranged so one repeat lasts at least 20 ms (10 ms with
``--quick``), then 25 repeats (5) of the three callables are interleaved (f, grad, hand, f,
grad, hand, ...) so drift hits all three alike. The reported time per call is the MINIMUM
over repeats: the least noisy estimate of the cost of deterministic code, and the one that
best survives a busy machine (many short repeats give it many chances to run undisturbed).
The median is in the JSON output too. Times include timeit's loop overhead (about 10 ns per
call), the same for all three columns. Each call is the statement ``fn(a, b)`` with the
arguments in local variables, as timeit's setup binds them. All times are CPU time of this
process (``time.process_time``), so other processes on a busy machine do not inflate them;
for this single-threaded code on an idle machine it is the wall time.

Nothing here asserts on time. The only failure is a gradient mismatch (exit status 1).

    python bench/scalar.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from timing import (
    fresh,
    markdown_table,
    max_relative_error,
    python_line,
    time_side_by_side,
    write_json,
)
from workloads import seed01_hand, seed15_hand, seed16_hand, seed18_hand

import s2s_ad

# ---------------------------------------------------------------------------------------
# The seed functions, each with its hand-written gradient. Seeds 1, 15, 16 and 18 are
# bench/run.py's workloads too, written there as source texts for every system; their
# hand-written gradients are shared from workloads.py.
# ---------------------------------------------------------------------------------------


def seed01(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def seed12(a, b):
    return (a + b) * (b + 1)


def seed12_hand(a, b):
    c = b + 1.0
    return c, a + b + c  # d/db: (b + 1) + (a + b)


def seed13(x, y, z):
    return (x + y) * z


def seed13_hand(x, y, z):
    return z, z, x + y


def seed15(w0, w1, w2, x0, x1):
    return 1.0 / (1.0 + math.exp(-(w0 * x0 + w1 * x1 + w2)))


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def seed16(x, y):
    return (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)


def seed18(x):
    return math.sqrt(x**2 + math.exp(x**2)) + math.cos(x**2 + math.exp(x**2))


def seed20(x):
    return math.exp(x) + x * x


def seed20_hand(x):
    return math.exp(x) + 2.0 * x


@dataclass(frozen=True)
class Case:
    seed: str
    formula: str
    fn: Callable[..., float]
    hand: Callable[..., Any]
    wrt: int | tuple[int, ...]
    point: tuple[float, ...]


CASES = [
    Case("1", "log(x1) + x1*x2 - sin(x2)", seed01, seed01_hand, (0, 1), (2.0, 5.0)),
    Case("12", "(a + b) * (b + 1)", seed12, seed12_hand, (0, 1), (2.0, 1.0)),
    Case("13", "(x + y) * z", seed13, seed13_hand, (0, 1, 2), (-2.0, 5.0, -4.0)),
    Case("15", "1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))", seed15, seed15_hand,
         (0, 1, 2, 3, 4), (2.0, -3.0, -3.0, -1.0, -2.0)),
    Case("16", "(x + σ(y)) / (σ(x) + (x + y)²)", seed16, seed16_hand, (0, 1), (3.0, -4.0)),
    Case("18", "sqrt(x² + exp(x²)) + cos(x² + exp(x²))", seed18, seed18_hand, 0, (0.7,)),
    Case("20", "exp(x) + x*x", seed20, seed20_hand, 0, (2.0,)),
]

# ---------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------


def transform_time(case: Case, repeats: int) -> dict[str, float]:
    """Seconds to build ``grad(f)`` from scratch: min and median over ``repeats`` builds."""
    samples = []
    for _ in range(repeats + 1):  # the first build warms imports and linecache up
        f = fresh(case.fn)
        start = time.process_time()
        s2s_ad.grad(f, wrt=case.wrt)
        samples.append(time.process_time() - start)
    samples = samples[1:]
    return {"min": min(samples), "median": statistics.median(samples)}


def _as_tuple(x: Any) -> tuple[float, ...]:
    return x if isinstance(x, tuple) else (x,)


def worst_relative_error(g: Callable[..., Any], case: Case, points: int) -> float:
    """Largest |s2s - hand| / max(|s2s|, |hand|) over the components, at the seed point and
    at ``points`` random points within +-0.5 of it."""
    rng = random.Random(f"s2s_ad bench {case.seed}")
    at = [case.point] + [tuple(a + rng.uniform(-0.5, 0.5) for a in case.point)
                         for _ in range(points)]
    return max(max_relative_error(_as_tuple(g(*args)), _as_tuple(case.hand(*args)))
               for args in at)


def run(repeats: int, target: float, build_repeats: int) -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        g = s2s_ad.grad(case.fn, wrt=case.wrt)
        args = case.point
        times = time_side_by_side({"f": (case.fn, args), "grad": (g, args),
                                   "hand": (case.hand, args)}, repeats, target)
        rows.append({
            "seed": case.seed,
            "formula": case.formula,
            "time_f": times["f"],
            "time_grad": times["grad"],
            "time_hand": times["hand"],
            "grad_over_f": times["grad"]["min"] / times["f"]["min"],
            "grad_over_hand": times["grad"]["min"] / times["hand"]["min"],
            "max_rel_error": worst_relative_error(g, case, points=20),
            "transform": transform_time(case, build_repeats),
            "ops_f": g.stats.function.total,
            "ops_unoptimized": g.stats.unoptimized.total,
            "ops_grad": g.stats.optimized.total,
        })
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ["seed", "f", "t(f) ns", "t(grad) ns", "t(hand) ns", "grad/f", "grad/hand",
              "max rel err", "ops f / raw / grad", "transform ms"]
    return markdown_table(header, [
        [r["seed"], f"`{r['formula']}`", f"{r['time_f']['min'] * 1e9:.0f}",
         f"{r['time_grad']['min'] * 1e9:.0f}", f"{r['time_hand']['min'] * 1e9:.0f}",
         f"{r['grad_over_f']:.2f}", f"{r['grad_over_hand']:.2f}", f"{r['max_rel_error']:.1e}",
         f"{r['ops_f']} / {r['ops_unoptimized']} / {r['ops_grad']}",
         f"{r['transform']['min'] * 1e3:.2f}"]
        for r in rows], align="llrrrrrrrr")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    opts = parser.parse_args(argv)
    repeats, target, build_repeats = (5, 0.01, 3) if opts.quick else (25, 0.02, 10)

    rows = run(repeats, target, build_repeats)
    print(f"Scalar seed examples, CPU times: min of {repeats} interleaved repeats, "
          f"each >= {target} s (auto-ranged loops); transform = min of {build_repeats} "
          f"fresh builds.")
    print(python_line())
    print()
    print(table(rows))
    print()
    print("ops f / raw / grad: op counts of the function, of the unoptimized adjoint and of "
          "the optimized gradient (constants not counted).")
    worst = max(r["max_rel_error"] for r in rows)
    ok = worst <= 1e-12
    print(f"gradient check vs hand-written (seed point + 20 random points): max rel error "
          f"{worst:.1e} -> {'OK' if ok else 'FAIL'} (bound 1e-12)")
    if opts.json:
        write_json(opts.json, {"bench": "scalar", "statistic": "min", "repeats": repeats,
                               "target_seconds": target, "build_repeats": build_repeats,
                               "python": platform.python_version(), "rows": rows})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
