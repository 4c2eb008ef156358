"""Abstract values: what the IR knows about each value when a derivative is built
(``ir/avals.py``), set from the arguments a build is for and kept by the ops rules build,
and checked by the verifier."""

import inspect
import math

import numpy as np
import pytest

import s2s_ad
from s2s_ad.analysis.kinds import UNKNOWN as NOT_GIVEN
from s2s_ad.analysis.kinds import analyze, infer, prove
from s2s_ad.frontend.lower import lift
from s2s_ad.ir.avals import NUMBER, UNKNOWN, Array, Number, aval_of, shape_of, with_shape
from s2s_ad.ir.builder import Emitter
from s2s_ad.ir.core import Function, Op, Region, Value, walk
from s2s_ad.ir.verify import IRVerificationError, verify
from s2s_ad.transforms.reverse import vjp

F64 = np.dtype(np.float64)


def test_avals_of_python_values():
    assert aval_of(1.5) == Number(F64)
    assert aval_of(3) == Number(np.dtype(int))
    assert aval_of(True) == Number(np.dtype(bool))
    assert aval_of(np.float32(1.0)) == Number(np.dtype(np.float32))
    assert aval_of(np.array(2.0)) == Number(F64)  # 0-d: a number
    assert aval_of(np.zeros((2, 3), np.float32)) == Array((2, 3), np.dtype(np.float32))
    assert aval_of([1.0, 2.0]) is UNKNOWN  # containers: not described yet
    assert aval_of("text") is UNKNOWN
    assert shape_of(Number(F64)) == () and shape_of(Array((4,))) == (4,)
    assert shape_of(UNKNOWN) is None
    assert with_shape(()) == NUMBER and with_shape((2,), F64) == Array((2,), F64)
    assert repr(Array((2, 3), F64)) == "f64[2,3]" and repr(Number(None)) == "num"
    assert repr(UNKNOWN) == "?" and repr(Array((5,))) == "array[5]"


def layer(w, X, b):
    h = np.tanh(X @ w + b)
    return np.sum(h * h)


def test_infer_gives_shapes_and_dtypes_for_the_arguments_at_hand():
    fn = lift(layer)
    X = np.ones((4, 3), np.float32)
    avals = infer(fn, [np.ones(3), X, 0.5])
    w, X_, b = fn.params
    assert avals[w] == Array((3,), F64)
    assert avals[X_] == Array((4, 3), np.dtype(np.float32))
    assert avals[b] == Number(F64)
    h = next(op.out for op in walk(fn.body) if op.out.hint == "h")
    assert avals[h] == Array((4,), F64)  # f32 @ f64 + float: f64
    assert avals[fn.body.results[0]] == Number(F64)
    # the lifted function is shared by builds for other arguments: infer writes nothing on it
    assert all(v.aval is UNKNOWN for v in fn.params)
    # an argument not given: only what the code proves (b + ... is an array, w unknown)
    avals = infer(fn, [NOT_GIVEN, X, 0.5])
    assert w not in avals and avals[X_] == Array((4, 3), np.dtype(np.float32))


def scalar(x, y):
    return x * y + float(y)


def test_without_arguments_only_proven_numbers_are_known():
    fn = lift(scalar)
    x, y = fn.params
    avals = infer(fn)
    assert avals[y] == NUMBER  # float(y): a number, dtype not known
    assert x not in avals  # x * y may be an array times a number


def mixed(x, xs, n):
    s = math.sin(x)
    y = x * 2
    acc = 0.0
    for i in range(n):
        acc = acc + y * i
    k = len(xs)
    grown = xs * k
    return s + acc, grown


def named(fn, hint):
    return next(op.out for op in walk(fn.body) if op.out.hint == hint)


def test_one_fixpoint_proves_numbers_numeric_and_inexact_values():
    fn = lift(mixed)
    x, xs, n = fn.params
    facts = prove(fn)
    acc, y, k, grown = (named(fn, h) for h in ("acc", "y", "k", "grown"))
    index = next(op.index for op in walk(fn.body) if op.prim == "for_range")
    # forward (sin, len, the loop's sum) and backward (sin's operand, range's bound)
    assert {x, y, n, k, acc, index} <= facts.numbers <= facts.numeric
    assert xs not in facts.numeric  # a list, or an array: not known
    assert grown not in facts.numeric  # xs * k repeats a list: an int k is not inexact
    assert acc in facts.inexact and y not in facts.inexact  # (x may be an int)
    assert k not in facts.inexact and index not in facts.inexact
    assert {k, index} <= facts.basic and acc in facts.basic  # numbers index as basic
    # an example adds what the arguments show: a float x makes y inexact too
    facts = analyze(fn, [1.5, [1.0, 2.0], 3])
    assert facts.avals[y] == facts.avals[acc] == Number(F64) and y in facts.numbers
    assert facts.avals[x] == Number(F64) and facts.avals[n] == Number(np.dtype(int))


def grows_into_an_array(x, n):
    a = math.cos(x)
    for _ in range(n):
        a = np.ones(2) * a
    return np.sum(a)


def test_a_loop_drops_a_carried_fact_a_step_breaks():
    fn = lift(grows_into_an_array)
    loop = next(op for op in walk(fn.body) if op.prim == "for_range")
    facts = prove(fn)
    assert loop.inits[0] in facts.numbers  # cos(x), then an array after one step
    assert loop.outs[0] not in facts.numbers and loop.carried()[0] not in facts.numbers
    assert loop.outs[0] in facts.inexact  # but numeric and inexact in every step


