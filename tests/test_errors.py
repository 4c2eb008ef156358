"""Errors name the file, line, column and construct, show a caret, and give a hint."""

import math
import re

import numpy as np
import pytest

import s2s_ad
from s2s_ad import (
    DifferentiationError,
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
