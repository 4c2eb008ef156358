"""What the bench scripts share: timing calls side by side, and writing up the results.

Timing is timeit-style. Each callable is warmed up (up to 100 calls, stopping once 0.2 s
are spent), its loop count is auto-ranged as ``timeit`` does (1, 2, 5, 10, 20, ... calls
lasting at least ``target`` seconds), then the repeats of all the callables are interleaved
(f, grad, hand, f, grad, hand, ...) so drift on the machine hits them all alike. A repeat
is the statement ``fn(a0, a1, ...)`` with the function and its arguments in local
variables, as timeit's setup binds them, or ``fn(*args)``: the same for a few arguments,
but far cheaper for many (1000 arguments: about 20 µs less per call). Times are CPU time of
the process (``time.process_time``), so other processes on a busy machine do not inflate
them; the wall time is kept too.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import time
import timeit
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import s2s_ad

# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


def _timer(fn: Callable[..., Any], args: tuple[Any, ...], star_args: bool) -> timeit.Timer:
    """A timer of the statement ``fn(a0, a1, ...)``, or ``fn(*args)``, with everything in
    local variables."""
    if star_args:
        return timeit.Timer("fn(*args)", setup="fn = _fn; args = _args",
                            globals={"_fn": fn, "_args": args}, timer=time.process_time)
    names = [f"a{i}" for i in range(len(args))]
    env = {"_fn": fn, **{f"_{n}": a for n, a in zip(names, args)}}
    setup = "; ".join(["fn = _fn"] + [f"{n} = _{n}" for n in names])
    return timeit.Timer(f"fn({', '.join(names)})", setup=setup, globals=env,
                        timer=time.process_time)


def _number(timer: timeit.Timer, target: float) -> int:
    """timeit's auto-ranging: the smallest 1, 2, 5, 10, 20, ... loops lasting ``target`` s."""
    number = 1
    while True:
        for step in (1, 2, 5):
            n = number * step
            if timer.timeit(n) >= target:
                return n
        number *= 10


def _warm(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Up to 100 calls, stopping once 0.2 s are spent (one call, if it is that slow)."""
    start = time.process_time()
    for _ in range(100):
        fn(*args)
        if time.process_time() - start > 0.2:
            break


def time_side_by_side(calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]],
                      repeats: int, target: float, budget: float = math.inf,
                      star_args: bool = False) -> dict[str, dict[str, float]]:
    """Seconds per call of each ``(fn, args)`` in ``calls``, over interleaved repeats.

    For each label: ``min`` and ``median`` (CPU time), ``wall_min``, the ``loops`` per repeat
    and the ``repeats`` run. A callable whose repeats have used up ``budget`` seconds stops
    after 3 repeats. ``star_args``: time ``fn(*args)`` rather than ``fn(a0, a1, ...)``.
    """
    timers = {}
    for label, (fn, args) in calls.items():
        _warm(fn, args)
        timer = _timer(fn, args, star_args)
        timers[label] = (timer, _number(timer, target))
    cpu: dict[str, list[float]] = {label: [] for label in calls}
    wall: dict[str, list[float]] = {label: [] for label in calls}
    spent = dict.fromkeys(calls, 0.0)
    for r in range(repeats):
        for label, (timer, number) in timers.items():
            if r >= 3 and spent[label] > budget:
                continue
            w0 = time.perf_counter()
            seconds = timer.timeit(number)
            wall[label].append((time.perf_counter() - w0) / number)
            cpu[label].append(seconds / number)
            spent[label] += seconds
    return {label: {"min": min(cpu[label]), "median": statistics.median(cpu[label]),
                    "wall_min": min(wall[label]), "loops": timers[label][1],
                    "repeats": len(cpu[label])}
            for label in calls}


def fresh(fn: types.FunctionType) -> types.FunctionType:
    """A new function object with ``fn``'s code: no per-function cache has seen it."""
    return types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)


# ---------------------------------------------------------------------------------------
# Checks and the report
# ---------------------------------------------------------------------------------------


def max_relative_error(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """The largest |a - b| / max(|a|, |b|) over the components (0 where they are equal)."""
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    return max((0.0 if a == b else abs(a - b) / max(abs(a), abs(b)))
               for a, b in zip(ours, theirs))


def format_time(seconds: float | None) -> str:
    """``seconds`` in s, ms, µs or ns, 3 significant digits; ``—`` for None."""
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def time_cells(row: dict[str, Any]) -> list[str]:
    """A result row's t(f), t(grad), t(hand), grad/f and grad/hand cells (the minima)."""
    f, g, h = (row[key]["min"] for key in ("time_f", "time_grad", "time_hand"))
    return [format_time(f), format_time(g), format_time(h), f"{g / f:.2f}", f"{g / h:.2f}"]


def markdown_table(header: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    """A Markdown table. ``align``: ``l`` or ``r`` per column; default, the first column
    left-aligned and the others right-aligned."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = "|" + "|".join({"l": "---", "r": "---:"}[a] for a in align) + "|"
    lines = ["| " + " | ".join(map(str, cells)) + " |" for cells in [header, *rows]]
    return "\n".join([lines[0], rule, *lines[1:]])


def python_line() -> str:
    """The interpreter, the machine and s2s_ad's version, for a report's header."""
    return (f"Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.machine()}, s2s_ad {s2s_ad.__version__}")


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON to ``path``, making its folder if need be."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
