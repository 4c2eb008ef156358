"""Transforms of transforms, on programs written the way people write them.

Each row is an ordinary scientific or ML function of one array (or number) ``x``. The
Hessian-vector product is taken four ways -- ``hvp(f)``, ``jvp(grad(f))`` (forward over
reverse), ``vjp(grad(f))`` (reverse over reverse) and, for a number, ``grad(grad(f))`` --
and each is checked against Richardson differences of ``grad(f)`` along ``v``: the oracle
differentiates the inner result, so a zero where the function depends on ``x`` fails.
One class of bug per test below the table, each found in a program like these.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

import s2s_ad
from s2s_ad.numeric import richardson


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def corners(x):
    return x[0] * x[2] + np.sum(x ** 2)


def tail_squares(x):
    return np.sum(x[1:] * x[1:])


def reversed_weights(x):
    return np.sum(x[::-1] * x) + x[-1] * x[0] ** 2


def quadratic_form(x):
    S = np.array([[2.0, 0.5, 0.1], [0.5, 3.0, 0.2], [0.1, 0.2, 1.5]])
    return x @ np.linalg.solve(S, x)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax_entropy(x):
    p = np.exp(x) / np.sum(np.exp(x))
    return -np.sum(p * np.log(p))


def tanh_layer(x):
    W = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3]])
    h = np.tanh(W @ x)
    return np.sum(h * h)


def euler(x):
    y = x
    for _ in range(6):
        y = y + 0.1 * np.sin(y) * x
    return np.sum(y)


def rk4(x):
    y = x
    h = 0.05
    for _ in range(4):
        k1 = -y * y
        k2 = -(y + 0.5 * h * k1) ** 2
        k3 = -(y + 0.5 * h * k2) ** 2
        k4 = -(y + h * k3) ** 2
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(y * x)


def recurrence(x):
    s = 0.0
    for i in range(len(x)):
        s = s * 0.5 + math.sin(x[i] * (i + 1))
    return s


def built_from_list(x):
    vals = []
    for k in range(3):
        vals.append(math.sin(x[0] * k) + x[1])
    return np.sum(np.array(vals) ** 2)


def stacked(x):
    rows = []
    for k in range(2):
        rows.append(x * (k + 1.0))
    return np.sum(np.stack(rows) ** 3)


def stacked_sideways(x):
    rows = []
    for k in range(3):
        rows.append(x * (k + 1.0))
    return np.sum(np.stack(rows, axis=1) ** 3 * np.arange(3.0 * x.size).reshape(x.size, 3))


def concatenated(x):
    pieces = []
    for k in range(3):
        pieces.append(np.sin(x[: k % 2 + 1]))
    return np.sum(np.concatenate(pieces) ** 2 * np.arange(4.0))


def scalar_loop(t):
    for _ in range(5):
        t = t + 0.1 * math.sin(1.3 * t)
    return t


def scalar_newton(a):
    y = 1.0
    for _ in range(6):
        y = y - (y * y - a) / (2.0 * y)
    return y * y * y


ARRAYS = [rosen, corners, tail_squares, reversed_weights, quadratic_form, logsumexp,
          softmax_entropy, tanh_layer, euler, rk4, recurrence, built_from_list, stacked,
          stacked_sideways, concatenated]
NUMBERS = [scalar_loop, scalar_newton]
POINT = np.array([1.2, -0.5, 0.8])
ROSEN_POINT = np.array([1.2, -0.5, 0.8, 1.5, 0.3])


def _point(f):
    return ROSEN_POINT.copy() if f is rosen else POINT.copy()


def _difference_of_gradient(f, x, v):
    """d/dt grad(f)(x + t v) at 0, by Richardson extrapolation of central differences."""
    g = s2s_ad.grad(f)
    return richardson(lambda t: np.asarray(g(x + t * v), dtype=float), 0.0)


@pytest.mark.parametrize("f", ARRAYS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("way", ["hvp", "jvp_of_grad", "vjp_of_grad"])
def test_hessian_vector_products_of_array_programs(f, way):
    x = _point(f)
    v = np.linspace(0.3, -0.7, x.size)
    expected = _difference_of_gradient(f, x, v)
    if way == "hvp":
        got = s2s_ad.hvp(f)(x, v)
    elif way == "jvp_of_grad":
        got = s2s_ad.jvp(s2s_ad.grad(f))(x, v)[1]
    else:  # the Hessian is symmetric: vᵀH = Hv
        got = s2s_ad.vjp(s2s_ad.grad(f))(x, v)
    assert np.asarray(got).shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
    assert np.any(got != 0.0)


@pytest.mark.parametrize("f", NUMBERS, ids=lambda f: f.__name__)
def test_second_derivatives_of_number_programs(f):
    t = 0.7
    expected = richardson(s2s_ad.grad(f), t)
    for got in (s2s_ad.grad(s2s_ad.grad(f))(t), s2s_ad.hessian(f)(t), s2s_ad.hvp(f)(t, 1.0),
                s2s_ad.jvp(s2s_ad.grad(f))(t, 1.0)[1], s2s_ad.vjp(s2s_ad.grad(f))(t, 1.0)):
        assert got == pytest.approx(expected, rel=1e-7)


def test_the_issue_reproducers():
    x = ROSEN_POINT
    row0 = [1930.0, -480.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(s2s_ad.vjp(s2s_ad.grad(rosen))(x, np.eye(5)[0]), row0)
    np.testing.assert_allclose(s2s_ad.hvp(rosen)(x, np.eye(5)[0]), row0)
    with pytest.raises(s2s_ad.DifferentiationError, match="returns an array"):
        s2s_ad.grad(s2s_ad.grad(rosen))(x)

    def f(w):
        vals = []
        for k in range(3):
            vals.append(math.sin(w * k))
        return np.sum(np.array(vals) ** 2)

    expected = 2 * sum(math.sin(0.3 * k) * math.cos(0.3 * k) * k for k in range(3))
    assert expected == pytest.approx(2.42872, abs=1e-5)
    for g in (s2s_ad.grad(f), s2s_ad.grad(f, optimize=False)):
        assert g(0.3) == pytest.approx(expected, rel=1e-12)
    assert s2s_ad.jvp(f)(0.3, 1.0)[1] == pytest.approx(expected, rel=1e-12)


def test_a_reversed_loop_differentiated_again_runs_forward():
    # the index of an adjoint loop matters when it is reversed again (it used to run
    # backward twice, pairing iteration k's tape entry with index n - 1 - k)
    def f(w):
        s = 0.0
        for k in range(4):
            s = s + math.sin(w * k) * k
        return s

    g = s2s_ad.grad(f)
    assert s2s_ad.grad(g)(0.3) == pytest.approx(richardson(g, 0.3), rel=1e-9)


def test_a_gradient_with_a_tape_differentiated_again_pops_each_entry_once():
    def sim(x, w):
        for _ in range(5):
            x = x + 0.1 * math.sin(w * x)
        return x

    g = s2s_ad.grad(sim, wrt=(0, 1))
    gg = s2s_ad.grad(lambda x, w: g(x, w)[0] * 2.0 + g(x, w)[1], wrt=(0, 1))
    expected = [richardson(lambda t: 2.0 * g(t, 1.3)[0] + g(t, 1.3)[1], 0.5),
                richardson(lambda t: 2.0 * g(0.5, t)[0] + g(0.5, t)[1], 1.3)]
    assert gg(0.5, 1.3) == pytest.approx(expected, rel=1e-8)


def test_hvp_over_lists_and_dicts():
    def f(xs):
        return xs[0] * xs[1] ** 2 + math.sin(xs[2])

    expected = [0.0, 4.0, -math.sin(0.5)]
    assert s2s_ad.hvp(f)([1.0, 2.0, 0.5], [1.0, 0.0, 1.0]) == pytest.approx(expected)

    def g(d):
        return d["a"] * d["b"] ** 3

    got = s2s_ad.hvp(g)({"a": 2.0, "b": 1.5}, {"a": 1.0, "b": 1.0})
    assert got == pytest.approx({"a": 3 * 1.5 ** 2, "b": 3 * 1.5 ** 2 + 6 * 2 * 1.5})


def test_jacobian_and_hessian_with_respect_to_an_array():
    def seed(x):  # the seeds' Jacobian example, with a NumPy x
        return np.array([x[0] ** 2 + x[1], x[1] * x[2]])

    jac = s2s_ad.jacobian(seed)(np.array([1.0, 2.0, 3.0]))
    assert jac.tolist() == [[2.0, 1.0, 0.0], [0.0, 3.0, 2.0]]
    x = ROSEN_POINT
    hess = s2s_ad.hessian(rosen)(x)
    assert hess.shape == (5, 5)
    np.testing.assert_allclose(hess[0], [1930.0, -480.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(s2s_ad.jacobian(s2s_ad.grad(rosen))(x), hess)
    expected = np.array([_difference_of_gradient(rosen, x, e) for e in np.eye(5)])
    np.testing.assert_allclose(hess, expected, rtol=1e-7, atol=1e-6)
    # a matrix argument: shape out + in; float32 stays float32
    X = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    hess32 = s2s_ad.hessian(lambda X: np.sum(X ** 3))(X)
    assert hess32.shape == (2, 3, 2, 3) and hess32.dtype == np.float32
    np.testing.assert_allclose(hess32.reshape(6, 6), np.diag(6.0 * X.ravel()))


def test_the_hessian_is_one_batched_sweep():
    source = s2s_ad.hessian(rosen).specialize(ROSEN_POINT).source
    assert "for " not in source and "np.eye(5)" in source  # the unit vectors as one batch
    assert source.count("x[:-1]") == 1  # slices of x are read once, for every column
    assert "dx_2" not in source  # the gradient beside the tangent is dead: gone


def test_lists_where_numpy_takes_arrays():
    def loss(w, X, y):
        return np.sum((X @ w - y) ** 2)

    X = [[1.0, 2.0], [3.0, 4.0]]
    got = s2s_ad.grad(loss, wrt=(0, 1))(np.ones(2), X, np.zeros(2))
    np.testing.assert_allclose(got[0], [48.0, 68.0])
    np.testing.assert_allclose(got[1], [[6.0, 6.0], [14.0, 14.0]])
    assert isinstance(got[1], np.ndarray)  # a list used as an array gets an array gradient

    def scaled(X, w):
        return np.sum(X * w)

    dX, dw = s2s_ad.grad(scaled, wrt=(0, 1))([1, 2], np.array([3.0, 4.0]))
    assert dX.tolist() == [3.0, 4.0] and dw.tolist() == [1.0, 2.0]
    assert dw.dtype == np.float64  # d/dw is X, ints: the gradient of a float array is float

    def both(X, w):
        return np.sum(X @ w) + X[0][0]

    with pytest.raises(s2s_ad.DifferentiationError, match="used as an array .* and as a list"):
        s2s_ad.grad(both)([[1.0, 2.0], [3.0, 4.0]], np.ones(2))


def test_second_order_through_gradient_only_primitives():
    # np.inner of matrices differentiates to np.tensordot, x.sum(axis=0) to .sum
    A = np.arange(6.0).reshape(2, 3) / 7
    B = np.cos(np.arange(12.0)).reshape(4, 3)
    V = np.sin(np.arange(6.0)).reshape(2, 3)

    def f(A, B):
        return np.sum(np.inner(A, B) ** 2)

    g = s2s_ad.grad(f)
    expected = richardson(lambda t: g(A + t * V, B), 0.0)
    np.testing.assert_allclose(s2s_ad.vjp(g)(A, B, V), expected, rtol=1e-8)
    np.testing.assert_allclose(s2s_ad.hvp(f)(A, B, V), expected, rtol=1e-8)

    def columns(X):
        return np.sum(X.sum(axis=0) ** 2)

    X = np.arange(6.0).reshape(3, 2)
    gc = s2s_ad.grad(columns)
    np.testing.assert_allclose(s2s_ad.vjp(gc)(X, np.ones((3, 2))),
                               richardson(lambda t: gc(X + t), 0.0), rtol=1e-8)


def test_nested_loops_differentiated_twice():
    def nested(x, w):
        s = 0.0
        for i in range(3):
            for j in range(2):
                s = s + math.sin(w * x * (i + j))
        return s

    g = s2s_ad.grad(nested)
    expected = richardson(lambda t: g(t, 1.3), 0.5)
    assert s2s_ad.grad(g)(0.5, 1.3) == pytest.approx(expected, rel=1e-8)
    assert s2s_ad.hessian(nested)(0.5, 1.3) == pytest.approx(expected, rel=1e-8)


def test_a_missing_rule_of_a_step_s2s_ad_generated_says_to_compose_another_way():
    from s2s_ad.primitives.registry import no_rule_hint

    assert no_rule_hint("np.sin", "defvjp") == "register one with s2s_ad.defvjp"
    hint = no_rule_hint("zero_gradient", "defvjp")
    assert "step of a derivative s2s_ad generated" in hint and "hvp" in hint


def test_reverse_over_reverse_reads_the_item_adjoints_of_a_tuple_adjoint():
    # the gradient fills dp[k % 2] and reads dp[0]: differentiated again, the read's
    # adjoint goes back through the fill (it was dropped: 0.026 for 0.077)
    def f(y):
        for k in range(3):
            p = (y * y, 0.25)
            y = math.sin(p[k % 2] * y)
        return y

    g = s2s_ad.grad(f)
    expected = richardson(g, 0.7)
    assert s2s_ad.grad(g)(0.7) == pytest.approx(expected, rel=1e-8)
    assert s2s_ad.hessian(f)(0.7) == pytest.approx(expected, rel=1e-8)


def test_a_list_made_in_a_recomputed_body_is_filled_again():
    # a loop body (or a branch) that makes a list and appends to it is run again by the
    # backward sweep: the list was recomputed empty (0 for np.sum(np.array(vals) ** 2))
    def per_step(w):
        s = 0.0
        for i in range(2):
            vals = []
            for j in range(3):
                vals.append(math.sin(w * (i + j)))
            s = s + np.sum(np.array(vals) ** 2) * s + w
        return s

    def in_branch(x, c):
        if c[0]:
            vals = [1.0]
            for i in range(3):
                vals.append(np.concatenate([x[0], x[i % 2]]))
            x = np.sum(np.array(vals[1:])) * x
        return np.sum(x)

    g = s2s_ad.grad(per_step)
    assert g(0.3) == pytest.approx(richardson(per_step, 0.3), rel=1e-8)
    assert s2s_ad.hessian(per_step)(0.3) == pytest.approx(richardson(g, 0.3), rel=1e-7)
    x, c = np.array([[1.5, 0.2, -0.3], [0.5, 0.1, 1.5]]), np.array([1.0, 0.0])
    v = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    got = np.sum(s2s_ad.grad(in_branch)(x, c) * v)
    assert got == pytest.approx(richardson(lambda t: in_branch(x + t * v, c), 0.0), rel=1e-8)


def test_reverse_over_a_number_added_into_a_slice_sums_its_part():
    def f(x, b):
        b = b[::1] * x[0, 0]  # the gradient adds x[0, 0] into db[::1], a number into a slice
        return np.sum(b)

    x, b = np.arange(8.0).reshape(2, 4) / 3, np.linspace(-1.0, 1.0, 4)
    cts = (np.ones_like(x), np.linspace(0.5, 2.0, 4))
    dx, db = s2s_ad.vjp(s2s_ad.grad(f, wrt=(0, 1)), wrt=(0, 1))(x, b, cts)
    assert dx[0, 0] == pytest.approx(np.sum(cts[1])) and np.all(dx.ravel()[1:] == 0.0)
    np.testing.assert_allclose(db, np.full(4, cts[0][0, 0]))


def test_a_jacobian_of_arrays_is_never_the_numbers_code():
    # f reads no array op, so the numbers code would run for arrays, with each argument
    # seeded with 1.0: shapes of the gradient, not of the Jacobian
    def const(x, b):
        return 1.0

    g = s2s_ad.grad(const, wrt=(0, 1))
    x = np.array([1.0, 2.0, 3.0])
    blocks = s2s_ad.jacobian(g, wrt=(0, 1))(x, x)  # d(dx, db)/d(x, b): four blocks
    assert [[block.shape for block in row] for row in blocks] == [[(3, 3)] * 2] * 2
    assert not any(block.any() for row in blocks for block in row)
    assert s2s_ad.jacobian(s2s_ad.grad(const))(x, x).shape == (3, 3)


def test_shape_generic_code_takes_a_list_where_numpy_takes_an_array():
    def f(W, L):
        return np.mean(L @ W)

    W, L = np.arange(8.0).reshape(4, 2), [[0.5, 0.0, 0.0, 0.5], [0.0, -2.0, 0.5, 0.0]]
    np.testing.assert_allclose(s2s_ad.grad(f).general(W, L), s2s_ad.grad(f)(W, L))


def _concatenated(x, b):
    u = np.concatenate([x[1], b])
    return np.sum(u * u * u)


def _hstacked(x, b):
    u = np.hstack([x[1], b])
    return np.sum(u * u * u)


def _vstacked(x, b):
    u = np.vstack([x[1], b])
    return np.sum(u * u * u)


@pytest.mark.parametrize("f", [_concatenated, _hstacked, _vstacked], ids=lambda f: f.__name__)
def test_second_order_through_joins(f):
    # the cotangent of a join is np.split of it: linear, and differentiated again (its
    # tangent was dropped: hvp gave zeros)

    x, b = np.arange(12.0).reshape(3, 4) / 5, np.linspace(-1.0, 1.0, 4)
    vx, vb = np.linspace(0.5, 1.5, 12).reshape(3, 4), np.linspace(1.0, -1.0, 4)
    g = s2s_ad.grad(f, wrt=(0, 1))
    expected = [richardson(lambda t, k=k: g(x + t * vx, b + t * vb)[k], 0.0) for k in (0, 1)]
    for got in (s2s_ad.hvp(f, wrt=(0, 1))(x, b, vx, vb),
                s2s_ad.jvp(g, wrt=(0, 1))(x, b, vx, vb)[1],
                s2s_ad.vjp(g, wrt=(0, 1))(x, b, (vx, vb))):
        for part, want in zip(got, expected):
            np.testing.assert_allclose(part, want, rtol=1e-7, atol=1e-9)


def test_reverse_over_reverse_adds_into_an_outer_adjoint_once():
    # the gradient's loop adds into dv, made before it: run again to be differentiated,
    # it added a second time (twice the right value)
    def lifted(x):
        v = (x * x).reshape(1, 4)
        vals = []
        for i in range(2):
            vals.append(np.sum(v[None, :], axis=1) - x[i])
        return np.sum(vals)

    x, e0 = np.array([1.0, 0.0, -2.0, 1.0]), np.eye(4)[0]
    g = s2s_ad.grad(lifted)
    expected = richardson(lambda t: g(x + t * e0), 0.0)
    np.testing.assert_allclose(s2s_ad.vjp(g)(x, e0), expected, atol=1e-9)
    np.testing.assert_allclose(s2s_ad.hvp(lifted)(x, e0), expected, atol=1e-9)


def test_hessian_of_a_matrix_read_whole_and_by_rows():
    def h(x):
        v = []
        for row in x:
            v.append(np.sum(x * x) * row[0])
        return np.sum(np.array(v))

    x = np.arange(6.0).reshape(2, 3) / 10
    hess = s2s_ad.hessian(h)(x)
    assert hess.shape == (2, 3, 2, 3)
    g = s2s_ad.grad(h)
    for k, e in enumerate(np.eye(6)):
        column = richardson(lambda t, e=e: g(x + t * e.reshape(2, 3)), 0.0)
        np.testing.assert_allclose(hess.reshape(6, 6)[:, k], column.ravel(), atol=1e-8)


def test_a_tuple_wrt_of_one_array_gives_tuples_of_blocks():
    x = np.array([1.2, -0.5, 0.8])
    (row,) = s2s_ad.hessian(rosen, wrt=("x",))(x)
    (block,) = row
    np.testing.assert_allclose(block, s2s_ad.hessian(rosen)(x))
    (column,) = s2s_ad.jacobian(s2s_ad.grad(rosen), wrt=("x",))(x)
    np.testing.assert_allclose(column, block)


def test_every_pop_of_a_list_adjoint_keeps_its_place_when_differentiated_again():
    # the gradient pops dys for each append; the pop of an item nothing varies pushed
    # nothing on the stack of their adjoints, so the others were one place off
    def f(x, y, n=3):
        ys = [1.0]
        for _ in range(n):
            ys.append(1.0)
            ys.append(y)
        return math.tanh(ys[1] + x)

    g = s2s_ad.grad(f, wrt="y")
    assert s2s_ad.grad(g, wrt=("x", "y"))(-1.5, 1.1, 1) == (0.0, 0.0)

    def h(x, y, n=2):
        ys = [x]
        for _ in range(n):
            ys.append(1.0)
            ys.append(y * x)
        return math.tanh(ys[2] * ys[0] + ys[-1])

    g = s2s_ad.grad(h, wrt="y")
    expected = (richardson(lambda t: g(t, 1.1), -0.5), richardson(lambda t: g(-0.5, t), 1.1))
    assert s2s_ad.grad(g, wrt=("x", "y"))(-0.5, 1.1) == pytest.approx(expected, rel=1e-8)


def test_reverse_over_reverse_through_a_loop_inside_a_loop():
    # the gradient's inner loops make their tape in each outer iteration: run again by the
    # backward sweep, they fill and pop it again
    def f(x, w):
        s = 0.0
        for i in range(3):
            y = x
            for _ in range(2):
                y = y + 0.1 * math.sin(w * y * (i + 1))
            s = s + y * y
        return s

    g = s2s_ad.grad(f, wrt=(0, 1))

    def mixed(x, w):
        a, b = g(x, w)
        return a + 2.0 * b

    expected = (richardson(lambda t: mixed(t, 1.3), 0.5), richardson(lambda t: mixed(0.5, t), 1.3))
    assert s2s_ad.grad(mixed, wrt=(0, 1))(0.5, 1.3) == pytest.approx(expected, rel=1e-8)


def test_clip_to_one_value_is_constant():
    # np.clip(x, 1.0, 1.0) is 1 everywhere: no cotangent reaches x, at x == 1 either
    def pinned(x, lo):
        return np.sum(np.clip(x, lo, 1.0) * x)

    x = np.array([0.5, 1.0, 1.5])
    np.testing.assert_array_equal(s2s_ad.grad(pinned)(x, 1.0), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(s2s_ad.grad(pinned)(x, 0.0), [1.0, 2.0, 1.0])


def test_the_tangent_of_a_constant_row_beside_an_array_is_zeros_of_its_shape():
    def rows(x):
        vals = [[0.75, 1.5, 0.75, 1.5]]
        vals.append(x[:, 2])
        return np.mean(vals)

    x, dx = np.arange(12.0).reshape(4, 3), np.ones((4, 3))
    assert s2s_ad.jvp(rows)(x, dx)[1] == pytest.approx(0.5)


def test_jacobian_of_a_gradient_that_slices_a_scaled_array():
    # the shape-generic Jacobian seeds c with the number 1.0; the tangent of (c / 2)[2:]
    # was the number 0.5 indexed, `(0.5)[2:]`, which did not compile
    def f(x, c):
        c = (c / 2.0)[2:]
        return np.mean(np.sin(c))

    c = np.linspace(0.1, 0.9, 5)
    hess = s2s_ad.jacobian(s2s_ad.grad(f, wrt="c"), wrt="c")(1.0, c)
    g = s2s_ad.grad(f, wrt="c")
    for k, e in enumerate(np.eye(5)):
        column = richardson(lambda t, e=e: g(1.0, c + t * e), 0.0)
        np.testing.assert_allclose(hess[:, k], column, atol=1e-9)


def test_the_tangent_of_a_list_item_nothing_varies_has_the_items_shape():
    # the tangent list held 0.0 beside arrays: np.sum of it raised (campaign seed 2101)
    def f(x, b, W):
        vals = [b[:3]]
        for _ in range(2):
            vals.append(W[:0:-1] @ x[:, 3])
        return np.sum(vals)

    x, b, W = np.arange(8.0).reshape(2, 4) / 8, np.ones(4), np.arange(8.0).reshape(4, 2)
    jac = s2s_ad.jacobian(f, wrt="W", mode="fwd")(x, b, W)
    np.testing.assert_allclose(jac, s2s_ad.grad(f, wrt="W")(x, b, W))
    assert jac[0].tolist() == [0.0, 0.0] and jac[1].tolist() == [2 * x[0, 3], 2 * x[1, 3]]


def test_a_number_seed_reverse_over_reverse_is_every_items_cotangent():
    # generic code seeds the cotangent of an array result with 1.0; reading item _t of the
    # adjoint db / 4 wrote `(0.25)[_t]`, which did not compile (campaign seed 2101)
    def f(x, b):
        b = b / 4
        return np.mean([1.5, x[0, 0], b[1:] @ b[3:-3:-1]])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jac = s2s_ad.jacobian(s2s_ad.grad(f, wrt="b"), wrt="b")
    b = np.array([1.1, 1.47, 1.52])
    g = s2s_ad.grad(f, wrt="b")
    for k, e in enumerate(np.eye(3)):
        column = richardson(lambda t, e=e: g(np.ones((2, 2)), b + t * e), 0.0)
        np.testing.assert_allclose(jac(np.ones((2, 2)), b)[:, k], column, atol=1e-9)


def test_a_loop_counter_taped_beside_x_gets_no_adjoint():
    # the counter k's adjoint (of `a ** k` in k: a ** k * log(a)) was computed and taped,
    # so grad(grad) raised a math domain error at a + y == 0 (campaign seed 2101)
    def f(x, y, n):
        k = 0
        while k < n:
            k = k + 1
            x = (y + x) ** k
        return x

    assert s2s_ad.grad(s2s_ad.grad(f))(1.0, -1.0, 1) == 0.0
    assert s2s_ad.grad(s2s_ad.grad(f))(0.5, 0.25, 2) == pytest.approx(2.0)
    assert "log" not in s2s_ad.grad(s2s_ad.grad(f)).source


def test_pops_whose_values_nothing_reads_still_keep_their_places():
    # grad(f, wrt="t") pops the loop's items of the list adjoint unused, then t's; their
    # adjoints, pushed for the pops of t only, came out one entry long, and broadcast over
    # the five items: d(dt)/dx was 1.6 instead of 0 (campaign seed 2201)
    def f(x, t):
        vals = [t]
        for _ in x:
            vals.append(np.sum(x))
        return np.mean(np.stack(vals) ** 2)

    x = np.array([[0.0, 1.5], [1.0, 1.0], [1.0, 1.5], [1.0, 1.5]])
    dx, dt = s2s_ad.grad(s2s_ad.grad(f, wrt="t"), wrt=("x", "t"))(x, 0.5)
    assert np.all(dx == 0.0) and dt == pytest.approx(2 / 5)


def test_a_list_adjoint_made_in_a_loop_body_is_popped_again_when_recomputed():
    # its pop was taped instead, so the recomputed list kept an entry, the stack of its
    # adjoints came out one too long, and grad(grad) raised IndexError (campaign seed 2203)
    def f(x, s):
        for _ in range(2):
            s -= 1.0
            vals = [1.0]
            for _ in range(1):
                vals.append(s)
            squares = []
            for e in np.stack(vals):
                squares.append(e * e)
        return s * s

    dx, ds = s2s_ad.grad(s2s_ad.grad(f, wrt="s"), wrt=("x", "s"))(np.ones(2), 1.8)
    assert np.all(dx == 0.0) and ds == pytest.approx(2.0)



# the program (generate(1618252555, "container") of the grammar then)
COTANGENT_NAMED_AFTER_V2 = """import math
import s2s_ad


