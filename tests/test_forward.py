"""Forward mode, Jacobians, Hessians: seed examples 4, 9, 10 and 11, and every JVP rule.

* Seed examples, exact numbers (1e-9 relative), imported from their files in ``examples/``,
  and each example run as a script.
* One table of one- and two-argument scalar functions covering every differentiable scalar
  primitive: the JVP against central differences at hypothesis-drawn points (away from
  kinks and domain edges), and JVP against VJP by projection, ``<v, J u>`` both ways.
* Hessians against finite differences of the gradient, and symmetric; ``hvp`` is the
  Hessian times ``v``; ``jacobian`` gives the same numbers in both modes and ``"auto"``
  picks the mode seed 001's table picks; third derivatives by nesting ``grad``.

The oracle is ``s2s_ad.numeric.directional_derivative`` (a central difference along a
direction).
"""

import importlib.util
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support import EXAMPLES, kept, load_example

from s2s_ad import DifferentiationError, grad, hessian, hvp, jacobian, jvp, vjp
from s2s_ad.ir.core import tree_leaves, walk
from s2s_ad.numeric import directional_derivative
from s2s_ad.primitives.registry import PRIMITIVES

gradgrad = load_example("worked/gradient_of_gradient")
dual = load_example("worked/dual_numbers")
plot = load_example("worked/derivative_plot")
jac = load_example("worked/jacobian")


def close(expected, rel=1e-9, abs=0.0):
    return pytest.approx(expected, rel=rel, abs=abs)


def _central(f: Callable[..., float], x: tuple[float, ...], u: tuple[float, ...]) -> float:
    """The derivative of ``f`` at ``x`` along ``u`` by a central difference."""
    return directional_derivative(f, x, u, eps=1e-5)


