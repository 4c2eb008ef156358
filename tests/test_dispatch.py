"""What ``grad`` returns, and users' own rules (README: "The API", "NumPy arrays").

Three kinds of generated function, by what the arguments can be:

- plain: the code proves the arguments are numbers (``math.log(x)``): no wrapper, no checks;
- guarded: plain arithmetic that arrays could also go through (``(a + b) * (b + 1)``): the
  code for floats, whose first line sends anything else to the general version;
- specializing: NumPy code, generated once per argument types, shapes and dtypes.

Then the errors that replace wrong shapes, ``defvjp``/``defjvp``, exported modules run
where s2s_ad cannot be imported, and traps that must never be silently wrong (issue 9).
Values are checked against central differences (``s2s_ad.numeric``).
"""

import inspect
import json
import math
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import s2s_ad
from s2s_ad import (
    DifferentiationError,
    NoDerivativeRuleError,
    NoSourceError,
    UnsupportedSyntaxError,
    grad,
    hessian,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from s2s_ad.export import module_source
from s2s_ad.numeric import central_difference, directional_derivative, numerical_grad

RTOL = 1e-6  # central differences of functions of order one, step 6e-6


def assert_close(got, expected, rtol=RTOL, atol=1e-8):
    """Same structure; each leaf has the expected shape and value (a number for a number)."""
    if isinstance(expected, (tuple, list)):
        assert type(got) is type(expected) and len(got) == len(expected), (got, expected)
        for g, e in zip(got, expected):
            assert_close(g, e, rtol, atol)
        return
    assert np.shape(got) == np.shape(expected), (got, expected)
    assert isinstance(got, np.ndarray) == isinstance(expected, np.ndarray), (got, expected)
    assert np.allclose(got, expected, rtol=rtol, atol=atol), (got, expected)


def rng(seed=0):
    return np.random.default_rng(seed)


def fresh(fn):
    """A new function object with ``fn``'s code: transforms are cached per function, and
    the tests that count specializations need their own."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


# --- 1. a function of numbers: the generated function itself --------------------------------
def log_mul_sin(x, y):
    return math.log(x) + x * y - math.sin(y)


def test_numbers_proven_by_the_code_give_a_plain_function():
    g = grad(log_mul_sin, wrt=("x", "y"))
    assert not hasattr(g, "specialize") and not hasattr(g, "general")
    assert "__class__" not in g.source
    assert g.source.startswith("def log_mul_sin_grad(x, y):\n")
    assert g.__wrapped__ is log_mul_sin
    assert g(2.0, 5.0) == pytest.approx((5.5, 2.0 - math.cos(5.0)), rel=1e-15)


# --- 2. plain arithmetic: the code for floats behind a class check ---------------------------
def plain(a, b):
    return (a + b) * (b + 1)


def test_plain_arithmetic_gives_the_guarded_function():
    g = grad(fresh(plain), wrt=("a", "b"))
    lines = g.source.splitlines()
    assert lines[0] == "def plain_grad(a, b):"
    assert lines[1].strip() == "if a.__class__ is not float or b.__class__ is not float:"
    assert lines[2].strip() == "return plain_grad_any(a, b)"
    assert g(2.0, 3.0) == (4.0, 9.0)  # d/da = b + 1, d/db = (b + 1) + (a + b)
    assert g(-1.5, 0.5) == (1.5, 0.5)
    assert len(g.specializations) == 0  # floats never reach the dispatcher


def test_guarded_function_sends_other_arguments_to_the_general_version():
    g = grad(fresh(plain), wrt=("a", "b"))
    assert g(2, 3) == (4, 9)
    assert len(g.specializations) == 1
    da, db = g(np.float64(2.0), 3.0)
    assert (da, db) == (4.0, 9.0)
    assert len(g.specializations) == 2
    da, db = g(np.array(2.0), 3.0)  # a 0-d array
    assert np.shape(da) == () and (da, db) == (4.0, 9.0)
    assert len(g.specializations) == 3
    assert g(5, 7) == (8, 20)  # (int, int) again: reused
    assert len(g.specializations) == 3
    assert g.specialize(2, 3) is g.specialize(5, 7)
    assert g.general.source != g.source and "__class__" not in g.general.source


def test_the_guarded_gradient_is_one_build_and_the_general_version_waits_until_used(
        monkeypatch):
    """One build per kind of argument: grad builds the code for floats alone; the
    shape-generic code is built when something uses it (issue 16: the transform ran twice)."""
    import s2s_ad.staging as staging

    builds = []
    real = staging.derive
    monkeypatch.setattr(staging, "derive", lambda *a, **k: builds.append(a[-1]) or real(*a, **k))
    g = grad(fresh(plain), wrt=("a", "b"))
    assert builds == [[1.0, 1.0]]  # the floats' key only
    assert g(2.0, 3.0) == (4.0, 9.0) and len(builds) == 1
    assert "__class__" not in g.general.source  # built now, on first use
    assert builds[1:] == [None]
    assert g.general(2.0, 3.0) == (4.0, 9.0) and len(builds) == 2


def test_guarded_vjp_takes_arrays():
    v = vjp(fresh(plain), wrt=("a", "b"))
    assert v.source.splitlines()[1].strip().startswith("if a.__class__ is not float")
    assert v(2.0, 3.0, 1.0) == (4.0, 9.0)
    a, b = np.arange(6.0).reshape(2, 3), 3.0
    da, db = v(a, b, np.ones((2, 3)))
    assert isinstance(da, np.ndarray) and da.shape == a.shape
    assert np.array_equal(da, np.full((2, 3), b + 1))
    assert np.ndim(db) == 0 and not isinstance(db, np.ndarray)
    assert db == np.sum((b + 1) + (a + b))
    assert len(v.specializations) == 1
    v(a + 1.0, b, np.ones((2, 3)))
    assert len(v.specializations) == 1
    v(np.ones((4, 3)), b, np.ones((4, 3)))
    assert len(v.specializations) == 2
    ct = rng().normal(size=(2, 3))
    expected = numerical_grad(lambda a, b: np.sum(ct * plain(a, b)), (a, b), wrt=(0, 1))
    assert_close(v(a, b, ct), expected)


def with_defaults(a, b=2.0, *, c=3.0):
    return (a + b) * (b + c)


def test_guarded_function_keeps_defaults_and_keywords():
    g = grad(with_defaults, wrt=(0, 1, 2))
    assert "c.__class__ is not float" in g.source
    assert g(1.0) == (5.0, 8.0, 3.0)
    assert g(a=1.0, c=3.0) == g(1.0, 2.0, c=3.0) == (5.0, 8.0, 3.0)
    assert g(1, 2, c=3) == (5, 8, 3)
    assert g(a=1, c=4) == (6.0, 9.0, 3.0)


# --- 3. NumPy code: specialized to the shapes -------------------------------------------------
def layer(W, b, X, scale=2.0):
    z = np.tanh(X @ W + b)
    return scale * np.sum(z * z)


def layer_args(batch=4, seed=0):
    r = rng(seed)
    return r.normal(size=(3, 2)), r.normal(size=2), r.normal(size=(batch, 3))


def test_numpy_code_gives_a_specializing_function():
    g = grad(layer, wrt=("W", "b"))
    args = layer_args()
    specialized = g.specialize(*args)
    assert "matmul_vjp" in g.source and "unbroadcast" in g.source  # the shape-generic one
    assert "X.T @" in specialized.source and ".sum(axis=0)" in specialized.source
    assert "matmul_vjp" not in specialized.source and "unbroadcast" not in specialized.source
    assert "__class__" not in specialized.source
    assert specialized.source.startswith("def layer_grad(W, b, X, scale=2.0):")
    assert_close(specialized(*args), g(*args), rtol=1e-14)
    assert_close(g(*args), numerical_grad(layer, args, wrt=(0, 1)))


def test_one_specialization_per_shape():
    g = grad(fresh(layer), wrt=("W", "b"))
    args = layer_args()
    first = g(*args)
    assert len(g.specializations) == 1
    assert_close(g(*args), first, rtol=0, atol=0)
    g(*layer_args(seed=1))  # same shapes, other values
    assert len(g.specializations) == 1
    wide = layer_args(batch=5)
    assert_close(g(*wide), numerical_grad(layer, wide, wrt=(0, 1)))
    assert len(g.specializations) == 2
    assert g.specialize(*args) is g.specialize(*layer_args(seed=2))


def test_keywords_and_defaults_go_through_the_dispatcher():
    g = grad(fresh(layer), wrt=("W", "b"))
    W, b, X = layer_args()
    default = g(W, b, X)
    for got in (g(W, b, X, 3.0), g(W, b, X, scale=3.0), g(W=W, b=b, X=X, scale=3.0),
                g(X=X, scale=3.0, b=b, W=W)):
        assert_close(got, (1.5 * default[0], 1.5 * default[1]), rtol=1e-14, atol=0)
    assert_close(g(W, b, X, scale=3.0),
                 numerical_grad(lambda W, b: layer(W, b, X, scale=3.0), (W, b), wrt=(0, 1)))
    assert len(g.specializations) == 1


def weighted_total(xs, w):
    total = 0.0
    for x in xs:
        total = total + np.sum(x * w)
    return total


def test_lists_of_floats_and_lists_of_arrays_get_their_own_specializations():
    g = grad(fresh(weighted_total), wrt=("xs", "w"))
    w = np.array([1.0, 2.0])
    dxs, dw = g([1.0, 2.0, 3.0], w)
    assert len(dxs) == 3 and all(np.ndim(d) == 0 for d in dxs)
    assert [float(d) for d in dxs] == [3.0, 3.0, 3.0]
    assert_close(dw, np.array([6.0, 6.0]))
    assert len(g.specializations) == 1
    g([4.0, 5.0], w)  # a list of floats of another length: the same one
    assert len(g.specializations) == 1
    xs = [np.array([1.0, 3.0]), np.array([2.0, 5.0])]
    dxs, dw = g(xs, w)
    assert len(g.specializations) == 2
    assert isinstance(dxs, list) and [d.shape for d in dxs] == [(2,), (2,)]
    assert_close(dxs, [w, w])
    assert_close(dw, xs[0] + xs[1])
    expected = numerical_grad(lambda a, b, w: weighted_total([a, b], w), (*xs, w),
                              wrt=(0, 1, 2))
    assert_close([*dxs, dw], list(expected))
    source = g.specialize(xs, w).source
    assert source != g.specialize([1.0], w).source
    assert source.count("unbroadcast(") < g.source.count("unbroadcast(")


def product(xs):
    p = 1.0
    for x in xs:
        p = p * x
    return p


def product_gradient(xs):
    """d/dx_k of x_0 ⋯ x_(n-1), for items away from 0."""
    return np.array([math.prod(xs) / x for x in xs])


def first_two(xs):
    return xs[0] * xs[1]


def test_the_dispatcher_sends_each_kind_of_argument_without_computing_its_key(monkeypatch):
    g = grad(fresh(product))
    kinds = [[1.5, 2.0, 3.0], np.array([1.5, 2.0, 3.0]), np.array([1.5, 2.0]), (1.5, 2.0)]
    expected = [[g(k) for k in kinds]]  # (builds one specialization each)
    assert len(g.specializations) == 4
    keys = []
    monkeypatch.setattr(s2s_ad.staging, "_signature",
                        lambda arg: keys.append(arg) or pytest.fail("a key computed"))
    expected.append([g(k) for k in kinds])  # every kind tested inline: no key computed
    assert keys == []
    for got, before, xs in zip(expected[1], expected[0], kinds):
        assert_close(np.asarray(got), product_gradient(xs), rtol=1e-14)
        assert type(got) is type(before)
    assert [type(got) for got in expected[1]] == [list, np.ndarray, np.ndarray, tuple]


def test_a_list_of_floats_may_hold_ints_where_its_code_gives_floats_for_them():
    g = grad(fresh(product))
    assert g([2.0, 3.0, 4.0]) == [12.0, 8.0, 6.0]
    got = g([2.0, 3, True])  # the same code: each derivative a float times items
    assert got == [3.0, 2.0, 6.0] and all(type(d) is float for d in got)
    assert len(g.specializations) == 1
    h = grad(fresh(first_two))  # dxs[1] += xs[0]: the code is not proven to give floats
    assert h([2.0, 3.0]) == [3.0, 2.0]
    got = h([2.0, 3])
    assert got == [3.0, 2.0] and all(type(d) is float for d in got)
    assert len(h.specializations) == 2  # so a list with an int gets its own


def test_a_list_a_float_cannot_be_added_to_goes_to_the_table():
    g = grad(fresh(weighted_total), wrt=("xs", "w"))
    w = np.array([1.0, 2.0])
    g([1.0, 2.0], w)
    xs = [1.0, np.array([2.0, 5.0])]  # summed to an array: not a list of floats
    dxs, dw = g(xs, w)
    assert np.ndim(dxs[0]) == 0 and dxs[1].shape == (2,)
    assert_close(dw, np.array([3.0, 6.0]))  # 1.0 + [2.0, 5.0]
    with pytest.raises(TypeError):
        g([1.0, "a"], w)  # (the function's own error, not the dispatcher's)


def weighted(xs, /, w=2.0, *, scale=1.0):
    s = 0.0
    for x in xs:
        s = s + w * x * scale
    return s


def uses_builtin_names(xs, len):
    s = 0.0
    for x in xs:
        s = s + x * len
    return s


def test_the_dispatcher_has_the_function_s_parameters():
    g = grad(fresh(weighted), wrt=("xs", "w"))
    assert str(inspect.signature(g)) == str(inspect.signature(weighted))
    assert g([1.0, 2.0]) == ([2.0, 2.0], 3.0)
    assert g([1.0, 2.0], 3.0, scale=2.0) == ([6.0, 6.0], 6.0)
    assert g([1.0, 2.0], scale=2.0) == ([4.0, 4.0], 6.0)
    with pytest.raises(TypeError):
        g(xs=[1.0, 2.0])  # positional only, as in weighted
    h = grad(fresh(uses_builtin_names))  # a parameter named `len`: the table, every call
    assert h([1.0, 2.0], 3.0) == [3.0, 3.0] and h((1.0,), 2.0) == (2.0,)


def test_more_kinds_than_are_tested_inline():
    g = grad(fresh(product))
    for n in range(1, 8):
        theta = np.linspace(1.0, 2.0, n)
        assert_close(g(theta), product_gradient(theta), rtol=1e-14)
        assert_close(g(theta), product_gradient(theta), rtol=1e-14)
    assert len(g.specializations) == 7


def test_threads_adding_kinds_at_once_each_get_their_own_code():
    """Eight threads call one new dispatcher with eight shapes at once: each test added
    (under dispatch.py's lock) sends its shape to its own code."""
    from concurrent.futures import ThreadPoolExecutor

    g = grad(fresh(product))
    thetas = [np.linspace(1.0, 2.0, n) for n in range(2, 10)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(g, thetas))
    for theta, d in zip(thetas, got):
        assert_close(d, product_gradient(theta), rtol=1e-14)
        assert_close(g(theta), product_gradient(theta), rtol=1e-14)


def returns_nothing(a, b):
    a = a * b  # noqa: F841 -- computed, never returned


def calls_a_gradient_of_nothing(x):
    return x * grad(returns_nothing, wrt="a")(x, 1.0)


def test_grad_of_a_function_that_returns_none_raises():
    """Its derivative would be a guess (it was 0.0; found by the fuzzer's minimizer)."""
    for fn in (returns_nothing, calls_a_gradient_of_nothing):
        with pytest.raises(DifferentiationError, match="returns_nothing' returns None"):
            grad(fn, wrt=0)(2.0, 1.0) if fn is returns_nothing else grad(fn)(2.0)


# --- 4. errors instead of wrong shapes ---------------------------------------------------------
def elementwise(x):
    return np.sin(x) * 2.0


def squares(x):
    return np.sum(x * x)


def test_grad_of_an_array_result_raises():
    with pytest.raises(DifferentiationError, match="returns an array"):
        grad(elementwise)(np.ones(3))
    with pytest.raises(DifferentiationError, match="returns an array"):
        grad(plain)(np.ones(3), 1.0)  # the guarded function, through its general version
    g = grad(doubled)  # its derivative, 2.0, would run on an array: the guard stops it
    assert g(1.5) == 2.0
    with pytest.raises(DifferentiationError, match="returns an array"):
        g(np.ones(3))


def doubled(x):
    return x * 2.0


@pytest.mark.parametrize("transform, at_3", [(jacobian, 6.0), (hessian, 2.0)],
                         ids=["jacobian", "hessian"])
def test_jacobian_and_hessian_with_respect_to_an_array(transform, at_3):
    x = np.array([1.0, 2.0, 3.0])
    expected = 2.0 * x if transform is jacobian else np.diag([2.0, 2.0, 2.0])
    np.testing.assert_array_equal(transform(squares)(x), expected)  # out.shape + x.shape
    assert transform(squares)(3.0) == at_3  # numbers are fine
    # an array and a number: a block per pair, shaped out + in (d/dx of 2y x is 2y I)
    blocks = transform(lambda x, y: squares(x) * y, wrt=(0, 1))(x, 2.0)
    if transform is jacobian:
        np.testing.assert_array_equal(blocks[0], 4.0 * x)
        assert blocks[1] == squares(x)
    else:
        (xx, xy), (yx, yy) = blocks
        np.testing.assert_array_equal(xx, np.diag([4.0, 4.0, 4.0]))
        np.testing.assert_array_equal(xy, 2.0 * x)
        np.testing.assert_array_equal(yx, 2.0 * x)
        assert yy == 0.0


def sine_waves(a, b):
    return np.sin(np.arange(1.0, 4.0) * a) * b


def test_jacobian_of_an_array_valued_function_of_numbers_is_forward_mode():
    J = jacobian(sine_waves, wrt=("a", "b"))
    da, db = J(0.5, 2.0)
    assert da.shape == db.shape == (3,)
    assert_close(da, central_difference(lambda t: sine_waves(t, 2.0), 0.5))
    assert_close(db, central_difference(lambda t: sine_waves(0.5, t), 2.0))
    assert_close(jacobian(sine_waves)(0.5, 2.0), da, rtol=1e-14)


def stacked_numbers(a, b):
    return np.array([a * b, a + b, np.sin(a)])


def test_jacobian_of_an_array_built_from_numbers():
    da, db = jacobian(stacked_numbers, wrt=("a", "b"))(1.0, 2.0)
    assert_close(da, central_difference(lambda t: stacked_numbers(t, 2.0), 1.0))
    assert_close(db, central_difference(lambda t: stacked_numbers(1.0, t), 2.0))


def shifted(a, b):
    return np.sin(np.arange(3.0) * a) + b


def test_forward_tangents_have_the_output_shape():
    _, tangent = jvp(shifted, wrt="b")(0.5, 1.0, 1.0)
    assert np.shape(tangent) == (3,)
    _, db = jacobian(shifted, wrt=("a", "b"))(0.5, 1.0)
    assert_close(db, np.ones(3))


def partitioned_sum(x):  # (np.sort has rules since issue 16)
    return np.sum(np.partition(x, 1) * np.arange(3.0))


def fft_sum(x):
    return np.sum(np.abs(np.fft.fft(x)))


@pytest.mark.parametrize("fn, name", [(partitioned_sum, "numpy.partition"),
                                     (fft_sum, "numpy.fft.fft")])
def test_unknown_numpy_function_raises_naming_it(fn, name):
    with pytest.raises(NoDerivativeRuleError, match=name.replace(".", r"\.")) as info:
        grad(fn)(np.ones(3))
    assert "s2s_ad.defvjp" in str(info.value)


def sum_into(x):
    out = np.zeros(())
    return np.sum(x, out=out)


def sum_as(x):
    return np.sum(x, dtype=np.float32)


@pytest.mark.parametrize("fn, what", [(sum_into, "out="), (sum_as, "dtype=")])
def test_unsupported_keywords_raise(fn, what):
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(UnsupportedSyntaxError, match=what) as info:
        grad(fn)(x)
    assert "axis=, keepdims=" in str(info.value)  # the keywords np.sum takes
    assert np.array_equal(x, [1.0, 2.0, 3.0])


# --- 5. user rules -----------------------------------------------------------------------------
def _without_source(name, body):
    """A function compiled from a string: s2s_ad cannot read its source."""
    namespace = {"np": np}
    exec(f"def {name}(x):\n    return {body}\n", namespace)
    return namespace[name]


dispatch_cube = _without_source("dispatch_cube", "x * x * x")
dispatch_unregistered = _without_source("dispatch_unregistered", "x * x")


def dispatch_cube_vjp(g, x):
    return g * 3.0 * x * x


def dispatch_cube_jvp(dx, x):
    return 3.0 * x * x * dx


s2s_ad.defvjp(dispatch_cube, dispatch_cube_vjp)
s2s_ad.defjvp(dispatch_cube, dispatch_cube_jvp)


def uses_cube(x, y):
    return np.sum(dispatch_cube(x) * y) + np.sum(np.sin(x))


def uses_cube_of_number(x):
    return dispatch_cube(x) + math.sin(x)


def uses_unregistered(x):
    return dispatch_unregistered(x) + x


def test_a_function_without_source_needs_a_rule():
    with pytest.raises(NoSourceError, match="dispatch_unregistered"):
        grad(uses_unregistered)(1.0)


def test_user_vjp_of_a_function_without_source():
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, -2.0])
    g = grad(uses_cube, wrt=("x", "y"))
    assert_close(g(x, y), numerical_grad(uses_cube, (x, y), wrt=(0, 1)))
    source = g.specialize(x, y).source
    assert "dispatch_cube_vjp(" in source and "dispatch_cube(x)" in source  # dy = x ** 3
    gs = grad(uses_cube_of_number)
    assert "dispatch_cube_vjp(" in gs.source
    assert gs(0.7) == pytest.approx(3 * 0.49 + math.cos(0.7), rel=1e-14)
    value, dx = value_and_grad(uses_cube_of_number)(0.7)
    assert value == uses_cube_of_number(0.7)


