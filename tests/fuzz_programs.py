"""Random well-formed programs for differential fuzzing of s2s_ad (issue 9).

Shared by ``tests/test_fuzz.py`` (through the hypothesis strategy :func:`programs`) and
``bench/fuzz.py`` (a long campaign):

- :func:`generate` is a plain function of a seed: it writes a module -- one or two helper
  functions and an entry function ``f`` in the supported subset (``math`` expression trees
  with guarded arguments, re-assignments, helper calls with keyword arguments -- since
  issue 16 also calls of a smooth helper's derivative, ``s2s_ad.grad(h1, wrt="a")(u, v)``
  --, ``if``/``elif``, ``for`` and ``while`` loops with data-dependent trip counts,
  ``break``/``continue``, tuples, lists and dicts; since issue 18 also ``return`` inside
  loops, nested ones too, ``for ... else:``, starred names ``u1, *r1 = xs`` and
  ``for e1, *e2_rest in ps``, and ``h(*(a, b))``) -- and finds a point where ``f`` is
  finite, no comparison, ``abs``, ``min`` or ``max`` switches within the finite-difference
  stencil, and the Richardson oracle is well conditioned (two step sizes agree). Nothing
  in that choice looks at s2s_ad.
- The "array" family writes NumPy programs over small arrays instead: shapes drawn per
  program (``x`` of (m, n) or (n,), ``b`` of (n,), ``c`` of (m,), ``W`` of (n, m), numbers
  ``s`` and ``t``), every expression written for a known shape -- operators with
  broadcasting, ``@``, elementwise ``np`` functions on guarded arguments,
  ``np.maximum``/``np.minimum``/``np.where``, reductions with ``axis``/``keepdims``, ``.T``,
  reshapes, indexing with ints and slices, ``np.concatenate``/``np.stack``, ``math`` of
  numbers, elementwise helpers, ``for`` loops carrying arrays, ``if`` on a reduction -- and
  ``f`` returns a number. Every entry is a coordinate; ties of ``np.maximum``, comparisons
  and ``np.max`` count as kinks. Since issue 15 array programs also slice at both ends and
  with negative steps (``x[1:] - x[:-1] ** 2``, ``u[2::-1]``), build arrays from lists
  appended in loops (``vals.append(...)`` then ``np.array``/``np.stack``/``np.concatenate``),
  and take lists where only arrays go (``L @ w``, ``np.sum(L)``, ``b - L`` with ``L`` a list
  of lists: data, not in ``wrt``). Since issue 16 they also reorder and rearrange:
  ``np.sort``, ``np.take_along_axis`` of an ``np.argsort``, an entry read at ``np.argmax``/
  ``np.argmin``, ``np.flip``, ``np.roll``, ``np.tile``, ``np.repeat``, ``np.diagonal``,
  ``np.atleast_2d``/``3d`` and ``np.linalg.slogdet`` of a positive definite matrix (ties
  of the orderings count as kinks); also ``np.swapaxes``/``np.moveaxis``,
  ``np.expand_dims``/``np.squeeze`` and pieces of ``np.split`` (views, all of them).
- Since issue 18 a share of the container programs (:data:`RECORD_SHARE`) take a record
  argument ``p``: a dataclass ``Box`` read by field (``p.a``), or a named tuple ``Pair``
  read by field and also as a tuple (indexed, iterated, unpacked); the program's source
  defines the class, and the argument is an instance of this module's class of the same
  name and fields (it pickles by reference). The oracle moves a field by name.
- The writer generates what it avoids: an update ``u += v`` normally goes only to an array
  nothing else shares (``fresh``), but a few per cent of the updates
  (:data:`ALIASING_SHARE`, and the statement ``_ArrayWriter._alias_update``) are aliasing
  updates on purpose: ``w = <a view of u>`` (``u.T``, ``u[a:b]``, ``np.reshape``,
  ``np.ravel``, ``np.transpose``, ``np.swapaxes``, ``np.moveaxis``, ``np.expand_dims``,
  ``np.squeeze``, ``np.atleast_2d``, ``np.flip``, ``np.diagonal``, ``np.split(u, k)[i]``,
  or ``w = u``), then ``u op= v`` or ``w op= v``, both returned; or an update of an array a
  view, another name or a ``for ... in u`` loop shares. Never of an argument's memory.
  s2s_ad must refuse those (documented: ``Program.shared_updates``, :func:`_documented`)
  or get the numbers right; a value computed as if the view had not seen the update is a
  mismatch, as for a view primitive s2s_ad does not know as one.
- Some points sit on ties and kinks (:data:`TIE_SHARE` of the programs draw integer-valued
  floats and arrays with repeated entries): there a gradient entry must lie between the
  left and right one-sided difference quotients (a subgradient), and second-order
  compositions are not checked (``Program.kink``).
- :func:`check` differentiates the program every way and compares: reverse mode (optimized
  and not) against Richardson-extrapolated central differences, forward mode against
  reverse, ``value_and_grad``'s value against ``f(*args)`` bitwise (for arrays also: the
  gradients' shapes and dtypes, and the shape-generic derivative ``g.general``), and the
  :data:`COMPOSITIONS` -- ``grad(grad(f))``, ``jacobian(grad(f))``, ``vjp(grad(f))``,
  ``jvp(grad(f))``, ``hessian``, ``hvp`` and ``jacobian`` in both modes, over the number and
  array parameters -- each against Richardson differences of its inner result (``hvp``
  against the Hessian where that passed). :func:`examine` reports every composition's
  outcome (what ``bench/fuzz.py`` counts); a refusal (``DifferentiationError``) is
  "unsupported", never a pass.
- :func:`minimize` shrinks a failing program greedily while the same failure persists.

Known s2s_ad bugs (:data:`KNOWN_BUGS`, none at the moment) are avoided by the writer unless
``generate(..., avoid=frozenset())`` asks for them.

>>> program = generate(7, "loop")
>>> program.entry, check(program) is None
('f', True)
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import functools
import hashlib
import inspect
import linecache
import math
import operator
import random
import re
import signal
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.errors import BackendError, DifferentiationError
from s2s_ad.numeric import relative_error, richardson

__all__ = ["COMPOSITIONS", "FAMILIES", "KNOWN_BUGS", "OPTIONAL_COMPOSITIONS", "Examination",
           "Failure", "Program", "Timeout", "check", "examine", "generate", "load", "minimize",
           "point_kind", "point_ok", "programs", "time_limit"]

#: Program families; each test function in ``test_fuzz.py`` covers one.
FAMILIES = ("expr", "branch", "loop", "container", "mixed", "array")
WRITES_SHARE = 0.35  # of array programs: item assignment and fill loops
_FEATURES = {
    "expr": {"helper", "tuple"},
    "branch": {"helper", "tuple", "branch", "kink"},
    "loop": {"helper", "tuple", "branch", "loop", "while"},
    "container": {"helper", "tuple", "container", "loop"},
    "mixed": {"helper", "tuple", "branch", "kink", "loop", "while", "container"},
}

MAX_STATEMENTS = 8  # statements in the entry function, nested ones included
#: Issue 18's constructs, drawn from a stream of their own (``_Writer.aside``: the programs
#: without them are the ones the grammar wrote before): the share of ``break`` written as a
#: ``return`` (in loops, nested ones too), of ``for`` loops with a ``break`` given an
#: ``else:``, of unpackings written with a starred name (``u1, *r1 = xs`` then
#: ``[u2, u3] = r1``; ``for e1, *e2_rest in ps``), and of helper calls ``h(*(a, b))``
EXIT_RETURN = 0.5
LOOP_RETURN = 0.2  # ``for``/``while`` loops that end their body with ``if ...: return ...``
LOOP_ELSE = 0.5
STARRED = 0.5
SPLAT = 0.15
#: the share of comprehensions written as a dict comprehension summed by its values,
#: ``sum({i % 3: g(c) for i, c in enumerate(xs) if ...}.values())`` (keys repeat: a later
#: value replaces an earlier one), drawn from a stream of its own (``_Writer.dict_rng``)
DICT_COMPREHENSION = 0.4
#: the share of comprehensions (in families with kinks) written as ``max``/``min`` of the
#: list or generator, without an ``if`` (never empty): the adjoint goes to the winning item
EXTREME = 0.3
#: the share of loops over a tuple built here that end their body with ``if ...: break``
#: (a run-time loop over a run-time tuple), and of ``continue`` in loops over
#: ``reversed(range(...))`` written as ``break``: from a stream of their own
#: (``_Writer.exit_rng``)
UNROLLED_BREAK = 0.3
COUNTDOWN_BREAK = 0.5
#: the share of nested functions and lambdas written with ``*qs`` (called with one or two
#: arguments, reading the last), from the same stream
COLLECTED = 0.3
#: the share of new names, in programs that take a record, assigned through a record of
#: its class built in ``f`` (``_Writer._record_built``), from a stream of its own
RECORD_BUILT = 0.3
#: the share of unpackings of a tuple or list argument that unpack a copy of it made where
#: the code runs, ``c1 = list(xs)`` (``tuple(xs)``), half of the lists written into first
#: (``c1[0] = c1[0] * v``: the argument is read as it was), from a stream of its own
#: (``_Writer.copy_rng``)
COPIED = 0.5
#: the share of records built in ``f`` that a helper of the module builds and returns
#: (``make_box(a, b)``: inlined, its fields read), half of them through ``s2s_ad.jvp`` of
#: it (``s2s_ad.jvp(make_box, wrt=0)(u, v, 1.0)``: a record and its tangent record), from a
#: stream of its own (``_Writer.record_return_rng``)
RECORD_RETURNED = 0.3
#: the share of assignments whose right side is written as the call of a nested function
#: or lambda that closes over the names it reads (issue 18: ``_Writer._closure``), drawn
#: from the writer's second random stream, so the programs are otherwise the same
CLOSURES = 0.12
#: the share of calls of a smooth helper written as a call of its derivative,
#: ``s2s_ad.grad(h1, wrt="a")(u, v)``: built where ``f`` runs, inlined by s2s_ad (issue 16)
NESTED_GRAD = 0.15
MAX_DEPTH = 4  # expression tree depth
MAX_TRIPS = 10  # largest run-time trip count (the ``n`` argument, range bounds)
LIMIT = 1e6  # |f| and its partials at an accepted point
STEPS = (1e-3, 2.5e-4)  # Richardson steps: the oracle and its retry
# a third step, where those two disagree with each other as well as with AD: an oracle not yet
# converged there (f bends fast: `x = np.sin(x + x)` nine times), not a wrong derivative
FINE_STEP = 6.25e-5
OFFSETS = (1e-6, 1e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2e-3)  # where branch decisions must not change
ORACLE_AGREEMENT = 1e-6  # the two Richardson steps agree this well at an accepted point
CHECK_SECONDS = 30.0  # a check that takes longer reports a hang (an endless generated loop)
RTOL = 1e-5  # AD against the oracle
MODE_RTOL = 1e-10  # forward against reverse, optimized against unoptimized
HESSIAN_RTOL = 1e-4  # the Hessian against Richardson differences of the checked gradient
#: hessian's documented limit (README's error table): a program that meets it skips that check
HESSIAN_LIMIT = "adds into the adjoint of a tuple, list or dict"
JVP_TANGENTS = 2  # random tangents per array program
#: What :func:`examine` composes, over the number and array parameters (containers stay
#: out: their second derivatives are a documented limit), each checked against Richardson
#: differences of its inner result: ``grad(grad(f, wrt=a))`` for one number ``a``;
#: ``jacobian``, ``vjp`` (a random cotangent) and ``jvp`` (a random tangent) of
#: ``grad(f)``; ``hessian``; ``hvp`` (against the Hessian where that passed); ``jacobian(f)``
#: in forward and reverse mode. The first six are second order: not checked at a tie.
COMPOSITIONS = ("grad(grad)", "jacobian(grad)", "vjp(grad)", "jvp(grad)", "hessian", "hvp",
                "jacobian(fwd)", "jacobian(rev)", "elementwise_grad(grad)", "vmap(grad)")
SECOND_ORDER = frozenset(COMPOSITIONS[:6] + COMPOSITIONS[8:])
#: Checked only when asked for (``bench/fuzz.py --compositions grad(numba)``): ``grad(f,
#: backend="numba")``, a Numba compile per program (0.2-1 s), against ``grad(f)``.
OPTIONAL_COMPOSITIONS = ("grad(numba)",)
TIE_SHARE = 0.3  # programs whose points are first drawn from TIES
TIES = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)  # floats where max, abs, ... may tie
TIE_MARGIN = 1e-7  # a point with a branch margin below this sits on a tie
ONE_SIDED_STEPS = (2e-3, 1e-3)  # one-sided Richardson steps at a tie (within OFFSETS)

#: Known s2s_ad bugs, each with a strict-xfail regression test in ``test_fuzz.py``. By
#: default the writer avoids their patterns (``_ArrayWriter.bug``), so the fuzz tests stay
#: green and keep looking for new bugs; ``bench/fuzz.py --known-bugs`` turns that off. When
#: a bug is found, add its name here, make the writer stay away from its pattern where
#: ``bug(name)`` says so, and pin it with a strict xfail; when it is fixed, remove its entry
#: (and the code that reads it) and flip its xfail. None is open at the moment. Found by
#: the aliasing updates and fixed: `w = u; u += 1.0` where s2s_ad could not tell when
#: specializing that u is an array (built from a list appended to in a loop, a piece of
#: `np.split(x, [c])`) went unchecked and gave w's old value (the check now stays in the
#: code where u's kind is unknown); `L + np.split(x, [1])[0]` with a list argument L was
#: taken for list concatenation (np.split's pieces are known to be arrays now).
#: Fixed so far, now written freely: copies carried by a loop (`w = x`), `if` inside a loop
#: over a tuple, branches that only read container items, unread container arguments, zip
#: of a built tuple with an argument, `for k in d`, integer partials of float arguments
#: (allowed by design: derivatives may drop `* 1.0`), a loop nest whose inner loop breaks
#: inside a nested `if` (forward jacobian), a negative constant axis (`axis=-1`), the
#: shape-generic derivative of a product of two vectors (`v @ w`), a gradient that is a
#: view of an argument (`d(x[2] * b)/db`), index reads (`u[0]`, `u[1:]`, `for row in u`)
#: of an array whose value comes out of an `if` or a loop ("array-index-merged") or that is
#: an index read itself ("array-index-of-index"), arrays that get no adjoint on some path
#: (read only in an `if` arm or a loop body, or a `.T` that CSE shares between a condition
#: and its arm: "array-zero-adjoint"; these three in the shape-generic derivative), a
#: number argument whose gradient came out of np.where, np.maximum or np.minimum as a 0-d
#: array ("array-number-where").
#: Not a bug: `u += v` on an array whose old value another name, a view, a list or a
#: `for ... in u` loop reads afterwards raises UnsupportedSyntaxError by design (README,
#: "What you can differentiate"). The writer writes it on purpose now and then
#: (``ALIASING_SHARE``, ``_ArrayWriter._alias_update``; names in
#: ``Program.shared_updates``), where that refusal counts as documented; an ordinary update
#: goes only to an array nothing else shares (``_ArrayWriter._augmentable``), so the same
#: refusal there is a finding. Each is checked as well as any program: a view s2s_ad does
#: not know as one (np.moveaxis, np.split were) gives a wrong value, a mismatch.
KNOWN_BUGS: frozenset[str] = frozenset()


# --- the program --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Program:
    """A generated module (``source``), its entry function's name and the point to test at.

    ``wrt`` names every differentiable parameter (floats and containers of floats);
    ``scalar_wrt`` the float ones (forward-mode ``jacobian`` does not take containers).
    ``kink``: the point sits on a tie (``max(x, 1.0)`` at ``x == 1.0``), where gradients
    are checked against one-sided differences and second derivatives are not checked.
    ``coupled``: at a tie, the coordinates that move two or more tied decisions at once
    (:func:`_coupled`), whose partials no one-sided difference bounds: not compared.
    ``shared_updates``: the arrays the writer updates in place (``u += v``) on purpose
    while another name, a view or a loop may still read the old array; s2s_ad's refusal
    of an update of one of these is documented (:func:`_documented`).
    """

    source: str
    args: tuple
    params: tuple[str, ...]
    wrt: tuple[str, ...]
    scalar_wrt: tuple[str, ...]
    family: str = "mixed"
    seed: int = 0
    entry: str = "f"
    avoid: frozenset[str] = KNOWN_BUGS
    kink: bool = False
    coupled: frozenset[tuple] = frozenset()
    shared_updates: frozenset[str] = frozenset()

    def __repr__(self) -> str:  # what hypothesis prints: enough to rebuild the program
        avoid = "" if self.avoid == KNOWN_BUGS else f", avoid={set(self.avoid) or 'frozenset()'}"
        return f"generate({self.seed}, {self.family!r}{avoid})"

    def describe(self) -> str:
        """The program's source, the point and ``wrt``: what a failure report starts with."""
        point = ", ".join(map(_show, self.args))
        return (f"--- program (family {self.family!r}, seed {self.seed}) ---\n"
                f"{self.source.rstrip()}\n--- point ---\n"
                f"{self.entry}({point})\nwrt={self.wrt!r}"
                + ("\n(on a tie: one-sided differences)" if self.kink else "")
                + (f"\n(updated in place on purpose while another name may read the old "
                   f"array: {', '.join(sorted(self.shared_updates))})"
                   if self.shared_updates else ""))


def _show(value: Any) -> str:
    """``repr``, but an array as ``np.array([...])`` with every digit (to paste and rerun)."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    return repr(value)


def load(source: str) -> dict[str, Any]:
    """Execute ``source`` as a module whose functions ``inspect.getsource`` can read.

    The source is registered with ``linecache`` under a name made from its hash, so the
    same text always maps to the same file name and nothing is written to disk.
    """
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    filename = f"<s2s_ad-fuzz-{digest}>.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"s2s_ad_fuzz_{digest}"}
    exec(_compile(source, filename), namespace)
    return namespace


def _compile(source: str, filename: str) -> Any:
    with warnings.catch_warnings():  # the minimizer's candidates may index a constant
        warnings.simplefilter("ignore", SyntaxWarning)
        # (not this module's `from __future__ import annotations`: a program's dataclass
        # reads its annotations as types)
        return compile(source, filename, "exec", dont_inherit=True)


class Timeout(Exception):
    """Raised inside code that runs past :func:`time_limit`."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Timeout` in the block after ``seconds`` (POSIX main thread; else no-op)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not (
            threading.main_thread()):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Timeout(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- writing programs ---------------------------------------------------------------------------
_CONSTS = ("0.5", "1.5", "2.0", "0.25", "3.0", "0.1", "1.0", "0.75")
_UNARY = (
    "math.sin({a})", "math.cos({a})", "math.tanh({a})", "math.atan({a})", "math.erf({a})",
    "math.erfc({a})", "math.exp(math.tanh({a}))", "math.exp(-({a} * {a}))",
    "math.expm1(math.sin({a}))", "math.log(1.0 + {a} * {a})", "math.log1p({a} ** 2)",
    "math.log2(2.0 + math.cos({a}))", "math.log10(1.5 + math.sin({a}))",
    "math.log(2.0 + math.tanh({a}), 3.0)", "math.sqrt(1.0 + {a} ** 2)",
    "math.tan(0.5 * math.tanh({a}))", "math.asin(0.9 * math.tanh({a}))",
    "math.acos(0.9 * math.tanh({a}))", "math.sinh(math.tanh({a}))", "math.cosh(math.sin({a}))",
    "(-{a})", "(+{a})", "pow({a}, 2)", "math.pow({a}, 3)", "float({a})",
)
_BINARY = (
    (6, "({a} + {b})"), (5, "({a} - {b})"), (6, "({a} * {b})"), (2, "({a} / (1.0 + {b} * {b}))"),
    (2, "({a} / (2.0 + math.sin({b})))"), (1.5, "({a} / {c})"), (0.5, "({a} / {b})"),
    (1, "math.atan2({a}, 1.5 + math.cos({b}))"), (1, "math.hypot({a}, 0.5 + {b} * {b})"),
    (0.7, "((1.5 + math.sin({a})) ** {b})"), (0.7, "math.pow(2.0 + math.cos({a}), math.tanh({b}))"),
)
_POWER = ("({a} ** 2)", "({a} ** 3)", "({a} ** 1)", "({a} ** 0)", "((1.0 + {a} * {a}) ** -1)",
          "((1.0 + {a} * {a}) ** 0.5)", "((0.5 + {a} * {a}) ** -2)", "(2.0 ** math.sin({a}))")
_KINK = ("abs({a})", "math.fabs({a})", "max({a}, {b})", "min({a}, {b})",
         "({a} if {cond} else {b})")
_LEAF_KINK = ("max({v}, {k})", "min({v}, {w})", "abs({v} - {k})", "max({v}, {w})",
              "math.fabs({v})", "({v} if {v} > {k} else {k})")
_TIE_CONSTS = ("0.0", "1.0", "0.5", "-1.0")
_COMPARE = (">", "<", ">=", "<=")
_DAMPED = ("(0.5 * {v} + {e})", "({v} + 0.1 * {e})", "math.tanh({e})", "(0.9 * {v} - {e})",
           "math.sin({v} + {e})")
_DICT_KEYS = ("a", "b", "c")


#: the share of container programs with a record argument ``p`` (issue 18): a dataclass
#: ``Box`` read by field, or a named tuple ``Pair`` read by field, by index, iterated and
#: unpacked. Decided by a stream of its own (``_Writer.record_rng``), so programs without
#: one are the programs the same seeds gave before.
RECORD_SHARE = 0.3


@dataclass
class Box:
    """The dataclass argument of the fuzzer's programs (their source defines it alike)."""

    a: float
    b: float
    c: float


class Pair(NamedTuple):
    """The named-tuple argument of the fuzzer's programs (their source defines it alike)."""

    a: float
    b: float


# the classes as a program's source defines them (the arguments are the ones above, which
# pickle by reference: bench/fuzz.py sends programs between processes)
_RECORD_SOURCE = {  # (the import, the class)
    "Box": ("from dataclasses import dataclass",
            "@dataclass\nclass Box:\n    a: float\n    b: float\n    c: float"),
    "Pair": ("from typing import NamedTuple",
             "class Pair(NamedTuple):\n    a: float\n    b: float"),
}
_RECORDS = {"Box": Box, "Pair": Pair}
# a helper of the program returning a record of its class built there (issue 18)
_RECORD_MAKERS = {
    "Box": ("make_box", "def make_box(a, b):\n    return Box(a * b, math.sin(b), c=0.5)"),
    "Pair": ("make_pair", "def make_pair(a, b):\n    return Pair(b=a * b, a=math.cos(a))"),
}


def _weighted(rng: random.Random, options: list[tuple[float, Any]]) -> Any:
    total = sum(w for w, _ in options)
    pick = rng.random() * total
    for weight, value in options:
        pick -= weight
        if pick < 0:
            return value
    return options[-1][1]


@dataclass
class _Scope:
    """The names a statement may read: floats, ints, sequences (name -> length) and dicts."""

    floats: list[str]
    mutable: list[str]  # floats that may be re-assigned (not loop targets)
    ints: list[str] = field(default_factory=list)
    seqs: dict[str, int] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)  # lists of 2-tuples: name -> length
    dicts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tuples: dict[str, int] = field(default_factory=dict)  # tuples built here (may be unpacked)
    records: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> its fields
    hot: list[str] = field(default_factory=list)  # loop variables, read more often
    built: set[str] = field(default_factory=set)  # sequences built in f: constant indices
    in_loop: bool = False
    loops: int = 0
    top: bool = True
    unrolled: bool = False  # the innermost loop is over a tuple or list built here
    counting_down: bool = False  # the innermost loop is over reversed(range(...)): no break
    returns: bool = True  # no loop around is unrolled or counts down: a return may leave
    # Lists built here that loops append to may only be read where ``plain``: at the top
    # level or directly in a top-level loop's body, not in a branch or an inner loop (a
    # documented limitation: reading a list in a branch of the loop that appends to it).
    growing: set[str] = field(default_factory=set)
    plain: bool = True

    def child(self, **changes: Any) -> _Scope:
        new = replace(self, floats=list(self.floats), mutable=list(self.mutable),
                      ints=list(self.ints), seqs=dict(self.seqs), pairs=dict(self.pairs),
                      dicts=dict(self.dicts), tuples=dict(self.tuples),
                      records=dict(self.records), hot=list(self.hot),
                      built=set(self.built), growing=set(self.growing), top=False,
                      plain=False)
        for key, value in changes.items():
            setattr(new, key, value)
        return new


