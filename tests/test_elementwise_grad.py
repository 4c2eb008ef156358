"""``elementwise_grad``: the derivative of an elementwise function at every entry at once.

Checked against central differences of the function itself at each entry, on points drawn
by hypothesis, and, for tanh's first four derivatives (examples/tanh_derivatives.py),
against their closed forms.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import EXAMPLES, kept, load_example

from s2s_ad import elementwise_grad, grad
from s2s_ad.numeric import central_difference

example = load_example("tanh_derivatives")


def softplus(x):
    return np.log1p(np.exp(x))


def damped(x):
    return np.sin(3.0 * x) * np.exp(-0.5 * x * x) + x ** 3 / 10.0


def mixed(x, a):
    return a * np.tanh(x) + np.sqrt(1.0 + x * x) * math.exp(a)


def _entrywise(f, x, *rest):
    """Central differences of ``f`` at each entry of ``x`` (elementwise: entry i moves
    only output i)."""
    return np.array([central_difference(lambda t: f(np.array(t), *rest), float(xi))
                     for xi in x])


entries = st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=6).map(np.array)


@settings(max_examples=25, deadline=None)
@given(entries)
@pytest.mark.parametrize("f", [softplus, damped])
def test_matches_differences_at_each_entry(f, x):
    got = kept(elementwise_grad, f)(x)
    assert got.shape == x.shape
    assert np.allclose(got, _entrywise(f, x), rtol=1e-6, atol=1e-8)


@settings(max_examples=20, deadline=None)
@given(entries, st.floats(-1.0, 1.0))
def test_with_respect_to_one_of_several_arguments(x, a):
    got = kept(elementwise_grad, mixed, wrt="x")(x, a)
    assert np.allclose(got, _entrywise(mixed, x, a), rtol=1e-6, atol=1e-8)
    # with respect to the number a: the derivative of the sum of the entries
    da = kept(elementwise_grad, mixed, wrt="a")(x, a)
    want = central_difference(lambda t: np.sum(mixed(x, t)), a)
    assert da == pytest.approx(want, rel=1e-6, abs=1e-8)


def test_tanh_and_four_derivatives_match_their_closed_forms():
    x = np.linspace(-7, 7, 200)
    assert example.largest_error(x) < 1e-12


def test_applied_again_it_is_the_second_derivative_and_reads_as_code():
    d2 = elementwise_grad(elementwise_grad(damped))
    x = np.array([-1.0, 0.3, 2.0])
    want = _entrywise(elementwise_grad(damped), x)
    assert np.allclose(d2(x), want, rtol=1e-6, atol=1e-8)
    assert "np.exp(" in d2.specialize(x).source


def test_a_number_gives_the_derivative():
    assert elementwise_grad(softplus)(0.5) == pytest.approx(grad(softplus)(0.5))
    assert elementwise_grad(softplus)(0.5) == pytest.approx(1.0 / (1.0 + math.exp(-0.5)))


def test_a_function_that_mixes_entries_gives_the_gradient_of_its_sum():
    def running(x):
        return np.cumsum(x) ** 2

    x = np.array([0.5, -1.0, 2.0])
    # d/dx_j sum_i c_i^2 with c = cumsum(x): 2 * (c_j + c_{j+1} + ...)
    want = 2 * np.cumsum(np.cumsum(x)[::-1])[::-1]
    assert np.allclose(elementwise_grad(running)(x), want)


def test_example_runs_as_a_script():
    done = subprocess.run([sys.executable, str(EXAMPLES / "tanh_derivatives.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "largest difference from the closed forms" in done.stdout


def test_example_plots_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "tanh.png"
    done = subprocess.run([sys.executable, str(EXAMPLES / "tanh_derivatives.py"), "--plot",
                           str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert path.stat().st_size > 10_000
