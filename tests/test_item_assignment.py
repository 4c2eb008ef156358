"""Item and slice assignment: ``x[i] = v``, ``x[i] += v`` on arrays, into lists and dicts.

Every program is checked against differences of the function itself (the oracle never
sees s2s_ad's code): reverse mode, forward mode, and second order. The generated code
writes in place only where nothing reads the old array (codegen/writes.py): the checks
here would catch a write that shows through.
"""

import functools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import s2s_ad
from s2s_ad import UnsupportedSyntaxError, grad, hessian, jvp
from s2s_ad.numeric import central_difference, numerical_grad


def fill_loop(W, xs):
    T, n = xs.shape
    h = np.zeros((T + 1, n))
    for t in range(T):
        h[t + 1] = np.tanh(h[t] @ W + xs[t])
    return np.sum(h[T] ** 2) + 0.5 * np.sum(h)


def slices_and_updates(x):
    y = x.copy()
    y[0] = y[1] * y[2]
    y[1:3] += np.sin(y[0])
    y[-1] -= 2.0 * y[0]
    return np.sum(y ** 2)


def two_names(x):
    y = x * 1.0
    z = y  # z sees the write, as in NumPy
    y[0] = 3.0 * y[0]
    return z[0] * y[1] + np.sum(y)


def matrix_and_mask(x):
    A = np.outer(x, x)
    A[0, 1] = 0.0
    A[:, 2] *= 2.0
    A[A > 0.5] = 0.5
    return np.sum(A * A)


def index_at_run_time(x, i):
    y = np.zeros(4)
    y[i] = x
    y[i] += x * x
    return y @ np.arange(4.0)


def into_the_argument(x):
    x[0] = x[1] * x[2]
    return np.sum(x * x)


def written_in_branches(x, h):
    for i in range(3):
        if h[i] > 0:
            h[i] = x * h[i]
        else:
            h[i] = np.exp(x)
    return np.sum(h * h)


def list_and_dict(x):
    xs = [x, 2 * x]
    ys = xs
    xs[1] = x * x  # ys sees it too
    d = {"a": x}
    d["b"] = 3 * x
    d["a"] += 1.0
    return xs[0] + ys[1] + d["a"] * d["b"]


def fancy_index(x):
    y = np.zeros(5)
    y[[0, 2, 4]] = x[:3] ** 2
    y[np.array([3, 1])] += x[3]
    return np.sum(np.sin(y))


def rows_read_back(x):
    h = np.zeros((4, 2))
    h[0] = x
    for t in range(3):
        h[t + 1] = h[t] * np.cos(h[t]) + x
        h[t] = 0.5 * h[t + 1]  # overwrite what the tape needs
    return np.sum(h * h)


def trajectory(x0, p):
    """Two writes a step into rows unpacked as they are read (found a lost adjoint)."""
    traj = np.zeros((12, 2))
    traj[0] = x0
    for t in range(11):
        pos, vel = traj[t]
        traj[t + 1, 0] = pos + 0.05 * vel
        traj[t + 1, 1] = vel - 0.05 * (p[0] * pos + p[1] * vel)
    return np.sum(traj[:, 0] ** 2)


def kernel_matrix(x, y):
    n = len(x)
    K = np.empty((n, n))  # (every entry written before it is read: zeros in the code)
    for i in range(n):
        for j in range(n):
            K[i, j] = np.exp(-(x[i] - x[j]) ** 2)
    return y @ K @ y


def list_items_in_a_loop(x, n):
    xs = [x, 1.0]
    for i in range(n):  # noqa: B007
        xs[0] = xs[0] * x
        xs[1] += xs[0]
    return xs[0] + xs[1]


def int_array(x):
    h = np.zeros(3, dtype=int)
    h[0] = x  # rounded: no derivative flows through h
    return h.sum() * 1.0 + x


