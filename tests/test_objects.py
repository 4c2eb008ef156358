"""Objects: dataclasses and named tuples as arguments (their gradient is an object of their
class, field by field), and bound methods (``grad(model.loss)``: ``self`` read when the
derivative runs, its other methods inlined).

Reverse mode is checked by projection: ``<grad, u>`` against Richardson differences of
``t -> f(p + t u)`` along a drawn direction ``u`` of the argument's structure; forward mode
by the same difference; the Hessian-vector product against Richardson differences of the
gradient along ``u``.
"""

import dataclasses
import inspect
import math
import pickle
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.numeric import numerical_grad, richardson


# --- trees of floats and arrays, for the oracle ------------------------------------------------
def tree_map(fn, *trees, other=None):
    """``fn`` over the float and array leaves of ``trees`` (of one structure); other leaves
    (ints, strings, None) are the first tree's, or ``other`` of it."""
    t = trees[0]
    if dataclasses.is_dataclass(t):
        fields = {f.name: tree_map(fn, *(getattr(x, f.name) for x in trees), other=other)
                  for f in dataclasses.fields(t)}
        out = object.__new__(type(t))
        for name, value in fields.items():
            object.__setattr__(out, name, value)
        return out
    if isinstance(t, tuple) and hasattr(t, "_fields"):
        return type(t)(*(tree_map(fn, *items, other=other) for items in zip(*trees)))
    if isinstance(t, (tuple, list)):
        return type(t)(tree_map(fn, *items, other=other) for items in zip(*trees))
    if isinstance(t, dict):
        return {k: tree_map(fn, *(x[k] for x in trees), other=other) for k in t}
    if isinstance(t, (float, np.ndarray)):
        return fn(*trees)
    return t if other is None else other(t)


def leaves(tree, like=None):
    """The float and array leaves of ``tree``; with ``like``, those at the places of
    ``like``'s float and array leaves (a gradient has a float where ``like`` has an int)."""
    out = []
    tree_map(lambda _, x: out.append(np.asarray(x, dtype=float)),
             tree if like is None else like, tree)
    return out


def inner(g, u):
    """``<g, u>`` over the float and array leaves of ``u`` (g has u's structure)."""
    return sum(float(np.sum(a * b)) for a, b in zip(leaves(g, u), leaves(u)))


def along(p, t, u):
    return tree_map(lambda x, d: x + t * d, p, u)


def direction_like(p, seed):
    rng = np.random.default_rng(seed)
    # (an int field stays: its tangent is 0, a forward-mode argument of p's class)
    return tree_map(lambda x: rng.normal(size=np.shape(x)) if isinstance(x, np.ndarray)
                    else float(rng.normal()), p,
                    other=lambda x: 0 if isinstance(x, int) else x)


def assert_same_structure(g, p):
    """``g`` has ``p``'s containers (its leaves are floats or arrays)."""
    if not (dataclasses.is_dataclass(p) or isinstance(p, (tuple, list, dict))):
        return
    assert type(g) is type(p)
    if dataclasses.is_dataclass(p):
        for f in dataclasses.fields(p):
            assert_same_structure(getattr(g, f.name), getattr(p, f.name))
    elif isinstance(p, (tuple, list)):
        assert len(g) == len(p)
        for a, b in zip(g, p):
            assert_same_structure(a, b)


# --- the rows ---------------------------------------------------------------------------------
@dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


def layer_loss(p, X, y):
    return np.mean((np.tanh(X @ p.W + p.b) - y) ** 2)


@dataclass(frozen=True)
class Wave:
    w: float
    scale: float
    power: int
    name: str


def wave(c, x):
    return c.scale * math.sin(c.w * x) * c.power + c.w * x


class Point(NamedTuple):
    a: float
    b: float


def point_three_ways(p, x):
    a, b = p
    return p.a * math.exp(p[1] * x) + a * b * x


class Pair(NamedTuple):
    u: float
    v: np.ndarray


@dataclass
class Nested:
    W: np.ndarray
    pair: Pair


def nested(c, x):
    s = np.sum(np.sin(c.W * x)) * c.pair.u
    return s + np.sum(c.pair.v ** 2) * x


