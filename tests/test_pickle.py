"""Generated functions pickle with the standard library's pickle, by reference: the name is
the call that made them, which a worker process makes again (s2s_ad/generated.py,
docs/parallel.md). The functions differentiated live in tests/pickle_targets.py, a module
the workers import."""

import io
import multiprocessing
import os
import pickle
import subprocess
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pickle_targets as targets
import pytest

import s2s_ad

TESTS = str(Path(__file__).resolve().parent)
_rng = np.random.default_rng(0)
X, Y, W = _rng.normal(size=(40, 3)), _rng.normal(size=40), _rng.normal(size=3)

# (what, the derivative, arguments): every public transform, plain functions (numbers) and
# dispatchers (code specialized to shapes), a derivative of a derivative, and `@grad`
CASES = [
    ("grad", lambda: s2s_ad.grad(targets.f, wrt=("x", "y")), (2.0, 5.0)),
    ("value_and_grad", lambda: s2s_ad.value_and_grad(targets.f), (2.0, 5.0)),
    ("jvp", lambda: s2s_ad.jvp(targets.f, wrt="y"), (2.0, 5.0, 1.0)),
    ("vjp", lambda: s2s_ad.vjp(targets.poly, wrt=(0, 1)), (2.0, 3.0, 1.0)),
    ("jacobian", lambda: s2s_ad.jacobian(targets.pair, wrt=(0, 1), mode="rev"), (2.0, 3.0)),
    ("hessian", lambda: s2s_ad.hessian(targets.poly, wrt=("x", "y")), (2.0, 3.0)),
    ("hvp", lambda: s2s_ad.hvp(targets.poly), (2.0, 3.0, 1.0)),
    ("grad of arrays", lambda: s2s_ad.grad(targets.loss), (W, X, Y)),
    ("grad of grad", lambda: s2s_ad.grad(s2s_ad.grad(targets.poly)), (2.0, 3.0)),
    ("optimize=False", lambda: s2s_ad.grad(targets.f, optimize=False), (2.0, 5.0)),
    ("@grad", lambda: targets.decorated, (2.0,)),
]
IDS = [what for what, _, _ in CASES]


@pytest.fixture
def workers_import_targets(monkeypatch):
    """Spawned workers import tests/pickle_targets.py: tests/ on their path."""
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", TESTS + (os.pathsep + path if path else ""))


def test_the_cases_cover_plain_functions_and_dispatchers():
    kinds = {hasattr(build(), "specialize") for _, build, _ in CASES}
    assert kinds == {False, True}


@pytest.mark.parametrize("what, build, args", CASES, ids=IDS)
def test_a_round_trip_in_process_gives_the_same_function(what, build, args):
    g = build()
    assert type(g) is types.FunctionType  # what runs is the function itself: no wrapper
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(g, protocol)) is g


def test_the_name_is_the_call_that_made_it():
    g = s2s_ad.grad(targets.f, wrt=("x", "y"))
    assert g.__module__ == "s2s_ad.generated"
    assert g.__qualname__ == "grad('pickle_targets:f', wrt=('x', 'y'))"
    assert s2s_ad.grad(s2s_ad.grad(targets.poly)).__qualname__ == (
        "grad(grad('pickle_targets:poly'))")
    assert g.__name__ == "f_grad"  # the code's name, in tracebacks


def test_spawned_pool_workers_compute_what_the_parent_does(workers_import_targets):
    built = [(build(), args) for _, build, args in CASES]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(targets.gradient_on, [(g, *args) for g, args in built])
    for (what, _, _), (g, args), result in zip(CASES, built, results):
        np.testing.assert_array_equal(result, g(*args), err_msg=what)


def test_process_pool_gradients_over_shards_add_up_to_the_full_batch(workers_import_targets):
    g = s2s_ad.grad(targets.loss)
    shards = 4
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as executor:
        parts = list(executor.map(g, [W] * shards, np.array_split(X, shards),
                                  np.array_split(Y, shards)))
    np.testing.assert_allclose(sum(parts), g(W, X, Y), rtol=1e-12, atol=1e-12)


