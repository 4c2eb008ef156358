"""Every differentiable NumPy primitive against finite differences, and the NumPy traps.

The rows are in ``cases_numpy.py``; the oracle is ``s2s_ad.numeric``. The checks of the
rows use only the public API (``grad``, ``value_and_grad``, ``vjp``, ``jvp``), so they hold
whatever code s2s_ad generates for the drawn shapes (only the coverage and broken-rule
tests read the registry). Each example runs every check:

- reverse: ``sum(u * vjp(v))`` (and ``v * sum(u * grad)`` for a number) against the central
  difference of ``sum(v * f)`` along ``u``, for a random unit direction ``u`` over the
  arguments and a random cotangent ``v`` shaped like the result; optimized and not;
- forward: ``sum(v * jvp(u)) == sum(u * vjp(v))``, the tangent shaped and typed like ``f``;
- shape: each gradient has its operand's shape and dtype (float32 in, float32 out; a Python
  float gets a float);
- value: ``value_and_grad``'s and ``jvp``'s values are exactly ``f(*args)``;
- fresh: no gradient is (a view of) an argument;
- and none of them mutates the arguments.

``XFAIL`` lists the checks that fail because of a bug in s2s_ad: ``test_rows`` skips them
and ``test_known_bugs`` runs each as a strict xfail, so a fix shows up as an XPASS (delete
the entry). The traps at the end check what must never be silently wrong.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import math
import re
import warnings

import numpy as np
import pytest
from cases_numpy import CASES, MARGIN, Case, Uniform, by_name, distinct, operands, wrt_of
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from support import kept

import s2s_ad
from s2s_ad import NoDerivativeRuleError, grad, hessian, hvp, jvp, value_and_grad, vjp
from s2s_ad.numeric import (
    central_difference,
    directional_derivative,
    numerical_grad,
    relative_error,
)

CENTRAL_EPS = 1e-5  # error ~ eps^2 f''' + 1e-16 |f| / eps
RTOL = {np.float64: 1e-6, np.float32: 2e-4}  # float32 gradients carry ~1e-7 relative rounding
MODES_RTOL = {np.float64: 1e-9, np.float32: 2e-5}  # forward against reverse: rounding only

# (row, check) -> why it fails: a bug in s2s_ad, to fix there ("*": every check).
# ``test_rows`` skips those checks of those rows; ``test_known_bugs`` runs them, strict xfail.
XFAIL: dict[tuple[str, str], str] = {
}


# --- drawing a point, a direction and a cotangent --------------------------------------------
def _dtype(value) -> type:
    return np.float32 if getattr(value, "dtype", None) == np.float32 else np.float64


def _like(rng: np.random.Generator, value, lo: float, hi: float):
    """Random entries shaped (and typed) like ``value``: an array, or a float for a number."""
    entries = rng.uniform(lo, hi, np.shape(value))
    if not isinstance(value, np.ndarray):
        return float(entries)
    return entries.astype(value.dtype)


class Point:
    """A row's arguments, its ``wrt``, a unit direction ``u`` over the ``wrt`` arguments and
    a cotangent ``v`` shaped like the result."""

    def __init__(self, case: Case, args: tuple, seed: int) -> None:
        self.case = case
        self.args = args
        self.wrt = wrt_of(case, len(self.args))
        self.out = case.fn(*self.args)
        assert np.all(np.isfinite(self.out)), "the row's inputs leave its domain"
        self.dtype = _dtype(self.out)
        rng = np.random.default_rng(seed)
        u = [_like(rng, self.args[i], -1.0, 1.0) for i in self.wrt]
        norm = math.sqrt(sum(float(np.sum(np.square(ui))) for ui in u))
        self.u = [(ui / norm).astype(ui.dtype) if isinstance(ui, np.ndarray) else ui / norm
                  for ui in u]
        self.v = _like(rng, self.out, -2.0, 2.0)
        self.before = [np.copy(a) for a in self.args]

    @classmethod
    def draw(cls, case: Case, data: st.DataObject) -> Point:
        args = data.draw(case.inputs, label="args")
        return cls(case, args, data.draw(st.integers(0, 2**32 - 1), label="seed of u, v"))

    @property
    def scalar(self) -> bool:
        return not isinstance(self.out, np.ndarray)  # a 0-d array result counts as an array

    def direction(self) -> list:
        d = [None] * len(self.args)
        for i, ui in zip(self.wrt, self.u):
            d[i] = ui
        return d

    def projected(self, parts) -> float:
        """``sum(u * parts)`` over the ``wrt`` arguments (each part shaped like its ``u``)."""
        total = 0.0
        for i, ui, part in zip(self.wrt, self.u, parts, strict=True):
            assert np.shape(part) == np.shape(ui), (
                f"the derivative wrt argument {i} of {self.case.name} has shape "
                f"{np.shape(part)}, the argument {np.shape(ui)}")
            total += float(np.sum(np.asarray(ui, np.float64) * np.asarray(part, np.float64)))
        return total

    def assert_unmutated(self, what: str) -> None:
        for k, (a, b) in enumerate(zip(self.args, self.before)):
            assert np.array_equal(a, b) and np.asarray(a).dtype == b.dtype, (
                f"{what} of {self.case.name} modified argument {k}: {b!r} -> {a!r}")


def _sum_against(fn, v):
    """``args -> sum(v * fn(*args))``: the number whose derivative the projection checks."""
    def projected(*args):
        return float(np.sum(np.asarray(v, np.float64) * np.asarray(fn(*args), np.float64)))
    return projected


def assert_close(got: float, expected: float, rtol: float, what: str) -> None:
    error = relative_error(got, expected)
    assert error <= rtol, (f"{what}:\n  s2s_ad:      {got!r}\n  expected:    {expected!r}\n"
                           f"  error:       {error:.3e} (rtol {rtol:.1e})")


def _vjp_parts(p: Point, optimize: bool = True) -> tuple:
    parts = kept(vjp, p.case.fn, wrt=p.wrt, optimize=optimize)(*p.args, p.v)
    assert isinstance(parts, tuple) and len(parts) == len(p.wrt), parts
    return parts


def _assert_shaped_like(part, arg, what: str) -> None:
    if isinstance(arg, np.ndarray):
        assert isinstance(part, np.ndarray), f"{what}: {type(part).__name__}, not an array"
        assert part.shape == arg.shape, f"{what}: shape {part.shape}, operand {arg.shape}"
        assert part.dtype == arg.dtype, f"{what}: dtype {part.dtype}, operand {arg.dtype}"
    else:
        assert isinstance(part, float) and not isinstance(part, np.ndarray), (
            f"{what}: {type(part).__name__} {part!r} for a float operand")


# --- the checks -----------------------------------------------------------------------------
def check_reverse(p: Point) -> None:
    """``u . vjp(v)`` and, for a number, ``v * (u . grad)``, optimized and not, against the
    central difference of ``v . f`` along ``u``."""
    expected = directional_derivative(_sum_against(p.case.fn, p.v), p.args, p.direction(),
                                      CENTRAL_EPS)
    for optimize in (True, False):
        got = p.projected(_vjp_parts(p, optimize))
        assert_close(got, expected, RTOL[p.dtype],
                     f"u . vjp(v) of {p.case.name} (optimize={optimize}) at {p.args}")
        if p.scalar:
            gradient = kept(grad, p.case.fn, wrt=p.wrt, optimize=optimize)
            got = p.v * p.projected(gradient(*p.args))
            assert_close(got, expected, RTOL[p.dtype],
                         f"v * (u . grad) of {p.case.name} (optimize={optimize}) at {p.args}")


def check_forward(p: Point) -> None:
    """``v . jvp(u)`` equals ``u . vjp(v)``; the tangent is shaped and typed like the value."""
    _, tangent = kept(jvp, p.case.fn, wrt=p.wrt)(*p.args, *p.u)
    assert np.shape(tangent) == np.shape(p.out), (np.shape(tangent), np.shape(p.out))
    if isinstance(p.out, np.ndarray):
        assert isinstance(tangent, np.ndarray) and tangent.dtype == p.out.dtype, (
            f"the tangent of a {p.out.dtype} result is {type(tangent).__name__} "
            f"{getattr(tangent, 'dtype', '')}")
    forward = float(np.sum(np.asarray(p.v, np.float64) * np.asarray(tangent, np.float64)))
    reverse = p.projected(_vjp_parts(p))
    assert_close(forward, reverse, MODES_RTOL[p.dtype],
                 f"v . jvp(u) against u . vjp(v) of {p.case.name} at {p.args}")


def check_shape(p: Point) -> None:
    """``grad`` (scalar results) and ``vjp`` give each operand's exact shape and dtype."""
    parts = _vjp_parts(p)
    for i, part in zip(p.wrt, parts):
        _assert_shaped_like(part, p.args[i], f"vjp of {p.case.name} wrt argument {i}")
    if p.scalar:
        gradient = kept(grad, p.case.fn, wrt=p.wrt)(*p.args)
        for i, g in zip(p.wrt, gradient):
            _assert_shaped_like(g, p.args[i], f"grad of {p.case.name} wrt argument {i}")


