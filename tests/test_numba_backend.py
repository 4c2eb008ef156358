"""The Numba backend (``backend="numba"``, ``backend="auto"``, ``s2s_ad.jit``): values equal
to the Python backend's and to central differences, the code Numba compiles, refusals as
located errors, the fallback of ``auto``, and ``s2s-ad export --backend numba`` run in a
fresh process from Numba's cache.

Each Numba compile takes about a second: the functions here are few and small, and each
hypothesis test draws arguments of one kind (one compile, then cached calls).
"""

import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import s2s_ad
from s2s_ad import numeric
from s2s_ad.export import module_source

numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True, scope="module")
def cache_directory(tmp_path_factory):
    """Compiled modules go to a directory of this test run (``$S2S_AD_CACHE``)."""
    path = tmp_path_factory.mktemp("numba_cache")
    old = os.environ.get("S2S_AD_CACHE")
    os.environ["S2S_AD_CACHE"] = str(path)
    yield path
    if old is None:
        del os.environ["S2S_AD_CACHE"]
    else:
        os.environ["S2S_AD_CACHE"] = old


def scalar(x, y):
    return math.log(x) * y + math.sin(x * y)


def recurrence(w, x0, T):
    x = x0
    for _ in range(T):
        x = x + 0.01 * math.sin(w * x)
    return x


def layer(W, b, x):
    h = np.tanh(W @ x + b)
    return np.sum(h * h)


def product(theta):
    p = 1.0
    for i in range(theta.shape[0]):
        p = p * theta[i]
    return p


def pair(x, y):
    return [x * y, math.sin(x) + y]


def strided(x, n):
    s = 0.0
    for i in range(1, n, 3):
        s = s + math.sin(x * i)
    return s


positive = st.floats(0.2, 3.0)
moderate = st.floats(-2.0, 2.0)


def close(a, b, tol=1e-6):
    return numeric.relative_error(a, b) < tol


@given(positive, moderate)
def test_scalar_function(x, y):
    df = s2s_ad.grad(scalar, wrt=("x", "y"), backend="numba")
    compiled = df(x, y)
    assert compiled == pytest.approx(s2s_ad.grad(scalar, wrt=("x", "y"))(x, y), rel=1e-12)
    expected = numeric.numerical_grad(scalar, (x, y), wrt=("x", "y"))
    assert all(close(a, b) for a, b in zip(compiled, expected))


@given(moderate, moderate)
def test_recurrence(w, x0):
    df = s2s_ad.grad(recurrence, wrt=("w", "x0"), backend="numba")
    compiled = df(w, x0, 50)
    assert compiled == pytest.approx(s2s_ad.grad(recurrence, wrt=("w", "x0"))(w, x0, 50),
                                     rel=1e-12, abs=1e-14)
    expected = numeric.numerical_grad(recurrence, (w, x0, 50), wrt=("w", "x0"))
    assert all(close(a, b) for a, b in zip(compiled, expected))


def test_recurrence_source_is_what_numba_compiles():
    df = s2s_ad.grad(recurrence, backend="numba")
    df(0.5, 0.3, 10)
    source = df.source
    assert "range(T - 1, -1, -1)" in source
    assert "x_tape = np.empty(T)" in source and "x_tape[_] = x" in source  # (see below)
    assert "reversed" not in source and "__class__" not in source
    assert df.specialize(0.5, 0.3, 10).source == source
    module = module_source(df.specialize(0.5, 0.3, 10))  # what export writes
    assert "import numba\n" in module and "@numba.njit(cache=True)\n" + source in module


@given(st.integers(0, 2**32 - 1))
def test_array_layer(seed):
    rng = np.random.default_rng(seed)
    W, b, x = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)
    dW, db = s2s_ad.grad(layer, wrt=("W", "b"), backend="numba")(W, b, x)
    pW, pb = s2s_ad.grad(layer, wrt=("W", "b"))(W, b, x)
    np.testing.assert_allclose(dW, pW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db, pb, rtol=1e-12, atol=1e-14)
    nW, nb = numeric.numerical_grad(layer, (W, b, x), wrt=("W", "b"))
    np.testing.assert_allclose(dW, nW, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db, nb, rtol=1e-6, atol=1e-7)


def test_product_loop_over_an_array():
    theta = np.linspace(0.5, 1.5, 7)
    d = s2s_ad.grad(product, backend="numba")(theta)
    expected = np.array([np.prod(np.delete(theta, k)) for k in range(7)])  # ∏_{j≠k} θj
    np.testing.assert_allclose(d, expected, rtol=1e-12)


def oscillator(k, c, x0, v0, dt, n):
    x, v = x0, v0
    for _ in range(n):
        a = -k * math.sin(x) - c * v
        v = v + dt * a
        x = x + dt * v
    return 0.5 * v * v + k * (1.0 - math.cos(x))


