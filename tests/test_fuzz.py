"""Differential fuzzing of the whole pipeline (issue 9).

Each test draws random programs of one family from ``fuzz_programs.programs`` (expression
trees, branches, loops, containers, all mixed, and NumPy arrays) and runs
``fuzz_programs.check`` on each:
reverse mode, optimized and not, against Richardson-extrapolated central differences
(relative error 1e-5, retried at a second step; at a point on a tie, between the left and
right one-sided differences); ``jacobian(mode="fwd")`` and ``jvp`` against reverse mode
(1e-10); ``value_and_grad``'s and ``jvp``'s values against ``f(*args)`` bitwise, with the
same type; every generated ``.source`` compiled; the arguments unmodified. For the array
family every entry of every array argument is a coordinate, the gradients must have their
arguments' shapes and dtypes, and the shape-generic derivative (``g.general``) is checked
too. Then compositions (``fuzz_programs.COMPOSITIONS``), each against Richardson
differences of its inner result: ``hessian`` and ``hvp`` on every program, and in turn
(by seed; two per array program) one of ``grad(grad)``, ``jacobian(grad)``,
``vjp(grad)``, ``jvp(grad)``, ``jacobian(mode="fwd")``, ``jacobian(mode="rev")``
(``bench/fuzz.py`` runs all of them on every program). A refusal (a
``DifferentiationError``) fails the test unless the README documents it. A failure prints
the whole program, the point, every gradient, the generated sources, and
``generate(seed, family)`` to rebuild it.

``S2S_AD_FUZZ_EXAMPLES`` sets the number of programs per run (default 300, spread over the
scalar families; the array family, slower per program, gets a tenth as many);
``python bench/fuzz.py --n 10000`` runs a long campaign with a minimizer. Hypothesis does
not shrink a failing draw here: a smaller seed is another program, not a smaller one (the
campaign's minimizer shrinks programs).

The generator avoids the patterns of the known bugs in ``fuzz_programs.KNOWN_BUGS``; each
has a strict-xfail regression test at the bottom of this file. Fixing one makes its test
pass (and fail as an unexpected pass): remove the xfail mark and its ``KNOWN_BUGS`` entry.
"""

import inspect
import math
import os
import re
import warnings
from dataclasses import replace

