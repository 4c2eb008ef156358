"""Tuples, lists and dicts as arguments: gradients with the same structure."""

import inspect
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad.numeric import central_difference, numerical_grad, relative_error, richardson


def _numerical(f, args, which, key, h=1e-6):
    """Central difference of ``f`` in entry ``key`` of argument ``which``."""
    def moved(t):
        container = args[which]
        changed = dict(container) if isinstance(container, dict) else list(container)
        changed[key] = container[key] + t
        if isinstance(container, tuple):
            changed = tuple(changed)
        new = list(args)
        new[which] = changed
        return f(*new)

    return (moved(h) - moved(-h)) / (2 * h)


def score(d):
    b = d["cat"]
    return b * b + math.log(d["dog"])


def seq_sum(xs, w):
    s = 0.0
    for x in xs:
        s = s + math.sin(w * x)
    return s


def weighted(params, x):
    total = 0.0
    for k, v in params.items():
        total = total + v * x * len(k)
    return total


def values_only(params):
    total = 1.0
    for v in params.values():
        total = total * v
    return total


def nested(p):
    return p["layer"][0] * p["layer"][1] + math.exp(p["bias"])


def sum_and_len(xs):
    return sum(xs) * len(xs)


def enumerate_zip(a, b):
    t = 0.0
    for i, (x, y) in enumerate(zip(a, b)):
        t = t + i * x * y
    return t


def horner(coeffs, x):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def indexed_in_loop(xs, n):
    s = 0.0
    for i in range(n):
        s = s + xs[i % len(xs)] * xs[(i + 1) % len(xs)]
    return s


def _pair(a, b):
    return {"sum": a + b, "prod": a * b}


def helper_returns_dict(x, y):
    d = _pair(x, y)
    return d["sum"] * d["prod"]


def builds_list(x, y):
    parts = [x * y]
    parts.append(math.exp(x))
    parts.extend([y, x])
    return sum(parts) + parts[1] * parts[2]


CASES = [
    (score, ({"cat": 3.0, "dog": 2.0, "bird": 5.0},), 0),
    (seq_sum, ([0.1, 0.2, 0.3], 2.0), (0, 1)),
    (weighted, ({"ab": 1.0, "c": 2.0}, 3.0), (0, 1)),
    (values_only, ({"a": 1.5, "b": -2.0, "c": 0.5},), 0),
    (nested, ({"layer": (2.0, 3.0), "bias": 0.5},), 0),
    (sum_and_len, ([1.0, 2.0, 4.0],), 0),
    (enumerate_zip, ([1.0, 2.0, 4.0], (3.0, 5.0, 7.0)), (0, 1)),
    (horner, ((1.0, -2.0, 3.0, 0.5), 0.7), (0, 1)),
    (indexed_in_loop, ([0.5, -1.0, 2.0], 7), 0),
]


def _check(f, args, wrt, optimize):
    grads = s2s_ad.grad(f, wrt=wrt, optimize=optimize)(*args)
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for which, g in zip(wrts, grads):
        arg = args[which]
        if isinstance(arg, (dict, list, tuple)):
            assert type(g) is type(arg)
            keys = arg.keys() if isinstance(arg, dict) else range(len(arg))
            if isinstance(arg, dict):
                assert g.keys() == arg.keys()
            for key in keys:
                if isinstance(arg[key], tuple):
                    continue  # nested: checked in test_nested_containers
                expected = _numerical(f, args, which, key)
                assert relative_error(g[key], expected) < 1e-7, (f.__name__, key)
        else:
            h = 1e-6
            plus, minus = list(args), list(args)
            plus[which] += h
            minus[which] -= h
            assert relative_error(g, (f(*plus) - f(*minus)) / (2 * h)) < 1e-7


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("optimize", [True, False])
def test_container_gradients_match_central_differences(f, args, wrt, optimize):
    _check(f, args, wrt, optimize)


def test_seed_example_6_dict_gradient_has_the_same_keys():
    g = s2s_ad.grad(score)({"cat": 3.0, "dog": 2.0, "bird": 5.0})
    assert g == {"cat": 6.0, "dog": 0.5, "bird": 0.0}


def test_nested_containers():
    g = s2s_ad.grad(nested)({"layer": (2.0, 3.0), "bias": 0.5})
    assert g == {"layer": (3.0, 2.0), "bias": pytest.approx(math.exp(0.5))}
    assert isinstance(g["layer"], tuple)


def test_containers_built_in_the_function_are_resolved_when_transforming():
    g = s2s_ad.grad(helper_returns_dict, wrt=(0, 1))
    x, y = 1.5, 2.0
    assert g(x, y) == pytest.approx((y * (x + y) + x * y, x * (x + y) + x * y))
    assert "[" not in g.source  # no run-time containers at all
    gb = s2s_ad.grad(builds_list, wrt=(0, 1))
    x, y = 0.3, 1.7
    assert gb(x, y) == pytest.approx((y + math.exp(x) + 1 + math.exp(x) * y,
                                      x + 1 + math.exp(x)))


def test_loop_over_a_list_adds_in_place():
    source = s2s_ad.grad(seq_sum, wrt=(0, 1)).source
    assert "zeros_like(xs)" in source and "dxs[i] += " in source  # inline for numbers
    assert source.count("zeros_like") == 1  # one adjoint list, not one per iteration


def test_inputs_are_not_mutated():
    d = {"cat": 3.0, "dog": 2.0, "bird": 5.0}
    xs = [0.1, 0.2]
    s2s_ad.grad(score)(d)
    s2s_ad.grad(seq_sum, wrt=(0, 1))(xs, 2.0)
    assert d == {"cat": 3.0, "dog": 2.0, "bird": 5.0} and xs == [0.1, 0.2]


def test_forward_mode_reads_container_tangents():
    value, tangent = s2s_ad.jvp(horner, wrt=0)((1.0, 2.0, 3.0), 0.5, (1.0, 0.0, 0.0))
    assert value == horner((1.0, 2.0, 3.0), 0.5)
    assert tangent == pytest.approx(0.25)


def trajectory(x, w, n):
    xs = []
    for i in range(n):  # noqa: B007
        x = x + 0.1 * math.sin(w * x)
        xs.append(x * x)
    return sum(xs) + xs[-1] * len(xs)


def grows_from_itself(x, n):
    ys = [x]
    for i in range(n):  # noqa: B007
        ys.append(ys[-1] * x + 1.0)
    total = 0.0
    for y in ys:
        total = total + y
    return total


def while_extend(a, b, n):
    out = []
    k = 0
    while k < n:
        out.append(a * k)
        out.extend((b, a * b))
        k += 1
    return out[0] + out[len(out) - 1] * out[1]


def grows_on_some_steps(x, w, n):
    """Found while building comprehensions: an append inside a branch of a loop was
    skipped by the loop's backward sweep (its body run again marks the append
    `appended`, which did not count as a change of the list), so the gradient lost every
    item appended in a branch: 0.0 here."""
    items = [x]
    for i in range(n):
        if i % 2 == 1:
            items.append(math.sin(w * i) * x)
    return sum(items) * w


def rows_read_back(x, w, n):
    """Found trying item assignment as a user: an item of a list that grows in a loop,
    read (and taped) and then indexed, lost its adjoint (it was in the item's container
    adjoint, which the taped read did not look at): 0.5 here, for 8.31."""
    xs = [np.array([x, 2.0 * x])]
    for i in range(n):  # noqa: B007
        row = xs[-1]
        xs.append(np.array([np.sin(row[0]) * row[1], row[1] + w * x]))
    return np.sum(xs[-1])


