"""The seed documents' worked examples, with the numbers of SEED_EXAMPLES.md.

Each function is imported from its file in ``examples/`` (so the examples are what is
tested), differentiated with and without the optimizer, and checked to 1e-9 relative
unless the table says otherwise. Every example file must also run as a script.
"""

import math
import subprocess
import sys

import pytest
from support import EXAMPLES, load_example

from s2s_ad import grad, value_and_grad

intro = load_example("worked/log_mul_sin")
graph = load_example("worked/product_of_sums")
gate = load_example("worked/add_multiply")
max_gate = load_example("worked/max_gate")
neuron = load_example("worked/neuron")
staged = load_example("worked/sigmoid_ratio")
book = load_example("worked/sqrt_exp_cos")
engine = load_example("worked/exp_plus_square")

NEURON_WRT = ("w0", "w1", "w2", "x0", "x1")
NEURON_GRAD = (-0.19661193324148185, -0.3932238664829637, 0.19661193324148185,
               0.3932238664829637, -0.5898357997244456)

# (seed, function, point, wrt, f(point), gradient at point, relative tolerance of the gradient)
SEEDS = [
    ("01", intro.f, (2.0, 5.0), ("x1", "x2"),
     11.652071455223084, (5.5, 1.7163378145367738), 1e-9),
    ("01-trace", intro.f_trace, (2.0, 5.0), ("x1", "x2"),
     11.652071455223084, (5.5, 1.7163378145367738), 1e-9),
    ("12", graph.f, (2.0, 1.0), ("a", "b"), 6.0, (2.0, 5.0), 1e-9),
    ("13", gate.f, (-2.0, 5.0, -4.0), ("x", "y", "z"), -12.0, (-4.0, -4.0, 3.0), 1e-9),
    ("14", max_gate.f, (3.0, 1.0), ("x", "y"), 3.0, (1.0, 0.0), 1e-9),
    ("15", neuron.neuron, neuron.POINT, NEURON_WRT, 0.7310585786300049, NEURON_GRAD, 1e-9),
    ("15-staged", neuron.neuron_staged, neuron.POINT, NEURON_WRT,
     0.7310585786300049, NEURON_GRAD, 1e-9),
    ("16", staged.f, (3.0, -4.0), ("x", "y"),
     1.5456448841066441, (2.05956979596, 1.59223275176), 1e-8),
    ("18", book.f, (0.7,), "x", 0.9328347830212237, -1.8740017049647129, 1e-9),
    ("18-staged", book.f_staged, (0.7,), "x", 0.9328347830212237, -1.8740017049647129, 1e-9),
    ("20", engine.f, (2.0,), "x", math.exp(2) + 4, 11.38905609893065, 1e-9),
]
seed_rows = pytest.mark.parametrize("fn, point, wrt, value, gradient, rel",
                                    [pytest.param(*row[1:], id=row[0]) for row in SEEDS])


def close(expected, rel):
    return pytest.approx(expected, rel=rel, abs=0.0)


@seed_rows
def test_function_value(fn, point, wrt, value, gradient, rel):
    assert fn(*point) == close(value, 1e-9)


@seed_rows
@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_gradient(fn, point, wrt, value, gradient, rel, optimize):
    assert grad(fn, wrt=wrt, optimize=optimize)(*point) == close(gradient, rel)


@seed_rows
@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_value_and_grad(fn, point, wrt, value, gradient, rel, optimize):
    f_value, g = value_and_grad(fn, wrt=wrt, optimize=optimize)(*point)
    assert f_value == fn(*point)  # exactly: the same operations in the same order
    assert g == close(gradient, rel)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_max_gate_routes_the_gradient_to_the_winner_and_splits_it_at_a_tie(optimize):
    df = grad(max_gate.f, wrt=("x", "y"), optimize=optimize)
    assert df(3.0, 1.0) == (1.0, 0.0)
    assert df(1.0, 3.0) == (0.0, 1.0)
    assert df(2.0, 2.0) == (0.5, 0.5)  # a subgradient (the seed's 1(x >= y) would give 1, 1)


@pytest.mark.parametrize("z", [-30.0, -4.0, -1.0, 0.0, 0.5, 1.0, 3.0])
def test_sigmoid_gate_is_the_compressed_gate(z):
    s = neuron.sigmoid(z)
    assert grad(neuron.sigmoid)(z) == close(s * (1 - s), 1e-12)


def test_sigmoid_gate_keeps_its_accuracy_where_one_minus_sigma_cancels():
    # sigma(30) rounds to within 1e-13 of 1, so sigma * (1 - sigma) keeps only ~3 digits;
    # the generated sigma / (1 + exp(-z)) * exp(-z) keeps them all.
    z = 30.0
    exact = math.exp(-z) / (1 + math.exp(-z)) ** 2
    assert grad(neuron.sigmoid)(z) == close(exact, 1e-12)


def test_neuron_through_the_sigmoid_helper_gives_the_same_gradient():
    direct = grad(neuron.neuron, wrt=NEURON_WRT)
    helper = grad(neuron.neuron_staged, wrt=NEURON_WRT)
    for point in [neuron.POINT, (0.1, 0.2, 0.3, 0.4, 0.5), (-1.5, 2.0, 0.25, 3.0, -0.5)]:
        assert helper(*point) == close(direct(*point), 1e-12)


@pytest.mark.parametrize("x", [-1.3, -0.2, 0.0, 0.7, 1.1])
@pytest.mark.parametrize("fn", [book.f, book.f_staged], ids=["5.109", "5.123-5.128"])
def test_book_function_matches_its_closed_form(fn, x):
    assert grad(fn)(x) == close(book.closed_form(x), 1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.py")),
                         ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_example_runs_as_a_script(path, tmp_path):
    if path.name == "dask_gradients.py":  # an optional extra (tests/test_dask.py runs it)
        pytest.importorskip("dask.distributed")
    # from a scratch directory: whatever an example writes (a plot) stays out of the repo
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "def " in done.stdout  # it prints the generated source
