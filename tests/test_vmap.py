"""``vmap``: a function over a batch, as NumPy code over one more axis.

Every row is checked against the function applied to each example in a Python loop (the
definition of vmap), on batches drawn by hypothesis; compositions with the derivatives
against the derivative applied per example, and the Jacobians and Hessians it builds
against central differences.
"""

import dataclasses
import math
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import kept

import s2s_ad
from s2s_ad import DifferentiationError, grad, hessian, jacobian, jvp, vmap
from s2s_ad.numeric import central_difference
from s2s_ad.runtime import example_of, stack_examples


def _looped(f, args, in_axes, out_axes=0):
    """f per example, results stacked along ``out_axes`` (vmap's definition)."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    results = [f(*(a if ax is None else np.take(a, k, axis=ax) for a, ax in zip(args, axes)))
               for k in range(size)]
    if isinstance(results[0], tuple):
        return tuple(np.stack([r[j] for r in results], axis=out_axes)
                     for j in range(len(results[0])))
    return np.stack(results, axis=out_axes)


def _assert_same(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_same(g, e)
        return
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# --- functions of one example --------------------------------------------------------------

def elementwise(x, w):
    return np.sin(x) * w + np.exp(-x * x) / (1.0 + w * w)


def reductions(x, w):
    return np.sum(x * w, axis=0) + np.mean(x) + np.max(x, axis=-2) + np.sum(x)


def products(x, W):
    # every way a vector and a matrix meet: x @ W, W @ x, x . x, W.T @ W @ x
    return (x @ W) @ (W.T @ x) + np.dot(x, x) + np.sum(W.T @ (W @ x))


def slices(x, w):
    d = x[1:] - x[:-1]
    return np.sum(d * d * w[0]) + x[0] * x[-1]


def scalar_math(a, b):
    return math.sin(a) * b + math.exp(-a * a) + max(a, b) + abs(a - b)


def fill_loop(x, w):
    h = np.zeros((4, x.shape[0]))
    h[0] = x
    for t in range(3):
        h[t + 1] = np.tanh(h[t] * w + x)
    return np.sum(h[3] * h[3])


def branch_on_data(x, w):
    s = np.sum(x * w)
    if s > 0.0:  # the condition differs across the batch: per example
        return s * s
    return -s


def branch_on_shape(x, w):
    if x.shape[0] > 2:  # the same for every example
        return np.sum(x[:3] * w[:3])
    return np.sum(x * w)


def recurrence(x, w):
    for _ in range(5):
        x = x + 0.1 * np.sin(w * x)
    return x


def layer(x, W, b):
    h = np.tanh(x @ W + b)
    return h, np.sum(h * h)


ROWS = [
    (elementwise, (0, None), [(3,), (3,)]),
    (elementwise, (0, 0), [(3,), (3,)]),
    (elementwise, (None, 0), [(3,), (3,)]),
    (reductions, (0, None), [(2, 3), (3,)]),
    (reductions, (0, 0), [(2, 3), (3,)]),
    (products, (0, None), [(3,), (3, 3)]),
    (products, (None, 0), [(3,), (3, 3)]),
    (products, (0, 0), [(3,), (3, 3)]),
    (slices, (0, None), [(5,), (2,)]),
    (slices, (0, 0), [(5,), (2,)]),
    (scalar_math, (0, None), [(), ()]),
    (scalar_math, (0, 0), [(), ()]),
    (fill_loop, (0, None), [(3,), (3,)]),
    (fill_loop, (0, 0), [(3,), (3,)]),
    (branch_on_data, (0, None), [(3,), (3,)]),
    (branch_on_shape, (0, 0), [(4,), (4,)]),
    (recurrence, (0, None), [(3,), (3,)]),
    (recurrence, (None, 0), [(3,), (3,)]),
    (layer, (0, None, None), [(3,), (3, 2), (2,)]),
]


def _batch(shapes, axes, data, size):
    """Arguments of ``shapes`` (one example's), batched on ``axes``."""
    args = []
    for shape, axis in zip(shapes, axes):
        if axis is None:
            args.append(data.draw(_arrays(shape)))
        else:
            batch = data.draw(_arrays((size, *shape)))
            args.append(np.moveaxis(batch, 0, axis) if shape else batch)
    return args


def _arrays(shape):
    size = math.prod(shape)
    return st.lists(st.floats(-2.0, 2.0), min_size=size, max_size=size).map(
        lambda v: np.array(v).reshape(shape) if shape else v[0])


@pytest.mark.parametrize("f, axes, shapes", ROWS,
                         ids=[f"{f.__name__}-{axes}" for f, axes, _ in ROWS])
@settings(max_examples=8, deadline=None)
@given(data=st.data(), size=st.integers(1, 4))
def test_matches_a_loop_over_the_examples(f, axes, shapes, data, size):
    args = _batch(shapes, axes, data, size)
    _assert_same(kept(vmap, f, in_axes=axes)(*args), _looped(f, args, axes))


def test_the_code_is_numpy_over_the_batch():
    source = vmap(products, in_axes=(0, None)).specialize(np.ones((4, 3)), np.eye(3)).source
    assert "for " not in source  # no loop over the examples
    assert "x @ W.T" in source  # W @ x of one example, for every example at once
    source = vmap(reductions, in_axes=(0, None)).specialize(np.ones((4, 2, 3)),
                                                           np.ones(3)).source
    assert "axis=(1, 2)" in source and "axis=1" in source


def test_a_condition_that_differs_across_the_batch_runs_per_example():
    batched = vmap(branch_on_data, in_axes=(0, None))
    x, w = np.array([[1.0, 2.0, 0.5], [-1.0, -2.0, 0.0]]), np.ones(3)
    _assert_same(batched(x, w), _looped(branch_on_data, (x, w), (0, None)))
    assert "for b in range(x.shape[0]):" in batched.source


def test_in_axes_and_out_axes():
    x = np.arange(12.0).reshape(3, 4)  # four examples on axis 1
    w = np.array([1.0, -1.0, 0.5])
    got = vmap(elementwise, in_axes=(1, None), out_axes=1)(x, w)
    _assert_same(got, _looped(elementwise, (x, w), (1, None), out_axes=1))
    assert vmap(elementwise)(np.ones((2, 3)), np.ones((2, 3))).shape == (2, 3)


def test_batch_sizes_may_differ_between_calls_and_share_the_code():
    batched = vmap(elementwise, in_axes=(0, None))
    w = np.ones(3)
    batched(np.ones((2, 3)), w)
    batched(np.ones((5, 3)), w)
    assert len(batched.specializations) == 1


# --- with the derivatives ----------------------------------------------------------------

def loss(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.sum((out - y) ** 2)


def test_per_example_gradients():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s) for s in ((4, 5), (5,), (5, 3), (3,))]
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 3))
    g = grad(loss, wrt=(0, 1, 2, 3))
    axes = (None,) * 4 + (0, 0)
    per_example = vmap(g, in_axes=axes)
    _assert_same(per_example(*params, X, Y), _looped(g, (*params, X, Y), axes))
    source = per_example.source
    assert "for " not in source and "np.einsum" in source  # outer products, batched
    # the batch's mean gradient is the mean of the per-example ones
    mean = grad(lambda W1, b1, W2, b2, X, Y: loss(W1, b1, W2, b2, X, Y) / 7.0,
                wrt=(0, 1, 2, 3))
    for got, want in zip(per_example(*params, X, Y), mean(*params, X, Y)):
        np.testing.assert_allclose(got.mean(axis=0), want, rtol=1e-10, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(data=st.data(), size=st.integers(1, 3))
def test_vmap_of_jvp_and_of_hessian(data, size):
    x = data.draw(_arrays((size, 4)))
    w = data.draw(_arrays((4,)))
    tangents = data.draw(_arrays((size, 4)))

    def energy(x, w):
        return np.sum(np.cos(x * w)) + np.sum(x[1:] * x[:-1])

    tangent = kept(jvp, energy, wrt=("x", "w"))
    pushed = kept(vmap, tangent, in_axes=(0, None, 0, None))
    _assert_same(pushed(x, w, tangents, np.zeros(4)),
                 _looped(tangent, (x, w, tangents, np.zeros(4)), (0, None, 0, None)))
    hessians = kept(vmap, kept(hessian, energy), in_axes=(0, None))
    _assert_same(hessians(x, w), _looped(kept(hessian, energy), (x, w), (0, None)))


# --- Jacobians and Hessians of array functions: batched sweeps ----------------------------

def seed_jacobian(x):  # the seeds' Jacobian example
    return np.array([x[0] ** 2 + x[1], x[1] * x[2]])


@pytest.mark.parametrize("mode", ["fwd", "rev", "auto"])
def test_the_seed_jacobian_with_a_numpy_x(mode):
    J = jacobian(seed_jacobian, mode=mode)
    x = np.array([1.0, 2.0, 3.0])
    assert J(x).tolist() == [[2.0, 1.0, 0.0], [0.0, 3.0, 2.0]]
    assert "for " not in J.specialize(x).source


def two_in_two_out(A, v, c):
    return A @ np.tanh(v) * c, np.sum(A * A) * v


def _block(f, args, out, i):
    """d f(args)[out] / d args[i] by central differences, shaped out + in."""
    x = np.asarray(args[i], dtype=float)
    value = np.asarray(f(*args)[out])
    block = np.zeros(value.shape + x.shape)
    for index in np.ndindex(*x.shape):
        def along(t, index=index):
            moved = x.copy()
            moved[index] = t
            changed = list(args)
            changed[i] = moved if x.shape else t
            return np.asarray(f(*changed)[out])
        block[(...,) + index] = central_difference(along, float(x[index]))
    return block


@pytest.mark.parametrize("mode", ["fwd", "rev"])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_every_block_of_a_jacobian(mode, data):
    A, v = data.draw(_arrays((2, 3))), data.draw(_arrays((3,)))
    c = data.draw(st.floats(-2.0, 2.0))
    blocks = kept(jacobian, two_in_two_out, wrt=(0, 1, 2), mode=mode)(A, v, c)
    assert len(blocks) == 2 and all(len(row) == 3 for row in blocks)
    for out in range(2):
        for i in range(3):
            expected = _block(two_in_two_out, (A, v, c), out, i)
            assert np.shape(blocks[out][i]) == expected.shape
            np.testing.assert_allclose(blocks[out][i], expected, rtol=1e-6, atol=1e-7)


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=6).map(np.array))
def test_hessian_of_rosenbrock_against_differences_of_the_gradient(x):
    H = kept(hessian, rosen)(x)
    g = kept(grad, rosen)
    expected = np.array([central_difference(lambda t, k=k: g(x + (t - x[k]) * np.eye(len(x))[k]),
                                            float(x[k])) for k in range(len(x))]).T
    np.testing.assert_allclose(H, expected, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-9)