def h1(a, b=0.5):
    b = math.log2(2.0 + math.cos(math.pow(2.0 + math.cos(math.erfc(0.75)),
                                          math.tanh(float((a ** 3))))))
    return a


def f(x, y, d, t, ps, n):
    v1, v2 = d['b'], math.acos(0.9 * math.tanh(h1(n, d['b'])))
    x, v2 = (math.acos(0.9 * math.tanh(h1((n + ps[0][1]))))
             / (2.0 + math.sin(((math.sqrt(1.0 + v2 ** 2) * h1(v1, 0.25)) ** 3)))), \
        math.pow(2.0 + math.cos(y), math.tanh(ps[0][1]))
    for i3 in range(n, 0, -2):
        v1 = (0.5 * v1 + s2s_ad.grad(h1, wrt='a')((x / (1.0 + y * y)), (t[1] * 0.25)))
        v2, v4 = math.log10(1.5 + math.sin((ps[i3 % 2][1] + ((ps[i3 % 2][0] + d['b'])
                            + ((1.5 + math.sin(y)) ** ps[i3 % 2][0]))))), \
            (math.erfc(ps[0][1]) - h1((0.75 - 1.0), b=(v2 ** 3)))
    for i5 in range(2, n + 1):
        v2 *= math.cos((math.tan(0.5 * math.tanh(v1)) - (d['b'] / 0.5)))
        v2 = (0.5 * v2 + (y * 2.0))
    return v1 + v2
