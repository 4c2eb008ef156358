"""A loop recurrence: the cost in time and tape memory of a gradient through T iterations.

The function is one explicit-Euler integration of ``dx/dt = sin(w x)``::

    def step(x0, w, T):
        x = x0
        dt = 0.01
        for t in range(T):
            x = x + dt * math.sin(w * x)
        return x

and the gradient is ``s2s_ad.grad(step, wrt=("x0", "w"))``, for T in {100, 1000, 10000}
(``--quick``: 100 and 1000). Reverse mode runs the loop forward, pushing onto a list (the
tape) the carried values that the reversed body reads, then runs the adjoint loop backward,
popping them. Next to it is a careful hand-written gradient that does the same thing the
way a person would: it appends the trajectory to a list, then walks ``reversed(xs)``
accumulating the adjoints of ``x`` and ``w``. One run measures, side by side:

* t(f), t(grad), t(hand): time per call, and the ratios t(grad)/t(f) (target <= 4: the
  cheap-gradient principle) and t(grad)/t(hand) (1.0: as fast as a person's code);
* the tape: how many floats the generated forward loop saves per iteration, counted in the
  generated source (the values in its ``.append(`` call), and the peak memory of one
  gradient call under ``tracemalloc`` (peak minus the baseline just before the call), for
  s2s_ad's gradient and for the hand-written one, in bytes and bytes per step. A float
  saved per step costs 24 bytes (the float object) plus 8 (the list slot) and the list's
  over-allocation (about 1/8 of the slots), so one float per step shows as about 33 bytes
  per step. The slope between two T, (peak(T2) - peak(T1)) / (T2 - T1), cancels the
  constant part; at small T the figure per step is a little low, because CPython reuses
  up to 100 freed floats from its free list without asking the allocator, and tracemalloc
  does not see those;
* the gradient checked against the hand-written one (relative difference <= 1e-12) and
  against central differences (``s2s_ad.numeric.numerical_grad``, error <= 1e-6 by
  ``s2s_ad.numeric.relative_error``).

Timing is timeit-style (``timing.py``), as in ``bench/scalar.py``: warm-up, loop counts
auto-ranged so one repeat lasts at least 30 ms (10 ms with ``--quick``), 15 repeats (5) of
the three callables interleaved, and the MINIMUM over repeats as the time per call (the
median is in the JSON). All times are CPU time of this process (``time.process_time``), so
a busy machine does not inflate them. Nothing asserts on time; the only failure (exit
status 1) is a wrong gradient.

    python bench/loops.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import ast
import math
import platform
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

from timing import (
    markdown_table,
    max_relative_error,
    python_line,
    time_cells,
    time_side_by_side,
    write_json,
)
from workloads import recurrence_hand

import s2s_ad
from s2s_ad.numeric import numerical_grad, relative_error

STEPS = (100, 1000, 10000)
QUICK_STEPS = (100, 1000)
X0, W = 0.5, 0.7  # x drifts towards pi/w ~ 4.5; the gradient stays well away from 0 and inf
RATIO_TARGET = 4.0  # t(grad)/t(f)
HAND_RTOL = 1e-12
FD_TOL = 1e-6
FLOAT_BYTES = sys.getsizeof(0.0)  # 24
SLOT_BYTES = 8  # one pointer in the list


# The hand-written gradient is workloads.recurrence_hand, bench/run.py's for the same
# recurrence: it stores the trajectory, then runs the adjoint recurrence backward over it.


def step(x0, w, T):
    x = x0
    dt = 0.01
    for t in range(T):  # noqa: B007 -- the user's loop, as written in the issue
        x = x + dt * math.sin(w * x)
    return x


# ---------------------------------------------------------------------------------------
# Memory, checks.
# ---------------------------------------------------------------------------------------


def peak_bytes(fn: Callable[..., Any], args: tuple[Any, ...]) -> int:
    """Peak traced memory of one ``fn(*args)`` above the memory traced just before it."""
    fn(*args)  # warm-up: caches, lazily built code objects
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


def taped_values(source: str) -> list[tuple[str, int]]:
    """Each ``<tape>.append(...)`` call of the generated source and how many values it saves."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append" and len(node.args) == 1):
            arg = node.args[0]
            found.append((ast.unparse(node), len(arg.elts) if isinstance(arg, ast.Tuple) else 1))
    return found


def bytes_per_saved_step(floats: int) -> int:
    """Memory of one iteration's tape entry, without the list's over-allocation."""
    entry = FLOAT_BYTES * floats
    if floats > 1:  # several values are pushed as one tuple
        entry += sys.getsizeof(tuple(float(k) for k in range(floats)))
    return entry + SLOT_BYTES