def test_user_jvp_for_forward_mode():
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, -2.0])
    u = np.array([0.3, -0.6, 0.2])
    j = jvp(uses_cube, wrt="x")
    value, tangent = j(x, y, u)
    assert value == uses_cube(x, y)
    assert tangent == pytest.approx(directional_derivative(uses_cube, (x, y), (u, None)),
                                    rel=RTOL)
    assert "dispatch_cube_jvp(" in j.specialize(x, y, u).source
    assert jvp(uses_cube_of_number)(0.7, 1.0)[1] == pytest.approx(3 * 0.49 + math.cos(0.7))


def dispatch_rank_weighted(x):
    """np.sort inside: the k-th smallest entry times k + 1."""
    return np.sort(x) * np.arange(1.0, len(x) + 1)


def dispatch_rank_weighted_vjp(g, x):
    out = np.zeros_like(x)
    out[np.argsort(x)] = g * np.arange(1.0, len(x) + 1)
    return out


s2s_ad.defvjp(dispatch_rank_weighted, dispatch_rank_weighted_vjp)


def uses_sort(x):
    return np.sum(dispatch_rank_weighted(x * 2.0) ** 2)


def test_user_vjp_of_sort_based_code():
    x = np.array([0.3, -1.1, 0.9, 0.1])
    g = grad(uses_sort)
    assert_close(g(x), numerical_grad(uses_sort, (x,)))
    source = g.specialize(x).source
    assert "dispatch_rank_weighted_vjp(" in source and "dispatch_rank_weighted(" in source


