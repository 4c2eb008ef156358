"""Seed examples 3, 8 and 17 (numerical differentiation), asserted from their example files.

Each function is imported from ``examples/`` so the examples are what is tested; each file
must also run as a script and print what it computes.
"""

import math
import subprocess
import sys

import pytest
from support import EXAMPLES, load_example

from s2s_ad import grad

fd = load_example("worked/finite_differences")
rich = load_example("worked/richardson")
gc = load_example("worked/gradient_check")


# --- seed 8: finite differences ---------------------------------------------------------------
def test_seed8_observed_orders_are_1_2_4():
    assert fd.observed_orders() == pytest.approx({"forward": 1, "central": 2, "five-point": 4},
                                                 abs=0.1)


def test_seed8_table_spans_1e_1_to_1e_13_against_the_exact_derivative():
    table = fd.convergence_table()
    assert [h for h, _ in table] == pytest.approx([10.0**-k for k in range(1, 14)])
    assert grad(fd.f)(fd.X) == math.cos(fd.X)
    # truncation: one decade of h gives 1, 2 and 4 decades of error
    errors = dict(table)
    for name, order in fd.EXPECTED_ORDERS.items():
        assert errors[1e-1][name] / errors[1e-2][name] == pytest.approx(10.0**order, rel=0.1)


def test_seed8_too_small_a_step_loses_to_rounding():
    table = fd.convergence_table()
    best = fd.best_steps(table)
    assert best["forward"] == pytest.approx(1e-8)  # ~ sqrt(eps_mach)
    assert 1e-6 <= best["central"] <= 1e-4  # ~ eps_mach ** (1/3)
    assert 1e-4 <= best["five-point"] <= 1e-2  # ~ eps_mach ** (1/5)
    errors = dict(table)
    for name in fd.FORMULAS:
        assert errors[1e-13][name] > 1e4 * errors[best[name]][name]  # the floor rises again
    # the best each formula can do improves with its order
    assert (errors[best["forward"]]["forward"] > errors[best["central"]]["central"]
            > errors[best["five-point"]]["five-point"])
    assert errors[best["five-point"]]["five-point"] < 1e-12


# --- seed 17: Richardson extrapolation ----------------------------------------------------
def test_seed17_richardson_is_order_4_and_a_second_level_order_6():
    assert rich.observed_orders() == pytest.approx({"D0(h)": 2, "R(h)": 4, "R2(h)": 6},
                                                   abs=0.15)


def test_seed17_halving_h_divides_the_errors_by_4_16_64():
    table = rich.error_table()
    for (_, coarse), (_, fine) in zip(table, table[1:]):
        for name, order in rich.EXPECTED_ORDERS.items():
            assert coarse[name] / fine[name] == pytest.approx(2.0**order, rel=0.1), name


def test_seed17_richardson_equals_the_five_point_stencil():
    assert rich.richardson_is_five_point() < 1e-13
    assert grad(rich.f)(rich.X) == math.exp(rich.X)


# --- seed 3: the gradient check -----------------------------------------------------------
def test_seed3_gradient_of_the_product_passes_the_check():
    result = gc.check()
    assert result.passed
    assert len(result.errors) == 5
    assert result.max_error < 1e-8


def test_seed3_the_product_gradient_is_the_product_of_the_others():
    g = grad(gc.product, wrt=gc.WRT)(*gc.THETA)
    for k in range(5):
        others = math.prod(t for j, t in enumerate(gc.THETA) if j != k)
        assert g[k] == pytest.approx(others, rel=1e-12)


def test_seed3_a_wrong_gradient_fails_the_check():
    with pytest.raises(AssertionError, match="gradient check of product failed"):
        gc.check(gc.wrong_gradient)
    assert gc.check(gc.wrong_gradient, raise_on_error=False).max_error > 0.01


def test_seed3_agreement_is_order_eps_squared():
    assert gc.observed_eps_order() == pytest.approx(2.0, abs=0.05)
    sweep = dict(gc.eps_sweep())
    for eps in gc.TRUNCATION_EPS:  # |error| ~ C eps^2 with one C
        assert sweep[eps] / eps**2 == pytest.approx(sweep[1e-2] / 1e-4, rel=0.02)


# --- the files run as scripts -----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, expected", [
    ("finite_differences", ["five-point", "observed order", "1e-13", "def f_grad"]),
    ("richardson", ["R(h)", "R2(h)", "observed order", "def f_grad"]),
    ("gradient_check", ["passed", "FAILED", "observed order in eps", "def product_grad"]),
])
def test_example_runs_as_a_script(name, expected):
    done = subprocess.run([sys.executable, str(EXAMPLES / "worked" / f"{name}.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout, text
