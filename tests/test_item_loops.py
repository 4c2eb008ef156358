"""Loops that read a list, a tuple or a float vector item by item: the code specialized to
such arguments (a list of numbers: aval ``Numbers``; a 1-d float64 array read through
``.tolist()``, transforms/items.py; ``dx[i] = g`` into a slot still zero,
codegen/writes.first_writes) against central differences, and its shape."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.codegen import jit
from s2s_ad.numeric import central_difference


def product(xs):
    p = 1.0
    for x in xs:
        p = p * x
    return p


def product_indexed(theta):
    p = 1.0
    for i in range(theta.shape[0]):
        p = p * theta[i]
    return p


def sine_weighted(xs):
    s = 0.0
    for i in range(len(xs)):
        s = s + math.sin(xs[i]) * xs[i]
    return s


def branchy(xs):
    s = 0.0
    for i in range(len(xs)):
        if xs[i] > 0.5:
            s = s + xs[i] * xs[i]
        else:
            s = s - 3.0 * xs[i]
    return s


def neighbours(xs):
    """Two reads a step, at i and i - 1: each slot of the adjoint is added to twice."""
    s = 0.0
    for i in range(1, len(xs)):
        s = s + xs[i] * xs[i - 1]
    return s


def twice(xs):
    """Two reads of one item a step: its slot is added to twice."""
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * math.cos(xs[i])
    return s


def numpy_items(theta):
    s = 0.0
    for i in range(len(theta)):
        s = s + np.tanh(theta[i]) * theta[i]
    return s


def ratio(theta):
    p = 1.0
    for i in range(theta.shape[0]):
        p = p / theta[i]
    return p


FUNCTIONS = [product, product_indexed, sine_weighted, branchy, neighbours, twice, numpy_items]
_ITEMS = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v - 0.5) > 1e-3)


def _expected(f, xs):
    """Central differences item by item, on the argument's own type."""
    out = []
    for k in range(len(xs)):
        def moved(t, k=k):
            items = [float(v) for v in xs]
            items[k] += t
            return f(type(xs)(items) if not isinstance(xs, np.ndarray) else np.array(items))
        out.append(central_difference(moved, 0.0))
    return np.array(out)


def _argument(kind, values):
    if kind == "list":
        return list(values)
    if kind == "tuple":
        return tuple(values)
    if kind == "ints":  # a list of ints and floats (mixed): it must keep working
        return [round(v) if k % 2 else v for k, v in enumerate(values)]
    return np.array(values)


@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
@pytest.mark.parametrize("kind", ["list", "tuple", "ints", "array"])
@settings(max_examples=12, deadline=None)
@given(values=st.lists(_ITEMS, min_size=2, max_size=7))
def test_gradients_match_central_differences(f, kind, values):
    if f is product_indexed and kind != "array":
        return  # (theta.shape)
    xs = _argument(kind, values)
    g = s2s_ad.grad(f)(xs)
    if isinstance(xs, np.ndarray):
        assert type(g) is np.ndarray and g.dtype == np.float64 and g.flags.writeable
    else:
        assert type(g) is type(xs) and all(isinstance(v, float) for v in g)
    assert np.allclose(np.asarray(g), _expected(f, xs), rtol=1e-6, atol=1e-7)


def test_a_list_of_floats_gets_a_list_of_zeros_and_no_helpers():
    g = s2s_ad.grad(product)
    source = g.specialize([1.0, 2.0, 3.0]).source
    assert "zeros_like(" not in source and "like(" not in source
    assert "[0.0] * " in source
    assert "for x in xs:" in source  # the user's loop, not an index and a read
    assert "dxs[i] = " in source  # each slot written once: no `+=`
    assert g([1.0, 2.0, 3.0]) == [6.0, 3.0, 2.0]
    assert g(np.array([1.0, 2.0, 3.0])).tolist() == [6.0, 3.0, 2.0]  # other code for these


def test_a_tuple_stays_a_tuple_and_ints_give_floats():
    g = s2s_ad.grad(product)
    tuple_source = g.specialize((1.0, 2.0)).source
    assert "tuple(dxs)" in tuple_source and "like(" not in tuple_source
    assert g((1.0, 2.0, 3.0)) == (6.0, 3.0, 2.0)
    assert g([1, 2, 3]) == [6.0, 3.0, 2.0] and all(type(v) is float for v in g([1, 2, 3]))
    assert g([1, 2.0, True]) == [2.0, 1.0, 2.0]


def test_slots_added_to_twice_keep_the_add():
    source = s2s_ad.grad(neighbours).specialize([1.0, 2.0, 3.0]).source
    assert "dxs[i] += " in source and "dxs[i] = " not in source, source
    # (two reads of one item a step: their adjoints add up first, then go in once)
    assert "dxs[i] = " in s2s_ad.grad(twice).specialize([1.0, 2.0]).source