def _last(xs):
    return xs[len(xs) - 1]


def read_by_a_helper(x, n):
    """Found while building closures: a helper's ``len(xs)`` of a list that grows was a pure
    op of its own, merged with the one read before the appends (an IndexError at run time)."""
    out = [x]
    first = _last(out)
    for i in range(n):
        out.append(out[i] * x)
    return first + _last(out)


GROWING = [(trajectory, (0.5, 1.3, 6), (0, 1)), (grows_from_itself, (0.7, 5), (0,)),
           (while_extend, (1.5, -0.5, 4), (0, 1)), (grows_on_some_steps, (0.8, 0.6, 6), (0, 1)),
           (rows_read_back, (0.7, 0.5, 3), (0, 1)), (read_by_a_helper, (0.5, 3), (0,))]


@pytest.mark.parametrize("f, args, wrt", GROWING, ids=[c[0].__name__ for c in GROWING])
def test_lists_that_grow_in_a_loop(f, args, wrt):
    from s2s_ad.numeric import numerical_grad

    expected = numerical_grad(f, args, wrt=wrt, method="richardson")
    expected = expected if isinstance(expected, tuple) else (expected,)
    for optimize in (True, False):
        got = s2s_ad.grad(f, wrt=wrt, optimize=optimize)(*args)
        assert all(relative_error(a, b) < 1e-9 for a, b in zip(got, expected))
    forward = s2s_ad.jacobian(f, wrt=wrt, mode="fwd")(*args)
    assert all(relative_error(a, b) < 1e-9 for a, b in zip(forward, expected))
    assert s2s_ad.value_and_grad(f, wrt=wrt)(*args)[0] == f(*args)


def test_appends_are_undone_by_popping_the_adjoint():
    source = s2s_ad.grad(grows_from_itself).source
    assert "dys.pop()" in source
    assert "_tape.append(_t1)" in source  # the read of ys[-1] is saved, not read again later


@pytest.mark.parametrize("x, n", [(0.7, 3), (1.3, 5), (0.4, 1), (0.9, 0)])
def test_second_derivative_through_a_growing_list(x, n):
    # forward mode over the gradient's list adjoint (filled in place, popped per append)
    gradient = s2s_ad.grad(grows_from_itself)
    expected = central_difference(lambda t: gradient(t, n), x)
    assert s2s_ad.hessian(grows_from_itself)(x, n) == pytest.approx(expected, rel=1e-7)
    assert s2s_ad.hvp(grows_from_itself)(x, n, 2.0) == pytest.approx(2 * expected, rel=1e-7)


def test_reading_a_growing_list_inside_a_branch_of_its_loop_is_a_clear_error():
    def f(x, n):
        xs = [x]
        for i in range(n):
            if i > 1:
                xs.append(xs[-2] * x)
            else:
                xs.append(x)
        return xs[-1]

    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="read it into a variable"):
        s2s_ad.grad(f)


def test_append_in_an_unrolled_loop_is_fine():
    def f(x, y):
        parts = []
        for v in (x, y, x * y):
            parts.append(v * v)
        return parts[0] + parts[2]

    assert s2s_ad.grad(f, wrt=(0, 1))(2.0, 3.0) == pytest.approx((4 + 2 * 2 * 9, 2 * 4 * 3))


def test_slicing_a_tuple_built_here_is_a_clear_error():
    def f(x, y):
        t = (x, y, x * y)
        return sum(t[1:])

    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="slicing"):
        s2s_ad.grad(f)


def test_slicing_an_argument_list():
    def f(xs):
        return sum(xs[1:])

    assert s2s_ad.grad(f)([1.0, 2.0, 3.0]) == [0.0, 1.0, 1.0]


# --- unpacking a value known only at run time (issue 18) --------------------------------------
def unpack_argument(abc, w):
    a, b, c = abc
    return a * math.sin(w * b) + c * c


def unpack_rows(x, w):
    top, bottom = x
    return np.sum(np.tanh(top * w) * bottom)


def unpack_shape(X, w):
    n, d = X.shape
    return np.sum(np.tanh(X @ w)) / n + d * np.sum(w * w)


def unpack_pairs(edges, w):
    s = 0.0
    for i, j in edges:
        s = s + np.sin(w[i]) * w[j]
    return s


def _vector(n):
    return st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n).map(np.array)


UNPACKING = [
    ("a tuple argument", unpack_argument, "w",
     st.tuples(st.tuples(*[st.floats(-2.0, 2.0)] * 3), st.floats(-2.0, 2.0))),
    ("a list argument", unpack_argument, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3), st.floats(-2.0, 2.0))),
    ("the rows of an array", unpack_rows, "x",
     st.tuples(_vector(6).map(lambda v: v.reshape(2, 3)), _vector(3))),
    ("x.shape", unpack_shape, "w", st.tuples(_vector(6).map(lambda v: v.reshape(3, 2)),
                                              _vector(2))),
    ("the pairs a loop runs over", unpack_pairs, "w",
     st.tuples(st.just([(0, 1), (1, 2), (2, 0)]), _vector(3))),
]


@pytest.mark.parametrize("what, f, wrt, points", UNPACKING, ids=[u[0] for u in UNPACKING])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_unpacking_a_value_known_only_at_run_time(what, f, wrt, points, data):
    """``a, b = c`` where ``c`` is known only when the code runs: reverse and forward mode
    against Richardson differences, and the Hessian-vector product against differences of
    the gradient."""
    args = data.draw(points)
    g = s2s_ad.grad(f, wrt=wrt)(*args)
    want = numerical_grad(f, args, wrt=wrt, method="richardson")
    assert np.allclose(g, want, rtol=1e-6, atol=1e-8)
    i = f.__code__.co_varnames.index(wrt)
    direction = np.ones_like(args[i]) if isinstance(args[i], np.ndarray) else 1.0
    _, tangent = s2s_ad.jvp(f, wrt=wrt)(*args, direction)
    assert np.isclose(tangent, np.sum(g * direction), rtol=1e-9, atol=1e-9)
    hv = s2s_ad.hvp(f, wrt=wrt)(*args, direction)
    gradient = s2s_ad.grad(f, wrt=wrt)

    def moved(t):
        shifted = list(args)
        shifted[i] = args[i] + t * direction
        return gradient(*shifted)

    assert np.allclose(hv, richardson(moved, 0.0), rtol=1e-5, atol=1e-7)


def test_unpacking_raises_what_python_raises():
    g = s2s_ad.grad(unpack_argument, wrt="abc")
    assert g((1.0, 2.0, 3.0), 0.5) == pytest.approx(
        numerical_grad(lambda a, b, c: unpack_argument((a, b, c), 0.5), (1.0, 2.0, 3.0),
                       wrt=(0, 1, 2)))
    for bad, error, message in [((1.0, 2.0), ValueError, r"not enough values to unpack \(ex"),
                                ((1.0, 2.0, 3.0, 4.0), ValueError, "too many values to unpack"),
                                (1.5, TypeError, "cannot unpack non-iterable float")]:
        with pytest.raises(error, match=message):
            unpack_argument(bad, 0.5)
        with pytest.raises(error, match=message):
            g(bad, 0.5)


