"""Errors name the file, line, column and construct, show a caret, and give a hint."""

import math
import re

import numpy as np
import pytest

import s2s_ad
from s2s_ad import (
    DifferentiationError,
    InfiniteDerivativeError,
    NoDerivativeRuleError,
    NoSourceError,
    UnsupportedSyntaxError,
)


def with_try(x):
    try:
        y = x * x
    except ValueError:
        y = x
    return y


def with_with(x):
    with open("f") as fh:
        fh.read()
    return x


def generator(x):
    yield x * x


def uses_global(x):
    global COUNTER
    COUNTER = x
    return x


def uses_eval(x):
    return eval("x * x")


def unknown_call(x):
    return np.sinc(x) * 2.0


def item_write(x, v):
    v[0] = x
    return x


def recursive(x):
    return recursive(x) * 2.0


def return_in_unrolled_loop(x):
    for v in (1.0, 2.0):  # a tuple built here: unrolled
        if v * x > 1.0:
            return v * x
    return x


def _pair(a, b):
    return a * b


def spread_at_run_time(x, xs):
    return _pair(*xs) * x


CASES = [
    (with_try, UnsupportedSyntaxError, "a try statement", "try:", "error handling"),
    (with_with, UnsupportedSyntaxError, "a with statement", "with open", "resources"),
    (generator, UnsupportedSyntaxError, "a yield expression", "yield x * x", "return"),
    (uses_global, UnsupportedSyntaxError, "a global statement", "global COUNTER", "argument"),
    (uses_eval, UnsupportedSyntaxError, "eval()", 'eval("x * x")', "write the code out"),
    (unknown_call, NoDerivativeRuleError, "no derivative rule for `numpy.sinc`", "np.sinc(x)",
     "s2s_ad.defvjp"),
    (item_write, UnsupportedSyntaxError, "assignment to an item", "v[0]", "instead"),
    (recursive, UnsupportedSyntaxError, "recursive call", "recursive(x)", "loop"),
    (return_in_unrolled_loop, UnsupportedSyntaxError, "return inside a loop over a tuple",
     "return v * x", "range(len(...))"),
    (spread_at_run_time, UnsupportedSyntaxError, "* of a value whose length is known only at "
     "run time", "_pair(*xs)", "unpack it inside"),
]


@pytest.mark.parametrize("fn, kind, what, snippet, hint", CASES,
                         ids=[case[0].__name__ for case in CASES])
def test_error_names_construct_location_and_hint(fn, kind, what, snippet, hint):
    with pytest.raises(kind) as info:
        s2s_ad.grad(fn)
    err = info.value
    text = str(err)
    assert isinstance(err, DifferentiationError)
    first = text.splitlines()[0]
    assert re.match(r".*test_errors\.py:\d+:\d+: ", first), first
    assert what in first
    assert err.loc is not None
    with open(__file__) as fh:
        line = fh.read().splitlines()[err.loc.line - 1]
    assert snippet in line  # the line number points at the construct
    assert snippet in text.splitlines()[1]  # the offending line is shown
    caret = text.splitlines()[2]
    assert set(caret.strip()) == {"^"}
    assert "hint: " in text and hint in text
    assert err.__traceback__ is None or "s2s_ad" not in str(err.__traceback__.tb_frame.f_code)


def test_caret_spans_the_node():
    def set_display(a, b):
        s = {a, b}  # noqa: F841
        return a

    with pytest.raises(UnsupportedSyntaxError) as info:
        s2s_ad.grad(set_display)
    lines = str(info.value).splitlines()
    assert lines[1].strip().startswith("s = {a, b}")
    start = lines[2].index("^")
    assert lines[1][start:start + len("{a, b}")] == "{a, b}"
    assert lines[2].count("^") == len("{a, b}")
    assert lines[-1] == "(while lowering 'set_display')"


def test_builtin_without_source():
    with pytest.raises(NoDerivativeRuleError, match="not a Python function"):
        s2s_ad.grad(math.sin)


def test_function_without_source():
    namespace: dict = {}
    exec("def typed_in_repl(x):\n    return x * x\n", namespace)
    with pytest.raises(NoSourceError) as info:
        s2s_ad.grad(namespace["typed_in_repl"])
    assert "REPL" in str(info.value)