def check_value(p: Point) -> None:
    """``value_and_grad``'s value (scalar results) and ``jvp``'s are exactly ``f(*args)``."""
    value, _ = kept(jvp, p.case.fn, wrt=p.wrt)(*p.args, *p.u)
    assert np.array_equal(value, p.out) and np.shape(value) == np.shape(p.out), (
        f"jvp's value {value!r}, f gives {p.out!r}")
    if p.scalar:
        value, gradient = kept(value_and_grad, p.case.fn, wrt=p.wrt)(*p.args)
        assert np.array_equal(value, p.out), f"value_and_grad's value {value!r}, f: {p.out!r}"
        for g, expected in zip(gradient, kept(grad, p.case.fn, wrt=p.wrt)(*p.args)):
            assert np.array_equal(g, expected), (g, expected)


def check_fresh(p: Point) -> None:
    """No gradient is (a view of) an argument or another gradient: scaling one in place must
    not move ``x``, or ``dy``."""
    results = [("vjp", _vjp_parts(p))]
    if p.scalar:
        results.append(("grad", kept(grad, p.case.fn, wrt=p.wrt)(*p.args)))
    for what, parts in results:
        for i, part in zip(p.wrt, parts):
            for k, arg in enumerate(p.args):
                assert not (isinstance(part, np.ndarray) and np.shares_memory(part, arg)), (
                    f"{what} of {p.case.name}: the gradient wrt argument {i} shares memory "
                    f"with argument {k}")
            for j, other in zip(p.wrt, parts):
                assert j == i or not (isinstance(part, np.ndarray) and np.shares_memory(
                    part, other)), (f"{what} of {p.case.name}: the gradients wrt arguments "
                                    f"{i} and {j} share memory")


CHECKS = {"reverse": check_reverse, "forward": check_forward, "shape": check_shape,
          "value": check_value, "fresh": check_fresh}

