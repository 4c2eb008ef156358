"""Writes into a list in a loop: the gradient's cost as the list grows (issue 18).

The function smooths a list it copies, item by item, each item reading the one before::

    def smooth(xs, w):
        ys = list(xs)
        for i in range(1, len(ys)):
            ys[i] = math.sin(ys[i - 1] * w) + ys[i]
        return sum(ys)

and the gradient is ``s2s_ad.grad(smooth, wrt=(0, 1))`` for a list of n floats. Its code is
the shape-generic one (a list's length is not part of what code is specialized to), so
each write goes through the adjoint of the whole list. Before the fix, each step copied
the list in the forward loop (the tape kept each version) and made, copied and merged a
list of adjoints in the backward loop: time grew as n², and a list of 2,000 took seconds.
Now a write is O(1) in both sweeps, in place. Next to it is a hand-written gradient
(one list of adjoints, walked backward). One run prints, side by side, t(f), t(grad),
t(hand), grad/f and grad/hand per n, and the growth t(grad, n) / t(grad, n/2): 2 for
linear time, 4 for quadratic. The gradient is checked against the hand-written one.
Nothing asserts on time; the only failure (exit status 1) is a wrong gradient.

    python bench/list_writes.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import math
import sys

from timing import (
    markdown_table,
    max_relative_error,
    python_line,
    time_cells,
    time_side_by_side,
    write_json,
)

import s2s_ad


def smooth(xs, w):
    ys = list(xs)
    for i in range(1, len(ys)):
        ys[i] = math.sin(ys[i - 1] * w) + ys[i]
    return sum(ys)


def smooth_hand(xs, w):
    """The gradient as a person writes it: one list of adjoints, walked backward (ys[i - 1]
    is never written after step i, so the final list holds what step i read)."""
    ys = list(xs)
    n = len(ys)
    for i in range(1, n):
        ys[i] = math.sin(ys[i - 1] * w) + ys[i]
    dys = [1.0] * n
    dw = 0.0
    for i in range(n - 1, 0, -1):
        c = math.cos(ys[i - 1] * w) * dys[i]
        dys[i - 1] += c * w
        dw += c * ys[i - 1]
    return dys, dw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 500, 1000; fewer repeats")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    sizes = (500, 1000) if args.quick else (500, 1000, 2000, 4000)
    repeats, target = (5, 0.01) if args.quick else (15, 0.03)
    grad = s2s_ad.grad(smooth, wrt=(0, 1))
    rows, results, ok, before = [], [], True, None
    for n in sizes:
        xs = [0.001 * k for k in range(n)]
        ours, hand = grad(xs, 0.7), smooth_hand(xs, 0.7)
        error = max_relative_error([*ours[0], ours[1]], [*hand[0], hand[1]])
        ok = ok and error <= 1e-12
        times = time_side_by_side({"time_f": (smooth, (xs, 0.7)), "time_grad": (grad, (xs, 0.7)),
                                   "time_hand": (smooth_hand, (xs, 0.7))}, repeats, target,
                                  budget=5.0)
        row = {"n": n, **times, "error": error}
        growth = "" if before is None else f"{times['time_grad']['min'] / before:.2f}"
        before = times["time_grad"]["min"]
        rows.append([n, *time_cells(row), growth, f"{error:.1e}"])
        results.append(row)
    print(f"writes into a list in a loop, shape-generic code ({python_line()})\n")
    print(markdown_table(["n", "t(f)", "t(grad)", "t(hand)", "grad/f", "grad/hand",
                          "t(grad) / t(grad, n/2)", "error vs hand"], rows))
    if args.json:
        write_json(args.json, {"rows": results})
    if not ok:
        print("a gradient differs from the hand-written one", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
