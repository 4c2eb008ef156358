"""Nested functions, lambdas, functools.partial and map (issue 18), in both modes and at
second order, against Richardson differences of the functions as Python runs them."""

import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.numeric import numerical_grad, relative_error, richardson

floats = st.floats


def mul(a, b):
    return a * b


def apply_twice(f, x):
    return f(f(x))


def make_scaler(a):
    def scale(y):
        return a * y
    return scale


def with_nested_helper(x, y):
    def inner(t):
        return t * y + math.sin(t)
    return inner(x) * inner(y)


triple = functools.partial(mul, 3.0)  # a partial made at module level
plus = lambda u, v=2.0: u + v  # noqa: E731


def line_fit(a, b, xs, ys):
    predict = lambda x: a * x + b  # noqa: E731
    def squared(r):
        return r * r
    return sum(squared(predict(x) - y) for x, y in zip(xs, ys))


def called_again(x, y):
    c = math.sin(x) * y
    def h(t, k=2.0, *, shift=0.0):
        return c * t ** k + x + shift
    return h(x) + h(y, k=3.0) + h(t=x * y, shift=y)


def nested_and_passed(x):
    a = x * x
    def outer(t):
        def inner(s):
            return a * s + t
        return inner(t) * inner(x)
    return apply_twice(lambda z: outer(z) * 0.1, x) + make_scaler(x)(a)


def late_binding(x):
    acc = 0.0
    k = 1.0
    g = lambda t: t * k + acc  # noqa: E731  (reads k and acc as they are at each call)
    for k in (1.0, 2.0, 3.0):  # noqa: B007  (g reads k)
        acc = acc + g(x)
    i = 0
    while i < 3:
        acc = g(acc) * 0.5
        i += 1
    return acc


def in_a_loop(x, n):
    acc = x
    step = lambda v: v + 0.1 * math.sin(acc * v)  # noqa: E731
    for _ in range(n):
        acc = step(acc)
    return acc


def partials_and_map(x, a):
    scale = functools.partial(mul, a)
    total = sum(map(lambda t: math.sin(scale(t)), [x, 2 * x, 3 * x]))
    pairs = sorted([(1, x), (0, a), (2, x * a)], key=lambda p: p[0])
    biggest = max([(3, x), (5, a)], key=lambda p: p[0])[1]
    return (total + pairs[0][1] * pairs[2][1] + biggest + triple(x) + plus(x)
            + sum(map(mul, (x, a), (a, a))) + functools.reduce(mul, [x, a, x + a]))


def in_a_branch(x, y):
    if x > 0:
        f = lambda t: t * y  # noqa: E731
        r = f(x) + f(y)
    else:
        r = y * y
    g = functools.partial(lambda p, q: p * math.exp(q), q=y)
    return r + g(x) + with_nested_helper(x, y)


def builds_a_list(x, y):
    def features(t):
        return [t * k for k in (1.0, 2.0, 3.0)]
    return sum(features(x)) * sum(v * v for v in features(y))


def defined_in_loops(x, n):
    acc = x
    i = 0
    for k in range(n):
        def step(v, *, rate=0.1):
            """A step that reads the loop's k and acc."""
            if v > 1.0:
                return v * 0.5 + rate * k  # noqa: B023  (called in the iteration)
            return v + rate * math.sin(acc + k)  # noqa: B023
        acc = step(acc) + step(x, rate=0.2)
    while True:
        i += 1
        g = lambda t: t * t * 0.5  # noqa: E731
        acc = g(acc) + 0.1
        if i >= 3:
            break
    return acc


def orderings(x, y):
    pairs = [(2, x), (1, y), (3, x * y)]
    s = sorted(pairs, key=lambda p: p[0], reverse=True)
    words = (("ab", x), ("a", y), ("abc", x + y))
    longest = max(words, key=lambda w: len(w[0]))[1]
    shortest = min(words, key=lambda w: len(w[0]))[1]
    part = functools.partial(functools.partial(lambda a, b, c=1.0: a * b + c, x), c=y)
    def g(a, /, b, *, c):
        return a * b + c
    return (s[0][1] * s[2][1] + longest * shortest + part(y) + part(x, c=2.0)
            + g(x, b=y, c=x * x))


def lambdas_and_comprehensions(x, y):
    """A lambda whose parameter shares a comprehension variable's name, and one that reads
    the function's k while a comprehension has a k of its own (renamed: its loop must not
    rebind the k the lambda reads)."""
    k = x * 2
    ys = [(lambda k: k * 2 * x)(k + y) for k in (1.0, 2.0)]
    g = lambda t: t * k  # noqa: E731
    zs = [g(k) for k in (3.0, y)]
    return sum(ys) + sum(zs) + k