def test_tape_of_two_values_is_an_array_of_two_columns():
    df = s2s_ad.grad(oscillator, wrt=("k", "c", "x0"), backend="numba")
    args = (2.0, 0.1, 1.0, 0.0, 0.01, 200)
    compiled = df(*args)
    assert "v_tape = np.empty((n, 2))" in df.source
    assert compiled == pytest.approx(s2s_ad.grad(oscillator, wrt=("k", "c", "x0"))(*args),
                                     rel=1e-12)
    expected = numeric.numerical_grad(oscillator, args, wrt=("k", "c", "x0"))
    assert all(close(a, b) for a, b in zip(compiled, expected))
    # a negative count: np.empty refuses it, and the Python code runs (range(-3) is empty)
    assert df(2.0, 0.1, 1.0, 0.0, 0.01, -3) == s2s_ad.grad(
        oscillator, wrt=("k", "c", "x0"))(2.0, 0.1, 1.0, 0.0, 0.01, -3)


def settle(k, c, x0, v0, dt):
    """A damped pendulum run until it settles: a `while` loop, its trip count known only
    when it ends, that tapes two values a step (x and v), inside a `for` over two phases."""
    x, v = x0, v0
    for phase in range(2):
        steps = 0
        while steps < 30 + 10 * phase or v * v > 1e-4:
            a = -k * math.sin(x) - c * v
            v = v + dt * a
            x = x + dt * v
            steps = steps + 1
    return x * x + v


def test_while_loop_tapes_are_growable_arrays():
    df = s2s_ad.grad(settle, wrt=("k", "c", "x0"), backend="numba")
    args = (2.0, 0.8, 1.0, 0.0, 0.05)
    compiled = df(*args)
    source = df.source
    assert "np.empty((16, 2))" in source and ".shape[0]" in source  # (16, doubled when full)
    assert "np.concatenate(" in source and ".append(" not in source and ".pop()" not in source
    python = s2s_ad.grad(settle, wrt=("k", "c", "x0"))(*args)
    assert compiled == pytest.approx(python, rel=1e-12)
    expected = numeric.numerical_grad(settle, args, wrt=("k", "c", "x0"))
    assert all(close(a, b, 1e-5) for a, b in zip(compiled, expected))


def tanh_layer(W, x):
    return np.sum(np.tanh(x @ W) * 0.5)


def test_numpy_runs_transcendental_functions_of_large_arrays():
    """np.tanh of 64 x 32 entries in object mode: NumPy's SIMD loop, 5-11 times Numba's
    libm call per entry; of 2 x 3, compiled (entering object mode costs about 3 µs)."""
    rng = np.random.default_rng(3)
    for rows, cols, inside in ((64, 32, True), (2, 3, False)):
        W, x = rng.normal(size=(8, cols)), rng.normal(size=(rows, 8))
        d = s2s_ad.grad(tanh_layer, backend="numba")
        got = d(W, x)
        assert ("numba.objmode(" in d.source) is inside, d.source
        if inside:
            assert "np.ascontiguousarray(np.tanh(" in d.source
        np.testing.assert_allclose(got, s2s_ad.grad(tanh_layer)(W, x), rtol=1e-12, atol=1e-15)


def test_reversed_loop_with_a_step():
    d = s2s_ad.grad(strided, backend="numba")(0.7, 11)
    assert "range(1, n, 3)" in s2s_ad.grad(strided, backend="numba").source
    # d/dx sum_{i in 1, 4, 7, 10} sin(x i) = sum i cos(x i)
    assert d == pytest.approx(sum(i * math.cos(0.7 * i) for i in range(1, 11, 3)), rel=1e-12)


def ignores(x, y, n):
    s = 0.0
    for _ in range(n):
        s = s + x
    return s


def test_gradient_of_an_argument_nothing_reads():
    df = s2s_ad.grad(ignores, wrt=("x", "y"), backend="numba")
    assert df(1.5, 2.0, 3) == (3.0, 0.0)  # d(n x)/dx = n; y is not read
    dx, dy = df(1.5, np.ones((2, 3)), 3)
    assert dx == 3.0 and dy.shape == (2, 3) and not dy.any()
    assert "np.zeros((2, 3))" in df.source


def test_jacobian_and_hessian():
    jac = s2s_ad.jacobian(pair, wrt=("x", "y"), backend="numba")(0.3, 1.7)
    np.testing.assert_allclose(np.array(jac), np.array(
        s2s_ad.jacobian(pair, wrt=("x", "y"))(0.3, 1.7)), rtol=1e-12)
    hess = s2s_ad.hessian(recurrence, wrt="w", backend="numba")(0.4, 0.9, 20)
    assert hess == pytest.approx(s2s_ad.hessian(recurrence, wrt="w")(0.4, 0.9, 20), rel=1e-12)
    dw = s2s_ad.grad(recurrence)
    assert close(hess, numeric.central_difference(lambda w: dw(w, 0.9, 20), 0.4))