# Each example runs every check (and builds code for new shapes), so a row takes an eighth
# of the profile's examples (conftest.py): 7 under "dev", 4 under "ci", 250 under "long".
per_row = settings(max_examples=max(4, settings.default.max_examples // 8))


LIVE = [case for case in CASES if (case.name, "*") not in XFAIL]


@pytest.mark.slow
@pytest.mark.parametrize("case", LIVE, ids=[case.name for case in LIVE])
@per_row
@given(data=st.data())
def test_rows(case, data):
    """Every check of ``CHECKS`` but the known bugs; none mutates the arguments."""
    p = Point.draw(case, data)
    for check, run in CHECKS.items():
        if (case.name, check) not in XFAIL:
            run(p)
            p.assert_unmutated(check)


@pytest.mark.slow
@pytest.mark.parametrize("name, check", [
    pytest.param(name, check, id=f"{name}-{check}",
                 marks=pytest.mark.xfail(strict=True, reason=reason))
    for (name, check), reason in XFAIL.items()])
@settings(per_row, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          report_multiple_bugs=False)  # a known bug: no shrinking, one report
@given(data=st.data())
def test_known_bugs(name, check, data):
    p = Point.draw(by_name(name), data)
    for run in CHECKS.values() if check == "*" else [CHECKS[check]]:
        run(p)
        p.assert_unmutated(check)


# --- the table covers every rule ----------------------------------------------------------
def _spelled() -> set[str]:
    """The primitives the rows use (a row s2s_ad cannot lower yet covers nothing)."""
    from s2s_ad.frontend.lower import lift
    from s2s_ad.ir.core import walk

    prims = set()
    for case in CASES:
        try:
            prims |= {op.prim for op in walk(lift(case.fn).body)}
        except s2s_ad.DifferentiationError:
            assert any(name == case.name for name, _ in XFAIL), case.name
    return prims


def _differentiable_numpy_primitives() -> set[str]:
    from s2s_ad.primitives import PRIMITIVES

    return {name for name, prim in PRIMITIVES.items()
            if (name.startswith("np.") or name in ("T", "matmul"))
            and prim.differentiable and prim.vjp is not None}


# operators and indexing are scalar primitives too; a row must use them on arrays
_ARRAY_OPERATORS = {"add", "sub", "mul", "truediv", "pow", "neg", "getitem", "np.stack"}
# made by the transforms, not spelled by users: np.asarray(g, dtype) gives a gradient its
# operand's dtype (a user's np.asarray(x) is x itself)
# made by derivatives only: np.asarray (a list argument used as an array), np.tensordot
# (np.inner's gradient; users' np.tensordot takes no axes= here), np.concatenate_along
# (np.hstack's cotangent, differentiated again)
_INTERNAL = {"np.asarray", "np.tensordot", "np.concatenate_along"}


def test_every_numpy_rule_has_a_row():
    wanted = _differentiable_numpy_primitives() - _INTERNAL | _ARRAY_OPERATORS
    missing = wanted - _spelled()
    assert not missing, f"no row of cases_numpy.py uses {sorted(missing)}"


def test_every_array_method_and_attribute_has_a_row():
    from s2s_ad.primitives.registry import attribute_index, method_index

    text = "\n".join(inspect.getsource(case.fn) for case in CASES)
    missing = [f".{m}(" for m in method_index() if f".{m}(" not in text]
    missing += [f".{a}" for a in attribute_index() if a != "dtype" and f".{a}" not in text]
    assert not missing, f"no row of cases_numpy.py spells {missing}"


def test_cases_have_unique_names_and_describe_their_domain():
    assert len({case.name for case in CASES}) == len(CASES)
    assert all(case.domain for case in CASES)


def test_xfail_entries_name_real_rows_and_checks():
    names = {case.name for case in CASES}
    for name, check in XFAIL:
        assert (check in CHECKS or check == "*") and name in names, (name, check)


# --- the checks notice broken rules -------------------------------------------------------
_SERIAL = itertools.count()


def _fresh(source: str, name: str):
    """A new function object (the transform cache has not seen it) from ``source``."""
    filename = f"<test_numpy broken rule {next(_SERIAL)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _rule(prim: str, k: int = 0):
    from s2s_ad.primitives import PRIMITIVES

    return PRIMITIVES[prim].vjp[k]


BROKEN = [
    # d sin = sin: the wrong function
    ("np.sin", lambda e, g, x: e.mul(g, e.emit("np.sin", x)[0]), 0,
     "def f(x):\n    return np.sin(x)\n", (np.array([[0.3, -1.2], [2.0, 0.7]]),)),
    # mean's cotangent not divided by the count
    ("np.mean", lambda e, g, x, **attrs: _rule("np.sum")(e, g, x, **attrs), 0,
     "def f(x):\n    return np.mean(x, axis=0)\n", (np.array([[0.3, -1.2], [2.0, 0.7]]),)),
    # g @ b instead of g @ b.T
    ("matmul", lambda e, g, a, b: e.matmul(g, b), 0,
     "def f(a, b):\n    return a @ b\n",
     (np.array([[0.3, -1.2], [2.0, 0.7]]), np.array([[1.5, 0.2], [-0.4, 0.9]]))),
    # maximum sending the cotangent to the loser
    ("np.maximum", lambda e, g, x, y: e.emit("np.where", e.ge(x, y), 0.0, g)[0], 0,
     "def f(x, y):\n    return np.maximum(x, y)\n",
     (np.array([[0.3, -1.2, 2.5]]), np.array([[1.0], [-0.5]]))),
]


@pytest.mark.parametrize("prim, rule, slot, source, args", BROKEN,
                         ids=[f"{b[0]}-{k}" for k, b in enumerate(BROKEN)])
def test_a_broken_rule_fails_the_checks(prim, rule, slot, source, args, monkeypatch):
    from s2s_ad.primitives import PRIMITIVES

    case = Case("broken", _fresh(source, "f"), st.just(args), "all")
    check_reverse(Point(case, args, seed=7))  # the real rule passes
    rules = list(PRIMITIVES[prim].vjp)
    rules[slot] = rule
    monkeypatch.setattr(PRIMITIVES[prim], "vjp", tuple(rules))  # the JVP keeps the real rule
    broken = Point(case._replace(fn=_fresh(source, "f")), args, seed=7)
    with pytest.raises((AssertionError, ValueError)):
        check_reverse(broken)
    with pytest.raises((AssertionError, ValueError)):
        check_forward(broken)


# --- second order ---------------------------------------------------------------------------
def hess_logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def hess_mixed(x, y):
    return np.sum(np.sin(x) * y) + np.sum(x * x) * np.sum(y ** 3)


def hess_quadratic(a, x):
    return x @ a @ x + np.sum(np.tanh(a @ x))


def hess_norm(x):
    return np.linalg.norm(x) ** 3


def hess_bias(x, b):  # b's cotangent is a `.sum(axis=0)`: hvp runs its JVP
    return np.sum(np.tanh(x + b) ** 2)


def hess_inner(a, b):  # np.inner's cotangents of matrices are np.tensordot: hvp runs its JVP
    return np.sum(np.sin(np.inner(a, b)))


def hess_sort(x):  # sorting permutes: the Hessian is the permuted one of the sum
    return np.sum(np.sort(x) ** 3 * np.arange(1.0, 1.0 + x.size))


def hess_argmax(x):  # integer results index x
    return x[np.argmax(x)] ** 3 + np.sum(x[np.argsort(x)] ** 2 * np.arange(x.size))


def hess_rearranged(x):
    return (np.sum(np.tile(np.diagonal(x), 2) ** 3) + np.sum(np.atleast_3d(x) ** 4)
            + np.sum(np.roll(np.repeat(x, 2, axis=1), 1) ** 2 * x.repeat(2, axis=1)))


def hess_slogdet(a):
    return np.linalg.slogdet(a)[1] ** 2 + np.linalg.slogdet(a @ a.T)[1]


SECOND_ORDER = [hess_logsumexp, hess_mixed, hess_quadratic, hess_norm, hess_bias, hess_inner,
                hess_sort, hess_argmax, hess_rearranged, hess_slogdet,
                by_name("elementwise_chain").fn, by_name("loop_over_array").fn]
SECOND_INPUTS = {
    "hess_logsumexp": operands(("n",)),
    "hess_mixed": operands(("n",), ("n",)),
    "hess_quadratic": operands(("n", "n"), ("n",), elements=Uniform(-1.0, 1.0)),
    "hess_norm": operands(("n",), elements=Uniform(0.5, 2.0)),
    "hess_bias": operands(("m", "n"), ("n",)),
    "hess_inner": operands(("m", "n"), (3, "n"), elements=Uniform(-1.0, 1.0)),
    "hess_sort": distinct(("n",)),
    "hess_argmax": distinct(("n",)),
    "hess_rearranged": operands(("n", "n")),
    "hess_slogdet": by_name("slogdet").inputs,
    "elementwise_chain": operands((2, "n")),
    "loop_over_array": operands(("n",)),
}
# (kind, function) -> why it fails: a bug in s2s_ad (strict xfail: a fix shows as an XPASS)
SECOND_XFAIL: dict[tuple[str, str], str] = {}


def second_order(kind: str, fns):
    params = []
    for fn in fns:
        reason = SECOND_XFAIL.get((kind, fn.__name__))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(fn, id=fn.__name__, marks=marks))
    return pytest.mark.parametrize("fn", params)


SECOND_RTOL = 1e-6


def _gradient_along(fn, args, i, direction):
    """``t -> grad(fn)(args with args[i] moved by t * direction)``, every wrt argument."""
    wrt = tuple(range(len(args)))
    g = kept(grad, fn, wrt=wrt)

    def line(t):
        moved = list(args)
        moved[i] = args[i] + t * direction
        return np.concatenate([np.ravel(part) for part in g(*moved)])
    return line


@pytest.mark.slow
@second_order("hvp", SECOND_ORDER)
@settings(max_examples=5)
@given(data=st.data())
def test_hvp_against_differences_of_the_gradient(fn, data):
    """``hvp`` along ``v`` against the central difference of the gradient along ``v``."""
    args = data.draw(SECOND_INPUTS[fn.__name__], label="args")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed of v"))
    v = [_like(rng, a, -1.0, 1.0) for a in args]
    wrt = tuple(range(len(args)))
    got = kept(hvp, fn, wrt=wrt)(*args, *v)
    got = np.concatenate([np.ravel(part) for part in got])
    expected = sum(central_difference(_gradient_along(fn, args, i, vi), 0.0, 1e-5)
                   for i, vi in enumerate(v))
    assert np.max(np.abs(got - expected)) <= SECOND_RTOL * max(1.0, np.max(np.abs(expected))), (
        got, expected)


@pytest.mark.slow
@second_order("hessian", SECOND_ORDER)
@settings(max_examples=3)
@given(data=st.data())
def test_hessian_against_differences_of_the_gradient(fn, data):
    """``hessian`` wrt one array: shape ``x.shape + x.shape``, rows = differences of grad."""
    args = data.draw(SECOND_INPUTS[fn.__name__], label="args")
    x = args[0]
    h = kept(hessian, fn, wrt=0)(*args)
    assert np.shape(h) == x.shape + x.shape
    flat = np.reshape(h, (x.size, x.size))
    g = kept(grad, fn, wrt=0)
    for k in range(x.size):
        unit = np.zeros(x.size)
        unit[k] = 1.0

        def line(t, unit=unit):
            moved = list(args)
            moved[0] = x + t * unit.reshape(x.shape)
            return np.ravel(g(*moved))
        expected = central_difference(line, 0.0, 1e-5)
        assert np.allclose(flat[k], expected, rtol=SECOND_RTOL, atol=SECOND_RTOL), (k, flat[k],
                                                                                     expected)


@second_order("hessian", [by_name("array_of_scalars").fn, by_name("array_nested").fn])
def test_hessian_of_scalars_through_arrays(fn):
    """Hessian rows wrt numbers the function packs into arrays: differences of the gradient."""
    args = (0.7, -1.3)
    rows_ = hessian(fn, wrt=(0, 1))(*args)
    for i, row in enumerate(rows_):
        expected = numerical_grad(grad(fn, wrt=i), args, (0, 1), method="richardson")
        assert row == pytest.approx(expected, rel=1e-7, abs=1e-8), (i, row, expected)


# --- traps: never silently wrong -----------------------------------------------------------
def trap_truediv(x, y):
    return np.sum(x / y)


def trap_pow(x, y):
    return np.sum(x ** y)


def trap_truediv_scalar(x, s):
    return np.sum(s / x + x / s)


def trap_pow_scalar(x, s):
    return np.sum(x ** s + s ** x)


def _trap(fn, *args, bug: str | None = None):
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    kinds = "-".join(f"{np.asarray(a).dtype}{list(np.shape(a))}" if isinstance(a, np.ndarray)
                     else type(a).__name__ for a in args)
    return pytest.param(fn, args, id=f"{fn.__name__}-{kinds}", marks=marks)


BROADCAST_TRAPS = [
    _trap(trap_truediv, np.array([[1.5], [-2.0], [0.7]]), np.array([1.0, -2.0, 0.5, 3.0])),
    _trap(trap_truediv, np.array([1.5, -2.0, 0.7]), np.array([[1.0], [-2.0]])),
    _trap(trap_truediv, np.array([[1.5, -2.0, 0.7]]), np.array([[1.0], [-2.0], [0.5], [3.0]])),
    _trap(trap_pow, np.array([[1.5], [2.0], [0.7]]), np.array([1.0, -2.0, 0.5, 3.0])),
    _trap(trap_pow, np.array([1.5, 2.0, 0.7]), np.array([[1.0], [-0.5]])),
    _trap(trap_pow, np.array([2.5]), np.array([[1.0, -0.5], [0.3, 2.0]])),
    _trap(trap_truediv_scalar, np.array([[1.5, -2.0], [0.7, 1.1]]), 1.7),
    _trap(trap_pow_scalar, np.array([[1.5, 2.0], [0.7, 1.1]]), 1.7),
]


@pytest.mark.parametrize("fn, args", BROADCAST_TRAPS)
def test_broadcasting_through_truediv_and_pow(fn, args):
    """Each operand's gradient has its own shape and the summed-over-broadcast value."""
    got = grad(fn, wrt=(0, 1))(*args)
    expected = numerical_grad(fn, args, (0, 1), method="richardson")
    for g, e, a in zip(got, expected, args):
        assert np.shape(g) == np.shape(a), (np.shape(g), np.shape(a))
        assert np.allclose(g, e, rtol=1e-8, atol=1e-9), (g, e)


def int_square(x):
    return x * x


def int_scaled(x):
    return 3 * x + x / 2


def int_sum_squares(x):
    return np.sum(x * x)


def int_product_of_items(x):
    return x[0] * x[1] + x[2]


def int_mean_sin(x):
    return np.mean(np.sin(x))


def int_matmul(x):
    return x @ x


def int_slice(x):
    return np.sum(x[1:] * 2.5)


def int_prod(x):
    return np.prod(x)


def int_loop(x):
    total = 0.0
    for a in x:
        total = total + a * a
    return total


def int_power(x):
    return np.sum(x**2)


INTEGER_TRAPS = [  # int_square was 6, not 6.0: `x + x` now sends ints to code for ints
    _trap(int_square, 3), _trap(int_scaled, 3), _trap(int_square, np.int64(3)),
    _trap(int_sum_squares, np.array([1, 2, 3])),
    _trap(int_product_of_items, np.array([2, 3, 4])),
    _trap(int_mean_sin, np.array([1, 2, 3])),
    _trap(int_matmul, np.array([1, -2, 3])),
    _trap(int_slice, np.array([[1, 2], [3, 4]])), _trap(int_prod, np.array([2, 3, 5])),
    _trap(int_loop, np.array([1, 2, 3])), _trap(int_power, np.array([1, 2, 3])),
    _trap(int_sum_squares, np.array([1, 2, 3], dtype=np.int32)),
]


@pytest.mark.parametrize("fn, args", INTEGER_TRAPS)
def test_integer_inputs_give_the_float_gradient_or_a_clear_error(fn, args):
    """Never zeros or a gradient truncated to integers."""
    (arg,) = args
    try:
        got = grad(fn)(arg)
    except s2s_ad.DifferentiationError as err:
        assert "int" in str(err), f"an unclear error for an integer argument: {err}"
        return
    as_float = np.asarray(arg, dtype=np.float64) if np.ndim(arg) else float(arg)
    expected = numerical_grad(fn, (as_float,), 0, method="richardson")
    assert np.shape(got) == np.shape(arg)
    assert np.asarray(got).dtype.kind == "f", f"an integer gradient: {got!r}"
    assert np.allclose(got, expected, rtol=1e-8, atol=1e-9), (got, expected)


def mutate_index(x, y):
    return np.sum(x[0] * y) + np.sum(y[1:] * x[1:]) + x[-1] * y[0]


def mutate_loop(x, y):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * y[i] * y[i]
    return total


def mutate_identity(x, y):
    return np.sum(x * y) + np.sum(x)


def mutate_fancy(x, y):
    return np.sum(x[np.array([0, 1, 1])] * y[:3])


MUTATION_TRAPS = [
    mutate_index, mutate_loop, mutate_fancy, mutate_identity]


@pytest.mark.parametrize("fn", MUTATION_TRAPS)
def test_arguments_are_never_mutated(fn):
    x, y = np.array([1.5, -2.0, 0.5]), np.array([0.3, 2.0, -1.0])
    before = (x.copy(), y.copy())
    wrt = (0, 1)
    results = [grad(fn, wrt=wrt)(x, y), grad(fn, wrt=wrt, optimize=False)(x, y),
               value_and_grad(fn, wrt=wrt)(x, y)[1], vjp(fn, wrt=wrt)(x, y, 1.5),
               jvp(fn, wrt=wrt)(x, y, x, y)]
    assert np.array_equal(x, before[0]) and np.array_equal(y, before[1]), (x, y)
    for result in results[:4]:  # scribbling on a gradient leaves the arguments alone
        for part in result:
            if isinstance(part, np.ndarray):
                part += 100.0
    assert np.array_equal(x, before[0]) and np.array_equal(y, before[1]), (
        "a returned gradient is (a view of) an argument", x, y)


def unknown_partition(x):
    return np.sum(np.partition(x, 1) * np.arange(3.0))


def unknown_fft(x):
    return np.sum(np.abs(np.fft.fft(x)))


def unknown_cumprod(x):
    return np.sum(np.cumprod(x))


def unknown_median(x):
    return np.median(x)


def unknown_eigvalsh(x):
    return np.sum(np.linalg.eigvalsh(np.outer(x, x)))


UNKNOWN = [(unknown_partition, "partition"), (unknown_fft, "fft"), (unknown_cumprod, "cumprod"),
           (unknown_median, "median"), (unknown_eigvalsh, "eigvalsh")]


@pytest.mark.parametrize("fn, name", UNKNOWN, ids=[n for _, n in UNKNOWN])
def test_unknown_numpy_function_raises_naming_it(fn, name):
    with pytest.raises(NoDerivativeRuleError, match=name):
        grad(fn)(np.array([0.3, -1.2, 2.0]))
    with pytest.raises(NoDerivativeRuleError, match=name):
        jvp(fn)(np.array([0.3, -1.2, 2.0]), np.ones(3))


# --- orderings, integer results and slogdet: exact numbers (issue 16) -------------------------
def top_by_argmax(x):
    return x[np.argmax(x)]


def top_by_sort(x):
    return np.sort(x)[-1]


def bottom_by_argmin(x):
    return x[np.argmin(x)]


def ranked(x):
    return np.sum(np.sort(x) * np.arange(4.0))


def logabsdet(a):
    return np.linalg.slogdet(a)[1]


def signed_logdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


ORDERED = np.array([0.3, -1.2, 2.0, 0.7])
DIAGONAL = np.array([[2.0, 0.0], [0.0, -4.0]])  # det -8: sign -1, log|det| = log 8


@pytest.mark.parametrize("fn, arg, expected", [
    (top_by_argmax, ORDERED, [0.0, 0.0, 1.0, 0.0]),
    (top_by_sort, ORDERED, [0.0, 0.0, 1.0, 0.0]),
    (bottom_by_argmin, ORDERED, [0.0, 1.0, 0.0, 0.0]),
    (ranked, ORDERED, [1.0, 0.0, 3.0, 2.0]),  # each entry's rank
    (logabsdet, DIAGONAL, [[0.5, 0.0], [0.0, -0.25]]),  # inv(a).T
    (signed_logdet, DIAGONAL, [[-0.5, 0.0], [0.0, 0.25]]),  # the sign is a constant
], ids=["argmax", "sort-last", "argmin", "sort-ranks", "slogdet", "slogdet-sign"])
def test_orderings_and_slogdet_give_exact_gradients(fn, arg, expected):
    """The cotangent of an ordering goes back through its permutation; np.argmax's integer
    indexes x without a derivative of its own; d log|det a| = inv(a).T. Exact, in reverse
    and forward mode, specialized and shape-generic."""
    tangent = np.arange(1.0, arg.size + 1.0).reshape(arg.shape)
    along = float(np.sum(np.multiply(expected, tangent)))
    for g, forward in ((grad(fn), jvp(fn)), (grad(fn).general, jvp(fn).general)):
        assert np.array_equal(g(arg), expected), g(arg)
        assert forward(arg, tangent) == (fn(arg), along)


def dets(a):
    return np.sum(np.linalg.det(a) * np.array([1.0, 2.0]))


def logdets(a):
    return np.sum(np.linalg.slogdet(a)[1] * np.array([1.0, 2.0]))


def det_of(a):
    return np.linalg.det(a)


DET_TANGENT = jvp(det_of)


def det_tangent_along_identity(a):  # det(a) tr(inv(a)): the trace for a 2 x 2 matrix
    return DET_TANGENT(a, np.eye(2))[1]


def test_determinants_of_a_stack_and_second_order():
    """Each matrix of a stack gets its own cotangent (np.linalg.det's was broadcast across
    the last axis); reverse mode runs over det's tangent (it read np.trace's axes)."""
    a = np.stack([DIAGONAL, np.array([[1.0, 0.0], [0.0, 0.5]])])
    expected = [[[0.5, 0.0], [0.0, -0.25]], [[2.0, 0.0], [0.0, 4.0]]]
    assert np.array_equal(grad(logdets)(a), expected)
    assert np.allclose(grad(dets)(a), [[[-4.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 2.0]]],
                       rtol=1e-15, atol=0.0)  # (LAPACK's det of diag(2, -4): -8 - 2 ulp)
    assert np.allclose(grad(det_tangent_along_identity)(DIAGONAL), np.eye(2), rtol=0.0,
                       atol=1e-15)
    # d inv(a).T = -inv(a).T da.T inv(a).T: along E_00 of the first matrix, -0.25 there
    h = hessian(logabsdet)(DIAGONAL)
    assert h.shape == (2, 2, 2, 2) and h[0, 0, 0, 0] == -0.25 and h[1, 1, 1, 1] == -0.0625


def test_orderings_read_like_numpy():
    """The generated gradients: the inverse permutation as an argsort of the argsort, the
    integer index as it was written, slogdet's inv(a).T; no leftover ones or zeros."""
    sources = {fn.__name__: grad(fn).specialize(arg).source
               for fn, arg in ((top_by_argmax, ORDERED), (ranked, ORDERED),
                               (logabsdet, DIAGONAL))}
    assert "dx[np.argmax(x)] += 1.0" in sources["top_by_argmax"], sources["top_by_argmax"]
    assert ("dx = np.take_along_axis(_c, np.argsort(np.argsort(x)), axis=-1)"
            in sources["ranked"]), sources["ranked"]
    assert "* np.linalg.inv(a).T" in sources["logabsdet"], sources["logabsdet"]
    # forward mode's tangent of the pair, read at [1], is the tangent of log|det a| itself
    sources["jvp"] = jvp(logabsdet).specialize(DIAGONAL, DIAGONAL).source
    assert "dout = np.sum(np.linalg.inv(a).T * da)" in sources["jvp"], sources["jvp"]
    for text in sources.values():
        assert not any(s in text for s in ("* 1.0", "1.0 *", "+ 0.0", "0.0 +")), text


def sorts_in_place(x):
    x.sort()
    return np.sum(x * np.arange(3.0))


def two_at_once(x):
    a, b = np.atleast_1d(x, x)
    return np.sum(a * b)


def repeats_per_entry(x):
    return np.sum(np.repeat(x, (1, 2, 1)))


@pytest.mark.parametrize("fn, message", [
    (sorts_in_place, "method call .sort(...)"),
    (two_at_once, "np.atleast_1d takes one array here"),
    (repeats_per_entry, "np.repeat takes one int repeats here")],
    ids=["x.sort()", "atleast_1d-two", "repeat-per-entry"])
def test_unsupported_forms_of_the_orderings_raise(fn, message):
    """x.sort() sorts in place (it is not np.sort); np.atleast_1d of several arrays and
    np.repeat with a count per entry are refused where they are written."""
    x = np.array([0.3, -1.2, 2.0])
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match=re.escape(message)):
        grad(fn)(x)
    assert np.array_equal(x, [0.3, -1.2, 2.0])