import numpy as np
import pytest
from fuzz_programs import (
    COMPOSITIONS,
    FAMILIES,
    Program,
    _instrument,
    _Probe,
    _settled,
    check,
    examine,
    load,
    point_kind,
    point_ok,
    programs,
    time_limit,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.errors import DifferentiationError, UnsupportedSyntaxError
from s2s_ad.numeric import numerical_grad, relative_error, richardson

PROGRAMS = int(os.environ.get("S2S_AD_FUZZ_EXAMPLES", "300"))
SCALAR_FAMILIES = tuple(family for family in FAMILIES if family != "array")
FUZZ = settings(max_examples=max(1, PROGRAMS // len(SCALAR_FAMILIES)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
                phases=(Phase.explicit, Phase.reuse, Phase.generate))
# about 0.5 s a program (shapes specialized five ways, an oracle per entry): ~15 s at 300
ARRAY_FUZZ = settings(FUZZ, max_examples=max(1, PROGRAMS // 10))
# the compositions taken in turn (the suite's time: hessian and hvp cost most, and stay)
IN_TURN = tuple(c for c in COMPOSITIONS if c not in ("hessian", "hvp"))


def _no_disagreement(program):
    turn = [IN_TURN[program.seed % len(IN_TURN)]]
    if program.family == "array":
        turn.append(IN_TURN[(program.seed + len(IN_TURN) // 2) % len(IN_TURN)])
    failure = check(program, compositions=("hessian", "hvp", *turn))
    assert failure is None, f"rebuild with {program!r}\n{failure.report()}"


@pytest.mark.slow
@pytest.mark.parametrize("family", SCALAR_FAMILIES)  # expressions, branches, loops, containers, all
@FUZZ
@given(data=st.data())
def test_random_programs(family, data):
    _no_disagreement(data.draw(programs(family), label="program"))


@pytest.mark.slow
@ARRAY_FUZZ
@given(data=st.data())
def test_random_array_programs(data):
    _no_disagreement(data.draw(programs("array"), label="program"))


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_the_grammar_writes_programs_that_run(family):
    """Every seed gives a program its probe can run: the `list(xs)` grammar once wrote a
    copy's write that read a name its unpack binds after (generate(9, 'container') raised
    UnboundLocalError, and a campaign stopped at its first program)."""
    from fuzz_programs import generate

    for seed in range(120):
        generate(seed, family)


@pytest.mark.slow
def test_a_known_program_passes_and_the_check_sees_a_wrong_gradient(monkeypatch):
    """The harness itself: a correct program passes; a corrupted gradient is reported."""
    from fuzz_programs import generate

    program = generate(12345, "loop")
    assert check(program, compositions=()) is None
    real = s2s_ad.grad

    def off_by_a_bit(f, wrt=None, *, optimize=True):
        g = real(f, wrt=wrt, optimize=optimize)

        def wrong(*args):
            first, *rest = g(*args)
            return (first + 1e-3, *rest)

        wrong.source = g.source
        return wrong

    monkeypatch.setattr(s2s_ad, "grad", off_by_a_bit)
    failure = check(program, compositions=())
    assert failure is not None and failure.kind == "mismatch: reverse vs differences"
    assert "def f(" in failure.report() and "richardson" in failure.report()


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["hessian", "hvp"])
def test_the_check_sees_a_wrong_second_derivative(broken, monkeypatch):
    """A Hessian (or an hvp) off by 1e-3 in one entry is reported, with the kind that says
    which disagreed."""
    from fuzz_programs import generate

    program = generate(12345, "loop")
    assert program.scalar_wrt and check(program, compositions=("hessian", "hvp")) is None
    real = getattr(s2s_ad, broken)

    def off_by_a_bit(f, wrt=None, *, optimize=True):
        h = real(f, wrt=wrt, optimize=optimize)

        def wrong(*args, **kwargs):
            out = h(*args, **kwargs)
            if not isinstance(out, tuple):
                return out + 1e-3
            first = out[0]
            if isinstance(first, tuple):  # a Hessian's first row
                first = (first[0] + 1e-3, *first[1:])
            else:
                first = first + 1e-3
            return (first, *out[1:])

        wrong.source = h.source
        wrong.__signature__ = inspect.signature(h, follow_wrapped=False)
        return wrong

    monkeypatch.setattr(s2s_ad, broken, off_by_a_bit)
    failure = check(program, compositions=("hessian", "hvp"))
    want = ("mismatch: hessian vs differences of grad" if broken == "hessian"
            else "mismatch: hvp vs hessian")
    assert failure is not None and failure.kind == want, failure and failure.report()


SMOOTH = """import math


def f(x, y):
    return math.sin(x * y) + x ** 3 + math.exp(y) * x
"""


def _off_by_a_bit(transform):
    """``transform`` whose functions add 1e-3 to the first number they return (to the
    tangent's, for jvp's (value, tangent))."""

    def first_moved(out):
        return (first_moved(out[0]), *out[1:]) if isinstance(out, tuple) else out + 1e-3

    tangent = transform is s2s_ad.jvp

    def wrapped(f, wrt=None, **options):
        g = transform(f, wrt=wrt, **options)

        def wrong(*args, **kwargs):
            out = g(*args, **kwargs)
            return (out[0], first_moved(out[1])) if tangent else first_moved(out)

        wrong.source, wrong.__s2s__ = g.source, g.__s2s__  # a transform of it lifts g's IR
        wrong.__signature__ = inspect.signature(g, follow_wrapped=False)
        return wrong

    return wrapped


@pytest.mark.slow
def test_the_check_sees_a_wrong_vmap(monkeypatch):
    """vmap(grad) passes on a smooth program, and is reported as a mismatch when vmap's
    first example is off by 1e-3 in one entry."""
    program = Program(SMOOTH, (0.7, -0.4), ("x", "y"), ("x", "y"), ("x", "y"), family="expr")
    assert check(program, compositions=("vmap(grad)",)) is None
    real = s2s_ad.vmap

    class Wrong:
        def __init__(self, f, **options):
            self.batched = real(f, **options)

        @property
        def source(self):
            return self.batched.source

        def __call__(self, *args):
            out = self.batched(*args)
            first = np.array(out[0] if isinstance(out, tuple) else out)
            first[0] += 1e-3
            return (first, *out[1:]) if isinstance(out, tuple) else first

    monkeypatch.setattr(s2s_ad, "vmap", Wrong)
    failure = examine(program, compositions=("vmap(grad)",), first_order=False).failure
    assert failure is not None and failure.kind.startswith("mismatch: vmap(grad) example 0"), (
        failure and failure.kind)


@pytest.mark.slow
def test_the_check_sees_a_wrong_numba_gradient(monkeypatch):
    """grad(numba), asked for by name, passes on a smooth program, and is reported as a
    mismatch when the code Numba compiled is off by 1e-3 (the Python backend's is right)."""
    pytest.importorskip("numba")
    program = Program(SMOOTH, (0.7, -0.4), ("x", "y"), ("x", "y"), ("x", "y"), family="expr")
    assert examine(program, compositions=("grad(numba)",), first_order=False).outcomes == {
        "grad(numba)": "pass"}
    real = s2s_ad.grad

    def numba_off(f, wrt=None, **options):
        if options.get("backend") == "numba":
            return _off_by_a_bit(real)(f, wrt=wrt, **options)
        return real(f, wrt=wrt, **options)

    monkeypatch.setattr(s2s_ad, "grad", numba_off)
    failure = examine(program, compositions=("grad(numba)",), first_order=False).failure
    assert failure is not None and failure.kind == "mismatch: grad(numba) vs grad", (
        failure and failure.report())


@pytest.mark.slow
@pytest.mark.parametrize("composition", [c for c in COMPOSITIONS
                                         if c not in ("hessian", "hvp", "vmap(grad)")])
def test_the_check_sees_a_wrong_composition(composition, monkeypatch):
    """Each composition passes on a smooth program, and is reported with its own kind when
    its outer transform is off by 1e-3 in one entry."""
    program = Program(SMOOTH, (0.7, -0.4), ("x", "y"), ("x", "y"), ("x", "y"), family="expr")
    outer = "jacobian" if composition.startswith("jacobian") else composition.split("(")[0]
    assert point_ok(program) and check(program, compositions=(composition,)) is None
    monkeypatch.setattr(s2s_ad, outer, _off_by_a_bit(getattr(s2s_ad, outer)))
    failure = examine(program, compositions=(composition,), first_order=False).failure
    assert failure is not None and failure.kind.startswith(f"mismatch: {composition} vs "), (
        failure and failure.report())
    assert failure.composition == composition


@pytest.mark.slow
def test_the_writer_reaches_what_users_write():
    """Issue 15: array programs slice from both ends and with negative steps, build arrays
    from lists appended in loops, take lists where arrays go; some points sit on ties."""
    from fuzz_programs import generate

    arrays = [generate(seed, "array") for seed in range(10)]
    for pattern in (r"\w\[-?\d+:-?\d+", r":-\d\]", r"\.append\(", r"\bL @ |@ L\b|\(L\b|L\)"):
        assert any(re.search(pattern, p.source) for p in arrays), pattern
    assert all(isinstance(p.args[p.params.index("L")], list) and "L" not in p.wrt
               for p in arrays if "L" in p.params)
    assert any(p.kink for p in arrays)
    assert any(generate(seed, "branch").kink for seed in range(30))
    # issue 18: nested defs and lambdas closing over the function's names, called through
    # map, functools.partial and a helper too
    closures = "".join(generate(seed, "mixed").source for seed in range(40))
    for pattern in (r"^\s+def fn\d+\(", r"\bfn\d+ = lambda ", r"map\(fn\d+",
                    r"functools\.partial\(fn\d+", r"call_with\(fn\d+"):
        assert re.search(pattern, closures, re.MULTILINE), pattern


TIE = """def f(x, y):
    return abs(x - 1.0) + 2.0 * x + max(y, 2.0) * y
"""


@pytest.mark.parametrize("dx, inside", [(4.2, False), (2.5, True), (0.9, False)])
def test_at_a_tie_a_gradient_lies_between_the_one_sided_differences(dx, inside, monkeypatch):
    """At x == 1.0, y == 2.0 (abs at 0, max at a tie) d/dx may be anything from the left
    difference (-1 + 2) to the right one (1 + 2): a subgradient; outside it is a mismatch.
    Second derivatives are not checked there."""
    program = Program(TIE, (1.0, 2.0), ("x", "y"), ("x", "y"), ("x", "y"), family="branch",
                      kink=True)
    assert point_kind(program) == "kink" and not settled(program).coupled
    real = s2s_ad.grad

    def grad(f, wrt=None, *, optimize=True):  # d/dx replaced by dx
        g = real(f, wrt=wrt, optimize=optimize)

        def replaced(*args):
            return (dx, *g(*args)[1:])

        replaced.source = g.source
        return replaced

    monkeypatch.setattr(s2s_ad, "grad", grad)
    failure = check(program, compositions=())
    assert failure is not None  # value_and_grad disagrees with it, at least
    assert (failure.kind == "mismatch: reverse vs differences") is not inside, failure.report()
    if not inside:
        assert "one-sided richardson" in failure.report()


def settled(program: Program) -> Program:
    """``program`` with its point's kind and coupled coordinates, as ``generate`` sets them."""
    probe = _Probe(_instrument(program.source), program.source)
    return _settled(program, probe, point_kind(program))


COUPLED = """import numpy as np

def f(W):
    return np.sum(np.minimum(W, np.abs(W[1:2])))
"""


def test_a_coordinate_that_moves_two_ties_is_not_bounded_by_one_sided_differences():
    """Campaign seed 2301: at W = [[0, 0, 1.5], [0, 0, 0]], d/dW[1, 0] is 1 on both sides
    (min(W[0, 0], |W[1, 0]|) touches its tie without crossing it), and the conventions
    (half of the cotangent to each side of a tie, abs' (0) = 1) give 1.5: an element of the
    Clarke subdifferential, [0, 2], that no one-sided difference bounds. Such coordinates
    (they move two tied decisions at once) are not compared; the others still are."""
    W = np.array([[0.0, 0.0, 1.5], [0.0, 0.0, 0.0]])
    program = settled(Program(COUPLED, (W,), ("W",), ("W",), (), family="array"))
    assert program.kink
    assert program.coupled == {(0, (1, 0)), (0, (1, 1)), (0, (1, 2))}
    np.testing.assert_array_equal(s2s_ad.grad(load(COUPLED)["f"])(W),
                                  [[0.5, 0.5, 0.0], [1.5, 1.5, 2.0]])
    assert check(program, compositions=()) is None
    failure = check(replace(program, coupled=frozenset()), compositions=())
    assert failure is not None and failure.kind == "mismatch: reverse vs differences"
    assert "W[1, 0]" in failure.report() and "W[0, 0]" in failure.report()
    outcomes = examine(program, compositions=COMPOSITIONS, first_order=False).outcomes
    assert all(outcomes[c] == "n/a: on a tie" for c in COMPOSITIONS if "grad" in c or
               c in ("hessian", "hvp"))


# --- regression tests: bugs the fuzzer found ----------------------------------------------
# Fixed ones are plain tests; open ones are strict xfails (flip when fixed, and remove their
# entry from fuzz_programs.KNOWN_BUGS).
def _values_and_gradients(f, args, wrt):
    """``(f(*args), value_and_grad's value, its gradient, optimize=False's gradient, numeric)``."""
    value, gradient = s2s_ad.value_and_grad(f, wrt=wrt)(*args)
    unoptimized = s2s_ad.grad(f, wrt=wrt, optimize=False)(*args)
    return f(*args), value, gradient, unoptimized, numerical_grad(f, args, wrt=wrt,
                                                                   method="richardson")


FAST_OSCILLATION = """import math

def f(x, y, n):
    for i1 in range(n, 0, -2):
        y = (pow(math.erfc(y), 2) ** 3) ** n
        y = math.sin(y + i1)
    for i2 in range(2, n + 1):
        y = 2.0 * (5.0 + math.acos(0.9 * math.tanh(y)))
    return y
"""


def test_the_oracle_rejects_a_point_where_f_oscillates_faster_than_its_steps():
    """Found (10,000-program campaign, seed 2028): both Richardson steps agreed on -2e-7
    where the derivative is -9.327e-4 (s2s_ad's value; mpmath's exact one agrees to 4
    digits, all that float rounding leaves in so steep a chain): y is raised to the 18th
    power inside a sine, so f swings many times within h = 1e-3. The plain difference at
    the smallest step now has to agree too."""
    program = Program(FAST_OSCILLATION, (0.19710869641048934, -0.22046476581702779, 3),
                      ("x", "y", "n"), ("x", "y"), ("x", "y"), family="container")
    assert not point_ok(program)
    f = load(FAST_OSCILLATION)["f"]
    exact = -0.00093273824603438783  # mpmath, 50 digits
    assert relative_error(s2s_ad.grad(f, wrt="y")(0.2, -0.22046476581702779, 3) / exact,
                          1.0) < 1e-4


def product_of_a_negated_column(x, s):
    return --x[:, 0] @ np.where(1.0 < s, 1.0, x[:, 0])  # noqa: B002 -- two negations


def test_regression_value_keeps_the_layout_of_a_matrix_product_operand():
    """Found (10,000-program campaign, seed 2029): value_and_grad's value was one ulp off
    f's: `--x[:, 0]` (a fresh, contiguous array) was simplified to the strided view
    `x[:, 0]`, and BLAS rounds a product of a strided vector differently. In values, an
    op that returns its operand unchanged for numbers is kept for what may be an array."""
    x = np.array([[-1.8761546696554339, 1.7693180784459193, 0.4657062310847375],
                  [-1.0818974776515864, 0.6295478220054762, 0.5649719669149933],
                  [-0.23163689932580667, -1.5627659965432836, 0.7584856626504388],
                  [1.629285129637195, -1.8480173709649566, -1.772709036354219]])
    value, _ = s2s_ad.value_and_grad(product_of_a_negated_column, wrt=(0, 1))(
        x, -0.9189864708328055)
    assert value == product_of_a_negated_column(x, -0.9189864708328055)


def item_of_a_constant_or_an_arm(x, s):
    u = np.ones(2)
    if s > 0:
        u = x * 2.0
    return np.sum(u[0]) + s


@pytest.mark.parametrize("s", [1.0, -1.0], ids=["taken", "not-taken"])
def test_regression_tangent_of_an_array_no_input_moves_on_a_path(s):
    """Found (a SyntaxWarning in a CI run of the fuzz test): the shape-generic forward code
    read an item of the tangent 0.0 of an array that nothing moves on the path that skips
    the arm (`0.0[0]`, TypeError); that zero is zero_adjoint(u) now."""
    x, dx = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    j = s2s_ad.jvp(item_of_a_constant_or_an_arm, wrt=("x", "s"))
    want = (2.0 if s > 0 else 0.0) + 1.0
    for run in (j, j.general):
        assert run(x, s, dx, 1.0)[1] == want


def shifted_by_a_number(b, s, t):
    b = b - t
    return s * s + np.mean(b) + np.mean(b[:, None] ** 3)


def test_regression_tangent_of_an_array_minus_a_number_is_an_array():
    """Found (a SyntaxWarning in a CI run of the fuzz test, generate(8613, 'array')): in
    shape-generic forward code the tangent of `b - t` was `-dt`, a number, and reading
    `b[:, None]`'s tangent indexed it (`(-1.0)[_t3]`); it is spread over b's shape now."""
    b, s, t = np.array([1.0, 2.0, 3.5]), 0.5, 0.25
    j = s2s_ad.jacobian(shifted_by_a_number, wrt=("s", "t"), mode="fwd")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)  # `(-1.0)[...]` warns when compiled
        general = j.general
    shifted = b - t
    want_dt = -1.0 - np.mean(3 * shifted ** 2)
    for run in (j, general):
        ds, dt = run(b, s, t)
        assert ds == 2 * s
        assert math.isclose(dt, want_dt, rel_tol=1e-12)


def reset_in_a_loop(x, t, n):
    x = x * t
    for _ in range(3):
        x = np.tanh(np.where(x > 0.75, 0.5, 0.25) * 2.0)  # forgets t
    for _ in range(n):
        x = x + 0.1 * x[::-1]
    return t + np.sum(x)


def test_regression_loop_body_that_forgets_the_input_carries_a_zero_array_tangent():
    """Found (a CI-profile run of the fuzz test, generate(8749279, 'array')): a loop body whose
    new x no longer depends on the input carried the tangent 0.0 for the array x, and the next
    loop read `dx[::-1]` of it (TypeError); it carries zeros of x's shape now."""
    x, t = np.array([0.5, -1.0]), 0.7
    j = s2s_ad.jvp(reset_in_a_loop, wrt="t")
    for run in (j, j.general):
        assert run(x, t, 2, 1.0) == (reset_in_a_loop(x, t, 2), 1.0)
    jac = s2s_ad.jacobian(reset_in_a_loop, wrt="t", mode="fwd")
    assert jac(x, t, 2) == jac.general(x, t, 2) == 1.0


def moved_by_t_only(x, s, t, n):
    for _ in range(3):
        x = np.tanh(np.where(x > 0.75, t, 0.25) * t)
    for _ in range(n):
        x = x + 0.1 * x[::-1]
    return s + np.sum(x)


def test_a_jacobian_column_carries_no_tangent_for_what_only_other_inputs_move():
    """The column for s has no tangent for x (only t moves it): none is computed, and it is
    not a zero that the loop then reads as a number (the same crash as above)."""
    x, s, t = np.array([0.5, -1.0]), 0.3, 0.7
    jac = s2s_ad.jacobian(moved_by_t_only, wrt=("s", "t"), mode="fwd")
    assert "dx_ds" not in jac.specialize(x, s, t, 2).source
    want = s2s_ad.jacobian(moved_by_t_only, wrt=("s", "t"))(x, s, t, 2)
    for run in (jac, jac.general):
        got = run(x, s, t, 2)
        assert got[0] == 1.0
        assert math.isclose(got[1], want[1], rel_tol=1e-12)


def shifted_rows(x, t):
    for row in x:
        t = np.sin(np.log(1.0 + x[1] * x[1]) @ (row + t))
    return t


def test_regression_hessian_through_a_loop_of_matrix_products_of_shifted_rows():
    """Found by the campaign of seed 2031 (the Hessian check, generate(3480420774, 'array')):
    the adjoint loop's tangent of `row + t` was dt, a number, and `w @ dt` raised. Popped
    values now have the kinds of the pushed ones (specialized code: broadcast to (3,)), and
    shape-generic code spreads the tangent of a sum over the sum (full_like)."""
    x, t = np.array([[0.65, -0.67, 1.06], [-0.82, 1.96, 0.05]]), 0.88
    hess = s2s_ad.hessian(shifted_rows, wrt="t")
    gradient = s2s_ad.grad(shifted_rows, wrt="t")
    want = float(richardson(lambda u: gradient(x, t + u), 0.0, 1e-3))
    for run in (hess, hess.general):
        assert math.isclose(run(x, t), want, rel_tol=1e-8)
    # what the adjoint loop pops is known to be a number: it sums its cotangent with np.sum
    assert "unbroadcast" not in gradient.specialize(x, t).source


def abs_of_a_nested_item(x, ps):
    return abs(x * ps[1][1])


def test_regression_items_of_nested_lists_are_known_numbers():
    """Found (10,000-program campaign, seed 2029): jacobian(mode="fwd") gave array(0.806),
    a 0-d array, for d/dx abs(x * ps[1][1]): an item of a list of tuples was not known to
    be a number, so abs took its rule for arrays (np.where)."""
    ps = [(1.2, 1.3), (-0.5, -0.8)]
    for transform in (lambda f: s2s_ad.jacobian(f, wrt="x", mode="fwd"), s2s_ad.grad):
        d = transform(abs_of_a_nested_item)(1.5, ps)
        assert type(d) is float and d == 0.8


def aliased_carry(x, n):
    w = x  # w and x start as the same value; the loop carries both
    for i in range(n):  # noqa: B007 -- the user's loop, as written
        x, w = w, math.tanh(x + w * w)
    return x


def test_regression_loop_carried_copies_stay_separate():
    """Found: two carried variables entering the loop as one value became one (wrong value)."""
    expected, value, gradient, unoptimized, numeric = _values_and_gradients(
        aliased_carry, (0.3, 3), "x")
    assert value == expected  # 0.41190923545763314, not 0.5977816679997593
    assert relative_error(gradient, numeric) < 1e-6  # 1.68098, not 2.33519
    assert relative_error(unoptimized, numeric) < 1e-6


def aliased_while(x, n):
    u = x
    k = 0
    while k < n and x < 2.0:
        k = k + 1
        x = x + 1.0
        u = 0.5 * u + x
    return u


def test_regression_aliased_while_condition():
    """Found: the gradient's while condition read u where f reads x (and could loop forever)."""
    with time_limit(10.0):
        expected, value, gradient, _, numeric = _values_and_gradients(aliased_while, (-1.5, 9),
                                                                      "x")
    assert value == expected
    assert relative_error(gradient, numeric) < 1e-6


def if_in_tuple_loop(x):
    for e in (1.0, 2.0):  # noqa: B007 -- unrolled: a loop over a tuple display
        if x > 0.0:
            x = x * 0.5
    return x


def test_regression_if_inside_a_loop_over_a_tuple():
    """Found: an if in the body of an unrolled loop dropped the iteration's assignments."""
    expected, value, gradient, unoptimized, _ = _values_and_gradients(if_in_tuple_loop,
                                                                      (0.7,), "x")
    assert value == expected == 0.175
    assert gradient == unoptimized == 0.25


def branch_reads_item(x, xs):
    y = 0.5
    if x > 0.0:
        y = xs[0]  # y depends on the wrt arguments only through an item of xs
    return y


def ternary_reads_item(x, d):
    return d["a"] if x > 0.0 else 1.0


@pytest.mark.parametrize("optimize", [True, False])
def test_regression_branch_reading_a_container_item(optimize):
    """Found: an if whose results depend on wrt only through container items got no adjoint."""
    assert s2s_ad.grad(branch_reads_item, wrt=("x", "xs"), optimize=optimize)(
        1.0, [2.0, 3.0]) == (0.0, [1.0, 0.0])
    assert s2s_ad.grad(ternary_reads_item, wrt=("x", "d"), optimize=optimize)(
        1.0, {"a": 2.0}) == (0.0, {"a": 1.0})


def unused_container(x, xs, d, t):
    return x * x


@pytest.mark.parametrize("optimize", [True, False])
def test_regression_gradient_of_an_unread_container_keeps_its_structure(optimize):
    """Found: the gradient for a container f never reads was the scalar 0.0."""
    g = s2s_ad.grad(unused_container, wrt=("x", "xs", "d", "t"), optimize=optimize)
    assert g(1.5, [1.0, 2.0], {"a": 1.0}, (1.0, 2.0)) == (
        3.0, [0.0, 0.0], {"a": 0.0}, (0.0, 0.0))


def iterate_without_reading_items(x, xs):
    s = x
    for e in xs:  # noqa: B007 -- xs is read (its length), its items are not
        s = s * 2.0
    return s


def length_only(x, xs):
    return x * len(xs)


@pytest.mark.parametrize("optimize", [True, False])
def test_regression_gradient_of_a_read_container_without_adjoint_keeps_its_structure(optimize):
    """Found: a container read only by len or iteration got the scalar 0.0 as gradient."""
    g = s2s_ad.grad(iterate_without_reading_items, wrt=("x", "xs"), optimize=optimize)
    assert g(1.5, [1.0, 2.0]) == (4.0, [0.0, 0.0])
    assert s2s_ad.grad(length_only, wrt=("x", "xs"), optimize=optimize)(1.5, [1.0, 2.0]) == (
        2.0, [0.0, 0.0])


def zip_built_and_argument(x, xs):
    p = (x, 2.0 * x)
    s = 0.0
    for a, b in zip(p, xs):
        s = s + a * b
    return s


def test_regression_zip_of_a_built_tuple_and_an_argument():
    """Found: zip of a tuple built in f with an argument was a DifferentiationError."""
    g = s2s_ad.grad(zip_built_and_argument, wrt=("x", "xs"))
    assert g(1.5, [3.0, 4.0]) == (11.0, [1.5, 3.0])


def iterate_dict(x, d):
    s = x
    for k in d:
        s = s + d[k] * x
    return s


def test_regression_iterating_a_dict_argument():
    """Found: for k in d indexed the dict with 0, 1, ... (KeyError in the generated code)."""
    args = (0.5, {"a": 1.0, "b": 2.0})
    try:
        g = s2s_ad.grad(iterate_dict, wrt=("x", "d"))
    except DifferentiationError:
        return  # a clear error when the gradient is built would do too
    assert g(*args) == (4.0, {"a": 0.5, "b": 0.5})


def nested_break(y, xs):
    u = 1.0
    for a in xs:  # noqa: B007 -- the user's loop, as written
        for b in xs:
            if y > 0:
                if b > 0:
                    break
            u = 0.9
        u = y
    return u


def test_regression_forward_jacobian_of_a_loop_nest_with_break():
    """Found: the optimized forward jacobian read the inner loop's carried u, never assigned
    (UnboundLocalError): dce kept the dead inner loop but dropped the outer slot it read."""
    assert s2s_ad.jacobian(nested_break, wrt=("y",), mode="fwd")(0.7, [1.0, -1.0]) == (1.0,)


def inactive_appends(x, n):
    ys = [x]
    for i in range(n):  # noqa: B007 -- the user's loop, as written
        ys.append(2.0)  # a constant: no adjoint to pop
    return ys[0] * x


def inactive_item_before_the_loop(y, n):
    ys = [y, 1.5]  # 1.5: no adjoint to pop
    for i in range(n):  # noqa: B007
        ys.append(y)
    return ys[0]


@pytest.mark.parametrize("optimize", [True, False])
def test_regression_list_grown_in_a_loop_with_a_constant_item(optimize):
    """Found: a constant item popped no adjoint, so the pops for earlier items misread."""
    assert s2s_ad.grad(inactive_appends, optimize=optimize)(1.5, 2) == 3.0
    for n in (0, 2):
        assert s2s_ad.grad(inactive_item_before_the_loop, optimize=optimize)(-1.8, n) == 1.0


# --- regression tests: bugs the array family found -----------------------------------------
def _assert_every_gradient_right(f, args, wrt):
    """grad of f at args, optimized and not, each both specialized to the arguments' shapes
    and shape-generic (``g.general``: what ``s2s-ad export`` writes), against Richardson
    differences."""
    numeric = numerical_grad(f, args, wrt=wrt, method="richardson")
    for optimize in (True, False):
        g = s2s_ad.grad(f, wrt=wrt, optimize=optimize)
        for label, run in (("specialized", g), ("shape-generic", g.general)):
            gradient = run(*args)
            assert all(np.allclose(a, b, rtol=1e-6, atol=1e-8)
                       for a, b in zip(gradient, numeric)), (optimize, label, gradient)


X23 = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])


def index_after_if(x, s):
    u = x * 1.0
    if s > 0.0:
        u = 0.5 * u
    return np.sum(u[0])  # u comes out of the if


def index_in_loop(x):
    u = x * 1.0
    for i in range(2):  # noqa: B007 -- the user's loop, as written
        u = 0.5 * u + u[0]  # u is carried by the loop
    return np.sum(u)


@pytest.mark.parametrize("f, args", [(index_after_if, (X23, 1.0)), (index_in_loop, (X23,))],
                         ids=["after-if", "in-loop"])
def test_regression_index_of_a_value_out_of_an_if_or_a_loop(f, args):
    """Found: d/dx of np.sum(u[0]) after `if s > 0: u = 0.5 * u` is 0, not 0.5 on row 0;
    with u = 0.5 * u + u[0] carried by a loop, row 0 gets 0.25 instead of 4.25 (in the
    shape-generic code: an index read's adjoint of a value out of an if or a loop was
    dropped unless its shape was known)."""
    _assert_every_gradient_right(f, args, ("x",))


def index_of_index(x):
    u = x[1:]
    return np.sum(u[1:]) + np.sum(u)


def test_regression_index_of_an_index_read():
    """Found: the gradient is [0, 0, 1], not [0, 1, 2] (np.sum(u)'s adjoint is dropped)."""
    _assert_every_gradient_right(index_of_index, (np.array([0.1, 0.2, 0.3]),), ("x",))


def read_in_branch(x, s):
    u = x.T
    if s < 0.0:  # not taken: u gets no adjoint
        s = np.sum(u)
    return s


def read_in_loop(x, s, n):
    u = x.T
    for i in range(n):  # noqa: B007 -- n = 0: u gets no adjoint
        s = s + np.sum(u)
    return s


def overwrite_in_loop(b, c, n):
    for i in range(n):  # noqa: B007
        c = np.stack([0.5, b[1]])  # c's old value gets the adjoint 0.0
    return np.sum(c)


def transpose_in_condition(x, s, n):
    if np.sum(x @ x.T) < 0.0:  # CSE shares x.T with the arm
        s = np.sum(x.T)
    return s


@pytest.mark.parametrize("f, args", [
    (read_in_branch, (X23, 1.0)), (read_in_loop, (X23, 1.0, 0)),
    (overwrite_in_loop, (np.array([1.0, 2.0]), np.array([3.0, 4.0]), 2)),
    (transpose_in_condition, (X23, 1.0, 0))], ids=["branch", "loop", "overwrite", "cse"])
def test_regression_array_without_adjoint_on_some_path(f, args):
    """Found: AttributeError ('float' object has no attribute 'T'), IndexError (np.take of
    0.0), ValueError (reshape, @), TypeError (np.split) in the shape-generic gradient, whose
    zero adjoint was the number 0.0 (now runtime.zero_adjoint); "cse" (x.T in the condition
    shared with the arm) only with optimize=True."""
    _assert_every_gradient_right(f, args, (0, 1))


def negative_axis(x):
    return np.sum(np.max(x, axis=-1))


def test_regression_negative_constant_axis():
    """Found: UnsupportedSyntaxError "np.max's axis= must be known when the derivative is
    built" for the constant axis=-1 (fixed with the NumPy rule tests' findings)."""
    assert np.array_equal(s2s_ad.grad(negative_axis)(X23), [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])


def inner_product(v):
    return v @ v


def test_regression_shape_generic_gradient_of_a_vector_product():
    """Found: the shape-generic gradient (g.general, what `s2s-ad export` writes) of v @ v
    raised AxisError in runtime.matmul_vjp (the specialized one was right)."""
    g = s2s_ad.grad(inner_product)
    v = np.array([1.0, 2.0, 3.0])
    assert np.array_equal(g(v), 2 * v)
    assert np.array_equal(g.general(v), 2 * v)


def product_in_an_arm(x, c, s):
    if s > 0.5:
        c = x[:, 1] * c
    return np.sum(c)


@pytest.mark.parametrize("s", [1.0, 0.0], ids=["taken", "not-taken"])
def test_regression_gradient_out_of_a_branch_is_writable_and_not_an_argument(s):
    """Found: with optimize=True, d/dc out of the arm was x[:, 1], a view of the argument x;
    the other path gave np.broadcast_to(1.0, (2,)), a read-only array."""
    x, c = np.arange(6.0).reshape(2, 3), np.ones(2)
    for optimize in (True, False):
        dx, dc, _ = s2s_ad.grad(product_in_an_arm, wrt=("x", "c", "s"), optimize=optimize)(
            x, c, s)
        assert not np.shares_memory(dc, x) and dc.flags.writeable and dx.flags.writeable
        assert np.array_equal(dc, [1.0, 4.0] if s > 0.5 else [1.0, 1.0])


def rows_joined_in_a_loop(x, b, n):
    for i in range(1, n):
        if n > 1:
            b = np.concatenate([x[i], b])
        else:  # not taken: x's adjoint here is zeros, like the buffer x[i] adds into
            b = b + np.sum(x)
    return np.mean(b)


def test_regression_an_array_adjoint_buffer_is_not_shared_with_a_zero():
    """Found (while the session's change was under test): d/dx was 0.5 on row 1, not 1/6:
    the buffer that `x[i]`'s adjoint is added into, np.zeros((2, 3)), was merged by CSE with
    the zero adjoint of the other branch, np.zeros((2, 3)), and so added twice."""
    _assert_every_gradient_right(rows_joined_in_a_loop, (X23, np.array([0.1, 0.2, 0.3]), 2),
                                 ("x", "b"))


def update_in_an_arm(x, s):
    u = s
    if 1.0 < 0.1:
        s = 1.0
    else:
        u *= 0.5  # NumPy would change s too, were it an array: the check reads s here
    return s + np.sum(x)


def test_regression_in_place_check_in_an_arm_reads_only_bound_names():
    """Found (10,000-program campaign, seed 2027): the shape-generic check after `u *= 0.5`
    read the `if`'s result for s, not bound yet there (NameError)."""
    g = s2s_ad.grad(update_in_an_arm, wrt=(0, 1))
    x = np.array([1.0, 2.0])
    for run in (g, g.general):
        dx, ds = run(x, -1.4)
        assert np.array_equal(dx, [1.0, 1.0]) and ds == 1.0
    with pytest.raises(TypeError, match="changes the array u in place"):
        g.general(x, np.array([1.0]))


def _lowered(a):
    a -= math.sinh(0.5)  # NumPy would change the loop's x too, were it an array
    return a * a


def update_in_a_while_condition(x, y, n):
    k = 0
    while k < n and _lowered(x) <= y:
        k += 1
        y, x = x, math.tanh(y + x * y)
    return y + x


def test_regression_in_place_check_in_a_while_condition_reads_only_its_own_values():
    """Found (the suite's fuzz test, generate(246, 'loop')): the check after `a -= ...`,
    inlined in a while condition, read the body's copy of the carried x, which the
    condition cannot see (the verifier stopped it: "read before it is defined")."""
    vg = s2s_ad.value_and_grad(update_in_a_while_condition, wrt=("x", "y"))
    (value, (dx, dy)), expected = vg(-0.77, 0.08, 4), update_in_a_while_condition(-0.77, 0.08, 4)
    assert value == expected
    numeric = s2s_ad.numeric.numerical_grad(update_in_a_while_condition, (-0.77, 0.08, 4),
                                            wrt=(0, 1))
    assert np.allclose((dx, dy), numeric, rtol=1e-6, atol=1e-8)
    with pytest.raises(TypeError, match="changes the array a in place"):
        s2s_ad.grad(update_in_a_while_condition).general(np.array([-0.77]), 0.08, 4)


def list_times_a_slice_of_numpys_array(x, L):
    vals = [1.0]
    for row in x:  # noqa: B007 -- the user's loop, as written
        vals.append(np.dot(x, x[1]) @ L)
    u = np.asarray(vals)  # its length follows the loop: not known when building
    return np.mean(L * u[2::-1])  # NumPy's: L is an array here, never repeated


def test_regression_a_list_times_a_slice_of_a_numpy_result_is_elementwise():
    """Found (third campaign, seed 2403, generate(4231150336, 'array')): `L * u[2::-1]` was
    taken for a list repeated, so L, also used by `@`, was refused as used both ways; a
    slice or item of a NumPy result is NumPy's, and `*` of a list with it is elementwise."""
    x, L = np.array([[0.8, 0.9], [-1.4, 1.5], [-1.5, 1.1]]), [-1.5, -1.9, 0.1]
    dx, dL = s2s_ad.grad(list_times_a_slice_of_numpys_array, wrt=("x", "L"))(x, L)
    numeric = s2s_ad.numeric.numerical_grad(list_times_a_slice_of_numpys_array, (x, np.array(L)),
                                            wrt=(0, 1))
    assert np.allclose(dx, numeric[0], rtol=1e-6) and np.allclose(dL, numeric[1], rtol=1e-6)
    assert isinstance(dL, np.ndarray)


def _updates_its_b(a, b):
    b *= (a + a)  # b may be t[1]: the check of this update reads t
    return (a + (2.0 ** math.sin(0.5)))


def tuple_read_by_a_check(x, xs, d, t, n):
    x = (math.log1p((x + xs[1]) ** 2) + pow(math.pow(x, 3), 2))
    for i1 in range(n, 0, -2):
        b = x if math.log(1.0 + xs[i1 % 4] * xs[i1 % 4]) <= x else t[1]
        if _updates_its_b(i1, b=b) > math.pow((i1 / (2.0 + math.sin(x))), 3):
            x += abs(d['a'] - 0.0)
        elif t[i1 % 2] < 1.0:
            x += x
        x = math.log10(1.5 + math.sin(x))
        x = abs(xs[i1 % 4] - 0.0) * x
    return x


def test_regression_a_tuple_argument_read_by_an_in_place_check_is_not_an_array():
    """Found (third campaign, seed 2404 on e1b7994, generate(2461592340, 'mixed')): the
    code for the arguments refused the tuple t as "used as an array (by unshared) and as a
    list": the run-time check of `b *= ...` reads t (b may be t[1]) beside a float, which
    the test for lists used as arrays took for arithmetic. A check reads values as they are."""
    args = (0.49, [-0.17, 0.37, -0.99, -0.2], {"a": 0.61, "b": -1.9}, (-0.81, 1.06), 8)

    def flat(x, xs, da, db, t0, t1):  # the same function of numbers and an array
        return tuple_read_by_a_check(x, list(xs), {"a": da, "b": db}, (t0, t1), 8)

    numeric = numerical_grad(flat, (0.49, np.array(args[1]), 0.61, -1.9, -0.81, 1.06),
                             wrt=tuple(range(6)), method="richardson")
    for optimize in (True, False):
        g = s2s_ad.grad(tuple_read_by_a_check, wrt=("x", "xs", "d", "t"), optimize=optimize)
        for run in (g, g.general):
            dx, dxs, dd, dt = run(*args)
            got = (dx, dxs, dd["a"], dd["b"], *dt)
            assert np.allclose(np.hstack(got), np.hstack(numeric), rtol=1e-6, atol=1e-8)


def power_zero_of_zero(x, y):
    y, x = (math.cos(y), y)
    x -= x
    y = x ** 0
    return y


def test_regression_zeroth_power_of_zero():
    """Found (10,000-program campaign, seed 2027): forward mode's d(x ** 0)/dx at x == 0
    raised ZeroDivisionError (0 * x ** -1, once the proof that x is a number was dead code);
    a constant exponent 0 now has no base derivative at all."""
    assert s2s_ad.jacobian(power_zero_of_zero, wrt=("x", "y"), mode="fwd")(-1.5, 1.5) == (
        0.0, 0.0)
    assert s2s_ad.grad(power_zero_of_zero, wrt=("x", "y"))(-1.5, 1.5) == (0.0, 0.0)


def augassign_alias(x):
    u = x * 2.0
    w = u  # the same array
    u += 1.0  # NumPy updates w too
    return np.sum(w)


def test_regression_augmented_assignment_to_a_shared_array():
    """Found: value_and_grad's value was 6.0 where f gives 8.0 (NumPy's `u += 1.0` updates
    the array w names too; s2s_ad re-bound u). Now a clear error where grad runs, and a
    run-time one in the shape-generic code; numbers are not arrays, so they are fine."""
    x = np.array([1.0, 2.0])
    with pytest.raises(UnsupportedSyntaxError, match=r"`u \+= \.\.\.` changes the array u "
                       r"in place, and `w` still reads the old array") as caught:
        s2s_ad.value_and_grad(augassign_alias)(x)
    assert caught.value.loc.line == augassign_alias.__code__.co_firstlineno + 3
    with pytest.raises(TypeError, match="changes the array u in place"):
        s2s_ad.grad(augassign_alias).general(x)
    assert s2s_ad.value_and_grad(augassign_alias)(1.5) == (3.0, 2.0)


def augassign_view(x, n):
    u = x * 2.0
    v = u[1:]  # a view: NumPy's u += 1.0 changes v
    for i in range(n):  # noqa: B007 -- the user's loop, as written
        u += 1.0
    return np.sum(v * u)


def augassign_unshared(x):
    u = x * 2.0
    w = u[0]  # an item of a vector: a copy
    u += 1.0
    return np.sum(u) * w


def augassign_carried_alias(x):
    u = np.sin(x)
    w = x
    t = 0.0
    for i in range(3):  # noqa: B007 -- the user's loop, as written
        u += x  # from the second pass on, w is the array u names
        t = t + np.sum(w)
        w = u
    return t


def test_augmented_assignment_to_an_array_a_loop_shares():
    """Found by hand (helper-16): the value was 15.50 where f gives 21.50, since the sharing
    that a loop's pass hands to the next (w = u) was not seen."""
    with pytest.raises(UnsupportedSyntaxError, match=r"`u \+= \.\.\.` changes the array u"):
        s2s_ad.value_and_grad(augassign_carried_alias)(np.array([1.0, 2.0]))


def test_augmented_assignment_through_a_view_or_a_copy():
    """A view read after the update is an error; an item that is a copy is not."""
    with pytest.raises(UnsupportedSyntaxError, match="`v` still reads"):
        s2s_ad.grad(augassign_view)(np.array([1.0, 2.0, 3.0]), 2)
    x = np.array([1.0, 2.0])
    g = s2s_ad.grad(augassign_unshared)
    assert np.allclose(g(x), [4.0 + 2.0 * 8.0, 4.0])
    assert np.allclose(g.general(x), [4.0 + 2.0 * 8.0, 4.0])  # its run-time check: w is a copy


def minimum_of_a_number(x, s):
    return np.minimum(s, 3.0) + np.sum(x)


def test_regression_number_gradient_through_np_minimum():
    """Found: the gradient for s was array(1.0), a 0-d array (README: a number argument gets
    a number gradient); np.where's rule is Python's ternary for numbers now."""
    _, ds = s2s_ad.grad(minimum_of_a_number, wrt=(0, 1))(np.array([1.0, 2.0]), 0.5)
    assert isinstance(ds, float) and ds == 1.0


def scaled_by_a_row(x, b):
    b = x[2] * b
    return np.sum(b)


def test_regression_gradient_is_not_a_view_of_an_argument():
    """Found: grad returned db = x[2] itself (optimize=True), so `db *= 100.0` changed x."""
    x, b = np.arange(12.0).reshape(3, 4), np.ones(4)
    for optimize in (True, False):
        _, db = s2s_ad.grad(scaled_by_a_row, wrt=(0, 1), optimize=optimize)(x, b)
        assert np.array_equal(db, [8.0, 9.0, 10.0, 11.0])
        assert not np.shares_memory(db, x), optimize


def weighted_twice(x, y, a):
    return np.sum(x * a) + np.sum(y * a)


def test_two_gradients_are_never_one_array():
    """d/dx and d/dy are both a: each is a copy of its own, named for its argument, so
    scaling dx in place moves neither a nor dy."""
    a = np.array([1.0, 2.0])
    g = s2s_ad.grad(weighted_twice, wrt=("x", "y"))
    dx, dy = g(a + 1.0, a + 2.0, a)
    assert not np.shares_memory(dx, dy) and not np.shares_memory(dx, a)
    source = g.specialize(a + 1.0, a + 2.0, a).source
    assert "dx = np.copy(a)" in source and "dy = np.copy(a)" in source


WEIGHTS = np.array([1.0, 2.0, 3.0])


def weighted_by_a_global(x):
    return np.sum(x * WEIGHTS)


def weighted_by_a_global_reversed(x):
    return np.sum(x * WEIGHTS[::-1])


def weighted_by_a_range(x):
    return np.sum(x * np.arange(3.0))


@pytest.mark.parametrize("fn, want", [
    (weighted_by_a_global, [1.0, 2.0, 3.0]),
    (weighted_by_a_global_reversed, [3.0, 2.0, 1.0]),
    (weighted_by_a_range, [0.0, 1.0, 2.0]),
], ids=["global", "global-slice", "constant"])
def test_a_gradient_that_is_a_constant_array_is_a_copy(fn, want):
    """grad returned the global WEIGHTS itself (or a view of it, or the np.arange(3.0) it
    built once): scaling the gradient in place changed WEIGHTS, and every later value and
    gradient. A global array also slices now (`WEIGHTS[::-1]` was 'slicing a tuple')."""
    x = np.array([1.0, 2.0, 3.0])
    for g in (s2s_ad.grad(fn), s2s_ad.value_and_grad(fn)):
        for _ in range(2):
            out = g(x)
            d = out[1] if isinstance(out, tuple) else out
            assert np.array_equal(d, want)
            d *= 100.0
    assert np.array_equal(WEIGHTS, [1.0, 2.0, 3.0])
    assert fn(x) == np.dot(x, want)


def power_zero_in_a_loop(x, n):
    for _ in range(n):
        x = x + (x * 1e-300) ** 0
    return x * x


def test_regression_power_zero_recomputed_in_the_adjoint_loop():
    """Found by the campaign of seed 2032 (the Hessian check, generate(3385341394, 'loop')):
    the adjoint loop recomputes its body, and there `t ** 0` lost its constant exponent, so
    its rule wrote `0 * t ** -1` (OverflowError for a tiny t) where it writes nothing."""
    g = s2s_ad.grad(power_zero_in_a_loop)
    assert g.source.count("**") == 1  # the loop that computes x; its adjoint loop is gone
    assert "reversed" not in g.source
    assert g(1e-20, 2) == 2 * (1e-20 + 2.0)
    assert s2s_ad.grad(power_zero_in_a_loop, optimize=False)(1e-20, 2) == 2 * (1e-20 + 2.0)
    assert s2s_ad.hessian(power_zero_in_a_loop)(1e-20, 2) == 2.0


def test_the_source_says_what_an_array_built_with_the_code_holds():
    """np.arange(3.0) runs once, when the code is generated; the source names it and a
    comment above the def says what it holds. The user's own global needs no comment."""
    x = np.array([1.0, 2.0, 3.0])
    built = s2s_ad.grad(weighted_by_a_range).specialize(x).source
    assert re.match(r"# (\w+) = np\.array\(\[0\., 1\., 2\.\]\)  \(built once, with the code\)"
                    r"\ndef ", built)
    name = re.match(r"# (\w+)", built).group(1)
    assert f"np.copy({name})" in built
    assert "#" not in s2s_ad.grad(weighted_by_a_global).specialize(x).source


# the program of that seed (generate(2085331469, "mixed") of the grammar then)
GROWING_DISPLAY = """import math


def f(x, y, n):
    ys1 = [x]
    for i2 in range(n):
        ys1.append(((1.5 if x > 0.25 else i2) * (y - ys1[i2 % 1])))
        for e3 in (ys1[i2 % 1], ys1[0]):
            y = (0.5 * y + ((math.hypot((0.1 if (x + x) > 1.0 else y),
                                        0.5 + math.sinh(math.tanh(e3)) * math.sinh(math.tanh(e3)))
                             + ((e3 + x) if (i2 * y) >= (i2 + e3) else math.cosh(math.sin(y))))
                            / (1.0 + (e3 - e3) * (e3 - e3))))
            y += (i2 + i2)
        y, v7 = (0.9 * y - max(y, i2)), (ys1[0] + ys1[i2 % 1])
    for i8 in range(n, 0, -2):
        ys1.append(((i8 if math.expm1(math.sin(y)) >= i8 else i8) + (i8 + x)))
        y = (0.9 * y - (math.tanh((0.25 ** 1)) / (1.0 + 0.5 * 0.5)))
    return (y) * y
"""


def test_a_loop_over_a_display_that_reads_a_growing_list_keeps_it_growing():
    """Campaign seed 2304: ``for e3 in (ys1[i2 % 1], ys1[0]):`` inside the loop that appends
    to ``ys1`` made the writer forget that ``ys1`` grows, and it then read ``ys1[0]`` in a
    ternary's arm (the documented refusal: a list read in a branch of the loop that grows
    it). The program of that seed now reads it only where s2s_ad differentiates it."""
    from fuzz_programs import Program

    program = Program(GROWING_DISPLAY, (-2.0, 2.0, 0), ("x", "y", "n"), ("x", "y"), ("x", "y"),
                      family="mixed")
    assert check(program) is None


IN_PLACE_TRANSPOSED = """import numpy as np

def f(x, L):
    w1 = np.log(2.0 + np.cos(((0.5 + x[1:3] * x[1:3]) ** -1))).T
    for i2 in range(4):
        x = np.tanh((x[::-1] / 4))
        w3 = (np.sum(w1[0:1], axis=0, keepdims=True) * L)
        w1 += ((1.0 + (w3[-2:] / (1.0 + w1.T * w1.T)) * (w3[-2:] / (1.0 + w1.T * w1.T))) ** 0.5)
    return np.mean(w1)
"""


def test_value_and_grad_keeps_the_layout_of_an_array_updated_in_place():
    """Campaign seed 2304, program 1,632: `w1 += v` was computed as `w1 + v`, C-ordered where
    NumPy's `+=` keeps w1's transposed layout, so np.mean(w1) summed in another order and
    the value was one ulp off. It is `np.add(w1, v, out=np.empty_like(w1))` now."""
    f = load(IN_PLACE_TRANSPOSED)["f"]
    x = np.array([[1.5, 1.5], [1.5, -1.0], [-1.0, -1.0]])
    L = [[2.0, 2.0], [-1.0, 2.0], [2.0, -1.0]]
    value, _ = s2s_ad.value_and_grad(f)(x, L)
    assert value == f(x, L)


def test_a_side_that_took_another_branch_is_not_the_points_decision():
    """Campaign seed 2304 (generate(2991463677, 'array') then): moving a coordinate took the
    other branch, where an np.maximum recorded an array's decisions in the slot of the
    point's scalar comparison; comparing the two raised inside the generator."""
    from fuzz_programs import _taken_on_a_side

    assert _taken_on_a_side(np.False_, (True, True, True), np.False_)
    assert not _taken_on_a_side(np.False_, (True, True, True), (False, False))
    assert not _taken_on_a_side((False, True), np.False_, (True, True))


def test_an_oracle_not_yet_converged_gets_a_finer_step():
    """Campaign seed 2401, program 480 (`x = np.sin(x + x)` nine times): vjp(grad) gave
    -112121.17 for x[0], right (differences at h = 1e-6 give -112121.15), where Richardson
    gave -104062 at h = 1e-3 and -112077 at 2.5e-4: the two steps disagreed with each other
    as much as with AD. There a third, finer step decides; where the two agree it is not
    asked, and a wrong value still misses all three."""
    from fuzz_programs import FINE_STEP, _disagreements, generate

    oracle = {0: -104062.27, 1: -112077.04, 2: -112118.6}
    asked = []

    def want(k, attempt):
        asked.append(attempt)
        return oracle[attempt]

    assert _disagreements([-112121.17], want, 1e-4)[0] == [] and asked == [0, 1, 2]
    assert _disagreements([-100000.0], want, 1e-4)[0] == [0]
    asked.clear()
    assert _disagreements([1.5], lambda k, attempt: asked.append(attempt) or 1.0, 1e-4)[0] == [0]
    assert asked == [0, 1]  # the two steps agree: no third
    assert FINE_STEP < 2.5e-4
    assert check(generate(1970663165, "array")) is None


# --- aliasing updates, written on purpose ---------------------------------------------------
def test_the_writers_views_share_their_arrays_memory():
    """The views the array writer takes before an aliasing update (``_views_of``) have the
    shapes it believes, share the array's memory in NumPy, and are writable where it
    thinks so (``np.diagonal``'s is read-only): the shape rules of ``u.T``, ``u[a:b]``,
    ``np.reshape``, ``np.ravel``, ``np.transpose``, ``np.swapaxes``, ``np.moveaxis``,
    ``np.expand_dims``, ``np.squeeze``, ``np.atleast_2d``, ``np.flip``, ``np.diagonal``
    and ``np.split(u, k)[i]``."""
    import random

    from fuzz_programs import KNOWN_BUGS, _ArrayWriter

    seen = set()
    for k in range(30):
        writer = _ArrayWriter(random.Random(k), KNOWN_BUGS)
        for shape in [(1,), (2,), (3,), (4,), (2, 3), (4, 2), (3, 3), (1, 3), (3, 1), (1, 1)]:
            u = np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape)
            for text, want, writable in writer._views_of("u", shape):
                got = eval(text, {"np": np, "u": u})  # noqa: S307 -- the writer's own text
                assert got.shape == want, (text, shape)
                assert np.shares_memory(got, u), (text, shape)
                assert got.flags.writeable == writable, (text, shape)
                seen.add(re.match(r"np\.\w+|u\.T|u\.reshape|u\[|u$", text).group(0))
    assert seen >= {"u", "u.T", "u[", "u.reshape", "np.reshape", "np.ravel", "np.transpose",
                    "np.swapaxes", "np.moveaxis", "np.expand_dims", "np.squeeze",
                    "np.atleast_2d", "np.flip", "np.diagonal", "np.split"}


# (seed, the view): programs whose writer updated an array a view still reads
ALIASING_SEEDS = [(27, "np.moveaxis"), (360, "np.split"), (802, "np.flip")]


@pytest.mark.slow
@pytest.mark.parametrize("seed, view", ALIASING_SEEDS)
def test_the_writer_updates_an_array_a_view_still_reads(seed, view):
    """The grammar generates what it avoids elsewhere: now and then `u op= v` where a view
    of u (here made by `view`) still reads the old array afterwards. s2s_ad refuses it by
    design; `check` counts that refusal as documented (the writer did it on purpose:
    `Program.shared_updates`), and the same refusal of an update the writer took for
    unshared as a finding."""
    from fuzz_programs import generate

    program = generate(seed, "array")
    (name,) = program.shared_updates
    assert re.search(rf"^    (\w+) = {re.escape(view)}\({name}\b.*\n    {name} [-+*]= ",
                     program.source, re.MULTILINE), program.source
    found = examine(program)
    assert found.first_order.documented and found.first_order.status == "unsupported"
    assert (f"changes the array {name} in place" in found.first_order.detail
            and "still reads the old array afterwards" in found.first_order.detail)
    assert check(program) is None
    taken_for_unshared = check(replace(program, shared_updates=frozenset()), compositions=())
    assert taken_for_unshared is not None and not taken_for_unshared.documented
    assert taken_for_unshared.kind.startswith("unsupported: grad")


@pytest.mark.slow
def test_a_few_array_programs_update_a_shared_array_on_purpose():
    """A few per cent of the array programs (`ALIASING_SHARE`, `ALIASING_WEIGHT`): often
    enough to be seen in a campaign, rarely enough to leave the rest of the grammar room."""
    import random

    from fuzz_programs import KNOWN_BUGS, _ArrayWriter

    writers = [_ArrayWriter(random.Random(f"array:{seed}"), KNOWN_BUGS) for seed in range(300)]
    for writer in writers:
        writer.module()
    share = sum(bool(w.shared_updates) for w in writers) / len(writers)
    assert 0.01 <= share <= 0.15, share


MOVED_AXES = """import numpy as np


def f(x):
    u = np.sin(x)
    w = np.moveaxis(u, 0, 1)
    u += 1.0
    return {result}
"""


@pytest.mark.parametrize("result, kind", [("np.sum(w * w)", "mismatch: reverse vs differences"),
                                          ("np.sum(w)", "value: value_and_grad differs")])
def test_the_check_sees_a_view_s2s_ad_does_not_know_as_one(result, kind, monkeypatch):
    """An aliasing update is either refused (documented) or gets the numbers right: were
    np.moveaxis not declared a view (as it was not before 41a6742), s2s_ad would compute
    `w` as if it had not seen `u += 1.0`; the check reports that as a mismatch, of the
    gradient (sum(w * w)) or, where the gradient is the same, of the value (sum(w))."""
    from s2s_ad.primitives import PRIMITIVES

    x = np.array([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]])
    program = Program(MOVED_AXES.format(result=result), (x,), ("x",), ("x",), (),
                      family="array", shared_updates=frozenset({"u"}))
    assert check(program, compositions=()) is None  # refused: documented
    monkeypatch.setattr(PRIMITIVES["np.moveaxis"], "view", False)
    failure = check(program, compositions=())
    assert failure is not None and failure.kind.startswith(kind), failure and failure.report()
    assert not failure.documented


@pytest.mark.slow
@pytest.mark.parametrize("seed, primitive", [(222, "np.moveaxis"), (360, "np.split")])
def test_the_check_sees_a_generated_view_s2s_ad_does_not_know(seed, primitive, monkeypatch):
    """The same for generated programs: with the view undeclared, the refusal goes and the
    wrong numbers show (a mismatch, never a pass)."""
    from fuzz_programs import generate

    from s2s_ad.primitives import PRIMITIVES

    program = generate(seed, "array")
    monkeypatch.setattr(PRIMITIVES[primitive], "view", False)
    failure = check(program, compositions=())
    assert failure is not None and failure.kind.startswith(("mismatch", "value")), (
        failure and failure.report())
    f = load(program.source)["f"]
    assert s2s_ad.value_and_grad(f, wrt=program.wrt)(*program.args)[0] != f(*program.args)


UNKNOWN_KIND = {
    # an array built from a list appended to in a loop
    "list": """import numpy as np


def f(x):
    vals = []
    for i in range(2):
        vals.append(x[i] * 2.0)
    u = np.array(vals)
    w = u
    u += 1.0
    return np.sum(w)
""",
    # a piece of np.split at one index
    "split": """import numpy as np


def f(x):
    u = np.split(x, [1])[1] * 2.0
    w = u
    u += 1.0
    return np.sum(w)
""",
}


@pytest.mark.parametrize("case", UNKNOWN_KIND)
def test_regression_update_of_an_array_whose_kind_is_unknown_is_refused(case):
    """Found by the aliasing updates the array writer writes on purpose: where s2s_ad
    cannot tell when specializing that u is an array -- np.array/np.stack/np.concatenate
    of a list appended to in a loop, a piece of np.split(x, [c]) whose pieces differ in
    shape, or arithmetic with either -- `w = u; u += 1.0` was not checked, and
    value_and_grad's value was the one w had before the update (1.4 where f gives 5.4; 1.8
    for 5.8). The check the shape-generic code runs now stays in the specialized code where
    u's kind is unknown: it stops at the update, naming the file and line."""
    f = load(UNKNOWN_KIND[case])["f"]
    x = np.array([[0.3, -0.2], [0.5, 0.1], [0.7, -0.4]])  # pieces of np.split: (1, 2), (2, 2)
    if case == "split":  # (np.split's pieces are known to be arrays now: refused when built)
        error, match = UnsupportedSyntaxError, r"`u \+= \.\.\.` changes the array u in place"
    else:
        error, match = TypeError, (r"\.py:\d+:\d+: `u \+= \.\.\.` changes the array u in "
                                   "place, and something still reads the old array")
    for transform in (s2s_ad.value_and_grad, s2s_ad.grad):
        with pytest.raises(error, match=match):
            transform(f)(x)
    with pytest.raises(error, match=match):
        s2s_ad.jvp(f)(x, np.ones_like(x))


def list_plus_a_piece(x, L):
    return np.sum(L + np.split(x, [1])[0]) + np.sum(L)


def test_regression_a_list_plus_a_piece_of_np_split_is_an_array_sum():
    """Found by `bench/fuzz.py --n 150 --families array --seed 77` (generate(3452536678,
    'array'): `L + np.split((x.T @ x), [1])[0]`): NumPy adds the list L to the array piece,
    but s2s_ad, not knowing that a piece of np.split(x, [1]) (pieces of two shapes) is an
    array, takes `+` for list concatenation and refuses: "the list argument 'L' is used as
    an array (by np.sum) and as a list (by add)". With equal pieces (np.split(x, 3)) it
    differentiates."""
    x = np.arange(12.0).reshape(3, 4) / 10
    L = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]]
    g = s2s_ad.grad(list_plus_a_piece, wrt="x")(x, L)
    assert np.array_equal(g, [[2.0] * 4, [0.0] * 4, [0.0] * 4])


