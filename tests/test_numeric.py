"""s2s_ad.numeric, the oracle: orders of accuracy, wrt handling, and the gradient check."""

import math

import numpy as np
import pytest

from s2s_ad import grad
from s2s_ad.numeric import (
    GradCheck,
    backward_difference,
    central_difference,
    check_grad,
    directional_derivative,
    five_point,
    forward_difference,
    numerical_grad,
    observed_order,
    relative_error,
    richardson,
)

# (name, f, f') for the order tests: smooth, with non-vanishing higher derivatives at X
SMOOTH = [("sin", math.sin, math.cos), ("exp", math.exp, math.exp),
          ("log1p", math.log1p, lambda x: 1 / (1 + x))]
POINTS = [0.3, 1.0]

# (formula, order, steps where truncation dominates for the SMOOTH functions at POINTS)
ORDERS = [
    (forward_difference, 1, [1e-2 / 2**k for k in range(6)]),
    (backward_difference, 1, [1e-2 / 2**k for k in range(6)]),
    (central_difference, 2, [1e-1 / 2**k for k in range(6)]),
    (five_point, 4, [1e-1 / 2**k for k in range(4)]),
    (richardson, 4, [1e-1 / 2**k for k in range(4)]),
    (lambda f, x, h: richardson(f, x, h, levels=2), 6, [1e-1 / 2**k for k in range(3)]),
]
order_rows = pytest.mark.parametrize(
    "formula, order, steps",
    [pytest.param(*row, id=f"{getattr(row[0], '__name__', 'richardson2')}-O(h^{row[1]})")
     for row in ORDERS])


@order_rows
@pytest.mark.parametrize("x", POINTS)
@pytest.mark.parametrize("name, f, df", SMOOTH, ids=[row[0] for row in SMOOTH])
def test_halving_h_divides_the_error_by_2_to_the_order(formula, order, steps, x, name, f, df):
    errors = [abs(formula(f, x, h) - df(x)) for h in steps]
    ratios = [coarse / fine for coarse, fine in zip(errors, errors[1:])]
    assert ratios == pytest.approx([2.0**order] * len(ratios), rel=0.1), ratios
    assert observed_order(steps, errors) == pytest.approx(order, abs=0.1)


def test_too_small_a_step_loses_to_rounding():
    good = abs(central_difference(math.sin, 1.0, 1e-5) - math.cos(1.0))
    tiny = abs(central_difference(math.sin, 1.0, 1e-13) - math.cos(1.0))
    assert good < 1e-10
    assert tiny > 1e3 * good


def test_default_steps_are_near_the_best_accuracy():
    for formula, bound in [(forward_difference, 1e-7), (backward_difference, 1e-7),
                           (central_difference, 1e-10), (five_point, 1e-12),
                           (richardson, 1e-12)]:
        assert abs(formula(math.exp, 0.5) - math.exp(0.5)) < bound, formula.__name__


def test_one_sided_differences_err_on_opposite_sides_of_a_convex_function():
    assert forward_difference(math.exp, 0.0, 1e-3) > 1.0 > backward_difference(math.exp, 0.0,
                                                                                 1e-3)


def test_richardson_is_the_five_point_stencil():
    for x in [-0.7, 0.2, 1.9]:
        for h in [1e-1, 1e-2, 1e-3]:
            assert richardson(math.sin, x, h) == pytest.approx(five_point(math.sin, x, h),
                                                               rel=1e-12, abs=1e-13)


def test_richardson_levels_must_be_positive():
    with pytest.raises(ValueError, match="levels"):
        richardson(math.sin, 1.0, 1e-2, levels=0)


def test_formulas_return_floats_for_floats_and_work_elementwise_on_arrays():
    for formula in [forward_difference, backward_difference, central_difference, five_point,
                    richardson]:
        assert type(formula(math.sin, 1.0, 1e-3)) is float
        xs = np.array([0.0, 0.5, 1.0])
        assert formula(np.sin, xs, 1e-3) == pytest.approx(np.cos(xs), abs=1e-3)


def test_observed_order_fits_a_power_law_and_rejects_what_it_cannot_fit():
    steps = [1.0, 0.5, 0.25]
    assert observed_order(steps, [3 * h**3 for h in steps]) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="zero"):
        observed_order(steps, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="two"):
        observed_order([1.0], [1.0])