rng = np.random.default_rng(1)
ARRAY_CASES = [
    (fill_loop, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3))), (0, 1)),
    (slices_and_updates, (rng.normal(size=5),), 0),
    (two_names, (rng.normal(size=3),), 0),
    (matrix_and_mask, (rng.normal(size=3),), 0),
    (index_at_run_time, (0.7, 2), 0),
    (into_the_argument, (rng.normal(size=3),), 0),
    (written_in_branches, (0.6, np.array([0.5, -1.0, 2.0])), (0, 1)),
    (list_and_dict, (1.3,), 0),
    (fancy_index, (rng.normal(size=4),), 0),
    (rows_read_back, (np.array([0.3, -0.8]),), 0),
    (int_array, (1.7,), 0),
    (list_items_in_a_loop, (1.3, 3), 0),
    (trajectory, (np.array([1.0, 0.0]), np.array([2.0, 0.3])), (0, 1)),
    (kernel_matrix, (np.array([0.1, 0.5, 1.3]), np.array([1.0, -2.0, 0.5])), (0, 1)),
]


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _on_copies(f):
    """``f`` called on copies of its arguments (some write into theirs, as Python does)."""
    @functools.wraps(f)
    def call(*args):
        return f(*_copies(args))
    return call


@pytest.mark.parametrize("f, args, wrt", ARRAY_CASES, ids=[c[0].__name__ for c in ARRAY_CASES])
def test_reverse_mode_matches_differences(f, args, wrt):
    before = _copies(args)
    got = grad(f, wrt=wrt)(*args)
    for a, b in zip(args, before):  # the gradient never writes into its arguments
        assert np.array_equal(a, b)
    want = numerical_grad(_on_copies(f), args, wrt=wrt)
    for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                    want if isinstance(wrt, tuple) else (want,)):
        assert np.allclose(g, w, rtol=1e-6, atol=1e-7), (g, w)


@pytest.mark.parametrize("f, args, wrt", ARRAY_CASES, ids=[c[0].__name__ for c in ARRAY_CASES])
def test_forward_mode_matches_differences(f, args, wrt):
    k = wrt[0] if isinstance(wrt, tuple) else wrt
    direction = np.ones_like(args[k]) * 0.7 if isinstance(args[k], np.ndarray) else 0.7
    _, tangent = jvp(f, wrt=k)(*_copies(args), direction)

    def along(t):
        moved = list(_copies(args))
        moved[k] = moved[k] + t * direction
        return f(*moved)

    assert tangent == pytest.approx(central_difference(along, 0.0), rel=1e-6, abs=1e-7)


def scalar_fill(x):
    v = np.ones(3)
    v[1] = x
    v[2] = np.sin(v[1]) * x
    for i in range(2):
        v[i] += v[i + 1] ** 2
    return np.sum(v * v) * v[0]


@settings(max_examples=25, deadline=None)
@given(st.floats(-2.0, 2.0))
def test_second_order_matches_differences_of_the_gradient(x):
    g = grad(scalar_fill)
    want = central_difference(g, x)
    assert hessian(scalar_fill)(x) == pytest.approx(want, rel=1e-5, abs=1e-6)
    assert grad(grad(scalar_fill))(x) == pytest.approx(want, rel=1e-5, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.floats(-1.5, 1.5), st.integers(0, 3))
def test_writes_at_drawn_points(x, i):
    want = central_difference(lambda t: index_at_run_time(t, i), x)
    assert grad(index_at_run_time)(x, i) == pytest.approx(want, rel=1e-6, abs=1e-7)


def test_the_fill_loop_writes_in_place_and_reads_rows_back():
    W, xs = ARRAY_CASES[0][1]
    source = grad(fill_loop).specialize(W, xs).source
    assert "h[t + 1] = np.tanh(" in source  # into h itself, no copy a step
    assert "np.copy(h)" not in source
    # h[t] and the row written at t + 1 are never written again: the backward sweep reads
    # them from h after the loop (as hand-written backpropagation does), no tape, and
    # np.tanh is not computed again
    assert "_tape" not in source and "np.copy(h[t])" not in source
    assert source.count("np.tanh(") == 1
    assert "unbroadcast" not in source and "zeros_like" not in source


