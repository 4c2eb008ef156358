"""s2s_ad against the peers a user would pick instead: workloads × systems, side by side.

Workloads (``bench/workloads.py``): the seed scalar examples 1, 15, 16 and 18; the product
of θ, straight-line (n = 10, 100, 1000) and as a ``for`` loop over a list; the recurrence
``x = x + dt*sin(w*x)`` for T = 1000 (gradient with respect to x0 and w); an MLP loss
(784→256→10, batch 64, and 16→32→4, batch 8). Systems (``bench/peers.py``): the
hand-written gradient (the floor), s2s_ad, autograd, PyTorch eager (float64), JAX
``jit(grad)`` and ``grad`` without jit, Tangent (tangent-ad), SymPy (``diff`` + ``cse`` +
``lambdify``). Every system differentiates the same source text.

Each workload runs in a process of its own (``--worker``), so one library's state (JAX's
caches, PyTorch's threads, SymPy's cache) never leaks into another workload's numbers. Per
cell it measures:

* t(grad): the time per call of the gradient, timeit-style: warm-up, the loop count
  auto-ranged so one repeat lasts at least 20 ms (5 ms with ``--quick``), then 15 repeats
  (5) of all the systems interleaved (f, hand, s2s_ad, ..., f, hand, ...) so drift hits all
  alike. The MINIMUM over repeats is the figure used in the ratios; the median is shown
  too. A cell whose repeats have used up 10 s (2 s) stops after 3 repeats.
* grad/f: t(grad) over the time of the function itself, as written, on plain floats with
  ``math`` (NumPy arrays for the MLP), no AD at all;
* grad/hand: t(grad) over the hand-written gradient's time (1.0: as fast as a person);
* max rel err: the largest relative difference from the hand-written gradient, over the
  components (for a NumPy array, normwise: the largest difference over the largest
  entry of the hand-written array);
* the one-time cost: s2s_ad's transform (parse → IR → adjoint → optimize → compile, on a
  fresh function object each time, min of 10 builds, 3 with ``--quick``), JAX's trace +
  compile (the first call of a fresh ``jit(grad(f))``), Tangent's generation (its in-memory
  cache cleared, its disk cache off), SymPy's derivation (``diff`` of every partial, then
  ``lambdify(cse=True)``); min of 3 builds (1 with ``--quick``; SymPy: 1). A build that
  runs over 60 s (20 s) is stopped and the cell skipped, saying so.

All times are CPU time of the process (``time.process_time``: a library running on two
threads counts both); the JSON also has the wall time. A system that is not installed, or
that cannot differentiate a workload, is skipped with a note, never a failure. The exit
status is 1 only if s2s_ad fails on a workload it supports or its gradient differs from the
hand-written one by more than 1e-9.

    python bench/run.py [--quick] [--json PATH] [--workloads a,b] [--systems a,b]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from peers import SYSTEMS, Cell, Options, OverBudget, availability, load_module, warm_up
from timing import format_time, markdown_table, time_side_by_side, write_json
from workloads import QUICK, WORKLOADS, Workload

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "run.json"
S2S_TOLERANCE = 1e-9
PACKAGES = ("s2s-ad", "numpy", "autograd", "torch", "jax", "jaxlib", "tangent-ad", "sympy")



class Settings:
    """Repeats, targets and budgets: the full run, or ``--quick``."""

    def __init__(self, quick: bool, threads: int = 1) -> None:
        self.quick = quick
        self.threads = threads
        self.repeats = 5 if quick else 15
        self.target = 0.005 if quick else 0.02  # seconds per repeat
        self.cell_budget = 2.0 if quick else 10.0  # seconds of repeats per cell
        self.s2s_builds = 3 if quick else 10
        self.peer_builds = 1 if quick else 3
        self.build_budget = 5.0 if quick else 60.0
        self.worker_timeout = 300 if quick else 1800

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


# ---------------------------------------------------------------------------------------
# Correctness
# ---------------------------------------------------------------------------------------


def flatten(x: Any) -> np.ndarray:
    """Any system's gradient (tuples, lists, arrays, tensors, SymPy floats) as float64s."""
    if isinstance(x, (tuple, list)):
        parts = [flatten(v) for v in x]
        return np.concatenate(parts) if parts else np.zeros(0)
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64).ravel()