def test_code_for_known_shapes_unpacks_without_a_check():
    """The check runs where the length is known only at run time (a tuple argument serves
    code for every length); for ``x.shape`` and the rows of an array the code specialized to
    their shapes knows it."""
    X, w = np.ones((3, 2)), np.ones(2)
    assert "unpacks(" in s2s_ad.grad(unpack_argument).source
    assert "unpacks(" in s2s_ad.grad(unpack_shape, wrt="w").source  # shape-generic
    assert "unpacks(" not in s2s_ad.grad(unpack_shape, wrt="w").specialize(X, w).source
    rows = s2s_ad.grad(unpack_rows).specialize(np.ones((2, 3)), np.ones(3))
    assert "unpacks(" not in rows.source
    with pytest.raises(ValueError, match="too many values"):
        s2s_ad.grad(unpack_rows)(np.ones((4, 3)), np.ones(3))


# --- starred names, *args and **kwargs (issue 18) ---------------------------------------------
def starred_local(x, y):
    first, *middle, last = (x, y, x * y, 2.0)  # known when the derivative is built
    return first * sum(middle) + last * len(middle) * x


def starred_argument(xs, w):
    first, *rest = xs  # a list at run time, as in Python
    return first * w + sum(math.sin(r * w) for r in rest)


def starred_last(xs, w):
    *init, last = xs
    s = 0.0
    for v in init:
        s = s + v * last * w
    return s


def starred_in_a_loop(pairs, w):
    s = 0.0
    for a, *b in pairs:
        s = s + a * w * b[-1]
    return s


def starred_rows(X, w):
    top, *others = X  # the rows of an array
    return np.sum(np.tanh(top * w)) + sum(np.sum(o * w) for o in others)


def _weighted(a, b, c=1.0):
    return a * b + c * a


def spliced(x, y):
    t = (x, y)
    options = {"c": x * y}
    return _weighted(*t, **options) + _weighted(y, *[x]) + sum([*t, x])


def _norm2(*vs, **scale):
    return sum(v * v for v in vs) * scale["k"]


def inlined_varargs(x, y):
    return _norm2(x, y, x * y, k=0.5)


def total(*terms):
    return sum(t * t * math.sin(t) for t in terms)


def powered(w, *xs, p=2.0, **opts):
    s = 0.0
    for x in xs:
        s = s + (w * x) ** p
    return s * opts["k"]


_vec = st.floats(-2.0, 2.0)
# (what, f, wrt, flat points, arguments from the flat point, keywords)
STARRED = [
    ("a tuple built here", starred_local, (0, 1), st.tuples(_vec, _vec),
     lambda v: v, {}),
    ("a tuple argument", starred_argument, (0, 1), st.tuples(_vec, _vec, _vec, _vec),
     lambda v: (tuple(v[:3]), v[3]), {}),
    ("a list argument, *init", starred_last, (0, 1), st.tuples(_vec, _vec, _vec, _vec),
     lambda v: (list(v[:3]), v[3]), {}),
    ("for a, *b in pairs", starred_in_a_loop, (0, 1), st.tuples(*[_vec] * 7),
     lambda v: ([tuple(v[0:3]), tuple(v[3:6])], v[6]), {}),
    ("the rows of an array", starred_rows, (0, 1), st.tuples(*[_vec] * 8),
     lambda v: (np.array(v[:6]).reshape(3, 2), np.array(v[6:])), {}),
    ("*t and **d in calls and displays", spliced, (0, 1), st.tuples(_vec, _vec),
     lambda v: v, {}),
    ("*vs and **scale of a helper", inlined_varargs, (0, 1), st.tuples(_vec, _vec),
     lambda v: v, {}),
    ("def total(*terms)", total, 0, st.tuples(_vec, _vec, _vec), lambda v: v, {}),
    ("def powered(w, *xs, p, **opts)", powered, (0, 1), st.tuples(*[st.floats(0.1, 2.0)] * 3),
     lambda v: v, {"p": 3.0, "k": 0.5}),
]


def _flat(g):
    if isinstance(g, (tuple, list)):
        return [x for item in g for x in _flat(item)]
    if isinstance(g, dict):
        return [x for item in g.values() for x in _flat(item)]
    return [float(x) for x in np.ravel(g)]


def _ones_like(a):
    if isinstance(a, (tuple, list)):
        return type(a)(_ones_like(x) for x in a)
    return np.ones_like(a) if isinstance(a, np.ndarray) else 1.0


@pytest.mark.parametrize("what, f, wrt, points, build, keywords", STARRED,
                         ids=[c[0] for c in STARRED])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_starred_names_and_collected_arguments(what, f, wrt, points, build, keywords, data):
    """Reverse mode against Richardson differences in every coordinate, the value, forward
    mode along ones, and the Hessian-vector product against differences of the gradient."""
    flat = data.draw(points)
    args = build(flat)

    def of_flat(*v):
        return f(*build(v), **keywords)

    g = s2s_ad.grad(f, wrt=wrt)(*args, **keywords)
    expected = numerical_grad(of_flat, flat, wrt=tuple(range(len(flat))), method="richardson")
    assert np.allclose(_flat(g), expected, rtol=1e-6, atol=1e-8), (what, flat)
    assert s2s_ad.value_and_grad(f, wrt=wrt)(*args, **keywords)[0] == f(*args, **keywords)
    parameters = inspect.signature(f).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return  # (no tangent can follow **opts: test_cotangents_and_tangents_after_varargs)
    names = list(parameters)
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = {"d" + names[i]: _ones_like(args[i] if names[i] != "terms" else args)
                for i in indices}
    _, tangent = s2s_ad.jvp(f, wrt=wrt)(*args, **tangents)
    assert np.isclose(tangent, sum(_flat(g)), rtol=1e-9, atol=1e-9)
    gradient = s2s_ad.grad(f, wrt=wrt)
    ones = np.ones(len(flat))
    hv = s2s_ad.hvp(f, wrt=wrt)(*args, **tangents)
    moved = richardson(lambda t: np.array(_flat(gradient(*build(np.add(flat, t * ones))))), 0.0)
    assert np.allclose(_flat(hv), moved, rtol=1e-5, atol=1e-7), (what, flat)


def test_a_starred_name_reads_as_the_list_python_makes():
    source = s2s_ad.grad(starred_argument, wrt="w").source
    assert "unpacks(xs, at_least=1)" in source
    assert "rest = []" in source and "rest.append(xs[i])" in source
    assert "for i in range(1, len(xs)):" in source or "range(1, _t" in source
    with pytest.raises(ValueError, match=r"expected at least 1, got 0"):
        s2s_ad.grad(starred_argument, wrt="w")((), 0.5)


def test_varargs_read_as_written():
    source = s2s_ad.grad(total).source
    assert source.startswith("def total_grad(*terms):")
    assert "def powered_grad(w, *xs, p=2.0, **opts):" in s2s_ad.grad(powered).source
    # one argument: still a tuple, of d/dt t^2 sin t = 2 t sin t + t^2 cos t
    assert s2s_ad.grad(total)(1.5) == pytest.approx((3 * math.sin(1.5) + 2.25 * math.cos(1.5),))
    assert s2s_ad.grad(total)() == ()
    # wrt names the parameter: the gradient has one item per argument it collected
    assert s2s_ad.grad(powered, wrt="opts")(0.5, 1.0, 2.0, k=2.0) == {"k": 1.25}


