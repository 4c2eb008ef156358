"""The ``s2s-ad`` command line: show, count, draw, export and check generated derivatives.

    s2s-ad                                           the built-in demo (seed example 1)
    s2s-ad dump examples/worked/log_mul_sin.py:f      the gradient wrt x1, a module that runs
    s2s-ad dump examples/worked/log_mul_sin.py:f --wrt x1,x2 --bare   the function alone
    s2s-ad ir examples/worked/log_mul_sin.py:f --adjoint
    s2s-ad stats examples/worked/log_mul_sin.py:f
    s2s-ad graph examples/worked/log_mul_sin.py:f --adjoint -o graph.svg
    s2s-ad export examples/worked/log_mul_sin.py:f -o grad_f.py
    s2s-ad check examples/worked/log_mul_sin.py:f --at 2,5
    s2s-ad dump examples/worked/cross_entropy.py:loss --like '(3,), 0'

``--wrt`` defaults to the first parameter, as ``s2s_ad.grad`` does. NumPy code specializes
itself to its arguments' types and shapes when called; what ``dump``, ``ir``, ``stats``,
``graph`` and ``export`` print of it is the code for the arguments ``--at`` gives (or
``--like``: a tuple of ints stands for an array of that shape), or else the shape-generic
code, with a comment saying so at the top.

Exit codes: 0 success, 1 the function cannot be differentiated (or exported, rendered,
evaluated, or a check failed), 2 the command line is wrong (target, ``--wrt``, ``--at``,
``--like``).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import textwrap
import traceback
from collections.abc import Callable
from typing import Any

from . import __version__
from .api import grad as reverse_grad
from .api import hessian, jit, jvp, value_and_grad
from .errors import DifferentiationError
from .export import ExportError, module_source
from .frontend.lower import lift
from .graph import RenderError, output_format, render, to_dot
from .highlight import DOT, IR, PYTHON, highlight
from .ir.core import Function
from .ir.printer import format_function
from .target import Target, TargetError, load_target, parse_point, parse_wrt
from .transforms.compose import resolve_wrt

PROG = "s2s-ad"


class UsageError(Exception):
    """The command line asks for something that cannot be done (exit code 2)."""


class Failure(Exception):
    """The command ran but could not finish (exit code 1); the message is one line."""


# --- derivatives: one small function per (mode, order) -------------------------------------
def _reverse(fn: Callable[..., Any], wrt: Any, opts: argparse.Namespace) -> Any:
    transform = value_and_grad if opts.value else reverse_grad
    return transform(fn, wrt, optimize=opts.optimize)


def _forward(fn: Callable[..., Any], wrt: Any, opts: argparse.Namespace) -> Any:
    return jvp(fn, wrt, optimize=opts.optimize)  # (value, tangent): --value is implied


def _second(fn: Callable[..., Any], wrt: Any, opts: argparse.Namespace) -> Any:
    return hessian(fn, wrt, optimize=opts.optimize)  # forward over reverse


# (mode, order) -> maker; a new mode or order is a function and a row here
DERIVATIVES: dict[tuple[str, int], Callable[..., Any]] = {
    ("reverse", 1): _reverse, ("forward", 1): _forward,
    ("reverse", 2): _second, ("forward", 2): _second,
}


def derivative(fn: Callable[..., Any], wrt: Any, opts: argparse.Namespace) -> Any:
    """The generated function that ``--mode``/``--order``/``--value`` ask for."""
    return DERIVATIVES[(opts.mode, opts.order)](fn, wrt, opts)


# --- commands ------------------------------------------------------------------------------
SHAPE_GENERIC = "shape-generic code: pass --at or --like for code specialized to argument shapes"


class _Command:
    """What every command needs: the target, its IR, the ``wrt`` to use, and an output."""

    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.target: Target = load_target(opts.target)
        self.primal: Function = lift(self.target.fn)
        self.wrt = self._wrt()

    def _wrt(self) -> Any:
        wrt = parse_wrt(self.opts.wrt)  # None: the first parameter, as in s2s_ad.grad
        try:
            resolve_wrt(self.primal, wrt)
        except DifferentiationError as err:
            given = f"--wrt {self.opts.wrt}: " if self.opts.wrt is not None else ""
            raise UsageError(given + err.message
                             + (f" ({err.hint})" if err.hint else "")) from None
        return wrt

    def derivative(self, **changes: Any) -> Any:
        opts = argparse.Namespace(**{**vars(self.opts), **changes})
        return derivative(self.target.fn, self.wrt, opts)

    def printed(self, **changes: Any) -> tuple[Any, str]:
        """The derivative whose code, IR or op counts a command prints, and a note for the
        top of the output saying which code it is.

        Code that specializes itself to its arguments (NumPy code) is printed as the code
        for the arguments ``--at`` or ``--like`` gives, or else as the shape-generic code;
        the note says which. Other code is the same for every argument: no note.
        """
        at = getattr(self.opts, "at", None)
        option, text = ("--at", at) if at is not None else ("--like", self.opts.like)
        point = None if text is None else self.point(text, option)[1]  # checked anyway
        g = self.derivative(**changes)
        if getattr(self.opts, "backend", "python") == "numba":
            if point is None:
                raise UsageError("--backend numba writes the code compiled for the argument "
                                 "types and shapes of --at or --like: give one")
            g = jit(g)
        if not hasattr(g, "specialize"):
            return g, ""
        if point is None:
            return g.general, SHAPE_GENERIC
        # parameters of g past f's own are tangents (forward mode), shaped like the --wrt
        # arguments
        tangents = list(inspect.signature(g, follow_wrapped=False).parameters)[
            len(self.primal.params):]
        indices, _ = resolve_wrt(self.primal, self.wrt)
        specialized = g.specialize(*point, **dict(zip(tangents, (point[i] for i in indices))))
        return specialized, f"specialized to the types and shapes of {option} {text}"

    def point(self, text: str, option: str = "--at") -> tuple[tuple[Any, ...], list[Any]]:
        """The arguments ``--at`` gives, as written and as passed (floats and float arrays
        for the ``--wrt`` parameters); for ``--like``, a tuple of ints is an array's shape."""
        primal = self.primal
        given = parse_point(text, option)
        if option == "--like":
            given = tuple(map(_like, given))
        point = list(given)
        positional = [n for n, k in zip(primal.param_names, primal.kinds)
                      if k in (inspect.Parameter.POSITIONAL_ONLY,
                               inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        required = len(positional) - len(primal.defaults or ())
        if not required <= len(point) <= len(positional):
            raise UsageError(f"{option} {text}: {primal.name}({', '.join(positional)}) takes "
                             f"{required}{'' if required == len(positional) else '-'}"
                             f"{'' if required == len(positional) else len(positional)} "
                             f"arguments, not {len(point)}")
        for i in resolve_wrt(primal, self.wrt)[0]:
            if i >= len(point):
                raise UsageError(f"--wrt {primal.param_names[i]}: give its value with {option}")
            point[i] = _as_real(point[i], primal.param_names[i], option)
        return given, point

    def wrt_names(self) -> list[str]:
        indices, _ = resolve_wrt(self.primal, self.wrt)
        return [self.primal.param_names[i] for i in indices]


def cmd_dump(opts: argparse.Namespace) -> None:
    command = _Command(opts)
    g, note = command.printed()
    source = _comment(note) + (g.source if opts.bare else _module(command, g, "dump"))
    if opts.output:
        _write_file(opts.output, source)
        print(f"{PROG}: wrote {opts.output}", file=sys.stderr)
    else:
        _write(opts, source, PYTHON)


def cmd_ir(opts: argparse.Namespace) -> None:
    command = _Command(opts)
    sections = [(f"{command.primal.name}, the function", command.primal)]
    note = ""
    if opts.adjoint:
        g, note = command.printed()
        generated = g.__s2s__
        sections.append((f"{g.__name__}, before optimization", generated.unoptimized))
        if opts.optimize:
            counts = g.stats
            sections.append((f"{g.__name__}, after optimization "
                             f"({counts.unoptimized.total} -> {counts.optimized.total} ops)",
                             generated.ir))
    text = "\n".join(f"# {title}\n{format_function(fn)}\n" for title, fn in sections)
    _write(opts, _comment(note) + text, IR)


def cmd_stats(opts: argparse.Namespace) -> None:
    command = _Command(opts)
    g, note = command.printed()
    stats = g.stats
    name = command.primal.name
    columns = [(name, stats.function)]
    if opts.optimize:
        columns += [(f"{g.__name__}, unoptimized", stats.unoptimized),
                    (f"{g.__name__}, optimized", stats.optimized)]
    else:
        columns.append((f"{g.__name__}, unoptimized", stats.unoptimized))
    kinds = sorted({k for _, counts in columns for k in counts.by_kind()})
    rows: list[list[str] | None] = [["op kind", *(title for title, _ in columns)], None]
    rows += [[kind, *(str(c.by_kind().get(kind, "-")) for _, c in columns)] for kind in kinds]
    rows += [None, ["total", *(str(c.total) for _, c in columns)]]
    lines = _table(rows, numbers_right=True)
    derived, base = columns[-1][1].total, stats.function.total
    ratio = f"{derived / base:.2f}" if base else "n/a"
    lines.append("")
    lines.append(f"cost ratio {g.__name__}/{name}: {derived}/{base} ops = {ratio}"
                 + ("" if not opts.optimize or not base else
                    f" (unoptimized {stats.unoptimized.total}/{base} = "
                    f"{stats.unoptimized.total / base:.2f})"))
    _write(opts, _comment(note) + "\n".join(lines) + "\n", frozenset())


def cmd_graph(opts: argparse.Namespace) -> None:
    if opts.output:
        try:
            output_format(opts.output)
        except ValueError as err:
            raise UsageError(str(err)) from None
    command = _Command(opts)
    primal = command.primal
    signature = f"{primal.name}({', '.join(primal.param_names)})"
    if opts.adjoint:  # the forward graph is part of the picture: keep the value
        g, note = command.printed(value=True)
        fn = g.__s2s__.ir if opts.optimize else g.__s2s__.unoptimized
        stage = "optimized" if opts.optimize else "unoptimized"
        title = (f"{signature} and its adjoint wrt {', '.join(command.wrt_names())} "
                 f"({stage}): forward nodes blue, adjoint nodes red"
                 + (f"; {note}" if note else ""))
        dot = to_dot(fn, primal, title=title)
    else:
        dot = to_dot(primal, title=f"{signature}: the computational graph")
    if not opts.output:
        _write(opts, dot, DOT)
        return
    try:
        render(dot, opts.output)
    except (RenderError, OSError) as err:
        raise Failure(str(err)) from None
    print(f"{PROG}: wrote {opts.output}", file=sys.stderr)


def cmd_export(opts: argparse.Namespace) -> None:
    command = _Command(opts)
    g, note = command.printed()
    text = _comment(note) + _module(command, g, "export")
    if not opts.output:
        _write(opts, text, PYTHON)
        return
    _write_file(opts.output, text)
    stem = os.path.splitext(os.path.basename(opts.output))[0]
    note = "" if stem.isidentifier() else (
        f" (note: {stem!r} is not an importable module name, so {g.__name__} cannot be "
        "imported or pickled from it)")
    print(f"{PROG}: wrote {opts.output}: {g.__name__}{inspect.signature(g)}{note}",
          file=sys.stderr)


def cmd_check(opts: argparse.Namespace) -> None:
    import numpy as np  # only check needs NumPy: the other commands start faster without it

    from .numeric import central_difference, numerical_grad, relative_error

    if (opts.mode, opts.order) != ("reverse", 1):
        raise UsageError("check compares the gradient (reverse mode, first order) with central "
                         "differences: drop --mode/--order")
    command = _Command(opts)
    primal = command.primal
    given, point = command.point(opts.at)
    indices, single = resolve_wrt(primal, command.wrt)
    g = command.derivative(value=False)
    try:
        analytic = g(*point)
        numeric = numerical_grad(command.target.fn, point, wrt=tuple(indices), eps=opts.eps)
    except Exception as err:
        hint = ""
        if isinstance(err, TypeError) and any(isinstance(given[i], int) for i in indices):
            hint = (" (integers become floats for the --wrt parameters; leave integer "
                    "parameters out of --wrt)")
        raise Failure(f"evaluating {primal.name} at {tuple(point)} failed: "
                      f"{type(err).__name__}: {err}{hint}") from err
    analytic = (analytic,) if single else tuple(analytic)
    out = primal.body.results[0].hint if len(primal.body.results) == 1 else ""
    out = out or primal.name
    rows = [["", f"{g.__name__}", "central difference", "relative error"]]
    worst = 0.0
    for i, a, n in zip(indices, analytic, numeric):
        a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
        for k in np.ndindex(n.shape):
            err = relative_error(float(a[k]), float(n[k]))
            worst = max(worst, err)
            where = f"[{', '.join(map(str, k))}]" if k else ""
            rows.append([f"d{out}/d{primal.param_names[i]}{where}", repr(float(a[k])),
                         repr(float(n[k])), f"{err:.1e}"])
    at = ", ".join(f"{name}={value!r}" for name, value in zip(primal.param_names, given))
    lines = [f"{primal.name}({at})", *_table(rows)]
    passed = worst <= opts.tol
    step = opts.eps if opts.eps is not None else \
        inspect.signature(central_difference).parameters["h"].default
    lines.append(f"{'ok' if passed else 'FAILED'}: largest relative error {worst:.1e} "
                 f"{'<=' if passed else '>'} {opts.tol:g} (central differences, step {step:g})")
    _write(opts, "\n".join(lines) + "\n", frozenset())
    if not passed:
        raise SystemExit(1)


def cmd_demo(opts: argparse.Namespace) -> None:
    from . import demo

    g = reverse_grad(demo.f, wrt=demo.WRT)
    x1, x2 = demo.POINT
    y = demo.f(x1, x2)
    dx1, dx2 = g(x1, x2)
    source = inspect.getsource(demo.f)
    paint = _painter(opts)
    text = "\n".join([
        "s2s-ad demo: seed example 1, y = ln(x1) + x1*x2 - sin(x2)",
        "",
        f"The function ({demo.__name__}):",
        "",
        paint(source, PYTHON),
        "Its gradient with respect to x1 and x2, as s2s_ad generates it:",
        "",
        paint(g.source, PYTHON),
        f"At (x1, x2) = ({x1:g}, {x2:g}):",
        f"    y      = {y!r}",
        f"    dy/dx1 = {dx1!r}",
        f"    dy/dx2 = {dx2!r}",
        "",
        f"Next: {PROG} --help, or try {PROG} dump/ir/stats/graph/export/check "
        f"{demo.__name__}:f",
        "",
    ])
    sys.stdout.write(text)


def _table(rows: list[list[str] | None], numbers_right: bool = False) -> list[str]:
    """Rows as aligned columns (the first column left, the others right if asked);
    ``None`` is a rule."""
    cells = [row for row in rows if row is not None]
    widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]
    return ["  ".join("-" * w for w in widths) if row is None else
            "  ".join(cell.rjust(w) if numbers_right and c else cell.ljust(w)
                      for c, (cell, w) in enumerate(zip(row, widths))).rstrip()
            for row in rows]


def _as_real(value: Any, name: str, option: str) -> Any:
    if hasattr(value, "dtype"):  # an array of a --like shape: float64
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple)):
        raise UsageError(f"{option}: the value of {name} must be a number or a list of "
                         f"numbers, not {value!r}")
    if isinstance(value, (list, tuple)):
        import numpy as np

        return np.asarray(value, dtype=float)
    return float(value)