def segments(wl: Workload, args: tuple[Any, ...]) -> list[int]:
    """Sizes of the comparison groups: each float and list item alone, each array whole."""
    sizes: list[int] = []
    for i in wl.wrt:
        a = args[i]
        if isinstance(a, np.ndarray):
            sizes.append(a.size)
        elif isinstance(a, list):
            sizes.extend([1] * len(a))
        else:
            sizes.append(1)
    return sizes


def max_relative_error(ours: np.ndarray, ref: np.ndarray, sizes: list[int]) -> float:
    if ours.shape != ref.shape:
        return math.inf
    worst, start = 0.0, 0
    for size in sizes:
        a, b = ours[start:start + size], ref[start:start + size]
        start += size
        scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
        diff = np.max(np.abs(a - b))
        worst = max(worst, 0.0 if diff == 0 else float(diff / scale))
    return worst


# ---------------------------------------------------------------------------------------
# One workload, in its own process
# ---------------------------------------------------------------------------------------


def prepare(key: str, wl: Workload, opts: Options, quick: bool) -> Cell:
    """The system's cell for the workload, or a skipped cell saying why."""
    if key in wl.skip:
        return Cell(key, status="skipped", note=wl.skip[key])
    if quick and key in wl.quick_skip:
        return Cell(key, status="skipped", note=wl.quick_skip[key])
    missing = availability(key)
    if missing:
        return Cell(key, status="skipped", note=f"not installed ({missing})")
    try:
        warm_up(key, opts)
        return SYSTEMS[key].prepare(wl, opts)
    except OverBudget as err:
        return Cell(key, status="skipped", note=f"one-time build stopped: {err}")
    except Exception as err:  # the peer cannot handle this program: say what it said
        first = (str(err).strip().splitlines() or [""])[0][:200]
        status = "failed" if key in ("hand", "s2s_ad") else "skipped"
        return Cell(key, status=status, note=f"{type(err).__name__}: {first}")


def run_workload(name: str, systems: list[str], s: Settings) -> dict[str, Any]:
    wl = WORKLOADS[name]
    with tempfile.TemporaryDirectory(prefix="s2s_ad_bench_") as tmp:
        folder = Path(tmp)
        opts = Options(folder, s.s2s_builds, s.peer_builds, s.build_budget, s.threads)
        args = wl.args()
        f = load_module(wl.source, folder, f"{wl.name}_plain", np if wl.arrays else math).f
        cells = {}
        keys = ["hand"] + [k for k in systems if k != "hand" and SYSTEMS[k].applies(wl)]
        for key in keys:
            print(f"  {name}: {key}", file=sys.stderr, flush=True)
            cells[key] = prepare(key, wl, opts, s.quick)

        gc.collect()  # what the builds left behind (SymPy's expressions) is not timed
        ref = flatten(wl.hand(*args))
        sizes = segments(wl, args)
        errors = {}
        for key, cell in cells.items():
            if cell.status == "ok":
                try:
                    errors[key] = max_relative_error(flatten(cell.call(*cell.args)), ref, sizes)
                except Exception as err:
                    cell.status, cell.note = "skipped", f"call failed: {type(err).__name__}: {err}"

        fns = {"f": (f, args)}
        fns.update({k: (c.call, c.args) for k, c in cells.items() if c.status == "ok"})
        times = time_side_by_side(fns, s.repeats, s.target, s.cell_budget)

    t_f, t_hand = times["f"]["min"], times["hand"]["min"]
    rows = {}
    for key, cell in cells.items():
        row: dict[str, Any] = {"status": cell.status, "note": cell.note, "setup": cell.setup,
                               **cell.extra}
        if cell.status == "ok":
            t = times[key]
            row.update(time=t, grad_over_f=t["min"] / t_f, grad_over_hand=t["min"] / t_hand,
                       max_rel_error=errors[key])
        rows[key] = row
    return {"name": wl.name, "title": wl.title, "time_f": times["f"], "systems": rows}


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------