def list_plus_an_array_of_appended_items(x, L, n):
    vals = []
    for i in range(n):
        vals.append(np.sum(x[i] * 2.0))
    u = np.array(vals)
    return np.sum(u + L) + np.max(L)


def test_a_list_argument_added_to_an_array_of_appended_items_is_an_array():
    """Campaign seed 2404 (new grammar), program 1,390: `u4 + L` with `u4 = np.array(vals)`
    of a list appended in a loop of run-time length, and np.max(L) elsewhere: the shape of
    u4 is not known when building, so `+` was taken for list concatenation and L refused as
    "used as an array and as a list". A NumPy result is an array (or a NumPy scalar) for
    the kinds analysis now, so `u4 + L` adds."""
    x = np.array([[0.5, 1.0], [2.0, -1.0], [0.25, 0.75]])
    L = [1.0, -2.0, 0.5]
    g = s2s_ad.grad(list_plus_an_array_of_appended_items)(x, L, 3)
    assert np.array_equal(g, [[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]])
    dL = s2s_ad.grad(list_plus_an_array_of_appended_items, wrt="L")(x, L, 3)
    assert np.array_equal(dL, [2.0, 1.0, 1.0])  # (np.max(L) is L[0])


LIST_TIMES_A_NUMPY_DIFFERENCE = """import numpy as np

def f(x, b, L):
    vals1 = []
    for row3 in x:
        vals1.append(1.0)
    w2 = np.stack(vals1)
    x = L * (b - w2[:, None])
    w8 = x
    return np.sum(w8)
"""