@dataclass
class Poly:
    coeffs: list
    shift: float


def horner(p, x):
    acc = 0.0
    for c in p.coeffs:
        acc = acc * (x - p.shift) + c
    return acc


def _energy(state, k):
    return 0.5 * k * state.a * state.a + state.b * state.a


def via_helper(state, k):
    return _energy(state, k) * math.cos(state.b)


def _floats(lo=-1.5, hi=1.5):
    return st.floats(lo, hi)


def _array(*shape):
    n = int(np.prod(shape))
    return st.lists(_floats(), min_size=n, max_size=n).map(lambda v: np.array(v).reshape(shape))


ROWS = [
    ("a dataclass of arrays", layer_loss, "p",
     st.tuples(st.builds(Layer, _array(3, 2), _array(2)), _array(4, 3), _array(4, 2))),
    ("a frozen dataclass with an int and a str field", wave, "c",
     st.tuples(st.builds(Wave, _floats(), _floats(), st.integers(1, 3), st.just("w")),
               _floats())),
    ("a named tuple read by name, by index and unpacked", point_three_ways, "p",
     st.tuples(st.builds(Point, _floats(), _floats(-0.8, 0.8)), _floats())),
    ("a dataclass of an array and a named tuple", nested, "c",
     st.tuples(st.builds(Nested, _array(3), st.builds(Pair, _floats(), _array(2))),
               _floats())),
    ("a list field read in a loop", horner, "p",
     st.tuples(st.builds(Poly, st.lists(_floats(), min_size=1, max_size=4), _floats()),
               _floats())),
    ("a named tuple passed to a helper", via_helper, "state",
     st.tuples(st.builds(Point, _floats(), _floats()), _floats(0.1, 2.0))),
]


@pytest.mark.parametrize("what, f, wrt, points", ROWS, ids=[r[0] for r in ROWS])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_gradients_with_respect_to_objects(what, f, wrt, points, data):
    """The gradient has the argument's class, field by field; reverse, forward and
    forward-over-reverse mode against Richardson differences along a direction."""
    args = data.draw(points)
    i = f.__code__.co_varnames.index(wrt)
    p = args[i]
    u = direction_like(p, data.draw(st.integers(0, 2 ** 16)))

    def moved(t):
        shifted = list(args)
        shifted[i] = along(p, t, u)
        return shifted

    expected = richardson(lambda t: f(*moved(t)), 0.0)
    value, g = s2s_ad.value_and_grad(f, wrt=wrt)(*args)
    assert value == f(*args)
    assert_same_structure(g, p)
    assert inner(g, u) == pytest.approx(expected, rel=1e-6, abs=1e-8)
    _, tangent = s2s_ad.jvp(f, wrt=wrt)(*args, u)
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)
    gradient = s2s_ad.grad(f, wrt=wrt)
    hv = s2s_ad.hvp(f, wrt=wrt)(*args, u)
    assert_same_structure(hv, p)
    want = [richardson(lambda t, k=k: leaves(gradient(*moved(t)), p)[k], 0.0)
            for k in range(len(leaves(p)))]
    for got, w in zip(leaves(hv, p), want):
        assert np.allclose(got, w, rtol=1e-5, atol=1e-7)


def test_the_gradient_of_a_dataclass_is_one_of_its_class():
    """The issue's example: Params(W, b) in, Params(dW, db) out; an int field's gradient
    is a float (as an int argument's is), a str field's 0.0, as for a dict's items."""
    rng = np.random.default_rng(1)
    p, X, y = Layer(rng.normal(size=(3, 2)), rng.normal(size=2)), rng.normal(size=(5, 3)), \
        rng.normal(size=(5, 2))
    g = s2s_ad.grad(layer_loss)(p, X, y)
    assert isinstance(g, Layer)
    dW = numerical_grad(lambda W: layer_loss(Layer(W, p.b), X, y), (p.W,), method="richardson")
    assert np.allclose(g.W, dW, rtol=1e-6, atol=1e-9)
    c = Wave(0.7, 1.3, 2, "wave")
    dc = s2s_ad.grad(wave)(c, 0.4)
    assert isinstance(dc, Wave) and dc.name == 0.0 and isinstance(dc.power, float)
    # d/dpower of scale * sin(w x) * power, as if power were real
    assert dc.power == pytest.approx(1.3 * math.sin(0.28))
    assert c == Wave(0.7, 1.3, 2, "wave")  # the argument is not changed