def dispatch_fft_real(x):
    return np.real(np.fft.fft(x))


# the real part of the DFT is x -> C x with C symmetric, so both rules apply C again
s2s_ad.defvjp(dispatch_fft_real, lambda g, x: np.real(np.fft.fft(g)))
s2s_ad.defjvp(dispatch_fft_real, lambda dx, x: np.real(np.fft.fft(dx)))


def uses_fft(x, w):
    return np.sum(np.sin(dispatch_fft_real(x * w)))


def test_user_rules_for_fft_code():
    r = rng(3)
    x, w, u = r.normal(size=4), r.normal(size=4), r.normal(size=4)
    g = grad(uses_fft, wrt=("x", "w"))
    assert_close(g(x, w), numerical_grad(uses_fft, (x, w), wrt=(0, 1)))
    assert "dispatch_fft_real_vjp0(" in g.specialize(x, w).source  # a lambda's name
    _, tangent = jvp(uses_fft)(x, w, u)
    assert tangent == pytest.approx(directional_derivative(uses_fft, (x, w), (u, None)),
                                    rel=RTOL)


def dispatch_product(x, y):
    return x * y


s2s_ad.defvjp(dispatch_product, lambda g, x, y: g * y, None)


def uses_product(x, y):
    return np.sum(dispatch_product(x, y) + y * 0.5)