def test_a_specialized_build_carries_avals_on_its_values():
    fn = lift(layer)
    X = np.ones((4, 3))
    grad = vjp(fn, (0, 2), seed=1.0, single=False, example=[np.ones(3), X, 0.5])
    dw = grad.body.results[0]
    assert dw.aval == Array((3,))  # the gradient is shaped like w (its dtype: from the ops)
    assert grad.params[1].aval == Array((4, 3), F64)
    # and every elementwise op the rules built agrees with its operands (the verifier)
    verify(grad, "in this test")


def test_the_emitter_answers_from_avals():
    e = Emitter()
    v, a = Value("v"), Value("a", aval=Array((2, 3), F64))
    c = e.const(2.0)
    assert e.scalar(c) and not e.scalar(v) and not e.scalar(a)
    assert e.ndim(a) == 2 and e.ndim(c) == 0 and e.ndim(v) is None
    assert e.array_shape(a) == (2, 3) and e.array_shape(c) is None
    assert e.array_dtype(a) == F64 and e.array_dtype(v) is None
    copy = Value("copy")
    e.share_kind(copy, a)  # a cotangent of a: its shape, not necessarily its dtype
    assert copy.aval == Array((2, 3))


def _function(ops, params, results):
    kinds = [inspect.Parameter.POSITIONAL_OR_KEYWORD] * len(params)
    return Function("f", params, kinds, Region(params, ops, results), 0)


def test_the_verifier_rejects_an_aval_its_op_cannot_give():
    x = Value("x", aval=Array((3,), F64))
    y = Value("y", aval=Number(F64))
    out = Value("z", aval=Array((2,)))  # x * y is of shape (3,)
    fn = _function([Op("mul", (x, y), (out,))], [x, y], [out])
    with pytest.raises(IRVerificationError, match=r"z is said to be array\[2\], but its "
                       r"operands' shapes give shape \(3,\)"):
        verify(fn, "in this test")
    out.aval = Array((3,))
    verify(fn, "in this test")
    c = Value("c", aval=Number(F64))
    fn = _function([Op("const", (), (c,), (("value", np.ones(2)),))], [], [c])
    with pytest.raises(IRVerificationError, match="c is said to be f64, but its value gives "
                       r"shape \(2,\)"):
        verify(fn, "in this test")
    w = Value("w", aval=Array((2,)))
    fn = _function([Op("add", (x, w), (Value("s", aval=Array((3,))),))], [x, w], [x])
    with pytest.raises(IRVerificationError, match="do not broadcast"):
        verify(fn, "in this test")


def test_avals_never_leak_from_one_specialization_to_another():
    g = s2s_ad.grad(layer)
    small = g(np.ones(3), np.ones((4, 3)), 0.5)
    large = g(np.ones(5), np.ones((2, 5)), 0.5)
    assert small.shape == (3,) and large.shape == (5,)
    ref = s2s_ad.numeric.numerical_grad(layer, (np.full(5, 0.1), np.ones((2, 5)), 0.5))
    assert np.allclose(g(np.full(5, 0.1), np.ones((2, 5)), 0.5), ref, rtol=1e-6)
    assert all(v.aval is UNKNOWN for v in g.__s2s__.primal.params)


def test_the_printer_shows_avals_in_specialized_code_only():
    g = s2s_ad.grad(layer)
    specialized = repr(g.specialize(np.ones(3), np.ones((4, 3)), 0.5).ir)
    assert specialized.startswith("fn layer_grad(w:f64[3], X:f64[4,3], b:f64):")
    assert "  h:f64[4] = np.tanh " in specialized
    assert "dw:array[3] = matmul " in specialized  # built by a rule: its shape, not dtype
    generic = repr(g.ir)
    assert generic.startswith("fn layer_grad(w, X, b):") and ":f64" not in generic


def test_abstract_evaluation_is_a_fact_of_the_registry_entry():
    from s2s_ad.primitives.registry import NOT_CONSTANT, abstract_eval

    m, v = Array((4, 3), F64), Array((3,), F64)
    assert abstract_eval("mul", [m, v], {}) == Array((4, 3))  # broadcast
    assert abstract_eval("add", [Number(F64), NUMBER], {}) == NUMBER
    assert abstract_eval("matmul", [m, v], {}) == Array((4,))  # run on stand-ins
    reshaped = abstract_eval("np.reshape", [m, UNKNOWN], {}, [NOT_CONSTANT, (2, 6)])
    assert reshaped == Array((2, 6))
    assert abstract_eval("np.sum", [m], {"axis": 0}) == Array((3,))
    assert abstract_eval("getitem", [m, NUMBER], {}) is UNKNOWN  # its index's value decides
    assert abstract_eval("matmul", [m, UNKNOWN], {}) is UNKNOWN
    assert abstract_eval("add", [m, Array((2,))], {}) is UNKNOWN  # NumPy will say so


def test_the_verifier_checks_numpy_shapes_by_abstract_evaluation():
    X = Value("X", aval=Array((4, 3), F64))
    w = Value("w", aval=Array((3,), F64))
    out = Value("y", aval=Array((3,)))  # X @ w is of shape (4,)
    fn = _function([Op("matmul", (X, w), (out,))], [X, w], [out])
    with pytest.raises(IRVerificationError, match=r"y is said to be array\[3\], but its "
                       r"operands' shapes give shape \(4,\)"):
        verify(fn, "in this test")
    shape, r = Value("s"), Value("r", aval=Array((12,)))
    fn = _function([Op("const", (), (shape,), (("value", (2, 6)),)),
                    Op("np.reshape", (X, shape), (r,))], [X], [r])
    with pytest.raises(IRVerificationError, match=r"shape \(2, 6\)"):
        verify(fn, "in this test")