def test_a_float_vector_read_by_items_is_read_as_a_list():
    g = s2s_ad.grad(product_indexed)
    theta = np.array([1.0, 2.0, 3.0])
    source = g.specialize(theta).source
    assert "theta.tolist()" in source and "np.array(" in source
    assert "np.float64" not in source and "zeros_like" not in source
    assert g(theta).tolist() == [6.0, 3.0, 2.0]


def rows(theta):
    s = 0.0
    for i in range(len(theta)):
        s = s + np.sum(np.sin(theta[i]))
    return s


@pytest.mark.parametrize("f, theta", [
    (sine_weighted, np.array([1.0, 2.0], dtype=np.float32)),
    (sine_weighted, np.array([1, 2])),
    (rows, np.ones((2, 3))),
    (sine_weighted, [np.float64(1.0), np.float64(2.0)]),
])
def test_other_arrays_are_read_as_they_are(f, theta):
    g = s2s_ad.grad(f)
    assert "tolist" not in g.specialize(theta).source
    assert np.allclose(np.asarray(g(theta), dtype=float),
                       _expected(f, np.asarray(theta, dtype=float)).reshape(np.shape(theta))
                       if np.ndim(theta) == 1 else np.cos(theta))


def squares(theta):
    s = 0.0
    for i in range(len(theta)):
        s = s + theta[i] ** 2.5
    return s


def test_a_division_keeps_numpy_s_inf():
    """``p / theta[i]`` at 0: NumPy's inf, as the function gives, not Python's error."""
    g = s2s_ad.grad(ratio)
    theta = np.array([0.0, 2.0])
    assert "tolist" not in g.specialize(theta).source
    with np.errstate(all="ignore"):
        assert np.isinf(g(theta)).all()


def test_a_power_keeps_the_array():
    """``x ** 1.5`` (the derivative's) overflows with an error on a Python float, gives a
    complex number of a negative one (inf, nan on NumPy's): such items are read as they
    are. (``x ** 2`` in a derivative is ``x * x``, which reads the list.)"""
    theta = np.array([0.5, 1.5, 2.0])
    g = s2s_ad.grad(squares)
    assert "tolist" not in g.specialize(theta).source
    assert np.allclose(g(theta), _expected(squares, theta), rtol=1e-6, atol=1e-7)


def test_the_value_keeps_its_type():
    """value_and_grad returns f's value as f does (a NumPy float): no list there."""
    theta = np.array([1.0, 2.0])
    vg = s2s_ad.value_and_grad(product_indexed)
    value, grad = vg(theta)
    assert type(value) is np.float64 and grad.tolist() == [2.0, 1.0]
    assert "tolist" not in vg.specialize(theta).source


def test_second_derivatives_through_the_list():
    theta = np.array([0.3, 1.2])
    hessian = s2s_ad.hessian(sine_weighted)(theta)
    gradient = s2s_ad.grad(sine_weighted)
    for k, unit in enumerate(np.eye(2)):
        def moved(t, step=unit):
            return gradient(theta + t * step)
        assert np.allclose(hessian[k], central_difference(moved, 0.0), rtol=1e-6, atol=1e-7)
    hv = s2s_ad.hvp(sine_weighted)(theta, np.array([1.0, 0.0]))
    assert np.allclose(hv, hessian[0], rtol=1e-12, atol=1e-12)


def test_transforms_of_the_gradient_take_it_reading_the_array():
    """A transform of the gradient differentiates code that reads the vector as it is (its
    tangent's items are the items' tangents): per-example gradients, their JVP."""
    thetas = np.array([[0.3, 1.2, -0.7], [1.1, -0.4, 0.9]])
    gradient = s2s_ad.grad(sine_weighted)
    assert "tolist" in gradient.specialize(thetas[0]).source
    per_example = s2s_ad.vmap(gradient)(thetas)
    assert np.allclose(per_example, [gradient(t) for t in thetas], rtol=1e-14, atol=0)
    direction = np.array([0.5, -1.0, 2.0])
    _, tangent = s2s_ad.jvp(gradient)(thetas[0], direction)
    assert np.allclose(tangent, central_difference(
        lambda t: gradient(thetas[0] + t * direction), 0.0), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(not jit.available(), reason="needs numba")
def test_numba_reads_the_array():
    g = s2s_ad.grad(product_indexed, backend="numba")
    assert g(np.array([1.0, 2.0, 3.0])).tolist() == [6.0, 3.0, 2.0]
    assert "tolist" not in g.source


@pytest.mark.skipif(not jit.available(), reason="needs numba")
def test_numba_says_why_it_cannot_take_a_tuple_read_by_items():
    with pytest.raises(s2s_ad.BackendError, match=r"tuple argument read item by item") as info:
        s2s_ad.grad(product, backend="numba")((1.0, 2.0))
    assert "for x in xs" in str(info.value)  # the user's line
