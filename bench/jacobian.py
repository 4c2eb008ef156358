"""Jacobians of f: Rⁿ → Rᵐ in forward and reverse mode, side by side (seed 001's table).

Seed 001's table says a Jacobian costs about n evaluations of f in forward mode (one JVP
per input column) and about m in reverse mode (one VJP per output row): forward wins when
n < m, reverse when n > m. This bench times ``s2s_ad.jacobian(f, mode="fwd")`` against
``mode="rev"`` for (n, m) in {(1, 100), (100, 1), (50, 50)}, on two kinds of f, each
written out as straight-line source (n scalar parameters, m outputs returned as a tuple)
in a temporary module that is imported, so that ``inspect.getsource`` works:

* ``chained``: a shared trunk of L steps ``h = sin(h) * x_i + x_j * x_j * c`` (x_i runs
  up from x0 and x_j down from the last input, and L >= n/2, so the trunk reads every
  input), then outputs ``y_r = sin(h * c_r) * x_j + x_k ** 2``. Every output depends
  on every input through the trunk, which is the case the table describes: each forward
  sweep and each backward sweep runs through the whole trunk.
* ``sparse``: outputs ``y_r = sin(x_i * c_r) * x_j + x_k ** 2`` and nothing shared. Here
  both modes come out alike: forward sweeps of inputs an output does not read, and
  backward sweeps through code an output does not depend on, are removed by the optimizer,
  so both Jacobians cost about the number of nonzero entries.

For each it reports the time per call of f, of the forward and of the reverse Jacobian
(CPU time of this process, ``timeit`` auto-ranged, minimum of interleaved repeats, as in
``timing.py``), the build time of each Jacobian (lift, transform, optimize, compile:
measured once, the first call), the op counts of each generated Jacobian, which mode
``mode="auto"`` picks, and which mode seed 001's table predicts. It checks that both modes
give the same numbers (exit status 1 if not); nothing asserts on time.

    python bench/jacobian.py [--quick] [--trunk L]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timing import markdown_table, python_line, time_side_by_side

import s2s_ad

SHAPES = [(1, 100), (100, 1), (50, 50)]
WORKLOADS = ["chained", "sparse"]


def generate(n: int, m: int, workload: str, trunk: int) -> str:
    """The source of ``f(x0, ..., x{n-1})`` returning ``(y0, ..., y{m-1})``."""
    params = ", ".join(f"x{i}" for i in range(n))
    lines = ["import math", "", "", f"def f({params}):"]
    if workload == "chained":
        trunk = steps(n, trunk)
        lines.append("    h = x0")
        for t in range(trunk):  # x_i runs up from x0, x_j down from x{n-1}: all are read
            i, j = t % n, (n - 1 - t) % n
            lines.append(f"    h = math.sin(h) * x{i} + x{j} * x{j} * {1 + t / trunk:.4f}")
    for r in range(m):
        i, j, k = r % n, (7 * r + 3) % n, (13 * r + 5) % n
        c = f"{1 + r / m:.4f}"  # distinct per output, so no two outputs are the same value
        inner = f"h * {c}" if workload == "chained" else f"x{i} * {c}"
        lines.append(f"    y{r} = math.sin({inner}) * x{j} + x{k} ** 2")
    outputs = ", ".join(f"y{r}" for r in range(m))
    lines.append(f"    return {outputs}," if m == 1 else f"    return {outputs}")
    return "\n".join(lines) + "\n"


def steps(n: int, trunk: int) -> int:
    """The trunk's length: at least ``trunk``, and long enough to read all ``n`` inputs."""
    return max(trunk, (n + 1) // 2)


def load(path: Path, name: str) -> Any:
    """Import the module at ``path`` under ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build(f: Callable[..., Any], n: int, mode: str) -> tuple[Any, float]:
    start = time.perf_counter()
    jf = s2s_ad.jacobian(f, wrt=tuple(range(n)), mode=mode)
    return jf, time.perf_counter() - start


def _flat(tree: Any) -> list[float]:
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _flat(item)]
    return [tree]


def _max_rel_diff(a: Any, b: Any) -> float:
    return max(abs(x - y) / max(1.0, abs(x), abs(y)) for x, y in zip(_flat(a), _flat(b),
                                                                      strict=True))


@dataclass
class Result:
    workload: str
    n: int
    m: int
    t_f: float
    t_fwd: float
    t_rev: float
    build_fwd: float
    build_rev: float
    ops_f: int
    ops_fwd: int
    ops_rev: int
    auto: str
    mismatch: float

    @property
    def predicted(self) -> str:
        return "fwd" if self.n < self.m else "rev" if self.n > self.m else "either"

    @property
    def faster(self) -> str:
        ratio = max(self.t_fwd, self.t_rev) / min(self.t_fwd, self.t_rev)
        return f"{'fwd' if self.t_fwd < self.t_rev else 'rev'} ×{ratio:.1f}"


def run(workload: str, n: int, m: int, trunk: int, directory: Path, repeats: int,
        target: float) -> Result:
    name = f"s2s_ad_bench_jacobian_{workload}_{n}_{m}"
    path = directory / f"{name}.py"
    path.write_text(generate(n, m, workload, trunk))
    f = load(path, name).f
    rng = random.Random(n * 1000 + m)
    args = tuple(rng.uniform(0.5, 1.5) for _ in range(n))
    jfwd, build_fwd = build(f, n, "fwd")
    jrev, build_rev = build(f, n, "rev")
    jauto = s2s_ad.jacobian(f, wrt=tuple(range(n)), mode="auto")
    auto = "fwd" if jauto.source == jfwd.source else "rev" if jauto.source == jrev.source \
        else "?"
    mismatch = _max_rel_diff(jfwd(*args), jrev(*args))
    times = time_side_by_side({"f": (f, args), "fwd": (jfwd, args), "rev": (jrev, args)},
                              repeats, target, star_args=True)
    return Result(workload, n, m,
                  times["f"]["min"], times["fwd"]["min"], times["rev"]["min"],
                  build_fwd, build_rev,
                  jfwd.stats.function.total, jfwd.stats.optimized.total,
                  jrev.stats.optimized.total, auto, mismatch)


def _us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def table(results: list[Result], trunk: int) -> str:
    header = ["f", "n", "m", "t(f) µs", "t(fwd) µs", "t(rev) µs", "fwd/f", "rev/f", "faster",
              "table predicts", "auto picks", "ops f", "ops fwd", "ops rev", "build fwd s",
              "build rev s"]
    rows = []
    for r in results:
        label = f"chained L={steps(r.n, trunk)}" if r.workload == "chained" else r.workload
        rows.append([label, r.n, r.m, _us(r.t_f), _us(r.t_fwd), _us(r.t_rev),
                     f"{r.t_fwd / r.t_f:.1f}", f"{r.t_rev / r.t_f:.1f}", r.faster, r.predicted,
                     r.auto, r.ops_f, r.ops_fwd, r.ops_rev, f"{r.build_fwd:.2f}",
                     f"{r.build_rev:.2f}"])
    return markdown_table(header, rows, align="l" * len(header))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a shorter trunk (L=10 where n allows) and fewer, shorter "
                             "repeats")
    parser.add_argument("--trunk", type=int, default=None,
                        help="steps L of the chained workload's shared trunk (default 50)")
    args = parser.parse_args(argv)
    trunk = args.trunk or (10 if args.quick else 50)
    repeats, target = (3, 0.02) if args.quick else (7, 0.1)

    print(f"{python_line()}; times are CPU time per call, min of {repeats} interleaved "
          f"repeats\n", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for workload in WORKLOADS:
            for n, m in SHAPES:
                result = run(workload, n, m, trunk, Path(tmp), repeats, target)
                results.append(result)
                print(f"  {workload:8} n={n:3} m={m:3}  fwd {_us(result.t_fwd):>9} µs  "
                      f"rev {_us(result.t_rev):>9} µs", file=sys.stderr)
    print(table(results, trunk))
    print()
    print("fwd/f and rev/f: time of the whole Jacobian in units of one call of f. Seed 001's "
          "table: about n (fwd) and m (rev) when every output depends on every input.")
    worst = max(r.mismatch for r in results)
    print(f"largest difference between fwd and rev entries: {worst:.1e} (relative)")
    if not worst <= 1e-9 or any(math.isnan(r.mismatch) for r in results):
        print("MISMATCH between forward and reverse mode", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