def test_jit_of_a_generated_function():
    g = s2s_ad.vjp(scalar, wrt="x")
    compiled = s2s_ad.jit(g)
    assert compiled is s2s_ad.vjp(scalar, wrt="x", backend="numba")
    assert compiled(1.5, 0.5, 2.0) == pytest.approx(g(1.5, 0.5, 2.0), rel=1e-12)


def test_division_by_zero_is_the_located_error():
    def root_sum(x, n):
        s = 0.0
        for _ in range(n):
            s = s + math.sqrt(x)
        return s

    with pytest.raises(s2s_ad.InfiniteDerivativeError, match=r"math\.sqrt"):
        s2s_ad.grad(root_sum, backend="numba")(0.0, 3)


# --- what the Numba backend refuses ------------------------------------------------------
def softplus(x):
    return math.log1p(math.exp(x))


s2s_ad.defvjp(softplus, lambda g, x: g / (1.0 + math.exp(-x)))


def with_rule(x):
    y = 0.0
    for _ in range(3):
        y = y + softplus(x) * 2.0
    return y


def test_user_rule_without_numba_version_is_located():
    with pytest.raises(s2s_ad.BackendError) as info:
        s2s_ad.grad(with_rule, backend="numba")(0.5)
    err = info.value
    assert "vjp rule 0 for softplus" in err.message and "numba.njit" in err.hint
    assert err.loc is not None and err.loc.line == with_rule.__code__.co_firstlineno + 3


@numba.njit
def fast_softplus(x):
    return math.log1p(math.exp(x))


@numba.njit
def fast_softplus_vjp(g, x):
    return g / (1.0 + math.exp(-x))


s2s_ad.defvjp(fast_softplus, fast_softplus_vjp)


def with_fast_rule(x):
    y = 0.0
    for _ in range(3):
        y = y + fast_softplus(x) * x
    return y


def test_user_rule_with_numba_versions_compiles():
    df = s2s_ad.grad(with_fast_rule, backend="numba")
    assert df(0.7) == pytest.approx(s2s_ad.grad(with_fast_rule)(0.7), rel=1e-12)
    assert close(df(0.7), numeric.central_difference(with_fast_rule, 0.7))
    assert "fast_softplus_vjp(" in df.source


def test_dict_argument_is_refused():
    def total(p):
        return p["a"] * p["b"]

    with pytest.raises(s2s_ad.BackendError, match=r"argument 'p' \(dict\)"):
        s2s_ad.grad(total, backend="numba")({"a": 1.0, "b": 2.0})


def test_unsupported_numpy_call_is_located():
    def contract(x):
        return np.sum(np.einsum("ij,j->i", x, x[0]))

    with pytest.raises(s2s_ad.BackendError) as info:
        s2s_ad.grad(contract, backend="numba")(np.ones((2, 2)))
    err = info.value
    assert "einsum" in err.message and "Traceback" not in str(err)
    assert err.loc is not None and err.loc.line == contract.__code__.co_firstlineno + 1


def test_auto_warns_once_and_runs_python():
    g = s2s_ad.grad(with_rule, backend="auto")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = g(0.0), g(1.0)
    assert len(caught) == 1 and issubclass(caught[0].category, s2s_ad.BackendWarning)
    assert "softplus" in str(caught[0].message)
    assert first == pytest.approx(s2s_ad.grad(with_rule)(0.0), rel=1e-15)
    assert second == pytest.approx(s2s_ad.grad(with_rule)(1.0), rel=1e-15)
    assert "reversed(range(3))" in g.source  # the Python code


def test_auto_picks_python_for_scalar_code_without_loops():
    g = s2s_ad.grad(scalar, backend="auto")
    assert g(1.5, 0.5) == s2s_ad.grad(scalar)(1.5, 0.5)
    assert g.source == s2s_ad.grad(scalar).source  # the Python backend's function
    assert not hasattr(g, "made_by")
    looped = s2s_ad.grad(recurrence, backend="auto")
    assert hasattr(looped.specialize(0.5, 0.3, 4), "numba_code")


def test_without_numba(monkeypatch):
    from s2s_ad.codegen import jit

    monkeypatch.setattr(jit, "available", lambda: False)

    def looped(x, n):
        for _ in range(n):
            x = x * 1.5
        return x

    with pytest.raises(s2s_ad.BackendError, match="needs Numba"):
        s2s_ad.grad(looped, backend="numba")(1.0, 2)
    with pytest.warns(s2s_ad.BackendWarning, match="needs Numba"):
        assert s2s_ad.grad(looped, backend="auto")(1.0, 2) == 2.25