def test_code_specialized_to_a_dataclass_reads_its_fields():
    p = Layer(np.ones((3, 2)), np.zeros(2))
    source = s2s_ad.grad(layer_loss).specialize(p, np.ones((4, 3)), np.ones((4, 2))).source
    assert "p.W" in source and "p.b" in source and "like(dp, p)" in source
    # a specialization per field shapes: another W shape is another build
    g = s2s_ad.grad(layer_loss)
    g(p, np.ones((4, 3)), np.ones((4, 2)))
    wide = Layer(np.ones((3, 5)), np.zeros(5))
    assert g(wide, np.ones((4, 3)), np.ones((4, 5))).W.shape == (3, 5)


def test_a_named_tuple_of_arrays_is_specialized_to_its_shapes():
    """A named tuple of arrays of another shape gets code of its own (its class alone
    used to key the code: the second call broadcast against the first call's shapes)."""
    def f(p, X):
        W, b = p
        return np.sum(X @ W + b)

    g = s2s_ad.grad(f)
    assert g(Point(np.ones(3), 0.5), np.ones((2, 3))).a.shape == (3,)
    assert g(Point(np.ones((3, 2)), 0.5), np.ones((2, 3))).a.shape == (3, 2)


def test_forward_mode_takes_a_tangent_of_the_arguments_class():
    c = Nested(np.array([0.3, -0.2, 0.5]), Pair(0.7, np.array([1.0, 2.0])))
    u = Nested(np.array([1.0, 0.0, 2.0]), Pair(-1.0, np.array([0.5, 0.5])))
    source = s2s_ad.jvp(nested, wrt="c").specialize(c, 0.4, u).source
    assert "dc.W" in source and "dc.pair" in source
    value, tangent = s2s_ad.jvp(nested, wrt="c")(c, 0.4, u)
    assert value == nested(c, 0.4)
    assert tangent == pytest.approx(richardson(lambda t: nested(along(c, t, u), 0.4), 0.0))


def test_an_unread_dataclass_gets_zeros_of_its_class():
    def f(p, x):
        return x * x

    g = s2s_ad.grad(f, wrt=("p", "x"))(Layer(np.ones(2), np.ones(3)), 2.0)
    assert isinstance(g[0], Layer) and np.all(g[0].W == 0) and g[0].b.shape == (3,)
    assert g[1] == 4.0


# --- bound methods ------------------------------------------------------------------------------
class Neuron:
    """A neuron with a property, a static and a class method, and methods calling methods."""

    gain = 1.5

    def __init__(self, w, b):
        self.w = w
        self.b = b

    @property
    def slope(self):
        return self.w * self.gain

    @staticmethod
    def squash(z):
        return math.tanh(z)

    @classmethod
    def target(cls, y):
        return y * cls.gain

    def predict(self, x):
        return self.squash(self.slope * x + self.b)

    def loss(self, x, y):
        return (self.predict(x) - self.target(y)) ** 2


def _neuron_loss(w, b, x, y):  # the same, written out: the oracle's function
    return (math.tanh(w * 1.5 * x + b) - y * 1.5) ** 2


_POINT = st.tuples(_floats(), _floats(), _floats(), _floats())