"""


def test_a_cotangent_keeps_its_name_in_every_specialization():
    """Campaign seed 2403, program 2,170: vjp(grad(f, wrt="y")) took its cotangent as
    `ddy` in the shape-generic code (its signature) and `ddv2` in the code for the
    arguments at hand, where optimization had left the gradient named after `v2`
    (`y, v2 = v2, y + v2 * v1`): the call by name raised TypeError. A cotangent is named
    after the result's name ("dy"), the same in every build."""
    from fuzz_programs import load

    g = s2s_ad.grad(load(COTANGENT_NAMED_AFTER_V2)["f"], wrt="y")
    vj = s2s_ad.vjp(g, wrt="y")
    args = (0.47265093510883815, 1.8126531120867182,
            {"a": -0.8367197048573325, "b": 1.4131805789846839},
            (0.6927105227983845, -1.6852765273576913),
            [(0.6564138893913807, -1.1551211208964731), (0.7610285283329565, -1.6573607655338112)],
            0)
    assert "ddy" in inspect.signature(vj, follow_wrapped=False).parameters
    assert "ddy" in vj.specialize(*args, ddy=1.0).source
    got = vj(*args, ddy=1.0)
    y = args[1]
    want = richardson(lambda t: g(args[0], y + t, *args[2:]), 0.0, 1e-3)
    assert got == pytest.approx(want, rel=1e-7)