def _dot(a, b) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def _leaves(tree) -> list[float]:
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _shaped_like(tree, flat: list[float]):
    """``flat``'s numbers in ``tree``'s structure (consumed from the front)."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(_shaped_like(item, flat) for item in tree)
    return flat.pop(0)


def _arity(f: Callable[..., object]) -> int:
    return f.__code__.co_argcount


# --- seed examples 4, 9, 10, 11 -------------------------------------------------------------
SEED4_D1 = 4.994096408357021
SEED4_D2 = 8.638334009138038
optimizing = pytest.mark.parametrize("optimize", [True, False], ids=["opt", "raw"])


@optimizing
@pytest.mark.parametrize("f", [gradgrad.f, gradgrad.f_graph], ids=["formula", "graph"])
def test_seed4_gradient_of_gradient(f, optimize):
    assert grad(f, optimize=optimize)(0.3) == close(SEED4_D1)
    assert grad(grad(f, optimize=optimize), optimize=optimize)(0.3) == close(SEED4_D2)
    assert hessian(f, optimize=optimize)(0.3) == close(SEED4_D2)
    assert hvp(f, optimize=optimize)(0.3, 2.0) == close(2 * SEED4_D2)
    assert jvp(grad(f), optimize=optimize)(0.3, 1.0) == close((SEED4_D1, SEED4_D2))


def test_seed4_the_optimizer_removes_the_swell_of_nesting():
    h = hessian(gradgrad.f)
    assert h.stats.optimized.total < h.stats.unoptimized.total
    assert h.stats.optimized["exp"] == 1  # exp(v1) is computed once
    assert grad(grad(gradgrad.f)).stats.optimized["exp"] == 1


@optimizing
@pytest.mark.parametrize("x", [(1.0, 2.0, 3.0), (-0.5, 4.25, -7.0), (0.0, 0.0, 1e-3)])
def test_seed9_dual_number_tangent_of_x1_is_x3(x, optimize):
    x1, x2, x3 = x
    value, tangent = jvp(dual.f, wrt="x1", optimize=optimize)(x1, x2, x3, 1.0)
    assert value == (x1 + x2) * x3
    assert tangent == x3
    every = jvp(dual.f, wrt=("x1", "x2", "x3"), optimize=optimize)
    assert every(x1, x2, x3, 1.0, 0.0, 0.0) == (value, x3)
    assert every(x1, x2, x3, 0.0, 0.0, 1.0) == (value, x1 + x2)


def test_seed9_jvp_source_carries_a_tangent_beside_the_value():
    source = jvp(dual.f, wrt="x1").source
    assert "def f_jvp(x1, x2, x3, dx1):" in source
    assert "dy = dx1 * x3" in source


@optimizing
def test_seed10_value_and_derivative_at_one_and_a_half(optimize):
    assert plot.f(1.5) == close(0.8116311683958743)
    assert grad(plot.f, optimize=optimize)(1.5) == close(-1.866751687310511)
    assert plot.closed_form(1.5) == close(-1.866751687310511)


def test_seed10_on_linspace_matches_the_closed_form():
    xs = np.linspace(0, 5, 1000)
    ys, dys = plot.on_grid(xs)
    exact = np.array([plot.closed_form(float(x)) for x in xs])
    scale = np.max(np.abs(exact))
    assert np.max(np.abs(dys - exact)) < 1e-12 * scale
    assert np.array_equal(ys, [plot.f(float(x)) for x in xs])
    vectorized = np.vectorize(grad(plot.f))(xs)  # the other pointwise spelling
    assert np.array_equal(vectorized, dys)


SEED11 = [(2.0, 1.0, 0.0), (0.0, 3.0, 2.0)]


@optimizing
@pytest.mark.parametrize("mode", ["fwd", "rev", "auto"])
def test_seed11_jacobian(mode, optimize):
    jf = jacobian(jac.f_scalars, wrt=("x0", "x1", "x2"), mode=mode, optimize=optimize)
    assert jf(1.0, 2.0, 3.0) == SEED11


@pytest.mark.parametrize("mode", ["fwd", "rev", "auto"])
def test_seed11_jacobian_of_a_numpy_x(mode):
    """The lecture's spelling, x a NumPy array: one sweep batched over the unit vectors."""
    x = np.array([1.0, 2.0, 3.0])
    jf = jacobian(jac.f, mode=mode)
    assert jf(x).tolist() == [list(row) for row in SEED11]
    source = jf.specialize(x).source
    assert "np.eye(" in source and "for " not in source


def test_seed11_jacobian_of_one_input_is_a_number_per_output():
    assert jacobian(jac.f_scalars, wrt="x1")(1.0, 2.0, 3.0) == [1.0, 3.0]


@pytest.mark.parametrize("mode", ["rev", "auto"])  # auto picks rev for a list argument
def test_seed11_jacobian_of_a_list_argument(mode):
    assert jacobian(jac.f_list, mode=mode)([1.0, 2.0, 3.0]) == [[2.0, 1.0, 0.0],
                                                                [0.0, 3.0, 2.0]]


def test_forward_jacobian_of_a_list_argument_is_a_clear_error():
    with pytest.raises(DifferentiationError, match="mode=.rev."):
        jacobian(jac.f_list, mode="fwd")([1.0, 2.0, 3.0])