def test_a_fresh_interpreter_rebuilds_it_once_or_says_what_it_needs(tmp_path):
    data = pickle.dumps(s2s_ad.grad(targets.poly, wrt=("x", "y")))
    script = ("import pickle, sys\n"
              "data = sys.stdin.buffer.read()\n"
              "g = pickle.loads(data)\n"
              "print(g(2.0, 3.0), pickle.loads(data) is g)\n")
    env = {**os.environ, "PYTHONPATH": TESTS}
    run = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True,
                         cwd=tmp_path, env=env, timeout=60)
    assert run.stdout.decode().split() == ["(12.0,", "5.0)", "True"], run.stderr.decode()
    env.pop("PYTHONPATH")  # no tests/: the module is not there
    run = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True,
                         cwd=tmp_path, env=env, timeout=60)
    err = run.stderr.decode()
    assert run.returncode != 0
    assert "cannot rebuild s2s_ad.generated.grad('pickle_targets:poly'" in err
    assert "needs s2s_ad and the module 'pickle_targets'" in err


square = lambda x: x * x  # noqa: E731


def _local():
    def cube(x):
        return x * x * x

    return cube


@pytest.mark.parametrize("pickler", [pickle.Pickler, pickle._Pickler], ids=["C", "Python"])
@pytest.mark.parametrize("build, name, what", [
    (lambda: s2s_ad.grad(square), "grad(<lambda>)", "a lambda"),
    (lambda: s2s_ad.grad(s2s_ad.grad(square)), "grad(<lambda_grad>)", "a lambda"),
    (lambda: s2s_ad.hessian(_local()), "hessian(<cube>)",
     "'cube', a function defined inside another function"),
], ids=["lambda", "grad of grad of lambda", "local function"])
def test_a_derivative_of_a_function_without_a_name_says_why_and_what_to_do(build, name, what,
                                                                          pickler):
    g = build()
    assert g.__qualname__ == name
    with pytest.raises(pickle.PicklingError) as info:
        pickler(io.BytesIO()).dump(g)
    assert str(info.value) == (
        f"cannot pickle {name}: pickle saves a derivative by the name of the function it "
        f"differentiates, which a process imports to rebuild it, and it differentiates {what}"
        "\nhint: define the function with `def` at the top level of a module that the process "
        "unpickling it can import, or pickle with cloudpickle, which saves code by value")


def test_a_specialization_says_to_pickle_what_s2s_ad_returned():
    g = s2s_ad.grad(targets.loss)
    with pytest.raises(pickle.PicklingError, match="differentiate the function that s2s_ad "
                                                   "returned"):
        pickle.dumps(s2s_ad.grad(g.general))


_CLOUDPICKLE_SCRIPT = """
import pickle, cloudpickle, numpy as np, s2s_ad
import pickle_targets as targets

def main_f(x, y):
    return x * y * y

square = lambda x: x * x

def main_np(w, X):
    return np.sum((X @ w) ** 2)

for g, args, by_value in [(s2s_ad.grad(main_f), (2.0, 3.0), True),
                          (s2s_ad.grad(square), (3.0,), True),
                          (s2s_ad.grad(s2s_ad.grad(main_f)), (2.0, 3.0), True),
                          (s2s_ad.grad(targets.loss), (np.ones(2), np.eye(2), np.ones(2)), False)]:
    copy = pickle.loads(cloudpickle.dumps(g))
    assert (copy is not g) == by_value, g
    np.testing.assert_array_equal(copy(*args), g(*args))
# a dispatcher saved before and after it has code for an argument's shape: the copy adds its
# own tests (codegen/dispatch.py), reading the names they need
args = (np.ones(3), np.arange(6.0).reshape(2, 3))
for calls in range(2):
    g = s2s_ad.grad(main_np)
    for _ in range(calls):
        g(*args)
    copy = pickle.loads(cloudpickle.dumps(g))
    assert copy is not g
    for _ in range(2):
        np.testing.assert_array_equal(copy(*args), g(*args))
    assert copy.__code__.co_argcount == 2
print("ok")
"""


def test_cloudpickle_saves_by_value_what_it_saves_so_for_the_function(tmp_path):
    """cloudpickle (Dask's, joblib's) saves what ``__main__`` defines by value, for workers
    that never ran it (a remote Dask worker); so it does a derivative of it, and a lambda's.
    A derivative of a module's function it saves by name, as it does the function."""
    pytest.importorskip("cloudpickle")
    script = tmp_path / "script.py"
    script.write_text(_CLOUDPICKLE_SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": TESTS}, timeout=60)
    assert run.stdout.decode().split() == ["ok"], run.stderr.decode()