class _Writer:
    """Writes one module from a ``random.Random``; every choice goes through ``self.rng``."""

    def __init__(self, rng: random.Random, family: str, avoid: frozenset[str]) -> None:
        # ``avoid``: the KNOWN_BUGS whose patterns not to write
        self.rng = rng
        self.avoid = avoid
        self.features = _FEATURES[family]
        self.counter = 0
        self.budget = 0
        self.helpers: list[tuple[str, int, bool]] = []  # (name, parameters, last has default)
        self.smooth: set[str] = set()  # helpers without a kink: their derivative is smooth
        self.nested_grad = False  # a call of s2s_ad.grad(h) was written
        # issue 18's draws: a stream of their own, seeded from the main one without drawing
        # from it, so programs without those constructs stay the ones written before
        self.extra = random.Random(repr(rng.getstate()[1]))  # (hash(None) varies)
        self.exits = 0  # returns written inside loops
        # closures (issue 18) are drawn from a stream of their own, seeded from this one
        # without drawing from it: a program without one is the one written before them
        self.side = random.Random(f"closures:{rng.getstate()[1][:8]}")
        self.side_counter = 0
        self.hoisted: list[list[str]] = []  # per block being written: definitions moved up
        self.imports: set[str] = set()  # modules or helpers the closures need (module())
        # whether the program takes a record: a stream of its own, seeded from the main
        # one's state without drawing from it
        state = rng.getstate()[1]
        self.record_rng = random.Random(f"record:{state[:4]}:{state[-1]}")
        self.record: str | None = None
        self.record_build_rng = random.Random(f"records built:{state[:4]}:{state[-1]}")
        self.record_return_rng = random.Random(f"records returned:{state[:4]}:{state[-1]}")
        self.copy_rng = random.Random(f"copies:{state[:4]}:{state[-1]}")  # list(xs)
        self.record_maker = False  # make_box/make_pair was called: the module defines it
        # dict comprehensions (issue 18): a stream of their own, seeded the same way
        self.dict_rng = random.Random(f"dicts:{state[:4]}:{state[-1]}")
        self.extreme_rng = random.Random(f"extremes:{state[:4]}:{state[-1]}")  # max(xs)
        # breaks in loops over a tuple built here and over reversed(range(...))
        self.exit_rng = random.Random(f"exits:{state[:4]}:{state[-1]}")

    @contextlib.contextmanager
    def aside(self, stream: random.Random | None = None) -> Iterator[None]:
        """Write with the extra stream, or ``stream`` (what is written must not touch
        ``budget`` or ``counter`` either)."""
        saved, self.rng = self.rng, stream or self.extra
        try:
            yield
        finally:
            self.rng = saved

    def has(self, feature: str, p: float = 1.0) -> bool:
        return feature in self.features and self.rng.random() < p

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    # expressions
    def expr(self, sc: _Scope, depth: int) -> str:
        r = self.rng
        if depth <= 0 or r.random() < 0.22:
            return self.leaf(sc)
        options: list[tuple[float, Callable[[_Scope, int], str]]] = [
            (4.0, self._binary), (3.0, self._unary), (1.0, self._power)]
        if self.helpers:
            options.append((1.2, self._call))
        if "kink" in self.features:
            options.append((1.0, self._kink))
        return _weighted(r, options)(sc, depth - 1)

    def leaf(self, sc: _Scope) -> str:
        r = self.rng
        options: list[tuple[float, Callable[[], str]]] = [(1.0, lambda: r.choice(_CONSTS))]
        if sc.hot:
            options.append((2.0, lambda: r.choice(sc.hot)))
        if sc.floats:
            options.append((5.0, lambda: r.choice(sc.floats)))
        if sc.ints:
            options.append((0.6, lambda: r.choice(sc.ints)))
        if self._readable(sc):
            options.append((2.5, lambda: self.item(sc)))
        return _weighted(r, options)()

    @staticmethod
    def _readable(sc: _Scope) -> list[tuple[str, str]]:
        seqs = [n for n in sc.seqs if sc.plain or n not in sc.growing]
        return ([("seq", k) for k in seqs] + [("dict", k) for k in sc.dicts]
                + [("pairs", k) for k in sc.pairs] + [("record", k) for k in sc.records])

    @staticmethod
    def _branchy(sc: _Scope) -> _Scope:
        """The scope of an operand evaluated in a branch: ``and``/``or``, a ternary's arms."""
        return sc.child(top=sc.top, unrolled=sc.unrolled)

    def item(self, sc: _Scope) -> str:
        r = self.rng
        kind, name = r.choice(self._readable(sc))
        if kind == "dict":
            return f"{name}[{r.choice(sc.dicts[name])!r}]"
        if kind == "record":  # p.a (a named tuple's items are read as a sequence's too)
            return f"{name}.{r.choice(sc.records[name])}"
        length = sc.seqs[name] if kind == "seq" else sc.pairs[name]
        loop_ints = [i for i in sc.ints if i != "n"]
        if loop_ints and r.random() < 0.6:
            index = f"{r.choice(loop_ints)} % {length}"
        else:
            index = str(r.randrange(length))
        return f"{name}[{index}]" + (f"[{r.randrange(2)}]" if kind == "pairs" else "")

    def _unary(self, sc: _Scope, depth: int) -> str:
        return self.rng.choice(_UNARY).format(a=self.expr(sc, depth))

    def _binary(self, sc: _Scope, depth: int) -> str:
        template = _weighted(self.rng, [(w, t) for w, t in _BINARY])
        return template.format(a=self.expr(sc, depth), b=self.expr(sc, depth),
                               c=self.rng.choice(("2.0", "3.0", "0.5", "4")))

    def _power(self, sc: _Scope, depth: int) -> str:
        if sc.ints and self.rng.random() < 0.15:  # a run-time integer exponent
            return f"({self.expr(sc, depth)} ** {self.rng.choice(sc.ints)})"
        return self.rng.choice(_POWER).format(a=self.expr(sc, depth))

    def _kink(self, sc: _Scope, depth: int) -> str:
        if self.rng.random() < 0.4:  # of leaves: ties at points drawn from TIES
            template = self.rng.choice(_LEAF_KINK)
            # (the ternary reads v in an arm: a branch, where a list its loop grows is not
            # read, as the README documents)
            arm = self._branchy(sc) if " if " in template else sc
            return template.format(v=self.leaf(arm), w=self.leaf(sc),
                                   k=self.rng.choice(_TIE_CONSTS))
        template = self.rng.choice(_KINK)
        if "{cond}" not in template:
            return template.format(a=self.expr(sc, depth), b=self.expr(sc, depth))
        cond, arms = self.cond(sc, depth), self._branchy(sc)
        return template.format(a=self.expr(arms, depth), b=self.expr(arms, depth), cond=cond)

    def _call(self, sc: _Scope, depth: int) -> str:
        name, nparams, default = self.rng.choice(self.helpers)
        first = self.expr(sc, depth)
        if name in self.smooth and self.rng.random() < NESTED_GRAD:
            # the helper's derivative, built where f runs: s2s_ad inlines it (issue 16)
            self.nested_grad = True
            wrt = "a" if nparams == 1 or self.rng.random() < 0.6 else "b"
            args = first if nparams == 1 or (default and self.rng.random() < 0.3) else (
                f"{first}, {self.expr(sc, depth)}")
            return f"s2s_ad.grad({name}, wrt={wrt!r})({args})"
        if nparams == 1:
            return f"{name}({first})"
        style = self.rng.random()
        if default and style < 0.25:
            return f"{name}({first})"
        second = self.expr(sc, depth)
        if style < 0.55:
            return f"{name}({first}, b={second})"
        if style < 0.65:
            return f"{name}(b={second}, a={first})"
        if self.extra.random() < SPLAT:  # the arguments from a tuple built here
            return f"{name}(*({first}, {second}))"
        return f"{name}({first}, {second})"

    def cond(self, sc: _Scope, depth: int) -> str:
        r = self.rng
        depth = min(depth, 2)
        loop_ints = [i for i in sc.ints if i != "n"]
        if loop_ints and r.random() < 0.2:
            i = r.choice(loop_ints)
            return r.choice((f"{i} % 2 == 0", f"{i} > 2", f"{i} % 3 != 1"))
        roll = r.random()
        if roll < 0.1:
            return f"({self.cond(sc, 1)} and {self.cond(self._branchy(sc), 1)})"
        if roll < 0.17:
            return f"({self.cond(sc, 1)} or {self.cond(self._branchy(sc), 1)})"
        if roll < 0.22:
            return f"(not {self.cond(sc, 1)})"
        rhs = r.choice(_CONSTS) if r.random() < 0.4 else self.expr(sc, depth)
        return f"{self.expr(sc, max(depth, 1))} {r.choice(_COMPARE)} {rhs}"

    # statements
    def block(self, sc: _Scope, ind: str, lo: int, hi: int) -> list[str]:
        lines: list[str] = []
        self.hoisted.append([])
        for _ in range(self.rng.randint(lo, hi)):
            if self.budget <= 0 and lines:
                break
            lines += self.statement(sc, ind)
        return self.hoisted.pop() + lines

    def statement(self, sc: _Scope, ind: str) -> list[str]:
        self.budget -= 1
        r = self.rng
        options: list[tuple[float, Callable[[_Scope, str], list[str]]]] = [
            (1.0 if sc.in_loop else 3.0, self._assign_new)]
        if sc.mutable:
            options += [(4.5 if sc.in_loop else 3.0, self._reassign), (1.5, self._augassign)]
        if "tuple" in self.features:
            options.append((0.8, self._tuple_assign))
            if len(sc.mutable) >= 2:
                options.append((0.8, self._swap))
            options.append((0.6, self._local_tuple))
            if sc.tuples:
                options.append((0.8, self._unpack_local))
            if self._unpackable(sc):  # a tuple or list argument: unpacked at run time
                options.append((0.5, self._unpack_argument))
        # (at the top level: a list made in a loop and grown in an inner one is read there
        # only as the documented limitation allows)
        if "container" in self.features and sc.top and self._comprehensible(sc):
            options.append((0.8, self._comprehension))
        if "container" in self.features and sc.top:
            options.append((1.0, self._local_list))
        if sc.growing and sc.in_loop and not sc.unrolled and sc.plain:
            options.append((2.5, lambda sc, ind: self._grow(sc, ind, always=True)))
        if self.budget >= 1:
            if "branch" in self.features:
                options.append((2.0, self._if))
                if sc.top:
                    options.append((0.6, self._early_return))
            if "loop" in self.features and sc.loops < 2:
                options.append((2.0 if sc.loops == 0 else 0.7, self._for))
            if "container" in self.features and sc.loops < 2 and (sc.seqs or sc.dicts):
                options.append((2.0, self._for_container))
            if "while" in self.features and sc.loops == 0 and sc.mutable:
                options.append((1.3, self._while))
            if "while" in self.features and sc.loops == 0:
                options.append((0.6, self._while_true))
        # break/continue in a loop over a tuple or list is a documented limitation
        if sc.in_loop and not sc.unrolled and ("branch" in self.features
                                               or "while" in self.features):
            options.append((1.0, self._break_or_continue))
        return _weighted(r, options)(sc, ind)

    def _rhs(self, sc: _Scope, target: str | None) -> str:
        e = self.expr(sc, self.rng.randint(1, MAX_DEPTH))
        if sc.in_loop and target is not None and self.rng.random() < 0.55:
            return self.rng.choice(_DAMPED).format(v=target, e=e)  # keep loops bounded
        return e

    def _assign_new(self, sc: _Scope, ind: str) -> list[str]:
        name = self.fresh(self.rng.choice("vuw"))
        lines = self._closure(sc, ind, name, self._rhs(sc, None))
        sc.floats.append(name)
        sc.mutable.append(name)
        return lines

    def _reassign(self, sc: _Scope, ind: str) -> list[str]:
        name = self.rng.choice(sc.mutable)
        return self._closure(sc, ind, name, self._rhs(sc, name))

    def _closure(self, sc: _Scope, ind: str, name: str, rhs: str) -> list[str]:
        """``name = rhs``; or (a share :data:`CLOSURES`, drawn from ``self.side``) the call
        of a nested ``def`` or ``lambda`` whose body is ``rhs`` with one number it reads
        made its parameter: called directly, by keyword, through ``map``,
        ``functools.partial`` or a helper that calls it, with a parameter defaulting to
        another number, or holding a lambda of its own. The other names stay free: the
        closure reads the enclosing function's parameters and locals. Its definition is
        written just before, or at the start of the block (it reads its free names when
        called, as Python does: late binding)."""
        r = self.side
        if r.random() >= CLOSURES:
            return self._record_built(sc, ind, name, rhs)
        tree = ast.parse(rhs, mode="eval")
        numbers = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                          and (n.id in sc.floats or n.id in sc.ints)})
        self.side_counter += 1
        k = self.side_counter
        fn, q, q2 = f"fn{k}", f"q{k}", f"r{k}"
        var = r.choice(numbers) if numbers else None
        other = r.choice([n for n in numbers if n != var] or [None])
        form = r.choice(("def", "lambda", "keyword", "map", "partial", "helper", "default",
                         "nested"))
        if var is None:
            form = "def"
        body = _renamed(tree, {var: q} if var else {})
        params = q if var else ""
        if form == "default" and other is not None:
            body = _renamed(tree, {var: q, other: q2})
            params = f"{q}, {q2}={other}"  # (evaluated at the definition: written just before)
        collected = (form in ("def", "lambda") and var is not None
                     and self.exit_rng.random() < COLLECTED)  # `*qs`: var the last of them
        if collected:
            body, params = _renamed(tree, {var: f"{q}s[-1]"}), f"*{q}s"
        if form == "nested" and other is not None:
            inner = _renamed(tree, {var: q, other: q2})
            definition = [f"def {fn}({q}):", f"    inner{k} = lambda {q2}: {inner}",
                          f"    return inner{k}({other})"]
        elif form == "lambda":
            definition = [f"{fn} = lambda {params}: {body}"]
        else:
            definition = [f"def {fn}({params}):", f"    return {body}"]
        argument = (f"{other}, {var}" if other else var) if collected else (var or "")
        call = {"keyword": f"{fn}({q}={argument})", "map": f"sum(map({fn}, ({argument},)))",
                "partial": f"functools.partial({fn}, {argument})()",
                "helper": f"call_with({fn}, {argument})"}.get(form, f"{fn}({argument})")
        if form == "map" and var is None:
            call = f"{fn}()"
        if form in ("partial", "helper") and var is not None:
            self.imports.add(form)
        lines = [f"{ind}{line}" for line in definition]
        if form != "default" and self.hoisted and r.random() < 0.3:
            self.hoisted[-1] += lines  # defined at the start of the block, called here
            return [f"{ind}{name} = {call}"]
        return lines + [f"{ind}{name} = {call}"]

    def _record_built(self, sc: _Scope, ind: str, name: str, rhs: str) -> list[str]:
        """``name = rhs``; or (a share :data:`RECORD_BUILT` of the programs that take a
        record, from a stream of its own) a record of the program's class built from it and
        read back: ``name_rec = Box(rhs, u, 0.5)``, ``name = name_rec.a * name_rec.c + ...``."""
        r = self.record_build_rng
        if self.record is None or r.random() >= RECORD_BUILT:
            return [f"{ind}{name} = {rhs}"]
        other = r.choice(sc.floats) if sc.floats else "0.5"
        k = f"{name}_rec"
        returned = self.record_return_rng.random() < RECORD_RETURNED
        if returned:  # a helper returns the record (issue 18)
            self.record_maker = True
            maker = _RECORD_MAKERS[self.record][0]
            if self.record_return_rng.random() < 0.5:
                return [f"{ind}{k} = {maker}({rhs}, {other})",
                        f"{ind}{name} = {k}.a * {k}.b + {k}[1] * 0.25" if self.record == "Pair"
                        else f"{ind}{name} = {k}.a * {k}.c + {k}.b * 0.25"]
            self.nested_grad = True  # (import s2s_ad)
            k = f"{name}_jvp"  # (a tuple of records: a name of its own, so that a loop that
            #                    carries `{name}_rec` carries one structure, as documented)
            return [f"{ind}{k} = s2s_ad.jvp({maker}, wrt=0)({rhs}, {other}, 1.0)",
                    f"{ind}{name} = {k}[0].a * {k}[1].b + {k}[1].a * 0.25 + {k}[0].b * 0.1"]
        if self.record == "Box":
            return [f"{ind}{k} = Box({rhs}, {other}, c=0.5)",
                    f"{ind}{name} = {k}.a * {k}.c + {k}.b * 0.25"]
        return [f"{ind}{k} = Pair(b={other}, a={rhs})", f"{ind}{name} = {k}[0] + {k}.b * 0.25"]

    def _augassign(self, sc: _Scope, ind: str) -> list[str]:
        name = self.rng.choice(sc.mutable)
        op = self.rng.choice(("+=", "+=", "-=", "*="))
        e = self.expr(sc, self.rng.randint(1, 3))
        if op == "*=" and sc.in_loop:
            e = f"math.cos({e})"
        return [f"{ind}{name} {op} {e}"]

    def _tuple_assign(self, sc: _Scope, ind: str) -> list[str]:
        names = [self.rng.choice(sc.mutable) if sc.mutable and self.rng.random() < 0.5
                 else self.fresh("v") for _ in range(2)]
        if names[0] == names[1]:
            names[1] = self.fresh("v")
        values = [self._rhs(sc, n if n in sc.mutable else None) for n in names]
        for n in names:
            if n not in sc.floats:
                sc.floats.append(n)
                sc.mutable.append(n)
        return [f"{ind}{names[0]}, {names[1]} = {values[0]}, {values[1]}"]

    def _swap(self, sc: _Scope, ind: str) -> list[str]:
        a, b = self.rng.sample(sc.mutable, 2)
        other = self.leaf(sc)
        new_b = (f"math.tanh({a} + {b} * {other})" if sc.in_loop
                 else f"{a} + {b} * {other}")
        return [f"{ind}{a}, {b} = {b}, {new_b}"]

    def _local_tuple(self, sc: _Scope, ind: str) -> list[str]:
        name = self.fresh("p")
        length = self.rng.randint(2, 3)
        items = ", ".join(self.expr(sc, self.rng.randint(0, 2))
                          for _ in range(length))
        sc.seqs[name] = length
        sc.tuples[name] = length
        sc.built.add(name)
        return [f"{ind}{name} = ({items})"]

    def _unpack_local(self, sc: _Scope, ind: str) -> list[str]:
        return self._unpack(sc, ind, sc.tuples)

    @staticmethod
    def _unpackable(sc: _Scope) -> list[str]:
        return sorted(n for n in sc.seqs if n not in sc.built and n not in sc.growing)

    def _unpack_argument(self, sc: _Scope, ind: str) -> list[str]:
        floats = list(sc.floats)  # (the names bound before: the copy's write reads one)
        lines = self._unpack(sc, ind, {n: sc.seqs[n] for n in self._unpackable(sc)})
        r = self.copy_rng
        if r.random() >= COPIED:
            return lines
        # (issue 18) unpack a copy made at run time, perhaps written into first
        targets, source = lines[0].rsplit(" = ", 1)
        copy = f"c{targets.strip().split(',')[0].lstrip('*u')}"
        kind = r.choice(("list", "list", "tuple"))
        made = [f"{ind}{copy} = {kind}({source})"]
        if kind == "list" and r.random() < 0.5:
            unpacked, sc.floats = sc.floats, floats  # (not the names the unpack binds after)
            with self.aside(r):
                factor = self.leaf(sc)
            sc.floats = unpacked
            made.append(f"{ind}{copy}[0] = {copy}[0] * {factor}")
        return [*made, f"{targets} = {copy}", *lines[1:]]

    def _unpack(self, sc: _Scope, ind: str, lengths: dict[str, int]) -> list[str]:
        """``u1, u2 = source``: one of ``lengths``' sequences into as many new floats."""
        source = self.rng.choice(sorted(lengths))
        names = [self.fresh("u") for _ in range(lengths[source])]
        sc.floats.extend(names)
        sc.mutable.extend(names)
        if self.extra.random() < STARRED:  # `u1, *r1 = xs` (a list), then `[u2] = r1`
            star = self.extra.randrange(len(names))
            rest = "r" + names[0][1:]
            targets = [*names[:star], f"*{rest}", *names[star + 1:]]
            return [f"{ind}{', '.join(targets)} = {source}", f"{ind}[{names[star]}] = {rest}"]
        return [f"{ind}{', '.join(names)} = {source}"]

    @staticmethod
    def _comprehensible(sc: _Scope) -> list[str]:
        return sorted(n for n in sc.seqs if n not in sc.growing)

    def _comprehension(self, sc: _Scope, ind: str) -> list[str]:
        """``v = sum([g(c) for c in xs if ...])``, or the generator expression: the loop
        that appends to a list, then sums it."""
        r = self.rng
        source = r.choice(self._comprehensible(sc))
        c, target = self.fresh("c"), self.fresh("v")
        inner = sc.child()  # (no growing list read in its loop)
        inner.floats.append(c)
        inner.hot.append(c)
        item = self.expr(inner, 2)
        test = f" if {self.cond(inner, 1)}" if r.random() < 0.4 else ""
        body = f"{item} for {c} in {source}{test}"
        sc.floats.append(target)
        sc.mutable.append(target)
        listed = r.random() < 0.5
        if "kink" in self.features and self.extreme_rng.random() < EXTREME:  # never empty
            which = self.extreme_rng.choice(("max", "min"))
            every = f"{item} for {c} in {source}"
            return [f"{ind}{target} = {which}([{every}])" if listed
                    else f"{ind}{target} = {which}({every})"]
        if self.dict_rng.random() < DICT_COMPREHENSION:  # keys i % k: later ones replace
            k = self.dict_rng.choice((2, 3, 5))
            i = f"i{c[1:]}"  # (c's number: no name drawn from the counter)
            return [f"{ind}{target} = sum({{{i} % {k}: {item} for {i}, {c} in "
                    f"enumerate({source}){test}}}.values())"]
        return [f"{ind}{target} = sum([{body}])" if listed else f"{ind}{target} = sum({body})"]

    def _local_list(self, sc: _Scope, ind: str) -> list[str]:
        name = self.fresh("ys")
        length = self.rng.randint(1, 3)
        items = ", ".join(self.expr(sc, self.rng.randint(0, 2))
                          for _ in range(length))
        lines = [f"{ind}{name} = [{items}]"]
        if self.rng.random() < 0.5:
            lines.append(f"{ind}{name}.append({self.expr(sc, 2)})")
            length += 1
        sc.seqs[name] = length
        sc.built.add(name)
        if ("loop" in self.features and "inactive-append" not in self.avoid
                and self.rng.random() < 0.5):
            sc.growing.add(name)  # loops may append to it (indices below length stay valid)
        return lines

    def _if(self, sc: _Scope, ind: str) -> list[str]:
        lines = [f"{ind}if {self.cond(sc, 2)}:"] + self.block(sc.child(), ind + "    ", 1, 2)
        if self.rng.random() < 0.25 and self.budget > 0:
            # evaluated in the first test's else branch: no growing list read there
            lines += [f"{ind}elif {self.cond(self._branchy(sc), 2)}:"]
            lines += self.block(sc.child(), ind + "    ", 1, 2)
        if self.rng.random() < 0.7:
            lines += [f"{ind}else:"] + self.block(sc.child(), ind + "    ", 1, 2)
        if any(line.strip() in ("break", "continue") for line in lines):
            sc.plain = False  # the rest of the block is lowered into the branches
        return lines

    def _early_return(self, sc: _Scope, ind: str) -> list[str]:
        sc.plain = False  # the rest of the function is lowered into the else branch
        return [f"{ind}if {self.cond(sc, 2)}:",
                f"{ind}    return {self.expr(self._branchy(sc), 3)}"]

    def _for(self, sc: _Scope, ind: str) -> list[str]:
        r = self.rng
        i = self.fresh("i")
        outer = [v for v in sc.ints if v != "n"]
        bounds = ["range(n)", "range(n)", f"range({r.randint(1, 5)})", "range(1, n)",
                  "range(n, 0, -2)", "range(2, n + 1)"]
        if outer:
            bounds.append(f"range({r.choice(outer)})")
        bounds += ["reversed(range(n))", "reversed(range(1, n, 2))"]
        if "n" not in sc.ints:
            bounds = [b for b in bounds if "n" not in b.replace("range", "")] or ["range(3)"]
        header = r.choice(bounds)
        body = sc.child(in_loop=True, loops=sc.loops + 1, unrolled=False,
                        plain=sc.top and sc.plain, counting_down=header.startswith("reversed"),
                        returns=sc.returns and not header.startswith("reversed"))
        body.ints.append(i)
        body.hot.append(i)
        exits = self.exits
        lines = ([f"{ind}for {i} in {header}:"] + self._grow(body, ind + "    ")
                 + self.block(body, ind + "    ", 1, 3))
        lines += self._loop_return(body, ind + "    ")
        self._left(sc, exits)
        if (sc.mutable and any(line.strip() == "break" for line in lines)
                and self.extra.random() < LOOP_ELSE):  # runs when the loop does not break
            name = self.extra.choice(sc.mutable)
            with self.aside():
                lines += [f"{ind}else:", f"{ind}    {name} = {self._rhs(sc, name)}"]
        return lines

    def _for_container(self, sc: _Scope, ind: str) -> list[str]:
        r = self.rng
        body = sc.child(in_loop=True, loops=sc.loops + 1, plain=sc.top and sc.plain,
                        counting_down=False)
        v, w, j, k = self.fresh("e"), self.fresh("e"), self.fresh("j"), self.fresh("k")
        # (header, new floats, new ints, first line of the body or None, unrolled)
        headers: list[tuple[str, list[str], list[str], str | None, bool]] = []
        # a list loops append to is iterated only at the top level, by a loop that does not
        # append to it
        iterable = [n for n in sc.seqs if sc.top or n not in sc.growing]
        for name in iterable:
            built = name in sc.built  # a tuple or list built in f: the loop is unrolled
            headers.append((f"for {v} in {name}:", [v], [], None, built))
            headers.append((f"for {j}, {v} in enumerate({name}):", [v], [j], None, built))
            if not built:  # a run-time sequence, last item first
                headers.append((f"for {v} in reversed({name}):", [v], [], None, False))
            others = [o for o in iterable if o != name]
            if others:
                headers.append((f"for {v}, {w} in zip({name}, {r.choice(others)}):", [v, w],
                                [], None, built))
        for name in sc.pairs:  # each item a tuple known only at run time: unpacked there
            headers.append((f"for {v}, {w} in {name}:", [v, w], [], None, False))
        for name in sc.dicts:
            headers.append((f"for {k} in {name}:", [v], [], f"{v} = {name}[{k}]", False))
            headers.append((f"for {k}, {v} in {name}.items():", [v], [], None, False))
            headers.append((f"for {v} in {name}.values():", [v], [], None, False))
            headers.append((f"for {k} in {name}.keys():", [v], [], f"{v} = {name}[{k}]", False))
        items = ", ".join(self.leaf(sc) for _ in range(r.randint(2, 3)))
        headers.append((f"for {v} in ({items}):", [v], [], None, True))
        header, floats, ints, first, unrolled = r.choice(headers)
        hi = 3 if first is None else 2
        if header == f"for {v}, {w} in {header.split(' in ', 1)[1]}" and header.split(
                " in ", 1)[1].rstrip(":") in sc.pairs and self.extra.random() < STARRED:
            header = header.replace(f", {w} in", f", *{w}_rest in")  # (a list of one)
            first = f"{w} = {w}_rest[0]"
        iterated = header.split(" in ", 1)[1]
        if not unrolled or not iterated.startswith("("):  # (a display only reads the lists)
            body.growing -= {n for n in sc.seqs if n in iterated}  # never appended to
        body.floats += floats
        body.ints += ints
        body.hot += floats
        body.unrolled = unrolled
        body.returns = sc.returns and not unrolled
        lines = [f"{ind}{header}"] + ([f"{ind}    {first}"] if first else [])
        if not unrolled:
            lines += self._grow(body, ind + "    ")
        exits = self.exits
        lines += self.block(body, ind + "    ", 1, hi) + self._loop_return(body, ind + "    ")
        if unrolled and self.exit_rng.random() < UNROLLED_BREAK:  # a run-time loop then
            with self.aside(self.exit_rng):
                lines += [f"{ind}    if {self.cond(body, 2)}:", f"{ind}        break"]
        self._left(sc, exits)
        return lines

    def _while(self, sc: _Scope, ind: str) -> list[str]:
        r = self.rng
        k = self.fresh("k")
        s = r.choice(sc.mutable)
        bound = r.choice(("n", "n", str(r.randint(1, 6)))) if "n" in sc.ints else str(
            r.randint(1, 6))
        limit = r.choice(("2.0", "5.0", "10.0"))
        head = r.choice((f"{k} < {bound} and {s} < {limit}", f"{s} < {limit} and {k} < {bound}",
                         f"{k} < {bound}", f"{k} < {bound} and abs({s}) < {limit}",
                         f"{k} < {bound} and {self.cond(self._branchy(sc), 1)}"))
        body = sc.child(in_loop=True, loops=sc.loops + 1, unrolled=False,
                        plain=sc.top and sc.plain, counting_down=False)
        body.ints.append(k)
        step = r.choice((f"{k} += 1", f"{k} = {k} + 1"))
        lines = [f"{ind}{k} = 0", f"{ind}while {head}:", f"{ind}    {step}"]
        lines += self._grow(body, ind + "    ")
        if r.random() < 0.7:  # move the variable the condition reads
            self.budget -= 1
            lines.append(f"{ind}    {s} = {self._rhs(body, s)}")
        exits = self.exits
        lines += self.block(body, ind + "    ", 0 if len(lines) > 3 else 1, 2)
        lines += self._loop_return(body, ind + "    ")
        self._left(sc, exits)
        return lines

    def _while_true(self, sc: _Scope, ind: str) -> list[str]:
        """``while True:`` binding a new name before its break test (issue 15): the name,
        bound on every path to a ``break``, is read after the loop. The counter's test
        comes before any ``continue`` of the rest of the body, so the loop ends."""
        r = self.rng
        k, v = self.fresh("k"), self.fresh("v")
        bound = r.choice(("n", str(r.randint(1, 6)))) if "n" in sc.ints else str(
            r.randint(1, 6))
        body = sc.child(in_loop=True, loops=sc.loops + 1, unrolled=False, plain=False,
                        counting_down=False)
        body.ints.append(k)
        self.budget -= 1
        lines = [f"{ind}{k} = 0", f"{ind}while True:", f"{ind}    {k} += 1",
                 f"{ind}    {v} = {self._rhs(body, None)}",
                 f"{ind}    if {k} >= {bound} or {self.cond(self._branchy(body), 1)}:",
                 f"{ind}        break"]
        body.floats.append(v)
        exits = self.exits
        lines += self.block(body, ind + "    ", 0, 2)
        self._left(sc, exits)
        sc.floats.append(v)
        sc.mutable.append(v)
        return lines

    def _grow(self, body: _Scope, ind: str, always: bool = False) -> list[str]:
        """Often, an append to a list built earlier, first in a top-level loop's body."""
        if body.plain and body.growing and (always or self.rng.random() < 0.6):
            name = self.rng.choice(sorted(body.growing))
            if self.rng.random() < 0.3:  # on some iterations only (the item read in a branch)
                item = self.expr(body.child(), 2)
                return [f"{ind}if {self.cond(body, 2)}:", f"{ind}    {name}.append({item})"]
            return [f"{ind}{name}.append({self.expr(body, 2)})"]
        return []

    def _loop_return(self, body: _Scope, ind: str) -> list[str]:
        """Sometimes, ``if ...: return ...`` at the end of a loop body (from the extra
        stream), where a return may leave every loop around."""
        if not body.returns or self.extra.random() >= LOOP_RETURN:
            return []
        self.exits += 1
        with self.aside():
            return [f"{ind}if {self.cond(body, 2)}:",
                    f"{ind}    return {self.final_return(body, None)}"]

    def _left(self, sc: _Scope, exits: int) -> None:
        """After a loop: where its body returned, what follows is lowered in a branch."""
        if self.exits > exits:
            sc.plain = False

    def _break_or_continue(self, sc: _Scope, ind: str) -> list[str]:
        sc.plain = False  # the rest of the body is lowered into a branch
        # (in a loop over reversed(range(...)): a break from a stream of its own)
        word = ("continue" if self.exit_rng.random() >= COUNTDOWN_BREAK else "break"
                ) if sc.counting_down else self.rng.choice(("break", "continue"))
        if word == "break" and sc.returns and self.extra.random() < EXIT_RETURN:  # leave f
            self.exits += 1
            with self.aside():
                word = f"return {self.final_return(sc, None)}"
        if self.rng.random() < 0.1:
            return [f"{ind}{word}"]
        return [f"{ind}if {self.cond(sc, 2)}:", f"{ind}    {word}"]

    def final_return(self, sc: _Scope, last: str | None) -> str:
        r = self.rng
        chosen = [v for v in sc.floats if r.random() < 0.6]
        if last is not None and last not in chosen:
            chosen.append(last)
        if not chosen:
            chosen = [r.choice(sc.floats)]
        terms = []
        for v in chosen:
            roll = r.random()
            if roll < 0.2:
                terms.append(f"{r.choice(_CONSTS)} * {v}")
            elif roll < 0.3:
                terms.append(f"{v} * {r.choice(sc.floats)}")
            else:
                terms.append(v)
        return " + ".join(terms) if r.random() < 0.7 else f"({' + '.join(terms)}) * {terms[0]}"

    # functions
    def helper(self, index: int) -> str:
        r = self.rng
        name = f"h{index}"
        nparams = r.choice((1, 2, 2))
        default = nparams == 2 and r.random() < 0.5
        params = "a" if nparams == 1 else ("a, b=0.5" if default else "a, b")
        floats = ["a"] if nparams == 1 else ["a", "b"]
        sc = _Scope(list(floats), list(floats))
        saved, self.features = self.features, self.features - {"loop", "while", "container"}
        self.budget = r.randint(0, 2)
        body = self.block(sc, "    ", 0, 2) if self.budget else []
        self.features = saved
        lines = [f"def {name}({params}):"] + body + [f"    return {self.expr(sc, 2)}"]
        self.helpers.append((name, nparams, default))
        text = "\n".join(lines)
        if not re.search(r"\b(abs|fabs|min|max|floor|ceil|s2s_ad)\b|[<>]|==|!=| if ", text):
            self.smooth.add(name)  # (a kink of h is a jump of its derivative)
        return text

    def module(self) -> tuple[str, list[tuple[str, str]]]:
        """The source, and the entry's parameters as (name, kind) pairs."""
        r = self.rng
        chunks = ["import math"]
        if self.has("helper", 0.6):
            for index in range(1, r.choice((1, 1, 2)) + 1):
                chunks.append(self.helper(index))
        params = [("x", "float")]
        if r.random() < 0.6:
            params.append(("y", "float"))
        if r.random() < 0.25:
            params.append(("z", "float"))
        if self.has("container", 0.8):
            params += [(n, k) for n, k in (("xs", "list"), ("d", "dict"), ("t", "tuple"),
                                           ("ps", "pairs"))
                       if r.random() < {"list": 0.7, "dict": 0.5, "tuple": 0.4, "pairs": 0.2}[k]]
        # (its own stream: the main one draws the same numbers with or without it)
        if "container" in self.features and self.record_rng.random() < RECORD_SHARE:
            self.record = self.record_rng.choice(("Box", "Pair"))
            params.append(("p", "record"))
        if self.has("loop", 0.85) or self.has("while", 0.5):
            params.append(("n", "int"))
        floats = [n for n, k in params if k == "float"]
        sc = _Scope(list(floats), list(floats))
        sc.ints = [n for n, k in params if k == "int"]
        for n, k in params:
            if k in ("list", "tuple"):
                sc.seqs[n] = r.randint(2, 4) if k == "list" else 2
            elif k == "dict":
                sc.dicts[n] = _DICT_KEYS[:r.randint(2, 3)]
            elif k == "pairs":
                sc.pairs[n] = 2
            elif k == "record":
                fields = tuple(f.name for f in dataclasses.fields(Box)) if (
                    self.record == "Box") else Pair._fields
                sc.records[n] = fields
                if self.record == "Pair":  # a tuple too: indexed, iterated, unpacked
                    sc.seqs[n] = len(fields)
        self.budget = MAX_STATEMENTS
        body = self.block(sc, "    ", 2, MAX_STATEMENTS)
        last = None
        for line in reversed(body):
            lhs = line.strip().split(" = ")[0] if " = " in line else ""
            if line.startswith("    ") and not line.startswith("     ") and lhs in sc.floats:
                last = lhs
                break
        signature = []
        for index, (n, _) in enumerate(params):
            default = index == len(params) - 1 and r.random() < 0.15
            signature.append(f"{n}=3" if default and n == "n" else n)
        head = f"def f({', '.join(signature)}):"
        ret = f"    return {self.final_return(sc, last)}"
        chunks.append("\n".join([head] + body + [ret]))
        self.shapes = {n: (k, self.record if k == "record" else
                           sc.seqs.get(n) or sc.pairs.get(n) or sc.dicts.get(n))
                       for n, k in params}
        if self.record is not None:
            imported, defined = _RECORD_SOURCE[self.record]
            chunks[0] += "\n" + imported
            if self.record_maker:
                chunks.insert(1, _RECORD_MAKERS[self.record][1])
            chunks.insert(1, defined)
        if self.nested_grad:
            chunks[0] += "\nimport s2s_ad"
        if "partial" in self.imports:
            chunks[0] += "\nimport functools"
        if "helper" in self.imports:  # (a helper that calls the function it is given)
            chunks.insert(1, "def call_with(fn, v):\n    return fn(v)")
        return "\n\n\n".join(chunks) + "\n", params