@settings(max_examples=15, deadline=None)
@given(point=_POINT)
def test_every_transform_of_a_bound_method(point):
    """The derivatives of ``neuron.loss`` with respect to its own parameters (x, y),
    against differences of the same function written out."""
    w, b, x, y = point
    neuron = Neuron(w, b)
    plain = lambda x, y: _neuron_loss(w, b, x, y)  # noqa: E731
    want = numerical_grad(plain, (x, y), wrt=(0, 1), method="richardson")
    assert s2s_ad.grad(neuron.loss)(x, y) == pytest.approx(want[0], rel=1e-6, abs=1e-9)
    assert s2s_ad.grad(neuron.loss, wrt=("x", "y"))(x, y) == pytest.approx(want, rel=1e-6,
                                                                            abs=1e-9)
    value, g = s2s_ad.value_and_grad(neuron.loss, wrt=-1)(x, y)
    assert value == neuron.loss(x, y) and g == pytest.approx(want[1], rel=1e-6, abs=1e-9)
    assert s2s_ad.vjp(neuron.loss, wrt=1)(x, y, 2.0) == pytest.approx(2 * want[1], rel=1e-6,
                                                                      abs=1e-9)
    assert s2s_ad.jvp(neuron.loss)(x, y, 1.0)[1] == pytest.approx(want[0], rel=1e-6, abs=1e-9)
    assert s2s_ad.jacobian(neuron.loss, wrt=(0, 1))(x, y) == pytest.approx(want, rel=1e-6,
                                                                            abs=1e-9)
    gx = s2s_ad.grad(neuron.loss)
    second = richardson(lambda t: gx(x + t, y), 0.0)
    assert s2s_ad.hessian(neuron.loss)(x, y) == pytest.approx(second, rel=1e-5, abs=1e-7)
    assert s2s_ad.hvp(neuron.loss)(x, y, 1.0) == pytest.approx(second, rel=1e-5, abs=1e-7)
    assert s2s_ad.grad(s2s_ad.grad(neuron.loss))(x, y) == pytest.approx(second, rel=1e-5,
                                                                         abs=1e-7)


def test_a_bound_method_reads_self_when_it_runs():
    """``self.w`` is read at each call: changing the object after building the derivative
    changes what it computes (never the value it had when it was built)."""
    neuron = Neuron(0.5, 0.1)
    g = s2s_ad.grad(neuron.loss)
    assert g(1.0, 0.3) == pytest.approx(numerical_grad(
        lambda x: _neuron_loss(0.5, 0.1, x, 0.3), (1.0,), method="richardson"))
    neuron.w, neuron.b = -2.0, 0.7
    assert g(1.0, 0.3) == pytest.approx(numerical_grad(
        lambda x: _neuron_loss(-2.0, 0.7, x, 0.3), (1.0,), method="richardson"))
    assert "self.w" in g.source and "self.b" in g.source
    other = Neuron(1.0, 0.0)  # another object of the class: its own binding, the same code
    assert s2s_ad.grad(other.loss).__func__ is g.__func__
    assert s2s_ad.grad(other.loss).__self__ is other
    assert s2s_ad.grad(other.loss)(1.0, 0.3) == pytest.approx(numerical_grad(
        lambda x: _neuron_loss(1.0, 0.0, x, 0.3), (1.0,), method="richardson"))


def test_the_class_function_takes_self_as_an_argument():
    """``grad(Neuron.loss, wrt="x")``: self is an argument (read at run time), its class
    the one that defines the function: its other methods inline, after a check that self
    is of that class itself (a subclass may override them). A function defined outside
    the class knows no class: a method call on its argument is an error."""
    neuron = Neuron(0.5, 0.1)
    g = s2s_ad.grad(Neuron.loss, wrt=("x", "y"))
    assert g(neuron, 1.0, 0.3) == pytest.approx(numerical_grad(
        lambda x, y: _neuron_loss(0.5, 0.1, x, y), (1.0, 0.3), wrt=(0, 1),
        method="richardson"))
    assert "exactly(self, Neuron)" in g.source

    class Steeper(Neuron):
        def predict(self, x):
            return 2.0 * super().predict(x)

    with pytest.raises(TypeError, match="inlines the methods of Neuron, and self is a"):
        g(Steeper(0.5, 0.1), 1.0, 0.3)

    def loss(self, x):
        return (self.w * x + self.b) ** 2

    assert s2s_ad.grad(loss, wrt="x")(neuron, 2.0) == pytest.approx(2 * 1.1 * 0.5)

    def calls(self, x):
        return self.predict(x) * x

    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="class is known only at run time"):
        s2s_ad.grad(calls, wrt="x")


@dataclass
class Spring:
    k: float
    x0: float

    def energy(self, x):
        return 0.5 * self.k * (x - self.x0) ** 2