def _like(value: Any) -> Any:
    """A ``--like`` value: a tuple of ints is the shape of an array (of ones, float64)."""
    if not isinstance(value, tuple) or not all(type(n) is int for n in value):
        return value
    if any(n < 0 for n in value):
        raise UsageError(f"--like: {value!r} is not an array shape (negative length)")
    import numpy as np

    return np.ones(value)


def _module(command: _Command, g: Any, name: str) -> str:
    """The source of a module holding ``g``: imports, helpers and constants included."""
    try:
        return module_source(g, origin=command.target.origin, command=name)
    except ExportError as err:
        hint = "; --bare prints the function alone" if name == "dump" else ""
        raise Failure(f"{err}{hint}") from None


def _comment(note: str) -> str:
    return f"# {note}\n" if note else ""


# --- output -------------------------------------------------------------------------------
def _painter(opts: argparse.Namespace) -> Callable[[str, frozenset[str]], str]:
    colour = opts.color
    if colour == "auto":
        colour = "always" if (sys.stdout.isatty() and "NO_COLOR" not in os.environ
                              and os.environ.get("TERM") != "dumb") else "never"
    if colour == "never":
        return lambda text, keywords: text
    return highlight


def _write(opts: argparse.Namespace, text: str, keywords: frozenset[str]) -> None:
    """``text`` on standard output, highlighted with ``keywords`` when colour is on."""
    sys.stdout.write(_painter(opts)(text, keywords))