def test_user_function_of_two_arguments_and_a_none_rule():
    assert grad(uses_product, wrt=("x", "y"))(2.0, 3.0) == (3.0, 0.5)
    dy = grad(uses_product, wrt="y")(np.ones(3), np.arange(3.0))
    assert_close(dy, np.full(3, 0.5))  # the None rule adds nothing
    only = grad(lambda x, y: dispatch_product(x, y), wrt=("x", "y"))
    assert only(2.0, 3.0) == (3.0, 0.0)
    with pytest.raises(s2s_ad.DifferentiationError, match="returns an array"):
        only(np.ones(2), np.array([4.0, 5.0]))  # (it gave the elementwise derivative)
    each = s2s_ad.elementwise_grad(lambda x, y: dispatch_product(x, y), wrt=("x", "y"))
    dx, dy = each(np.ones(2), np.array([4.0, 5.0]))
    assert_close(dx, np.array([4.0, 5.0]))
    assert isinstance(dy, np.ndarray) and np.array_equal(dy, np.zeros(2))


def test_registering_another_number_of_rules_raises():
    with pytest.raises(TypeError, match="registered with 2 rules, now 1"):
        s2s_ad.defvjp(dispatch_product, lambda g, x, y: g * y)
    with pytest.raises(TypeError, match="registered with 2 rules, now 3"):
        s2s_ad.defjvp(dispatch_product, None, None, None)
    with pytest.raises(TypeError, match="registered with 1 rules, now 2"):
        s2s_ad.defvjp(dispatch_cube, dispatch_cube_vjp, None)
    with pytest.raises(TypeError, match="register a function"):
        s2s_ad.defvjp(3.0, None)
    assert grad(uses_product, wrt=("x", "y"))(2.0, 3.0) == (3.0, 0.5)  # still registered