# --- constructors of a differentiated value: differentiated, never constant (issue 15) ------
def ctor_linspace(t):
    return np.sum(np.linspace(0.0, t, 5) * t)  # 2.5 t**2


def ctor_full(a):
    return np.sum(np.full(3, a) * a)  # 3 a**2


def ctor_arange(a):
    return np.sum(np.arange(a, 5.0, 1.0))  # entries a + k: the derivative is their number


def ctor_arange_step(h):
    return np.sum(np.arange(1.0, 4.0, h) * h)  # 1 + (1 + h) + (1 + 2h) for 1 < h < 1.5


def ctor_full_like(a):
    return np.sum(np.full_like(np.ones((2, 2)), a) ** 2)  # 4 a**2


@pytest.mark.parametrize("fn, x, first, second", [
    (ctor_linspace, 2.0, 10.0, 5.0), (ctor_full, 2.0, 12.0, 6.0), (ctor_arange, 2.5, 3.0, 0.0),
    (ctor_arange, 0.5, 5.0, 0.0), (ctor_arange_step, 1.2, 6 * 1.2 + 3.0, 6.0),
    (ctor_full_like, 0.5, 4.0, 8.0)],
    ids=["linspace", "full", "arange-3", "arange-5", "arange-step", "full_like"])
def test_a_constructor_of_a_differentiated_number_is_differentiated(fn, x, first, second):
    """The issue's examples: every mode sees the constructor's dependence on ``x``."""
    assert grad(fn)(x) == pytest.approx(first)
    assert grad(fn, optimize=False)(x) == pytest.approx(first)
    assert grad(fn).general(x) == pytest.approx(first)  # the shape-generic code
    assert jvp(fn)(x, 1.0)[1] == pytest.approx(first)
    assert s2s_ad.jacobian(fn, mode="fwd")(x) == pytest.approx(first)
    assert hessian(fn)(x) == pytest.approx(second)


