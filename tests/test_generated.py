"""Readability of the generated source of the seed showcase functions.

What a person writing the gradient by hand would not write: multiplications by 1.0,
additions of 0.0, double negations, assignments nobody reads, the same call or operation
computed twice, or an ``exp`` more than the function itself computes.
"""

import ast
import re
from collections import Counter

import pytest
from support import load_example

from s2s_ad import grad

intro = load_example("worked/log_mul_sin")
graph = load_example("worked/product_of_sums")
neuron = load_example("worked/neuron")
staged = load_example("worked/sigmoid_ratio")
book = load_example("worked/sqrt_exp_cos")
engine = load_example("worked/exp_plus_square")

SHOWCASE = [
    pytest.param(intro.f, ("x1", "x2"), id="seed01"),
    pytest.param(graph.f, ("a", "b"), id="seed12"),
    pytest.param(neuron.neuron, ("w0", "w1", "w2", "x0", "x1"), id="seed15"),
    pytest.param(neuron.neuron_staged, ("w0", "w1", "w2", "x0", "x1"), id="seed15-staged"),
    pytest.param(neuron.sigmoid, "z", id="seed15-sigmoid"),
    pytest.param(staged.f, ("x", "y"), id="seed16"),
    pytest.param(book.f, "x", id="seed18"),
    pytest.param(book.f_staged, "x", id="seed18-staged"),
    pytest.param(engine.f, "x", id="seed20"),
]
showcase = pytest.mark.parametrize("fn, wrt", SHOWCASE)

# a literal 1.0 / 0.0 that is not part of a longer number (11.0, 1.05)
WASTE = [r"\*\s*1\.0(?![\d.e])", r"(?<![\w.])1\.0\s*\*", r"\+\s*0\.0(?![\d.e])",
         r"(?<![\w.])0\.0\s*\+", r"-\s*\(\s*-", r"--"]


@showcase
def test_no_identity_operations(fn, wrt):
    source = grad(fn, wrt=wrt).source
    for pattern in WASTE:
        assert not re.search(pattern, source), f"{pattern!r} in\n{source}"


@showcase
def test_no_dead_assignments(fn, wrt):
    source = grad(fn, wrt=wrt).source
    tree = ast.parse(source)
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Store)}
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Load)}
    assert stored <= loaded, f"assigned but never read: {stored - loaded} in\n{source}"


@showcase
def test_no_operation_computed_twice(fn, wrt):
    source = grad(fn, wrt=wrt).source
    tree = ast.parse(source)
    computed = Counter(ast.dump(n) for n in ast.walk(tree)
                       if isinstance(n, (ast.Call, ast.BinOp, ast.UnaryOp))
                       and not isinstance(n.operand if isinstance(n, ast.UnaryOp) else None,
                                          ast.Constant))
    twice = [dump for dump, count in computed.items() if count > 1]
    assert not twice, f"computed more than once: {twice} in\n{source}"


@showcase
def test_no_more_exp_than_the_function(fn, wrt):
    g = grad(fn, wrt=wrt)
    assert g.stats.optimized["exp"] <= g.stats.function["exp"], g.source
    assert g.source.count("math.exp(") == g.stats.optimized["exp"]


def test_repeated_subexpressions_of_the_book_function_are_computed_once():
    # (5.109) writes x**2 four times and exp(x**2) twice; the gradient computes each once
    source = grad(book.f).source
    assert source.count("math.exp(") == 1
    assert source.count("math.sqrt(") == 1
    assert source.count("math.sin(") == 1


@pytest.mark.parametrize("fn, wrt, unneeded", [
    (intro.f, ("x1", "x2"), ["math.log(", "math.sin("]),
    (book.f, "x", ["math.cos("]),
    (book.f_staged, "x", ["math.cos("]),
    (engine.f, "x", ["x * x"]),
], ids=["seed01", "seed18", "seed18-staged", "seed20"])
def test_gradient_skips_forward_values_it_does_not_need(fn, wrt, unneeded):
    source = grad(fn, wrt=wrt).source
    for text in unneeded:
        assert text not in source, source