def _ratio(x: float) -> str:
    return f"{x:.3g}" if x < 1000 else f"{x:,.0f}"


def _err(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}"


def _setup(setup: dict[str, Any] | None) -> str:
    return f"{setup['kind']} {format_time(setup['min'])}" if setup else ""


def _short(note: str, limit: int = 160) -> str:
    note = note.replace("|", "/")
    return note if len(note) <= limit else note[:limit - 1] + "…"


def workload_table(result: dict[str, Any]) -> str:
    rows = []
    for key, row in result["systems"].items():
        label = SYSTEMS[key].label
        if row["status"] != "ok":
            rows.append([label, "—", "—", "—", "—", "—",
                         f"{row['status']}: {_short(row['note'], 300)}"])
            continue
        t = row["time"]
        rows.append([label, format_time(t["min"]), format_time(t["median"]),
                     _ratio(row["grad_over_f"]), _ratio(row["grad_over_hand"]),
                     _err(row["max_rel_error"]), _setup(row["setup"])])
    table = markdown_table(["system", "t(grad) min", "median", "grad/f", "grad/hand",
                            "max rel err", "one-time cost / note"], rows, align="lrrrrrl")
    return (f"### {result['title']}\n\n"
            f"t(f) = {format_time(result['time_f']['min'])} (the function itself, no AD)\n\n"
            f"{table}")


def _cell_mark(key: str, row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    if row["status"] == "ok":
        return _ratio(row["grad_over_hand"])
    if key == "s2s_ad" and row["status"] == "n/a":
        return "n/a (NumPy support pending)"
    return {"n/a": "n/a", "skipped": "skip", "failed": "FAIL"}[row["status"]]


def summary_tables(results: list[dict[str, Any]], systems: list[str]) -> str:
    shown = [k for k in systems if k != "hand"
             and any(k in r["systems"] and r["systems"][k]["status"] != "n/a"
                     or k == "s2s_ad" for r in results)]
    ratios = []
    for r in results:
        if "error" in r:
            ratios.append([r["name"], r["error"]])
            continue
        hand = r["systems"]["hand"]
        ratios.append([r["title"], format_time(r["time_f"]["min"]),
                       format_time(hand["time"]["min"]),
                       *(_cell_mark(k, r["systems"].get(k)) for k in shown)])
    builders = [k for k in ("s2s_ad", "jax_jit", "jax_fori", "tangent", "sympy") if k in shown]
    names = {"s2s_ad": "s2s_ad transform", "jax_jit": "JAX jit compile",
             "jax_fori": "JAX compile (fori_loop)", "tangent": "Tangent generation",
             "sympy": "SymPy derivation"}
    costs = []
    for r in results:
        if "error" in r:
            continue
        cells = []
        for k in builders:
            row = r["systems"].get(k)
            if row is None:
                cells.append("")
            elif row.get("setup"):
                cells.append(format_time(row["setup"]["min"]))
            else:
                cells.append({"n/a": "n/a", "skipped": "skip", "failed": "FAIL",
                              "ok": "—"}[row["status"]])
        costs.append([r["title"], *cells])
    lines = ["### t(grad) / t(hand-written), lower is better", "",
             markdown_table(["workload", "t(f)", "t(hand)", *(SYSTEMS[k].label for k in shown)],
                            ratios),
             "", "### One-time cost per function (min over builds)", "",
             markdown_table(["workload", *(names[k] for k in builders)], costs)]
    notes = sorted({f"{SYSTEMS[k].label}, {r['name']}: {row['status']}: {row['note']}"
                    for r in results if "error" not in r
                    for k, row in r["systems"].items() if row["status"] != "ok"})
    if notes:
        lines += ["", "Not run:", ""] + [f"- {_short(n, 300)}" for n in notes]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "system": platform.platform(),
            "versions": versions}