def reads_the_row_it_overwrites(w, xs):
    h = np.zeros((xs.shape[0] + 1, xs.shape[1]))
    for t in range(xs.shape[0]):
        h[t] = h[t] + xs[t]  # (rows from 0 on: the old row is read, then replaced)
        h[t + 1] = np.sin(h[t] * w + h[t + 1])  # h[t + 1] read before it is written
    return np.sum(h * h)


def reads_before_the_start(w, xs):
    h = np.ones((xs.shape[0] + 1, xs.shape[1]))
    for t in range(xs.shape[0]):
        h[t + 1] = np.tanh(h[t - 1] * w + xs[t])  # h[-1] at t = 0: the last row, later
    return np.sum(h * h)


def fills_backward(w, xs):
    h = np.ones((xs.shape[0] + 1, xs.shape[1]))
    for t in reversed(range(xs.shape[0])):
        h[t] = np.tanh(h[t + 1] * w + xs[t])
    return np.sum(h * h)


@pytest.mark.parametrize("f", [reads_the_row_it_overwrites, reads_before_the_start,
                               fills_backward])
def test_rows_that_are_written_again_are_taped(f):
    """Where a row read may be written later (read before its own write, a negative index
    wrapping around, a loop counting down), the array after the loop does not hold it."""
    rng = np.random.default_rng(3)
    w, xs = rng.normal(size=2), rng.normal(size=(4, 2))
    got = grad(f)(w, xs)
    want = [central_difference(lambda t, k=k: f(np.where(np.arange(2) == k, t, w), xs), w[k])
            for k in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def rosen_filled(x):
    r = np.zeros(x.shape[0] - 1)
    for i in range(x.shape[0] - 1):
        r[i] = 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return np.sum(r)


def test_a_loop_starting_from_a_broadcast_adjoint_writes_in_place():
    """The adjoint of r starts as a read-only broadcast of 1.0: copied once before the
    backward loop, not once a step (which made it quadratic); an item that is a number is
    read as it is, not copied."""
    x = np.array([0.3, -0.7, 1.2, 0.5])
    source = grad(rosen_filled).specialize(x).source
    loop = source[source.index("for i in reversed"):]
    assert "np.copy" not in loop and "dr[i] = 0.0" in loop, source
    want = numerical_grad(rosen_filled, (x,))
    assert np.allclose(grad(rosen_filled)(x), want, rtol=1e-7, atol=1e-6)


def test_a_view_read_after_a_write_is_a_clear_error():
    def view_then_write(x):
        row = x[0]
        x[1] = 5.0
        return row.sum()

    with pytest.raises(UnsupportedSyntaxError, match=r"`x\[\.\.\.\] = \.\.\.` writes into the "
                       "array x in place, and `row` still reads") as info:
        grad(view_then_write)(np.ones((3, 2)))
    assert "copy" in str(info.value)


def test_an_index_that_repeats_an_entry_is_refused():
    def repeated(x, idx):
        y = np.zeros(3)
        y[idx] = x  # NumPy keeps the last write
        return np.sum(y * y)

    def constant(x):
        y = np.zeros(3)
        y[[1, 1]] += x  # adds once, not twice
        return np.sum(y * y)

    x = np.array([1.0, 2.0])
    assert np.allclose(grad(repeated)(x, np.array([0, 2])), 2 * x)
    with pytest.raises(ValueError, match="repeats an entry"):
        grad(repeated)(x, np.array([1, 1]))
    with pytest.raises(ValueError, match=r"test_item_assignment\.py:\d+:\d+: .* repeats an "
                       "entry"):
        grad(constant)(1.5)


@pytest.mark.parametrize("body, what", [
    ("v = x * 1.0\n    v[0][1] = 2.0", "item of an item"),
    ("t = (x, x)\n    t[0] = x", "is a tuple"),
    ("G[0] = x[0]", "writing into G"),
    ("xs = [x, x]\n    xs[int(x[0] > 0)] = x", "at a key computed at run time"),
    ("d = {'a': x}\n    for i in range(2):\n        d['a'] = d['a'] * x", "the dict 'd' built"),
])
def test_what_stays_refused_is_named(body, what):
    namespace = {"np": np, "G": np.zeros(3)}
    source = f"def f(x):\n    {body}\n    return np.sum(x)\n"
    path = f"<item-{abs(hash(body))}>"
    import linecache
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    exec(compile(source, path, "exec"), namespace)
    with pytest.raises(s2s_ad.DifferentiationError, match=re.escape(what)):
        grad(namespace["f"])(np.ones(3))


def _put(h, i, v):
    h[i] = v


def _push(xs, v):
    xs.append(v)


def _fresh(h, v):
    h = h.copy()
    h[0] = v
    return h


def writes_through_a_helper(x):
    h = np.zeros(3)
    _put(h, 0, x)  # Python changes the caller's h
    return np.sum(h)


def writes_through_a_closure(x):
    h = np.zeros(3)

    def put(i, v):
        h[i] = v

    put(0, x)
    return np.sum(h)


def appends_through_a_helper_in_a_loop(x, n):
    xs = []
    for i in range(n):
        _push(xs, x * i)  # once a step in Python; once when building, lowered as written
    return sum(xs)


@pytest.mark.parametrize("f, args, what", [
    (writes_through_a_helper, (2.0,), "which the caller passed to '_put'"),
    (writes_through_a_closure, (2.0,), "a variable of the function around"),
    (appends_through_a_helper_in_a_loop, (1.0, 3), "called in a loop"),
])
def test_writes_into_the_callers_values_are_refused(f, args, what):
    """Python changes the caller's value. Lowered as written, the write went into the
    nested function's own new value and the append happened once: the closure gave 0.0
    where Python gives 1.0, the helper's append in a loop 0.0 where it gives 3.0."""
    with pytest.raises(UnsupportedSyntaxError, match=re.escape(what)):
        grad(f)(*args)


def test_a_helper_that_copies_before_writing_is_fine():
    def g(x):
        return np.sum(_fresh(np.zeros(3), x) * 3.0) + sum(_grown(x))

    def _grown(x):
        xs = [x]
        _push(xs, 2 * x)  # (not in a loop: the list grows once, as in Python)
        return xs

    assert grad(g)(2.0) == pytest.approx(6.0)


def test_code_for_any_arguments_checks_what_it_writes_into():
    def write(x, y):
        y[0] = x
        return y[0] * y[1]

    general = grad(write).general
    assert general(2.0, np.array([1.0, 3.0])) == pytest.approx(3.0)
    ys = [1.0, 3.0]
    assert general(2.0, ys) == pytest.approx(3.0)  # a list: written into a copy
    assert ys == [1.0, 3.0]
    with pytest.raises(TypeError, match="writes into a int64 array"):
        general(2.0, np.array([1, 3]))
    with pytest.raises(TypeError, match="writes into tuple"):
        general(2.0, (1.0, 3.0))


def test_math_on_written_items():
    def norm_of_rows(x):
        out = np.zeros(2)
        out[0] = math.sqrt(x[0] ** 2 + x[1] ** 2)
        out[1] = x[2]
        return np.sum(out)

    x = np.array([3.0, 4.0, 1.0])
    assert np.allclose(grad(norm_of_rows)(x), [0.6, 0.8, 1.0])


def refilled_each_pass(x, s, n):
    for _i in range(n):
        s += 1.0
        z = np.zeros(4)  # (a constant array: its op's value is an array)
        for _t in range(3):
            z[1] = 0.5
        s += np.sum(x * z)
    return s


def test_a_fill_loop_inside_a_loop_reading_rows_back():
    """Campaign 2416 (minimized): looking for a recomputed value to read back compared ops
    by their attributes, and a constant array's is not hashable (TypeError)."""
    dx, ds = grad(refilled_each_pass, wrt=("x", "s"))(np.ones(4), 0.5, 2)
    assert dx.tolist() == [0.0, 1.0, 0.0, 0.0] and ds == 1.0


def after_a_loop_that_may_not_run(x, b, s, n):
    s += x[None]  # (d/dx of this is added into dx after the loop below)
    for _i in range(1, n):
        b -= x
    return np.sum(x) + np.sum(np.tanh(b)) + np.sum(s)


@pytest.mark.parametrize("optimize", [True, False])
def test_a_write_after_a_loop_that_may_not_run(optimize):
    """Campaign 2418 (minimized; failed on 8eb4caf too): dx starts as a read-only broadcast
    (the seed of np.sum), a loop may leave it as it is (n = 0 or 1), and `dx[None] += ds`
    wrote into it in place (ValueError: read-only). A loop's result is borrowed where its
    start is."""
    x, b = np.array([0.4, -0.4, 0.3]), np.array([1.4, 1.8, -1.6])
    for n in (0, 1, 3):
        got = grad(after_a_loop_that_may_not_run, optimize=optimize)(x, b, 0.9, n)
        want = [central_difference(lambda t, k=k, n=n: after_a_loop_that_may_not_run(
            np.where(np.arange(3) == k, t, x), b.copy(), 0.9, n), x[k]) for k in range(3)]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# --- the adjoint of a fill loop's array, carried a row at a time (optimize/rows.py) ---------

def rnn_last(W, U, xs):
    h = np.zeros((xs.shape[0] + 1, U.shape[0]))
    for t in range(xs.shape[0]):
        h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)
    return np.sum(h[xs.shape[0]] ** 2)


