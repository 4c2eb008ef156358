"""codegen/printer.py writes exactly astor's text (which the project printed with before),
for the trees codegen builds, and hands any other tree to astor.

The conftest also turns on ``emit.CHECK`` for the whole suite: every generated source is
printed both ways and must match. Here: the operators and statements one by one, next to
astor, on trees that ``ast.parse`` builds (the same node types codegen builds)."""

import ast

import astor
import pytest

from s2s_ad.codegen import emit, printer

FUNCTIONS = [
    "def f(a, b, c):\n    return (a + b) * c, a - (b - c), a - b - c, a / (b * c), a // b % c",
    "def f(a, b, c):\n    return a ** b ** c, (a ** b) ** c, -a ** b, (-a) ** b, a ** -b",
    "def f(a, b, c):\n    return -(a + b), +a, not a, not (a and b), ~a, --a, -(-a)",
    "def f(a, b, c):\n    return a < b, a < b <= c, (a < b) == c, a is not None, a not in b",
    "def f(a, b, c):\n    return a if b else c, (a if b else c) + 1, a if (b if c else a) else c",
    "def f(a, b, c):\n    return a and b or c, a and (b or c), (a or b) and c, a or b or c",
    "def f(a, b, c):\n    return a @ b.T, (a @ b).T, a.x.y, (a + b).shape, (1.0).real, (1).real",
    "def f(a, b, c):\n    return a[1:2, ::-1], a[:, None], a[b + 1], a[::c], a[1:], a[:-1]",
    "def f(a, b, c):\n    return a[b, c], a[(b, c),], a[()], f(*a), f(a, *b), f(x=1), f(**c)",
    "def f(a, b, c):\n    return (a,), (), [a, b], [], {1: a, 'b': b}, {}, {**a}",
    "def f(a, b, c):\n    return 1e400, -1e400, 1j, (1 + 2j), 10 ** 400, 2.5e-17, True, None, ...",
    "def f(a, b, c):\n    return 'short', 'a string longer than twenty characters', b'x'",
    "def f(a, b, c):\n    return np.sum(a, axis=0, keepdims=True), math.sin(a * 2.0) / -3.0",
    "def f(a, *args, b, **kwargs):\n    x = y = a\n    a, b = b, a\n    a[0] += 1\n"
    "    a.b = c\n    return x",
    "def f(a, *, b):\n    if a:\n        pass\n    elif b:\n        a = 1\n    elif c:\n"
    "        a = 2\n    else:\n        a = 3\n    return a",
    "def f(a):\n    if a:\n        x = 1\n    else:\n        if b:\n            x = 2\n"
    "        x = 3\n    return x",
    "def f(a):\n    for i in range(3):\n        if i:\n            break\n        continue\n"
    "    else:\n        a = 1\n    for i, j in zip(a, b):\n        a.append(i)\n"
    "    while a > 0:\n        a -= 1\n    while True:\n        a = 2\n    return a",
    "def f(a):\n    try:\n        return 1 / a\n    except ZeroDivisionError as error:\n"
    "        raise derivative_error(error) from None",
    "def f(a):\n    try:\n        return a\n    except (ValueError, TypeError):\n        raise\n"
    "    finally:\n        a = 1",
]

FALLBACK = [
    "def f(a=1):\n    return a",  # defaults
    "def f(a: float):\n    return a",  # annotations
    "@decorate\ndef f(a):\n    return a",
    "def f(a):\n    'a docstring'\n    return a",
    "def f(a):\n    return [x for x in a]",  # comprehension
    "def f(a):\n    return lambda: a",
    "def f(a):\n    return f'{a}'",
    "def f(a):\n    with a:\n        pass",
    "def f(a):\n    global b\n    return a",
    "import math\n\ndef f(a):\n    return a",  # two statements
]


def astor_text(tree: ast.AST) -> str:
    return astor.to_source(tree, pretty_source="".join)


@pytest.mark.parametrize("source", FUNCTIONS)
def test_printer_writes_what_astor_writes(source):
    tree = ast.parse(source)
    assert printer.to_source(tree) == astor_text(tree)


@pytest.mark.parametrize("source", FALLBACK)
def test_other_trees_go_to_astor(source):
    tree = ast.parse(source)
    with pytest.raises(printer.Unsupported):
        printer.to_source(tree)
    assert emit.to_source(tree) == astor_text(tree)


def test_a_statement_that_starts_with_a_string_goes_to_astor():
    tree = ast.parse("def f(a):\n    'a long string that astor may quote thrice'.join(a)")
    with pytest.raises(printer.Unsupported):
        printer.to_source(tree)


def test_the_check_finds_a_difference(monkeypatch):
    tree = ast.parse("def f(a):\n    return a")
    monkeypatch.setattr(emit, "CHECK", True)
    monkeypatch.setattr(printer, "to_source", lambda tree: "something else\n")
    with pytest.raises(AssertionError, match="printer and astor differ"):
        emit.to_source(tree)
