"""The IR verifier: it accepts what every stage builds from real functions, and rejects
hand-made broken IR with a message that names the function, the stage, the op and the
fault."""

import inspect
import math

import numpy as np
import pytest

import s2s_ad
from s2s_ad.frontend.lower import lift
from s2s_ad.ir import verify
from s2s_ad.ir.core import Function, Op, Region, Value, walk
from s2s_ad.ir.verify import IRVerificationError
from s2s_ad.optimize import optimize, pipeline
from s2s_ad.transforms.forward import jvp
from s2s_ad.transforms.reverse import vjp

# --- well-formed IR from real functions ------------------------------------------------------


def straight(x, y):
    a = math.log(x) + x * y
    return a - math.sin(y), a


def branches(x, y):
    if x > y:
        z = x * y
    else:
        z = y - x
    return z * z + (x if x > 1 else y)


def for_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
        if s > 10.0:
            break
    return s


def while_loop(x):
    y = x
    while y < 10.0:
        y = y * 2.0 + x
    return y


def lists(x, n):
    xs = []
    for i in range(n):
        xs.append(x * i)
    return sum(xs) + xs[0] * x


def arrays(w, X):
    h = np.tanh(X @ w)
    return np.sum(h * h)


REAL = [(straight, (0, 1), ("log", "sin")), (branches, (0, 1), ("if",)),
        (for_loop, (0,), ("for_range", "if")), (while_loop, (0,), ("while",)),
        (lists, (0,), ("for_range", "append")), (arrays, (0,), ("matmul", "np.tanh"))]


@pytest.mark.parametrize("fn, wrt, prims", REAL, ids=[row[0].__name__ for row in REAL])
def test_accepts_what_every_stage_builds(fn, wrt, prims):
    primal = lift(fn)
    stages = {"lowered": primal, "optimized": optimize(primal),
              "reverse": vjp(primal, wrt, seed=1.0, single=len(wrt) == 1),
              "forward": jvp(primal, wrt)}
    stages["reverse, optimized"] = optimize(stages["reverse"], exact_results=0)
    for stage, ir in stages.items():
        verify.verify(ir, stage)
    used = {op.prim for op in walk(primal.body)}
    assert used >= set(prims), used  # the rows hold what they say


@pytest.mark.parametrize("fn, wrt, prims", REAL, ids=[row[0].__name__ for row in REAL])
def test_breaking_a_real_function_is_seen(fn, wrt, prims):
    """The same IR with its last op's first result defined twice is rejected (so the test
    above accepts something the verifier looks at)."""
    ir = optimize(vjp(lift(fn), wrt, seed=1.0, single=len(wrt) == 1), exact_results=0)
    last = next(op for op in reversed(ir.body.ops) if op.outs)
    ir.body.ops.append(Op("neg", (ir.params[0],), (last.outs[0],)))
    with pytest.raises(IRVerificationError, match="is defined twice"):
        verify.verify(ir, "after the test broke it")


# --- hand-made broken IR -------------------------------------------------------------------

POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD


def function(params, ops, results, tree=None):
    tree = (0 if len(results) == 1 else tuple(range(len(results)))) if tree is None else tree
    return Function("f", params, [POSITIONAL] * len(params), Region(list(params), ops, results),
                    tree)


def rejected(fn, stage="after test"):
    with pytest.raises(IRVerificationError) as info:
        verify.verify(fn, stage)
    return str(info.value)


def test_a_value_defined_twice():
    x, a = Value("x"), Value("a")
    message = rejected(function([x], [Op("sin", (x,), (a,)), Op("cos", (x,), (a,))], [a]),
                       "after cse")
    assert message.splitlines()[:2] == [
        "malformed IR of 'f' after cse: a is defined twice (first as a result of `a = sin x`)",
        "    a = cos x"]
    assert "  a = cos x    # <-- here" in message  # marked in the listing


def test_a_region_parameter_that_is_an_outer_value():
    x, n, s = Value("x"), Value("n"), Value("s")
    zero, one, out = Value(), Value(), Value("s")
    body = Region([Value("i"), x], [Op("mul", (x, x), (s,))], [s])  # x: the function's
    loop = Op("for_range", (zero, n, one, x), (out,), (("breaks", False),), (body,))
    ops = [Op("const", (), (zero,), (("value", 0),)), Op("const", (), (one,), (("value", 1),)),
           loop]
    message = rejected(function([x, n], ops, [out]))
    assert "x is defined twice (first as a parameter of the function)" in message
    assert "s = for_range 0 n 1 x    # <-- here" in message


def test_a_use_before_the_definition():
    x, a, b = Value("x"), Value("a"), Value("b")
    message = rejected(function([x], [Op("mul", (a, x), (b,)), Op("sin", (x,), (a,))], [b]))
    assert message.splitlines()[:2] == [
        "malformed IR of 'f' after test: a is read before it is defined (as a result of "
        "`a = sin x`)", "    b = mul a x"]