# --- a transform called inside the function being differentiated ----------------------------
def spring(a, k=2.0):
    return 0.5 * k * a * a + math.sin(a)


def work(x):
    force = s2s_ad.grad(spring, wrt="a")(x)  # built when work's derivative is built
    return force * x


def energy_of(x, w):
    return np.sum(w * x ** 2) + math.sin(w[0])


def newton_step(x, w):
    g = s2s_ad.grad(energy_of, wrt="x")(x, w)
    return np.sum((x - 0.1 * g) ** 2)


def test_a_transform_called_inside_is_built_then_and_inlined():
    """``s2s_ad.grad(h)(x)`` in a function: the derivative of h is built when the outer one
    is, and its code inlined as for grad(grad(h)); a default parameter of h (k) is bound
    as Python binds it (it used to read as a tuple)."""
    d = s2s_ad.grad(work)(0.3)
    assert math.isclose(d, s2s_ad.numeric.numerical_grad(work, (0.3,)), rel_tol=1e-8)
    assert math.isclose(d, 2.0 * 0.3 + math.cos(0.3) + 2.0 * 0.3 - 0.3 * math.sin(0.3),
                        rel_tol=1e-12)
    x, w = np.array([0.3, -0.2]), np.array([1.5, 0.7])
    dx, dw = s2s_ad.grad(newton_step, wrt=("x", "w"))(x, w)
    nx, nw = s2s_ad.numeric.numerical_grad(newton_step, (x, w), wrt=(0, 1))
    assert np.allclose(dx, nx, rtol=1e-6) and np.allclose(dw, nw, rtol=1e-6)
    assert math.isclose(s2s_ad.hessian(work)(0.3), s2s_ad.numeric.numerical_grad(
        s2s_ad.grad(work), (0.3,)), rel_tol=1e-6)