def rnn_last_two(W, U, xs):  # two rows seeded: the adjoint stays an array
    T = xs.shape[0]
    h = np.zeros((T + 1, U.shape[0]))
    for t in range(T):
        h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)
    return np.sum(h[T] ** 2) + np.sum(h[T - 1] * h[T])


def rnn_every_row(W, U, xs):  # every row read after the loop: the adjoint stays an array
    h = np.zeros((xs.shape[0] + 1, U.shape[0]))
    for t in range(xs.shape[0]):
        h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)
    return np.sum(h * h)


def rnn_from_two(W, U, xs):  # row 2, where the loop starts, read after it: an array
    h = np.zeros((xs.shape[0] + 1, U.shape[0]))
    h[2] = xs[0] @ W
    for t in range(2, xs.shape[0]):
        h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)
    return np.sum(h[xs.shape[0]] ** 2)


def rnn_fixed(W, U, xs):  # constant bounds, row 0 set before the loop and read back
    h = np.zeros((6, U.shape[0]))
    h[0] = np.sin(xs[0] @ W)
    for t in range(5):
        h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)
    return np.sum(h[5] ** 2)


def number_rows(W, U, xs):  # rows that are numbers
    T = xs.shape[0]
    s = np.zeros(T + 1)
    for t in range(T):
        s[t + 1] = np.sin(s[t] * U[0, 0] + xs[t, 0] * W[0, 0])
    return s[T] ** 2