def test_a_value_never_defined():
    x, ghost, b = Value("x"), Value("ghost"), Value("b")
    message = rejected(function([x], [Op("mul", (ghost, x), (b,))], [b]))
    assert "ghost is read but never defined\n    b = mul ghost x\n" in message


def test_a_value_of_a_branch_read_after_it():
    x, c, t, e, z, w = (Value(h) for h in ("x", "c", "t", "e", "z", "w"))
    then = Region([], [Op("mul", (x, x), (t,))], [t])
    other = Region([], [Op("neg", (x,), (e,))], [e])
    ops = [Op("gt", (x, x), (c,)), Op("if", (c,), (z,), (), (then, other)),
           Op("add", (z, t), (w,))]
    message = rejected(function([x], ops, [w]))
    assert message.splitlines()[:2] == [
        "malformed IR of 'f' after test: t is read outside region0 of `z = if c`, which "
        "defines it (only the op's results carry values out of its regions)", "    w = add z t"]


def test_a_branch_reading_the_other_branch():
    x, c, t, e, z = (Value(h) for h in ("x", "c", "t", "e", "z"))
    then = Region([], [Op("mul", (x, x), (t,))], [t])
    other = Region([], [Op("neg", (t,), (e,))], [e])
    message = rejected(function([x], [Op("gt", (x, x), (c,)),
                                      Op("if", (c,), (z,), (), (then, other))], [z]))
    assert "t is read outside region0 of `z = if c`" in message
    assert "e = neg t    # <-- here" in message


def test_a_function_returning_a_value_of_a_region():
    x, c, t, e, z = (Value(h) for h in ("x", "c", "t", "e", "z"))
    then = Region([], [Op("mul", (x, x), (t,))], [t])
    other = Region([], [Op("neg", (x,), (e,))], [e])
    message = rejected(function([x], [Op("gt", (x, x), (c,)),
                                      Op("if", (c,), (z,), (), (then, other))], [t]))
    assert "t is returned outside region0 of `z = if c`" in message


def test_a_region_reading_its_own_op_s_result():
    x, c, t, z = (Value(h) for h in ("x", "c", "t", "z"))
    then = Region([], [Op("mul", (z, x), (t,))], [t])
    other = Region([], [], [x])
    message = rejected(function([x], [Op("gt", (x, x), (c,)),
                                      Op("if", (c,), (z,), (), (then, other))], [z]))
    assert "z is read before it is defined (as a result of `z = if c`)" in message


def test_a_branch_yielding_the_wrong_number_of_values():
    x, c, t, z = (Value(h) for h in ("x", "c", "t", "z"))
    then = Region([], [Op("mul", (x, x), (t,))], [t, x])
    message = rejected(function([x], [Op("gt", (x, x), (c,)),
                                      Op("if", (c,), (z,), (), (then, Region([], [], [x])))],
                                [z]))
    assert message.splitlines()[:2] == [
        "malformed IR of 'f' after test: region0 yields 2 values, not 1 (an if's branches "
        "have no parameters and yield its results)", "    z = if c"]


def _while(carried_results, cond_results=None, breaks=False):
    """``while y < 10: y = y * 2`` with the body yielding ``carried_results(y2, flag)``."""
    y, ten, out = Value("y"), Value("ten"), Value("y")
    cy, lt = Value("y"), Value("lt")
    cond = Region([cy], [Op("lt", (cy, ten), (lt,))], cond_results or [lt])
    by, two, y2 = Value("y"), Value("two"), Value("y")
    body = Region([by], [Op("mul", (by, two), (y2,))], carried_results(y2, lt))
    ops = [Op("const", (), (ten,), (("value", 10.0),)),
           Op("const", (), (two,), (("value", 2.0),)),
           Op("while", (y,), (out,), (("breaks", breaks),), (cond, body))]
    return function([y], ops, [out])


def test_a_well_formed_while_is_accepted():
    verify.verify(_while(lambda y2, flag: [y2]), "after test")  # (the cases below: broken)


def test_a_loop_body_yielding_the_wrong_number_of_values():
    message = rejected(_while(lambda y2, flag: [y2, y2]))
    assert "region1 yields 2 values, not 1 (both regions' parameters are the carried " \
           "values; the condition yields one value" in message
    assert "y_2 = while y    # <-- here" in message


def test_a_loop_that_breaks_without_its_flag():
    message = rejected(_while(lambda y2, flag: [y2], breaks=True))
    assert "region1 yields 1 values, not 2" in message


def test_a_loop_condition_yielding_two_values():
    ir = _while(lambda y2, flag: [y2])
    cond = ir.body.ops[-1].regions[0]
    cond.results.append(cond.results[0])
    assert "region0 yields 2 values, not 1" in rejected(ir)