def softplus(x):
    return np.logaddexp(0.0, x)


s2s_ad.defvjp(softplus, lambda g, x: g / (1.0 + np.exp(-x)))


def test_readme_softplus_example():
    got = grad(lambda x: np.sum(softplus(x) * 2.0))(np.zeros(3))
    assert isinstance(got, np.ndarray) and np.array_equal(got, np.ones(3))


def _scaler(k):
    def scale(x):
        return k * x
    return scale


dispatch_double, dispatch_quintuple = _scaler(2.0), _scaler(5.0)
s2s_ad.defvjp(dispatch_double, lambda g, x: 2.0 * g)
s2s_ad.defvjp(dispatch_quintuple, lambda g, x: 5.0 * g)


def uses_double(x):
    return dispatch_double(x) * 1.0


def test_functions_with_the_same_qualname_keep_their_own_rules():
    assert value_and_grad(uses_double)(1.0) == (2.0, 2.0)


# --- 6. exported modules run without s2s_ad ----------------------------------------------------
def smooth(x, w):
    return np.sum(np.tanh(x * w) ** 2) + np.sum(x)


_HIDE_S2S_AD = """
import sys

class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "s2s_ad" or name.startswith("s2s_ad."):
            raise ImportError("s2s_ad is hidden in this test")

sys.meta_path.insert(0, _Hide())
try:
    import s2s_ad
except ImportError:
    pass
else:
    raise SystemExit("s2s_ad is still importable")
"""