def zeros_sized_by(x, n):
    return np.sum(np.zeros(n) + x * x)  # n x**2


def test_a_size_read_from_a_number_is_not_fixed_by_the_first_call():
    """Code specialized to a number argument's type holds for every value of it: the length
    of np.arange(a, 5.0) or np.zeros(n) is computed when the derivative runs."""
    g = grad(ctor_arange)
    assert [g(a) for a in (2.5, 0.5, 3.5)] == [3.0, 5.0, 2.0]
    g = grad(zeros_sized_by, wrt=0)
    assert [g(2.0, n) for n in (3, 4)] == [12.0, 16.0]


def ctor_linspace_ends(a, b):
    return np.sum(np.sin(np.linspace(a, b, 4, endpoint=False)) * np.linspace(b, a, 3)[1])


def ctor_linspace_count(a, b):
    return np.sum(np.cos(np.linspace(a * b, b, num=6)) ** 2)


def ctor_fills(a, b):
    return np.sum(np.sin(np.full((2, 3), a) * np.full_like(np.ones(3), b)))


def ctor_arange_start_step(a, h):
    return np.sum(np.cos(np.arange(a, 4.0, h) * a))  # 3 entries on the drawn domain


CONSTRUCTED = [(ctor_linspace_ends, Uniform(-2.0, 2.0)), (ctor_linspace_count, Uniform(-2.0, 2.0)),
               (ctor_fills, Uniform(-2.0, 2.0)),
               (ctor_arange_start_step, (Uniform(0.5, 1.0), Uniform(1.2, 1.4)))]