def test_a_loop_body_reading_its_condition():
    message = rejected(_while(lambda y2, flag: [y2, flag], breaks=True))
    assert "lt is yielded outside region0 of `y_2 = while[breaks=True] y`" in message


def test_a_for_loop_with_a_missing_initial_value():
    x, n, s, zero, one, out = (Value(h) for h in ("x", "n", "s", "", "", "s"))
    i, p = Value("i"), Value("s")
    body = Region([i, p], [Op("add", (p, x), (s,))], [s])
    ops = [Op("const", (), (zero,), (("value", 0),)), Op("const", (), (one,), (("value", 1),)),
           Op("for_range", (zero, n, one), (out,), (), (body,))]
    message = rejected(function([x, n], ops, [out]))
    assert "a for_range with 1 results reads start, stop, step and 1 initial values, but it " \
           "has 3 operands\n    s = for_range 0 n 1\n" in message


def test_an_out_tree_leaf_out_of_range():
    x, a = Value("x"), Value("a")
    message = rejected(function([x], [Op("sin", (x,), (a,))], [a], tree=(0, 1)))
    assert message.startswith("malformed IR of 'f' after test: out_tree has leaf 1, but the "
                              "function returns 1 values\nfn f(x):\n  a = sin x\n")


def test_a_result_the_out_tree_never_returns():
    x, a = Value("x"), Value("a")
    message = rejected(function([x], [Op("sin", (x,), (a,))], [a, x], tree=(1,)))
    assert "out_tree never returns result 0 of 2" in message


def test_the_bug_it_found_stays_fixed(monkeypatch):
    """The shape-generic ``hessian`` with respect to an indexed argument and others read
    the second gradient as the tangent of the first (``h.general`` stacked ``dy`` as every
    column): it was refused, and is now a loop of JVPs per block, each right (verified)."""
    def f(x, y):
        return x[0] * x[1] * y * y

    monkeypatch.setattr(verify, "ENABLED", True)
    h = s2s_ad.hessian(f, wrt=("x", "y"))
    x, y = np.array([2.0, 5.0]), 3.0
    # d2f/dx2 = y^2 [[0, 1], [1, 0]], d2f/dx dy = 2 y [x1, x0], d2f/dy2 = 2 x0 x1
    for (xx, xy), (yx, yy) in (h(x, y), h.general(x, y)):
        np.testing.assert_array_equal(xx, [[0.0, 9.0], [9.0, 0.0]])
        np.testing.assert_array_equal(xy, [30.0, 12.0])
        np.testing.assert_array_equal(yx, [30.0, 12.0])
        assert yy == 20.0
    one = s2s_ad.hessian(f, wrt="x")  # one argument
    np.testing.assert_array_equal(one(np.array([2.0, 5.0]), 3.0), [[0.0, 9.0], [9.0, 0.0]])


def test_an_unregistered_primitive():
    x, a = Value("x"), Value("a")
    message = rejected(function([x], [Op("frobnicate", (x,), (a,))], [a]))
    assert "no primitive 'frobnicate' is registered\n    a = frobnicate x" in message


# --- the hooks --------------------------------------------------------------------------------


def test_the_pipeline_verifies_after_each_pass(monkeypatch):
    """A pass that breaks the IR is named in the message (and the test suite runs with the
    check on: tests/conftest.py)."""
    def drop_first(fn):  # a broken pass: drops the op that defines `a`
        return Function(fn.name, fn.params, fn.kinds,
                        Region(fn.body.params, fn.body.ops[1:], fn.body.results), fn.out_tree)

    def f(x):
        a = math.sin(x)
        return a * x

    monkeypatch.setattr(verify, "ENABLED", True)
    monkeypatch.setattr(pipeline, "PASSES", (*pipeline.PASSES[:2], drop_first))
    with pytest.raises(IRVerificationError) as info:
        optimize(lift(f))
    assert str(info.value).startswith(
        "malformed IR of 'f' after drop_first: a is read but never defined\n    _t1 = mul a x")


def test_stages_are_verified_when_enabled(monkeypatch):
    seen = []
    monkeypatch.setattr(verify, "ENABLED", True)
    monkeypatch.setattr(verify, "verify", lambda fn, stage="": seen.append(stage))
    s2s_ad.grad(while_loop)(1.5)
    assert seen[:2] == ["after lowering", "before optimizing"]
    assert {"after fold", "after simplify", "after cse", "after copyprop", "after dce",
            "after reverse mode", "before codegen"} <= set(seen)
    seen.clear()
    s2s_ad.jvp(for_loop, wrt="x")(1.5, 3, 1.0)
    assert "after forward mode" in seen
    monkeypatch.setattr(verify, "ENABLED", False)
    seen.clear()
    s2s_ad.grad(branches)(1.5, 2.0)
    assert seen == []