def test_regression_a_list_times_what_is_computed_from_a_numpy_result_is_elementwise():
    """Found (campaign seed 2409, generate(1305637606, 'array'), minimized): in the gradient's
    IR, `L * (b - w2[:, None])` with `w2 = np.stack(...)` read `L` as a list (the difference
    was not known to be NumPy's: only NumPy's results and their items were), while
    `broadcast_to(1.0, ...) * L` read it as an array: vjp(grad(f)) refused `L` as used both
    ways. What is computed from NumPy's results is NumPy's too now."""
    from fuzz_programs import Program

    x = np.array([[-0.85, -0.62, 0.54, 1.23], [-1.76, -1.70, -0.58, -1.23]])
    b = np.array([1.51, 0.13, -1.85, 1.49])
    L = [[0.43, 1.88, 0.15, -0.15], [0.93, 1.69, -1.61, 1.43]]
    program = Program(LIST_TIMES_A_NUMPY_DIFFERENCE, (x, b, L), ("x", "b", "L"), ("x", "b"),
                      (), family="array")
    assert check(program) is None


def call_with(fn, v):
    return fn(v)


def negated_twice(a):
    def same(q):
        return q
    call_with(same, a)
    return -(a + a)


def higher_order_again(x, y):
    def outer(q):
        return math.sin(q) * negated_twice(x)
    return call_with(outer, y) + x


