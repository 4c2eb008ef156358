"""Control flow differentiated in both modes, against central differences."""

import math

import pytest
from control_cases import CASES, accumulate, fibonacci_like, recurrence, with_break
from hypothesis import assume, given

import s2s_ad
from s2s_ad.numeric import numerical_grad, relative_error

IDS = [row[0] for row in CASES]


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


@pytest.mark.slow
@pytest.mark.parametrize("name, fn, args, wrt, smooth", CASES, ids=IDS)
def test_reverse_mode_matches_central_differences(name, fn, args, wrt, smooth):
    # built once, outside the examples: s2s_ad's cache holds them only while we do
    gradients = {optimize: s2s_ad.grad(fn, wrt=wrt, optimize=optimize)
                 for optimize in (True, False)}

    @given(args)
    def check(point):
        assume(smooth is None or smooth(*point))
        expected = _as_tuple(numerical_grad(fn, point, wrt=wrt, method="richardson"))
        for optimize, gradient in gradients.items():
            got = _as_tuple(gradient(*point))
            for a, b in zip(got, expected):
                assert relative_error(a, b) < 1e-5, (name, point, optimize, got, expected)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name, fn, args, wrt, smooth", CASES, ids=IDS)
def test_forward_mode_and_value_agree_with_reverse(name, fn, args, wrt, smooth):
    value_and_grad = s2s_ad.value_and_grad(fn, wrt=wrt)
    jacobian = s2s_ad.jacobian(fn, wrt=wrt, mode="fwd")

    @given(args)
    def check(point):
        value, rev = value_and_grad(*point)
        assert value == fn(*point)
        fwd = jacobian(*point)
        for a, b in zip(_as_tuple(rev), _as_tuple(fwd)):
            assert relative_error(a, b) < 1e-12

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name, fn, args, wrt, smooth", CASES, ids=IDS)
def test_hessian_matches_differences_of_the_gradient(name, fn, args, wrt, smooth):
    hessian = s2s_ad.hessian(fn, wrt=wrt)
    gradient = s2s_ad.grad(fn, wrt=wrt)

    @given(args)
    def check(point):
        assume(smooth is None or smooth(*point))
        rows = [_as_tuple(r) for r in _as_tuple(hessian(*point))]
        for j, i in enumerate(wrt):
            def partial_j(t, i=i, j=j):
                shifted = list(point)
                shifted[i] = t
                return _as_tuple(gradient(*shifted))

            h = 1e-5 * max(1.0, abs(point[i]))
            plus, minus = partial_j(point[i] + h), partial_j(point[i] - h)
            for k in range(len(wrt)):
                fd = (plus[k] - minus[k]) / (2 * h)
                assert relative_error(rows[k][j], fd) < 1e-4, (name, point, k, j)

    check()


def test_regression_second_derivative_through_a_loop_in_one_argument():
    """Found by CI's draws: with respect to x alone, hessian and hvp of a loop returned 0.0.
    The adjoint loop reads x only through the tape, and activity did not follow values
    through a tape, so the adjoint carried around that loop got no tangent."""
    x, w = 0.3, 1.2
    assert s2s_ad.hessian(recurrence, wrt="x")(x, w, 1) == pytest.approx(
        -0.1 * w * w * math.sin(w * x), rel=1e-12)
    full = s2s_ad.hessian(recurrence, wrt=("x", "w"))(x, w, 3)
    assert s2s_ad.hessian(recurrence, wrt="x")(x, w, 3) == pytest.approx(full[0][0], rel=1e-12)
    assert s2s_ad.hvp(recurrence, wrt="x")(x, w, 3, 1.0) == pytest.approx(full[0][0], rel=1e-12)
    gradient = s2s_ad.grad(recurrence, wrt="x")
    h = 1e-5
    fd = (gradient(x + h, w, 3) - gradient(x - h, w, 3)) / (2 * h)
    assert relative_error(full[0][0], fd) < 1e-7


def test_loop_keeps_the_users_shape():
    source = s2s_ad.grad(recurrence, wrt=("x", "w")).source
    assert "for i in range(n):" in source
    assert "x = x + 0.1 * math.sin(w * x)" in source
    assert "for i_2 in reversed(range(n)):" in source
    assert source.count(".append(") == 1  # one float a step: x