def test_a_matrix_hessian_has_shape_in_plus_in():
    X = np.arange(1.0, 7.0).reshape(2, 3)
    H = hessian(lambda X: np.sum(X ** 3))(X)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H.reshape(6, 6), np.diag(6.0 * X.ravel()))


# --- errors --------------------------------------------------------------------------------

def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="different batch sizes"):
        vmap(elementwise)(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(TypeError, match="too many positional arguments"):
        vmap(elementwise)(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="in_axes has 1 entries for 2 arguments"):
        vmap(elementwise, in_axes=(0,))(np.ones((2, 3)), np.ones(3))
    with pytest.raises(DifferentiationError, match="no argument is batched"):
        vmap(elementwise, in_axes=None)(np.ones(3), np.ones(3))
    with pytest.raises(DifferentiationError, match="returns an array"):
        grad(vmap(elementwise))(np.ones((2, 3)), np.ones((2, 3)))  # (as for any array)
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="through a function made by vmap"):
        grad(summed_batch)(np.ones((2, 3)), np.ones(3))
    with pytest.raises(AttributeError, match="call it"):
        vmap(elementwise).source  # noqa: B018


batched_elementwise = vmap(elementwise, in_axes=(0, None))


def summed_batch(x, w):
    return np.sum(batched_elementwise(x, w))


