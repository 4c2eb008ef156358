"""Every differentiable scalar primitive against finite differences, orders 1 and 2.

The rows are in ``cases.py``; the oracle is ``s2s_ad.numeric``. Reverse mode is checked by
projection (STYLE.md): ``u . (v J)`` from the VJP with a random cotangent ``v`` against
``v`` times one central difference along a random unit ``u``; forward mode likewise with
the JVP. Gradients are also compared partial by partial with Richardson-extrapolated
differences, with and without the optimizer, and second derivatives (the gradient of the
generated gradient) with Richardson differences of the generated gradient.

Errors are ``numeric.relative_error`` (relative above one, absolute below). The tolerances
sit well above the oracles' own error on these domains (about 1e-9 for a central difference
with eps=1e-5, 1e-11 for Richardson with h=1e-3) and far below what a wrong rule gives: the
tests at the end break rules on purpose and check that the rows notice.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import math
import operator

import pytest
from cases import CASES, Case, arity, by_name
from hypothesis import given, settings
from hypothesis import strategies as st
from support import kept

from s2s_ad import grad, hessian, jacobian, jvp, vjp
from s2s_ad.frontend.lower import lift
from s2s_ad.ir.core import walk
from s2s_ad.numeric import directional_derivative, numerical_grad, relative_error
from s2s_ad.primitives import PRIMITIVES, scalar
from s2s_ad.primitives.registry import Each

CENTRAL_EPS = 1e-5  # a central difference's step: error ~ eps^2 f''' + 1e-16 |f| / eps
CENTRAL_RTOL = 1e-7
RICHARDSON_RTOL = 1e-8  # Richardson with h = 1e-3: error ~ h^4 f^(5) + 1e-16 |f| / h
SECOND_ORDER_RTOL = 1e-7

rows = pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])


def every(case: Case) -> tuple[int, ...]:
    return tuple(range(arity(case)))


def unit_vectors(n: int) -> st.SearchStrategy[tuple[float, ...]]:
    coordinates = st.floats(-1.0, 1.0, allow_nan=False)
    vectors = st.tuples(*[coordinates] * n).filter(lambda v: math.hypot(*v) > 0.1)
    return vectors.map(lambda v: tuple(c / math.hypot(*v) for c in v))


COTANGENTS = st.one_of(st.floats(0.5, 2.0), st.floats(-2.0, -0.5))


def assert_close(got, expected, rtol: float, what: str) -> None:
    got, expected = tuple(got), tuple(expected)
    errors = [relative_error(a, b) for a, b in zip(got, expected, strict=True)]
    assert max(errors) <= rtol, (f"{what}:\n  s2s_ad:      {got}\n  finite diff: {expected}\n"
                                 f"  errors:      {errors} (rtol {rtol})")


# --- checks, shared by the rows and by the broken-rule tests ------------------------------
def check_vjp_projection(fn, args, u, v) -> None:
    """``u . vjp(v)`` against ``v`` times the central difference along ``u``."""
    wrt = tuple(range(len(args)))
    cotangent = kept(vjp, fn, wrt=wrt)(*args, v)
    lhs = sum(ui * ci for ui, ci in zip(u, cotangent, strict=True))
    rhs = v * directional_derivative(fn, args, u, CENTRAL_EPS)
    assert_close([lhs], [rhs], CENTRAL_RTOL, f"u . vjp(v) of {fn.__name__} at {args}, u={u}")


def check_jvp_projection(fn, args, u) -> None:
    """The JVP's tangent along ``u`` against the central difference along ``u``."""
    value, tangent = kept(jvp, fn, wrt=tuple(range(len(args))))(*args, *u)
    assert value == pytest.approx(fn(*args), rel=1e-14, abs=1e-300)
    expected = directional_derivative(fn, args, u, CENTRAL_EPS)
    assert_close([tangent], [expected], CENTRAL_RTOL, f"jvp of {fn.__name__} at {args}, u={u}")


def check_gradient(fn, args, optimize: bool = True) -> None:
    """Every partial against a Richardson-extrapolated central difference."""
    wrt = tuple(range(len(args)))
    got = kept(grad, fn, wrt=wrt, optimize=optimize)(*args)
    expected = numerical_grad(fn, args, wrt, method="richardson")
    assert_close(got, expected, RICHARDSON_RTOL, f"grad of {fn.__name__} at {args}")