def test_a_dataclass_method_differentiates_with_respect_to_the_object_or_its_argument():
    spring = Spring(2.0, 0.5)
    assert s2s_ad.grad(spring.energy)(1.5) == pytest.approx(2.0)  # k (x - x0)
    d = s2s_ad.grad(Spring.energy)(spring, 1.5)  # the function: self first, differentiated
    assert isinstance(d, Spring)
    assert (d.k, d.x0) == pytest.approx((0.5, -2.0))  # (x - x0)^2 / 2, -k (x - x0)


@dataclass
class Gaussian:
    """Equinox-style: a module whose method calls another, differentiated with respect to
    the module (a property too)."""

    mean: np.ndarray
    log_std: np.ndarray
    weights: list

    @property
    def std(self):
        return np.exp(self.log_std)

    def logpdf(self, x):
        z = (x - self.mean) / self.std
        return -0.5 * np.sum(z * z) - np.sum(self.log_std)

    def score(self, x):
        s = 0.0
        for w in self.weights:
            s = s + w * self.logpdf(x)
        return s


def test_a_method_calling_methods_differentiates_with_respect_to_its_object():
    m = Gaussian(np.array([0.1, -0.3]), np.array([0.2, 0.0]), [0.5, 1.5])
    x = np.array([0.4, 0.9])
    u = Gaussian(np.array([1.0, 0.5]), np.array([-0.3, 0.2]), [0.1, -0.2])
    expected = richardson(lambda t: along(m, t, u).score(x), 0.0)
    g = s2s_ad.grad(Gaussian.score)(m, x)
    assert isinstance(g, Gaussian) and g.mean.shape == (2,) and len(g.weights) == 2
    assert inner(g, u) == pytest.approx(expected, rel=1e-7)
    assert s2s_ad.jvp(Gaussian.score)(m, x, u)[1] == pytest.approx(expected, rel=1e-7)


def test_a_property_of_a_dataclass_argument_being_differentiated_is_an_error():
    """Its derivative would have no field to go to: a located error where code is
    specialized to the arguments, a TypeError naming it where it runs otherwise."""
    def f(p, x):
        return np.sum(p.std * x)

    m = Gaussian(np.zeros(2), np.zeros(2), [])
    with pytest.raises(s2s_ad.DifferentiationError, match=r"\.std of a Gaussian: it is not a "
                                                          "field") as info:
        s2s_ad.grad(f)(m, np.ones(2))
    assert "test_objects.py" in str(info.value) and "p.std" in str(info.value)
    assert np.allclose(s2s_ad.grad(f, wrt="x")(m, np.ones(2)), 1.0)  # p not differentiated

    def g(p, x):
        return p.std[0] * x

    with pytest.raises(TypeError, match=r"\.std, which is not a field"):
        s2s_ad.grad(g)(m, 2.0)


class Chain:
    def __init__(self, scale):
        self.scale = scale

    def inner(self, x):
        return self.scale * math.sin(x)

    def outer(self, x):
        return self.inner(x) * self.inner(2.0 * x)


CHAIN = Chain(1.7)


def calls_a_global_objects_method(x):
    return CHAIN.outer(x) + x


def test_a_method_of_a_global_object_is_inlined():
    """A global object is read when the derivative is built, like every global."""
    f = lambda x: 1.7 * math.sin(x) * 1.7 * math.sin(2 * x) + x  # noqa: E731
    want = numerical_grad(f, (0.4,), method="richardson")
    assert s2s_ad.grad(calls_a_global_objects_method)(0.4) == pytest.approx(want, rel=1e-7)


def test_a_bound_derivative_pickles_with_its_object():
    """It pickles as the transform of the bound method: loaded, it is built again for the
    loaded object."""
    g = s2s_ad.grad(CHAIN.outer)
    loaded = pickle.loads(pickle.dumps(g))
    assert loaded(0.4) == g(0.4) and loaded.__self__ is not CHAIN
    assert loaded.__self__.scale == CHAIN.scale
    assert list(inspect.signature(g).parameters) == ["x"]
    assert g.specialize(0.4).source.startswith("def outer_grad(self, x):")


