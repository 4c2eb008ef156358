"""Differential fuzzing of the whole pipeline (issue 9).

Each test draws random programs of one family from ``fuzz_programs.programs`` (expression
trees, branches, loops, containers, all mixed) and runs ``fuzz_programs.check`` on each:
reverse mode, optimized and not, against Richardson-extrapolated central differences
(relative error 1e-5, retried at a second step); ``jacobian(mode="fwd")`` and ``jvp``
against reverse mode (1e-10); ``value_and_grad``'s and ``jvp``'s values against
``f(*args)`` bitwise, with the same type; every generated ``.source`` compiled; the
arguments unmodified. A failure prints the whole program, the point, every gradient, the
generated sources, and ``generate(seed, family)`` to rebuild it.

``S2S_AD_FUZZ_EXAMPLES`` sets the number of programs per run (default 300, spread over the
families); ``python bench/fuzz.py --n 10000`` runs a long campaign with a minimizer.

The generator avoids the patterns of the known bugs in ``fuzz_programs.KNOWN_BUGS``; each
has a strict-xfail regression test at the bottom of this file. Fixing one makes its test
pass (and fail as an unexpected pass): remove the xfail mark and its ``KNOWN_BUGS`` entry.
"""

import math
import os

import pytest
from fuzz_programs import FAMILIES, check, programs, time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.errors import DifferentiationError
from s2s_ad.numeric import numerical_grad, relative_error

PROGRAMS = int(os.environ.get("S2S_AD_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=max(1, PROGRAMS // len(FAMILIES)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _no_disagreement(program):
    failure = check(program)
    assert failure is None, f"rebuild with {program!r}\n{failure.report()}"


@pytest.mark.parametrize("family", FAMILIES)  # expressions, branches, loops, containers, all
@FUZZ
@given(data=st.data())
def test_random_programs(family, data):
    _no_disagreement(data.draw(programs(family), label="program"))


def test_a_known_program_passes_and_the_check_sees_a_wrong_gradient(monkeypatch):
    """The harness itself: a correct program passes; a corrupted gradient is reported."""
    from fuzz_programs import generate

    program = generate(12345, "loop")
    assert check(program) is None
    real = s2s_ad.grad

    def off_by_a_bit(f, wrt=None, *, optimize=True):
        g = real(f, wrt=wrt, optimize=optimize)

        def wrong(*args):
            first, *rest = g(*args)
            return (first + 1e-3, *rest)

        wrong.source = g.source
        return wrong

    monkeypatch.setattr(s2s_ad, "grad", off_by_a_bit)
    failure = check(program)
    assert failure is not None and failure.kind == "mismatch: reverse vs differences"
    assert "def f(" in failure.report() and "richardson" in failure.report()


# --- regression tests: bugs the fuzzer found ----------------------------------------------
# Fixed ones are plain tests; open ones are strict xfails (flip when fixed, and remove their
# entry from fuzz_programs.KNOWN_BUGS).
def _values_and_gradients(f, args, wrt):
    """``(f(*args), value_and_grad's value, its gradient, optimize=False's gradient, numeric)``."""
    value, gradient = s2s_ad.value_and_grad(f, wrt=wrt)(*args)
    unoptimized = s2s_ad.grad(f, wrt=wrt, optimize=False)(*args)
    return f(*args), value, gradient, unoptimized, numerical_grad(f, args, wrt=wrt,
                                                                   method="richardson")


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