@pytest.mark.parametrize("f, carried", [(rnn_last, True), (rnn_last_two, False),
                                        (rnn_every_row, False), (rnn_from_two, False),
                                        (number_rows, True), (rnn_fixed, True)])
def test_the_adjoint_of_a_fill_loop_is_carried_a_row_at_a_time(f, carried):
    """Where the adjoint of h is seeded at its last row only and each backward step reads
    row t + 1 and adds into row t, it is carried as one row (hand-written BPTT's vector):
    no array of zeros for it, and the same gradient as the differences."""
    rng = np.random.default_rng(11)
    W, U, xs = rng.normal(size=(2, 3)) * 0.7, rng.normal(size=(3, 3)) * 0.5, rng.normal(
        size=(5, 2))
    g = grad(f, wrt=(0, 1))
    source = g.specialize(W, U, xs).source
    assert (re.search(r"\[t_2\] \+=", source) is None) is carried, source  # no row adds
    got = g(W, U, xs)
    want = s2s_ad.numeric.numerical_grad(f, (W, U, xs), wrt=(0, 1), method="richardson")
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    # reverse over reverse and forward over reverse read the rewritten loop too
    v = rng.normal(size=(2, 3))
    hvp = s2s_ad.hvp(lambda W, U, xs: f(W, U, xs), wrt=0)(W, U, xs, v)
    along = central_difference(lambda e: g(W + e * v, U, xs)[0], 0.0, 1e-5)
    np.testing.assert_allclose(hvp, along, rtol=1e-5, atol=1e-7)
