"""The fuzzer's programs (``tests/fuzz_programs.py``) through the Numba backend: each
program's gradient with ``backend="numba"`` against ``backend="python"`` at the program's
point. Counts the programs whose values are equal (rtol 1e-9), those the Numba backend
refuses (a ``BackendError``, by reason; any without the user's line are counted apart),
and prints any other outcome (a crash, a timeout, different values) with its program.

    PYTHONPATH=$PWD python bench/numba_fuzz.py --n 40 --seed 100 [--families loop,array]

Each program is compiled by Numba (about a second each, more for NumPy code): a campaign
of 200 programs takes several minutes.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import traceback
import warnings
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

import fuzz_programs as fp  # noqa: E402

import s2s_ad  # noqa: E402


def _flat(x: Any) -> list[float]:
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _flat(item)]
    return list(np.ravel(np.asarray(x, dtype=float)))


def check(p: fp.Program, counts: collections.Counter, reasons: collections.Counter,
          bad: list[tuple[fp.Program, str]]) -> None:
    """One program: count its outcome."""
    f = fp.load(p.source)[p.entry]
    wrt = p.wrt if len(p.wrt) != 1 else p.wrt[0]
    try:
        with fp.time_limit(20):
            expected = s2s_ad.grad(f, wrt=wrt)(*p.args)
    except Exception:  # (what the Python backend refuses: bench/fuzz.py's business)
        counts["python refuses"] += 1
        return
    try:
        with fp.time_limit(120), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = s2s_ad.grad(f, wrt=wrt, backend="numba")(*p.args)
    except s2s_ad.BackendError as err:
        counts["numba refuses"] += 1
        taken = err.message.startswith("the Numba backend cannot take")
        reasons[err.message.split(" '")[0] + " ..." if taken
                else err.message.split(":")[0]] += 1
        if err.loc is None and not taken:
            counts["refused without a line"] += 1
        return
    except Exception as err:
        counts["CRASH"] += 1
        bad.append((p, "".join(traceback.format_exception_only(err))[:400]))
        return
    a, b = _flat(expected), _flat(got)
    if len(a) == len(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
        counts["equal"] += 1
    else:
        counts["MISMATCH"] += 1
        bad.append((p, f"python {expected} vs numba {got}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="seeds (programs per family)")
    parser.add_argument("--seed", type=int, default=100, help="first seed")
    parser.add_argument("--families", default="loop,array,expr,branch,mixed")
    opts = parser.parse_args(argv)
    counts: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    bad: list[tuple[fp.Program, str]] = []
    for seed in range(opts.seed, opts.seed + opts.n):
        for family in opts.families.split(","):
            p = fp.generate(seed, family)
            if p.wrt:
                check(p, counts, reasons, bad)
    print(dict(counts))
    for reason, count in reasons.most_common():
        print(f"{count:5d}  {reason}")
    for p, message in bad:
        print(f"--- {p!r}\n{p.describe()}\n{message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
