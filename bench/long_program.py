"""Long and deep programs: transform time, and the gradient against Richardson differences.

    python bench/long_program.py [--statements 10000] [--depth 190]

Issue 9 asks that a 10,000-statement function and a deeply nested expression transform
without ``RecursionError``. The test suite checks 2,000 statements and a 190-deep
expression (``tests/test_hygiene.py``; Python's own parser stops near 200); this script
runs the long version, and a function that fills an array one item a line (``--writes``),
and prints, per program: statements, seconds to build ``grad(f)`` and call it once (wall
time), the CPU time of the build alone, op counts of ``f`` and of its optimized gradient,
and the gradient's relative error.

Then the transform-time target of issue 16: the straight-line function of
``--target-statements`` (5,000) statements, its ``grad(f)`` built in under 3 s of CPU
time (the minimum of 3 builds; reported, not asserted).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import types
from pathlib import Path

import s2s_ad
from s2s_ad.numeric import numerical_grad, relative_error


def straight_line(statements: int) -> str:
    lines = ["import math", "", "def f(x):", "    y = x"]
    lines += [f"    y = y * 0.999 + math.sin(y) * {i % 7}e-4" for i in range(statements)]
    return "\n".join([*lines, "    return y", ""])


def item_writes(statements: int) -> str:
    """A preallocated array filled one item a line (each write in place in the code)."""
    lines = ["import math", "", "import numpy as np", "", "def f(x):",
             f"    h = np.zeros({statements})", "    h[0] = x"]
    lines += [f"    h[{i}] = h[{i - 1}] * 0.999 + math.sin(x) * {i % 7}e-4"
              for i in range(1, statements)]
    return "\n".join([*lines, "    return float(np.sum(h * h))", ""])


def nested(depth: int) -> str:
    expr = "x"
    for i in range(depth):
        expr = f"math.sin({expr} * 0.9 + {i % 5}e-3)" if i % 2 else f"({expr} * 1.001 - 0.01)"
    return f"import math\n\ndef f(x):\n    return {expr}\n"


def load(source: str, name: str, folder: Path):
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # s2s_ad reads the source through linecache
    spec.loader.exec_module(module)
    return module.f


TARGET_SECONDS = 3.0  # issue 16: a 5,000-statement function's grad built in under 3 s


def measure(label: str, f, size: int) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    g = s2s_ad.grad(f)
    built = time.process_time() - cpu
    g(0.4)  # (code for arrays inside is built on the first call)
    seconds = time.perf_counter() - start
    error = relative_error(g(0.4), numerical_grad(f, (0.4,), method="richardson"))
    stats = g.stats
    print(f"{label:<14} {size:>7} {seconds:>9.2f} s {built:>9.2f} s "
          f"{stats.function.total:>9} {stats.optimized.total:>9} {error:>10.1e}")


def build_seconds(f, builds: int = 3) -> float:
    """The minimum CPU time of ``builds`` builds of ``grad(f)``, each on a fresh function
    object (no cache has seen it)."""
    best = float("inf")
    for _ in range(builds):
        fresh = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                                   f.__closure__)
        start = time.process_time()
        s2s_ad.grad(fresh)
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10000)
    parser.add_argument("--depth", type=int, default=190)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--target-statements", type=int, default=5000,
                        help="the straight-line function timed against the target (0: skip)")
    args = parser.parse_args(argv)
    print(f"{'program':<14} {'size':>7} {'built+called':>11} {'build CPU':>11} {'ops f':>9} "
          f"{'ops grad':>9} {'rel. error':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("statements", load(straight_line(args.statements), "long_f", folder),
                args.statements)
        measure("nesting depth", load(nested(args.depth), "deep_f", folder), args.depth)
        measure("item writes", load(item_writes(args.writes), "writes_f", folder), args.writes)
        if args.target_statements:
            n = args.target_statements
            seconds = build_seconds(load(straight_line(n), "target_f", folder))
            print(f"transform-time target: grad of the {n:,}-statement function built in "
                  f"{seconds:.2f} s of CPU time, min of 3 (target < {TARGET_SECONDS:g} s at "
                  f"5,000 statements: {'met' if seconds < TARGET_SECONDS else 'NOT met'}"
                  f"{'' if n == 5000 else ', at another size'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
