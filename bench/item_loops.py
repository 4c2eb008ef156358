"""Loops that read a list or a float vector item by item: the Python backend's gradient next
to the hand-written one, side by side in one process.

The product of θ as a loop, two ways (``bench/workloads.py``'s ``PRODUCT_LOOP`` over a list
of floats, and ``bench/numba_backend.py``'s ``PRODUCT_ARRAY``, ``p = p * theta[i]`` over a
float64 array), for n = 10, 100, 1000. Per row, timed side by side
(``timing.time_side_by_side``: interleaved repeats, CPU time, the minimum):

* hand: the hand-written O(n) prefix/suffix gradient (``_prefix_suffix``; for the array,
  on ``theta.tolist()``, then ``np.array``);
* grad: ``s2s_ad.grad(f)`` as a user calls it (the dispatch on the argument's kind
  included: a list's item types are read on every call);
* code: the code specialized to that kind of argument alone
  (``grad(f).specialize(theta)``, what ``.source`` shows), without the dispatch;

as ratios to hand, and the largest relative difference of the gradients (1e-12 or a wrong
gradient gives exit status 1).

    PYTHONPATH=$PWD python bench/item_loops.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from numba_backend import PRODUCT_ARRAY, product_array_hand  # noqa: E402
from peers import load_module  # noqa: E402
from timing import (  # noqa: E402
    format_time,
    markdown_table,
    max_relative_error,
    python_line,
    time_side_by_side,
)
from workloads import PRODUCT_LOOP, _prefix_suffix, _thetas  # noqa: E402

import s2s_ad  # noqa: E402

SIZES = (10, 100, 1000)


def measure(label: str, f: Any, hand: Any, theta: Any, repeats: int,
            target: float) -> list[Any]:
    g = s2s_ad.grad(f)
    code = g.specialize(theta)
    times = time_side_by_side({"hand": (hand, (theta,)), "grad": (g, (theta,)),
                               "code": (code, (theta,))}, repeats, target)
    error = max_relative_error(list(g(theta)), list(hand(theta)))
    hand_time = times["hand"]["min"]
    return [label, len(theta), format_time(hand_time),
            f"{times['grad']['min'] / hand_time:.2f}", f"{times['code']['min'] / hand_time:.2f}",
            f"{error:.1e}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    opts = parser.parse_args(argv)
    repeats, target = (5, 0.005) if opts.quick else (15, 0.02)
    folder = Path(tempfile.mkdtemp(prefix="s2s_ad_item_loops_"))
    listed = load_module(PRODUCT_LOOP, folder, "item_loops_list", math).f
    indexed = load_module(PRODUCT_ARRAY, folder, "item_loops_array", math).f
    rows = []
    for n in SIZES:
        theta = _thetas(n)
        rows.append(measure("list of floats, `for t in theta`", listed, _prefix_suffix, theta,
                            repeats, target))
        rows.append(measure("float64 array, `theta[i]`", indexed, product_array_hand,
                            np.array(theta), repeats, target))
    rows.sort(key=lambda r: (r[0], r[1]))
    print(f"Product of θ as a loop: CPU time, min of {repeats} interleaved repeats, "
          "ratios to the hand-written gradient in the same run.")
    print(python_line())
    print()
    print(markdown_table(["argument", "n", "t(hand)", "grad / hand", "code / hand",
                          "max rel err"], rows))
    wrong = [r for r in rows if float(r[-1]) > 1e-12]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