def describe(facts: dict[str, Any], s: Settings) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in facts["versions"].items() if v)
    missing = [k for k, v in facts["versions"].items() if not v]
    return (f"{facts['date']}; {facts['cpu']}, {facts['cores']} cores; "
            f"{facts['implementation']} {facts['python']}; {versions}"
            + (f"; not installed: {', '.join(missing)}" if missing else "")
            + f". CPU times, {s.threads} thread{'s' if s.threads > 1 else ''} per library, "
            + f"min of {s.repeats} interleaved repeats of >= {s.target * 1e3:g} ms"
            + (" (--quick)." if s.quick else "."))


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def thread_env(threads: int) -> dict[str, str]:
    """The environment that holds BLAS, OpenMP (PyTorch) and XLA to ``threads`` threads."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    if threads == 1:
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    return env


def _run_in_subprocess(name: str, systems: list[str], s: Settings) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--out", path,
           "--systems", ",".join(systems), "--threads", str(s.threads)]
    cmd += ["--quick"] if s.quick else []
    try:
        proc = subprocess.run(cmd, timeout=s.worker_timeout, env=thread_env(s.threads))
        if proc.returncode != 0:
            return {"name": name, "title": WORKLOADS[name].title,
                    "error": f"worker exited with status {proc.returncode}"}
        return json.loads(Path(path).read_text())
    except subprocess.TimeoutExpired:
        return {"name": name, "title": WORKLOADS[name].title,
                "error": f"worker ran over {s.worker_timeout} s"}
    finally:
        os.unlink(path)


def _check(results: list[dict[str, Any]]) -> list[str]:
    problems = []
    for r in results:
        if "error" in r:
            problems.append(f"{r['name']}: {r['error']}")
            continue
        row = r["systems"].get("s2s_ad")
        if row is None or row["status"] == "n/a":
            continue
        if row["status"] != "ok":
            problems.append(f"{r['name']}: s2s_ad {row['status']}: {row['note']}")
        elif row["max_rel_error"] > S2S_TOLERANCE:
            problems.append(f"{r['name']}: s2s_ad differs from hand-written by "
                            f"{row['max_rel_error']:.1e}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"workloads {', '.join(QUICK)}; fewer, shorter repeats (< 2 min)")
    parser.add_argument("--json", metavar="PATH", default=str(DEFAULT_JSON),
                        help="where to write the results (default: bench/results/run.json)")
    parser.add_argument("--workloads", help="comma-separated subset of: " + ", ".join(WORKLOADS))
    parser.add_argument("--systems", help="comma-separated subset of: " + ", ".join(SYSTEMS))
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for BLAS, PyTorch and XLA (default 1; CPU time counts "
                             "all of them)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    s = Settings(opts.quick, opts.threads)
    systems = opts.systems.split(",") if opts.systems else list(SYSTEMS)
    unknown = [k for k in systems if k not in SYSTEMS]
    if unknown:
        parser.error(f"unknown systems: {', '.join(unknown)}")

    if opts.worker:
        result = run_workload(opts.worker, systems, s)
        write_json(opts.out, result)
        return 0

    names = opts.workloads.split(",") if opts.workloads else list(QUICK if s.quick else WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads: {', '.join(unknown)}")
    start = time.perf_counter()
    results = []
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        results.append(_run_in_subprocess(name, systems, s))
    facts = machine()
    print(f"## s2s_ad and its peers\n\n{describe(facts, s)}\n")
    print(summary_tables(results, systems))
    print()
    for r in results:
        if "error" not in r:
            print(workload_table(r))
            print()
    elapsed = time.perf_counter() - start
    print(f"Total wall time {elapsed:.0f} s. Command: python bench/run.py"
          + (" --quick" if s.quick else ""))
    write_json(opts.json, {"bench": "run", "machine": facts, "settings": s.as_dict(),
                           "systems": systems, "elapsed_seconds": elapsed,
                           "workloads": results})
    problems = _check(results)
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