def test_accumulating_loop_saves_nothing():
    g = s2s_ad.grad(accumulate)
    assert "append" not in g.source and "pop" not in g.source
    assert g(1.5, 4) == pytest.approx(2 * 1.5 * 6)


def test_break_loop_counts_its_iterations():
    g = s2s_ad.grad(with_break)
    assert "trips" in g.source and "break" in g.source
    assert "append" not in g.source  # s is never needed backward


def test_tuple_carried_loop_reads_like_the_user():
    source = s2s_ad.value_and_grad(fibonacci_like).source
    assert "a, b = b, a + b * x" in source


def test_branches_replay_the_taken_branch():
    def f(x):
        if x > 0:
            y = math.exp(x)
        else:
            y = math.cos(x)
        return y

    g = s2s_ad.grad(f)
    assert g(1.0) == pytest.approx(math.exp(1.0))
    assert g(-1.0) == pytest.approx(math.sin(1.0))
    assert g.source.count("if ") == 1


SQUARED = True


def test_static_conditions_are_decided_at_transform_time():
    def f(x: float):  # annotated: no guard for ints (`if x.__class__ ...`) either
        if SQUARED:  # a module global: read when the gradient is built
            return x * x
        return x

    assert "if" not in s2s_ad.grad(f).source


def test_return_inside_loop_reads_as_a_flag_and_a_break():
    def f(x):
        for i in range(3):
            if x < i:
                return x * i
        return x * 2

    g = s2s_ad.grad(f)
    assert (g(-1.0), g(0.5), g(1.5), g(5.0)) == (0.0, 1.0, 2.0, 2.0)  # at i = 0, 1, 2; after
    source = g.source
    assert "returned = False" in source and "if returned:" in source
    assert source.count("break") == 1 and "result" not in source.replace("dresult", "")


def test_while_true_that_only_returns_needs_no_flag():
    from control_cases import while_true_returns

    source = s2s_ad.grad(while_true_returns).source
    assert "returned" not in source and source.count("while True:") == 1
    # x = 1.6, then 2.5 > 2: x * x with x = 1.5 (1.5 x + 0.1) + 0.1
    assert s2s_ad.grad(while_true_returns)(1.0) == pytest.approx(2 * 2.5 * 1.5 * 1.5)


def test_a_loop_over_functions_built_here_cannot_end_early():
    """A loop over a tuple built here that may break or return runs at run time over a
    run-time tuple; a tuple of functions is no run-time value: a located error."""
    def over_functions(x):
        for g in (math.sin, math.cos):
            if g(x) > 0.5:
                return g(x)
        return x

    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="tuple or list of functions") as info:
        s2s_ad.grad(over_functions)
    assert str(info.value).splitlines()[1].strip().startswith("return ")


def test_a_return_after_a_break_never_runs():
    """Found by the fuzzer (generate(741654300, 'mixed')): a return after an unconditional
    `break` is dead code, and the function must not read what it would have returned."""
    def f(x, n):
        for i in range(n):
            x = x * 2.0 + i
            break
            if x > 1:  # (never reached)
                return x * x
        return x * 3

    assert s2s_ad.grad(f)(0.5, 3) == 6.0 and s2s_ad.grad(f)(0.5, 0) == 3.0


def test_returns_of_different_structures_in_a_loop_are_a_clear_error():
    def f(x):
        for _ in range(4):
            if x > 2:
                return x
            x = x * 2
        return x, x

    with pytest.raises(s2s_ad.UnsupportedSyntaxError, match="different structure") as info:
        s2s_ad.grad(f)
    assert "return x" in str(info.value).splitlines()[1]


def test_returning_a_tuple_from_inside_a_loop_in_both_modes():
    def f(x, y):
        for i in range(4):
            x = x * y
            if x > 2:
                return x, y * i
        return y, x

    for point in [(0.9, 1.5), (0.1, 1.2)]:
        rev = s2s_ad.jacobian(f, wrt=("x", "y"), mode="rev")(*point)
        fwd = s2s_ad.jacobian(f, wrt=("x", "y"), mode="fwd")(*point)
        for k in range(2):
            expected = numerical_grad(lambda x, y, k=k: f(x, y)[k], point, wrt=(0, 1),
                                      method="richardson")
            for a, b, c in zip(rev[k], fwd[k], expected):
                assert relative_error(a, c) < 1e-8 and relative_error(b, c) < 1e-8


