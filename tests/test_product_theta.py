"""Seed example 2: the product of theta, f(θ) = θ0·θ1·…·θ(n-1).

Its gradient ∂f/∂θk = ∏_{j≠k} θj costs n(n-2) multiplications when each partial is formed on
its own; reverse mode shares prefix and suffix products and must stay within 3(n-1). The
function comes in two forms: straight-line (one statement per multiplication, written to a
module file so that s2s_ad can read its source) and a ``for`` loop over a list, whose
gradient is a list and whose generated code keeps one forward and one reversed loop. Sizes
are small to keep the suite fast; ``bench/product_theta.py`` goes up to n = 10000.
"""

import ast
import importlib.util
import math
import random

import pytest

from s2s_ad import grad


def load_product(n, folder):
    """``def prod(t0, ..., t{n-1})`` with ``p = t0``, ``p = p * t1``, ..., ``return p``."""
    params = ", ".join(f"t{i}" for i in range(n))
    body = ["    p = t0"] + [f"    p = p * t{i}" for i in range(1, n)] + ["    return p"]
    path = folder / f"prod_{n}.py"
    path.write_text(f"def prod({params}):\n" + "\n".join(body) + "\n")
    spec = importlib.util.spec_from_file_location(f"s2s_ad_test_prod_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.prod


@pytest.fixture(params=[3, 10, 50], ids=lambda n: f"n={n}")
def product(request, tmp_path):
    n = request.param
    return n, load_product(n, tmp_path)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_gradient_is_product_of_the_others(product, optimize):
    n, prod = product
    rng = random.Random(n)
    theta = [rng.uniform(0.5, 2.0) * rng.choice((-1, 1)) for _ in range(n)]
    gradient = grad(prod, wrt=tuple(range(n)), optimize=optimize)(*theta)
    assert len(gradient) == n
    for k, got in enumerate(gradient):
        expected = math.prod(theta[j] for j in range(n) if j != k)
        assert got == pytest.approx(expected, rel=1e-12, abs=0), (k, got, expected)


def test_gradient_uses_linear_multiplications(product):
    n, prod = product
    stats = grad(prod, wrt=tuple(range(n))).stats
    naive = n * (n - 2)  # each partial formed on its own
    assert stats.optimized["mul"] <= 3 * (n - 1), stats
    assert stats.unoptimized["mul"] >= stats.optimized["mul"], stats
    if n >= 5:  # 3(n-1) < n(n-2) from n = 5 on
        assert stats.optimized["mul"] < naive, stats


# --- the for-loop form ------------------------------------------------------------------------
def prod(theta):
    p = 1.0
    for t in theta:
        p = p * t
    return p


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("n", [1, 3, 10], ids=lambda n: f"n={n}")
def test_loop_gradient_is_product_of_the_others(n, optimize):
    rng = random.Random(f"loop {n}")
    theta = [rng.uniform(0.5, 2.0) * rng.choice((-1, 1)) for _ in range(n)]
    gradient = grad(prod, wrt="theta", optimize=optimize)(theta)
    assert isinstance(gradient, list), type(gradient)
    assert len(gradient) == n
    for k, got in enumerate(gradient):
        expected = math.prod(theta[j] for j in range(n) if j != k)  # 1.0 for n = 1
        assert got == pytest.approx(expected, rel=1e-12, abs=0), (k, got, expected)


def test_loop_source_has_one_forward_and_one_reversed_loop():
    source = grad(prod, wrt="theta").source
    nodes = list(ast.walk(ast.parse(source)))
    assert not any(isinstance(node, ast.While) for node in nodes), source
    loops = [node for node in nodes if isinstance(node, ast.For)]
    backward = [loop for loop in loops if ast.unparse(loop.iter).startswith("reversed(range(")]
    assert len(loops) == 2, source
    assert len(backward) == 1 and loops.index(backward[0]) == 1, source  # forward, then back
    assert source.count("reversed(range(") == 1, source


def test_loop_gradient_multiplications_per_iteration():
    """3 per item (one forward, two backward): 3n, within 3(n-1) plus a constant."""
    stats = grad(prod, wrt="theta").stats
    assert stats.optimized["mul"] <= 3, stats