EXAMPLE_FILES = ["gradient_of_gradient", "dual_numbers", "jacobian", "derivative_plot"]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_runs_as_a_script(name, tmp_path):
    out = tmp_path / "plot.png"
    extra = ["--out", str(out)] if name == "derivative_plot" else []
    done = subprocess.run([sys.executable, str(EXAMPLES / "worked" / f"{name}.py"), *extra],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "def " in done.stdout  # it prints generated source
    if name == "derivative_plot":
        if importlib.util.find_spec("matplotlib") is None:
            assert "matplotlib is not installed" in done.stdout
            assert not out.exists()
        else:
            assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert list(tmp_path.iterdir()) == ([out] if out.exists() else [])


# --- the table: every differentiable scalar primitive ----------------------------------------
@dataclass(frozen=True)
class Row:
    name: str
    fn: Callable[..., float]
    domain: tuple[tuple[float, float], ...]  # (low, high) per parameter
    avoid: Callable[..., bool] | None  # True at points too near a kink or a branch cut


ROWS: list[Row] = []


def row(*domain: tuple[float, float], avoid: Callable[..., bool] | None = None):
    def register(fn):
        assert len(domain) == _arity(fn), fn.__name__
        ROWS.append(Row(fn.__name__, fn, domain, avoid))
        return fn
    return register


WIDE, UNIT, POSITIVE = (-3.0, 3.0), (-0.9, 0.9), (0.1, 5.0)


def _near_tie(x, y):
    return abs(x - y) < 1e-3


def _near_zero(*xs):
    return min(abs(x) for x in xs) < 1e-3


def _mod_jumps(x, y):
    q = x / y
    return abs(q - round(q)) < 1e-3


def _atan2_cut(y, x):
    return math.hypot(x, y) < 0.1 or (x < 0 and abs(y) < 0.1)


@row(WIDE, WIDE)
def add(x, y):
    return x + y


@row(WIDE, WIDE)
def sub(x, y):
    return x - y


@row(WIDE, WIDE)
def mul(x, y):
    return x * y


@row(WIDE, WIDE, avoid=lambda x, y: abs(y) < 0.2)
def truediv(x, y):
    return x / y


@row((-5.0, 5.0), WIDE, avoid=lambda x, y: abs(y) < 0.3 or _mod_jumps(x, y))
def mod(x, y):
    return x % y


@row((0.1, 4.0), (-2.0, 2.0))
def power(x, y):
    return x**y


@row(WIDE)
def power_int_exponent(x):
    return x**3


@row(WIDE)
def power_const_base(x):
    return 2.0**x


@row(WIDE)
def neg(x):
    return -x


@row(WIDE)
def pos(x):
    return +x


@row((-1.3, 1.3))
def sin(x):
    return math.sin(x * 2.0)


@row(WIDE)
def cos(x):
    return math.cos(x)


@row((-1.2, 1.2))
def tan(x):
    return math.tan(x)


@row(UNIT)
def asin(x):
    return math.asin(x)


@row(UNIT)
def acos(x):
    return math.acos(x)


@row(WIDE)
def atan(x):
    return math.atan(x)


@row(WIDE, WIDE, avoid=_atan2_cut)
def atan2(y, x):
    return math.atan2(y, x)


@row(WIDE)
def sinh(x):
    return math.sinh(x)


@row(WIDE)
def cosh(x):
    return math.cosh(x)


@row(WIDE)
def tanh(x):
    return math.tanh(x)


@row(WIDE)
def exp(x):
    return math.exp(x)


@row(WIDE)
def expm1(x):
    return math.expm1(x)


@row(POSITIVE)
def log(x):
    return math.log(x)


@row(POSITIVE)
def log2(x):
    return math.log2(x)


@row(POSITIVE)
def log10(x):
    return math.log10(x)


@row((-0.9, 5.0))
def log1p(x):
    return math.log1p(x)


@row(POSITIVE)
def sqrt(x):
    return math.sqrt(x)


@row((0.1, 4.0), (-2.0, 2.0))
def math_pow(x, y):
    return math.pow(x, y)


@row(WIDE, WIDE, avoid=lambda x, y: math.hypot(x, y) < 0.1)
def hypot(x, y):
    return math.hypot(x, y)


@row(WIDE, avoid=_near_zero)
def fabs(x):
    return math.fabs(x)


@row(WIDE)
def erf(x):
    return math.erf(x)


@row(WIDE)
def erfc(x):
    return math.erfc(x)


@row(WIDE, avoid=_near_zero)
def builtin_abs(x):
    return abs(x)


@row(WIDE, WIDE, avoid=_near_tie)
def builtin_min(x, y):
    return min(x, y)


@row(WIDE, WIDE, avoid=_near_tie)
def builtin_max(x, y):
    return max(x, y)


@row((0.1, 4.0), (-2.0, 2.0))
def builtin_pow(x, y):
    return pow(x, y)


@row(WIDE)
def builtin_float(x):
    return float(x) * x


# compositions: rules applied to tangents that are not the seed
@row(WIDE, WIDE, avoid=lambda x, y: _near_tie(x * y, math.sin(y)))
def composed(x, y):
    return max(x * y, math.sin(y)) * math.exp(-x * x) + math.atan(x / (1.0 + y * y))


@row(UNIT, POSITIVE)
def composed_domains(x, y):
    return math.sqrt(y + math.asin(x) ** 2) * math.log(y) - math.log10(y) ** 2 / math.cosh(x)


by_row = pytest.mark.parametrize("case", ROWS, ids=[r.name for r in ROWS])


def points(case: Row):
    """A hypothesis strategy for a point of ``case``'s domain."""
    return st.tuples(*(st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                       for lo, hi in case.domain))


def directions(n: int):
    return st.tuples(*(st.floats(-1.0, 1.0, allow_nan=False) for _ in range(n)))


def _point(data, case: Row) -> tuple[float, ...]:
    x = data.draw(points(case), label="x")
    assume(case.avoid is None or not case.avoid(*x))
    return x


# Python's operators, math and builtins: every primitive of s2s_ad.primitives.scalar that
# has a derivative ("copy" and "select" are made by passes and rules, not by user code)
SCALAR_PRIMITIVES = set("""
    add sub mul truediv mod pow neg pos
    sin cos tan asin acos atan atan2 sinh cosh tanh exp expm1 log log2 log10 log1p sqrt
    math_pow hypot fabs erf erfc abs min max float""".split())


def test_the_table_covers_every_differentiable_scalar_primitive():
    covered = set()
    for case in ROWS:
        covered |= {op.prim for op in walk(jvp(case.fn, wrt=0).__s2s__.primal.body)}
    assert SCALAR_PRIMITIVES - covered == set()
    assert {p for p in SCALAR_PRIMITIVES if PRIMITIVES[p].jvp is None} == set()


@pytest.mark.slow
@by_row
@given(data=st.data())
def test_jvp_matches_central_differences_and_the_vjp(case, data):
    """J u against a central difference along u, and <v, J u> == <J^T v, u>."""
    n = len(case.domain)
    x = _point(data, case)
    u = data.draw(directions(n), label="u")
    v = data.draw(st.floats(-2.0, 2.0), label="v")
    value, tangent = kept(jvp, case.fn, wrt=tuple(range(n)))(*x, *u)
    assert value == case.fn(*x)  # bit for bit: the optimizer's identities are exact
    assert tangent == close(_central(case.fn, x, u), rel=1e-6, abs=1e-6)
    cotangent = _leaves(kept(vjp, case.fn, wrt=tuple(range(n)))(*x, v))
    assert v * tangent == close(_dot(cotangent, u), rel=1e-12, abs=1e-12)


# multi-output functions for the projection and Jacobian tests
def polar(r, t):
    return r * math.cos(t), r * math.sin(t)


def mixer(x, y, z):
    return [x * y + math.sin(z), math.exp(x) * z, math.hypot(x, y) / (1.0 + z * z)]


def nested(x, y):
    return (x * y, (math.log1p(x * x), math.cos(y))), y - x


def wide(x):
    return math.sin(x) * x, math.exp(x) * x, x**3, math.atan(x) / (1.0 + x * x)


def narrow(a, b, c, d):
    return math.sin(a * b) * math.exp(c) - math.sqrt(1.0 + d * d) * a


MULTI = {"polar": polar, "mixer": mixer, "nested": nested, "wide": wide, "narrow": narrow,
         "seed11": jac.f_scalars, "seed9": dual.f}
by_multi = pytest.mark.parametrize("f", MULTI.values(), ids=MULTI.keys())


@pytest.mark.slow
@by_multi
@given(data=st.data())
def test_jvp_and_vjp_agree_by_projection_on_several_outputs(f, data):
    n, m = _arity(f), len(_leaves(f(*[0.5] * _arity(f))))
    x = data.draw(st.tuples(*[st.floats(0.2, 2.0)] * n), label="x")
    u = data.draw(directions(n), label="u")
    v = data.draw(directions(m), label="v")
    _, tangent = kept(jvp, f, wrt=tuple(range(n)))(*x, *u)
    out = f(*x)  # one cotangent, shaped like f's value (several outputs: a tuple)
    ct = _shaped_like(out, list(v)) if isinstance(out, (tuple, list)) else v[0]
    cotangent = kept(vjp, f, wrt=tuple(range(n)))(*x, ct)
    assert _dot(v, _leaves(tangent)) == close(_dot(_leaves(cotangent), u), rel=1e-12,
                                              abs=1e-12)


# --- Jacobians --------------------------------------------------------------------------------
@pytest.mark.slow
@by_multi
@given(x=st.tuples(*[st.floats(0.2, 2.0)] * 4))
def test_jacobian_forward_and_reverse_modes_agree(f, x):
    n = _arity(f)
    x = x[:n]
    wrt = tuple(range(n))
    fwd = kept(jacobian, f, wrt=wrt, mode="fwd")(*x)
    rev = kept(jacobian, f, wrt=wrt, mode="rev")(*x)
    assert type(fwd) is type(rev)
    assert _leaves(fwd) == close(_leaves(rev), rel=1e-12, abs=1e-14)
    for j in range(n):  # column j is the JVP along e_j
        e_j = tuple(1.0 if k == j else 0.0 for k in range(n))
        column = _leaves(kept(jvp, f, wrt=wrt)(*x, *e_j)[1])
        assert [entry[j] for entry in _leaves_of_rows(fwd)] == close(column, rel=1e-12)


def _leaves_of_rows(jac_tree) -> list[tuple[float, ...]]:
    """The rows (one tuple per output) of a Jacobian with a tuple ``wrt``."""
    if isinstance(jac_tree, tuple) and not any(isinstance(t, (tuple, list)) for t in jac_tree):
        return [jac_tree]
    return [r for item in jac_tree for r in _leaves_of_rows(item)]


@pytest.mark.parametrize("f", [polar, mixer, nested, wide, narrow], ids=lambda f: f.__name__)
def test_jacobian_auto_mode_picks_forward_unless_there_are_more_inputs(f):
    n = _arity(f)
    m = len(tree_leaves(jacobian(f, wrt=tuple(range(n)), mode="fwd").__s2s__.primal.out_tree))
    modes = {mode: jacobian(f, wrt=tuple(range(n)), mode=mode) for mode in ("fwd", "rev", "auto")}
    assert modes["fwd"].source != modes["rev"].source  # else this test shows nothing
    expected = "fwd" if n <= m else "rev"
    assert modes["auto"].source == modes[expected].source
    x = (0.7, 1.3, 0.4, 1.9)[:n]
    assert modes["auto"](*x) == modes[expected](*x)


def test_jacobian_with_one_wrt_gives_a_number_per_output():
    assert jacobian(polar, wrt="t")(2.0, 0.5) == close((-2.0 * math.sin(0.5),
                                                       2.0 * math.cos(0.5)))


# --- Hessians ---------------------------------------------------------------------------------
def cubic_times_y(x, y):
    return x**3 * y + math.sin(x * y)


def exp_cos(x, y):
    return math.exp(x) * math.cos(y) + x * y * y


def _bump(a):
    return a * math.tanh(a) + 1.0 / (1.0 + a * a)


def _ring(a, b):
    return math.log(1.0 + a * a + b * b) * _bump(a * b)


def composed_helpers(x, y, z):
    return _ring(x, _bump(y)) + _bump(x * z) * math.sqrt(1.0 + y * y * z * z)


SCALARS = [cubic_times_y, exp_cos, composed_helpers, narrow, gradgrad.f]
by_scalar = pytest.mark.parametrize("f", SCALARS, ids=lambda f: f.__name__)
scalar_points = st.tuples(*[st.floats(-1.5, 1.5, allow_nan=False)] * 4)


def _hessian_rows(f, x):
    n = _arity(f)
    h = kept(hessian, f, wrt=tuple(range(n)))(*x)
    assert len(h) == n and all(len(r) == n for r in h)
    return h


@pytest.mark.slow
@by_scalar
@given(x=scalar_points)
def test_hessian_matches_finite_differences_of_the_gradient(f, x):
    n = _arity(f)
    x = x[:n]
    h = _hessian_rows(f, x)
    gradient = kept(grad, f, wrt=tuple(range(n)))
    for i in range(n):
        e_i = tuple(1.0 if k == i else 0.0 for k in range(n))
        for j in range(n):
            fd = _central(lambda *p, j=j: gradient(*p)[j], x, e_i)
            assert h[i][j] == close(fd, rel=1e-6, abs=1e-6)


@pytest.mark.slow
@by_scalar
@given(x=scalar_points)
def test_hessian_is_symmetric(f, x):
    n = _arity(f)
    h = _hessian_rows(f, x[:n])
    for i in range(n):
        for j in range(i):
            assert h[i][j] == close(h[j][i], rel=1e-12, abs=1e-13)


@pytest.mark.slow
@by_scalar
@given(x=scalar_points, v=st.tuples(*[st.floats(-2.0, 2.0)] * 4))
def test_hvp_is_the_hessian_times_v(f, x, v):
    n = _arity(f)
    x, v = x[:n], v[:n]
    h = _hessian_rows(f, x)
    product = kept(hvp, f, wrt=tuple(range(n)))(*x, *v)
    expected = [_dot(r, v) for r in h]
    assert _leaves(product) == close(expected, rel=1e-10, abs=1e-12)


def test_hessian_of_one_parameter_is_the_second_derivative():
    assert hessian(cubic_times_y, wrt="x")(1.0, 2.0) == close(12.0 - 4.0 * math.sin(2.0))
    hxx, hxy, hyy = 12.0 - 4.0 * math.sin(2.0), 3.0 + math.cos(2.0) - 2.0 * math.sin(2.0), \
        -math.sin(2.0)
    h = hessian(cubic_times_y, wrt=("x", "y"))(1.0, 2.0)
    assert h[0] == close((hxx, hxy)) and h[1] == close((hxy, hyy))


def test_hessian_program_is_smaller_after_optimizing():
    h = hessian(cubic_times_y, wrt=("x", "y"))
    assert h.stats.optimized.total < h.stats.unoptimized.total
    assert h.stats.optimized["sin"] == 1 and h.stats.optimized["cos"] == 1


# --- third derivatives by nesting -------------------------------------------------------------
def cubic(x):
    return 2.0 * x**3 - 3.0 * x**2 + x - 5.0


@optimizing
@pytest.mark.parametrize("x", [-2.0, 0.0, 0.5, 3.0])
def test_grad_of_grad_of_grad_of_a_cubic(x, optimize):
    d1 = grad(cubic, optimize=optimize)
    d2 = grad(d1, optimize=optimize)
    d3 = grad(d2, optimize=optimize)
    assert d1(x) == close(6.0 * x * x - 6.0 * x + 1.0, abs=1e-12)
    assert d2(x) == close(12.0 * x - 6.0, abs=1e-12)
    assert d3(x) == close(12.0)
    assert hessian(d1, optimize=optimize)(x) == close(12.0)