def measure(g: Callable[..., Any], T: int, repeats: int, target: float) -> dict[str, Any]:
    args = (X0, W, T)
    times = time_side_by_side({"f": (step, args), "grad": (g, args),
                               "hand": (recurrence_hand, args)},
                              repeats, target, star_args=True)
    ours, hand = g(*args), recurrence_hand(*args)
    numeric = numerical_grad(step, args, wrt=("x0", "w"))
    return {
        "T": T,
        "time_f": times["f"],
        "time_grad": times["grad"],
        "time_hand": times["hand"],
        "gradient": list(ours),
        "hand_gradient": list(hand),
        "rel_vs_hand": max_relative_error(ours, hand),
        "err_vs_central": max(relative_error(a, b) for a, b in zip(ours, numeric)),
        "peak_bytes_grad": peak_bytes(g, args),
        "peak_bytes_hand": peak_bytes(recurrence_hand, args),
        "peak_bytes_f": peak_bytes(step, args),
    }


# ---------------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------------


def _bytes(n: int) -> str:
    for unit, scale in (("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def tables(rows: list[dict[str, Any]]) -> str:
    times = [[r["T"], *time_cells(r), f"{r['rel_vs_hand']:.1e}", f"{r['err_vs_central']:.1e}"]
             for r in rows]
    memory = []
    for r in rows:
        T, pg, ph = r["T"], r["peak_bytes_grad"], r["peak_bytes_hand"]
        slope = f"{r['slope_bytes_per_step']:.1f}" if "slope_bytes_per_step" in r else ""
        memory.append([T, _bytes(pg), f"{pg / T:.1f}", slope, _bytes(ph), f"{ph / T:.1f}",
                       _bytes(r["peak_bytes_f"])])
    return "\n\n".join([
        markdown_table(["T", "t(f)", "t(grad)", "t(hand)", "grad/f", "grad/hand",
                        "rel vs hand", "err vs central"], times, align="r" * 8),
        markdown_table(["T", "tape peak (grad)", "bytes/step", "slope bytes/step",
                        "tape peak (hand)", "bytes/step", "peak (f)"], memory, align="r" * 7),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"T up to {QUICK_STEPS[-1]}, fewer repeats")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    opts = parser.parse_args(argv)
    steps, repeats, target = (QUICK_STEPS, 5, 0.01) if opts.quick else (STEPS, 15, 0.03)

    g = s2s_ad.grad(step, wrt=("x0", "w"))
    appends = taped_values(g.source)
    floats = sum(k for _, k in appends)
    rows = []
    for T in steps:
        print(f"T = {T} ...", file=sys.stderr, flush=True)
        rows.append(measure(g, T, repeats, target))
    for before, row in zip(rows, rows[1:]):
        row["slope_bytes_per_step"] = ((row["peak_bytes_grad"] - before["peak_bytes_grad"])
                                       / (row["T"] - before["T"]))
    expected = bytes_per_saved_step(floats)
    slopes = [r["slope_bytes_per_step"] for r in rows[1:]]
    # 1/8 list over-allocation and a little slack; a second float per step would add 24+.
    memory_agrees = all(expected <= s <= expected * 1.25 for s in slopes)
    correct = all(r["rel_vs_hand"] <= HAND_RTOL and r["err_vs_central"] <= FD_TOL
                  for r in rows)

    print(f"Loop recurrence x = x + dt*sin(w*x), T steps, grad wrt (x0, w) at x0 = {X0}, "
          f"w = {W}. CPU times: min of {repeats} interleaved repeats, each >= {target} s.")
    print(python_line())
    print()
    print(tables(rows))
    print()
    for text, k in appends:
        print(f"tape push in the generated forward loop: `{text}` -> {k} float(s) per step")
    print(f"floats saved per step: {floats} (source); expected {expected} bytes/step "
          f"({FLOAT_BYTES} per float + {SLOT_BYTES} per list slot, plus ~1/8 over-allocation); "
          f"measured slope {', '.join(f'{s:.1f}' for s in slopes)} bytes/step: "
          f"{'agrees' if memory_agrees else 'DISAGREES'}")
    within = all(r["time_grad"]["min"] <= RATIO_TARGET * r["time_f"]["min"] for r in rows)
    print(f"t(grad)/t(f) <= {RATIO_TARGET:g}: {'yes' if within else 'NO'} (reported, not "
          f"asserted); gradient vs hand-written to {HAND_RTOL:g} rel and vs central "
          f"differences to {FD_TOL:g}: {'OK' if correct else 'FAIL'}")
    if opts.json:
        write_json(opts.json, {"bench": "loops", "statistic": "min", "repeats": repeats,
                               "target_seconds": target, "python": platform.python_version(),
                               "x0": X0, "w": W, "floats_per_step": floats,
                               "appends": [text for text, _ in appends],
                               "expected_bytes_per_step": expected, "rows": rows})
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
