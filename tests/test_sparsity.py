"""Sparse Jacobians and Hessians (transforms/sparsity.py): unit vectors that never meet in
a result share one direction of the batched sweep, and each block is read back entry by
entry. Every block is checked against central differences (of the function, or of its
gradient for Hessians) on points drawn by hypothesis, including points where the pattern
of a function that selects by value changes (those must stay dense)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import kept

from s2s_ad import grad, hessian, jacobian
from s2s_ad.numeric import central_difference


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def chain(x):  # a banded Hessian: x[i] meets x[i + 2]
    return np.sum(np.sin(x[2:] * x[:-2])) + np.sum(x[1:] * x[:-1] ** 2)


def rowwise(X):  # a 2-d argument whose rows do not meet: block diagonal
    return np.sum(np.tanh(X @ np.array([0.5, -1.0, 2.0])) ** 2) + np.sum(X ** 3)


def elementwise(x):
    return np.sin(x) * np.exp(-x) + x ** 2


def two_results(x):
    return np.cos(x[1:] * x[:-1]), np.sum(x * x)


def hinge(x):  # np.maximum: which entries meet depends on x: stays dense
    return np.sum(np.maximum(x[1:] - x[:-1], 0.0) ** 2)


def looped(x):  # a loop in the sweep reading the direction: stays dense
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + x[i] * x[i + 1] ** 2
    return s


def _points(n):
    return st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n).map(np.array)


def _hessian_by_differences(f, x):
    g = kept(grad, f)
    return np.stack([central_difference(lambda t, j=j: g(x + t * np.eye(x.size)[j]
                                                           .reshape(x.shape)), 0.0)
                     for j in range(x.size)], axis=-1).reshape(x.shape + x.shape)


@pytest.mark.parametrize("f, n, colors", [(rosen, 12, 3), (chain, 12, 5)])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_sparse_hessians_match_differences_of_the_gradient(f, n, colors, data):
    x = data.draw(_points(n))
    H = kept(hessian, f)
    source = H.specialize(x).source
    assert "np.eye" not in source and f"of shape ({colors}, {n})" in source
    np.testing.assert_allclose(H(x), _hessian_by_differences(f, x), rtol=1e-6, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_a_matrix_argument_and_jacobians_of_several_results(data):
    X = data.draw(_points(12)).reshape(4, 3)
    H = kept(hessian, rowwise)
    assert "np.eye" not in H.specialize(X).source
    np.testing.assert_allclose(H(X), _hessian_by_differences(rowwise, X), rtol=1e-6,
                               atol=1e-6)
    x = data.draw(_points(8))
    for mode in ("fwd", "rev"):
        J = jacobian(two_results, mode=mode)
        pair, total = J(x)
        assert pair.shape == (7, 8) and total.shape == (8,)
        want = [central_difference(lambda t, j=j: two_results(x + t * np.eye(8)[j])[0], 0.0)
                for j in range(8)]
        np.testing.assert_allclose(pair, np.stack(want, axis=-1), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(total, 2 * x, rtol=1e-12)


def test_an_elementwise_jacobian_is_one_direction():
    x = np.linspace(-2.0, 2.0, 9)
    J = jacobian(elementwise)
    source = J.specialize(x).source
    assert "of shape (1, 9)" in source
    want = np.diag(np.cos(x) * np.exp(-x) - np.sin(x) * np.exp(-x) + 2 * x)
    np.testing.assert_allclose(J(x), want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("f", [hinge, looped])
def test_what_selects_by_value_or_loops_stays_dense(f):
    # hinge's Hessian pattern depends on the signs of x[i + 1] - x[i]: a pattern read at
    # one point would be wrong at another
    rng = np.random.default_rng(2)
    H = hessian(f)
    for x in (np.arange(8.0), -np.arange(8.0), rng.normal(size=8)):
        assert "np.eye(8)" in H.specialize(x).source
        np.testing.assert_allclose(H(x), _hessian_by_differences(f, x), rtol=1e-6, atol=1e-6)


def energy(u, h=0.1):  # a parameter with a default after the array: the sweep's last
    grad_u = (u[1:] - u[:-1]) / h
    return h * (0.5 * np.sum(grad_u ** 2) + np.sum(0.25 * (u ** 2 - 1.0) ** 2))


def burgers(u, nu=0.01, dx=0.05):
    lap = (u[2:] - 2.0 * u[1:-1] + u[:-2]) / dx ** 2
    return nu * lap - u[1:-1] * (u[2:] - u[:-2]) / (2.0 * dx)


def grid_energy(U):  # a 5-point stencil on a grid: 7 directions for 72 unit vectors here
    dx, dy = U[1:, :] - U[:-1, :], U[:, 1:] - U[:, :-1]
    return 0.5 * np.sum(dx ** 2) + 0.5 * np.sum(dy ** 2) + np.sum(U ** 4) / 4.0


def test_what_a_scientist_writes_is_batched_and_sparse():
    """A new user's energies and right-hand sides: each block one batched sweep over a few
    directions (the energy's adjoint is written in place, `x[i] += v`: its tangent's shape
    was unknown, index_add's meaning refused the attribute it carries, and every unit
    vector ran in a loop)."""
    rng = np.random.default_rng(5)
    u = rng.normal(size=20)
    H = hessian(energy)
    source = H.specialize(u).source
    assert "for " not in source and "of shape (3, 20)" in source
    np.testing.assert_allclose(H(u), _hessian_by_differences(energy, u), rtol=1e-6, atol=1e-6)
    J = jacobian(burgers)
    assert "of shape (3, 18)" in J.specialize(u).source  # (reverse mode: rows)
    want = np.stack([central_difference(lambda t, j=j: burgers(u + t * np.eye(20)[j]), 0.0,
                                        1e-6) for j in range(20)], axis=-1)
    np.testing.assert_allclose(J(u), want, rtol=1e-6, atol=1e-4)
    U = rng.normal(size=(8, 9))
    HU = hessian(grid_energy)
    assert "for " not in HU.specialize(U).source
    np.testing.assert_allclose(HU(U), _hessian_by_differences(grid_energy, U), rtol=1e-6,
                               atol=1e-6)


def test_the_pattern_read_in_chunks_is_the_same(monkeypatch):
    """The probe runs a chunk of unit vectors at a time (for large blocks): with chunks of
    2 directions the pattern, the colors and the Hessian are what one run gives."""
    import s2s_ad.transforms.sparsity as sparsity

    x = np.linspace(-1.0, 1.0, 13)
    whole = hessian(chain).specialize(x)
    monkeypatch.setattr(sparsity, "PROBE", 2 * 13)
    chunked = hessian(lambda x: chain(x)).specialize(x)  # (a new function: built again)
    assert "of shape (5, 13)" in chunked.source
    np.testing.assert_array_equal(chunked(x), whole(x))