def test_reverse_over_reverse_reads_the_cotangent_of_an_object_by_field():
    """``vjp(grad(f))``: the cotangent of the gradient is an object of the argument's
    class; the second sweep reads it by field (``field(dp, 'a')``), against Richardson
    differences of ``<grad(f)(p + t u), ct>``."""
    def f(p, q, x):
        return p.W * np.sum(np.sin(p.b * x)) + q.a * q[1] * x

    p, q, x = Layer(0.7, np.array([0.3, -0.2])), Point(1.1, -0.4), 0.9
    g = s2s_ad.grad(f, wrt=("p", "q"))
    ct = (Layer(1.0, np.array([0.5, -1.0])), Point(0.2, 0.3))
    u = (Layer(0.3, np.array([0.1, 0.2])), Point(-0.5, 0.4), 0.7)
    dp, dq, dx = s2s_ad.vjp(g, wrt=("p", "q", "x"))(p, q, x, ct)
    assert isinstance(dp, Layer) and isinstance(dq, Point)
    want = richardson(lambda t: inner(g(along(p, t, u[0]), along(q, t, u[1]), x + t * u[2]),
                                      ct), 0.0)
    assert inner((dp, dq), u[:2]) + dx * u[2] == pytest.approx(want, rel=1e-7)


# --- records built inside the differentiated function (issue 18) --------------------------
@dataclass
class Vec:
    x: float
    y: float
    weight: float = 2.0

    @property
    def norm2(self):
        return self.x * self.x + self.weight * self.y * self.y

    def scaled(self, k):
        return Vec(k * self.x, k * self.y, self.weight)


class Span(NamedTuple):
    lo: float
    hi: float = 0.5


def _vec_norm(v):
    return v.x * v.x + v.weight * v.y * v.y


def builds_records(x, y):
    p = Vec(x, y)
    q = Vec(y=x * y, x=math.sin(x), weight=3.0)  # (by keyword, in any order)
    s = Span(x)
    lo, hi = s
    return p.x * p.y + _vec_norm(q) + s[0] * s.hi + lo * hi + p.scaled(y).norm2


@pytest.mark.parametrize("point", [(0.7, -1.2), (-0.3, 0.4), (1.5, 2.0)])
def test_records_built_in_the_function_are_their_fields(point):
    """``Vec(x, y)`` built in the function is its fields when the derivative is built: the
    code never makes the object. Reverse, forward and second order against Richardson
    differences."""
    g = s2s_ad.grad(builds_records, wrt=(0, 1))
    expected = numerical_grad(builds_records, point, wrt=(0, 1), method="richardson")
    assert np.allclose(g(*point), expected, rtol=1e-8)
    assert s2s_ad.jvp(builds_records, wrt=0)(*point, 1.0)[1] == pytest.approx(expected[0])
    second = [numerical_grad(lambda a, b, k=k: g(a, b)[k], point, wrt=(0, 1),
                             method="richardson") for k in range(2)]
    assert np.allclose(s2s_ad.hessian(builds_records, wrt=(0, 1))(*point), second, rtol=1e-6)
    assert s2s_ad.grad(s2s_ad.grad(builds_records, wrt=0), wrt=1)(*point) == pytest.approx(
        second[0][1], rel=1e-6)
    assert "Vec" not in g.source and "Span" not in g.source


def records_in_loops_and_branches(x, y, n):
    r = Vec(x, y, 0.5)
    for _ in range(n):  # (a record carried by a loop: its fields are)
        r = Vec(r.x * math.cos(r.y), r.y + 0.1 * r.x, r.weight)
    s = Vec(r.y, r.x, 1.0) if x > 0 else Vec(r.x, r.y, 2.0)  # (joined field by field)
    return s.x * s.weight + r.norm2