def _write_file(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise Failure(f"cannot write {path}: {err.strerror}") from None


# --- the parser ---------------------------------------------------------------------------
_COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], None], str, str]] = {
    "dump": (cmd_dump, "print the generated derivative as a module that runs: its imports, "
                       "the helpers and constants it reads, and the function (--bare: the "
                       "function alone)",
             "s2s-ad dump examples/worked/log_mul_sin.py:f --wrt x1,x2"),
    "ir": (cmd_ir, "print the SSA IR of the function (and of its derivative with --adjoint, "
                   "before and after optimization)",
           "s2s-ad ir examples/worked/log_mul_sin.py:f --adjoint"),
    "stats": (cmd_stats, "op counts by kind before and after optimization, and the cost "
                         "ratio derivative/function",
              "s2s-ad stats examples/worked/log_mul_sin.py:f"),
    "graph": (cmd_graph, "the computational graph in Graphviz DOT (stdout), or rendered to "
                         ".svg/.png/.pdf with -o (needs Graphviz's dot); --adjoint draws the "
                         "extended graph with the adjoint nodes in red",
              "s2s-ad graph examples/worked/log_mul_sin.py:f --adjoint -o graph.svg"),
    "export": (cmd_export, "write a standalone module holding the derivative (what dump "
                           "prints): it imports and runs without s2s_ad, and the function "
                           "pickles",
               "s2s-ad export examples/worked/log_mul_sin.py:f -o grad_f.py"),
    "check": (cmd_check, "compare the gradient with central differences at a point",
              "s2s-ad check examples/worked/cross_entropy.py:loss --at '[1.0, 2.0, 0.5], 1'"),
    "demo": (cmd_demo, "the built-in demo (also what s2s-ad with no arguments runs)",
             "s2s-ad demo"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``s2s-ad``: a subcommand per job."""
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill("Source-to-source automatic differentiation for Python: "
                                  "show, count, draw, export and check the derivative code "
                                  "s2s_ad generates. With no command: the demo.", 79),
        epilog="targets:\n  PATH.py:FUNC, package.module:FUNC, or - (source on standard "
               "input;\n  -:FUNC picks one of several functions)\n\nexit codes:\n"
               "  0 ok, 1 cannot differentiate/export/render or the check failed, "
               "2 usage error\n\nNumPy code:\n"
               "  s2s_ad generates it for the arguments' types and shapes when called. "
               "dump, ir,\n  stats, graph and export print the shape-generic code (and "
               "say so in a comment)\n  unless --at or --like give example arguments:\n"
               "  s2s-ad dump examples/worked/cross_entropy.py:loss --like '(3,), 0'\n"
               "\nexamples:\n"
               + "\n".join(f"  {example}" for _, _, example in _COMMANDS.values()))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_output_flags(parser, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, summary, example) in _COMMANDS.items():
        cmd = sub.add_parser(name, help=summary, description=textwrap.fill(summary, 79),
                             epilog=f"example:\n  {example}",
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_output_flags(cmd, argparse.SUPPRESS)
        if name == "demo":
            continue
        cmd.add_argument("target", metavar="TARGET",
                         help="PATH.py:FUNC, package.module:FUNC or - (standard input)")
        cmd.add_argument("--wrt", metavar="NAMES",
                         help="parameters to differentiate, by name or index: x,y or 0,1 "
                              "(default: the first, as in s2s_ad.grad)")
        cmd.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                         help="reverse (default): the gradient; forward: the Jacobian-vector "
                              "product, taking one tangent per --wrt parameter")
        cmd.add_argument("--order", type=int, choices=(1, 2), default=1,
                         help="derivative order: 2 gives the Hessian (forward over reverse)")
        cmd.add_argument("--no-optimize", dest="optimize", action="store_false",
                         help="skip the optimizer (CSE, folding, simplification, DCE)")
        if name not in ("check", "graph"):
            cmd.add_argument("--value", action="store_true",
                             help="value_and_grad: return the function's value too")
        if name in ("ir", "graph"):
            cmd.add_argument("--adjoint", action="store_true",
                             help="include the derivative (the extended graph)")
        if name in ("dump", "graph", "export"):
            cmd.add_argument("-o", "--output", metavar="FILE",
                             help="write to FILE instead of standard output")
        if name == "export":
            cmd.add_argument("--backend", choices=("python", "numba"), default="python",
                             help="numba: a module of @numba.njit(cache=True) functions, "
                                  "compiled for the arguments of --at or --like (it needs "
                                  "NumPy and Numba)")
        if name == "dump":
            cmd.add_argument("--bare", action="store_true",
                             help="print the function alone, without the imports, helpers "
                                  "and constants it reads (to read it, or paste it where "
                                  "they are defined)")
        if name != "check":
            adjoint = " (with --adjoint)" if name in ("ir", "graph") else ""
            example = cmd.add_mutually_exclusive_group()
            example.add_argument("--at", metavar="VALUES",
                                 help="example arguments, as Python literals: 2,5 or "
                                      "'[1.0, 2.0], 3'; NumPy code is printed as the code "
                                      f"for their types and shapes{adjoint} (default: the "
                                      "shape-generic code, which says so in a comment)")
            example.add_argument("--like", metavar="VALUES",
                                 help="as --at, but a tuple of ints is the shape of a float64 "
                                      "array: '(100, 3), (3,), 0.5'")
        if name == "check":
            cmd.add_argument("--at", required=True, metavar="VALUES",
                             help="the point, as Python literals: 2,5 or '[1.0, 2.0], 3.0' "
                                  "(--at=-2,5 when the first value is negative)")
            cmd.add_argument("--eps", type=float, default=None,
                             help="central-difference step (default 6e-6)")
            cmd.add_argument("--tol", type=float, default=1e-6,
                             help="largest relative error that passes (default 1e-6)")
    return parser


def _add_output_flags(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument("--color", dest="color", action="store_const", const="always",
                        default=default, help="color the output even when piped")
    parser.add_argument("--no-color", dest="color", action="store_const", const="never",
                        default=default, help="never color the output (also: NO_COLOR=1)")
    parser.add_argument("--traceback", action="store_true", default=default,
                        help="show Python tracebacks of errors")


def main(argv: list[str] | None = None) -> int:
    """Run ``s2s-ad`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--" not in argv and any(a.startswith("-:") for a in argv):
        # "-:FUNC" (a function from standard input) looks like an option to argparse
        argv = [a for a in argv if not a.startswith("-:")] + [
            "--", *(a for a in argv if a.startswith("-:"))]
    opts = build_parser().parse_args(argv)
    opts.color = getattr(opts, "color", "auto")
    opts.traceback = getattr(opts, "traceback", False)
    opts.command = opts.command or "demo"
    if os.getcwd() not in sys.path:  # modules under the current folder, as `python -m`
        sys.path.insert(0, os.getcwd())
    run = _COMMANDS[opts.command][0]
    try:
        run(opts)
    except (UsageError, TargetError) as err:
        return _fail(opts, err, f"{PROG}: error: {err}", 2)
    except DifferentiationError as err:
        return _fail(opts, err, str(err), 1)
    except Failure as err:
        return _fail(opts, err, f"{PROG}: error: {err}", 1)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    except BrokenPipeError:  # `s2s-ad dump ... | head`
        sys.stderr.close()
        return 0
    except Exception as err:  # a bug of ours: say so in one line
        return _fail(opts, err, f"{PROG}: internal error: {type(err).__name__}: {err} "
                                "(a bug in s2s_ad; rerun with --traceback and report it)", 1)
    return 0


def _fail(opts: argparse.Namespace, err: BaseException, message: str, code: int) -> int:
    if opts.traceback:
        traceback.print_exception(err)
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