# --- several arguments --------------------------------------------------------------------
def f2(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


F2_GRAD = (5.5, 2.0 - math.cos(5.0))  # seed 1 at (2, 5)


def test_directional_derivative_is_the_slope_along_the_direction():
    d = (0.6, 0.8)
    expected = d[0] * F2_GRAD[0] + d[1] * F2_GRAD[1]
    assert directional_derivative(f2, (2.0, 5.0), d) == pytest.approx(expected, rel=1e-9)
    assert directional_derivative(f2, (2.0, 5.0), d, eps=1e-3) == pytest.approx(expected,
                                                                              rel=1e-6)


def test_directional_derivative_holds_none_entries_fixed():
    def scaled(x, n):
        assert isinstance(n, int)  # an integer argument passes through untouched
        return n * x * x

    assert directional_derivative(scaled, (1.5, 3), (1.0, None)) == pytest.approx(9.0)


def test_directional_derivative_needs_one_entry_per_argument():
    with pytest.raises(ValueError, match="None"):
        directional_derivative(f2, (2.0, 5.0), (1.0,))


def test_directional_derivative_of_array_arguments():
    def f(w, b):
        return float(np.sum(w * w) + b * np.sum(w))

    w, b = np.array([1.0, -2.0, 0.5]), 0.25
    dw, db = np.array([0.5, 0.5, 0.0]), 0.5
    expected = np.dot(2 * w + b, dw) + np.sum(w) * db
    assert directional_derivative(f, (w, b), (dw, db)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("wrt, expected", [
    (None, F2_GRAD[0]), (0, F2_GRAD[0]), (1, F2_GRAD[1]), (-1, F2_GRAD[1]),
    ("x2", F2_GRAD[1]), (("x1", "x2"), F2_GRAD), ((1, "x1"), F2_GRAD[::-1]),
    ([0, 1], F2_GRAD),
])
def test_numerical_grad_reads_wrt_as_grad_does(wrt, expected):
    got = numerical_grad(f2, (2.0, 5.0), wrt)
    assert got == pytest.approx(expected, rel=1e-9)
    assert isinstance(got, tuple) == isinstance(expected, tuple)
    assert got == pytest.approx(grad(f2, wrt=wrt if not isinstance(wrt, list) else tuple(wrt))(
        2.0, 5.0), rel=1e-9)


@pytest.mark.parametrize("method, rel", [("forward", 1e-6), ("backward", 1e-6),
                                         ("central", 1e-9), ("five_point", 1e-11),
                                         ("richardson", 1e-11)])
def test_numerical_grad_methods(method, rel):
    assert numerical_grad(f2, (2.0, 5.0), (0, 1), method=method) == pytest.approx(F2_GRAD,
                                                                                rel=rel)


def test_numerical_grad_with_an_explicit_step():
    coarse = numerical_grad(f2, (2.0, 5.0), 1, eps=1e-2)
    assert coarse == pytest.approx(F2_GRAD[1], rel=1e-4)
    assert coarse != pytest.approx(F2_GRAD[1], rel=1e-8)


def test_numerical_grad_of_an_array_argument_has_its_shape():
    def f(w, b):
        return float(np.sum(np.sin(w)) * b)

    w = np.array([[0.1, 0.2], [0.3, 0.4]])
    dw, db = numerical_grad(f, (w, 2.0), ("w", "b"))
    assert dw.shape == (2, 2)
    assert dw == pytest.approx(2.0 * np.cos(w), rel=1e-9)
    assert db == pytest.approx(np.sum(np.sin(w)), rel=1e-9)


def test_numerical_grad_rejects_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        numerical_grad(f2, (2.0, 5.0), method="backwards")
    with pytest.raises(ValueError, match="'x3'"):
        numerical_grad(f2, (2.0, 5.0), "x3")
    with pytest.raises(ValueError, match="out of range"):
        numerical_grad(f2, (2.0, 5.0), 2)
    with pytest.raises(TypeError, match="indices or names"):
        numerical_grad(f2, (2.0, 5.0), 1.0)


def test_numerical_grad_of_a_builtin_by_index():
    assert numerical_grad(math.atan2, (1.0, 2.0), (0, 1)) == pytest.approx((0.4, -0.2),
                                                                           rel=1e-9)


# --- relative error and the gradient check --------------------------------------------------
def test_relative_error_is_relative_above_one_and_absolute_below():
    assert relative_error(100.0, 101.0) == pytest.approx(1 / 101)
    assert relative_error(-100.0, -101.0) == pytest.approx(1 / 101)
    assert relative_error(1e-12, -1e-12) == pytest.approx(2e-12)
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(math.nan, 1.0) == math.inf
    assert relative_error(math.inf, math.inf) == math.inf


def test_check_grad_passes_for_s2s_ad_gradient():
    result = check_grad(f2, (2.0, 5.0), ("x1", "x2"))
    assert isinstance(result, GradCheck)
    assert result.passed
    assert len(result.errors) == len(result.analytic) == len(result.numeric) == 3
    assert result.max_error == max(result.errors) < 1e-8
    assert result.rtol == 1e-6 and result.eps == 1e-6


def test_check_grad_default_wrt_is_the_first_parameter():
    result = check_grad(f2, (2.0, 5.0), directions=2)
    # one wrt argument: the unit directions are +-1, so the slopes are +-df/dx1
    assert [abs(a) for a in result.analytic] == pytest.approx([F2_GRAD[0]] * 2)


def test_check_grad_raises_with_the_numbers_on_a_wrong_gradient():
    def wrong(x1, x2):  # the seed's d/dx2 with the sign of cos flipped
        return 1 / x1 + x2, x1 + math.cos(x2)

    with pytest.raises(AssertionError) as info:
        check_grad(f2, (2.0, 5.0), ("x1", "x2"), gradient=wrong)
    message = str(info.value)
    assert "gradient check of f2 failed at args=(2.0, 5.0)" in message
    assert "largest relative error" in message and "FAILED" in message
    result = check_grad(f2, (2.0, 5.0), ("x1", "x2"), gradient=wrong, raise_on_error=False)
    assert not result.passed
    assert result.max_error > 0.1
    assert f"{result.max_error:.3e}" in message


def test_check_grad_accepts_a_correct_hand_written_gradient():
    def right(x1, x2):
        return 1 / x1 + x2, x1 - math.cos(x2)

    assert check_grad(f2, (2.0, 5.0), ("x1", "x2"), gradient=right, directions=10).passed


@pytest.mark.parametrize("wrong", [
    lambda x: -math.sin(x) * (1 + 1e-4),  # a relative slip of 1e-4
    lambda x: math.sin(x),                # a sign error
    lambda x: -math.cos(x),               # the wrong function
])
def test_check_grad_catches_small_and_large_mistakes(wrong):
    for x in [-2.0, -0.4, 0.9, 2.5]:
        with pytest.raises(AssertionError):
            check_grad(math.cos, (x,), 0, gradient=wrong)
        check_grad(math.cos, (x,), 0, gradient=lambda x: -math.sin(x))


def test_check_grad_directions_depend_on_the_seed_only():
    first = check_grad(f2, (2.0, 5.0), (0, 1), seed=7)
    again = check_grad(f2, (2.0, 5.0), (0, 1), seed=7)
    other = check_grad(f2, (2.0, 5.0), (0, 1), seed=8)
    assert first == again
    assert first.analytic != other.analytic


def test_check_grad_agrees_to_order_eps_squared():
    def cubic(x, y):
        return x**3 * y + y**3

    errors = [check_grad(cubic, (1.3, -0.7), (0, 1), eps=eps, rtol=1.0).max_error
              for eps in [1e-1, 1e-2, 1e-3]]
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.05)
    assert errors[1] / errors[2] == pytest.approx(100, rel=0.05)


def test_check_grad_with_array_arguments():
    def f(w, b):
        return float(np.sum(np.sin(w)) * b)

    w = np.array([[0.1, 0.2], [0.3, 0.4]])
    right = check_grad(f, (w, 2.0), ("w", "b"), directions=4,
                       gradient=lambda w, b: (2.0 * np.cos(w), float(np.sum(np.sin(w)))))
    assert right.passed
    wrong = check_grad(f, (w, 2.0), ("w", "b"), raise_on_error=False,
                       gradient=lambda w, b: (2.0 * np.cos(w.T), float(np.sum(np.sin(w)))))
    assert not wrong.passed


def test_check_grad_rejects_bad_arguments():
    with pytest.raises(ValueError, match="2 partials for 1"):
        check_grad(f2, (2.0, 5.0), ("x1",), gradient=lambda x1, x2: (1.0, 2.0))
    with pytest.raises(ValueError, match=r"shape \(2,\) for argument 0 of shape \(\)"):
        check_grad(f2, (2.0, 5.0), 0, gradient=lambda x1, x2: (1.0, 2.0))
    with pytest.raises(ValueError, match="directions"):
        check_grad(f2, (2.0, 5.0), directions=0)


def test_check_grad_with_the_unoptimized_gradient():
    assert check_grad(f2, (2.0, 5.0), ("x1", "x2"), optimize=False).passed


def test_grad_check_prints_a_table():
    text = str(check_grad(f2, (2.0, 5.0), (0, 1), directions=2))
    lines = text.splitlines()
    assert "d . gradient" in lines[0] and "central difference" in lines[0]
    assert len(lines) == 4
    assert lines[-1].endswith("passed")