@pytest.mark.parametrize("body, message", [
    ("first, *rest = xs\n    return first * len(rest) * ys", None),
    ("return _weighted(*xs)", "length is known only at run time"),
    ("return _weighted(x, **ys)", "keys are\n? ?known only at run time"),
], ids=["ok", "*xs at run time", "**d at run time"])
def test_spliced_values_known_only_at_run_time_are_a_clear_error(body, message, tmp_path):
    import importlib.util

    path = tmp_path / "starred_case.py"
    path.write_text("from test_structures import _weighted\n\n\n"
                    f"def f(x, xs, ys):\n    {body}\n")
    spec = importlib.util.spec_from_file_location("starred_case", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if message is None:
        assert s2s_ad.grad(module.f, wrt="ys")(1.0, (1.0, 2.0, 3.0), 2.0) == 2.0
        return
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match=message) as info:
        s2s_ad.grad(module.f)
    assert "starred_case.py:5" in str(info.value)


def test_cotangents_and_tangents_after_varargs_are_passed_by_name():
    assert s2s_ad.vjp(total)(1.0, 2.0, dtotal=1.0) == s2s_ad.grad(total)(1.0, 2.0)
    with pytest.raises(TypeError, match="dtotal"):
        s2s_ad.vjp(total)(1.0, 2.0, 1.0)  # (1.0 is a third term)
    for transform in (s2s_ad.vjp, s2s_ad.jvp, s2s_ad.hvp):
        with pytest.raises(s2s_ad.DifferentiationError, match=r"takes \*\*opts"):
            transform(powered)(0.5, 1.0, k=1.0)


def test_second_derivative_through_appends_in_a_branch():
    gradient = s2s_ad.grad(grows_on_some_steps, wrt="w")
    expected = central_difference(lambda t: gradient(0.8, t, 6), 0.6)
    assert s2s_ad.hessian(grows_on_some_steps, wrt="w")(0.8, 0.6, 6) == pytest.approx(
        expected, rel=1e-7)
    assert s2s_ad.jvp(gradient, wrt="w")(0.8, 0.6, 6, 1.0)[1] == pytest.approx(expected,
                                                                             rel=1e-7)
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="forward over reverse"):
        s2s_ad.grad(gradient, wrt="w")  # reverse over a gradient's popping branch: not yet


# --- comprehensions and generator expressions (issue 18) --------------------------------------
def squares_of_positives(xs, w):
    return sum([math.sin(w * x) for x in xs if x > 0])


def pairwise(xs, w):
    grid = [[a * b * w for b in xs] for a in xs]
    return sum(sum(row) for row in grid)


def shadowed(x, xs):
    ys = [x * x for x in xs]  # the comprehension's own x
    return x * sum(ys) + sum(t * x for t in ys)


def _energy(xs, w):
    return sum(w * x * x for x in xs)


def through_a_helper(xs, w):
    return _energy(xs, w) * w  # (the helper's comprehension is lowered as its loop too)


def features(w, X):
    rows = np.array([np.tanh(row @ w) for row in X])
    return np.sum(rows * rows)


def squares_by_index(x, w):
    d = {i: (w * x[i]) ** 2 for i in range(len(x))}
    return d[0] * w + math.sin(d[len(x) - 1])


def tanh_params(p, w):
    q = {k: math.tanh(w * v) for k, v in p.items() if k != "skip"}
    return sum(q[k] * q[k] for k in q)


def table_of_pairs(xs, w):
    table = {(i, j): xs[i] * xs[j] * w for i in range(len(xs)) for j in range(i + 1)}
    return sum(v * v for v in table.values()) + table[(0, 0)]


def later_key_wins(xs, w):
    d = {int(x > 0): x * w for x in xs}  # (a later equal key replaces the value: no adjoint)
    return sum(d[k] * d[k] for k in d)


def membership(xs, w):
    seen = {round(x) % 3 for x in xs}
    return w * w * (2.0 if 1 in seen else 3.0) + w * len(seen) + sum(w * k for k in seen)


def extremes_of_an_argument(xs, w):
    return max(xs) * w * w + min(xs) * math.sin(w)


def extremes_built_here(a, w):
    return max([a * w, math.sin(w), a - w]) + min(a * a, w)  # (a list built here)


def extreme_of_a_generator(xs, w):
    ys = [math.tanh(w * v) for v in xs]
    return max(y * v for y, v in zip(ys, xs)) - min(ys) * w


_dict_points = st.dictionaries(st.sampled_from(["a", "b", "skip", "c"]), st.floats(-2.0, 2.0),
                               min_size=1)
COMPREHENSIONS = [
    ("a list comprehension with an if", squares_of_positives, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 0.01), min_size=1,
                        max_size=4), st.floats(-2.0, 2.0))),
    ("nested, summed by a generator", pairwise, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3), st.floats(-2.0, 2.0))),
    ("a name of the function's own", shadowed, "x",
     st.tuples(st.floats(-2.0, 2.0), st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3))),
    ("in a helper", through_a_helper, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3), st.floats(-2.0, 2.0))),
    ("np.array of a comprehension", features, "w",
     st.tuples(_vector(2), _vector(6).map(lambda v: v.reshape(3, 2)))),
    ("a dict comprehension over range", squares_by_index, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4), st.floats(-2.0, 2.0))),
    ("a dict comprehension over d.items() with an if", tanh_params, "w",
     st.tuples(_dict_points, st.floats(-2.0, 2.0))),
    ("a nested dict comprehension, tuple keys", table_of_pairs, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3), st.floats(-2.0, 2.0))),
    ("a dict comprehension whose keys repeat", later_key_wins, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0).filter(lambda v: v != 0.0), min_size=1,
                        max_size=4), st.floats(-2.0, 2.0))),
    ("max and min of a list argument", extremes_of_an_argument, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4), st.floats(-2.0, 2.0))),
    ("max of a list built here", extremes_built_here, "a",
     st.tuples(st.floats(-2.0, 2.0), st.floats(-2.0, 2.0)).filter(
         lambda p: min(abs(p[0] * p[1] - math.sin(p[1])), abs(p[0] * p[1] - p[0] + p[1]),
                       abs(p[0] - p[1] - math.sin(p[1])), abs(p[0] * p[0] - p[1])) > 1e-3)),
    ("max of a generator, min of a comprehension", extreme_of_a_generator, "w",
     st.tuples(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4).filter(  # (no ties)
         lambda xs: len({round(abs(v), 2) for v in xs}) == len(xs)),
         st.floats(-2.0, 2.0).filter(lambda w: abs(w) > 0.05))),
    ("a set comprehension of ints, `in` and a loop over it", membership, "w",
     st.tuples(st.lists(st.floats(-4.0, 4.0).filter(lambda v: abs(v % 1 - 0.5) > 0.01),
                        min_size=1, max_size=4), st.floats(-2.0, 2.0))),
]