def _renamed(tree: ast.Expression, names: dict[str, str]) -> str:
    """The expression ``tree`` with the names in ``names`` renamed (a copy)."""
    copied = copy.deepcopy(tree)
    for node in ast.walk(copied):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
    return ast.unparse(copied)


def _draw_args(rng: random.Random, writer: _Writer, params: list[tuple[str, str]],
               ties: bool = False) -> tuple:
    """A point: uniform floats, or (``ties``) floats from a few of :data:`TIES`, so that
    arguments repeat each other and the program's constants."""
    pool = rng.sample(TIES, 3) if ties else ()

    def real() -> float:
        return rng.choice(pool) if pool else rng.uniform(-2.0, 2.0)

    args: list[Any] = []
    for name, kind in params:
        shape = writer.shapes[name][1]
        if kind == "float":
            args.append(real())
        elif kind == "int":
            args.append(rng.randint(0, MAX_TRIPS))
        elif kind == "list":
            args.append([real() for _ in range(shape)])
        elif kind == "tuple":
            args.append(tuple(real() for _ in range(shape)))
        elif kind == "dict":
            args.append({key: real() for key in shape})
        elif kind == "record":
            cls = _RECORDS[shape]
            args.append(cls(*(real() for _ in range(len(_record_fields(cls))))))
        else:
            args.append([(real(), real()) for _ in range(shape)])
    return tuple(args)


# of the programs that read their list argument `xs` only by items (no slices), its length,
# loops over it (zip too) and unpacking: `xs` is a float64 vector instead, which a gradient
# reads through `xs.tolist()` (s2s_ad/transforms/items.py) where that is exact
VECTOR_SHARE = 0.4
_VECTOR_READS = re.compile(r"\bxs\[[^\]\[:]*\](?!\s*(?:[-+*/%]|\*\*|//)?=(?!=))|\blen\(xs\)"
                           r"|\bin xs:|\b(?:enumerate|reversed)\(xs\)|\bzip\([^()]*\bxs\b[^()]*\)"
                           r"|^\s*\w+(?:, \w+)+ = xs$|^def .*$", re.MULTILINE)


def _vectors_drawn(draw: Callable[..., tuple], source: str, params: list[tuple[str, str]],
                   seed: int) -> Callable[..., tuple]:
    """``draw``, giving the list argument ``xs`` as a float vector in a share of the programs
    that only read it by items (:data:`VECTOR_SHARE`; its own stream, so the programs and
    points stay those of the seed)."""
    if ("xs", "list") not in params or re.search(r"\bxs\b", _VECTOR_READS.sub("", source)) or (
            random.Random(f"vector:{seed}").random() >= VECTOR_SHARE):
        return draw
    k = params.index(("xs", "list"))

    def vectors(*args: Any, **kwargs: Any) -> tuple:
        drawn = list(draw(*args, **kwargs))
        drawn[k] = np.array(drawn[k], dtype=np.float64)
        return tuple(drawn)

    return vectors


def _record_fields(cls: type) -> tuple[str, ...]:
    return (tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls)
            else cls._fields)


def _is_record(value: Any) -> bool:
    """A dataclass instance or a named tuple: a container read by field."""
    return (dataclasses.is_dataclass(value) and not isinstance(value, type)) or (
        isinstance(value, tuple) and hasattr(value, "_fields"))


# --- writing array programs ---------------------------------------------------------------------
# The "array" family: NumPy programs over small arrays. Every expression is written for a
# known shape (a tuple; () for numbers), so broadcasting, `@`, reductions, indexing, joins
# and reshapes always fit; the program's dimensions are two distinct sizes m, n in 2..4.
Shape = tuple
_ANY: Shape = ("any",)  # a helper's parameter ``a``: any shape (helper bodies are elementwise)
MAX_ARRAY_STATEMENTS = 7

_NP_UNARY = (
    "np.sin({a})", "np.cos({a})", "np.tanh({a})", "np.exp(np.tanh({a}))",
    "np.exp(-({a} * {a}))", "np.exp(0.5 * np.sin({a}))", "np.log(1.0 + {a} * {a})",
    "np.log(2.0 + np.cos({a}))", "np.sqrt(1.0 + {a} * {a})", "np.sqrt(0.5 + {a} ** 2)",
    "(-{a})", "np.arctan({a})",
)
_NP_BINARY = (  # {a} has the expression's shape, {b} one that broadcasts to it
    (6, "({a} + {b})"), (5, "({a} - {b})"), (6, "({a} * {b})"), (2, "({a} / (1.0 + {b} * {b}))"),
    (2, "({a} / (2.0 + np.cos({b})))"), (1.5, "({a} / {c})"),
)
_NP_POWER = ("({a} ** 2)", "({a} ** 3)", "((1.0 + {a} * {a}) ** 0.5)", "((0.5 + {a} * {a}) ** -1)",
             "((1.5 + np.sin({a})) ** {b})", "(2.0 ** np.tanh({a}))")
_MATH_UNARY = ("math.sin({a})", "math.cos({a})", "math.tanh({a})", "math.exp(math.tanh({a}))",
               "math.log(1.0 + {a} * {a})", "math.sqrt(1.0 + {a} ** 2)", "math.atan({a})")
# re-assignments in loops (keep values bounded); the first four read the old value
_NP_DAMPED = ("(0.5 * {v} + {e})", "({v} + 0.1 * {e})", "(0.9 * {v} - 0.1 * {e})",
              "np.sin({v} + {e})", "np.tanh({e})")
_MATH_DAMPED = ("(0.5 * {v} + {e})", "({v} + 0.1 * {e})", "math.sin({v} + {e})",
                "math.tanh({e})")
_REDUCERS = ((3.0, "sum"), (2.0, "mean"), (1.0, "max"), (0.5, "min"))
# of a list argument: np functions make it an array (`-L`, `L * L` would not)
_NP_LIST_UNARY = ("np.sin({a})", "np.tanh({a})", "np.cos({a})", "np.arctan({a})",
                  "np.asarray({a})", "np.array({a})", "np.exp(np.tanh({a}))")
# calls whose result may share their first operand's memory (``np.split``: a list of views)
_VIEWS = ("reshape", "ravel", "transpose", "flip", "diagonal", "atleast_1d", "atleast_2d",
          "atleast_3d", "moveaxis", "swapaxes", "expand_dims", "squeeze", "split")
#: The share of augmented assignments ``u op= v`` written on purpose where another name, a
#: view, or a ``for ... in u`` loop may still read u's old array afterwards (see
#: ``_ArrayWriter._alias_update``), and the weight of the statement that makes a view of
#: an array and then updates one of the two (other statements weigh 0.6 to 3.0).
ALIASING_SHARE = 0.06
ALIASING_WEIGHT = 0.2


@functools.cache
def _slices(size: int, length: int) -> tuple[str, ...]:
    """Slices that keep ``length`` of ``size`` entries: bounds from either end, steps of
    1, -1, 2 and -2 (``1:``, ``:-1``, ``1:-1``, ``2::-1``, ``-1:0:-1``, ``::2``)."""
    bounds = [None, *(b for b in (-3, -2, -1, 0, 1, 2, 3) if abs(b) <= size)]
    out = []
    for step in (None, -1, 2, -2):
        for start in bounds:
            for stop in bounds:
                if len(range(size)[slice(start, stop, step)]) != length or length == size:
                    continue
                text = f"{'' if start is None else start}:{'' if stop is None else stop}"
                out.append(text + ("" if step is None else f":{step}"))
    return tuple(out)


def _slice(rng: random.Random, size: int, length: int) -> str:
    return rng.choice(_slices(size, length))


def _sliced(src: Shape, shape: Shape) -> int | None:
    """The axis along which a slice of ``src`` has ``shape`` (one axis shorter), or None."""
    if src == _ANY or shape == _ANY or len(src) != len(shape):
        return None
    shorter = [k for k, (a, b) in enumerate(zip(src, shape)) if a != b]
    if len(shorter) == 1 and 1 <= shape[shorter[0]] < src[shorter[0]]:
        return shorter[0]
    return None


def _folded(node: ast.expr) -> ast.expr:
    """``node`` without what the optimizer folds away: ``-(-u)``, ``+u``, ``u * 1.0``."""
    while True:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            node = node.operand
        elif (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
              and isinstance(node.operand, ast.UnaryOp)
              and isinstance(node.operand.op, ast.USub)):
            node = node.operand.operand
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
              and any(isinstance(side, ast.Constant) and side.value == 1
                      for side in (node.left, node.right))):
            node = node.right if isinstance(node.left, ast.Constant) else node.left
        else:
            return node


def _view_source(text: str) -> str | None:
    """The name whose memory ``text`` may share (``u``, ``u.T``, ``u[0]``, ``u.reshape(..)``),
    or whose value it is once the optimizer has folded it (``-(-u)``)."""
    node = _folded(ast.parse(text, mode="eval").body)
    while True:
        node = _folded(node)
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in _VIEWS):
            np_call = isinstance(node.func.value, ast.Name) and node.func.value.id == "np"
            node = node.args[0] if np_call else node.func.value
        else:
            return None


@dataclass
class _ArrayScope:
    """What a statement of an array program may read: every name with its shape, and the
    ``fresh`` names: those holding arrays no other name, view or loop shares (never an
    argument's), so ``u += v`` changes nothing else (see ``_ArrayWriter._augmentable``);
    the ``local`` names: arrays ``f`` made itself or views of them (never an argument's
    memory, never read-only), which an aliasing update may change
    (``_ArrayWriter._alias_update``).
    """

    shapes: dict[str, Shape]
    mutable: list[str]  # names that may be re-assigned (not loop targets)
    ints: list[str] = field(default_factory=list)  # n and loop counters
    fresh: set[str] = field(default_factory=set)
    local: set[str] = field(default_factory=set)
    in_loop: bool = False
    loops: int = 0
    # list arguments (name -> the shape NumPy gives them), read only where NumPy makes an
    # array of them: never re-assigned, indexed or iterated
    lists: dict[str, Shape] = field(default_factory=dict)
    # the names bound where the innermost loop around starts: in a loop, a view is made
    # only of a name its body binds first, so no pass hands a sharing name to the next
    entry: frozenset[str] = frozenset()

    def child(self, **changes: Any) -> _ArrayScope:
        new = replace(self, shapes=dict(self.shapes), mutable=list(self.mutable),
                      ints=list(self.ints), fresh=set(self.fresh), local=set(self.local))
        for key, value in changes.items():
            setattr(new, key, value)
        return new

    def merge(self, child: _ArrayScope) -> None:
        """After a block that may or may not run: what holds on every path."""
        self.fresh &= child.fresh
        self.local &= child.local


