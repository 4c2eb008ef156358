"""Long and deep programs: transform time, and the gradient against Richardson differences.

    python bench/long_program.py [--statements 10000] [--depth 190]

Issue 9 asks that a 10,000-statement function and a deeply nested expression transform
without ``RecursionError``. The test suite checks 2,000 statements and a 190-deep
expression (``tests/test_hygiene.py``; Python's own parser stops near 200); this script
runs the long version, and a function that fills an array one item a line (``--writes``),
and prints, per program: statements, seconds to build ``grad(f)`` and call it once,
op counts of ``f`` and of its optimized gradient, and the gradient's relative error.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
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


def measure(label: str, f, size: int) -> None:
    start = time.perf_counter()
    g = s2s_ad.grad(f)
    g(0.4)  # (code for arrays inside is built on the first call)
    seconds = time.perf_counter() - start
    error = relative_error(g(0.4), numerical_grad(f, (0.4,), method="richardson"))
    stats = g.stats
    print(f"{label:<14} {size:>7} {seconds:>9.2f} s {stats.function.total:>9} "
          f"{stats.optimized.total:>9} {error:>10.1e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10000)
    parser.add_argument("--depth", type=int, default=190)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args(argv)
    print(f"{'program':<14} {'size':>7} {'grad(f) built, called':>11} {'ops f':>9} "
          f"{'ops grad':>9} {'rel. error':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("statements", load(straight_line(args.statements), "long_f", folder),
                args.statements)
        measure("nesting depth", load(nested(args.depth), "deep_f", folder), args.depth)
        measure("item writes", load(item_writes(args.writes), "writes_f", folder), args.writes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