@pytest.mark.parametrize("what, f, wrt, points", COMPREHENSIONS,
                         ids=[c[0] for c in COMPREHENSIONS])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_comprehensions_are_the_loops_they_stand_for(what, f, wrt, points, data):
    """Reverse and forward mode against Richardson differences, and the Hessian-vector
    product against differences of the gradient."""
    args = data.draw(points)
    i = f.__code__.co_varnames.index(wrt)
    g = s2s_ad.grad(f, wrt=wrt)(*args)
    assert np.allclose(g, numerical_grad(f, args, wrt=wrt, method="richardson"),
                       rtol=1e-6, atol=1e-8)
    assert s2s_ad.value_and_grad(f, wrt=wrt)(*args)[0] == f(*args)
    direction = np.ones_like(args[i]) if isinstance(args[i], np.ndarray) else 1.0
    _, tangent = s2s_ad.jvp(f, wrt=wrt)(*args, direction)
    assert np.isclose(tangent, np.sum(g * direction), rtol=1e-9, atol=1e-9)
    gradient = s2s_ad.grad(f, wrt=wrt)

    def moved(t):
        shifted = list(args)
        shifted[i] = args[i] + t * direction
        return gradient(*shifted)

    assert np.allclose(s2s_ad.hvp(f, wrt=wrt)(*args, direction), richardson(moved, 0.0),
                       rtol=1e-5, atol=1e-7)


def test_a_comprehension_reads_as_the_loop_it_stands_for():
    source = s2s_ad.grad(squares_of_positives, wrt="w").specialize([1.0, -2.0], 0.5).source
    assert "items = []" in source and "items.append(" in source
    # the list is named after the name it is assigned to, where it can be
    assert "ys = []" in s2s_ad.grad(shadowed, wrt="x").source
    assert "x_2" in s2s_ad.grad(shadowed, wrt="x").source  # (x is the function's too)


def test_max_of_a_sequence_gives_the_adjoint_to_the_item_python_picks():
    # d/dxs of max(xs) w² + min(xs) sin w: w² at the first largest item, sin w at the first
    # smallest (Python's max and min return the first of equal items)
    w = 0.5
    assert s2s_ad.grad(extremes_of_an_argument, wrt="xs")([1.0, 3.0, 3.0, -1.0, -1.0], w) == [
        0.0, w * w, 0.0, math.sin(w), 0.0]
    assert s2s_ad.grad(extremes_of_an_argument, wrt="xs")([2.0], w) == [w * w + math.sin(w)]
    assert "index_max(xs)" in s2s_ad.grad(extremes_of_an_argument, wrt="xs").source
    with pytest.raises(ValueError):  # (what Python's max raises)
        s2s_ad.grad(extremes_of_an_argument, wrt="w")([], w)


def test_a_dict_comprehension_reads_as_its_loop_and_keeps_python_values():
    source = s2s_ad.grad(squares_by_index, wrt="w").source
    assert "d_keys.append(i)" in source and "d = dict_from(d_keys, d_values)" in source
    assert "merge_adjoints" not in source  # (the values' adjoint is popped as it is)
    # Python's dict: a later equal key replaces the value, and the order is the keys' first
    xs = [1.5, -2.0, 0.5, -1.0]
    assert s2s_ad.value_and_grad(later_key_wins, wrt="w")(xs, 0.5)[0] == later_key_wins(xs, 0.5)
    # only the last x of each sign reaches d: d/dx (w x)² = 2 w² x there, 0 elsewhere
    assert s2s_ad.grad(later_key_wins, wrt="xs")(xs, 0.5) == [0.0, 0.0, 0.25, -0.5]


@pytest.mark.parametrize("body, message", [
    ("return sum([v * x for v in xs]) if x > 0 else 0.0", "runs only on some paths"),
    ("return x > 0 and sum([v * x for v in xs])", "runs only on some paths"),
    ("while sum([v for v in xs]) > x:\n        x = x + 1.0\n    return x", "while condition"),
    ("return sum({v * x for v in xs})", "through a set of numbers"),
    ("return {k: v * x for k, v in xs.items()}['a'] if x > 0 else x", "runs only on some paths"),
], ids=["conditional arm", "after and", "while condition", "a set of floats", "dict, arm"])
def test_a_comprehension_where_its_loop_would_change_what_runs_is_a_clear_error(
        body, message, tmp_path):
    import importlib.util

    path = tmp_path / "comprehension_case.py"
    path.write_text(f"def f(x, xs):\n    {body}\n")
    spec = importlib.util.spec_from_file_location("comprehension_case", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match=message) as info:
        s2s_ad.grad(module.f)([1.0, 2.0], 0.5) if "set" in message else s2s_ad.grad(module.f)
    assert "comprehension_case.py:2" in str(info.value)


# --- writing into a list or dict that arrives at run time (issue 18) ----------------------
def write_then_read(xs, w):
    ys = xs  # (the same list: it sees the write, as in Python)
    xs[0] = xs[1] * w
    xs[2] += math.sin(xs[0])
    return ys[0] * xs[2] + xs[1]


def prefix_recurrence(xs, w):
    for i in range(1, len(xs)):
        xs[i] = xs[i - 1] * w + xs[i]
    return xs[-1] * xs[0]


def written_in_a_branch(xs, w):
    if w > 0:
        xs[0] = w * xs[1]
    return sum(xs) * xs[0]


def dict_written(d, w):
    d["a"] = d["b"] * w
    d["new"] = w * w  # (a key the caller's dict lacks: not in the gradient)
    return d["a"] * d["c"] + d["new"]


_list3 = st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=5)
_abc = st.fixed_dictionaries({"a": st.floats(-2, 2), "b": st.floats(-2, 2), "c": st.floats(-2, 2)})
LIST_WRITES = [
    ("write, alias, += in a list argument", write_then_read, st.tuples(_list3, st.floats(-2, 2))),
    ("a write in a loop", prefix_recurrence, st.tuples(_list3, st.floats(-2, 2))),
    ("a write in a branch", written_in_a_branch,
     st.tuples(_list3, st.floats(-2, 2).filter(lambda w: abs(w) > 1e-3))),
    ("a dict argument, and a new key", dict_written, st.tuples(_abc, st.floats(-2, 2))),
]


def _flat_points(c):
    return list(c.values()) if isinstance(c, dict) else list(c)


def _rebuilt(c, flat):
    return dict(zip(c, flat)) if isinstance(c, dict) else list(flat)


@pytest.mark.parametrize("what, f, points", LIST_WRITES, ids=[c[0] for c in LIST_WRITES])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_writing_into_a_list_or_dict_argument(what, f, points, data):
    """``xs[i] = v`` into a list or dict argument: the derivative writes into a copy (the
    caller's stays as it is) and reads the new items after the write, as the function does.
    Reverse mode against Richardson differences in every coordinate, forward mode, and the
    Hessian (forward over reverse) and reverse over reverse (in w, and in the container's
    items) against differences of the gradient."""
    import copy

    c, w = data.draw(points)
    original = copy.deepcopy(c)
    flat = [*_flat_points(c), w]

    def of_flat(*v):
        return f(_rebuilt(original, v[:-1]), v[-1])

    g = s2s_ad.grad(f, wrt=(0, 1))(c, w)
    assert c == original  # (the derivative never changes the caller's list)
    expected = numerical_grad(of_flat, flat, wrt=tuple(range(len(flat))), method="richardson")
    assert type(g[0]) is type(c) and len(g[0]) == len(c)
    assert np.allclose([*_flat_points(g[0]), g[1]], expected, rtol=1e-6, atol=1e-8), what
    assert s2s_ad.value_and_grad(f, wrt=1)(copy.deepcopy(original), w)[0] == f(
        copy.deepcopy(original), w)
    _, tangent = s2s_ad.jvp(f, wrt=1)(copy.deepcopy(original), w, 1.0)
    assert np.isclose(tangent, g[1], rtol=1e-9, atol=1e-9)
    gradient = s2s_ad.grad(f, wrt=1)
    moved = richardson(lambda t: gradient(copy.deepcopy(original), w + t), 0.0)
    assert np.isclose(s2s_ad.hessian(f, wrt=1)(copy.deepcopy(original), w), moved,
                      rtol=1e-5, atol=1e-7), what
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(copy.deepcopy(original), w), moved,
                      rtol=1e-5, atol=1e-7), what
    # reverse over reverse in the container: d/dc of the gradient in w, item by item
    mixed = s2s_ad.grad(gradient, wrt=0)(copy.deepcopy(original), w)
    assert type(mixed) is type(c)
    for k, key in enumerate(original):
        key = key if isinstance(original, dict) else k

        def shifted(t, key=key):
            moved_c = copy.deepcopy(original)
            moved_c[key] += t
            return gradient(moved_c, w)

        assert np.isclose(mixed[key], richardson(shifted, 0.0), rtol=1e-5, atol=1e-7), what