def numeric_inside(x):
    return s2s_ad.numeric.numerical_grad(math.sin, (x,)) * x


def transform_of_an_argument(x, f):
    return s2s_ad.grad(f)(x)


def test_other_calls_of_s2s_ad_inside_say_what_to_do():
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match=r"a call to "
                       r"`s2s_ad.numeric.numerical_grad`, a function of s2s_ad itself") as err:
        s2s_ad.grad(numeric_inside)(0.3)
    assert err.value.loc.line == numeric_inside.__code__.co_firstlineno + 1
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="s2s_ad.grad of a function or "
                       "options computed at run time"):
        s2s_ad.grad(transform_of_an_argument)(0.3, math.sin)


def potential(a, b):
    return math.sin(a) * b + a ** 3


def uses_value_and_grad(x, y):
    v, g = s2s_ad.value_and_grad(potential, wrt=("a", "b"))(x, y)
    return v + g[0] * g[1]


def uses_jvp(x, y):
    _, t = s2s_ad.jvp(potential, wrt="a")(x, y, 1.0)  # called with its tangent: 3 arguments
    return t * y


def uses_hessian(x, y):
    return s2s_ad.hessian(potential, wrt="a")(x, y) * x


def uses_grad_of_grad(x, y):
    return s2s_ad.grad(s2s_ad.grad(potential), wrt="a")(x, y) + y


@pytest.mark.parametrize("f", [uses_value_and_grad, uses_jvp, uses_hessian, uses_grad_of_grad])
def test_every_transform_called_inside_is_differentiated_again(f):
    """A generated function binds its own parameters (a JVP's tangent too), not those of
    the function it differentiates (its __wrapped__): `jvp(potential)(x, y, 1.0)` inside
    was "too many positional arguments"."""
    d = s2s_ad.grad(f, wrt=("x", "y"))(0.4, 1.3)
    numeric = s2s_ad.numeric.numerical_grad(f, (0.4, 1.3), wrt=(0, 1))
    assert np.allclose(d, numeric, rtol=1e-6, atol=1e-9)