def test_transforms_of_a_vmap_and_vmap_of_a_vmap():
    x, w = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]), np.array([1.0, 2.0, -1.0])
    J = jacobian(vmap(elementwise, in_axes=(0, None)), wrt=1)
    block = J(x, w)  # d out[k, i] / d w[j]: diagonal in (i, j) for each example k
    assert block.shape == (2, 3, 3)
    per_example = vmap(jacobian(elementwise, wrt=1), in_axes=(0, None))(x, w)
    np.testing.assert_allclose(block, per_example, rtol=1e-14)
    assert "for " not in J.source
    xs = np.arange(24.0).reshape(2, 4, 3) / 10.0
    twice = vmap(vmap(elementwise, in_axes=(0, None)), in_axes=(0, None))
    _assert_same(twice(xs, w), np.array([[elementwise(x, w) for x in row] for row in xs]))
    assert "for " not in twice.source


def appends(x):
    out = [0.0]
    for v in x:
        if v > 0.0:  # per example: and it appends to a list
            out.append(v * v)
    return sum(out)


def test_what_cannot_be_batched_op_by_op_runs_whole_per_example():
    batched = vmap(appends)
    x = np.array([[1.0, -1.0], [2.0, 3.0], [-1.0, -2.0]])
    _assert_same(batched(x), _looped(appends, (x,), 0))
    assert "for b in range(x.shape[0]):" in batched.source
    # per-example gradients through a branch on the data (the gradient's tape is in it)
    g = grad(branch_on_data, wrt=("x", "w"))
    w = np.array([0.5, -1.0, 2.0])
    _assert_same(vmap(g, in_axes=(0, None))(x[:, [0, 1, 0]], w),
                 _looped(g, (x[:, [0, 1, 0]], w), (0, None)))