def test_regression_a_helper_given_another_function_inside_itself():
    """Found (campaign 2435): call_with(outer, y), where outer calls negated_twice, which
    calls call_with(same, a), was refused as a recursive call to call_with."""
    got = s2s_ad.grad(higher_order_again, wrt=("x", "y"))(0.7, 0.4)
    want = numerical_grad(higher_order_again, (0.7, 0.4), wrt=(0, 1))
    assert all(relative_error(a, b) < 1e-7 for a, b in zip(got, want))


def carries_an_array_past_a_list(x, b, s, L):
    """Campaign 2435's program (generate(2791988300, "array")), as the grammar wrote it."""
    if np.mean(b[-3:2]) >= np.linalg.slogdet(np.eye(3) + x[None, :].T @ x[None, :])[1]:
        vals1 = []
        for _ in range(3):
            vals1.append(np.stack([b]) @ L)
        u2 = np.hstack(vals1)
        for e4 in x:  # noqa: B007 -- the grammar's loop, as written
            for e5 in x:
                b = np.sin(b + np.concatenate([(b + L)[:2], (e5 + u2)[2:]]))
                u2 += np.exp(-(x * x))
    else:
        s += np.max(x[3:0:-1])
    return s + np.mean(np.sin(x)) + np.sum(b)


def test_regression_a_list_added_to_an_array_a_loop_carries():
    """Found (campaign 2435): `b + L` with `b` an array that the loop carries was read as a
    list's `+`, and L refused as "used as an array (by matmul) and as a list (by add)"."""
    x, b = np.array([0.05, -0.05, 0.05]), np.array([0.3, 0.2, 0.5])  # (the loop runs)
    L = [0.1, 0.2, -0.4]
    args = (x, b, 0.5, L)
    got = s2s_ad.grad(carries_an_array_past_a_list, wrt=("x", "b", "L"))(*args)
    want = numerical_grad(carries_an_array_past_a_list, (x, b, 0.5, np.array(L)),
                          wrt=(0, 1, 3))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)