class _ArrayWriter:
    """Writes one NumPy module from a ``random.Random`` (the "array" family)."""

    def __init__(self, rng: random.Random, avoid: frozenset[str], writes: bool = False) -> None:
        self.rng = rng
        self.avoid = avoid
        self.writes = writes  # item assignment: `u[i] = v`, `u[1:3] += v`, fill loops
        self.counter = 0
        self.budget = 0
        self.generic = False  # writing a helper: elementwise, for arguments of any shape
        self.helpers: list[tuple[str, int, bool]] = []  # (name, parameters, last has default)
        self.shapes: dict[str, Any] = {}
        # names updated in place on purpose while another name, a view or a loop may still
        # read the old array (Program.shared_updates), and the names the entry returns then
        self.shared_updates: set[str] = set()
        self.keep: set[str] = set()
        self.top: dict[str, Shape] = {}  # the entry's names, bound at its top level

    def fresh_name(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def bug(self, name: str) -> bool:
        """Whether to stay away from the known bug ``name`` (see :data:`KNOWN_BUGS`; no
        pattern reads this while none is open)."""
        return name in self.avoid

    # names and views of them, by shape
    def forms(self, sc: _ArrayScope) -> dict[Shape, list[tuple[float, str]]]:
        """What an expression of each shape may be at a leaf: a name, ``u.T``, ``u[1]``, ..."""
        r = self.rng
        loop_ints = [i for i in sc.ints if i != "n"]

        def index(size: int) -> str:
            if loop_ints and r.random() < 0.4:
                return f"{r.choice(loop_ints)} % {size}"
            return str(r.randrange(size)) if r.random() < 0.85 else "-1"

        forms: dict[Shape, list[tuple[float, str]]] = {(): [(0.25, c) for c in _CONSTS]}
        if not self.generic:
            forms[()] += [(0.3, f"({r.choice(('0.1', '0.5'))} * {i})") for i in sc.ints]

        def add(shape: Shape, weight: float, text: str) -> None:
            forms.setdefault(shape, []).append((weight, text))

        for name, shape in sc.shapes.items():
            add(shape, 3.0, name)
            if self.generic or shape == ():
                continue
            if len(shape) == 2:
                p, q = shape
                add((q, p), 1.0, f"{name}.T")
                if p != q:
                    add((q, p), 0.3, f"{name}.reshape({q}, {p})")
                if 1 not in shape:  # Gram matrices: products of matrices with inner sizes > 1
                    add((p, p), 0.3, f"({name} @ {name}.T)")
                    add((q, q), 0.3, f"({name}.T @ {name})")
            if len(shape) == 1:
                (p,) = shape
                add((), 1.0, f"{name}[{index(p)}]")
                add((p, 1), 0.5, f"{name}[:, None]")
                add((1, p), 0.5, f"{name}[None, :]")
                add(shape, 0.3, f"{name}[::-1]")
                for k in range(max(1, p - 2), p):  # x[1:], x[:-1], x[2::-1], x[1:-1], ...
                    add((k,), 0.5 if k == p - 1 else 0.25, f"{name}[{_slice(r, p, k)}]")
                continue
            p, q = shape
            if p >= 2:
                add((p - 1, q), 0.3, f"{name}[{_slice(r, p, p - 1)}]")
            if q >= 2:
                add((p, q - 1), 0.3, f"{name}[:, {_slice(r, q, q - 1)}]")
            add((q,), 1.0, f"{name}[{index(p)}]")
            add((p,), 1.0, f"{name}[:, {index(q)}]")
            add((), 0.6, f"{name}[{index(p)}, {index(q)}]")
            k = r.randrange(p)
            add((1, q), 0.5, f"{name}[{k}:{k + 1}]")
            k = r.randrange(q)
            add((p, 1), 0.5, f"{name}[:, {k}:{k + 1}]")
            add(shape, 0.3, r.choice((f"{name}[::-1]", f"{name}[:, ::-1]")))
        return forms

    def universe(self, sc: _ArrayScope) -> set[Shape]:
        return set(self.forms(sc))

    def leaf(self, sc: _ArrayScope, shape: Shape) -> str:
        return _weighted(self.rng, self.forms(sc)[shape])

    def partners(self, shape: Shape, universe: set[Shape]) -> list[Shape]:
        """Shapes that broadcast against ``shape`` to ``shape`` (itself included)."""
        out = [(), shape]
        if len(shape) == 2 and shape != _ANY:
            p, q = shape
            out += [(q,), (1, q), (p, 1)]
        return [s for s in out if s in universe]

    # expressions
    def expr(self, sc: _ArrayScope, shape: Shape, depth: int, computed: bool = False) -> str:
        """An expression of ``shape``; ``computed``: a new array, never a view of a name."""
        r = self.rng
        if not computed and (depth <= 0 or r.random() < 0.2):
            return self.leaf(sc, shape)
        depth = max(depth, 1)
        u = self.universe(sc)
        options: list[tuple[float, Callable[[_ArrayScope, Shape, int], str]]] = [
            (4.0, self._binary), (3.0, self._unary), (1.0, self._power), (0.7, self._maxmin),
            (0.5, self._kink)]
        if not self.generic and self._list_ways(sc, shape, u):
            options.append((2.0, self._listed))
        if shape != ():  # np.where of numbers is a 0-d array, not a number
            options.append((0.7, self._where))
            if self.helpers and not self.generic:
                options.append((1.0, self._call))
        elif not self.generic:
            options.append((1.5, self._math))
        if self._reductions(shape, u):
            options.append((2.0 if shape == () else 1.5, self._reduce))
        if not self.generic:
            if self._stacks(shape, u):
                options.append((0.5, self._stack))
            if not computed and self._sources(shape, u):
                options.append((0.6, self._index))
            if not computed and self._sources(shape, u, pieces=True):
                options.append((0.2, self._piece))
        if not self.generic:
            if self._products(shape, u):
                options.append((1.2, self._matmul))
            if shape == () and any(len(s) in (1, 2) for s in u) or shape and not computed:
                options.append((0.6, self._rearrange))  # (a view of a name, some of them)
            if shape and max(shape) >= 2:
                options.append((0.6, self._join))
            if not computed:
                if len(shape) == 2 and shape[::-1] in u:
                    options.append((0.5, self._transpose))
                if self._reshapes(shape, u):
                    options.append((0.4, self._reshape))
        return _weighted(r, options)(sc, shape, depth - 1)

    def _side(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """An operand that only broadcasts: a number stays shallow."""
        return self.expr(sc, shape, min(depth, 1) if shape == () else depth)

    def _binary(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        u = self.universe(sc)
        template = _weighted(r, list(_NP_BINARY))
        c = r.choice(("2.0", "3.0", "0.5", "4"))
        if "{b}" not in template:
            return template.format(a=self.expr(sc, shape, depth), c=c)
        sides = [shape, r.choice(self.partners(shape, u))]
        if len(shape) == 2 and shape != _ANY and r.random() < 0.25:
            p, q = shape  # an outer sum or product: (p, 1) with (1, q) or (q,)
            rows = [s for s in ((1, q), (q,)) if s in u]
            if (p, 1) in u and rows:
                sides = [(p, 1), r.choice(rows)]
        if r.random() < 0.5:
            sides.reverse()
        return template.format(a=self._side(sc, sides[0], depth),
                               b=self._side(sc, sides[1], depth), c=c)

    def _unary(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        return self.rng.choice(_NP_UNARY).format(a=self.expr(sc, shape, depth))

    def _math(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        return self.rng.choice(_MATH_UNARY).format(a=self.expr(sc, (), depth))

    def _power(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        template = self.rng.choice(_NP_POWER)
        b = ""
        if "{b}" in template:  # the exponent broadcasts to the shape
            b = self._side(sc, self.rng.choice(self.partners(shape, self.universe(sc))), depth)
        return template.format(a=self.expr(sc, shape, depth), b=b)

    def _maxmin(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        a = self.expr(sc, shape, depth)
        b = ("0.0" if r.random() < 0.25
             else self._side(sc, r.choice(self.partners(shape, self.universe(sc))), depth))
        a, b = (a, b) if r.random() < 0.5 else (b, a)
        return f"np.{r.choice(('maximum', 'minimum'))}({a}, {b})"

    def _kink(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """``np.abs``, ``abs``, ``np.clip``, and ``np.maximum``/``np.minimum``/``np.where``
        of a name and a constant or another name: ties at points drawn from TIES."""
        r = self.rng
        templates = ["np.abs({a})", "abs({a})", "np.abs({v} - {k})", "np.clip({a}, -1.0, 1.0)",
                     "np.maximum({v}, {k})", "np.minimum({v}, {w})", "np.maximum({w}, {v})"]
        if shape != ():  # np.where of numbers is a 0-d array
            templates.append("np.where({v} > {k}, {v}, {k})")
        template = r.choice(templates)
        a = self.expr(sc, shape, depth) if "{a}" in template else ""
        v = self.leaf(sc, shape) if "{v}" in template else ""
        w = (self.leaf(sc, r.choice(self.partners(shape, self.universe(sc))))
             if "{w}" in template else "")
        return template.format(a=a, v=v, w=w, k=r.choice(_TIE_CONSTS))

    def _list_ways(self, sc: _ArrayScope, shape: Shape,
                   u: set[Shape]) -> list[tuple[str, str, Any]]:
        """(way, list argument, what else) for the uses of a list argument of ``shape``."""
        ways: list[tuple[str, str, Any]] = []
        for name, src in sc.lists.items():
            if src == shape:
                ways.append(("unary", name, None))
                if [s for s in self.partners(shape, u) if s != ()]:
                    ways.append(("binary", name, None))
            if shape == ():
                ways.append(("reduce", name, None))
                if src in u and len(src) == 1:
                    ways.append(("dot", name, src))
            if len(src) == 2 and shape in ((src[0],), (src[1],)):
                ways.append(("reduce", name, 1 if shape == (src[0],) else 0))
                if shape == (src[0],) and (src[1],) in u:
                    ways.append(("matvec", name, (src[1],)))
                if shape == (src[1],) and (src[0],) in u:
                    ways.append(("vecmat", name, (src[0],)))
            if len(src) == 1 and len(shape) == 1 and (shape[0], src[0]) in u:
                ways.append(("vecmat", name, (shape[0], src[0])))
            if len(src) == 2 and len(shape) == 2 and shape[0] == src[0] and (
                    src[1], shape[1]) in u:
                ways.append(("matvec", name, (src[1], shape[1])))
        return ways

    def _listed(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """A list argument where NumPy makes an array of it (issue 15): ``L @ w``,
        ``w @ L``, ``np.sum(L, axis=0)``, ``np.tanh(L)``, ``b - L`` (an array on the other
        side: ``L * 2.0`` or ``L + 1.0`` would be Python's list arithmetic)."""
        r = self.rng
        way, name, other = r.choice(self._list_ways(sc, shape, self.universe(sc)))
        depth = min(depth, 2)
        if way == "unary":
            return r.choice(_NP_LIST_UNARY).format(a=name)
        if way == "binary":
            partners = [s for s in self.partners(shape, self.universe(sc)) if s != ()]
            e = self._side(sc, r.choice(partners), depth)
            a, b = (name, e) if r.random() < 0.5 else (e, name)
            return f"({a} {r.choice(('+', '-', '*'))} {b})"
        if way == "reduce":
            if other is None:
                return f"np.{r.choice(('sum', 'mean', 'sum', 'max'))}({name})"
            return f"np.{r.choice(('sum', 'mean'))}({name}, axis={other})"
        e = self.expr(sc, other, depth)
        if way == "vecmat":
            return f"({e} @ {name})" if r.random() < 0.8 else f"np.dot({e}, {name})"
        if way == "dot" and r.random() < 0.5:
            return f"({e} @ {name})"
        return f"({name} @ {e})" if r.random() < 0.8 else f"np.dot({name}, {e})"

    def _where(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        op = r.choice(_COMPARE)
        if r.random() < 0.3:  # a leaky relu of a name
            v = self.leaf(sc, shape)
            return f"np.where({v} {op} 0.0, {v}, {r.choice(('0.1', '0.5'))} * {v})"
        partners = self.partners(shape, self.universe(sc))
        side = shape if shape in partners else r.choice(partners)
        lhs = self.expr(sc, side, min(depth, 2))
        rhs = r.choice(_CONSTS) if r.random() < 0.4 else self._side(sc, r.choice(partners),
                                                                     min(depth, 1))
        # an arm of the full shape where the comparison is not
        first = shape if side != shape else r.choice(partners)
        a, b = self._side(sc, first, depth), self._side(sc, r.choice(partners), depth)
        a, b = (a, b) if r.random() < 0.5 else (b, a)
        return f"np.where({lhs} {op} {rhs}, {a}, {b})"

    def _reductions(self, shape: Shape, u: set[Shape]) -> list[tuple[Shape, Any, bool]]:
        """(source shape, axis, keepdims) of the reductions that give ``shape``."""
        out: list[tuple[Shape, Any, bool]] = []
        for src in sorted(u, key=repr):
            if src == () or shape != () and self.generic:
                continue
            if shape == ():
                out.append((src, None, False))
            if self.generic or len(src) != 2:
                continue
            p, q = src
            for axis, result, keep in ((0, (q,), False), (1, (p,), False), (0, (1, q), True),
                                       (1, (p, 1), True)):
                if result == shape:
                    out.append((src, axis, keep))
        return out

    def _reduce(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        src, axis, keep = r.choice(self._reductions(shape, self.universe(sc)))
        name = _weighted(r, list(_REDUCERS))
        operand = self.expr(sc, src, depth)
        if axis == 1 and r.random() < 0.3:
            axis = -1
        attrs = ("" if axis is None else f", axis={axis}") + (", keepdims=True" if keep else "")
        if name in ("sum", "mean") and r.random() < 0.15:  # the method
            return f"{operand}.{name}({attrs[2:]})"
        return f"np.{name}({operand}{attrs})"

    def _products(self, shape: Shape, u: set[Shape]) -> list[tuple[Shape, Shape]]:
        """Operand shapes of the matrix products ``a @ b`` of ``shape``."""
        if shape == _ANY:
            return []
        out = []
        for q in sorted({d for s in u for d in s if isinstance(d, int)}):
            if shape == ():
                pairs = [((q,), (q,))]
            elif len(shape) == 1:
                pairs = [((shape[0], q), (q,)), ((q,), (q, shape[0]))]
            else:
                pairs = [((shape[0], q), (q, shape[1]))]
            out += [(a, b) for a, b in pairs if a in u and b in u]
        return out

    def _matmul(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        a, b = r.choice(self._products(shape, self.universe(sc)))
        left, right = self.expr(sc, a, min(depth, 2)), self.expr(sc, b, min(depth, 2))
        return f"np.dot({left}, {right})" if r.random() < 0.15 else f"({left} @ {right})"

    def _join(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """``shape`` from two pieces: the start of one expression and the rest of another."""
        r = self.rng
        u = self.universe(sc)
        axis = r.choice([k for k, size in enumerate(shape) if size >= 2])
        cut = r.randrange(1, shape[axis])
        head, tail = (f"[:{cut}]", f"[{cut}:]") if axis == 0 else (f"[:, :{cut}]", f"[:, {cut}:]")
        thin = tuple(1 if k == axis else size for k, size in enumerate(shape))
        if len(shape) == 2 and thin in u and r.random() < 0.3:  # one row or column and the rest
            one = self.expr(sc, thin, min(depth, 1))
            rest = self.expr(sc, shape, depth)
            end = "[1:]" if axis == 0 else "[:, 1:]"
            pieces = ([one, rest + end] if r.random() < 0.5
                      else [rest + end.replace("1:", ":-1"), one])
        else:
            pieces = [self.expr(sc, shape, depth) + head, self.expr(sc, shape, depth) + tail]
        if r.random() < 0.2:
            name = "hstack" if axis == len(shape) - 1 else "vstack"
            return f"np.{name}([{pieces[0]}, {pieces[1]}])"
        return f"np.concatenate([{pieces[0]}, {pieces[1]}]{', axis=1' if axis else ''})"

    def _rearrange(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """Orderings and rearrangements (issue 16) of ``shape``: the same entries moved
        (``np.sort``, ``np.flip``, ``np.roll``, a ``np.tile`` or ``np.repeat`` sliced back to
        ``shape``), a diagonal, each row's largest entry; a number read at ``np.argmax``, the
        end of a sorted vector, the log-determinant of ``I + v.T @ v``, a diagonal's sum."""
        r = self.rng
        u = self.universe(sc)
        if shape == ():
            return self._ordered_number(sc, depth)
        depth = min(depth, 2)
        if len(shape) == 2:
            p, q = shape
            axis = r.choice((0, 1, -1))
            every_other = "[::2]" if axis == 0 else "[:, ::2]"
            template = r.choice((
                f"np.flip({{a}}, axis={axis})", f"np.roll({{a}}, {r.choice((1, -1))}, axis={axis})",
                f"np.roll({{a}}, {r.choice((1, 3))})", f"np.sort({{a}}, axis={axis})",
                "np.atleast_2d({a})", "np.atleast_3d({a})[:, :, 0]",
                f"np.repeat({{a}}, 2, axis={axis}){every_other}",
                f"np.tile({{a}}, (1, 2))[:, :{q}]", f"np.tile({{a}}, (2, 1))[{p}:]"))
            return template.format(a=self.expr(sc, shape, depth))
        (p,) = shape
        diagonals = [s for s in sorted(u, key=repr) if len(s) == 2 and min(s) == p]
        rows = [s for s in sorted(u, key=repr) if len(s) == 2 and s[0] == p]
        way = r.choice(["moved"] * 3 + ["diagonal"] * bool(diagonals) + ["rows"] * bool(rows))
        if way == "diagonal":  # of a (p, q) or (q, p)
            swap = ", axis1=1, axis2=0" if r.random() < 0.3 else ""
            return f"np.diagonal({self.expr(sc, r.choice(diagonals), depth)}{swap})"
        if way == "rows":  # each row's largest entry
            v = self.leaf(sc, r.choice(rows))
            return f"{v}[np.arange({p}), np.argmax({v}, axis=1)]"
        template = r.choice((
            "np.flip({a})", f"np.roll({{a}}, {r.choice((1, -1, 2))})", "np.sort({a})",
            "np.atleast_1d({a})", f"np.tile({{a}}, 2)[{p}:]", "np.repeat({a}, 2)[::2]",
            "np.take_along_axis({a}, np.argsort({v}), axis=0)"))
        return template.format(a=self.expr(sc, shape, depth),
                               v=self.leaf(sc, shape) if "{v}" in template else "")

    def _ordered_number(self, sc: _ArrayScope, depth: int) -> str:
        r = self.rng
        u = self.universe(sc)
        vectors = sorted((s for s in u if len(s) == 1), key=repr)
        matrices = sorted((s for s in u if len(s) == 2), key=repr)
        way = r.choice(["argmax", "argmin", "sort"] * bool(vectors)
                       + ["slogdet", "diagonal"] * bool(matrices))
        depth = min(depth, 2)
        if way in ("argmax", "argmin"):
            v = self.leaf(sc, r.choice(vectors))
            return f"{v}[np.{way}({v})]"
        if way == "sort":
            return f"np.sort({self.expr(sc, r.choice(vectors), depth)})[{r.choice((-1, 0))}]"
        shape = r.choice(matrices)
        if way == "slogdet":  # of a positive definite matrix: I + m.T @ m
            m = self.leaf(sc, shape)
            return f"np.linalg.slogdet(np.eye({shape[1]}) + {m}.T @ {m})[1]"
        offset = ", 1" if shape[1] >= 2 and r.random() < 0.5 else ""
        return f"np.sum(np.diagonal({self.expr(sc, shape, depth)}{offset}))"

    @staticmethod
    def _stacks(shape: Shape, u: set[Shape]) -> bool:
        if shape == _ANY or len(shape) == 1:
            return shape != _ANY and 2 <= shape[0] <= 4
        return len(shape) == 2 and ((shape[1],) in u and shape[0] <= 3
                                    or (shape[0],) in u and shape[1] <= 3)

    def _stack(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        u = self.universe(sc)
        depth = min(depth, 1)
        if len(shape) == 1:
            items = ", ".join(self.expr(sc, (), depth) for _ in range(shape[0]))
            return f"np.{r.choice(('stack', 'stack', 'array'))}([{items}])"
        ways = [(0, shape[0], (shape[1],)), (1, shape[1], (shape[0],))]
        axis, count, item = r.choice([w for w in ways if w[1] <= 3 and w[2] in u])
        items = ", ".join(self.expr(sc, item, depth) for _ in range(count))
        return f"np.stack([{items}]{', axis=1' if axis else ''})"

    def _transpose(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """A matrix's transpose: ``.T``, ``np.transpose``, ``np.swapaxes``, ``np.moveaxis``
        (views, all of them)."""
        operand = self.expr(sc, shape[::-1], depth)
        return _weighted(self.rng, [
            (0.65, f"{operand}.T"), (0.15, f"np.transpose({operand})"),
            (0.1, f"np.swapaxes({operand}, {self.rng.choice(('0, 1', '1, 0', '-1, 0'))})"),
            (0.1, f"np.moveaxis({operand}, {self.rng.choice(('0, 1', '1, 0', '-1, 0', '0, -1'))})"),
        ])

    @staticmethod
    def _sources(shape: Shape, u: set[Shape], pieces: bool = False) -> list[Shape]:
        """Shapes an expression of ``shape`` can be read from by indexing (``pieces``: as
        a piece of ``np.split``, one axis shorter)."""
        if shape == _ANY:
            return []
        if pieces:
            return sorted((src for src in u if shape != () and _sliced(src, shape) is not None),
                          key=repr)
        out = []
        for src in u:
            if shape == () and len(src) in (1, 2) or len(src) == 2 and (
                    shape in ((src[1],), (src[0],), (1, src[1]), (src[0], 1))):
                out.append(src)
            elif src == shape and shape != ():
                out.append(src)  # reversed
            elif len(src) == len(shape) and shape != () and _sliced(src, shape) is not None:
                out.append(src)  # fewer entries along one axis: a slice
        return sorted(out, key=repr)

    def _index(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        src = r.choice(self._sources(shape, self.universe(sc)))
        operand = self.expr(sc, src, min(depth, 2))
        if src == shape:
            return operand + ("[::-1]" if len(shape) == 1 or r.random() < 0.5 else "[:, ::-1]")
        if shape == ():
            return operand + "[" + ", ".join(str(r.randrange(s)) for s in src) + "]"
        axis = _sliced(src, shape)
        ways = []
        if axis is not None:  # both ends, negative bounds and steps
            cut = _slice(r, src[axis], shape[axis])
            ways.append(f"[{cut}]" if axis == 0 else f"[:, {cut}]")
        if len(src) == 1:
            return operand + ways[0]
        p, q = src
        if shape == (q,):
            ways.append(f"[{r.randrange(p)}]")
        if shape == (p,):
            ways.append(f"[:, {r.randrange(q)}]")
        if shape == (1, q):
            k = r.randrange(p)
            ways.append(f"[{k}:{k + 1}]")
        if shape == (p, 1):
            k = r.randrange(q)
            ways.append(f"[:, {k}:{k + 1}]")
        return operand + r.choice(ways)

    @staticmethod
    def _reshapes(shape: Shape, u: set[Shape]) -> list[Shape]:
        if shape == _ANY or shape == ():
            return []
        if len(shape) == 1:
            candidates = [(shape[0], 1), (1, shape[0])]
        elif 1 in shape:
            candidates = [(max(shape),)]
        else:
            candidates = [shape[::-1]] if shape[0] != shape[1] else []
        return [c for c in candidates if c in u]

    def _reshape(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        src = r.choice(self._reshapes(shape, self.universe(sc)))
        operand = self.expr(sc, src, depth)
        if len(shape) == 1 and r.random() < 0.4:
            return r.choice((f"np.ravel({operand})", f"{operand}.ravel()"))
        if r.random() < 0.25:  # the axis of length 1 dropped or added
            if len(shape) == 1 and len(src) == 2:  # (p,) of (p, 1) or (1, p)
                axis = src.index(1)
                return r.choice((f"np.squeeze({operand}, axis={axis})",
                                 f"np.squeeze({operand}, {axis - 2})")
                                + ((f"np.squeeze({operand})",) if shape[0] > 1 else ()))
            if len(shape) == 2 and len(src) == 1 and 1 in shape:  # (p, 1) or (1, p) of (p,)
                axis = shape.index(1) if shape != (1, 1) else 0
                return r.choice((f"np.expand_dims({operand}, {axis})",
                                 f"np.expand_dims({operand}, axis={axis - 2})"))
        if r.random() < 0.2:
            return f"np.reshape({operand}, {shape!r})"
        return f"{operand}.reshape({', '.join(map(str, shape))})"

    def _piece(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        """A piece of ``np.split`` (a view): of a longer array of the same rank, along its
        one longer axis, in equal parts or at given indices (``np.split(u, 2)[1]``,
        ``np.split(u, [1, 3], 1)[1]``; the axis is positional)."""
        r = self.rng
        src = r.choice(self._sources(shape, self.universe(sc), pieces=True))
        axis = _sliced(src, shape)
        assert axis is not None
        size, length = src[axis], shape[axis]
        ways = [(f"[{length}]", 0), (f"[{size - length}]", 1)]  # (bounds, which piece)
        if size % length == 0:
            k = size // length
            ways.append((str(k), r.randrange(k)))
        if size - length >= 2:
            start = r.randint(1, size - length - 1)
            ways.append((f"[{start}, {start + length}]", 1))
        bounds, item = r.choice(ways)
        at = f", {r.choice((axis, axis - len(shape)))}" if axis or r.random() < 0.2 else ""
        return f"np.split({self.expr(sc, src, min(depth, 2))}, {bounds}{at})[{item}]"

    def _call(self, sc: _ArrayScope, shape: Shape, depth: int) -> str:
        r = self.rng
        name, nparams, default = r.choice(self.helpers)
        first = self.expr(sc, shape, depth)
        if nparams == 1 or default and r.random() < 0.3:
            return f"{name}({first})"
        second = self._side(sc, r.choice(self.partners(shape, self.universe(sc))), depth)
        return f"{name}({first}, b={second})" if r.random() < 0.3 else f"{name}({first}, {second})"

    def cond(self, sc: _ArrayScope) -> str:
        """A comparison of numbers: often a reduction of an array."""
        r = self.rng
        arrays = [s for s in self.universe(sc) if s != ()]
        if arrays and r.random() < 0.65:
            name = _weighted(r, list(_REDUCERS))
            lhs = f"np.{name}({self.expr(sc, r.choice(sorted(arrays)), r.randint(0, 2))})"
        else:
            lhs = self.expr(sc, (), r.randint(1, 2))
        rhs = r.choice(_CONSTS) if r.random() < 0.5 else self.expr(sc, (), r.randint(0, 1))
        text = f"{lhs} {r.choice(_COMPARE)} {rhs}"
        if r.random() < 0.1:
            return f"{text} {r.choice(('and', 'or'))} {self.leaf(sc, ())} > {r.choice(_CONSTS)}"
        return text

    # statements
    def block(self, sc: _ArrayScope, ind: str, lo: int, hi: int) -> list[str]:
        lines: list[str] = []
        for _ in range(self.rng.randint(lo, hi)):
            if self.budget <= 0 and lines:
                break
            lines += self.statement(sc, ind)
        return lines

    def statement(self, sc: _ArrayScope, ind: str) -> list[str]:
        self.budget -= 1
        options: list[tuple[float, Callable[[_ArrayScope, str], list[str]]]] = [
            (1.0 if sc.in_loop else 3.0, self._assign_new)]
        if sc.mutable:
            options.append((4.5 if sc.in_loop else 3.0, self._reassign))
        if self._augmentable(sc):
            options.append((1.5, self._augassign))
        if self._shareable(sc):
            options.append((ALIASING_WEIGHT, self._alias_update))
        if not self.generic and self._iterable(sc):
            options.append((0.4, self._unpack))
        if self.writes and self._writable(sc):
            options.append((1.5, self._write_item))
        if self.writes and self.budget >= 1 and not self.generic and sc.loops < 2 and any(
                len(s) in (1, 2) and s[0] >= 2 for s in self.universe(sc)):
            options.append((0.8, self._fill_loop))
        if self.budget >= 1 and not self.generic:
            options.append((1.5, self._if))
            if sc.loops < 2:
                options.append((2.0 if sc.loops == 0 else 0.6, self._for))
                if self._iterable(sc):
                    options.append((0.6, self._for_items))
                options.append((1.0 if sc.loops == 0 else 0.3, self._collect))
        return _weighted(self.rng, options)(sc, ind)

    def _bind(self, sc: _ArrayScope, name: str, rhs: str, shape: Shape) -> None:
        """Track what ``name = rhs`` may share memory with: a new array is fresh; a name or
        a view of one (``w = u``, ``u.T``, ``u[0]`` of a matrix) makes neither fresh, and
        is local where its source is (not through ``np.diagonal``: a read-only view)."""
        sc.fresh.discard(name)
        sc.local.discard(name)
        if shape == ():
            return  # numbers share nothing
        source = _view_source(rhs)
        if source is None:
            sc.fresh.add(name)
            sc.local.add(name)
        else:
            sc.fresh.discard(source)
            if source in sc.local and "diagonal(" not in rhs:
                sc.local.add(name)

    def pick_shape(self, sc: _ArrayScope) -> Shape:
        shapes = sorted(self.universe(sc), key=repr)
        weights = {0: 1.0, 1: 2.0, 2: 3.0}
        return _weighted(self.rng, [(weights[len(s)] * (0.3 if 1 in s else 1.0), s)
                                    for s in shapes])

    def _assign_new(self, sc: _ArrayScope, ind: str) -> list[str]:
        r = self.rng
        shape = _ANY if self.generic and r.random() < 0.7 else (
            () if self.generic else self.pick_shape(sc))
        name = self.fresh_name(r.choice("uvw"))
        rhs = self.expr(sc, shape, r.randint(1, MAX_DEPTH), computed=sc.in_loop)
        self._bind(sc, name, rhs, shape)
        sc.shapes[name] = shape
        sc.mutable.append(name)
        return [f"{ind}{name} = {rhs}"]

    def _reassign(self, sc: _ArrayScope, ind: str) -> list[str]:
        r = self.rng
        name = r.choice(sc.mutable)
        shape = sc.shapes[name]
        if sc.in_loop:
            damped = _MATH_DAMPED if shape == () and r.random() < 0.5 else _NP_DAMPED
            rhs = r.choice(damped).format(v=name, e=self.expr(sc, shape, r.randint(1, 3)))
        else:  # computed: `u = u` or `u = u.T` say little
            rhs = self.expr(sc, shape, r.randint(1, MAX_DEPTH), computed=True)
        self._bind(sc, name, rhs, shape)
        return [f"{ind}{name} = {rhs}"]

    def _augmentable(self, sc: _ArrayScope) -> list[str]:
        """The names ``u op= v`` may update here: numbers, and arrays no other name shares.

        ``u += v`` updates an array in place; where another name, a view or a list still
        reads the old array afterwards (or a ``for ... in u`` loop around the update, which
        NumPy would run over the updated rows), s2s_ad raises UnsupportedSyntaxError by
        design (README, "What you can differentiate"). The ordinary update stays inside
        the supported subset: only ``fresh`` arrays (never an argument's memory). No loop
        carries a sharing name back to an update in it: in a loop every new value is
        computed (no ``w = u``; a view only of a name the body binds first), and the items
        of a ``for row in u`` are only read in that loop. The aliasing updates are written
        apart, on purpose (:meth:`_shared`, :meth:`_alias_update`).
        """
        if self.generic:
            return []
        return [n for n in sc.mutable if sc.shapes[n] == () or n in sc.fresh]

    def _shared(self, sc: _ArrayScope) -> list[str]:
        """The arrays an aliasing update may change: ``f``'s own (``local``, so never an
        argument) that another name, a view or a ``for ... in u`` loop may share."""
        if self.generic:
            return []
        return [n for n in sc.mutable
                if sc.shapes[n] != () and n in sc.local and n not in sc.fresh]

    def _shareable(self, sc: _ArrayScope) -> list[str]:
        """The arrays :meth:`_alias_update` may take a view of: ``f``'s own, in a loop only
        those its body binds first."""
        if self.generic:
            return []
        return [n for n in sc.mutable if sc.shapes[n] != () and n in sc.local
                and (not sc.in_loop or n not in sc.entry)]

    def _augassign(self, sc: _ArrayScope, ind: str) -> list[str]:
        r = self.rng
        names, shared = self._augmentable(sc), self._shared(sc)
        if shared and (not names or r.random() < ALIASING_SHARE):
            name = r.choice(shared)  # on purpose: the old array may still be read
            self.shared_updates.add(name)
        else:
            name = r.choice(names)
        return self._update(sc, ind, name)

    def _update(self, sc: _ArrayScope, ind: str, name: str) -> list[str]:
        """``name op= v``, with ``v`` of a shape that broadcasts to ``name``'s."""
        r = self.rng
        shape = sc.shapes[name]
        op = r.choice(("+=", "+=", "-=", "*="))
        e = self.expr(sc, r.choice(self.partners(shape, self.universe(sc))), r.randint(1, 3))
        if op == "*=" and sc.in_loop:
            e = f"math.cos({e})" if shape == () else f"np.cos({e})"
        return [f"{ind}{name} {op} {e}"]

    def _writable(self, sc: _ArrayScope) -> list[str]:
        """The arrays ``u[...] = v`` may write into: ``f``'s own that nothing else shares
        (never an argument: the oracle calls ``f`` again on the same arrays)."""
        return [n for n in self._augmentable(sc) if sc.shapes[n] != ()]

    def _slot(self, sc: _ArrayScope, shape: Shape) -> tuple[str, Shape]:
        """An index into an array of ``shape`` and the shape of what it picks: an item, a
        row or column, a slice, at a constant or a loop counter."""
        r = self.rng
        loop_ints = [i for i in sc.ints if i != "n"]

        def at(size: int) -> str:
            if loop_ints and r.random() < 0.4:
                return f"{r.choice(loop_ints)} % {size}"
            return str(r.randrange(size)) if r.random() < 0.8 else "-1"

        if len(shape) == 1:
            (p,) = shape
            if p >= 2 and r.random() < 0.35:
                a = r.randrange(p - 1)
                b = r.randint(a + 1, p)
                return (f"{a}:{b}", (b - a,)) if r.random() < 0.7 else ("::2", ((p + 1) // 2,))
            return at(p), ()
        p, q = shape
        return _weighted(r, [(1.0, (at(p), (q,))), (0.6, (f":, {at(q)}", (p,))),
                             (1.0, (f"{at(p)}, {at(q)}", ())),
                             (0.4 if p >= 2 else 0.0, (f"1:, {at(q)}", (p - 1,)))])

    def _write_item(self, sc: _ArrayScope, ind: str) -> list[str]:
        """``u[i] = v`` or ``u[i] op= v`` into one of ``f``'s own arrays."""
        r = self.rng
        name = r.choice(self._writable(sc))
        index, slot = self._slot(sc, sc.shapes[name])
        e = self.expr(sc, r.choice(self.partners(slot, self.universe(sc)) or [()]),
                      r.randint(1, 3))
        op = _weighted(r, [(2.0, "="), (1.0, "+="), (0.5, "-="), (0.5, "*=")])
        if op == "*=" and sc.in_loop:
            e = f"np.cos({e})"
        elif op == "=" and sc.in_loop:  # (a write in a loop reads what it overwrites)
            e = r.choice(_NP_DAMPED).format(v=f"{name}[{index}]", e=e)
        return [f"{ind}{name}[{index}] {op} {e}"]

    def _fill_loop(self, sc: _ArrayScope, ind: str) -> list[str]:
        """A preallocated array filled step by step from the one before:
        ``z = np.zeros((p, q))``, ``z[0] = e``, ``for t in range(p - 1): z[t + 1] = g(z[t])``;
        then ``z`` is used on, or only its last row (``zl = z[p - 1]``)."""
        r = self.rng
        shape = r.choice(sorted((s for s in self.universe(sc) if len(s) in (1, 2) and s[0] >= 2),
                                key=repr))
        h, t = self.fresh_name("z"), self.fresh_name("t")
        row = shape[1:]
        first = self.expr(sc, r.choice(self.partners(row, self.universe(sc)) or [()]),
                          r.randint(1, 3))
        lines = [f"{ind}{h} = np.zeros({shape})", f"{ind}{h}[0] = {first}"]
        body = self._loop_body(sc)
        body.ints.append(t)
        e = self.expr(body, r.choice(self.partners(row, self.universe(sc)) or [()]),
                      r.randint(1, 3))
        previous = f"{h}[{t}]"
        if row and r.random() < 0.4:  # an entry of the row read too (taped, then indexed)
            previous = f"({previous} + 0.1 * {h}[{t}][{r.randrange(row[0])}])"
        step = r.choice(_NP_DAMPED).format(v=previous, e=e)
        lines += [f"{ind}for {t} in range({shape[0] - 1}):", f"{ind}    {h}[{t} + 1] = {step}"]
        sc.merge(body)
        if r.random() < 0.4:  # only the last row read on (an RNN's last state): the adjoint
            last = self.fresh_name("zl")  # of z is then carried a row at a time
            lines.append(f"{ind}{last} = {h}[{shape[0] - 1}]")
            sc.shapes[last] = row
            sc.local.add(last)
            return lines
        sc.shapes[h] = shape
        sc.mutable.append(h)
        sc.fresh.add(h)
        sc.local.add(h)
        return lines

    def _alias_update(self, sc: _ArrayScope, ind: str) -> list[str]:
        """An aliasing update, on purpose: ``w = <a view of u>`` (``u.T``, ``u[1:]``,
        ``np.reshape``, ``np.ravel``, ``np.transpose``, ``np.swapaxes``, ``np.moveaxis``,
        ``np.expand_dims``, ``np.squeeze``, ``np.atleast_2d``, ``np.flip``, ``np.diagonal``,
        ``np.split(u, k)[i]``, or ``w = u`` itself), then ``u op= v`` (or ``w op= v``
        through a writable view): NumPy changes both, and ``f`` returns both (at the top
        level; in a block, a name bound before it reads ``np.mean(w)`` at once and is
        returned). s2s_ad must refuse it (a documented refusal, :func:`_documented`) or get
        the numbers right; a value computed as if the other name had not seen the update
        shows as a mismatch."""
        r = self.rng
        u = r.choice(self._shareable(sc))
        text, shape, writable = r.choice(self._views_of(u, sc.shapes[u]))
        w = self.fresh_name(r.choice("uvw"))
        sc.fresh.discard(u)
        sc.shapes[w] = shape
        sc.mutable.append(w)
        if writable:
            sc.local.add(w)
        target = w if writable and r.random() < 0.3 else u
        self.shared_updates.add(target)
        self.keep.update((u, w))
        lines = [f"{ind}{w} = {text}"] + self._update(sc, ind, target)
        outer = [n for n in self.top if n in sc.mutable and n not in (u, w)]
        if sc.shapes is not self.top and outer:  # w is gone after the block: read it now
            z = r.choice(outer)
            rhs = f"(0.5 * {z} + np.mean({w}))"
            self._bind(sc, z, rhs, sc.shapes[z])
            self.keep.add(z)
            lines.append(f"{ind}{z} = {rhs}")
        return lines

    def _views_of(self, u: str, shape: Shape) -> list[tuple[str, Shape, bool]]:
        """(text, shape, writable) of the views of ``u`` (of ``shape``) NumPy makes."""
        r = self.rng
        if len(shape) == 1:
            (p,) = shape
            out = [(u, shape, True), (f"np.flip({u})", shape, True), (f"{u}[::-1]", shape, True),
                   (f"np.ravel({u})", shape, True), (f"np.transpose({u})", shape, True),
                   (f"np.reshape({u}, (1, {p}))", (1, p), True),
                   (f"{u}.reshape({p}, 1)", (p, 1), True),
                   (f"np.expand_dims({u}, {r.choice(('0', 'axis=0', '-2'))})", (1, p), True),
                   (f"np.expand_dims({u}, {r.choice(('1', 'axis=-1'))})", (p, 1), True),
                   (f"np.atleast_2d({u})", (1, p), True)]
            if p >= 2:
                k = r.choice([k for k in range(1, p) if _slices(p, k)])
                out += [(f"{u}[{_slice(r, p, k)}]", (k,), True),
                        (f"np.squeeze({u})", shape, True)]
                out += [(f"np.split({u}, [{k}])[0]", (k,), True),
                        (f"np.split({u}, [{p - k}])[1]", (k,), True)]
                if p % 2 == 0:
                    out.append((f"np.split({u}, 2)[{r.randrange(2)}]", (p // 2,), True))
            return out
        p, q = shape
        out = [(u, shape, True), (f"{u}.T", (q, p), True), (f"np.transpose({u})", (q, p), True),
               (f"np.swapaxes({u}, 0, 1)", (q, p), True),
               (f"np.moveaxis({u}, {r.choice(('0, 1', '1, 0', '-1, 0', '0, -1'))})", (q, p),
                True),
               (f"np.reshape({u}, ({q}, {p}))", (q, p), True),
               (f"{u}.reshape({p * q})", (p * q,), True), (f"np.ravel({u})", (p * q,), True),
               (f"np.flip({u}, axis={r.choice((0, 1, -1))})", shape, True),
               (f"np.flip({u})", shape, True), (f"{u}[:, ::-1]", shape, True),
               (f"np.atleast_2d({u})", shape, True),
               (f"np.atleast_3d({u})[:, :, 0]", shape, True),
               (f"np.expand_dims({u}, 0)[0]", shape, True),
               (f"np.diagonal({u})", (min(p, q),), False),  # read-only
               (f"{u}[{r.randrange(p)}]", (q,), True), (f"{u}[:, {r.randrange(q)}]", (p,), True)]
        if p * q > 1:
            out.append((f"np.squeeze({u})", tuple(d for d in shape if d != 1), True))
        if p >= 2:
            k = r.choice([k for k in range(1, p) if _slices(p, k)])
            out += [(f"{u}[{_slice(r, p, k)}]", (k, q), True),
                    (f"np.split({u}, [{k}])[0]", (k, q), True)]
            if p % 2 == 0:
                out.append((f"np.split({u}, 2)[{r.randrange(2)}]", (p // 2, q), True))
        if q >= 2:
            k = r.choice([k for k in range(1, q) if _slices(q, k)])
            out += [(f"{u}[:, {_slice(r, q, k)}]", (p, k), True),
                    (f"np.split({u}, [{k}], {r.choice(('1', '-1'))})[0]", (p, k), True)]
            if q % 2 == 0:
                out.append((f"np.split({u}, 2, 1)[{r.randrange(2)}]", (p, q // 2), True))
        return out

    def _if(self, sc: _ArrayScope, ind: str) -> list[str]:
        r = self.rng
        lines = [f"{ind}if {self.cond(sc)}:"]
        arms = [("", sc.child())]
        if r.random() < 0.2 and self.budget > 1:
            arms.append((f"{ind}elif {self.cond(sc)}:", sc.child()))
        if r.random() < 0.6:
            arms.append((f"{ind}else:", sc.child()))
        for k, (head, body) in enumerate(arms):
            lines += ([head] if k else []) + self.block(body, ind + "    ", 1, 2)
        for _, body in arms:
            sc.merge(body)
        return lines

    def _loop_body(self, sc: _ArrayScope) -> _ArrayScope:
        """The scope of a loop's body."""
        return sc.child(in_loop=True, loops=sc.loops + 1, entry=frozenset(sc.shapes))

    def _for(self, sc: _ArrayScope, ind: str) -> list[str]:
        r = self.rng
        i = self.fresh_name("i")
        bounds = [f"range({r.randint(1, 4)})"]
        if "n" in sc.ints:
            bounds += ["range(n)", "range(n)", "range(1, n)", "range(2, n + 1)",
                       "reversed(range(n))"]
        body = self._loop_body(sc)
        body.ints.append(i)
        lines = [f"{ind}for {i} in {r.choice(bounds)}:"] + self.block(body, ind + "    ", 1, 3)
        sc.merge(body)
        return lines

    def _iterable(self, sc: _ArrayScope) -> list[str]:
        return sorted(n for n, s in sc.shapes.items() if s != ())

    def _unpack(self, sc: _ArrayScope, ind: str) -> list[str]:
        """``k1, k2 = u.shape`` (numbers the arguments' shapes decide, then used), or
        ``a, b = u``: the rows of an array of two or three (views of it), unpacked where
        the code runs."""
        r = self.rng
        name = r.choice(self._iterable(sc))
        shape = sc.shapes[name]
        if 2 <= shape[0] <= 3 and r.random() < 0.5:
            items = [self.fresh_name("row" if len(shape) == 2 else "e") for _ in range(shape[0])]
            for k, item in enumerate(items):
                self._bind(sc, item, f"{name}[{k}]", shape[1:])
                sc.shapes[item] = shape[1:]
            return [f"{ind}{', '.join(items)} = {name}"]
        dims = [self.fresh_name("k") for _ in shape]
        target = self.fresh_name(r.choice("uvw"))
        scale = " + ".join(f"{c} * {d}" for c, d in zip(("0.5", "0.25", "0.125"), dims))
        rhs = f"{self.expr(sc, (), r.randint(1, 3))} * ({scale})"
        sc.shapes[target] = ()
        sc.mutable.append(target)
        return [f"{ind}{', '.join(dims)}{',' if len(dims) == 1 else ''} = {name}.shape",
                f"{ind}{target} = {rhs}"]

    def _for_items(self, sc: _ArrayScope, ind: str) -> list[str]:
        """``for row in u:`` over an array (its rows, or its numbers)."""
        r = self.rng
        name = r.choice(self._iterable(sc))
        shape = sc.shapes[name]
        item = self.fresh_name("row" if len(shape) == 2 else "e")
        sc.fresh.discard(name)  # the loop reads it while the body runs: no `name += ...`
        body = self._loop_body(sc)
        body.shapes[item] = shape[1:]
        lines = [f"{ind}for {item} in {name}:"] + self.block(body, ind + "    ", 1, 3)
        sc.merge(body)
        return lines

    def _collect(self, sc: _ArrayScope, ind: str) -> list[str]:
        """An array built from a list a loop appends to (issue 15): ``vals = []``, a loop
        over ``range(k)``, over the rows of an array or over ``range(n)`` that appends an
        item, then ``np.array(vals)``, ``np.stack(vals, axis=1)``, ``np.concatenate(vals)``,
        ... (of a run-time length: only its sum)."""
        r = self.rng
        u = self.universe(sc)
        vals, name = self.fresh_name("vals"), self.fresh_name(r.choice("uvw"))
        body = self._loop_body(sc)
        iterables = self._iterable(sc)
        roll = r.random()
        count: int | None
        if roll < 0.2 and "n" in sc.ints:  # a run-time length
            i = self.fresh_name("i")
            header, count = f"for {i} in range(n):", None
            body.ints.append(i)
        elif roll < 0.45 and iterables:  # over the rows (or numbers) of an array
            source = r.choice(iterables)
            item = self.fresh_name("row" if len(sc.shapes[source]) == 2 else "e")
            header, count = f"for {item} in {source}:", sc.shapes[source][0]
            sc.fresh.discard(source)  # read while the body runs: no `source += ...` there
            body.fresh.discard(source)  # (the body's scope was made before this roll)
            body.shapes[item] = sc.shapes[source][1:]
        else:
            i = self.fresh_name("i")
            count = r.choice(sorted({d for s in u for d in s if isinstance(d, int)} | {2, 3}))
            header = f"for {i} in range({count}):"
            body.ints.append(i)
        vectors = sorted(s for s in u if len(s) == 1 and s != _ANY)
        item_shape: Shape = () if count is None or not vectors or r.random() < 0.6 else (
            r.choice(vectors))
        lines = [f"{ind}{vals} = []"]
        if r.random() < 0.25:  # an item before the loop
            lines = [f"{ind}{vals} = [{self.expr(sc, item_shape, 1, computed=True)}]"]
            count = None if count is None else count + 1
        lines.append(f"{ind}{header}")
        if r.random() < 0.3 and self.budget >= 1:
            lines += self.statement(body, ind + "    ")
        item_text = self.expr(body, item_shape, r.randint(1, 3), computed=True)
        lines.append(f"{ind}    {vals}.append({item_text})")
        sc.merge(body)
        shape: Shape
        if count is None:
            rhs = r.choice((f"np.sum(np.array({vals}) ** 2)", f"np.sum(np.array({vals}))",
                            f"np.sum(np.sin(np.array({vals})))"))
            shape = ()
        elif item_shape == ():
            rhs, shape = f"np.{r.choice(('array', 'stack', 'asarray'))}({vals})", (count,)
        else:
            (q,) = item_shape
            rhs, shape = r.choice(((f"np.array({vals})", (count, q)),
                                   (f"np.stack({vals})", (count, q)),
                                   (f"np.vstack({vals})", (count, q)),
                                   (f"np.stack({vals}, axis=1)", (q, count)),
                                   (f"np.concatenate({vals})", (count * q,)),
                                   (f"np.hstack({vals})", (count * q,))))
        self._bind(sc, name, rhs, shape)
        sc.shapes[name] = shape
        sc.mutable.append(name)
        return lines + [f"{ind}{name} = {rhs}"]

    def final_return(self, sc: _ArrayScope, last: str | None) -> str:
        r = self.rng
        names = [n for n in sc.shapes if r.random() < 0.5 or n == last or n in self.keep]
        if not any(sc.shapes[n] != () for n in names):
            names.append(r.choice(sorted(n for n, s in sc.shapes.items() if s != ())))
        terms = []
        for v in names:
            if sc.shapes[v] == ():
                terms.append(v if r.random() < 0.7 else f"{r.choice(_CONSTS)} * {v}")
                continue
            template = r.choice(("np.sum({v})", "np.sum({v})", "np.mean({v})",
                                 "np.sum({v} * {v})", "np.mean({v} ** 2)",
                                 "{k} * np.sum({v})", "np.mean(np.sin({v}))"))
            terms.append(template.format(v=v, k=r.choice(_CONSTS)))
        value = " + ".join(terms)
        return f"float({value})" if r.random() < 0.15 else value

    # functions
    def helper(self, index: int) -> str:
        """An elementwise helper ``h<index>(a, b)``: ``b`` broadcasts to ``a``'s shape."""
        r = self.rng
        name = f"h{index}"
        nparams = r.choice((1, 2, 2))
        default = nparams == 2 and r.random() < 0.4
        params = "a" if nparams == 1 else ("a, b=0.5" if default else "a, b")
        shapes = {"a": _ANY, "b": ()} if nparams == 2 else {"a": _ANY}
        sc = _ArrayScope(shapes, [])  # parameters are not re-assigned: callers' arrays
        self.generic = True
        self.budget = r.randint(0, 2)
        body = self.block(sc, "    ", 0, 2) if self.budget else []
        ret = self.expr(sc, _ANY, 2, computed=True)
        self.generic = False
        self.helpers.append((name, nparams, default))
        return "\n".join([f"def {name}({params}):"] + body + [f"    return {ret}"])

    def module(self) -> tuple[str, list[tuple[str, str]]]:
        """The source, and the entry's parameters as (name, kind) pairs; ``self.shapes``
        maps each parameter to its shape (``()`` for a number, ``"int"`` for ``n``)."""
        r = self.rng
        m, n = r.sample((2, 3, 4), 2)
        chunks = ["import math\n\nimport numpy as np"]
        if r.random() < 0.35:
            for index in range(1, r.choice((1, 1, 2)) + 1):
                chunks.append(self.helper(index))
        matrix = r.random() < 0.8
        params: list[tuple[str, Any]] = [("x", (m, n) if matrix else (n,))]
        if r.random() < 0.6:
            params.append(("b", (n,)))
        if matrix and r.random() < 0.3:
            params.append(("c", (m,)))
        if matrix and r.random() < 0.2:
            params.append(("W", (n, m)))
        if r.random() < 0.6:
            params.append(("s", ()))
        if r.random() < 0.2:
            params.append(("t", ()))
        if r.random() < 0.3:  # a list (of lists) where arrays go: data, not in wrt
            params.append(("L", r.choice(((m, n), (m, n), (n,), (m,))) if matrix else (n,)))
        if r.random() < 0.4:
            params.append(("n", "int"))
        values = [(p, s) for p, s in params if s != "int" and p != "L"]
        sc = _ArrayScope(dict(values), [p for p, _ in values],
                         ints=[p for p, s in params if s == "int"],
                         lists={p: s for p, s in params if p == "L"})
        self.budget = MAX_ARRAY_STATEMENTS
        self.top = sc.shapes
        body = self.block(sc, "    ", 2, MAX_ARRAY_STATEMENTS)
        last = None
        for line in reversed(body):
            lhs = line.split(" = ")[0].strip() if " = " in line else ""
            if line.startswith("    ") and not line.startswith("     ") and lhs in sc.shapes:
                last = lhs
                break
        head = f"def f({', '.join(p for p, _ in params)}):"
        chunks.append("\n".join([head] + body + [f"    return {self.final_return(sc, last)}"]))
        self.shapes = dict(params)
        kinds = [(p, "int" if s == "int" else "data" if p == "L" else "float" if s == ()
                  else "array") for p, s in params]
        return "\n\n\n".join(chunks) + "\n", kinds


def _draw_array_args(rng: random.Random, writer: _ArrayWriter,
                     params: list[tuple[str, str]], ties: bool = False) -> tuple:
    """A point: uniform entries, or (``ties``) entries from a few of :data:`TIES`, so that
    arrays repeat entries and match the program's constants; a list argument is a list
    (of lists) of floats."""
    pool = rng.sample(TIES, 3) if ties else ()

    def real() -> float:
        return rng.choice(pool) if pool else rng.uniform(-2.0, 2.0)

    args: list[Any] = []
    for name, kind in params:
        if kind == "int":
            args.append(rng.randint(0, MAX_TRIPS))
        elif kind == "float":
            args.append(real())
        else:
            shape = writer.shapes[name]
            entries = np.array([real() for _ in range(math.prod(shape))]).reshape(shape)
            args.append(entries.tolist() if kind == "data" else entries)
    return tuple(args)


def generate(seed: int, family: str = "mixed", avoid: frozenset[str] = KNOWN_BUGS) -> Program:
    """A program of ``family`` and a point where it is smooth or sits on a tie, both
    determined by ``seed``.

    A share (:data:`TIE_SHARE`) of the programs first try points drawn from :data:`TIES`:
    one where a branch margin is zero (``max(x, 1.0)`` at 1.0, ``np.max`` of repeated
    entries) is kept as a tie (``kink=True``) if ``f`` is smooth on each side of it, along
    every coordinate. Programs whose points are all rejected (not finite, too close to a
    kink, or badly conditioned for the finite-difference oracle) are replaced by the next
    one from the same random stream, so every seed gives a program. ``avoid`` names the
    :data:`KNOWN_BUGS` whose patterns the writer stays away from.
    """
    rng = random.Random(f"{family}:{seed}")
    for _ in range(200):
        writer: _Writer | _ArrayWriter
        if family == "array":  # a share write items (their own stream: the others stay)
            writer = _ArrayWriter(rng, avoid, writes=random.Random(f"writes:{seed}").random()
                                  < WRITES_SHARE)
            source, params = writer.module()
            draw = _draw_array_args
        else:
            writer = _Writer(rng, family, avoid)
            source, params = writer.module()
            draw = _vectors_drawn(_draw_args, source, params, seed)
        names = [n for n, _ in params]
        wrt = tuple(n for n, k in params if k not in ("int", "data"))
        scalar = tuple(n for n, k in params if k == "float")
        try:
            namespace = load(source)
            probe = _Probe(_instrument(source), source)
        except SyntaxError as err:  # a bug in this writer, never in s2s_ad
            raise AssertionError(f"the fuzzer wrote invalid Python:\n{source}") from err
        assert list(inspect.signature(namespace["f"]).parameters) == names
        ties = rng.random() < TIE_SHARE
        for attempt in range(6):
            args = draw(rng, writer, params, ties=ties and attempt < 4)  # type: ignore[arg-type]
            program = Program(source, args, tuple(names), wrt, scalar, family, seed,
                              avoid=avoid, shared_updates=frozenset(
                                  getattr(writer, "shared_updates", ())))
            kind = _point_kind(probe, program)
            if kind is not None:
                return _settled(program, probe, kind)
    raise RuntimeError(f"no program with a usable point for seed {seed} ({family})")


def programs(family: str = "mixed") -> st.SearchStrategy[Program]:
    """A hypothesis strategy of :class:`Program` s of ``family``, one per drawn seed."""
    return st.integers(min_value=0, max_value=2**32 - 1).map(lambda s: generate(s, family))


# --- kinks: instrumented copies of the program ------------------------------------------------
_OPS = {ast.Gt: operator.gt, ast.Lt: operator.lt, ast.GtE: operator.ge, ast.LtE: operator.le,
        ast.Eq: operator.eq, ast.NotEq: operator.ne}


class _Instrument(ast.NodeTransformer):
    """Route comparisons, ``abs``, ``fabs``, ``min`` and ``max`` (and ``np.maximum``,
    ``np.minimum``, ``np.max``, ``np.min``, ``np.abs``) through a recorder, and every
    arithmetic result and call through ``_fz_v``, which records the largest magnitude."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        return ast.Call(ast.Name("_fz_v", ast.Load()), [node], [])

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in _OPS:
            return node
        op = ast.Constant(type(node.ops[0]).__name__)
        return ast.Call(ast.Name("_fz_cmp", ast.Load()), [node.left, node.comparators[0], op], [])

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        name = (func.id if isinstance(func, ast.Name)
                else func.attr if isinstance(func, ast.Attribute) else "")
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "np" and name in _NP_KINKS):
            return ast.Call(ast.Name(f"_fz_np_{name}", ast.Load()), node.args, node.keywords)
        if name in ("abs", "fabs", "min", "max") and len(node.args) in (1, 2) and not node.keywords:
            kind = name if len(node.args) == 2 or name in ("abs", "fabs") else ""
            if kind:
                return ast.Call(ast.Name(f"_fz_{kind}", ast.Load()), node.args, [])
        if name == "append":
            return node
        return ast.Call(ast.Name("_fz_v", ast.Load()), [node], [])


_NP_KINKS = ("maximum", "minimum", "max", "min", "abs", "clip", "argmax", "argmin", "sort",
             "argsort")


def _instrument(source: str) -> str:
    tree = _Instrument().visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree))


class _Probe:
    """Runs an instrumented program: its value, its branch decisions, the smallest margin.

    A run fails (None) where an intermediate value exceeds ``LIMIT`` in magnitude: there,
    rounding absorbs small terms (``sin(1e30 - x)`` is flat in floating point), so the
    finite differences see another function than the one AD differentiates.

    NumPy comparisons and ``np.maximum``/``np.minimum`` record every entry's decision and
    the smallest gap; ``np.max``/``np.min`` record which entry wins along the reduced axis
    and its lead over the runner-up (ties there would switch the shared cotangent), as do
    ``np.argmax``/``np.argmin``; ``np.sort``/``np.argsort`` record the order and the smallest
    gap between neighbours in it.
    """

    def __init__(self, source: str, original: str | None = None) -> None:
        """``source``: the program instrumented; ``original``: as written, whose helpers
        ``s2s_ad.grad(h)`` differentiates (it cannot read an instrumented helper's source)."""
        self.trace: list[bool] = []
        self.gaps: list[float] = []  # each decision's (each entry's) gap, in trace order
        self.margin = math.inf
        self.peak = 0.0
        namespace = {"__name__": "s2s_ad_fuzz_probe", "_fz_cmp": self._cmp, "_fz_v": self._v,
                     "_fz_abs": self._abs, "_fz_fabs": self._fabs,
                     "_fz_min": self._min, "_fz_max": self._max,
                     "_fz_np_maximum": self._np_maximum, "_fz_np_minimum": self._np_minimum,
                     "_fz_np_max": self._np_max, "_fz_np_min": self._np_min,
                     "_fz_np_abs": self._abs, "_fz_np_clip": self._np_clip,
                     "_fz_np_argmax": self._np_argmax, "_fz_np_argmin": self._np_argmin,
                     "_fz_np_sort": self._np_sort, "_fz_np_argsort": self._np_argsort}
        exec(_compile(source, "<s2s_ad-fuzz-probe>"), namespace)
        if original is not None and "s2s_ad" in namespace:  # NESTED_GRAD's calls
            namespace["s2s_ad"] = _HelpersAsWritten(load(original))
        self.namespace = namespace

    def _record(self, decision: Any, a: Any, b: Any) -> Any:
        if isinstance(decision, np.ndarray):  # one decision per entry
            self.trace.append(tuple(decision.ravel().tolist()))
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            gaps = np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
            self._narrow(gaps)
            return decision
        self.trace.append(decision)
        if isinstance(a, float) or isinstance(b, float):
            self._narrow(abs(a - b) / max(1.0, abs(a), abs(b)))
        return decision

    def _narrow(self, gaps: Any) -> None:
        """Record the gaps of one decision (a number, or an array: one per entry)."""
        gaps = np.nan_to_num(np.ravel(np.asarray(gaps, dtype=float)), nan=0.0, posinf=0.0,
                             neginf=0.0).tolist()
        self.gaps += gaps
        self.margin = min(self.margin, *gaps) if gaps else self.margin

    def _v(self, value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
            peak = float(np.max(np.abs(value))) if value.size else 0.0
            self.peak = max(self.peak, peak if math.isfinite(peak) else math.inf)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.peak = max(self.peak, abs(value))
        return value

    def _np_maximum(self, a: Any, b: Any) -> Any:
        self._record(np.asarray(np.greater_equal(a, b)), a, b)
        return np.maximum(a, b)

    def _np_minimum(self, a: Any, b: Any) -> Any:
        self._record(np.asarray(np.less_equal(a, b)), a, b)
        return np.minimum(a, b)

    def _np_clip(self, a: Any, lo: Any, hi: Any) -> Any:
        self._record(np.asarray(np.greater_equal(a, lo)), a, lo)
        self._record(np.asarray(np.less_equal(a, hi)), a, hi)
        return np.clip(a, lo, hi)

    def _np_max(self, x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        self._extreme(np.asarray(x, dtype=float), axis)
        return np.max(x, axis=axis, keepdims=keepdims)

    def _np_min(self, x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        self._extreme(-np.asarray(x, dtype=float), axis)
        return np.min(x, axis=axis, keepdims=keepdims)

    def _np_argmax(self, x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        self._extreme(np.asarray(x, dtype=float), axis)
        return np.argmax(x, axis=axis, keepdims=keepdims)

    def _np_argmin(self, x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        self._extreme(-np.asarray(x, dtype=float), axis)
        return np.argmin(x, axis=axis, keepdims=keepdims)

    def _np_sort(self, x: Any, axis: int | None = -1) -> Any:
        self._order(np.asarray(x, dtype=float), axis)
        return np.sort(x, axis=axis)

    def _np_argsort(self, x: Any, axis: int | None = -1) -> Any:
        self._order(np.asarray(x, dtype=float), axis)
        return np.argsort(x, axis=axis)

    def _order(self, x: np.ndarray, axis: int | None) -> None:
        """Record the permutation np.argsort picks along ``axis`` (the derivatives of
        np.sort follow it), and the smallest gap between neighbours in that order."""
        rows = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, -1)
        self.trace.append(tuple(np.argsort(rows, axis=-1).ravel().tolist()))
        if rows.shape[-1] >= 2:
            ordered = np.sort(rows, axis=-1)
            gaps = np.diff(ordered, axis=-1) / np.maximum(1.0, np.abs(ordered[..., 1:]))
            self._narrow(gaps)

    def _extreme(self, x: np.ndarray, axis: int | None) -> None:
        """Record which entry of ``x`` is the largest along ``axis``, and by how much."""
        rows = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, -1)
        self.trace.append(tuple(np.argmax(rows, axis=-1).ravel().tolist()))
        if rows.shape[-1] >= 2:
            ordered = np.sort(rows, axis=-1)
            top, second = ordered[..., -1], ordered[..., -2]
            self._narrow((top - second) / np.maximum(1.0, np.abs(top)))

    def _cmp(self, a: Any, b: Any, op: str) -> bool:
        return self._record(_OPS[getattr(ast, op)](a, b), a, b)

    def _abs(self, a: Any) -> Any:
        self._record(a >= 0, a, 0.0)
        return abs(a)

    def _fabs(self, a: Any) -> float:
        self._record(a >= 0, a, 0.0)
        return math.fabs(a)

    def _min(self, a: Any, b: Any) -> Any:
        self._record(a <= b, a, b)
        return min(a, b)

    def _max(self, a: Any, b: Any) -> Any:
        self._record(a >= b, a, b)
        return max(a, b)

    def __call__(self, entry: str,
                 args: tuple) -> tuple[float, tuple[bool, ...], float, tuple[float, ...]] | None:
        """``(value, decisions, margin, gaps)``, or None where ``f`` fails or is not a finite
        number."""
        self.trace, self.gaps, self.margin, self.peak = [], [], math.inf, 0.0
        try:
            with np.errstate(all="ignore"):  # nan and inf are rejected below
                value = self.namespace[entry](*args)
        except (ArithmeticError, ValueError):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value) or abs(value) > LIMIT or not self.peak <= LIMIT:
            return None
        return value, tuple(self.trace), self.margin, tuple(self.gaps)


class _HelpersAsWritten:
    """``s2s_ad`` in the probe: ``grad(h, wrt=...)`` of the helper of the same name as the
    program wrote it (its derivative is smooth: only helpers without a kink are so called,
    ``_Writer.smooth``), and ``jvp(make_box, wrt=...)`` (a record returned)."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace

    def grad(self, helper: Any, wrt: Any = None) -> Any:
        return s2s_ad.grad(self.namespace[helper.__name__], wrt=wrt)

    def jvp(self, helper: Any, wrt: Any = None) -> Any:  # (of make_box: smooth)
        return s2s_ad.jvp(self.namespace[helper.__name__], wrt=wrt)


def _point_kind(probe: _Probe, program: Program) -> str | None:
    """"smooth" where no branch decision changes within the stencils of the oracle along
    any coordinate and the oracle is well conditioned; "kink" where the point sits on a tie
    (a branch margin below ``TIE_MARGIN``) and along every coordinate ``f`` is smooth on
    each side: the same decisions at every offset of a side, each of the point's decisions
    one of a side's, and one-sided differences at two steps that agree; else None."""
    base = probe(program.entry, program.args)
    if base is None:
        return None
    tie = base[2] < TIE_MARGIN
    for path in _paths(program):
        values = {0.0: base[0]}
        sides: dict[int, set[tuple]] = {1: set(), -1: set()}
        for offset in OFFSETS:
            for t in (offset, -offset):
                moved = probe(program.entry, _moved(program.args, path, t))
                if moved is None or not tie and moved[1] != base[1]:
                    return None
                sides[1 if t > 0 else -1].add(moved[1])
                values[t] = moved[0]
        if tie:
            if not _smooth_on_each_side(base, sides, values):
                return None
            continue
        estimates = [(4 * _d0(values, h) - _d0(values, 2 * h)) / 3 for h in STEPS]
        if not all(math.isfinite(e) and abs(e) <= LIMIT for e in estimates):
            return None
        if relative_error(*estimates) > ORACLE_AGREEMENT:
            return None
        # and the plain difference at the smallest step: f oscillating faster than the
        # Richardson steps can make both of them agree on a wrong, small slope
        nearby = _d0(values, OFFSETS[0])
        if abs(nearby - estimates[0]) > ORACLE_AGREEMENT * max(1.0, abs(base[0]),
                                                               abs(estimates[0])):
            return None
    return "kink" if tie else "smooth"


def _smooth_on_each_side(base: tuple, sides: dict[int, set[tuple]],
                         values: dict[float, float]) -> bool:
    """Along one coordinate from a tie: one trace of decisions per side, the point's own
    decisions each taken on one side (elementwise), and f smooth and continuous on each
    side (its one-sided differences agree at both ``ONE_SIDED_STEPS``)."""
    if any(len(traces) != 1 for traces in sides.values()):
        return False
    (right,), (left,) = sides[1], sides[-1]
    if not _taken_on_a_side(base[1], left, right):
        return False
    for side in (1, -1):
        estimates = [_one_sided(values.__getitem__, side, h) for h in ONE_SIDED_STEPS]
        if not all(math.isfinite(e) and abs(e) <= LIMIT for e in estimates):
            return False
        if relative_error(*estimates) > ORACLE_AGREEMENT:
            return False
    return True


def _taken_on_a_side(point: Any, left: Any, right: Any) -> bool:
    """Whether every decision at the point is the one on the left or on the right (a
    decision of NumPy's is a tuple, one per entry)."""
    if isinstance(point, tuple):
        return (isinstance(left, tuple) and isinstance(right, tuple)
                and len(point) == len(left) == len(right)
                and all(_taken_on_a_side(*d) for d in zip(point, left, right)))
    # (a side that took another branch may have an array's decisions here: not this one)
    return any(not isinstance(side, tuple) and point == side for side in (left, right))


def _one_sided(fn: Callable[[float], Any], side: int, h: float) -> Any:
    """``fn'(0)`` from the right (``side`` 1) or the left (-1), error O(h^3): the one-sided
    differences at h/4, h/2 and h, Richardson-extrapolated twice."""
    f0 = fn(0.0)
    d = {k: (fn(side * h / k) - f0) / (side * h / k) for k in (1, 2, 4)}
    coarse, fine = 2 * d[2] - d[1], 2 * d[4] - d[2]  # O(h^2)
    return (4 * fine - coarse) / 3


def _d0(values: dict[float, float], h: float) -> float:
    return (values[h] - values[-h]) / (2 * h)


def point_ok(program: Program, seconds: float = 5.0) -> bool:
    """Whether ``program.args`` is a usable point: finite, well conditioned, and away from
    kinks (or, for a program whose point sits on a tie, smooth on each side of it)."""
    return point_kind(program, seconds) == ("kink" if program.kink else "smooth")


def _settled(program: Program, probe: _Probe, kind: str) -> Program:
    """``program`` at its point of ``kind``: on a tie or not, and its coupled coordinates."""
    if kind != "kink":
        return replace(program, kink=False, coupled=frozenset())
    return replace(program, kink=True, coupled=_coupled(probe, program))


def _coupled(probe: _Probe, program: Program) -> frozenset[tuple]:
    """The coordinates that move two or more of the point's tied decisions at once.

    The convention at one tie (``np.minimum`` gives each side half the cotangent, ``abs``
    slope +1 at 0) gives a partial between the left and right one-sided differences along
    the coordinate. Where a coordinate reaches two ties at once, the conventions compose
    into an element of the Clarke subdifferential that no one-sided difference bounds:
    ``sum(np.minimum(W, np.abs(W[1:2])))`` at ``W = 0`` is 1 on both sides of ``W[1, 0]``
    (``min(W[0, 0], |W[1, 0]|)`` touches its tie without crossing it), and the conventions
    give 1.5, which lies in that set, [0, 2]. A decision is moved when its gap changes at
    the smallest offset on either side."""
    base = probe(program.entry, program.args)
    if base is None:
        return frozenset()
    tied = [k for k, gap in enumerate(base[3]) if gap < TIE_MARGIN]
    coupled = set()
    for path in _paths(program):
        moved = 0
        for t in (OFFSETS[0], -OFFSETS[0]):
            run = probe(program.entry, _moved(program.args, path, t))
            if run is None or len(run[3]) != len(base[3]):
                moved = len(tied)  # another run of decisions: no bound to check against
                break
            moved = max(moved, sum(abs(run[3][k] - base[3][k]) > TIE_MARGIN for k in tied))
        if moved >= 2:
            coupled.add(path)
    return frozenset(coupled)


def point_kind(program: Program, seconds: float = 5.0) -> str | None:
    """"smooth", "kink" (on a tie, smooth on each side) or None: see :func:`_point_kind`."""
    try:
        with time_limit(seconds):  # a candidate of the minimizer may loop forever
            return _point_kind(_Probe(_instrument(program.source), program.source), program)
    except Exception:  # a candidate of the minimizer that no longer runs
        return None


# --- coordinates of the differentiable arguments -----------------------------------------------
Path = tuple  # (argument index, then keys/indices into containers)


def _leaves(value: Any, prefix: Path) -> Iterator[Path]:
    if isinstance(value, float):
        yield prefix
    elif isinstance(value, np.ndarray):  # one coordinate per entry, its index a tuple
        for index in np.ndindex(value.shape):
            yield prefix + (index,)
    elif isinstance(value, (list, tuple)):
        for j, item in enumerate(value):
            yield from _leaves(item, prefix + (j,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, prefix + (key,))
    elif _is_record(value):  # a dataclass: by field name
        for name in _record_fields(type(value)):
            yield from _leaves(getattr(value, name), prefix + (name,))


def _paths(program: Program, names: tuple[str, ...] | None = None) -> list[Path]:
    paths: list[Path] = []
    for name in program.wrt if names is None else names:
        i = program.params.index(name)
        paths += list(_leaves(program.args[i], (i,)))
    return paths


def _moved(value: Any, path: Path, t: float) -> Any:
    """``value`` (an args tuple or a container) with the leaf at ``path`` moved by ``t``."""
    if not path:
        return value + t
    head, rest = path[0], path[1:]
    if isinstance(value, np.ndarray):
        moved = value.copy()
        moved[head] = _moved(value[head], rest, t)
        return moved
    if isinstance(value, dict):
        return {k: _moved(v, rest, t) if k == head else v for k, v in value.items()}
    if isinstance(head, str) and _is_record(value):  # a dataclass's field
        return dataclasses.replace(value, **{head: _moved(getattr(value, head), rest, t)})
    items = [_moved(v, rest, t) if k == head else v for k, v in enumerate(value)]
    if _is_record(value):  # a named tuple
        return type(value)(*items)
    return tuple(items) if isinstance(value, tuple) else items


def _get(value: Any, path: Path) -> Any:
    for key in path:
        value = getattr(value, key) if isinstance(key, str) and _is_record(value) else value[key]
    return value


def _label(params: list[str], path: Path) -> str:
    """``x``, ``xs[1]``, ``d['a']``, or ``W[1, 2]`` for an entry of an array."""
    return params[path[0]] + "".join(
        f"[{', '.join(map(str, p))}]" if isinstance(p, tuple) else f"[{p!r}]" for p in path[1:])


# --- the differential check ---------------------------------------------------------------------
@dataclass
class Failure:
    """What went wrong for one program: ``kind`` groups failures, ``detail`` explains."""

    kind: str
    detail: str
    program: Program
    composition: str | None = None  # one of COMPOSITIONS, or None: the first-order checks
    documented: bool = False  # a refusal the README documents: counted, never a pass

    def report(self) -> str:
        return f"{self.kind}\n{self.program.describe()}\n--- {self.kind} ---\n{self.detail}"

    @property
    def status(self) -> str:
        """"mismatch" (a wrong number, structure, value or argument), "crash" (an exception
        that is not a DifferentiationError, a hang) or "unsupported" (a refusal)."""
        head = self.kind.split(":")[0].split(" ")[0]
        return {"unsupported": "unsupported", "crash": "crash", "hang": "crash",
                "harness": "crash"}.get(head, "mismatch")


class _Differences:
    """Richardson-extrapolated central differences of ``fn(args)`` (a number or a flat
    array) at the program's point, along a coordinate, at attempt 0 or 1 (``STEPS``: the
    oracle and its retry) or 2 (``FINE_STEP``), cached. With ``one_sided`` (a point on a
    tie) the pair (left, right) of one-sided differences at ``ONE_SIDED_STEPS`` instead."""

    def __init__(self, fn: Callable[[tuple], Any], args: tuple, one_sided: bool = False) -> None:
        self.fn, self.args, self.one_sided = fn, args, one_sided
        self.cache: dict[tuple, Any] = {}

    def coordinate(self, path: Path, attempt: int) -> Any:
        return self._estimate(path, lambda t: _moved(self.args, path, t), attempt)

    def label(self, attempt: int) -> str:
        if self.one_sided:
            return f"one-sided richardson h={ONE_SIDED_STEPS[attempt]:g} (left, right)"
        return f"richardson h={STEPS[attempt]:g}"

    def _estimate(self, key: Any, move: Callable[[float], tuple], attempt: int) -> Any:
        if (key, attempt) not in self.cache:
            def along(t: float) -> Any:
                return self.fn(move(t))

            if self.one_sided:
                h = ONE_SIDED_STEPS[attempt]
                value: Any = (_one_sided(along, -1, h), _one_sided(along, 1, h))
            else:
                value = richardson(along, 0.0, (*STEPS, FINE_STEP)[attempt])
            self.cache[key, attempt] = value
        return self.cache[key, attempt]


def _off(got: Any, want: Any, rtol: float) -> bool:
    """Whether ``got`` misses ``want``: a relative error above ``rtol``, or, for a pair
    (left, right) of one-sided differences at a tie, outside the range they span (a
    subgradient lies between them) by more than ``rtol``; None is no bound."""
    if want is None:
        return False
    if isinstance(want, tuple):
        lo, hi = min(want), max(want)
        slack = rtol * max(1.0, abs(lo), abs(hi))
        return not lo - slack <= got <= hi + slack
    return relative_error(got, want) > rtol


def _disagreements(got: list[float], want: Callable[[int, int], Any],
                   rtol: float) -> tuple[list[int], list[Any], list[Any]]:
    """The entries ``k`` of ``got`` that miss ``want(k, 0)`` and, retried, ``want(k, 1)``
    (and ``want(k, 2)``, at ``FINE_STEP``, where those two differ as much); and the two
    columns of the oracle (the second empty when nothing was retried)."""
    first = [want(k, 0) for k in range(len(got))]
    bad = [k for k, a in enumerate(got) if _off(a, first[k], rtol)]
    if not bad:
        return [], first, []
    second = [want(k, 1) for k in range(len(got))]
    bad = [k for k in bad if _off(got[k], second[k], rtol)]
    unsettled = {k for k in bad if isinstance(second[k], (int, float))  # (not a tie's pair)
                 and _off(second[k], first[k], rtol)}
    return [k for k in bad if k not in unsettled or _off(got[k], want(k, 2), rtol)], first, second


def _versus_differences(results: dict[str, list[float]], paths: list[Path], program: Program,
                        oracle: _Differences, sources: str,
                        composition: str | None = None) -> Failure | None:
    """Each of ``results`` (partials in ``paths`` order) against the differences of ``f``;
    the first that misses, as a "mismatch: <label> vs differences"."""
    def want(k: int, attempt: int) -> Any:
        if paths[k] in program.coupled:
            return None  # no bound at a coupled tie (see _coupled)
        return _number(oracle.coordinate(paths[k], attempt))

    for label, got in results.items():
        bad, first, second = _disagreements(got, want, RTOL)
        if bad:
            columns = {**results, oracle.label(0): first, oracle.label(1): second}
            return Failure(f"mismatch: {label} vs differences",
                           _table(paths, list(program.params), columns) + "\n" + sources,
                           program, composition)
    return None


def _number(value: Any) -> Any:
    """A float, or a pair of floats (one-sided differences)."""
    return tuple(map(float, value)) if isinstance(value, tuple) else float(value)


def _flatten(gradient: Any, program: Program, paths: list[Path], names: tuple[str, ...],
             params: list[str], problems: list[str]) -> list[float]:
    """The partials in ``paths`` order, read from a gradient with one entry per ``names``.

    A gradient that cannot be read raises :class:`_StructureError`; a scalar ``0.0`` for a
    container argument reads as zeros and is noted in ``problems`` (a structure failure
    once the numbers agree) unless "container-zero-scalar" is tolerated. Integer partials
    of float arguments are fine: derivatives may drop ``* 1.0``.
    """
    if not isinstance(gradient, tuple) or len(gradient) != len(names):
        raise TypeError(f"a tuple wrt of {len(names)} gave {gradient!r}")
    by_index = {params.index(n): entry for n, entry in zip(names, gradient)}
    flat = []
    for path in paths:
        arg, entry = program.args[path[0]], by_index[path[0]]
        if (isinstance(arg, (list, tuple, dict)) or _is_record(arg)) and (
                type(entry) is float and entry == 0.0):
            if "container-zero-scalar" not in program.avoid:
                problems.append(f"the gradient for {params[path[0]]} is 0.0; the argument "
                                f"is {arg!r}")
            flat.append(0.0)  # checked against the differences like any zero
            continue
        label = _label(params, path)
        try:
            partial = _get(entry, path[1:])
            if not isinstance(partial, (int, float)) or isinstance(partial, bool):
                raise TypeError(f"a {type(partial).__name__}")
        except (TypeError, KeyError, IndexError) as err:
            raise _StructureError(
                f"the partial for {label} cannot be read from {entry!r} "
                f"({type(err).__name__}: {err}); the argument is {arg!r}") from None
        if type(entry) is not type(arg) and not isinstance(arg, float):
            raise _StructureError(f"the gradient for {params[path[0]]} is {entry!r}, "
                                  f"a {type(entry).__name__}; the argument is {arg!r}")
        flat.append(partial)
    return flat


class _StructureError(Exception):
    """A gradient that does not have its argument's structure."""


def _table(paths: list[Path], params: list[str], columns: dict[str, list[Any]]) -> str:
    heads = [h for h in columns if len(columns[h]) == len(paths)]  # a retry not run: left out
    rows = ["  ".join([f"{'coordinate':<14}"] + [f"{h:>24}" for h in heads])]
    for k, path in enumerate(paths):
        label = _label(params, path)
        rows.append("  ".join([f"{label:<14}"] + [f"{columns[h][k]!r:>24}" for h in heads]))
    return "\n".join(rows)


def _crash(stage: str, err: BaseException, program: Program, composition: str | None = None,
           names: tuple[str, ...] = ()) -> Failure:
    """An exception as a failure; ``names``: what the call differentiated with respect to."""
    kind = ("unsupported" if isinstance(err, DifferentiationError) or _refused_when_run(err)
            else "hang" if isinstance(err, Timeout) else "crash")
    documented = kind == "unsupported" and _documented(str(err), program, composition, names)
    if documented:
        kind = "unsupported (documented)"
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__, limit=-4))
    return Failure(f"{kind}: {stage}: {type(err).__name__}", text, program, composition,
                   documented)


def _refused_when_run(err: BaseException) -> bool:
    """The in-place refusal as code raises it when it runs (``runtime.unshared``: where the
    code cannot know whether ``u`` is an array; docs/errors.md), a refusal like the rest."""
    return isinstance(err, TypeError) and "in place, and something still reads" in str(err)


def _documented(message: str, program: Program, composition: str | None,
                names: tuple[str, ...]) -> bool:
    """Whether the README's table of errors lists this refusal for this call: second
    derivatives of a gradient that fills the adjoint of a tuple, list or dict (where the
    program has those: the scalar families, array programs that grow a list); reverse mode
    over a gradient whose loop sits in a branch; ``jacobian``/``hessian`` with respect to an
    array together with other arguments, of several results, or in reverse mode; forward
    mode with respect to a container; ``u += v`` on an array another name, a view or a
    loop still reads afterwards, where the writer updated ``u`` so on purpose
    (``Program.shared_updates``). The same messages elsewhere (an array taken for a
    container, one array refused, an update the writer took for unshared) are findings,
    and so is every other refusal: the generator writes only the supported subset, and
    the aliasing updates it writes on purpose."""
    named = re.search(r"argument '(\w+)'", message)
    arg = (program.args[program.params.index(named.group(1))]
           if named and named.group(1) in program.params else None)
    if HESSIAN_LIMIT in message:
        return program.family != "array" or ".append(" in program.source
    if "reverse mode over a gradient whose loop sits in a branch" in message:
        return True
    if "tuple/list/dict argument" in message:
        return isinstance(arg, (list, tuple, dict)) or _is_record(arg)
    updated = re.search(r"changes the array (\w+) in place, and .* still reads the old array",
                        message)
    if updated:
        return updated.group(1) in program.shared_updates
    return False


def check(program: Program, seconds: float = CHECK_SECONDS,
          compositions: tuple[str, ...] = COMPOSITIONS) -> Failure | None:
    """Differentiate ``program`` every way and compare; the first disagreement, or None.

    Reverse mode, optimized and not, must match Richardson-extrapolated central differences
    to ``RTOL`` (relative error, retried at a second step; at a tie, lie between the left
    and right one-sided differences); forward mode (``jacobian`` with ``mode="fwd"`` over
    the float parameters, ``jvp`` along a random tangent over all of them) must match
    reverse mode to ``MODE_RTOL``; ``value_and_grad`` and ``jvp`` must return ``f(*args)``
    bitwise; every generated ``.source`` must compile; the arguments must not be modified.
    Then each of ``compositions`` (:data:`COMPOSITIONS`; see :class:`_Composer`) must match
    Richardson differences of its inner result to ``HESSIAN_RTOL`` (``hvp`` the Hessian
    times its direction to ``MODE_RTOL``, where the Hessian passed); a refusal is a failure
    ("unsupported") unless the README documents it (:func:`_documented`). A check running
    past ``seconds`` reports a hang. Generated code that Python warns about when compiling
    it (``0.0[0]``: a SyntaxWarning) is a crash.
    """
    return examine(program, seconds, compositions).failure


@dataclass
class Examination:
    """What :func:`examine` found for one program: the first-order checks' failure (or
    None), and each composition's outcome: "pass", "n/a: <why>" or its :class:`Failure`."""

    program: Program
    first_order: Failure | None
    outcomes: dict[str, Failure | str]

    @property
    def failures(self) -> list[Failure]:
        """Every failure, first-order first, documented refusals too."""
        found = [self.first_order] if self.first_order else []
        return found + [o for o in self.outcomes.values() if isinstance(o, Failure)]

    @property
    def failure(self) -> Failure | None:
        """What :func:`check` reports: the first failure that is not a documented refusal."""
        return next((f for f in self.failures if not f.documented), None)

    def status(self, composition: str) -> str:
        """"pass", "n/a", "documented", or the failure's status (see Failure.status)."""
        outcome = self.outcomes[composition]
        if isinstance(outcome, Failure):
            return "documented" if outcome.documented else outcome.status
        return outcome.split(":")[0]


def examine(program: Program, seconds: float = CHECK_SECONDS,
            compositions: tuple[str, ...] = COMPOSITIONS,
            first_order: bool = True) -> Examination:
    """:func:`check`'s checks, each composition run (and timed: ``seconds`` each) even when
    an earlier check failed: the first-order ones (unless ``first_order`` is False), then
    ``compositions``."""
    f = load(program.source)[program.entry]
    oracle = _Differences(lambda args: f(*args), program.args, program.kink)
    run = _check_array if program.family == "array" else _check
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=SyntaxWarning)
        found = None
        if first_order:
            try:
                with time_limit(seconds):
                    found = run(f, program, oracle)
            except Timeout as err:  # outside the transforms: f itself, or the oracle
                found = _crash("check", err, program)
        composer = _Composer(f, program, oracle)
        outcomes: dict[str, Failure | str] = {}
        for name in compositions:
            try:
                with time_limit(seconds):
                    outcomes[name] = composer.run(name)
            except Timeout as err:  # raised between the composer's own try blocks
                outcomes[name] = _crash(name, err, program, name)
    return Examination(program, found, outcomes)


def _check(f: Callable[..., Any], program: Program, oracle: _Differences) -> Failure | None:
    params = list(program.params)
    problems: list[str] = []
    args, wrt, scalar = program.args, program.wrt, program.scalar_wrt
    snapshot = copy.deepcopy(args)
    expected = f(*args)
    paths = _paths(program)
    stage = "grad"
    try:
        reverse: dict[str, list[float]] = {}
        generated = []
        for optimize in (True, False):
            stage = f"grad(optimize={optimize})"
            g = s2s_ad.grad(f, wrt=wrt, optimize=optimize)
            generated.append((stage, g))
            reverse[f"reverse{'' if optimize else ' (unoptimized)'}"] = _flatten(
                g(*args), program, paths, wrt, params, problems)
        stage = "value_and_grad"
        vg = s2s_ad.value_and_grad(f, wrt=wrt)
        generated.append((stage, vg))
        value, vg_gradient = vg(*args)
        vg_flat = _flatten(vg_gradient, program, paths, wrt, params, problems)
        stage = "jacobian(mode='fwd')"
        jac = s2s_ad.jacobian(f, wrt=scalar, mode="fwd")
        generated.append((stage, jac))
        jac_flat = _flatten(jac(*args), program, _paths(program, scalar), scalar, params,
                            problems)
        stage = "jvp"
        jv = s2s_ad.jvp(f, wrt=wrt)
        generated.append((stage, jv))
        rng = random.Random(program.seed)
        tangent_args = _random_like(args, rng)
        tangents = [tangent_args[params.index(n)] for n in wrt]
        jvp_value, jvp_tangent = _call_jvp(jv, f, args, tangents)
        stage = "compile"
        for name, g in generated:
            stage = f"compile {name}.source"
            compile(g.source, f"<{name}>", "exec")
    except _StructureError as err:
        return Failure(f"structure: {stage}", str(err), program)
    except Exception as err:  # noqa: BLE001 -- every exception is a finding
        return _crash(stage, err, program)

    sources = "\n".join(f"--- {name} ---\n{g.source.rstrip()}" for name, g in generated[:2])
    failure = _versus_differences(reverse, paths, program, oracle, sources)
    if failure is not None:
        return failure

    optimized = reverse["reverse"]
    scalar_paths = _paths(program, scalar)
    scalar_rev = [optimized[paths.index(p)] for p in scalar_paths]
    comparisons = [
        ("reverse (unoptimized) vs reverse", paths, reverse["reverse (unoptimized)"], optimized),
        ("value_and_grad gradient vs grad", paths, vg_flat, optimized),
        ("jacobian(mode='fwd') vs reverse", scalar_paths, jac_flat, scalar_rev),
    ]
    for label, where, got, want in comparisons:
        if any(relative_error(a, b) > MODE_RTOL for a, b in zip(got, want)):
            columns = {label.split(" vs ")[0]: got, label.split(" vs ")[1]: want}
            return Failure(f"mismatch: {label}", _table(where, params, columns) + "\n" + sources,
                           program)
    flat_tangent = [_get(tangent_args, p) for p in paths]
    terms = [g * t for g, t in zip(optimized, flat_tangent)]
    dot = math.fsum(terms)
    scale = max(1.0, math.fsum(abs(term) for term in terms))
    if not abs(jvp_tangent - dot) <= MODE_RTOL * scale:
        return Failure("mismatch: jvp vs reverse",
                       f"jvp tangent {jvp_tangent!r}, reverse . tangent {dot!r} "
                       f"(tangent {tangent_args!r})\n" + sources, program)
    for label, got in (("value_and_grad", value), ("jvp", jvp_value)):
        if not (got == expected and type(got) is type(expected)):
            return Failure(f"value: {label} differs from f(*args)",
                           f"{label} value {got!r} ({type(got).__name__}), f(*args) = "
                           f"{expected!r} ({type(expected).__name__})\n" + sources, program)
    if not all(map(_identical, args, snapshot)):
        return Failure("mutation: arguments modified",
                       f"before {snapshot!r}\nafter  {args!r}", program)
    if problems:
        return Failure("structure: scalar 0.0 for a container", "\n".join(
            dict.fromkeys(problems)), program)
    return _int_item(generated[0][1], program, sources)


def _int_item(g: Callable[..., Any], program: Program, sources: str) -> Failure | None:
    """The gradient at a point where a list or tuple of floats holds an int as its last item
    (rounded: both calls take the same point), against the one where that item is a float:
    the same values, and no int partial that the floats do not give (the dispatcher may send
    such a list to the code built for floats: s2s_ad/codegen/dispatch.py)."""
    args = list(program.args)
    at = next((k for k, a in enumerate(args) if type(a) in (list, tuple) and len(a) >= 2
               and all(type(item) is float for item in a)), None)
    if at is None:
        return None
    items = args[at]
    number = round(items[-1])
    floats, ints = list(args), list(args)
    floats[at] = type(items)([*items[:-1], float(number)])
    ints[at] = type(items)([*items[:-1], number])
    try:
        want = g(*floats)
    except Exception:  # noqa: BLE001 -- outside the domain there: nothing to compare
        return None
    try:
        got = g(*ints)
    except Exception as err:  # noqa: BLE001 -- every exception is a finding
        return _crash("grad with an int in a list of floats", err, program)
    if not _same_partials(got, want):
        return Failure("mismatch: an int in a list of floats",
                       f"with {ints[at]!r}: {got!r}\nwith {floats[at]!r}: {want!r}\n"
                       + sources, program)
    return None


def _same_partials(got: Any, want: Any) -> bool:
    """Equal structure and values (NaN equal to NaN); an int only where ``want`` has one."""
    if isinstance(want, (list, tuple)):
        return (type(got) is type(want) and len(got) == len(want)
                and all(map(_same_partials, got, want)))
    if isinstance(want, dict):
        return (type(got) is dict and got.keys() == want.keys()
                and all(_same_partials(got[k], want[k]) for k in want))
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        return (isinstance(got, np.ndarray) and isinstance(want, np.ndarray)
                and got.dtype == want.dtype and bool(np.array_equal(got, want, equal_nan=True)))
    if isinstance(got, (int, np.integer)) and not isinstance(want, (int, np.integer)):
        return False
    return bool(got == want or (got != got and want != want))


def _check_array(f: Callable[..., Any], program: Program,
                 oracle: _Differences) -> Failure | None:
    """:func:`check` for the "array" family: every entry of every array argument is a
    coordinate. Reverse mode (optimized, unoptimized, and the shape-generic code that
    ``g.general`` runs) against Richardson differences per entry; gradients with their
    arguments' shapes and dtypes (a number for a number); ``value_and_grad``'s gradient
    and ``jacobian(mode="fwd")`` over the number arguments against reverse; ``jvp`` along
    random tangents against reverse mode's gradient; the values bitwise; no gradient sharing
    memory with an argument; the arguments unmodified; every generated source compiled."""
    params = list(program.params)
    args, wrt, scalar = program.args, program.wrt, program.scalar_wrt
    snapshot = copy.deepcopy(args)
    expected = f(*args)
    paths = _paths(program)
    stage = "grad"
    try:
        reverse: dict[str, list[float]] = {}
        generated = []
        for optimize in (True, False):
            stage = f"grad(optimize={optimize})"
            g = s2s_ad.grad(f, wrt=wrt, optimize=optimize)
            generated.append((stage, g))
            reverse[f"reverse{'' if optimize else ' (unoptimized)'}"] = _entries(
                g(*args), program, paths, wrt)
        general = getattr(generated[0][1], "general", None)
        if general is not None:
            stage = "grad(...).general (shape-generic)"
            reverse["reverse (shape-generic)"] = _entries(general(*args), program, paths, wrt)
        stage = "value_and_grad"
        vg = s2s_ad.value_and_grad(f, wrt=wrt)
        generated.append((stage, vg))
        value, vg_gradient = vg(*args)
        vg_flat = _entries(vg_gradient, program, paths, wrt)
        jac_flat: list[float] = []
        if scalar:
            stage = "jacobian(mode='fwd')"
            jac = s2s_ad.jacobian(f, wrt=scalar, mode="fwd")
            generated.append((stage, jac))
            jac_flat = _entries(jac(*args), program, _paths(program, scalar), scalar)
        stage = "jvp"
        jv = s2s_ad.jvp(f, wrt=wrt)
        generated.append((stage, jv))
        rng = np.random.default_rng(program.seed)
        directions = []  # (tangents, jvp's value, jvp's tangent) for two random tangents
        for _ in range(JVP_TANGENTS):
            tangents = [rng.uniform(-1.0, 1.0, np.shape(args[params.index(n)])) for n in wrt]
            tangents = [t if t.ndim else float(t) for t in tangents]
            jvp_value, jvp_tangent = _call_jvp(jv, f, args, tangents)
            if isinstance(jvp_tangent, bool) or not isinstance(jvp_tangent, (int, float)):
                raise _StructureError(f"the jvp tangent is {_kind(jvp_tangent)}, not a number")
            directions.append((tangents, jvp_value, jvp_tangent))
        ran = []  # the code that ran: specialized to the arguments' shapes where it depends
        for name, g in generated:
            stage = f"compile {name}.source"
            compile(g.source, f"<{name}>", "exec")
            if hasattr(g, "specialize"):
                positional, keywords = (_jvp_arguments(jv, args, tangents) if g is jv
                                        else (args, {}))
                g = g.specialize(*positional, **keywords)
                compile(g.source, f"<{name}>", "exec")
            ran.append((name, g))
    except _StructureError as err:
        return Failure(f"structure: {stage}", str(err), program)
    except Exception as err:  # noqa: BLE001 -- every exception is a finding
        return _crash(stage, err, program)

    sources = "\n".join(f"--- {name} ---\n{g.source.rstrip()}" for name, g in ran[:2])
    failure = _versus_differences(reverse, paths, program, oracle, sources)
    if failure is not None:
        return failure
    optimized = reverse["reverse"]
    scalar_paths = _paths(program, scalar)
    comparisons = [
        ("reverse (unoptimized) vs reverse", paths, reverse["reverse (unoptimized)"], optimized),
        ("value_and_grad gradient vs grad", paths, vg_flat, optimized),
        ("jacobian(mode='fwd') vs reverse", scalar_paths, jac_flat,
         [optimized[paths.index(p)] for p in scalar_paths]),
    ]
    if "reverse (shape-generic)" in reverse:
        comparisons.append(("reverse (shape-generic) vs reverse", paths,
                            reverse["reverse (shape-generic)"], optimized))
    for label, where, got, want in comparisons:
        if any(relative_error(a, b) > MODE_RTOL for a, b in zip(got, want)):
            columns = {label.split(" vs ")[0]: got, label.split(" vs ")[1]: want}
            return Failure(f"mismatch: {label}", _table(where, params, columns) + "\n" + sources,
                           program)
    for tangents, _, jvp_tangent in directions:
        by_name = dict(zip(wrt, tangents))
        terms = [g * float(_get(by_name[params[p[0]]], p[1:])) for g, p in zip(optimized, paths)]
        dot = math.fsum(terms)
        scale = max(1.0, math.fsum(abs(term) for term in terms))
        if not abs(jvp_tangent - dot) <= MODE_RTOL * scale:
            shown = ", ".join(f"d{n}={_show(t)}" for n, t in by_name.items())
            return Failure("mismatch: jvp vs reverse",
                           f"jvp tangent {jvp_tangent!r}, reverse . tangent {dot!r} "
                           f"(tangents {shown})\n" + sources, program)
    values = [("value_and_grad", value)] + [("jvp", v) for _, v, _ in directions]
    for label, got in values:
        if not (got == expected and type(got) is type(expected)):
            return Failure(f"value: {label} differs from f(*args)",
                           f"{label} value {got!r} ({type(got).__name__}), f(*args) = "
                           f"{expected!r} ({type(expected).__name__})\n" + sources, program)
    changed = [n for n, a, b in zip(params, args, snapshot) if not _identical(a, b)]
    if changed:
        return Failure("mutation: arguments modified", "\n".join(
            f"{n}: before {_show(snapshot[params.index(n)])}\n"
            f"{' ' * len(n)}  after  {_show(args[params.index(n)])}" for n in changed), program)
    return None


class _NotApplicable(Exception):
    """A composition that does not apply to a program (the message says why)."""


class _Composer:
    """The :data:`COMPOSITIONS` of one program, over ``names``: its number and array
    parameters (a tuple ``wrt``, or for one of them, half the time, the single name). Each
    is checked against Richardson differences of its inner result: the columns of
    ``grad(f)``'s (flattened) value along each coordinate for ``jacobian(grad)`` and
    ``hessian``, those dotted with a random cotangent for ``vjp(grad)``, the difference
    along a random tangent for ``jvp(grad)`` (its value against ``grad(f)``'s) and for
    ``hvp`` (there the Hessian times the direction, to ``MODE_RTOL``, where it passed),
    the differences of ``grad(f, wrt=a)`` (a number) for ``grad(grad)``, and of ``f`` for
    ``jacobian(f)`` in both modes (first order: at a tie, between the one-sided ones;
    ``mode="rev"`` also with respect to the containers). Second-order entries are checked
    to ``HESSIAN_RTOL``. Every result must have its structure: a tuple per tuple ``wrt``, a
    number for a number, an array of shape ``out.shape + in.shape`` for a block of a
    Jacobian of arrays (a Hessian's block for arguments x and y: ``x.shape + y.shape``)."""

    def __init__(self, f: Callable[..., Any], program: Program, oracle: _Differences) -> None:
        self.f, self.program, self.oracle = f, program, oracle
        # the compositions run on a copy, checked after each: a derivative that updates an
        # argument in place is a failure, and the next one gets the arguments back
        self.args, self.params = copy.deepcopy(program.args), list(program.params)
        self.names = tuple(n for n in program.wrt if n in program.scalar_wrt
                           or isinstance(self.args[self.params.index(n)], np.ndarray))
        rng = np.random.default_rng(program.seed)
        self.every = len(self.names) < 2 or rng.random() < 0.5  # else one of them
        if not self.every:
            self.names = (self.names[rng.integers(len(self.names))],)
        self.single = len(self.names) == 1 and rng.random() < 0.6
        self.wrt: Any = self.names[0] if self.single else self.names
        self.shapes = [np.shape(self.args[self.params.index(n)]) for n in self.names]
        self.paths = _paths(program, self.names)

        def draw() -> list[Any]:  # one entry per name: a number or an array of its shape
            drawn = [rng.uniform(-1.0, 1.0, shape) for shape in self.shapes]
            return [d if d.ndim else float(d) for d in drawn]

        self.direction, self.cotangent, self.tangent = draw(), draw(), draw()
        self.stage = self.current = ""  # what runs, in which composition
        self.hessian: np.ndarray | None = None  # once the hessian composition passed
        self._inner: tuple[Callable[..., Any], np.ndarray, _Differences] | None = None

    def run(self, name: str) -> Failure | str:
        if not self.names:
            return "n/a: no number or array parameter"
        if name in SECOND_ORDER and self.program.kink:
            return "n/a: on a tie"
        method = getattr(self, "_" + "_".join(re.findall(r"\w+", name)))
        self.stage = self.current = name
        outcome: Failure | str
        try:
            outcome = method() or "pass"
        except _NotApplicable as why:
            outcome = f"n/a: {why}"
        except _StructureError as err:
            outcome = Failure(f"structure: {name}: {self.stage}", str(err), self.program, name)
        except Exception as err:  # noqa: BLE001 -- every exception is a finding
            outcome = _crash(f"{name}: {self.stage}", err, self.program, name, self.names)
        changed = [n for n, a, b in zip(self.params, self.args, self.program.args)
                   if not _identical(a, b)]
        for a, b in zip(self.args, self.program.args):
            if isinstance(a, np.ndarray):
                a[...] = b
            elif isinstance(a, list):
                a[:] = copy.deepcopy(b)
            elif isinstance(a, dict):
                a.clear()
                a.update(copy.deepcopy(b))
        if changed and not isinstance(outcome, Failure):
            return Failure(f"mutation: {name}: arguments modified",
                           f"{', '.join(changed)} changed by {name}", self.program, name)
        return outcome

    # the inner gradient and the checks shared by the compositions
    def inner(self) -> tuple[Callable[..., Any], np.ndarray, _Differences]:
        """``grad(f)`` over ``wrt``, its flattened value, and the differences of that."""
        if self._inner is None:
            self.stage = "grad(f)"
            g = s2s_ad.grad(self.f, wrt=self.wrt)

            def flat(args: tuple) -> np.ndarray:
                return _flat_tree(g(*args), self.shapes, self.single, "grad(f)")

            self.stage = "grad(f) at the point"
            self._inner = (g, flat(self.args), _Differences(flat, self.args))
        return self._inner

    def _along(self, values: list[Any]) -> Callable[[int, int], float]:
        """``want(k, attempt)``: entry k of the derivative of ``grad(f)`` along ``values``
        (one per name), from its differences along each coordinate (moving one at a time:
        what the choice of the point made sure stays on one side of every branch)."""
        _, _, diffs = self.inner()
        v = np.concatenate([np.ravel(d) for d in values])
        cache: dict[int, np.ndarray] = {}

        def want(k: int, attempt: int) -> float:
            if attempt not in cache:
                cache[attempt] = sum((diffs.coordinate(path, attempt) * v[j]
                                      for j, path in enumerate(self.paths)),
                                     np.zeros(len(self.paths)))
            return float(cache[attempt][k])

        return want

    def _call(self, label: str, fn: Callable[..., Any], extra: list[Any]) -> tuple[Any, str]:
        """``fn(*args, *extra)`` (extra arguments by name where they are keyword-only), and
        the source of the code that ran, compiled."""
        self.stage = "call"
        positional, keywords = _jvp_arguments(fn, self.args, extra)
        value = fn(*positional, **keywords)
        self.stage = "compile"
        code = fn.specialize(*positional, **keywords) if hasattr(fn, "specialize") else fn
        compile(code.source, f"<{label}>", "exec")
        self.stage = "its value"
        return value, f"--- {label} ---\n{code.source.rstrip()}"

    def _versus(self, label: str, got: np.ndarray, want: Callable[[int, int], Any],
                what: str, source: str, rtol: float = HESSIAN_RTOL) -> Failure | None:
        """``got`` (one entry per coordinate) against ``want(k, attempt)``: differences at
        ``STEPS[attempt]`` (with ``rtol`` MODE_RTOL: an exact value, the same for both)."""
        bad, first, second = _disagreements(list(map(float, got)), want, rtol)
        if not bad:
            return None
        columns = ({label: list(map(float, got)), what: first} if rtol == MODE_RTOL else
                   {label: list(map(float, got)), f"{what}, h={STEPS[0]:g}": first,
                    f"{what}, h={STEPS[1]:g}": second})
        return Failure(f"mismatch: {label} vs {what}",
                       _table(self.paths, self.params, columns) + "\n" + source, self.program,
                       self.current)

    def _columns(self, label: str, matrix: np.ndarray, source: str) -> Failure | None:
        """A Jacobian of ``grad(f)`` (a Hessian), column by column, against the differences
        of ``grad(f)`` along each coordinate."""
        _, _, diffs = self.inner()
        self.stage = "differences of grad(f)"
        for j, path in enumerate(self.paths):
            column = matrix[:, j]
            bad, first, second = _disagreements(
                list(column), lambda k, attempt, path=path: float(
                    diffs.coordinate(path, attempt)[k]), HESSIAN_RTOL)
            if bad:
                name = _label(self.params, path)
                columns = {f"{label} column {name}": list(map(float, column)),
                           f"richardson of grad, h={STEPS[0]:g}": first,
                           f"richardson of grad, h={STEPS[1]:g}": second}
                return Failure(f"mismatch: {label} vs differences of grad",
                               _table(self.paths, self.params, columns) + "\n" + source,
                               self.program, self.current)
        return None

    # the compositions, one method each (named after it)
    def _grad_grad(self) -> Failure | None:
        numbers = [n for n in self.names if n in self.program.scalar_wrt]
        if not numbers:
            raise _NotApplicable("no number parameter: grad(f) is not a number")
        a = numbers[self.program.seed % len(numbers)]
        self.stage = f"grad(f, wrt={a!r})"
        inner = s2s_ad.grad(self.f, wrt=a)
        value = inner(*self.args)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _StructureError(f"grad(f, wrt={a!r}) is {_kind(value)}, not a number")
        self.stage = "grad(grad(f))"
        outer = s2s_ad.grad(inner, wrt=self.wrt)
        out, source = self._call("grad(grad(f))", outer, [])
        got = _flat_tree(out, self.shapes, self.single, "grad(grad(f))")
        self.stage = f"differences of grad(f, wrt={a!r})"
        diffs = _Differences(lambda args: float(inner(*args)), self.args)
        return self._versus("grad(grad)", got, lambda k, attempt: float(
            diffs.coordinate(self.paths[k], attempt)), "differences of grad", source)

    def _jacobian_grad(self) -> Failure | None:
        g, _, _ = self.inner()
        self.stage = "jacobian(grad(f))"
        jac = s2s_ad.jacobian(g, wrt=self.wrt)
        out, source = self._call("jacobian(grad(f))", jac, [])
        matrix = _flat_matrix(out, self.shapes, self.single, "jacobian(grad(f))")
        return self._columns("jacobian(grad)", matrix, source)

    def _vjp_grad(self) -> Failure | None:
        g, _, diffs = self.inner()
        self.stage = "vjp(grad(f))"
        vj = s2s_ad.vjp(g, wrt=self.wrt)
        # one cotangent, shaped like grad(f)'s value: a tuple for a tuple wrt
        cotangent = self.cotangent if self.single else [tuple(self.cotangent)]
        out, source = self._call("vjp(grad(f))", vj, cotangent)
        got = _flat_tree(out, self.shapes, self.single, "vjp(grad(f))")
        u = np.concatenate([np.ravel(c) for c in self.cotangent])
        self.stage = "differences of grad(f)"
        return self._versus("vjp(grad)", got, lambda k, attempt: float(
            u @ diffs.coordinate(self.paths[k], attempt)), "differences of grad . cotangent",
            source + f"\n(cotangent {[_show(c) for c in self.cotangent]})")

    def _jvp_grad(self) -> Failure | None:
        g, value, _ = self.inner()
        self.stage = "jvp(grad(f))"
        jv = s2s_ad.jvp(g, wrt=self.wrt)
        out, source = self._call("jvp(grad(f))", jv, self.tangent)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise _StructureError(f"jvp(grad(f)) gave {_kind(out)}, not (value, tangent)")
        got_value = _flat_tree(out[0], self.shapes, self.single, "jvp(grad(f))'s value")
        got = _flat_tree(out[1], self.shapes, self.single, "jvp(grad(f))'s tangent")
        source += f"\n(tangent {[_show(t) for t in self.tangent]})"
        failure = self._versus("jvp(grad) value", got_value, lambda k, attempt: float(value[k]),
                               "grad(f)", source, MODE_RTOL)
        if failure is not None:
            return failure
        self.stage = "differences of grad(f)"
        return self._versus("jvp(grad)", got, self._along(self.tangent),
                            "differences of grad along it", source)

    def _hessian(self) -> Failure | None:
        self.stage = "hessian(f)"
        hess = s2s_ad.hessian(self.f, wrt=self.wrt)
        out, source = self._call("hessian", hess, [])
        matrix = _flat_matrix(out, self.shapes, self.single, "hessian(f)")
        failure = self._columns("hessian", matrix, source)
        if failure is None:
            self.hessian = matrix
        return failure

    def _hvp(self) -> Failure | None:
        self.stage = "hvp(f)"
        hv = s2s_ad.hvp(self.f, wrt=self.wrt)
        out, source = self._call("hvp", hv, self.direction)
        got = _flat_tree(out, self.shapes, self.single, "hvp(f)")
        v = np.concatenate([np.ravel(d) for d in self.direction])
        source += f"\n(v = {[_show(d) for d in self.direction]})"
        if self.hessian is not None:  # H v, row by row, to MODE_RTOL
            terms = self.hessian * v
            want = [math.fsum(row) for row in terms]
            scales = [max(1.0, math.fsum(map(abs, row))) for row in terms]
            if any(not abs(a - b) <= MODE_RTOL * scale
                   for a, b, scale in zip(got, want, scales)):
                return Failure("mismatch: hvp vs hessian", _table(
                    self.paths, self.params, {"hvp": list(map(float, got)), "hessian . v": want})
                    + "\n" + source, self.program, "hvp")
            return None
        self.inner()
        self.stage = "differences of grad(f)"
        return self._versus("hvp", got, self._along(self.direction), "differences of grad",
                            source)

    def _elementwise_grad_grad(self) -> Failure | None:
        """``elementwise_grad(grad(f))``: the VJP of the gradient with a cotangent of ones,
        the Hessian times ones (it is symmetric), against the differences of ``grad(f)``
        along ones."""
        g, _, _ = self.inner()
        self.stage = "elementwise_grad(grad(f))"
        eg = s2s_ad.elementwise_grad(g, wrt=self.wrt)
        out, source = self._call("elementwise_grad(grad(f))", eg, [])
        got = _flat_tree(out, self.shapes, self.single, "elementwise_grad(grad(f))")
        ones = [np.ones(np.shape(self.args[self.params.index(n)])) for n in self.names]
        self.stage = "differences of grad(f)"
        return self._versus("elementwise_grad(grad)", got, self._along(ones),
                            "differences of grad along ones", source)

    def _vmap_grad(self) -> Failure | None:
        """``vmap(grad(f))`` over a batch of three points (the program's, and moved by
        +-1e-3 along a random direction in its number and array parameters), the others
        shared: each example's gradient against ``grad(f)`` at its point, to ``MODE_RTOL``
        (the same arithmetic, batched)."""
        g, _, _ = self.inner()
        rng = np.random.default_rng(self.program.seed + 1)  # (not the program's draws)
        batched = [k for k, n in enumerate(self.params) if n in self.names]
        points = self._batch_points(batched, rng)
        self.stage = "grad(f) at each point"
        try:
            wants = [_flat_tree(g(*args), self.shapes, self.single, "grad(f)") for args in points]
        except (ArithmeticError, ValueError) as err:
            raise _NotApplicable(f"grad(f) fails at a moved point: {err}") from None
        stacked = [np.stack([np.asarray(args[k], dtype=float) for args in points])
                   if k in batched else a for k, a in enumerate(self.args)]
        axes = tuple(0 if k in batched else None for k in range(len(self.params)))
        self.stage = "vmap(grad(f))"
        vg = s2s_ad.vmap(g, in_axes=axes)
        self.stage = "call"
        out = vg(*stacked)
        self.stage = "compile"
        source = f"--- vmap(grad(f)) ---\n{vg.source.rstrip()}"
        compile(vg.source, "<vmap(grad(f))>", "exec")
        self.stage = "its value"
        for e, want in enumerate(wants):
            example = _nth(out, e, "vmap(grad(f))")
            got = _flat_tree(example, self.shapes, self.single, f"vmap(grad(f))[{e}]")
            failure = self._versus(f"vmap(grad) example {e}", got,
                                   lambda k, attempt, want=want: float(want[k]),
                                   "grad(f) there", source, MODE_RTOL)
            if failure is not None:
                return failure
        return self._vmap_grad_of_structures(rng)

    def _batch_points(self, moved: list[int], rng: np.random.Generator) -> list[list[Any]]:
        """The program's arguments, and twice more with every number and array in the
        arguments at ``moved`` (structures too) moved by +-1e-3 along a random direction:
        a batch of three points."""
        points = []
        for step in (0.0, 1e-3, -1e-3):
            args = list(self.args)
            for k in moved:
                args[k] = _map_leaves(args[k], lambda x, step=step: x + step * rng.uniform(
                    -1.0, 1.0, np.shape(x)) if np.shape(x) else float(
                        x + step * rng.uniform(-1.0, 1.0)))
            points.append(args)
        return points

    def _vmap_grad_of_structures(self, rng: np.random.Generator) -> Failure | None:
        """Where the program takes tuples, lists, dicts or records: ``vmap(grad(f))`` with
        respect to every parameter (structures too) over a batch of three points, every
        number and array in them moved, each item of a structure carrying the batch on axis
        0 (JAX's rule): example ``e`` of each gradient against ``grad(f)`` at point ``e``."""
        names = tuple(self.program.wrt)
        indices = [self.params.index(n) for n in names]
        if not any(isinstance(self.args[k], (tuple, list, dict)) or _is_record(self.args[k])
                   for k in indices):
            return None
        self.stage = "grad(f) over every parameter"
        g = s2s_ad.grad(self.f, wrt=names)
        points = self._batch_points(indices, rng)
        paths = _paths(self.program, names)
        problems: list[str] = []
        self.stage = "grad(f) at each point"
        try:
            wants = [_flatten(g(*args), self.program, paths, names, self.params, problems)
                     for args in points]
        except (ArithmeticError, ValueError, TypeError) as err:
            raise _NotApplicable(f"grad(f) fails at a moved point: {err}") from None
        stacked = [s2s_ad.runtime.stack_examples([args[k] for args in points])
                   if k in indices else a for k, a in enumerate(self.args)]
        axes = tuple(0 if k in indices else None for k in range(len(self.params)))
        self.stage = "vmap(grad(f)) of structures"
        vg = s2s_ad.vmap(g, in_axes=axes)
        self.stage = "call"
        out = vg(*stacked)
        source = f"--- vmap(grad(f)) of structures ---\n{vg.source.rstrip()}"
        self.stage = "its value"
        for e, want in enumerate(wants):
            example = s2s_ad.runtime.example_of(out, e)
            got = _flatten(example, self.program, paths, names, self.params, problems)
            failure = self._versus(f"vmap(grad) of structures, example {e}", np.array(got),
                                   lambda k, attempt, want=want: float(want[k]),
                                   "grad(f) there", source, MODE_RTOL)
            if failure is not None:
                return failure
        return None

    def _grad_numba(self) -> Failure | None:
        """``grad(f, backend="numba")``, the Python backend's code compiled by Numba, against
        ``grad(f)`` to ``MODE_RTOL`` (the same arithmetic, compiled). What Numba is refused
        (a list argument, a call outside its subset: a ``BackendError`` at the user's line)
        is not applicable; any other error, a Numba traceback above all, is a crash."""
        try:
            import numba  # noqa: F401
        except ImportError:
            raise _NotApplicable("Numba is not installed") from None
        _, want, _ = self.inner()
        self.stage = "grad(f, backend='numba')"
        compiled = s2s_ad.grad(self.f, wrt=self.wrt, backend="numba")
        try:
            out = compiled(*self.args)
        except BackendError as err:
            if err.loc is None and not err.message.startswith("the Numba backend cannot take"):
                return Failure("crash: grad(numba) refused without the user's line",
                               str(err), self.program, "grad(numba)")
            raise _NotApplicable(f"Numba refuses it: {str(err).splitlines()[0]}") from None
        got = _flat_tree(out, self.shapes, self.single, "grad(f, backend='numba')")
        if any(relative_error(float(a), float(b)) > MODE_RTOL for a, b in zip(got, want)):
            return Failure("mismatch: grad(numba) vs grad", _table(
                self.paths, self.params, {"numba": list(map(float, got)),
                                          "python": list(map(float, want))})
                + f"\n--- compiled by Numba ---\n{compiled.source.rstrip()}", self.program,
                "grad(numba)")
        return None

    def _jacobian_fwd(self) -> Failure | None:
        return self._jacobian_of_f("fwd", self.names)

    def _jacobian_rev(self) -> Failure | None:  # containers too, with every parameter
        return self._jacobian_of_f("rev", self.program.wrt if self.every else self.names)

    def _jacobian_of_f(self, mode: str, names: tuple[str, ...]) -> Failure | None:
        single = len(names) == 1 and self.single
        self.stage = f"jacobian(f, mode={mode!r})"
        jac = s2s_ad.jacobian(self.f, wrt=names[0] if single else names, mode=mode)
        out, source = self._call(f"jacobian(mode={mode!r})", jac, [])
        paths = _paths(self.program, names)
        tree = (out,) if single else out
        problems: list[str] = []
        if self.program.family == "array":
            got = _entries(tree, self.program, paths, names)
        else:
            got = _flatten(tree, self.program, paths, names, self.params, problems)
        self.stage = "differences of f"
        failure = _versus_differences({f"jacobian({mode})": got}, paths, self.program,
                                      self.oracle, source, f"jacobian({mode})")
        if failure is None and problems:
            return Failure(f"structure: jacobian({mode}): scalar 0.0 for a container",
                           "\n".join(dict.fromkeys(problems)), self.program, f"jacobian({mode})")
        return failure


def _map_leaves(value: Any, fn: Callable[[Any], Any]) -> Any:
    """``value`` with each number and array in it replaced by ``fn`` of it."""
    if isinstance(value, dict):
        return {k: _map_leaves(v, fn) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(_map_leaves(v, fn) for v in value))
    if _is_record(value):
        return dataclasses.replace(value, **{n: _map_leaves(getattr(value, n), fn)
                                             for n in _record_fields(type(value))})
    if isinstance(value, (tuple, list)):
        return type(value)(_map_leaves(v, fn) for v in value)
    return fn(value)


def _nth(value: Any, e: int, what: str) -> Any:
    """Example ``e`` of a batched value (a tuple of batched leaves for a tuple): a number
    where one example's is a number."""
    if isinstance(value, tuple):
        return tuple(_nth(v, e, f"{what}[{k}]") for k, v in enumerate(value))
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        raise _StructureError(f"{what} is {_kind(value)}; a batch is an array")
    item = value[e]
    return float(item) if item.ndim == 0 else item


def _flat_value(value: Any, shape: tuple, what: str) -> np.ndarray:
    """``value``'s entries, after checking it is a number (``shape`` ``()``) or a float64
    array of ``shape``."""
    if shape == ():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _StructureError(f"{what} is {_kind(value)}; for numbers it is a number")
        return np.array([float(value)])
    if not (type(value) is np.ndarray and value.shape == shape and value.dtype == np.float64):
        raise _StructureError(f"{what} is {_kind(value)}; expected an array of shape "
                              f"{shape} and dtype float64")
    return value.ravel().astype(float)


def _items(value: Any, n: int, what: str) -> list[Any]:
    if not isinstance(value, tuple) or len(value) != n:
        raise _StructureError(f"{what} is {_kind(value)}; a tuple wrt of {n} gives a tuple "
                              f"of {n}")
    return list(value)


def _flat_tree(value: Any, shapes: list[tuple], single: bool, what: str) -> np.ndarray:
    """A gradient-like value (one entry per ``wrt``, or the entry for a single one) as one
    flat array, after checking its structure."""
    items = [value] if single else _items(value, len(shapes), what)
    return np.concatenate([_flat_value(v, s, what if single else f"{what}[{k}]")
                           for k, (v, s) in enumerate(zip(items, shapes))])


def _flat_matrix(value: Any, shapes: list[tuple], single: bool, what: str) -> np.ndarray:
    """A Hessian, or a Jacobian of a gradient: a row per ``wrt`` (a tuple of rows for a
    tuple ``wrt``), a block per ``wrt`` in each, of shape ``out.shape + in.shape``; as one
    matrix (rows: the gradient's entries, columns: the coordinates)."""
    rows = [value] if single else _items(value, len(shapes), what)
    blocks = []
    for i, (row, out) in enumerate(zip(rows, shapes)):
        cells = [row] if single else _items(row, len(shapes), f"{what}[{i}]")
        blocks.append([_flat_value(cell, out + inner, what if single else f"{what}[{i}][{j}]")
                       .reshape(math.prod(out), math.prod(inner))
                       for j, (cell, inner) in enumerate(zip(cells, shapes))])
    return np.block(blocks)


def _entries(gradient: Any, program: Program, paths: list[Path],
             names: tuple[str, ...]) -> list[float]:
    """The partials in ``paths`` order from a gradient with one entry per ``names``, after
    checking that each has its argument's shape and dtype (a number for a number argument;
    integer partials of float arguments are fine: derivatives may drop ``* 1.0``)."""
    params = list(program.params)
    if not isinstance(gradient, tuple) or len(gradient) != len(names):
        raise _StructureError(f"a tuple wrt of {len(names)} gave {_kind(gradient)}")
    by_index = {}
    for name, entry in zip(names, gradient):
        arg = program.args[params.index(name)]
        if isinstance(arg, np.ndarray):
            ok = (type(entry) is np.ndarray and entry.shape == arg.shape
                  and entry.dtype == arg.dtype)
        else:
            ok = isinstance(entry, (int, float)) and not isinstance(entry, bool)
        if not ok:
            raise _StructureError(f"the gradient for {name} is {_kind(entry)}; the argument "
                                  f"is {_kind(arg)}")
        shared = [p for p, a in zip(params, program.args)
                  if isinstance(a, np.ndarray) and np.shares_memory(entry, a)]
        if shared:  # scaling the gradient in place would move the argument
            raise _StructureError(f"the gradient for {name} shares memory with the argument "
                                  f"{shared[0]}")
        twins = [other for other, g in zip(names, gradient) if other != name
                 and isinstance(g, np.ndarray) and np.shares_memory(entry, g)]
        if twins:  # or another gradient
            raise _StructureError(f"the gradients for {name} and {twins[0]} share memory")
        by_index[params.index(name)] = entry
    return [float(_get(by_index[p[0]], p[1:])) for p in paths]


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}: ({', '.join(map(_kind, value))})"
    return f"{value!r} (a {type(value).__name__})"


def _identical(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
                and bool(np.array_equal(a, b)))
    return a == b and type(a) is type(b)


def _random_like(value: Any, rng: random.Random) -> Any:
    if isinstance(value, float):
        return rng.uniform(-1.0, 1.0)
    if isinstance(value, np.ndarray):  # (a list argument given as a vector)
        return np.array([rng.uniform(-1.0, 1.0) for _ in range(value.size)]).reshape(
            value.shape)
    if isinstance(value, dict):
        return {k: _random_like(v, rng) for k, v in value.items()}
    if _is_record(value) and not isinstance(value, tuple):  # a dataclass: one of its class
        return dataclasses.replace(value, **{name: _random_like(getattr(value, name), rng)
                                             for name in _record_fields(type(value))})
    if isinstance(value, (list, tuple)):
        items = [_random_like(v, rng) for v in value]
        if _is_record(value):  # a named tuple
            return type(value)(*items)
        return tuple(items) if isinstance(value, tuple) else items
    return value


def _call_jvp(jv: Callable[..., Any], f: Callable[..., Any], args: tuple,
              tangents: list[Any]) -> tuple[Any, float]:
    """Call a generated JVP: tangents by position, or by name where they are keyword-only."""
    positional, keywords = _jvp_arguments(jv, args, tangents)
    return jv(*positional, **keywords)


def _jvp_arguments(jv: Callable[..., Any], args: tuple,
                   tangents: list[Any]) -> tuple[tuple, dict[str, Any]]:
    extra = list(inspect.signature(jv, follow_wrapped=False).parameters.values())[len(args):]
    positional = [t for p, t in zip(extra, tangents) if p.kind is not p.KEYWORD_ONLY]
    keywords = {p.name: t for p, t in zip(extra, tangents) if p.kind is p.KEYWORD_ONLY}
    return (*args, *positional), keywords


# --- the minimizer ------------------------------------------------------------------------------
def _statement_lists(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        for name in ("body", "orelse"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield node, name


def _edits(source: str) -> Iterator[str]:
    """Smaller variants of ``source``: statements deleted, blocks inlined, expressions cut."""
    base = ast.parse(source)
    count = sum(1 for _ in _statement_lists(base))
    for k in range(count):
        owner, name = list(_statement_lists(base))[k]
        for j in range(len(getattr(owner, name))):
            for mode in ("delete", "inline"):
                tree = ast.parse(source)
                o, n = list(_statement_lists(tree))[k]
                block = getattr(o, n)
                stmt = block[j]
                if isinstance(stmt, ast.FunctionDef) and stmt.name == "f":
                    continue
                if mode == "delete":
                    block[j:j + 1] = [] if len(block) > 1 or n == "orelse" else [ast.Pass()]
                elif isinstance(stmt, (ast.If, ast.For, ast.While)):
                    block[j:j + 1] = stmt.body
                else:
                    continue
                yield ast.unparse(ast.fix_missing_locations(tree))
    for k, node in enumerate(ast.walk(base)):
        if not isinstance(node, ast.expr) or isinstance(node, (ast.Constant, ast.Slice)):
            continue
        for replacement in [*range(len(_operands(node))), None]:
            tree = ast.parse(source)
            target = list(ast.walk(tree))[k]
            parent = _parent_of(tree, target)
            if (parent is None or isinstance(parent, ast.Call) and parent.func is target
                    or isinstance(parent, ast.Attribute)
                    or isinstance(getattr(target, "ctx", None), (ast.Store, ast.Del))):
                continue
            new = ast.Constant(1.0) if replacement is None else _operands(target)[replacement]
            _replace_child(parent, target, new)
            candidate = ast.unparse(ast.fix_missing_locations(tree))
            try:  # a slice out of its subscript (`x[None, :]` -> `(None, :)`) is no Python
                ast.parse(candidate)
            except SyntaxError:
                continue
            yield candidate


def _operands(node: ast.expr) -> list[ast.expr]:
    func = node.func if isinstance(node, ast.Call) else None
    return [c for c in ast.iter_child_nodes(node)
            if isinstance(c, ast.expr) and c is not func
            and not isinstance(c, (ast.Attribute, ast.Slice))]


def _size(program: Program) -> tuple[int, int]:
    tree = ast.parse(program.source)
    return sum(1 for _ in ast.walk(tree)), sum(a for a in program.args if type(a) is int)


def _parent_of(tree: ast.AST, target: ast.AST) -> ast.AST | None:
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if child is target:
                return node
    return None


def _replace_child(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
        elif isinstance(value, list):
            for j, item in enumerate(value):
                if item is old:
                    value[j] = new


def _smaller_ints(program: Program) -> Iterator[Program]:
    for i, a in enumerate(program.args):
        if isinstance(a, int) and not isinstance(a, bool) and a > 0:
            for b in sorted({0, 1, 2, a - 1}):
                if b < a:
                    yield replace(program, args=program.args[:i] + (b,) + program.args[i + 1:])


def minimize(failure: Failure, budget: int = 400,
             same: Callable[[Failure | None, Failure], bool] | None = None) -> Program:
    """Greedily shrink ``failure.program`` while :func:`check` still fails the same way.

    Candidates delete a statement, inline the body of an ``if``/``for``/``while``, replace an
    expression by one of its operands or by ``1.0``, or lower an integer argument; a
    candidate counts only if the point is still usable (:func:`point_kind`: smooth, or on a
    tie) and ``f`` leaves its arguments alone. A composition's failure is checked with that
    composition alone. At most ``budget`` candidates are checked.
    """
    same = same or (lambda new, old: new is not None and new.kind == old.kind)
    best = failure.program
    seen: set[tuple[str, str]] = set()
    tried = 0
    improved = True
    while improved and tried < budget:
        improved = False
        candidates: Iterator[Program] = _smaller_ints(best)
        candidates = _chain(candidates, (replace(best, source=s + "\n") for s in _edits(
            best.source)))
        for candidate in candidates:
            if tried >= budget:
                break
            key = (candidate.source, repr(candidate.args))
            if key in seen or _size(candidate) >= _size(best):
                continue
            seen.add(key)
            tried += 1
            # a candidate may update an argument in place (`x += 1.0` once `x = ...` is
            # gone): it runs on a copy, and is dropped if it does
            candidate = replace(candidate, args=copy.deepcopy(candidate.args))
            snapshot = copy.deepcopy(candidate.args)
            kind = point_kind(candidate, seconds=1.0)
            if kind is None or not all(map(_identical, candidate.args, snapshot)):
                continue
            probe = _Probe(_instrument(candidate.source), candidate.source)
            candidate = _settled(candidate, probe, kind)
            comps = (failure.composition,) if failure.composition else ()
            try:
                found = examine(candidate, 2.0, comps, first_order=not comps).failures
            except Exception:  # noqa: BLE001 -- f itself no longer runs
                continue
            outcome = next((f for f in found if f.kind == failure.kind),
                           found[0] if found else None)
            if same(outcome, failure):
                best = candidate
                improved = True
                break
    return best


def _chain(*iterators: Iterator[Program]) -> Iterator[Program]:
    for it in iterators:
        yield from it