# --- list(xs), tuple(xs) of a value known only at run time (issue 18) ----------------------
def copy_written(xs, w):
    ys = list(xs)
    ys[0] = ys[0] * w
    return sum(ys) * xs[0]  # (xs keeps its first item: the write went into the copy)


def copy_in_a_loop(xs, w):
    ys = list(xs)
    for i in range(1, len(ys)):
        ys[i] = ys[i - 1] * w + math.sin(xs[i])
    return ys[-1] * ys[0]


def copy_appended(xs, w):
    ys = list(xs)
    ys.append(w * w)
    return sum(ys) * ys[-1] + math.cos(ys[1] * w)


def tuple_copy(xs, w):
    t = tuple(xs)
    return t[0] * math.sin(w * t[1]) + t[-1] ** 2


def copy_of_a_tuple(xs, w):
    ys = list(tuple(xs))  # (list of a tuple made at run time)
    ys[1] = ys[0] * w
    return ys[0] * ys[1] + w * ys[2]


_seq3 = st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=5)
COPIES = [
    ("list(xs), then a write into it", copy_written),
    ("list(xs), written in a loop", copy_in_a_loop),
    ("list(xs), appended to", copy_appended),
    ("tuple(xs)", tuple_copy),
    ("list(tuple(xs))", copy_of_a_tuple),
]


@pytest.mark.parametrize("what, f", COPIES, ids=[c[0] for c in COPIES])
@settings(max_examples=8, deadline=None)
@given(xs=_seq3, w=st.floats(-2.0, 2.0), as_tuple=st.booleans())
def test_a_copy_of_a_run_time_list(what, f, xs, w, as_tuple):
    """``list(xs)`` and ``tuple(xs)`` of a list or tuple argument: a copy whose adjoint goes
    back to ``xs`` item by item. Reverse mode against Richardson differences in every
    coordinate, forward mode, and the second derivative in ``w`` (forward over reverse, and
    reverse over reverse)."""
    c = tuple(xs) if as_tuple else list(xs)
    flat = [*c, w]

    def of_flat(*v):
        return f(type(c)(v[:-1]), v[-1])

    g = s2s_ad.grad(f, wrt=(0, 1))(c, w)
    assert list(c) == xs  # (never changed)
    expected = numerical_grad(of_flat, flat, wrt=tuple(range(len(flat))), method="richardson")
    assert type(g[0]) is type(c) and len(g[0]) == len(c)
    assert np.allclose([*g[0], g[1]], expected, rtol=1e-6, atol=1e-8), what
    assert s2s_ad.value_and_grad(f, wrt=1)(c, w)[0] == f(c, w)
    u = [0.5 - k % 2 for k in range(len(c))]
    _, tangent = s2s_ad.jvp(f, wrt=(0, 1))(c, w, type(c)(u), 0.3)
    assert np.isclose(tangent, np.dot([*u, 0.3], expected), rtol=1e-6, atol=1e-7), what
    gradient = s2s_ad.grad(f, wrt=1)
    moved = richardson(lambda t: gradient(c, w + t), 0.0)
    assert np.isclose(s2s_ad.hessian(f, wrt=1)(c, w), moved, rtol=1e-5, atol=1e-7), what
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(c, w), moved, rtol=1e-5, atol=1e-7), what


def rows_copied(x, w):
    rows = list(x)  # the rows of a 2-d array
    rows[0] = rows[0] * w
    return np.sum(np.stack(rows) ** 2) + np.sum(rows[1] * x[0])


def arrays_copied(xs, w):
    ys = list(xs)  # a list of arrays
    ys[1] = np.tanh(ys[0] * w) + ys[1]
    return np.sum(ys[0] * ys[1]) + np.sum(xs[1] ** 2) * w


def written_then_stacked(xs, w):
    xs[0] = xs[0] * w  # (np.stack's adjoint, an array over the items, reaches the write)
    return np.sum(np.stack(xs) ** 2)


@pytest.mark.parametrize("f, as_list", [(rows_copied, False), (arrays_copied, True),
                                        (written_then_stacked, True)])
def test_a_copy_of_arrays(f, as_list):
    """``list(x)`` of an array's rows and of a list of arrays: the adjoint of the copy
    goes back as an array (a list of arrays); a write into a list of arrays that np.stack
    reads afterwards (its adjoint was each item's whole); against Richardson differences."""
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(3, 4)), 0.7
    arg = list(x) if as_list else x
    g = s2s_ad.grad(f, wrt=(0, 1))(arg, w)
    dx = np.array([richardson(lambda t, k=k, j=j: f(
        [*(r + t * (i == k) * np.eye(4)[j] for i, r in enumerate(x))] if as_list else
        x + t * np.outer(np.eye(3)[k], np.eye(4)[j]), w), 0.0)
        for k in range(3) for j in range(4)]).reshape(3, 4)
    assert (type(g[0]) is list) == as_list
    assert np.allclose(np.asarray(g[0]), dx, rtol=1e-6, atol=1e-8)
    assert np.isclose(g[1], richardson(lambda t: f(arg[:], w + t), 0.0), rtol=1e-6)
    _, tangent = s2s_ad.jvp(f, wrt=1)(arg, w, 1.0)
    assert np.isclose(tangent, g[1], rtol=1e-9)
    gradient = s2s_ad.grad(f, wrt=1)
    moved = richardson(lambda t: gradient(arg[:], w + t), 0.0)
    assert np.isclose(s2s_ad.hessian(f, wrt=1)(arg, w), moved, rtol=1e-5, atol=1e-7)
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(arg[:], w), moved, rtol=1e-5, atol=1e-7)


def test_a_copy_reads_as_list_in_the_generated_code():
    """``ys = list(xs)`` stays that line, and the write goes into the copy in place."""
    source = s2s_ad.grad(copy_written).source
    assert "ys = list(xs)" in source and "ys[0] = " in source
    assert "copy_of(ys)" not in source


def written_in_nested_loops(xs, w, n):
    for _ in range(n):
        for i in range(len(xs)):
            xs[i] = math.sin(xs[i] * w) + xs[i - 1] * 0.5
    return sum(xs)


def written_in_a_while_that_breaks(xs, w):
    i = 0
    while i < len(xs):
        xs[i] = xs[i] * w + 1.0
        if xs[i] > 2.0:
            break
        i += 1
    return xs[0] * xs[-1]


@pytest.mark.parametrize("f, extra", [(written_in_nested_loops, (2,)),
                                      (written_in_a_while_that_breaks, ())])
