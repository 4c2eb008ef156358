"""Rows of functions with control flow: (name, fn, args strategy, wrt, smooth-at predicate).

The predicate keeps drawn points away from kinks (a branch switching within a finite
difference step), where no derivative exists to compare against.
"""

import math

from hypothesis import strategies as st

floats = st.floats


def recurrence(x, w, n):
    dt = 0.1
    for i in range(n):  # noqa: B007  (the user's loop, as written)
        x = x + dt * math.sin(w * x)
    return x


def branch_join(x, y):
    if x > y:
        z = x * y
    else:
        z = x + math.sin(y)
    return z * z


def elif_chain(x):
    if x < -1:
        y = -x * x
    elif x < 1:
        y = math.sin(x)
    else:
        y = math.log(x) + math.sin(1.0)
    return y * x


def early_return(x, y):
    if x < 0:
        return -x * y
    t = x * x
    if t > 4:
        return t * y
    return t + y


def fibonacci_like(x, n):
    a, b = 1.0, x
    for i in range(n):  # noqa: B007
        a, b = b, a + b * x
    return b


def accumulate(x, n):
    s = 0.0
    for i in range(n):
        s += x * i
    return s * x


def with_break(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
        if s > 10:
            break
    return s * x


def with_continue(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            continue
        s = s + math.sin(x * i)
    return s


def while_loop(x):
    y = x
    while y < 100:
        y = y * 1.5 + x
    return y


def nested_loops(x, n):
    s = x
    for i in range(n):
        for j in range(i):
            s = s * 0.9 + math.cos(x * j)
    return s


def break_in_nested(x):
    total = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            total = total + x ** (i + j) / (1 + j)
    return total


def ternary_in_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + (x * i if i % 3 else -x)
    return s


def and_or(x, y):
    return (x * y if x > 0 and y > 0 else x - y) + (x if x > 1 or y > 1 else y * y)


def horner(x, c0, c1, c2, c3):
    acc = 0.0
    for c in (c3, c2, c1, c0):
        acc = acc * x + c
    return acc


def enumerate_zip(x, y):
    total = 0.0
    for k, (a, b) in enumerate(zip((x, y, x * y), (y, x, 1.0))):
        total = total + k * a * b
    return total


def range_with_step(x, lo, hi):
    s = 1.0
    for i in range(hi, lo, -2):
        s = s * (1 + x / i)
    return s


def _step(state, w):
    a, b = state
    return b, a * w + math.tanh(b)


def helper_in_loop(x, w, n):
    state = (x, 0.5)
    for _ in range(n):
        state = _step(state, w)
    return state[0] + state[1]


def _sign_split(v):
    if v > 0:
        return v * v
    return -v


def helper_with_branch(x, y):
    return _sign_split(x) + _sign_split(y) * x


def while_with_break(x):
    y = x
    k = 0
    while True:
        y = y * 1.1 + 0.1
        k += 1
        if y > 5 or k > 50:
            break
    return y * x


def while_true_binds(x):
    while True:  # issue 15: the body runs at least once, so z is bound after the loop
        z = x * 2 + 0.1 * x * x
        if z > 1:
            break
        x = z
    return z * math.sin(z)


def while_true_binds_at_break(x, y):
    while True:
        s = math.sin(x) + x * x
        if s > y:
            result = s * y  # bound on the only path that leaves the loop
            break
        x = x + 0.5
    return result


def counting_down(x, w, n):
    """Backpropagation written by hand: the last step first."""
    acc = 0.0
    for i in reversed(range(1, n, 2)):
        acc = math.sin(acc * w + x * i)
    return acc


def reversed_items(x, w, n):
    acc = 0.0
    xs = []
    for i in range(n):
        xs.append(x * i + w)
    for k, v in enumerate(reversed(xs)):
        acc = acc * w + k * v
    return acc


def skips_while_counting_down(x, n):
    for i in reversed(range(n)):
        if i % 3 == 0:
            continue
        x = x * 0.5 + math.sin(x) * 0.2 * i
    return x



# --- early exits: `return` inside loops (frontend/exits.py), `else:` on loops -------------
def first_over_threshold(x, w, n):
    """A search: the first multiple of x over a threshold, weighted."""
    for i in range(n):
        v = x * (i + 1)
        if v > 1.5:
            return v * w
    return x + w


def newton_sqrt(a):
    """Newton's iteration for sqrt(a), returning when it has converged."""
    x = 1.0
    for _ in range(50):
        step = (x * x - a) / (2 * x)
        x = x - step
        if abs(step) < 1e-12:
            return x
    return x


def nested_return(x, n):
    s = x
    for i in range(n):
        for j in range(i + 1):
            s = s * 0.9 + math.sin(x * j)
            if s > 2.0:
                return s * i
        s = s + x
    return -s


def _first_pair_over(x, y):
    k = 0
    while k < 20:
        x = x * 1.2 + 0.1 * y
        if x > 3:
            return x * y, x - y  # a tuple, from inside a while loop
        k += 1
    return y, x


def helper_returns_in_loop(x, y):
    a, b = _first_pair_over(x, y)
    return a * b + math.sin(a)


def while_true_returns(x):
    while True:
        x = x * 1.5 + 0.1
        if x > 2:
            return x * x
        if x < -2:
            return -x


def for_else(x, n):
    for i in range(n):
        x = x * 1.5 + i * 0.1
        if x > 3:
            break
    else:
        x = -x
    return x * x


def for_else_returns(x, n):
    for _ in range(n):
        x = x * 1.5
        if x > 3:
            return math.sin(x)
    else:
        x = x - 1.0
    return x * x


def nested_for_else(x, n, m):
    for _ in range(n):
        for _ in range(m):
            x = x * 1.2
            if x > 2:
                break
        else:  # (its own flag: the outer loop's else must not see this loop's break)
            x = x + 0.5
        if x > 10:
            break
    else:
        x = -x
    return x * x


def membership_branches(x, k, xs):
    """`in` and `not in` decide branches: of a tuple built here, a list argument."""
    a = x * x if k in (1, 2) else math.sin(x)
    return a * x if 2 not in xs else a + x


def counting_down_breaks(x, n):
    """break in a loop over reversed(range(...)): a loop counting up over its items."""
    for i in reversed(range(n)):
        x = x * math.cos(x + 0.3 * i)
        if x < 0.1:
            break
    return x


def _counting_down_exit(x, n):
    for i in reversed(range(n)):
        x = x * math.cos(x + 0.3 * i)
        if x < 0.1:
            return i
    return None


def counting_down_returns(x, n):
    for i in reversed(range(1, n, 2)):
        x = x + 0.5 * math.sin(x * i)
        if x > 1.2:
            return x * x
    return x


def _counting_down_return_exit(x, n):
    for i in reversed(range(1, n, 2)):
        x = x + 0.5 * math.sin(x * i)
        if x > 1.2:
            return i
    return None


def unrolled_breaks(x, y):
    """break in a loop over a tuple built here: a run-time loop over a run-time tuple."""
    for v in (x, y, x * y):
        x = x + math.sin(v)
        if x > 1.5:
            break
    return x


def _unrolled_break_exit(x, y):
    for k, v in enumerate((x, y, x * y)):
        x = x + math.sin(v)
        if x > 1.5:
            return k
    return None


def unrolled_returns(x, y):
    for a, b in ((x, 1.0), (y, 2.0), (x * y, 3.0)):  # (pairs: unpacked at run time)
        if a * b > 1.0:
            return a * b + x
        x = x * 0.5
    return y


def _unrolled_return_exit(x, y):
    for k, (a, b) in enumerate(((x, 1.0), (y, 2.0), (x * y, 3.0))):
        if a * b > 1.0:
            return k
        x = x * 0.5
    return None


def _same_both(exit_of, x, y):
    return all(exit_of(x + dx, y + dy) == exit_of(x, y)
               for dx, dy in ((0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)))


def search_list(x, xs):
    for v in xs:
        if v * x > 1.0:
            return v * x * x
    return x

_away = floats(0.2, 2.0)

CASES = [
    ("recurrence", recurrence, st.tuples(floats(-1, 1), floats(0.5, 2), st.integers(0, 15)),
     (0, 1), None),
    ("branch_join", branch_join, st.tuples(floats(-2, 2), floats(-2, 2)), (0, 1),
     lambda x, y: abs(x - y) > 0.01),
    ("elif_chain", elif_chain, st.tuples(floats(-3, 3)), (0,),
     lambda x: abs(abs(x) - 1) > 0.01),
    ("early_return", early_return, st.tuples(floats(-3, 3), floats(-2, 2)), (0, 1),
     lambda x, y: abs(x) > 0.01 and abs(x * x - 4) > 0.01),
    ("fibonacci_like", fibonacci_like, st.tuples(floats(-1.2, 1.2), st.integers(0, 8)), (0,),
     None),
    ("accumulate", accumulate, st.tuples(floats(-2, 2), st.integers(0, 20)), (0,), None),
    ("with_break", with_break, st.tuples(floats(0.01, 2), st.integers(0, 30)), (0,),
     lambda x, n: all(abs(x - 20 / (k * (k + 1))) > 0.01 for k in range(1, n))),
    ("with_continue", with_continue, st.tuples(floats(-2, 2), st.integers(0, 12)), (0,), None),
    ("while_loop", while_loop, st.tuples(floats(0.5, 5)), (0,),
     lambda x: _trips(x - 0.01) == _trips(x + 0.01)),
    ("nested_loops", nested_loops, st.tuples(floats(-1, 1), st.integers(0, 6)), (0,), None),
    # |x| >= 1e-3: x ** 0 with a run-time exponent overflows at subnormal x (see README)
    ("break_in_nested", break_in_nested, st.tuples(floats(-1.5, 1.5).filter(
        lambda x: abs(x) >= 1e-3)), (0,), None),
    ("ternary_in_loop", ternary_in_loop, st.tuples(floats(-2, 2), st.integers(0, 10)), (0,),
     None),
    ("and_or", and_or, st.tuples(floats(-2, 2), floats(-2, 2)), (0, 1),
     lambda x, y: min(abs(x), abs(y), abs(x - 1), abs(y - 1)) > 0.01),
    ("horner", horner, st.tuples(*[floats(-2, 2)] * 5), (0, 1, 2, 3, 4), None),
    ("enumerate_zip", enumerate_zip, st.tuples(floats(-2, 2), floats(-2, 2)), (0, 1), None),
    ("range_with_step", range_with_step, st.tuples(_away, st.integers(1, 3),
                                                   st.integers(5, 11)), (0,), None),
    ("helper_in_loop", helper_in_loop, st.tuples(floats(-1, 1), floats(-1, 1),
                                                 st.integers(0, 6)), (0, 1), None),
    ("helper_with_branch", helper_with_branch, st.tuples(floats(-2, 2), floats(-2, 2)), (0, 1),
     lambda x, y: min(abs(x), abs(y)) > 0.01),
    ("while_with_break", while_with_break, st.tuples(floats(0.1, 3)), (0,),
     lambda x: all(abs(v - 5) > 0.01 for v in _while_break_trajectory(x))),
    ("while_true_binds", while_true_binds, st.tuples(floats(0.05, 3)), (0,),
     lambda x: all(abs(z - 1) > 0.01 + 0.01 * abs(dz) for z, dz in _while_true_trajectory(x))),
    ("while_true_binds_at_break", while_true_binds_at_break,
     st.tuples(floats(-2, 2), floats(0.5, 3)), (0, 1),
     lambda x, y: all(abs(s - y) > 0.01 + 0.01 * (abs(ds) + 1)
                      for s, ds in _at_break_trajectory(x, y))),
    ("counting_down", counting_down, st.tuples(floats(-1, 1), floats(-1, 1),
                                               st.integers(0, 9)), (0, 1), None),
    ("reversed_items", reversed_items, st.tuples(floats(-1, 1), floats(-1, 1),
                                                 st.integers(0, 6)), (0, 1), None),
    ("skips_while_counting_down", skips_while_counting_down,
     st.tuples(floats(-1, 1), st.integers(0, 8)), (0,), None),
    ("first_over_threshold", first_over_threshold,
     st.tuples(floats(0.05, 1), floats(-2, 2), st.integers(0, 6)), (0, 1),
     lambda x, w, n: all(abs(x * (i + 1) - 1.5) > 0.01 for i in range(n))),
    # a = 1: converged at the start, x = (1 + a) / 2 is exact there (no curvature)
    ("newton_sqrt", newton_sqrt, st.tuples(floats(0.5, 4)), (0,), lambda a: abs(a - 1) > 0.05),
    ("nested_return", nested_return, st.tuples(floats(-1, 1.5), st.integers(0, 5)), (0,),
     lambda x, n: _same(_nested_return_exit, x, n)),
    ("helper_returns_in_loop", helper_returns_in_loop, st.tuples(floats(0.1, 2), floats(-1, 1)),
     (0, 1), lambda x, y: _same(_first_pair_exit, x, y)),
    ("while_true_returns", while_true_returns,  # (x = -0.2 is a fixed point)
     st.tuples(st.one_of(floats(0, 1.5), floats(-1.5, -0.4))), (0,),
     lambda x: _same(_while_true_exit, x)),
    ("membership_branches", membership_branches,
     st.tuples(floats(-2, 2), st.integers(0, 3), st.lists(st.integers(0, 3), max_size=3)),
     (0,), None),
    ("counting_down_breaks", counting_down_breaks,
     st.tuples(floats(-1.5, 1.5), st.integers(0, 6)), (0,),
     lambda x, n: _same(_counting_down_exit, x, n)),
    ("counting_down_returns", counting_down_returns,
     st.tuples(floats(-1, 1.1), st.integers(0, 8)), (0,),
     lambda x, n: _same(_counting_down_return_exit, x, n)),
    ("unrolled_breaks", unrolled_breaks, st.tuples(floats(-1, 1.4), floats(-2, 2)), (0, 1),
     lambda x, y: _same_both(_unrolled_break_exit, x, y)),
    ("unrolled_returns", unrolled_returns, st.tuples(floats(-2, 2), floats(-2, 2)), (0, 1),
     lambda x, y: _same_both(_unrolled_return_exit, x, y)),
    ("for_else", for_else, st.tuples(floats(-1, 1), st.integers(0, 6)), (0,),
     lambda x, n: _same(_for_else_exit, x, n)),
    ("for_else_returns", for_else_returns, st.tuples(floats(-1, 1), st.integers(0, 6)), (0,),
     lambda x, n: all(abs(x * 1.5 ** k - 3) > 0.01 for k in range(1, n + 1))),
    ("nested_for_else", nested_for_else,
     st.tuples(floats(0.05, 2), st.integers(0, 6), st.integers(0, 3)), (0,),
     lambda x, n, m: _same(_nested_for_else_path, x, n, m)),
    ("search_list", search_list, st.tuples(floats(0.1, 2), st.lists(floats(-2, 2), max_size=5)),
     (0,), lambda x, xs: all(abs(v * x - 1) > 0.01 for v in xs)),
]


def _trips(x):
    """Iterations of ``while_loop`` at ``x`` (the same on both sides: no kink between)."""
    y, k = x, 0
    while y < 100:
        y, k = y * 1.5 + x, k + 1
    return k


def _while_break_trajectory(x):
    y = x
    for _ in range(52):
        y = y * 1.1 + 0.1
        yield y


def _while_true_trajectory(x):
    """The values of ``z`` that ``while_true_binds`` compares with 1, and their slopes in
    ``x`` (a difference step moves ``z`` that much more)."""
    dx = 1.0
    while True:
        z, dz = x * 2 + 0.1 * x * x, (2 + 0.2 * x) * dx
        yield z, dz
        if z > 1:
            return
        x, dx = z, dz


def _at_break_trajectory(x, y):
    while True:
        s = math.sin(x) + x * x
        yield s, math.cos(x) + 2 * x
        if s > y:
            return
        x = x + 0.5


def _same(exit_of, x, *rest):
    """Does the loop leave at the same place at x and 0.01 on either side (no kink in
    between for a difference step)?"""
    return exit_of(x - 0.01, *rest) == exit_of(x, *rest) == exit_of(x + 0.01, *rest)


def _nested_return_exit(x, n):
    s = x
    for i in range(n):
        for j in range(i + 1):
            s = s * 0.9 + math.sin(x * j)
            if s > 2.0:
                return i, j
        s = s + x
    return None


def _first_pair_exit(x, y):
    for k in range(20):
        x = x * 1.2 + 0.1 * y
        if x > 3:
            return k
    return None


def _while_true_exit(x):
    k = 0
    while True:
        x = x * 1.5 + 0.1
        k += 1
        if x > 2 or x < -2 or k > 200:
            return k, x > 2


def _for_else_exit(x, n):
    for i in range(n):
        x = x * 1.5 + i * 0.1
        if x > 3:
            return i
    return None


def _nested_for_else_path(x, n, m):
    path = []
    for _ in range(n):
        for j in range(m):
            x = x * 1.2
            if x > 2:
                path.append(j)
                break
        else:
            x = x + 0.5
        if x > 10:
            return path, True
    return path, False