def test_unknown_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        s2s_ad.grad(scalar, backend="cuda")


def test_export_runs_from_the_cache_in_fresh_processes(tmp_path):
    target = tmp_path / "model.py"
    target.write_text(textwrap.dedent("""
        import math

        def recurrence(w, x0, T):
            x = x0
            for _ in range(T):
                x = x + 0.01 * math.sin(w * x)
            return x
        """))
    out = tmp_path / "rec_grad.py"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-m", "s2s_ad", "export", f"{target}:recurrence",
                    "--backend", "numba", "--at", "0.5,0.3,100", "-o", str(out)],
                   check=True, env=env, cwd=tmp_path, capture_output=True)
    text = out.read_text()
    assert "@numba.njit(cache=True)\ndef recurrence_grad(w, x0, T):" in text
    assert "s2s_ad" not in text.split("'''")[2]  # (the docstring names it; no import does)
    call = "import rec_grad; print(repr(rec_grad.recurrence_grad(0.5, 0.3, 100)))"
    run = [sys.executable, "-c", call]
    plain = {"PATH": os.environ.get("PATH", ""), "NUMBA_DEBUG_CACHE": "1",
             "PYTHONPATH": os.path.dirname(os.path.dirname(numba.__file__))}
    first = subprocess.run(run, check=True, env=plain, cwd=tmp_path, capture_output=True,
                           text=True).stdout
    second = subprocess.run(run, check=True, env=plain, cwd=tmp_path, capture_output=True,
                            text=True).stdout
    value = float(first.strip().splitlines()[-1])
    assert value == s2s_ad.grad(recurrence)(0.5, 0.3, 100)
    assert "data loaded" in second and "data saved" not in second


def test_pickles_as_the_call_that_made_it():
    import pickle

    df = s2s_ad.grad(recurrence, backend="numba")
    assert pickle.loads(pickle.dumps(df)) is df  # (the transform's cache: the same object)


def test_export_backend_numba_needs_an_example(tmp_path, capsys):
    from s2s_ad.cli import main

    target = tmp_path / "model.py"
    target.write_text("def square(x):\n    return x * x\n")
    path = list(sys.path)
    try:
        code = main(["export", f"{target}:square", "--backend", "numba"])
    finally:
        sys.path[:] = path
    assert code == 2 and "--at or --like" in capsys.readouterr().err


# golden files of the code the Numba backend compiles (tests/test_golden.py explains them)
NUMBA_GOLDEN = {
    "numba_loop_recurrence": ("control_flow", "simulate", ("x", "w"), (0.5, 0.7, 100)),
}


@pytest.mark.parametrize("name", sorted(NUMBA_GOLDEN))
def test_numba_source_matches_golden(name):
    from support import load_example
    from test_golden import GOLDEN, ROOT, UPDATE

    example, function, wrt, args = NUMBA_GOLDEN[name]
    module = load_example(example)
    g = s2s_ad.grad(getattr(module, function), wrt=wrt, backend="numba")
    python = s2s_ad.grad(getattr(module, function), wrt=wrt)(*args)
    for a, b in zip(g(*args), python):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    text = (f"# Golden file: s2s_ad.grad({function}, wrt={wrt!r}, backend='numba')"
            f".specialize(*arguments).source,\n# where {function} is defined in "
            f"examples/{example}.py: the code Numba compiles. Checked by\n"
            f"# tests/test_numba_backend.py; to accept a change, rerun it with "
            f"S2S_AD_UPDATE_GOLDEN=1.\n# ruff: noqa\n\n" + g.source)
    path = GOLDEN / f"{name}.py"
    if UPDATE:
        path.write_text(text)
        return
    assert text == path.read_text(), f"{path.relative_to(ROOT)} differs"




def test_a_refused_step_that_a_derivative_made_names_a_line_near_it():
    """A step a derivative made has no line of its own (found by the fuzzer's grad(numba)
    check: `zero_gradient` of a number whose dtype the code does not follow): the refusal
    names the user's line before it."""
    from dataclasses import replace

    from s2s_ad.codegen import jit
    from s2s_ad.ir.core import Op, Region, Value

    fn = s2s_ad.grad(scalar).ir
    made = Op("zeros_like", (fn.params[0],), (Value("dx"),), ())  # (no loc)
    assert made.loc is None
    body = Region(fn.body.params, [*fn.body.ops, made], fn.body.results)
    with pytest.raises(s2s_ad.BackendError, match="zeros_like") as refused:
        jit.check(replace(fn, body=body), "while testing")
    last = next(op.loc for op in reversed(fn.body.ops) if op.loc is not None)
    assert refused.value.loc == last