@settings(max_examples=10, deadline=None)
@given(xs=st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=4), w=st.floats(-1.5, 1.5))
def test_reverse_over_reverse_of_list_writes_in_loops(f, extra, xs, w):
    """``grad(grad(f))`` through writes into a list argument in nested loops and in a
    ``while`` loop that breaks: against Richardson differences of the gradient (points
    where the break's test is within reach of the step are skipped)."""
    gradient = s2s_ad.grad(f, wrt=1)
    if f is written_in_a_while_that_breaks:
        values = []
        for y in xs:  # each item's value where the loop tests it
            values.append(y * w + 1.0)
        if any(abs(v - 2.0) < 1e-2 for v in values):
            return
    moved = richardson(lambda t: gradient(list(xs), w + t, *extra), 0.0)
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(list(xs), w, *extra), moved,
                      rtol=1e-5, atol=1e-7)
    assert np.isclose(s2s_ad.hessian(f, wrt=1)(list(xs), w, *extra), moved,
                      rtol=1e-5, atol=1e-7)


def returns_a_dict(x, y):
    out = {"a": x * 2.0, "b": x * y}
    out["c"] = math.sin(y) * x
    return out


@pytest.mark.parametrize("point", [(1.5, 0.5), (-0.7, 2.0)])
def test_returning_a_dict_built_in_the_function(point):
    """``return {...}`` of a dict built here (it was 'cannot use a tuple or list as a
    number', pointing at the def): jacobian in both modes, jvp and vjp take and return
    dicts; against Richardson differences."""
    x, y = point
    keys = ("a", "b", "c")
    columns = [[richardson(lambda t, k=k, j=j: returns_a_dict(*(
        v + t * (i == j) for i, v in enumerate(point)))[k], 0.0) for k in keys]
        for j in range(2)]
    for mode in ("fwd", "rev"):
        jac = s2s_ad.jacobian(returns_a_dict, wrt=(0, 1), mode=mode)(x, y)
        assert list(jac) == list(keys)
        assert np.allclose([jac[k] for k in keys], np.transpose(columns), rtol=1e-8), mode
    value, tangent = s2s_ad.jvp(returns_a_dict, wrt=(0, 1))(x, y, 0.3, -1.1)
    assert value == returns_a_dict(x, y)
    assert np.allclose([tangent[k] for k in keys],
                       0.3 * np.array(columns[0]) - 1.1 * np.array(columns[1]), rtol=1e-8)
    cotangent = {"a": 0.5, "b": -2.0, "c": 1.5}
    dx, dy = s2s_ad.vjp(returns_a_dict, wrt=(0, 1))(x, y, cotangent)
    assert np.allclose([dx, dy], [np.dot([cotangent[k] for k in keys], c) for c in columns],
                       rtol=1e-8)


def test_a_write_into_a_list_in_a_loop_costs_no_copy_of_the_list():
    """Shape-generic code of ``ys[i] = g(ys[i - 1]) + ys[i]`` in a loop: the forward loop
    writes in place and tapes no version of the list; the backward loop adds into one
    list of adjoints in place (no zeros_like, merge or copy of a list per step), so the
    gradient is linear in the length (it was quadratic: bench/list_writes.py)."""
    source = s2s_ad.grad(copy_in_a_loop, wrt=(0, 1)).source
    in_loops = "\n".join(line for line in source.splitlines() if line.startswith(" " * 8))
    assert "ys_2[i] = " in in_loops and "for " in source, source
    for made in ("zeros_like(", "merge_adjoints(", "copy_of(ys_2)", "copy_of(_t8)"):
        assert made not in in_loops, source
    assert "append((ys" not in source and "append(ys" not in source, source
    # in a loop nested in another, the list is copied once a pass of the outer loop (its
    # tape keeps the version the pass started from), never once a write
    nested = s2s_ad.grad(written_in_nested_loops, wrt=(0, 1)).source
    inner = "\n".join(line for line in nested.splitlines() if line.startswith(" " * 12))
    assert not re.search(r"= copy_of\(xs(_\d+)?\)$", inner, re.MULTILINE), nested
    for made in ("zeros_like(", "merge_adjoints("):
        assert made not in inner, nested


def rows_then_updated(X, w):
    rows = list(X)  # (views of X's rows: X += 1.0 changes them too)
    X += 1.0
    return np.sum(rows[0] * w)


def test_a_copy_of_an_arrays_rows_sees_an_update_of_the_array():
    """``list(X)`` holds views of X's rows, so ``X += 1.0`` afterwards is the located error
    of an update another name still reads (never the old rows' derivative), while a write
    into the copy itself, ``ys[0] = v``, leaves ``xs`` as it is (no check)."""
    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="`rows` still reads the old") as info:
        s2s_ad.grad(rows_then_updated, wrt=1)(np.ones((2, 3)), 0.5)
    assert "X += 1.0" in str(info.value)
    assert "unshared(" not in s2s_ad.grad(copy_written).source


def dict_written_in_nested_loops(d, w):
    for k in d:
        for j in range(3):
            d[k] = math.tanh(d[k] * w + j)
    return sum(d.values())


@pytest.mark.parametrize("w", [0.7, -1.3])
def test_reverse_over_reverse_of_dict_writes_in_nested_loops(w):
    """The outer loop tapes the dict, so the second sweep pops its adjoint (a dict) from a
    stack: it adds up as a dict (it was dict + dict, a TypeError)."""
    d = {"a": 0.2, "b": -0.4, "c": 1.1}
    gradient = s2s_ad.grad(dict_written_in_nested_loops, wrt=1)
    moved = richardson(lambda t: gradient(dict(d), w + t), 0.0)
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(dict(d), w), moved, rtol=1e-6)
    mixed = s2s_ad.grad(gradient, wrt=0)(dict(d), w)
    for key in d:
        shifted = richardson(lambda t, key=key: gradient({**d, key: d[key] + t}, w), 0.0)
        assert np.isclose(mixed[key], shifted, rtol=1e-6, atol=1e-9)


def list_of_reversed(xs, w):
    ys = list(reversed(xs))
    ys[0] = ys[0] * w
    return ys[0] * xs[0] + ys[-1] * w


def list_of_zip(xs, w):
    ps = list(zip(xs, range(len(xs))))
    return sum(a * i * w for a, i in ps) + ps[0][0] ** 2


def of_dict_views(d, w):
    items = list(d.items())
    values = tuple(d.values())
    return items[0][1] * w + values[-1] ** 2 * w


def list_of_enumerate(xs, w):
    pairs = list(enumerate(xs))
    r = list(range(len(xs)))
    return pairs[1][1] * pairs[1][0] * w + r[-1] * xs[0]


@pytest.mark.parametrize("f, c", [(list_of_reversed, [0.3, -1.2, 0.8]),
                                  (list_of_zip, [0.3, -1.2, 0.8]),
                                  (of_dict_views, {"a": 0.5, "b": 1.5}),
                                  (list_of_enumerate, [0.3, -1.2, 0.8])],
                         ids=["reversed", "zip with a range", "dict views", "enumerate, range"])