@pytest.mark.slow
@pytest.mark.parametrize("fn, elements", CONSTRUCTED, ids=[fn.__name__ for fn, _ in CONSTRUCTED])
@settings(max_examples=5)
@given(data=st.data())
def test_constructors_against_central_differences(fn, elements, data):
    """grad, optimized and not, jvp, forward jacobian and hessian of scalar functions through
    the constructors, against central differences (of the gradient for the hessian)."""
    args = data.draw(operands((), (), elements=elements), label="args")
    expected = numerical_grad(fn, args, (0, 1))
    for optimize in (True, False):
        gradient = kept(grad, fn, wrt=(0, 1), optimize=optimize)
        assert gradient(*args) == pytest.approx(expected, rel=1e-6)
    jacobian = kept(s2s_ad.jacobian, fn, wrt=(0, 1), mode="fwd")
    assert jacobian(*args) == pytest.approx(expected, rel=1e-6)
    forward = kept(jvp, fn, wrt=(0, 1))
    tangents = [forward(*args, *unit)[1] for unit in ((1.0, 0.0), (0.0, 1.0))]
    assert tangents == pytest.approx(expected, rel=1e-6)
    for i, row in enumerate(kept(hessian, fn, wrt=(0, 1))(*args)):
        want = numerical_grad(kept(grad, fn, wrt=i), args, (0, 1), method="richardson")
        assert row == pytest.approx(want, rel=1e-6, abs=1e-7), (i, row, want)


def ctor_count_only(x, n):
    return np.sum(np.linspace(0.0, 1.0, n) * x + np.ones(n) * x)


def ctor_integer_entries(t):
    return np.sum(np.linspace(0.0, t, 5, dtype=int) * t) + np.sum(np.full(2, t, dtype=int) * t)


def ctor_stop_only(b):
    return np.sum(np.arange(b) * b)  # [0, 1, 2] for 2 < b <= 3: only the length moves


def ctor_shape_only(x, n):
    return np.sum(np.eye(n, k=1) * x + np.identity(n) * x + np.zeros_like(x) + np.ones_like(x))


@pytest.mark.parametrize("fn, args, expected", [
    (ctor_count_only, (2.0, 4), 6.0), (ctor_integer_entries, (2.3,), 8.0),
    (ctor_stop_only, (2.5,), 3.0), (ctor_shape_only, (2.0, 3), 5.0)],
    ids=["count", "integer-dtype", "arange-stop", "shapes"])
def test_what_sets_only_shapes_or_rounds_has_derivative_zero(fn, args, expected):
    """A count, a stop, a shape, an integer dtype: only the other uses of x count."""
    assert grad(fn)(*args) == expected
    assert jvp(fn, wrt=0)(*args, 1.0)[1] == expected


def unsupported_logspace(a):
    return np.sum(np.logspace(0.0, a, 4))


def unsupported_geomspace(a):
    return np.sum(np.geomspace(1.0, a, 4))


def unsupported_vander(a):
    return np.sum(np.vander(np.ones(3) * a))


def unsupported_retstep(a):
    return np.linspace(0.0, a, 4, retstep=True)[1]


UNSUPPORTED_CONSTRUCTORS = [
    (unsupported_logspace, NoDerivativeRuleError, "`numpy.logspace`", "np.logspace(0.0, a, 4)"),
    (unsupported_geomspace, NoDerivativeRuleError, "`numpy.geomspace`",
     "np.geomspace(1.0, a, 4)"),
    (unsupported_vander, NoDerivativeRuleError, "`numpy.vander`", "np.vander("),
    (unsupported_retstep, s2s_ad.UnsupportedSyntaxError, "retstep= to np.linspace",
     "np.linspace(0.0, a, 4, retstep=True)")]


@pytest.mark.parametrize("fn, kind, name, snippet", UNSUPPORTED_CONSTRUCTORS,
                         ids=[fn.__name__ for fn, *_ in UNSUPPORTED_CONSTRUCTORS])
def test_an_unsupported_constructor_raises_at_its_call(fn, kind, name, snippet):
    for make in (lambda: grad(fn)(1.5), lambda: jvp(fn)(1.5, 1.0)):
        with pytest.raises(kind) as info:
            make()
        err, lines = info.value, str(info.value).splitlines()
        assert name in lines[0] and f"test_numpy.py:{err.loc.line}:" in lines[0], lines[0]
        assert snippet in lines[1]
        start = lines[2].index("^")
        assert lines[1][start:].startswith(snippet), lines


def test_constructor_derivatives_read_like_the_constructors():
    """In the specialized code a cotangent that is one number everywhere meets np.linspace's
    weights summed when building (0 + 0.25 + ... + 1 = 2.5) and np.full's count, and the
    tangents are the constructors of the tangents."""
    source = grad(ctor_linspace).specialize(2.0).source
    assert "dt = t * 2.5 + np.sum(np.linspace(0.0, t, 5))" in source, source
    assert "da = a * 3 + np.sum(np.full(3, a))" in grad(ctor_full).specialize(2.0).source
    assert "np.linspace(0.0, dt, 5)" in jvp(ctor_linspace).specialize(2.0, 1.0).source
    assert "np.full(3, da)" in jvp(ctor_full).specialize(2.0, 1.0).source
    for fn in (ctor_linspace, ctor_full, ctor_arange, ctor_arange_step, ctor_full_like):
        for g in (grad(fn), jvp(fn), hessian(fn)):
            args = (1.2, 1.0) if g.__name__.endswith("jvp") else (1.2,)
            text = g.specialize(*args).source
            assert not any(s in text for s in ("0.0 + ", "+ 0.0", "* 1.0", "1.0 * ")), text


def test_distinct_operands_have_no_ties():
    """The strategy the max/min rows rely on."""
    @settings(max_examples=20)
    @given(distinct((3, "n"), ("n",), ()))
    def check(args):
        values = np.concatenate([np.ravel(a) for a in args])
        gaps = np.diff(np.sort(values))
        assert np.min(gaps) > 5 * MARGIN
    check()


def assigns_an_item(x):
    y = np.zeros(3)
    y[0] = x[1] * 2.0
    return np.sum(y * x)


def assigns_into_its_argument(x):
    x[0] = 1.0
    return np.sum(x * x)