@pytest.mark.parametrize("point", [(0.7, -1.2, 4), (-0.4, 0.3, 0), (1.1, 0.2, 2)])
def test_records_built_here_are_carried_by_loops_and_joined_by_branches(point):
    g = s2s_ad.grad(records_in_loops_and_branches, wrt=(0, 1))
    expected = numerical_grad(records_in_loops_and_branches, point, wrt=(0, 1),
                              method="richardson")
    assert np.allclose(g(*point), expected, rtol=1e-8)
    assert s2s_ad.jvp(records_in_loops_and_branches, wrt=1)(*point, 1.0)[1] == pytest.approx(
        expected[1])
    second = [numerical_grad(lambda a, b, k=k: g(a, b, point[2])[k], point[:2], wrt=(0, 1),
                             method="richardson") for k in range(2)]
    assert np.allclose(s2s_ad.hessian(records_in_loops_and_branches, wrt=(0, 1))(*point),
                       second, rtol=1e-6, atol=1e-9)


# --- returning a record built in the function (issue 18) ----------------------------------
@dataclass
class State:
    pos: np.ndarray
    energy: float


class Duo(NamedTuple):
    a: float
    b: float


def step(x, w):
    """An array in, a record of an array and a number out."""
    v = np.tanh(x * w)
    return State(pos=x + 0.1 * v, energy=0.5 * np.sum(v * v) + w * w)


def pair_of(x, y):
    if x > 0:  # (returned from either branch)
        return Duo(x * y, math.sin(x))
    return Duo(y, x * x * y)


def split(x, n):
    p = Duo(x, 1.0)
    for _ in range(n):  # (returned from inside a loop)
        p = Duo(p.a * 0.5 + p.b, p.b * x)
        if p.b > 5.0:
            return p, x
    return p, 2.0 * x


def uses_a_returned_record(x, w):
    s = step(x, w)  # (a helper returning a record: its fields)
    q = pair_of(w, s.energy)
    a, b = q
    return np.sum(s.pos ** 2) * a + b


def _flat(value):
    """The numbers of a record (tuples of records, arrays), in order."""
    if isinstance(value, (tuple, list)):
        return np.concatenate([_flat(v) for v in value])
    if dataclasses.is_dataclass(value):
        return np.concatenate([_flat(getattr(value, f.name)) for f in dataclasses.fields(value)])
    return np.ravel(np.asarray(value, dtype=float))


@pytest.mark.parametrize("f, args", [
    (step, (np.array([0.3, -0.8, 1.2]), 0.7)),
    (pair_of, (0.6, -1.3)), (pair_of, (-0.6, 1.3)),
    (split, (1.2, 4)), (split, (2.5, 4)),
], ids=["array in, dataclass out", "named tuple, then branch", "named tuple, else branch",
        "tuple of a record, loop ends", "tuple of a record, returned from the loop"])
def test_returning_a_record_built_in_the_function(f, args):
    """``return State(...)`` of a record built in the function: ``jacobian`` (forward and
    reverse mode), ``jvp`` and ``vjp`` take and return records of its class (a field's
    Jacobian in the field), against Richardson differences."""
    value = f(*args)
    x = np.asarray(args[0], dtype=float)
    flat = _flat(value)

    def moved(t, u):
        return _flat(f(*((x + t * u) if x.ndim else float(x + t * u), *args[1:])))

    rng = np.random.default_rng(0)
    for mode in ("fwd", "rev"):
        jac = s2s_ad.jacobian(f, wrt=0, mode=mode)(*args)
        assert type(jac) is type(value)
        columns = [richardson(lambda t, u=u: moved(t, u), 0.0)
                   for u in (np.eye(x.size) if x.ndim else [1.0])]
        expected = np.stack(columns, axis=-1).reshape(flat.size, -1)
        got = np.concatenate([np.reshape(part, (-1, x.size if x.ndim else 1))
                              for part in _leaves(jac)])
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-8), mode
    u = rng.normal(size=x.shape) if x.ndim else 0.7
    out, tangent = s2s_ad.jvp(f, wrt=0)(*args, u)
    assert type(tangent) is type(value) and np.allclose(_flat(out), flat)
    assert np.allclose(_flat(tangent), richardson(lambda t: moved(t, u), 0.0), rtol=1e-6,
                       atol=1e-8)
    cotangent = _cotangent_like(value, rng)
    grad = s2s_ad.vjp(f, wrt=0)(*args, cotangent)  # (<ct, J u> = <J^T ct, u>)
    assert np.isclose(np.sum(_flat(grad) * np.ravel(u)),
                      np.dot(_flat(cotangent), _flat(tangent)), rtol=1e-8)


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    if dataclasses.is_dataclass(value):
        return [leaf for fd in dataclasses.fields(value)
                for leaf in _leaves(getattr(value, fd.name))]
    return [value]