def test_no_internal_frames_in_traceback():
    with pytest.raises(UnsupportedSyntaxError) as info:
        s2s_ad.grad(with_try)
    frames = [entry.path for entry in info.traceback]
    inside = [p for p in map(str, frames) if "/s2s_ad/" in p and "frontend" in p]
    assert not inside


# --- when the derivative runs: a division by zero where the derivative is infinite -------
def dist(dx, dy):
    return math.sqrt(dx * dx + dy * dy)


def test_infinite_derivative_names_the_operation_the_generated_line_and_a_hint():
    g = s2s_ad.grad(dist, wrt=("dx", "dy"))
    assert g(3.0, 4.0) == pytest.approx((0.6, 0.8))
    with pytest.raises(InfiniteDerivativeError) as info:
        g(0.0, 0.0)
    err = info.value
    assert isinstance(err, ZeroDivisionError) and isinstance(err, DifferentiationError)
    lines = str(err).splitlines()
    assert re.match(r".*test_errors\.py:\d+:\d+: the derivative of `math\.sqrt` is infinite "
                    r"or undefined at this point \(division by zero in the generated line "
                    r"'.*/ math\.sqrt\(dx \* dx \+ dy \* dy\).*'\)$", lines[0]), lines[0]
    with open(__file__) as fh:
        line = fh.read().splitlines()[err.loc.line - 1]
    assert line.strip() == "return math.sqrt(dx * dx + dy * dy)"
    assert lines[1].strip() == line.strip()
    start = lines[2].index("^")
    assert lines[1][start:].startswith("math.sqrt(")
    assert lines[2].count("^") == len("math.sqrt(dx * dx + dy * dy)")
    assert lines[3].startswith("hint: no finite derivative exists at this point")
    assert lines[-1] == "(while running 'dist_grad')"
    # the traceback shows the generated line that divided, and none of s2s_ad's frames
    paths = [str(entry.path) for entry in info.traceback]
    assert g.__code__.co_filename in paths
    assert not any("/s2s_ad/" in p for p in paths)
    with pytest.raises(ZeroDivisionError):  # existing `except ZeroDivisionError` still works
        g(0.0, 0.0)


def test_infinite_derivative_in_forward_mode_and_of_a_power():
    def root(x):
        return x ** 0.5 + 1.0

    with pytest.raises(InfiniteDerivativeError, match=r"the derivative of `x \*\* 0\.5` is "
                                                     r"infinite or undefined"):
        s2s_ad.jvp(root)(0.0, 1.0)
    with pytest.raises(InfiniteDerivativeError, match="the derivative of `math.acos`"):
        s2s_ad.grad(lambda x: math.acos(x) * 2.0)(1.0)


def test_code_that_cannot_divide_by_zero_has_no_try():
    assert "try:" not in s2s_ad.grad(lambda a, b: (a + b) * (b + 1)).source
    assert "try:" not in s2s_ad.grad(lambda x: x ** 2 * 3.0).source
    source = s2s_ad.grad(dist).source
    assert "    try:\n" in source
    assert "    except ZeroDivisionError as error:\n" in source
    assert "        raise derivative_error(error) from None\n" in source


def test_numpy_code_gives_inf_or_nan_instead():
    g = s2s_ad.grad(lambda x: np.sum(np.sqrt(x)))
    with pytest.warns(RuntimeWarning):
        out = g(np.array([0.0, 4.0]))
    assert out[0] == math.inf and out[1] == 0.25
    assert "try:" not in g.specialize(np.array([0.0, 4.0])).source


def _halve(x):
    return x * 0.5


s2s_ad.defvjp(_halve, lambda g, x: g / (x - x))  # a rule of the user's that divides by zero


def test_a_division_by_zero_in_the_users_own_rule_is_left_as_it_is():
    g = s2s_ad.grad(lambda x: _halve(x) / (x + 2.0))
    with pytest.raises(ZeroDivisionError) as info:
        g(1.0)
    assert not isinstance(info.value, InfiniteDerivativeError)