@pytest.mark.parametrize("fn", [assigns_an_item, assigns_into_its_argument])
def test_item_assignment_differentiates_and_leaves_the_argument_alone(fn):
    x = np.array([1.0, 2.0, 3.0])
    got = grad(fn)(x)
    assert np.array_equal(x, [1.0, 2.0, 3.0])  # the gradient never writes into x
    want = numerical_grad(fn, (x.copy(),))
    assert np.allclose(got, want, rtol=1e-7, atol=1e-8)


# --- a value read whole (by NumPy) and item by item -------------------------------------------
def sum_of_a_tuple(x, y):
    t = (x, y)
    return np.sum(t) + t[0] * 2.0


def sum_of_a_list_display(x):
    u = [x[0], x[1]]
    return np.sum(u) + u[1]


def slice_of_a_slice(x):
    u = x[1:]
    return np.sum(u[1:]) + np.sum(u)


@pytest.mark.parametrize("fn, args, expected", [
    (sum_of_a_tuple, (1.0, 2.0), (3.0, 1.0)),
    (sum_of_a_list_display, (np.array([1.0, 2.0]),), (np.array([1.0, 2.0]),)),
    (sum_of_a_list_display, ([1.0, 2.0],), ([1.0, 2.0],)),
    (slice_of_a_slice, (np.array([0.1, 0.2, 0.3]),), (np.array([0.0, 1.0, 2.0]),)),
    (slice_of_a_slice, ([0.1, 0.2, 0.3],), ([0.0, 1.0, 2.0],)),
], ids=["tuple", "list-display-of-array", "list-display-of-list", "slice-of-array-slice",
        "slice-of-list-slice"])
def test_a_value_read_whole_and_by_item_gets_both_adjoints(fn, args, expected):
    """Found while fixing the fuzzer's array-index-of-index: np.sum of a tuple built here
    lost its adjoint (the generated code read `None[0]`), and a list slice read whole and by
    index kept only one of its two adjoints; both in the specialized and the shape-generic
    code."""
    g = grad(fn, wrt=tuple(range(len(args))))
    for run in (g, getattr(g, "general", g)):
        for got, want in zip(run(*args), expected):
            assert isinstance(got, type(want)) and np.allclose(got, want), (run, got)


# --- ties split the cotangent (and a tangent) equally -----------------------------------------
def pooled_max(a):  # max-pooling over pairs: a tie must not double the gradient
    return np.sum(np.maximum(a[:2], a[2:]))


def pooled_min(a):
    return np.sum(np.minimum(a[:2], a[2:]))


def maximum_with_a_number(x, s):
    return np.sum(np.maximum(x, s))


def reduced_max(a):
    return np.max(a)


def clipped(x):  # one-sided at the bounds: all of it to x
    return np.sum(np.clip(x, 0.0, 1.0))


def clipped_by_arrays(x, lo, hi):
    return np.sum(np.clip(x, lo, hi))


TIES = [
    (pooled_max, (np.array([1.0, 2.0, 1.0, 3.0]),), (np.array([0.5, 0.0, 0.5, 1.0]),)),
    (pooled_min, (np.array([1.0, 2.0, 1.0, 3.0]),), (np.array([0.5, 1.0, 0.5, 0.0]),)),
    (maximum_with_a_number, (np.array([1.0, 2.0, 0.5]), 1.0), (np.array([0.5, 1.0, 0.0]), 1.5)),
    (reduced_max, (np.array([1.0, 3.0, 3.0]),), (np.array([0.0, 0.5, 0.5]),)),
    (clipped, (np.array([0.0, 0.5, 1.0, 2.0, -1.0]),), (np.array([1.0, 1.0, 1.0, 0.0, 0.0]),)),
    (clipped_by_arrays, (np.array([0.0, 0.5, 1.0, 2.0]), np.zeros(4), np.ones(4)),
     (np.array([1.0, 1.0, 1.0, 0.0]), np.zeros(4), np.array([0.0, 0.0, 0.0, 1.0]))),
]


@pytest.mark.parametrize("fn, args, expected", TIES, ids=[t[0].__name__ for t in TIES])
def test_a_tie_splits_the_cotangent_equally(fn, args, expected):
    """Exact numbers at ties, reverse and forward, specialized and shape-generic code."""
    wrt = tuple(range(len(args)))
    g, forward = grad(fn, wrt=wrt), jvp(fn, wrt=wrt)
    tangents = tuple(np.arange(1.0, np.size(a) + 1.0).reshape(np.shape(a)) for a in args)
    tangents = tuple(t if isinstance(a, np.ndarray) else float(t) for t, a in zip(tangents, args))
    along = sum(float(np.sum(d * t)) for d, t in zip(expected, tangents))
    for run, ahead in ((g, forward), (getattr(g, "general", g), getattr(forward, "general",
                                                                           forward))):
        for got, want in zip(run(*args), expected):
            assert isinstance(got, type(want)) and np.array_equal(got, want), (run.source, got)
        assert ahead(*args, *tangents)[1] == along, ahead.source


def test_at_a_tie_the_tangent_of_np_maximum_is_the_mean_of_the_tangents():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])
    dx, dy = np.array([1.0, 1.0, 1.0]), np.array([3.0, 3.0, 3.0])
    forward = jvp(lambda x, y: np.maximum(x, y), wrt=(0, 1))
    assert np.array_equal(forward(x, y, dx, dy)[1], [2.0, 1.0, 3.0])
    forward = jvp(lambda x, y: np.minimum(x, y), wrt=(0, 1))
    assert np.array_equal(forward(x, y, dx, dy)[1], [2.0, 3.0, 1.0])


def test_np_maximum_of_numbers_splits_a_tie_into_a_float():
    g = grad(lambda s: np.maximum(s, 1.0) * 3.0)
    assert g(1.0) == 1.5 and type(g(1.0)) is float and g(2.0) == 3.0 and g(0.0) == 0.0


def test_the_tie_rule_reads_as_a_where():
    source = grad(pooled_max).specialize(np.array([1.0, 2.0, 1.0, 3.0])).source
    assert "np.where(_t1 == _t2, 0.5, 0.0)" in source and source.count("np.where") == 3, source


def test_hvp_beside_a_tie():
    # sum(max(x * x, x)): 2 where x * x > x (x = 2), 0 where x wins (x = 0.5)
    h = hvp(lambda x: np.sum(np.maximum(x * x, x)))
    assert np.array_equal(h(np.array([2.0, 0.5]), np.array([1.0, 1.0])), [2.0, 0.0])


# --- `u op= v` on an array keeps u's layout and dtype (analysis/aliasing.py) ------------------
def mean_of_a_transposed_update(a, b):
    w = np.log(a).T
    w += b
    w *= 0.5
    return np.mean(w)


def update_of_a_float32_array(a, b):
    w = a * 2.0
    w += b
    return np.sum(w * w)


def update_of_an_int_array(a, b):
    w = a * 2
    w += b
    return np.sum(w)


def update_of_a_number(x):
    y = x * 2.0
    y += x
    y **= 2
    return y


def test_an_updated_array_keeps_its_layout():
    rng = np.random.default_rng(7)
    a, b = rng.uniform(0.5, 2.0, (7, 5)), rng.uniform(-1.0, 1.0, (5, 7))
    g = s2s_ad.value_and_grad(mean_of_a_transposed_update, wrt=(0, 1))
    value, (da, db) = g(a, b)
    assert value == mean_of_a_transposed_update(a, b)  # bit for bit: the same summation order
    code = g.specialize(a, b).source
    assert "np.add(w, b, out=np.empty_like(w))" in code, code
    assert "np.multiply(w_2, 0.5, out=np.empty_like(w_2))" in code, code
    np.testing.assert_allclose(da, 0.5 / (a * a.size))
    np.testing.assert_allclose(db, np.full(b.shape, 0.5 / b.size))