def _cotangent_like(value, rng):
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_cotangent_like(v, rng) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_cotangent_like(v, rng) for v in value)
    if dataclasses.is_dataclass(value):
        return type(value)(**{fd.name: _cotangent_like(getattr(value, fd.name), rng)
                              for fd in dataclasses.fields(value)})
    return rng.normal(size=np.shape(value)) if np.ndim(value) else float(rng.normal())


def test_a_returned_record_used_in_a_differentiated_function():
    """A helper returning a record built in it, called in a differentiated function: its
    fields, unpacked too; reverse, forward and second order against Richardson."""
    x, w = np.array([0.3, -0.8, 1.2]), 0.7
    dx, dw = s2s_ad.grad(uses_a_returned_record, wrt=(0, 1))(x, w)
    assert np.allclose(dw, richardson(lambda t: uses_a_returned_record(x, w + t), 0.0),
                       rtol=1e-6)
    assert np.allclose(dx, [richardson(lambda t, k=k: uses_a_returned_record(
        x + t * np.eye(3)[k], w), 0.0) for k in range(3)], rtol=1e-6)
    assert np.isclose(s2s_ad.jvp(uses_a_returned_record, wrt=1)(x, w, 1.0)[1], dw)
    gradient = s2s_ad.grad(uses_a_returned_record, wrt=1)
    second = richardson(lambda t: gradient(x, w + t), 0.0)
    assert np.isclose(s2s_ad.hessian(uses_a_returned_record, wrt=1)(x, w), second, rtol=1e-5)
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(x, w), second, rtol=1e-5)


def test_a_returned_record_reads_as_its_class_in_the_generated_code():
    source = s2s_ad.jacobian(pair_of, wrt=0).source
    assert "return Duo(a=" in source
    assert s2s_ad.vjp(pair_of, wrt=0)(0.6, -1.3, Duo(1.0, 0.0)) == pytest.approx(-1.3)


@dataclass
class Derived:
    x: float

    def __post_init__(self):
        self.x = 2 * self.x


def builds_with_post_init(x):
    return Derived(x).x


def reads_a_method(x):
    return Span(x).count(x)


@pytest.mark.parametrize("f, message, where", [
    (builds_with_post_init, "a dataclass with a __post_init__", "return Derived(x).x"),
    (reads_a_method, "reading .count of the Span built in the function \\(not a field",
     "return Span(x).count(x)"),
], ids=["__post_init__", "a method"])
def test_what_a_record_built_here_cannot_do_is_a_located_error(f, message, where):
    with pytest.raises(s2s_ad.DifferentiationError, match=message) as info:
        s2s_ad.grad(f)
    assert str(info.value).splitlines()[1].strip() == where
    assert "hint: " in str(info.value)


@pytest.mark.parametrize("x", [0.6, -0.6])
def test_a_returned_record_differentiated_twice(x):
    """The Jacobian of a function returning a record returns one; its own Jacobian, JVP and
    VJP (forward and reverse over it) too, against Richardson differences of it."""
    jac = s2s_ad.jacobian(pair_of, wrt=0)
    moved = richardson(lambda t: np.array(jac(x + t, -1.3)), 0.0)
    for mode in ("fwd", "rev"):
        second = s2s_ad.jacobian(jac, wrt=0, mode=mode)(x, -1.3)
        assert type(second) is Duo and np.allclose(second, moved, rtol=1e-6, atol=1e-9)
    _, tangent = s2s_ad.jvp(jac, wrt=0)(x, -1.3, 1.0)
    assert np.allclose(tangent, moved, rtol=1e-6, atol=1e-9)
    assert s2s_ad.vjp(jac, wrt=0)(x, -1.3, Duo(1.0, 2.0)) == pytest.approx(
        moved[0] + 2.0 * moved[1], rel=1e-6, abs=1e-9)