def test_one_branch_returning_is_a_clear_error():
    def f(x):
        if x > 0:
            y = x
        else:
            return x
        y = y * 2
        return y

    assert s2s_ad.grad(f)(2.0) == 2.0  # the rest of the block joins the branch that did not return
    assert s2s_ad.grad(f)(-2.0) == 1.0


def test_variable_defined_only_in_loop_is_not_visible_after():
    def f(x):
        for i in range(3):
            t = x * i
        return t

    with pytest.raises(s2s_ad.DifferentiationError, match="used before it is assigned"):
        s2s_ad.grad(f)


def test_sigmoid_loop_with_math():
    def f(x, n):
        for _ in range(n):
            x = 1 / (1 + math.exp(-x))
        return x

    g = s2s_ad.grad(f)
    s = 0.3
    expected = 1.0
    for _ in range(5):
        s = 1 / (1 + math.exp(-s))
        expected *= s * (1 - s)
    assert g(0.3, 5) == pytest.approx(expected, rel=1e-12)


def swap_then_break(x, y, n):
    for _ in range(n):
        x, y = y, math.tanh(x + y)
        if x * 2.0 > 0.5:  # reads the new x, which is the old y
            break
    return 2.0 * y + x


@pytest.mark.parametrize("point", [(0.1, 0.2, 6), (0.3, 0.9, 6), (-0.4, 0.1, 6)])
def test_a_break_test_reads_the_values_of_its_iteration(point):
    # found by the fuzzer: the break test, inlined after the carried variables were
    # reassigned, read the next iteration's values
    value, _ = s2s_ad.value_and_grad(swap_then_break, wrt=("x", "y"))(*point)
    assert value == swap_then_break(*point)


# --- `while True:` (issue 15): names bound in the body are bound after the loop ----------
def doubling(x):
    while True:
        z = x * 2
        if z > 1:
            break
        x = z
    return z


def test_while_true_binds_what_its_body_assigns_before_the_break():
    # at x = 0.3: z = 0.6, then 1.2 > 1, so z = 4x
    assert s2s_ad.grad(doubling)(0.3) == 4.0
    assert s2s_ad.grad(doubling, optimize=False)(0.3) == 4.0
    assert s2s_ad.value_and_grad(doubling)(0.3) == (doubling(0.3), 4.0)
    assert s2s_ad.jvp(doubling)(0.3, 1.0) == (doubling(0.3), 4.0)
    assert s2s_ad.hessian(doubling)(0.3) == 0.0
    assert s2s_ad.grad(s2s_ad.grad(doubling))(0.3) == 0.0
    assert relative_error(s2s_ad.grad(doubling)(0.7),
                          numerical_grad(doubling, (0.7,), method="richardson")) < 1e-9
    source = s2s_ad.jvp(doubling).source
    assert source.count("while True:") == 1 and source.count("* 2") == 2  # not unrolled


def test_while_true_binds_a_name_assigned_only_where_it_breaks():
    from control_cases import while_true_binds_at_break as f

    g = s2s_ad.grad(f, wrt=("x", "y"))
    for point in [(0.3, 1.0), (-1.2, 2.5)]:
        expected = numerical_grad(f, point, wrt=(0, 1), method="richardson")
        for a, b in zip(g(*point), expected):
            assert relative_error(a, b) < 1e-8


def test_while_true_with_tuples_nested_loops_and_continue():
    def f(x):
        while True:
            while True:  # an inner `while True:` binds w for the outer one
                w = x * 3
                if w > 1:
                    break
                x = w
            x = x + 0.25
            if x < 2.0:
                continue
            p = (w * x, 2.0)  # a tuple: its number stays a constant
            break
        return p[0] * p[1] + w

    for x in (0.1, 0.35, 1.7):
        expected = numerical_grad(f, (x,), method="richardson")
        assert relative_error(s2s_ad.grad(f)(x), expected) < 1e-8
        assert relative_error(s2s_ad.jvp(f)(x, 1.0)[1], expected) < 1e-8


