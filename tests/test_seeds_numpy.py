"""Seed examples 5, 7 and 19 (NumPy), asserted from their example files.

Each function is imported from ``examples/`` (so the examples are what is tested) and
differentiated with and without the optimizer. The closed forms of seeds 5 and 7 are matched
to 1e-12; seed 19 is matched entry by entry to central differences (which are good to about
1e-10 here) and to the gradient derived by hand to 1e-12. ``test_seeds.py`` runs every
example file as a script.
"""

import subprocess
import sys

import numpy as np
import pytest
from support import EXAMPLES, load_example

from s2s_ad import grad, value_and_grad, vjp
from s2s_ad.numeric import check_grad

matmul = load_example("worked/matmul_adjoint")
ce = load_example("worked/cross_entropy")
mlp = load_example("worked/multilayer")

optimized = pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
seeds = pytest.mark.parametrize("seed", [0, 1, 2])


def assert_close(actual, expected, rtol=1e-12, atol=1e-12):
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --- seed 5: Z = X W, X̄ = Z̄ Wᵀ, W̄ = Xᵀ Z̄ ---------------------------------------------------
@optimized
@seeds
def test_seed5_adjoints_of_z_equal_dz_wt_and_xt_dz(seed, optimize):
    X, W, dZ = matmul.random_matrices(seed)
    assert (X.shape, W.shape, dZ.shape) == ((5, 10), (10, 3), (5, 3))
    (dX, dW), (dZ_Wt, Xt_dZ) = matmul.z_adjoints(X, W, dZ, optimize)
    assert_close(dX, dZ_Wt)
    assert_close(dW, Xt_dZ)


@optimized
@seeds
def test_seed5_adjoints_of_d_equal_dd_xt_and_wt_dd(seed, optimize):
    W, X, dD = matmul.random_matrices(seed)
    (dW, dX), (dD_Xt, Wt_dD) = matmul.d_adjoints(W, X, dD, optimize)
    assert_close(dW, dD_Xt)
    assert_close(dX, Wt_dD)


def test_seed5_the_adjoint_is_linear_in_the_cotangent():
    X, W, dZ = matmul.random_matrices(3)
    f = vjp(matmul.z, wrt=("X", "W"))
    for a, b in zip(f(X, W, 2.0 * dZ), f(X, W, dZ)):
        assert_close(a, 2.0 * b)
    for a in f(X, W, np.zeros_like(dZ)):
        assert not np.any(a)


def test_seed5_the_generated_code_for_matrices_is_the_seeds_formulas():
    X, W, dZ = matmul.random_matrices()
    assert vjp(matmul.z, wrt=("X", "W")).specialize(X, W, dZ).source == (
        "def z_vjp(X, W, dZ):\n"
        "    dX = dZ @ W.T\n"
        "    dW = X.T @ dZ\n"
        "    return dX, dW\n")
    assert vjp(matmul.d, wrt=("W", "X")).specialize(X, W, dZ).source == (
        "def d_vjp(W, X, dD):\n"
        "    dW = dD @ X.T\n"
        "    dX = W.T @ dD\n"
        "    return dW, dX\n")


# --- seed 7: cross-entropy, ∂l/∂h = softmax(h) - onehot(y) ---------------------------------
def scores(seed, k=5):
    return np.random.default_rng(seed).normal(0.0, 2.0, k)


@optimized
@pytest.mark.parametrize("y", range(5))
@pytest.mark.parametrize("h", [ce.H, scores(0), scores(1)], ids=["H", "random0", "random1"])
def test_seed7_gradient_is_softmax_minus_onehot(h, y, optimize):
    g = grad(ce.loss, wrt="h", optimize=optimize)(h, y)
    assert_close(g, ce.expected_gradient(h, y), atol=1e-15)
    assert abs(np.sum(g)) < 1e-15  # softmax sums to 1, the one-hot vector too


def test_seed7_at_the_example_point():
    # softmax(H) - onehot(2) and l(H, 2), evaluated with 40 digits (mpmath)
    g = grad(ce.loss, wrt="h")(ce.H, ce.Y)
    assert_close(g, [0.2850843666976633, 0.04712412886447884, -0.42591058470507426,
                     0.0703009392948594, 0.02340114984807275], rtol=1e-14, atol=1e-16)
    assert ce.loss(ce.H, ce.Y) == pytest.approx(0.5549701190192249, rel=1e-14)


@pytest.mark.parametrize("k", [1, 2, 10])
def test_seed7_any_number_of_classes(k):
    h = scores(k, k)
    assert_close(grad(ce.loss, wrt="h")(h, k - 1), ce.expected_gradient(h, k - 1), atol=1e-15)


def test_seed7_a_numpy_integer_label_works_like_an_int():
    g = grad(ce.loss, wrt="h")
    assert_close(g(ce.H, np.int64(3)), g(ce.H, 3), rtol=0, atol=0)


def test_seed7_value_and_grad_gives_the_loss_exactly():
    value, g = value_and_grad(ce.loss, wrt="h")(ce.H, ce.Y)
    assert value == ce.loss(ce.H, ce.Y)
    assert value == pytest.approx(-ce.H[ce.Y] + np.log(np.sum(np.exp(ce.H))), rel=1e-15)
    assert_close(g, ce.expected_gradient(ce.H, ce.Y), atol=1e-15)


# --- seed 19: a K-layer network, ‖y - f_K‖², against central differences -----------------------
@optimized
@seeds
def test_seed19_every_gradient_entry_matches_central_differences(seed, optimize):
    point = mlp.random_point(seed)
    generated, central = mlp.gradients(point, optimize)
    assert len(generated) == len(mlp.WRT) == 6
    for name, g, fd, param in zip(mlp.WRT, generated, central, point):
        assert np.shape(g) == np.shape(param), name
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9, err_msg=name)


@optimized
@seeds
def test_seed19_gradient_equals_the_chain_rule_by_hand(seed, optimize):
    point = mlp.random_point(seed)
    generated = grad(mlp.loss, wrt=mlp.WRT, optimize=optimize)(*point)
    for name, g, hand in zip(mlp.WRT, generated, mlp.backprop(*point)):
        np.testing.assert_allclose(g, hand, rtol=1e-12, atol=1e-15, err_msg=name)


@seeds
def test_seed19_gradient_check_along_random_directions(seed):
    result = check_grad(mlp.loss, mlp.random_point(seed), mlp.WRT, directions=5, seed=seed,
                        rtol=1e-8)
    assert result.passed, str(result)


def test_seed19_value_and_grad_gives_the_loss_exactly():
    point = mlp.random_point()
    value, g = value_and_grad(mlp.loss, wrt=mlp.WRT)(*point)
    assert value == mlp.loss(*point)
    assert value == pytest.approx(0.6790758851833878, rel=1e-12)
    for a, b in zip(g, grad(mlp.loss, wrt=mlp.WRT)(*point)):
        assert_close(a, b, rtol=0, atol=0)


# --- the files run as scripts -----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, expected", [
    ("matmul_adjoint", ["allclose: True", "dX = dZ @ W.T", "dX = W.T @ dD"]),
    ("cross_entropy", ["softmax(h) - onehot(y)", "def loss_grad(h, y)"]),
    ("multilayer", ["dL/dA0", "dL/db2", "passed", "def loss_grad(A0, b0, A1, b1"]),
])
def test_example_prints_its_checks_and_source(name, expected, tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / "worked" / f"{name}.py")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout, text
    assert "allclose: False" not in done.stdout