def test_list_of_an_iterator_over_a_run_time_value(f, c):
    """``list(reversed(xs))``, ``list(zip(...))``, ``list(d.items())``, ``tuple(d.values())``,
    ``list(enumerate(xs))``, ``list(range(n))``: a list made by a loop, as a comprehension;
    reverse mode against Richardson in every coordinate, and second order in w."""
    flat = list(c.values()) if isinstance(c, dict) else list(c)

    def rebuilt(v):
        return dict(zip(c, v)) if isinstance(c, dict) else list(v)

    g = s2s_ad.grad(f, wrt=(0, 1))(c, 0.7)
    expected = numerical_grad(lambda *v: f(rebuilt(v[:-1]), v[-1]), [*flat, 0.7],
                              wrt=tuple(range(len(flat) + 1)), method="richardson")
    got = [*(g[0].values() if isinstance(g[0], dict) else g[0]), g[1]]
    assert np.allclose(got, expected, rtol=1e-7, atol=1e-9)
    gradient = s2s_ad.grad(f, wrt=1)
    second = richardson(lambda t: gradient(c, 0.7 + t), 0.0)
    assert np.isclose(s2s_ad.hessian(f, wrt=1)(c, 0.7), second, rtol=1e-6, atol=1e-8)
    assert np.isclose(s2s_ad.grad(gradient, wrt=1)(c, 0.7), second, rtol=1e-6, atol=1e-8)


_WEIGHTS = [1.0, 2.0, 3.0]


def copy_of_a_global(x):
    ys = list(_WEIGHTS)  # (a constant: its items, known when the derivative is built)
    ys[0] = x * ys[1]
    return sum(ys) * x + len(tuple("abc")) * x


def test_list_of_a_constant():
    """``list(GLOBAL)`` and ``tuple("abc")`` were 'list() of a value computed at run time'."""
    g = s2s_ad.grad(copy_of_a_global)(1.5)
    assert g == pytest.approx(richardson(copy_of_a_global, 1.5), rel=1e-9)
    assert _WEIGHTS == [1.0, 2.0, 3.0]



def squares_of(xs):
    out = []
    for x in xs:
        out.append(x * x)
    return out


def multiples(x):
    out = []
    for k in range(3):
        out.append(x * k)
    return out


def ignores_its_rows(x):
    seen = []
    for _row in x:
        seen.append(1.0)
    return 1.0


def test_a_jacobian_of_a_list_built_when_it_runs_is_refused_not_wrong():
    """A Jacobian seeds each result with 1.0: for a list built by appends that gave the sum
    of its rows in reverse mode (0.0 for [0, 1, 2]). Refused where it would be; forward
    mode with respect to numbers gives the tangent of the list, which is right."""
    with pytest.raises(s2s_ad.DifferentiationError,
                       match="returns a tuple, list or dict built when it runs, in reverse"):
        s2s_ad.jacobian(multiples, mode="rev")(2.0)
    with pytest.raises(s2s_ad.DifferentiationError, match="with respect to the tuple/list/dict "
                                                   "argument 'xs'"):
        s2s_ad.jacobian(squares_of)([1.0, 2.0])
    with pytest.raises(s2s_ad.DifferentiationError, match="to the array argument 'x'"):
        s2s_ad.jacobian(multiples)(np.array([1.0, 2.0]))
    assert s2s_ad.jacobian(multiples)(2.0) == [0, 1, 2]
    # the gradient with respect to a list is a list: its Jacobian too is refused
    with pytest.raises(s2s_ad.DifferentiationError, match="'dot_grad', which returns a tuple"):
        s2s_ad.jacobian(s2s_ad.grad(dot))([1.0, 2.0], [3.0, 4.0])


def dot(xs, ys):
    return xs[0] * ys[0] + xs[1] * ys[1] ** 2


def test_the_jacobian_of_a_zero_gradient_of_an_array_has_the_blocks_shape():
    """Campaign 2420: an argument that is only iterated may be an array; the shape-generic
    code gave the Jacobian of its zero gradient the argument's shape, (2, 4) for
    (2, 4, 2, 4). Such arguments get code specialized to them."""
    x = np.ones((2, 4))
    block = s2s_ad.jacobian(s2s_ad.grad(ignores_its_rows))(x)
    assert block.shape == (2, 4, 2, 4) and not block.any()


def powers_until(a, b):
    total = 0.0
    for k, item in enumerate((a, b, a * b)):
        total = total + (math.expm1(item) ** k) * item
        if total > 10.0:
            break
    return total


def test_enumerate_over_a_tuple_with_a_break_counts_with_the_loop_index():
    """Campaign 2420: enumerate's count, in a loop over a tuple built here that may break,
    was read from a run-time tuple of (count, item) pairs: an item of a differentiated
    value, so the gradient computed its adjoint, log(base) of a negative base (math domain
    error). The count is the loop's index now, an int like any loop counter."""
    for a, b in [(-0.4, 0.7), (0.3, -0.9), (1.2, 1.5)]:
        got = s2s_ad.grad(powers_until, wrt=(0, 1))(a, b)
        want = numerical_grad(powers_until, (a, b), wrt=(0, 1), method="richardson")
        assert got == pytest.approx(want, rel=1e-7, abs=1e-9)
    assert "log" not in s2s_ad.grad(powers_until, wrt=(0, 1)).source


def reads_row_one(x, y, xs, n):
    x = xs[1]
    return x


def zips_its_items(x, xs, p):
    for _a, _b in zip(xs, p):
        pass
    return 1.0


def reads_an_item_in_a_loop(x, z, xs, d, t):
    z, x = (1.0, d["a"])  # noqa: F841  (the program as the fuzzer wrote it)
    for _j, _e in enumerate(t):
        _v = xs[1]
    return 1.0


def returns_its_first(x, y, xs, t):
    return x


def test_an_array_where_the_code_reads_items_gets_blocks_of_its_shape():
    """A fuzz variant passing a float vector where the program reads a list by items
    found four failures (on a2425ee): the code for floats checked only the arguments it
    does not index, so a Jacobian's block for the vector was 0.0; a Hessian's blocks were
    0.0 and (3,) for (3,) and (3, 3); a forward-mode Jacobian was refused when the code
    was built, before any call; a JVP of a gradient derived from the gradient's code for
    floats called float() of the vector's zero gradient (TypeError)."""
    xs = np.array([1.2, 1.7, 1.1])
    block = s2s_ad.jacobian(zips_its_items, wrt=("x", "xs"), mode="fwd")(0.5, xs[:2], (0.1, 0.2))
    assert block[0] == 0.0 and isinstance(block[1], np.ndarray) and block[1].shape == (2,)
    H = s2s_ad.hessian(reads_an_item_in_a_loop, wrt=("x", "z", "xs"))(
        2.0, 2.0, xs, {"a": 1.0}, (2.0, 1.0))
    assert np.shape(H[2][2]) == (3, 3) and np.shape(H[0][2]) == (3,) and not H[2][2].any()
    J = s2s_ad.jacobian(reads_row_one, wrt=("x", "y", "xs"), mode="fwd")(0.2, -0.2, xs, 0)
    np.testing.assert_array_equal(J[2], [0.0, 1.0, 0.0])
    with pytest.raises(s2s_ad.DifferentiationError, match="argument 'xs' is not supported"):
        s2s_ad.jacobian(reads_row_one, wrt=("x", "y", "xs"), mode="fwd")(0.2, -0.2, [1.0, 2.0],
                                                                          0)
    g = s2s_ad.grad(returns_its_first, wrt=("x", "y", "xs", "t"))
    value, tangent = s2s_ad.jvp(g, wrt=("x", "xs"))(0.0, 0.0, xs, (0.0, -1.0), 1.0, np.ones(3))
    assert np.shape(value[2]) == (3,) and not value[2].any() and np.shape(tangent[2]) == (3,)