def test_an_updated_array_keeps_its_dtype():
    a, b = np.linspace(0.5, 1.5, 4, dtype=np.float32), np.linspace(-1.0, 1.0, 4)
    value, da = s2s_ad.value_and_grad(update_of_a_float32_array)(a, b)
    expected = update_of_a_float32_array(a, b)
    assert value == expected and value.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(da, 4.0 * (2.0 * a + b), rtol=1e-6)
    with pytest.raises(TypeError, match="Cannot cast"):  # an int array += a float, as NumPy
        s2s_ad.value_and_grad(update_of_an_int_array, wrt=1)(np.arange(4), b)


def test_an_updated_number_reads_as_arithmetic():
    code = s2s_ad.value_and_grad(update_of_a_number).source
    assert "updated" not in code and "out=" not in code, code
    assert s2s_ad.value_and_grad(update_of_a_number)(1.5) == (20.25, 27.0)


def test_an_update_in_shape_generic_code_reads_as_arithmetic():
    g = s2s_ad.value_and_grad(mean_of_a_transposed_update, wrt=(0, 1))
    assert "out=" not in g.general.source and "updated" not in g.general.source
    a, b = np.full((2, 3), 2.0), np.ones((3, 2))
    value, _ = g.general(a, b)
    assert value == pytest.approx(mean_of_a_transposed_update(a, b))


def test_an_update_keeps_its_layout_under_second_order():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.5, 2.0, (4, 3)), rng.uniform(-1.0, 1.0, (3, 4))
    inner = s2s_ad.value_and_grad(mean_of_a_transposed_update, wrt=1)
    h = s2s_ad.jvp(lambda a, b: inner(a, b)[0], wrt="a")
    value, tangent = h(a, b, np.ones_like(a))
    assert value == mean_of_a_transposed_update(a, b)
    assert tangent == pytest.approx(np.sum(0.5 / (a * a.size)))


# operands to try each primitive on, first the array whose memory its result may share
_ARRAY = np.arange(24.0).reshape(2, 3, 4)
_TRIALS = ((_ARRAY,), (_ARRAY, _ARRAY), (_ARRAY, 0), (_ARRAY, (0,)), (_ARRAY, 0, 1),
           (_ARRAY, (4, 6)), (_ARRAY, 1, 2), (_ARRAY, (3, 2, 3, 4)), (_ARRAY, [1]))


def test_every_primitive_that_returns_a_view_says_so():
    """`Primitive.view` is what the checks of `u += v` follow (another name for the array
    sees the update): a view it does not declare is a silently wrong value. Run every
    primitive on an array and compare with NumPy's own answer (np.shares_memory)."""
    from s2s_ad.primitives import PRIMITIVES

    shares, tried = set(), set()
    for name, prim in PRIMITIVES.items():
        if prim.evaluate is None:
            continue
        for args in _TRIALS:
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = prim.evaluate(*args)
            except Exception:  # noqa: BLE001 -- not these operands: try the next
                continue
            tried.add(name)
            items = out if isinstance(out, (list, tuple)) else [out]
            if any(isinstance(o, np.ndarray) and np.shares_memory(o, _ARRAY) for o in items):
                shares.add(name)
            break
    assert {"np.moveaxis", "np.split", "np.broadcast_to", "np.reshape", "T"} <= shares
    assert {"np.copy", "np.sort", "np.roll", "add"} <= tried - shares  # (copies: no view)
    # (a tuple holds its operands, which analysis/aliasing.py follows apart; `keys` reads a
    # dict's keys and `set_items` a set's items, never an array's memory, though each would
    # list an array's rows)
    undeclared = sorted(n for n in shares if not PRIMITIVES[n].view
                        and n not in ("tuple", "keys", "set_items"))
    assert not undeclared, f"views not declared with registry.views: {undeclared}"


def moved_then_updated(u):
    u = u * 1.0
    w = np.moveaxis(u, 0, 1)
    u += 1.0
    return np.sum(w * w)


def split_then_updated(u):
    u = u * 1.0
    a = np.split(u, 2)[0]
    u += 1.0
    return np.sum(a * a)


@pytest.mark.parametrize("fn", [moved_then_updated, split_then_updated])
def test_an_update_seen_through_a_view_is_refused(fn):
    """Found while moving the view facts onto the registry: np.moveaxis and np.split were
    missing from the list of views, and `value_and_grad` gave 14.0 for f's 30.0."""
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match=r"`u \+= \.\.\.` changes the array"):
        s2s_ad.value_and_grad(fn)(np.arange(4.0).reshape(2, 2))


def power_of_an_item(xs, n):
    return xs[1] ** n + xs[0]


def power_of_an_array(x, n):
    return np.sum(x ** n)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_the_power_rule_at_a_zero_base_with_a_run_time_exponent(n):
    """Campaign seed 2402, program 1,820: `xs[1] ** n` at xs[1] == 0 and n == 0 raised
    InfiniteDerivativeError in jvp (its rule wrote n * x ** (n - 1), and 0.0 ** -1 raises),
    where the derivative of the constant x ** 0 is 0; for arrays it gave nan."""
    want = n * 0.0 ** (n - 1) if n != 0 else 0.0
    assert grad(power_of_an_item)([0.0, 0.0], n) == [1.0, want]
    assert jvp(power_of_an_item, wrt="xs")([0.0, 0.0], n, [0.0, 1.0]) == (0.0 ** n, want)
    x = np.array([0.0, 1.5])
    slope = np.array([want, n * 1.5 ** (n - 1)])
    np.testing.assert_array_equal(grad(power_of_an_array)(x, n), slope)
    assert jvp(power_of_an_array, wrt="x")(x, n, np.ones(2))[1] == np.sum(slope)
    curvature = n * (n - 1) * np.array([0.0 ** (n - 2) if n > 2 else float(n == 2), 1.5 ** (n - 2)])
    np.testing.assert_allclose(hvp(power_of_an_array, wrt="x")(x, n, np.ones(2)), curvature)


def stable_softmax_loss(W, b, X, Y):
    z = X @ W + b
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def test_a_max_subtracted_for_stability_keeps_the_shapes_known():
    """np.max's derivative compares in the operand's dtype (`.astype(z.dtype)`): its shape
    is z's, so the bias's adjoint is `.sum(axis=0)`, not a run-time `unbroadcast`."""
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    X, Y = rng.normal(size=(7, 5)), np.eye(3)[rng.integers(0, 3, 7)]
    g = s2s_ad.grad(stable_softmax_loss, wrt=("W", "b"))
    source = g.specialize(W, b, X, Y).source
    assert "unbroadcast" not in source and "broadcast_to" not in source, source
    dW, db = g(W, b, X, Y)
    expected = numerical_grad(stable_softmax_loss, (W, b, X, Y), wrt=(0, 1))
    np.testing.assert_allclose(dW, expected[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(db, expected[1], rtol=1e-6, atol=1e-9)


def unused_on_one_path(W, b, c):
    h = W + b
    if c > 0:
        y = np.sum(h * h)
    else:
        y = 0.0 * c
    return y


def test_a_branch_that_leaves_an_adjoint_zero_keeps_its_shape_known():
    """The adjoint of h is `h + h` on one path and `np.zeros((3, 4))` on the other: the
    join has that shape, so b's adjoint is `dh.sum(axis=0)`, not a run-time unbroadcast."""
    W, b = np.ones((3, 4)), np.arange(4.0)
    g = s2s_ad.grad(unused_on_one_path, wrt=("W", "b"))
    source = g.specialize(W, b, 1.0).source
    assert "unbroadcast" not in source and "dh.sum(axis=0)" in source, source
    for c in (1.0, -1.0):
        expected = numerical_grad(unused_on_one_path, (W, b, c), wrt=(0, 1))
        for got, want in zip(g(W, b, c), expected):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