def collected_arguments(x, y):
    """Nested functions with ``*rest`` and ``**options`` (a tuple and a dict, as Python
    binds them), called directly, with none of them, through a partial and a lambda."""
    def total(*terms, scale=1.0):
        return scale * sum(t * t for t in terms)

    def first_and_rest(a, *rest, **options):
        return a * options["k"] + sum(rest) * len(rest)

    last = lambda *vs: vs[0] * vs[-1]  # noqa: E731
    h = functools.partial(total, x)
    return (total(x, y, x * y) + first_and_rest(x, y, y, k=2.0) + last(x, y, 3.0)
            + h(y, scale=0.5) + total())


CLOSURES = [
    ("lambda and def over the parameters", line_fit, (0, 1),
     st.tuples(floats(-2, 2), floats(-2, 2), st.lists(floats(-2, 2), min_size=1, max_size=4),
               st.lists(floats(-2, 2), min_size=4, max_size=4))),
    ("called again, defaults and keywords", called_again, (0, 1),
     st.tuples(floats(0.1, 2), floats(0.1, 2))),
    ("nested, passed to a helper, returned by one", nested_and_passed, (0,),
     st.tuples(floats(-1.5, 1.5))),
    ("late binding", late_binding, (0,), st.tuples(floats(-2, 2))),
    ("called in a run-time loop", in_a_loop, (0,), st.tuples(floats(-2, 2), st.integers(0, 5))),
    ("partial, map, sorted, max, reduce", partials_and_map, (0, 1),
     st.tuples(floats(-2, 2), floats(-2, 2))),
    ("in a branch, in a helper", in_a_branch, (0, 1),
     st.tuples(floats(-2, 2).filter(lambda v: abs(v) > 0.01), floats(-2, 2))),
    ("a comprehension inside", builds_a_list, (0, 1), st.tuples(floats(-2, 2), floats(-2, 2))),
    ("lambdas in comprehensions", lambdas_and_comprehensions, (0, 1),
     st.tuples(floats(-2, 2), floats(-2, 2))),
    ("defined in loops", defined_in_loops, (0,),
     st.tuples(floats(-1.5, 1.5).filter(lambda v: abs(v - 1.0) > 0.01), st.integers(0, 4))),
    ("orderings by constant keys, partial of a partial", orderings, (0, 1),
     st.tuples(floats(-2, 2), floats(-2, 2))),
    ("*rest and **options", collected_arguments, (0, 1), st.tuples(floats(-2, 2), floats(-2, 2))),
]


@pytest.mark.parametrize("what, f, wrt, points", CLOSURES, ids=[c[0] for c in CLOSURES])
def test_closures_against_differences(what, f, wrt, points):
    """Reverse and forward mode against Richardson differences; the Hessian against
    differences of the gradient."""
    # built once, outside the examples: s2s_ad's cache holds them only while we do
    value_and_grad = s2s_ad.value_and_grad(f, wrt=wrt)
    jacobian = s2s_ad.jacobian(f, wrt=wrt, mode="fwd")
    hessian = s2s_ad.hessian(f, wrt=wrt)
    gradient = s2s_ad.grad(f, wrt=wrt)

    @settings(max_examples=10, deadline=None)
    @given(points)
    def check(args):
        expected = numerical_grad(f, args, wrt=wrt, method="richardson")
        value, got = value_and_grad(*args)
        assert value == f(*args)
        assert all(relative_error(a, b) < 1e-6 for a, b in zip(got, expected)), (got, expected)
        assert all(relative_error(a, b) < 1e-12 for a, b in zip(jacobian(*args), got))
        rows = hessian(*args)
        for j, i in enumerate(wrt):
            for k in range(len(wrt)):
                def moved(t, i=i, k=k):
                    shifted = list(args)
                    shifted[i] = args[i] + t
                    return gradient(*shifted)[k]

                assert relative_error(rows[k][j], richardson(moved, 0.0)) < 1e-5, (k, j)

    check()


def test_grad_of_grad_through_a_closure():
    def f(x):
        cube = lambda t: t * t * t  # noqa: E731
        return cube(math.sin(x))

    second = s2s_ad.grad(s2s_ad.grad(f))
    for x in (-0.7, 0.3, 1.1):
        assert relative_error(second(x), richardson(s2s_ad.grad(f), x)) < 1e-6


def test_a_closure_reads_as_the_inlined_code():
    source = s2s_ad.grad(line_fit, wrt=("a", "b")).source
    assert "lambda" not in source and "predict" not in source and "squared" not in source
    assert "x = xs[i]" in source  # (the generator's x: the lambda's own x is no reason
    #                                 to rename it)


def test_late_binding_matches_python():
    """A closure called after the variable it reads is rebound sees the new binding."""
    def f(x):
        k = 1.0
        g = lambda t: t * k  # noqa: E731
        k = 3.0
        return g(x)

    assert s2s_ad.grad(f)(2.0) == 3.0
    assert s2s_ad.value_and_grad(f)(2.0)[0] == f(2.0) == 6.0


def test_a_module_level_partial_of_an_s2s_ad_transform():
    derivative = s2s_ad.grad(wrt=0)  # functools.partial(grad, wrt=0)

    def f(x):
        return derivative(mul)(x, 3.0) * x  # 3 x

    assert s2s_ad.grad(f)(2.0) == pytest.approx(3.0)