def test_while_true_name_bound_on_some_paths_to_a_break_is_an_error_with_a_hint():
    def f(x):
        while True:
            if x > 2.0:
                z = x
                break
            if x < -5.0:
                break  # z is not assigned on this path
            x = x * 2
        return z

    with pytest.raises(s2s_ad.DifferentiationError, match="'z' is used before it is "
                                                         "assigned") as info:
        s2s_ad.grad(f)
    assert "hint: the `while True:` loop on line" in str(info.value)
    assert "on every path that reaches a `break`" in str(info.value)


def test_while_true_reading_a_name_before_the_body_assigns_it_is_an_error():
    def f(x):
        while True:
            x = x + z  # noqa: F821  (z is assigned below: unbound in the first iteration)
            z = x * 2
            if z > 1:
                break
        return z

    with pytest.raises(s2s_ad.DifferentiationError, match="'z' is used before it is assigned"):
        s2s_ad.grad(f)


def test_a_loop_that_may_not_run_still_does_not_bind():
    def f(x):
        while x < 1.0:
            z = x * 2
            x = z
        return z

    with pytest.raises(s2s_ad.DifferentiationError, match="'z' is used before it is assigned"):
        s2s_ad.grad(f)


def test_a_loop_over_reversed_range_reads_as_written():
    """``reversed(range(...))`` stays itself in the generated code; the backward sweep runs
    the same range forward."""
    from control_cases import counting_down

    source = s2s_ad.grad(counting_down, wrt="x").source
    assert "for i in reversed(range(1, n, 2)):" in source
    assert "in range(1, n, 2):" in source.split("reversed(range(1, n, 2)):")[1]


def test_break_in_a_loop_over_reversed_range_counts_up_over_its_items():
    def f(x, n):
        for _ in reversed(range(n)):
            x = x * 0.5
            if x < 0.1:
                break
        return x

    source = s2s_ad.grad(f).source
    assert "range(0, n, 1)" in source and "reversed(range(trips))" in source
    assert s2s_ad.grad(f)(1.0, 10) == 0.5 ** 4  # (four halvings reach 0.0625)


def test_reversed_of_a_dict_view_and_of_a_tuple_argument():
    def f(d, t, w):
        s = 0.0
        for _, v in reversed(d.items()):
            s = s * w + v
        for v in reversed(t):
            s = s * w + v * v
        return s

    d, t = {"a": 1.0, "b": 2.0}, (0.5, -1.5)
    dd, dt, dw = s2s_ad.grad(f, wrt=(0, 1, 2))(d, t, 0.7)
    want_w = numerical_grad(f, (d, t, 0.7), wrt=2, method="richardson")
    assert relative_error(dw, want_w) < 1e-8
    # s = ((2 w + 1) w + 0.25) w + 2.25 (b, then a, then t[1], then t[0])
    assert dd == pytest.approx({"a": 0.7 * 0.7, "b": 0.7 ** 3})
    assert dt == pytest.approx((2 * 0.5, 0.7 * 2 * -1.5))


def reused_temporary(x):
    """`t` a tuple on one path, a number on the other, each read only in its branch."""
    if x > 0:
        t = (x, 2.0 * x)
        s = t[0] * t[1]
    else:
        t = x
        s = t * t
    return s * x


def reused_then_read(x):
    if x > 0:
        t = (x, x)
    else:
        t = x
    return t


def rebound_with_another_structure(x):
    t = x
    for _ in range(3):
        if x > 0:
            t = (x, x)
        else:
            t = x  # noqa: F841 -- the user's dead store, as written
        x = x * 1.1
    return x


def test_a_temporary_bound_with_two_structures_is_fine_until_read_after_the_if():
    """(Found by campaign 2434: a record in one branch, a tuple of records in the other.)"""
    for x in (1.5, -0.5):
        assert relative_error(s2s_ad.grad(reused_temporary)(x),
                              numerical_grad(reused_temporary, (x,))) < 1e-7
    with pytest.raises(s2s_ad.UnsupportedSyntaxError,
                       match=r"'t' has a different structure in the two branches of the if on "
                             r"line \d+") as read:
        s2s_ad.grad(reused_then_read)
    assert "return t" in str(read.value)  # (located at the read)
    # bound before the if, so a loop may carry it: refused at the if, as before
    with pytest.raises(s2s_ad.UnsupportedSyntaxError,
                       match="'t' has a different structure in the two branches\n"):
        s2s_ad.grad(rebound_with_another_structure)