def check_second_order(fn, args, optimize: bool = True) -> None:
    """Row ``i`` of the Hessian, ``grad(grad(fn, i))``, against differences of ``grad(fn, i)``."""
    wrt = tuple(range(len(args)))
    for i in wrt:
        first = kept(grad, fn, wrt=i, optimize=optimize)
        got = kept(grad, first, wrt=wrt, optimize=optimize)(*args)
        expected = numerical_grad(first, args, wrt, method="richardson")
        assert_close(got, expected, SECOND_ORDER_RTOL,
                     f"grad(grad({fn.__name__}, wrt={i})) at {args}")


# --- the rows -------------------------------------------------------------------------------
# Each example runs several checks, so a row takes a third of the profile's examples
# (conftest.py): 20 under "dev", 10 under "ci", more under "long".
per_row = settings(max_examples=max(10, settings.default.max_examples // 3))


@pytest.mark.slow
@rows
@per_row
@given(data=st.data())
def test_first_order(case, data):
    """VJP and JVP by projection; every partial, optimized or not, against Richardson."""
    args = data.draw(case.inputs, label="args")
    u = data.draw(unit_vectors(arity(case)), label="u")
    v = data.draw(COTANGENTS, label="v")
    assert math.isfinite(case.fn(*args)), "the row's inputs leave its domain"
    check_vjp_projection(case.fn, args, u, v)
    check_jvp_projection(case.fn, args, u)
    check_gradient(case.fn, args, optimize=True)
    check_gradient(case.fn, args, optimize=False)
    optimized_grad = kept(grad, case.fn, wrt=every(case))(*args)
    plain_grad = kept(grad, case.fn, wrt=every(case), optimize=False)(*args)
    assert optimized_grad == pytest.approx(plain_grad, rel=1e-12, abs=1e-15)


@pytest.mark.slow
@rows
@per_row
@given(data=st.data())
def test_second_order(case, data):
    """``grad(grad(f))`` against Richardson differences of ``grad(f)``; Hessian agrees."""
    args = data.draw(case.inputs, label="args")
    check_second_order(case.fn, args, optimize=True)
    check_second_order(case.fn, args, optimize=False)
    wrt = every(case)
    for i, row in enumerate(kept(hessian, case.fn, wrt=wrt)(*args)):
        assert row == pytest.approx(kept(grad, kept(grad, case.fn, wrt=i), wrt=wrt)(*args),
                                    rel=1e-12, abs=1e-15), f"hessian row {i}"


# --- the table covers every rule --------------------------------------------------------
def _scalar_primitives() -> set[str]:
    """Primitives with a VJP rule written in scalar.py (one per operand, or ``Each``), not
    the NumPy functions that share math's rows (``np.log``: tests/test_numpy.py)."""
    def rules(prim):
        return (prim.vjp.rule,) if isinstance(prim.vjp, Each) else prim.vjp or ()

    return {name for name, prim in PRIMITIVES.items() if not prim.array_op
            and any(rule is not None and rule.__module__ == scalar.__name__
                    for rule in rules(prim))}


# Not written by users as such: `copy` is the frontend's, and `a if c else b` lowers to an
# `if` region (tested with control flow). Their rules are exercised here anyway, inside
# the generated gradients that second-order rows differentiate (see the next test).
_NOT_SPELLED = {"copy", "select"}


def test_every_scalar_rule_has_a_row():
    spelled = set()
    for case in CASES:
        spelled |= {op.prim for op in walk(lift(case.fn).body)}
    missing = _scalar_primitives() - _NOT_SPELLED - spelled
    assert not missing, f"no row of cases.py uses {sorted(missing)}"


def test_select_is_differentiated_by_the_second_order_rows():
    first = grad(by_name("max").fn, wrt=(0, 1), optimize=False)
    assert "select" in {op.prim for op in walk(first.ir.body)}


def test_every_spelling_of_a_scalar_primitive_has_a_row():
    """``operator.mul``, ``pow`` and ``math.pow`` are tested as well as ``*`` and ``**``."""
    text = "\n".join(inspect.getsource(case.fn) for case in CASES)
    spellings = {"_operator": "operator.{}(", "math": "math.{}(", "builtins": "{}("}
    missing = []
    for name in _scalar_primitives():
        for obj in PRIMITIVES[name].callables:
            spelled = spellings[obj.__module__].format(obj.__name__)
            if spelled not in text:
                missing.append(spelled)
    assert not missing, f"no row of cases.py calls {missing}"


def test_cases_have_unique_names_and_describe_their_domain():
    assert len({case.name for case in CASES}) == len(CASES)
    assert all(case.domain for case in CASES)


# --- the rows notice broken rules -----------------------------------------------------------
def _broken(name: str, *rules):
    return name, rules


BROKEN_RULES = [
    # sign error: d cos = +sin
    _broken("cos", lambda e, g, x: e.mul(g, e.sin(x))),
    # the wrong function: d cos = cos
    _broken("cos", lambda e, g, x: e.mul(g, e.cos(x))),
    # the operands swapped: d(x*y)/dx = x
    _broken("mul", lambda e, g, x, y: e.mul(g, x), lambda e, g, x, y: e.mul(g, y)),
    # a lost minus sign in d(x/y)/dy
    _broken("truediv", lambda e, g, x, y: e.truediv(g, y),
            lambda e, g, x, y: e.mul(g, e.truediv(e.truediv(x, y), y))),
    # a slip of 1e-4 relative in d exp
    _broken("exp", lambda e, g, x: e.mul(g, e.mul(e.exp(x), 1.0001))),
    # d atan2 with the roles of x and y exchanged
    _broken("atan2", lambda e, g, y, x: e.truediv(e.mul(g, y), e.add(e.mul(x, x), e.mul(y, y))),
            lambda e, g, y, x: e.neg(e.truediv(e.mul(g, x), e.add(e.mul(x, x), e.mul(y, y))))),
    # max routing the gradient to the loser
    _broken("max", lambda e, g, x, y: e.select(e.ge(x, y), 0.0, g),
            lambda e, g, x, y: e.select(e.ge(y, x), 0.0, g)),
]

BROKEN_POINTS = {"cos": [(0.4,), (1.3,), (-2.2,)], "mul": [(0.5, 1.5), (-2.0, 0.7)],
                 "truediv": [(0.5, 1.5), (-2.0, 0.7)], "exp": [(0.3,), (-1.5,), (2.0,)],
                 "atan2": [(0.5, 1.5), (-2.0, 0.7)], "max": [(0.5, 1.5), (-2.0, 0.7)]}


SKEW = {1: (1.0,), 2: (0.6, -0.8)}  # directions without a symmetry a broken rule could hide in


def _fresh(prim: str):
    """A new function object (so the transform cache has not seen it) that uses ``prim``."""
    spelled = {"cos": math.cos, "mul": operator.mul, "truediv": operator.truediv,
               "exp": math.exp, "atan2": math.atan2, "max": max}[prim]
    namespace = {"op": spelled}
    params = ", ".join(f"x{i}" for i in range(len(BROKEN_POINTS[prim][0])))
    source = f"def uses_{prim}({params}):\n    return op({params})\n"
    return _compile(source, namespace)[f"uses_{prim}"]


_SERIAL = itertools.count()


def _compile(source: str, namespace: dict) -> dict:
    filename = f"<test_rules broken rule {next(_SERIAL)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("prim, rules", BROKEN_RULES,
                         ids=[f"{prim}-{k}" for k, (prim, _) in enumerate(BROKEN_RULES)])
def test_a_broken_rule_fails_the_row_checks(prim, rules, monkeypatch):
    fn = _fresh(prim)
    for args in BROKEN_POINTS[prim]:
        check_gradient(fn, args)  # the real rule passes
    monkeypatch.setattr(PRIMITIVES[prim], "vjp", rules)
    monkeypatch.setattr(PRIMITIVES[prim], "jvp", rules)  # scalar JVP rows are the VJP rows
    broken = _fresh(prim)
    for args in BROKEN_POINTS[prim]:
        with pytest.raises(AssertionError):
            check_gradient(broken, args)
        with pytest.raises(AssertionError):
            check_vjp_projection(broken, args, SKEW[len(args)], -1.5)
        with pytest.raises(AssertionError):
            check_jvp_projection(broken, args, SKEW[len(args)])


def test_a_broken_rule_fails_the_second_order_check(monkeypatch):
    """sin's rule is only used by the second derivative of cos: d(-sin) = -cos."""
    fn = _fresh("cos")
    check_second_order(fn, (0.7,))
    monkeypatch.setattr(PRIMITIVES["sin"], "vjp", (lambda e, g, x: e.neg(e.mul(g, e.cos(x))),))
    broken = _fresh("cos")
    check_gradient(broken, (0.7,))  # the first derivative does not use sin's rule
    with pytest.raises(AssertionError):
        check_second_order(broken, (0.7,))


# --- regressions ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["power", "builtin_pow", "math_pow"])
def test_second_derivative_of_pow_at_a_zero_exponent(name):
    # d/dy [y x^(y-1)] = x^(y-1) (1 + y log x), which is 1/x at y == 0 (x > 0)
    check_second_order(by_name(name).fn, (0.5, 0.0))


# --- ties split the cotangent (and a tangent) equally -----------------------------------------
TIES = [  # (row, point, gradient): exact numbers at ties, and beside them
    ("max", (2.0, 2.0), (0.5, 0.5)),
    ("max", (3.0, 1.0), (1.0, 0.0)),
    ("min", (2.0, 2.0), (0.5, 0.5)),
    ("min", (3.0, 1.0), (0.0, 1.0)),
    ("max3", (1.0, 1.0, 1.0), (1 / 3, 1 / 3, 1 / 3)),
    ("max3", (2.0, 1.0, 2.0), (0.5, 0.0, 0.5)),
    ("max3", (1.0, 3.0, 2.0), (0.0, 1.0, 0.0)),
    ("max3", (math.nan, 1.0, 2.0), (0.0, 0.0, 0.0)),  # nothing equals a nan result
    # min(x * y, z, y) at (1, 1, 1): each operand gets 1/3, x * y passes y/3 to x, x/3 to y
    ("min3", (1.0, 1.0, 1.0), (1 / 3, 2 / 3, 1 / 3)),
    ("min3", (2.0, 1.0, 1.0), (0.0, 0.5, 0.5)),
]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("name, point, expected", TIES,
                         ids=[f"{name}{point}" for name, point, _ in TIES])
def test_a_tie_splits_the_cotangent_equally(name, point, expected, optimize):
    fn, wrt = by_name(name).fn, every(by_name(name))
    assert grad(fn, wrt=wrt, optimize=optimize)(*point) == pytest.approx(expected, rel=1e-15)
    forward = jvp(fn, wrt=wrt, optimize=optimize)
    for k in wrt:  # the tangent along each axis is that partial
        unit = tuple(float(i == k) for i in wrt)
        assert forward(*point, *unit)[1] == pytest.approx(expected[k], rel=1e-15)


def test_at_a_tie_the_tangent_of_max_is_the_mean_of_the_tangents():
    forward = jvp(by_name("max").fn, wrt=(0, 1))
    assert forward(2.0, 2.0, 1.0, 3.0) == (2.0, 2.0)
    assert forward(2.0, 1.0, 1.0, 3.0) == (2.0, 1.0)
    assert jacobian(by_name("min").fn, wrt=(0, 1), mode="fwd")(2.0, 2.0) == (0.5, 0.5)


def test_the_tie_rule_reads_as_a_ternary():
    source = grad(by_name("max").fn, wrt=(0, 1)).source
    assert "0.5 if x == y else 0.0" in source and "1.0 if x > y else" in source, source


def test_second_derivative_beside_a_tie():
    # max(x * x, y) * x is x**3 where x * x wins (6x at x = 2), and y * x where y does
    def f(x, y):
        return max(x * x, y) * x

    assert hessian(f, wrt=(0, 1))(2.0, 1.0) == ((12.0, 0.0), (0.0, 0.0))
    assert hessian(f, wrt=(0, 1))(1.0, 2.0) == ((0.0, 1.0), (1.0, 0.0))