def test_out_axes_none_needs_results_the_same_for_every_example():
    with pytest.raises(DifferentiationError, match="a result differs across the batch"):
        vmap(elementwise, in_axes=(0, None), out_axes=None)(np.ones((2, 3)), np.ones(3))


def test_the_example_checks_itself(capsys):
    from support import load_example

    load_example("batching").main()
    printed = capsys.readouterr().out
    differences = [float(line.rsplit(" ", 1)[1]) for line in printed.splitlines()
                   if "largest difference" in line]
    assert len(differences) == 2 and differences[0] < 1e-6 and differences[1] < 1e-12


def coupled(x, y):
    return np.sum(x[1:] * y[:-1]) + x[0] ** 2 * y[0] + np.sum(np.sin(x) * y[::-1])


def test_hessian_of_two_indexed_arrays_in_every_block():
    """Campaign 2416: hessian with respect to two arrays the function indexes was refused
    (the shape-generic code, built first, had no loop for several arguments)."""
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.5])
    (xx, xy), (yx, yy) = hessian(coupled, wrt=(0, 1))(x, y)
    g = grad(coupled, wrt=(0, 1))
    for (block, out, i) in ((xx, 0, 0), (xy, 0, 1), (yx, 1, 0), (yy, 1, 1)):
        args = [x, y]
        expected = np.zeros((3, 3))
        for j in range(3):
            def along(t, j=j, i=i, out=out, args=args):
                moved = [a.copy() for a in args]
                moved[i][j] = t
                return g(*moved)[out]
            expected[:, j] = central_difference(along, args[i][j])
        np.testing.assert_allclose(block, expected, rtol=1e-6, atol=1e-6)
    general = hessian(coupled, wrt=(0, 1)).general(x, y)  # the loop of JVPs, shapes at run time
    for got, want in zip((b for row in general for b in row), (xx, xy, yx, yy)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def constant(x, b, W):
    return 1.0


def test_zero_blocks_are_distinct_arrays():
    """Campaign 2416: the zero blocks of x (2 x 3) and W (3 x 2) were two views of one
    array of 6 zeros (the caller may write into a gradient)."""
    blocks = jacobian(constant, wrt=(0, 1, 2))(np.ones((2, 3)), np.ones(3), np.ones((3, 2)))
    assert [b.shape for b in blocks] == [(2, 3), (3,), (3, 2)]
    assert not any(np.shares_memory(a, b) for a in blocks for b in blocks if a is not b)


def picked(x, b, s):
    rows = []
    for _ in b:
        rows.append(b)
    s = np.concatenate(rows)[5]  # (a shape known only when it runs: no batched sweep)
    return s * x[0]


def test_a_number_block_is_a_number_in_the_looped_jacobian():
    """Campaign 2418: the block of a number argument, in the loop of JVPs, was a 0-d array."""
    blocks = jacobian(picked, wrt=(0, 1, 2), mode="rev")(np.ones(2), np.arange(3.0), 0.5)
    assert isinstance(blocks[2], float) and blocks[2] == 0.0
    np.testing.assert_array_equal(blocks[0], [2.0, 0.0])


# --- tuples, lists, dicts and records: each item carries the batch on axis 0 ------------------

@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


class Pair(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def layer_loss(params, x, y):
    W, b = params
    return np.sum((np.tanh(W @ x + b) - y) ** 2)


def dict_loss(params, x, y):
    return np.sum((np.tanh(params["W"] @ x + params["b"]) - y) ** 2)


def record_loss(layer, x, y):
    return np.sum((np.tanh(layer.W @ x + layer.b) - y) ** 2)


def branchy_loss(params, x, y):
    W, b = params
    z = W @ x + b
    if np.sum(z) > 0.0:  # differs across the batch: the whole function per example
        z = np.tanh(z)
    return np.sum((z - y) ** 2)


def _mean_of(f):
    def mean(params, X, Y):
        total = 0.0
        for k in range(X.shape[0]):
            total = total + f(params, X[k], Y[k])
        return total / X.shape[0]
    return mean


def _per_example(f, args, axes):
    """f per example (vmap's definition), for arguments that are structures too."""
    size = next(len(np.atleast_1d(leaf)) for a, ax in zip(args, axes) if ax is not None
                for leaf in [_first_leaf(a)])
    results = [f(*(a if ax is None else example_of(a, k) for a, ax in zip(args, axes)))
               for k in range(size)]
    return stack_examples(results)


def _first_leaf(x):
    while isinstance(x, (tuple, list, dict)) or dataclasses.is_dataclass(x):
        x = (list(x.values()) if isinstance(x, dict) else
             [getattr(x, f.name) for f in dataclasses.fields(x)]
             if dataclasses.is_dataclass(x) else x)[0]
    return x


def _assert_same_structure(got, want):
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert got.keys() == want.keys()
        for k in want:
            _assert_same_structure(got[k], want[k])
    elif dataclasses.is_dataclass(want):
        for f in dataclasses.fields(want):
            _assert_same_structure(getattr(got, f.name), getattr(want, f.name))
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same_structure(g, w)
    else:
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _layer(rng, make):
    return make(rng.normal(size=(3, 4)), rng.normal(size=3))


@pytest.mark.parametrize("f, make", [
    (layer_loss, lambda W, b: (W, b)),
    (layer_loss, lambda W, b: [W, b]),
    (dict_loss, lambda W, b: {"W": W, "b": b}),
    (record_loss, Layer),
    (record_loss, Pair),
    (branchy_loss, lambda W, b: (W, b)),
])
def test_per_example_gradients_with_respect_to_a_structure(f, make):
    rng = np.random.default_rng(3)
    params, X, Y = _layer(rng, make), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    g = grad(f)
    per_example = vmap(g, in_axes=(None, 0, 0))
    got = per_example(params, X, Y)
    _assert_same_structure(got, _per_example(g, (params, X, Y), (None, 0, 0)))
    if f is not branchy_loss:  # op by op: one NumPy expression over the batch, no loop
        assert "for " not in per_example.source and "batch_of_zeros(" in per_example.source
    # the batch's mean gradient is the mean of the per-example ones
    mean = grad(_mean_of(f))(params, X, Y)
    for item in ("W", "b"):
        got_item = got[item] if isinstance(got, dict) else (
            getattr(got, item) if not isinstance(got, (tuple, list)) or hasattr(got, "_fields")
            else got[0 if item == "W" else 1])
        want_item = mean[item] if isinstance(mean, dict) else (
            getattr(mean, item) if not isinstance(mean, (tuple, list)) or hasattr(mean, "_fields")
            else mean[0 if item == "W" else 1])
        np.testing.assert_allclose(got_item.mean(axis=0), want_item, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [lambda W, b: (W, b), lambda W, b: {"W": W, "b": b}, Layer])
def test_a_batched_structure_argument(make):
    rng = np.random.default_rng(4)
    params = make(rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 3)))  # a batch of layers
    X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    f = record_loss if make is Layer else dict_loss if make is not None and isinstance(
        params, dict) else layer_loss
    _assert_same_structure(vmap(f)(params, X, Y), _per_example(f, (params, X, Y), (0, 0, 0)))
    g = grad(f)  # and its per-example gradients: a batch of structures
    _assert_same_structure(vmap(g)(params, X, Y), _per_example(g, (params, X, Y), (0, 0, 0)))