def leaves(value):
    """[shape, entries as floats] of each array or number in ``value``, depth first."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [[list(np.shape(value)), np.asarray(value, dtype=float).ravel().tolist()]]


_RUN_EXPORTS = """
import json
from pathlib import Path

import numpy as np
""" + inspect.getsource(leaves) + """
results = {}
for path, name, calls in json.loads(sys.argv[1]):
    namespace = {}  # a fresh module namespace
    exec(compile(Path(path).read_text(), path, "exec"), namespace)
    fn = namespace[name]
    results[path] = [leaves(fn(*eval(args, {"np": np}))) for args in calls]
assert not any(m.startswith("s2s_ad") for m in sys.modules)
print(json.dumps(results))
"""

def slice_read_twice(x):
    u = x[1:]  # a list or an array: its whole and item adjoints meet in merge_adjoints
    return np.sum(u[1:]) + np.sum(u)


def transpose_read_in_a_branch(x, s):
    u = x.T
    if s < 0.0:  # not taken: u's adjoint is zero_adjoint(u), zeros of its shape
        s = s + np.sum(u @ x)
    return s


EXPORT_CASES = [  # (transform, argument tuples, as source evaluated in both processes)
    (lambda: grad(smooth, wrt=("x", "w")), [
        "(0.7, 1.3)", "(2, -1)", "(np.float64(0.4), 0.9)",
        "(np.array([0.1, -0.2, 0.3]), 1.5)",
        "(np.array([[0.1], [-0.4]]), np.array([0.5, 1.0, -2.0]))"]),
    (lambda: grad(plain, wrt=("a", "b")), ["(2.0, 3.0)", "(2, 3)", "(np.float64(2.5), 3.0)"]),
    (lambda: vjp(plain, wrt=("a", "b")), [
        "(2.0, 3.0, 1.0)", "(np.arange(6.0).reshape(2, 3), 3.0, np.ones((2, 3)))",
        "(np.array([[1.0], [2.0]]), np.array([0.5, 1.5, 2.5]), np.ones((2, 3)))"]),
    (lambda: grad(slice_read_twice), ["(np.array([0.1, 0.2, 0.3]),)", "([0.1, 0.2, 0.3],)"]),
    (lambda: grad(transpose_read_in_a_branch, wrt=(0, 1)), [
        "(np.ones((2, 3)), 1.0)", "(np.ones((2, 3)), -1.0)"]),
]


def test_exported_modules_run_without_s2s_ad(tmp_path):
    jobs, expected = [], {}
    for k, (make, calls) in enumerate(EXPORT_CASES):
        g = make()
        path = tmp_path / f"exported_{k}.py"
        path.write_text(module_source(g))
        jobs.append((str(path), g.__name__, calls))
        expected[str(path)] = [leaves(g(*eval(args, {"np": np}))) for args in calls]
    assert "__class__" not in (tmp_path / "exported_1.py").read_text()  # the general version
    script = _HIDE_S2S_AD + textwrap.dedent(_RUN_EXPORTS)
    done = subprocess.run([sys.executable, "-I", "-c", script, json.dumps(jobs)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got.keys() == expected.keys()
    for path, calls in expected.items():
        for call, (got_call, want_call) in enumerate(zip(got[path], calls, strict=True)):
            for (shape, entries), (want_shape, want) in zip(got_call, want_call, strict=True):
                assert shape == want_shape, (path, call, shape, want_shape)
                assert np.allclose(entries, want, rtol=1e-12, atol=0), (path, call, entries, want)


def test_exported_gradients_are_right():
    """The exported (shape-generic) code against central differences, in this process."""
    namespace: dict = {}
    exec(compile(module_source(grad(smooth, wrt=("x", "w"))), "exported.py", "exec"),
         namespace)
    smooth_grad = namespace["smooth_grad"]
    for args in [(0.7, 1.3), (np.array([0.1, -0.2, 0.3]), 1.5),
                 (np.array([[0.1], [-0.4]]), np.array([0.5, 1.0, -2.0]))]:
        assert_close(smooth_grad(*args), numerical_grad(smooth, args, wrt=(0, 1)))


# --- 7. never silently wrong: operators only ---------------------------------------------------
def divide(x, b):
    return x / b


def power(x, b):
    return x ** b


def divide_reduced(x, b, u, v):
    return u @ (x / b) @ v


def power_reduced(x, b, u, v):
    return u @ (x ** b) @ v


OPERAND_SHAPES = [((3,), ()), ((), (3,)), ((3, 1), (4,))]


def _operand(r, shape):
    value = r.uniform(0.5, 2.0, shape)
    return float(value) if shape == () else value


@pytest.mark.parametrize("fn", [divide, power])
@pytest.mark.parametrize("shapes", OPERAND_SHAPES, ids=["array-float", "float-array", "3x1-4"])
def test_operator_gradients_have_their_operands_shapes(fn, shapes):
    r = rng(7)
    x, b = (_operand(r, s) for s in shapes)
    ct = r.normal(size=np.shape(fn(x, b)))
    before = [np.copy(x), np.copy(b), ct.copy()]
    dx, db = vjp(fn, wrt=("x", "b"))(x, b, ct)
    for d, operand in ((dx, x), (db, b)):
        assert np.shape(d) == np.shape(operand)
        assert isinstance(d, np.ndarray) == isinstance(operand, np.ndarray)
    expected = numerical_grad(lambda x, b: np.sum(ct * fn(x, b)), (x, b), wrt=(0, 1))
    assert_close((dx, db), expected)
    assert all(np.array_equal(a, c) for a, c in zip((x, b, ct), before))  # nothing written


@pytest.mark.parametrize("fn", [divide_reduced, power_reduced])
def test_operator_gradients_through_grad(fn):
    r = rng(8)
    x, b = r.uniform(0.5, 2.0, (3, 1)), r.uniform(0.5, 2.0, 4)
    u, v = r.normal(size=3), r.normal(size=4)
    before = [a.copy() for a in (x, b, u, v)]
    dx, db = grad(fn, wrt=("x", "b"))(x, b, u, v)
    assert dx.shape == (3, 1) and db.shape == (4,)
    assert_close((dx, db), numerical_grad(fn, (x, b, u, v), wrt=(0, 1)))
    assert all(np.array_equal(a, c) for a, c in zip((x, b, u, v), before))
    xs, bs = 1.3, 0.7  # numbers: the guarded code; (3,)-arrays: the general version
    assert grad(divide, wrt=(0, 1))(xs, bs) == pytest.approx((1 / bs, -xs / bs ** 2))


def cubic_and_half(x):
    return x / 2 + x ** 3


def test_integer_numbers_are_not_truncated():
    assert grad(cubic_and_half)(3) == 27.5
    assert grad(lambda x: x ** 3 + 2 * x)(3) == 29
    assert grad(divide, wrt=("x", "b"))(1, 2) == (0.5, -0.25)
    assert grad(lambda x, b: x // b + x % b, wrt=(0, 1))(7, 2) == (1, -3)
    assert grad(power, wrt=(0, 1))(2, 3) == pytest.approx((12, 8 * math.log(2)), rel=1e-15)


def test_an_int_argument_gets_a_float_gradient_where_it_decides_a_branch():
    """Found while moving the kinds tables onto the registry: `x` decides `if x < 0`, so it is
    proven a number and the code for floats did not check it, though for an int `x` the
    gradient `d(-x * y)/dy = -x` came out the int 1. The check now takes every number whose
    int would make a derivative one, and only those: a loop count stays unchecked."""
    from support import load_example

    control_flow = load_example("control_flow")
    dx, dy = grad(control_flow.piecewise, wrt=("x", "y"))(-1, 2.0)
    assert (dx, dy) == (-2.0, 1.0) and type(dx) is float and type(dy) is float
    g = grad(control_flow.simulate, wrt=("x", "w"))
    assert "n.__class__" not in g.source and "x.__class__ is not float" in g.source
    assert type(g(0.5, 1.3, 3)[1]) is float


def picks(x):
    return x[0] * 0.5 + x[1] / 4 + x[2] * x[2]


def test_integer_arrays_are_not_truncated():
    xi = np.array([1, 2, 3])
    before = xi.copy()
    ones = np.ones(3, dtype=int)
    assert_close(vjp(cubic_and_half)(xi, ones), 0.5 + 3.0 * xi ** 2, rtol=1e-15)
    assert_close(vjp(divide, wrt=(0, 1))(xi, 4, ones), (np.full(3, 0.25), -6 / 16),
                 rtol=1e-15)
    assert_close(vjp(power, wrt=(0, 1))(xi, 0.5, ones),
                 (0.5 / np.sqrt(xi), float(np.sum(np.sqrt(xi) * np.log(xi)))), rtol=1e-14)
    assert_close(vjp(power, wrt=(0, 1))(2, xi, ones),
                 (17.0, 2.0 ** xi * math.log(2)), rtol=1e-14)
    assert_close(grad(picks)(xi), np.array([0.5, 0.25, 6.0]), rtol=1e-15)  # filled in place
    assert np.array_equal(xi, before) and xi.dtype == before.dtype
