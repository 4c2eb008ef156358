"""The fill-loop RNN: s2s_ad's gradient against hand-written backpropagation through time.

The loss is examples/rnn.py's, written as Tangent's RNN test writes it: a preallocated
array of hidden states, filled in a loop::

    h = np.zeros((T + 1, n))
    for t in range(T):
        h[t + 1] = np.tanh(inputs[t] @ W + h[t] @ U + b)
    return (h[T] @ v - target) ** 2

Next to it is the backpropagation a careful engineer writes: the forward pass fills ``h``
(kept whole), the backward pass walks it back, reusing ``h[t + 1]`` for tanh's derivative
(s2s_ad recomputes the step instead: its tape keeps only the row ``h[t]`` that each step
reads). For a few (T, n) one run measures side by side:

* t(hand), t(s2s_ad): CPU time per gradient call (timeit-style: ``timing.py``; minimum of
  interleaved repeats), and s2s/hand next to the issue's target, 1.3;
* peak memory of one call of each (``tracemalloc``: what the call allocates, arrays
  included), and its ratio next to the target, 1.2;
* the largest relative difference between the two gradients.

Nothing asserts on time or memory; the exit status is 1 only when s2s_ad cannot
differentiate the loss or its gradient differs from the hand-written one by more than 1e-9.

    python bench/rnn.py [--quick] [--json PATH]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from timing import markdown_table, python_line, time_side_by_side, write_json  # noqa: E402

import s2s_ad  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import rnn  # noqa: E402

SIZES = [(20, 16), (100, 64), (200, 128)]  # (T, n), with 3 inputs a step
TIME_TARGET, MEMORY_TARGET, TOLERANCE = 1.3, 1.2, 1e-9


def loss_hand(W, U, b, v, inputs, target):
    """Hand-written BPTT for ``rnn.loss``: the gradients with respect to W, U, b, v."""
    T, n = inputs.shape[0], U.shape[0]
    h = np.zeros((T + 1, n))
    for t in range(T):
        h[t + 1] = np.tanh(inputs[t] @ W + h[t] @ U + b)
    dout = 2.0 * (h[T] @ v - target)
    dv = dout * h[T]
    dh = dout * v
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    for t in range(T - 1, -1, -1):
        dz = dh * (1.0 - h[t + 1] * h[t + 1])
        dW += np.outer(inputs[t], dz)
        dU += np.outer(h[t], dz)
        db += dz
        dh = U @ dz
    return dW, dU, db, dv


def peak_bytes(fn: Any, args: tuple) -> int:
    """The most memory one call of ``fn`` holds at once, beyond what existed before."""
    fn(*args)  # (warm: caches, generated code)
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def run(repeats: int, target: float) -> list[dict[str, Any]]:
    g = s2s_ad.grad(rnn.loss, wrt=rnn.WRT)
    rows = []
    for T, n in SIZES:
        args = rnn.arguments(T=T, d=3, n=n)
        ours, hand = g(*args), loss_hand(*args)
        error = max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
                    for a, b in zip(ours, hand))
        times = time_side_by_side({"hand": (loss_hand, args), "s2s_ad": (g, args)}, repeats,
                                  target)
        memory = {"hand": peak_bytes(loss_hand, args), "s2s_ad": peak_bytes(g, args)}
        rows.append({"T": T, "n": n, "t_hand": times["hand"]["min"],
                     "t_s2s": times["s2s_ad"]["min"],
                     "ratio": times["s2s_ad"]["min"] / times["hand"]["min"],
                     "mem_hand": memory["hand"], "mem_s2s": memory["s2s_ad"],
                     "mem_ratio": memory["s2s_ad"] / memory["hand"], "max_rel_error": error})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ["T", "n", "t(hand)", "t(s2s_ad)", "s2s/hand", "target", "peak(hand)",
              "peak(s2s_ad)", "ratio", "target", "max rel error"]
    body = [[r["T"], r["n"], f"{r['t_hand'] * 1e6:.0f} µs", f"{r['t_s2s'] * 1e6:.0f} µs",
             f"{r['ratio']:.2f}", f"≤ {TIME_TARGET}", f"{r['mem_hand'] / 1024:.0f} KiB",
             f"{r['mem_s2s'] / 1024:.0f} KiB", f"{r['mem_ratio']:.2f}", f"≤ {MEMORY_TARGET}",
             f"{r['max_rel_error']:.1e}"] for r in rows]
    return markdown_table(header, body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    opts = parser.parse_args(argv)
    repeats, target = (5, 0.005) if opts.quick else (15, 0.02)
    try:
        rows = run(repeats, target)
    except s2s_ad.DifferentiationError as err:
        print(f"s2s_ad cannot differentiate the loss:\n{err}")
        return 1
    print(f"Fill-loop RNN gradient, CPU times: min of {repeats} interleaved repeats, each >= "
          f"{target} s; peak memory of one call (tracemalloc); BLAS threads: "
          f"{os.environ['OPENBLAS_NUM_THREADS']}.")
    print(python_line())
    print()
    print(table(rows))
    worst = max(r["max_rel_error"] for r in rows)
    ok = worst <= TOLERANCE
    print(f"\ns2s_ad vs hand-written: max rel error {worst:.1e} -> {'OK' if ok else 'FAIL'} "
          f"(bound {TOLERANCE:.0e}); targets reported, not asserted.")
    if opts.json:
        write_json(opts.json, {"bench": "rnn", "statistic": "min", "repeats": repeats,
                               "target_seconds": target, "python": platform.python_version(),
                               "rows": rows})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