def returns_a_dict(x, w):
    return {"value": np.sum(np.sin(x) * w), "scaled": x * w}


def test_a_dict_result_and_keyword_arguments():
    x, w = np.arange(6.0).reshape(2, 3) / 4.0, np.array([1.0, -2.0, 0.5])
    batched = vmap(returns_a_dict, in_axes=(0, None))
    got = batched(x, w=w)  # a keyword argument: by position, its in_axes entry
    _assert_same_structure(got, _per_example(returns_a_dict, (x, w), (0, None)))
    # the Jacobian of a dict result is a dict of blocks
    J = jacobian(returns_a_dict, wrt=1)(x[0], w)
    assert J["value"].shape == (3,) and J["scaled"].shape == (3, 3)
    np.testing.assert_allclose(J["value"], np.sin(x[0]), rtol=1e-14)


def test_structure_errors_say_what_to_do():
    rng = np.random.default_rng(5)
    params = (rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3)))
    X, Y = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    with pytest.raises(ValueError, match="argument 0 is a tuple: its in_axes must be 0"):
        vmap(layer_loss, in_axes=(1, 0, 0))(params, X, Y)
    with pytest.raises(ValueError, match=r"different batch sizes \(argument 0\[0\]: 2, "
                                         r"argument 0\[1\]: 3"):
        vmap(layer_loss)((params[0], np.ones((3, 3))), X, Y)
    with pytest.raises(ValueError, match=r"argument 0\[1\] has 0 axes"):
        vmap(layer_loss)((params[0], 1.0), X, Y)
    with pytest.raises(DifferentiationError, match="a result is a tuple, list or dict and "
                                                   "out_axes is 1"):
        vmap(grad(layer_loss), in_axes=(None, 0, 0), out_axes=1)(
            (params[0][0], params[1][0]), X, Y)
