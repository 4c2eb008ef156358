"""The public API: wrt forms, decorators, caching, attributes, signatures, name resolution."""

import gc
import inspect
import linecache
import math
import math as m
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import traceback
from math import sin

import numpy as np
import pytest

import s2s_ad
from s2s_ad import DifferentiationError, grad, value_and_grad, vjp
from s2s_ad.codegen import files

SCALE = 3.0


def f(x1, x2):
    y = math.log(x1) + x1 * x2 - math.sin(x2)
    return y


def test_wrt_forms():
    assert grad(f)(2.0, 5.0) == pytest.approx(5.5)
    assert grad(f, wrt=1)(2.0, 5.0) == pytest.approx(2 - math.cos(5))
    assert grad(f, wrt="x2")(2.0, 5.0) == pytest.approx(2 - math.cos(5))
    assert grad(f, wrt=("x2", 0))(2.0, 5.0) == pytest.approx((2 - math.cos(5), 5.5))
    assert grad(f, wrt=-1)(2.0, 5.0) == pytest.approx(2 - math.cos(5))


def test_decorator_forms():
    @grad
    def square(x):
        return x * x

    @grad(wrt=("x", "y"))
    def both(x, y):
        return x * y

    assert square(3.0) == 6.0
    assert both(2.0, 5.0) == (5.0, 2.0)


def test_value_and_grad_value_is_exact():
    value, g = value_and_grad(f, wrt=("x1", "x2"))(2.0, 5.0)
    assert value == f(2.0, 5.0)
    assert g == pytest.approx((5.5, 2 - math.cos(5)))


def test_vjp_of_tuple_output():
    def pair(x, y):
        return x * y, x + y

    # one cotangent with the result's structure, as in JAX, autograd and PyTorch
    assert vjp(pair, wrt=("x", "y"))(2.0, 3.0, (1.0, 10.0)) == (13.0, 12.0)
    with pytest.raises(TypeError):
        vjp(pair, wrt=("x", "y"))(2.0, 3.0, 1.0, 10.0)


def test_vjp_with_defaults_takes_keyword_cotangent():
    def scaled(x, k=2.0):
        return k * x * x

    back = vjp(scaled)
    assert back(3.0, dout=1.0) == 12.0
    assert back(3.0, 1.0, dout=2.0) == 12.0


def test_attributes_and_cache():
    g = grad(f, wrt=("x1", "x2"))
    assert g is grad(f, wrt=("x1", "x2"))
    assert g.__wrapped__ is f
    assert g.source.startswith("def f_grad(x1, x2):")
    assert "fn f_grad(x1, x2):" in repr(g.ir)
    assert g.stats.optimized.total < g.stats.unoptimized.total
    assert s2s_ad.stats(g) is g.stats


def test_signature_defaults_and_keyword_only():
    def h(x, y=2.0, *, z=3.0):
        return x * y * z

    g = grad(h)
    assert str(inspect.signature(g)) == str(inspect.signature(h))
    assert g(1.0) == 6.0
    assert g(1.0, 4.0, z=0.5) == 2.0


def test_generated_source_is_in_linecache_for_tracebacks():
    def div(x, y):
        return x / y

    g = grad(div, wrt="y")
    filename = g.__code__.co_filename
    assert linecache.getlines(filename) == g.source.splitlines(True)
    assert inspect.getsource(g.__code__) == g.source
    try:
        g(1.0, 0.0)
    except ZeroDivisionError:
        text = traceback.format_exc()
    assert "/ y" in text  # the generated line is shown


def test_names_resolve_like_python():
    def aliases(x):
        return m.exp(x) + sin(x) * SCALE

    expected = math.exp(0.5) + math.cos(0.5) * SCALE
    assert grad(aliases)(0.5) == pytest.approx(expected)


def test_closure_cells_are_read():
    k = 4.0

    def closure(x):
        return k * x * x

    assert grad(closure)(1.5) == 12.0


def test_globals_are_snapshot_when_the_gradient_is_built():
    namespace = {"math": math, "K": 2.0}
    exec("def scaled(x):\n    return K * x\n", namespace)
    linecache.cache["<test-snapshot>"] = (1, None, ["def scaled(x):\n", "    return K * x\n"],
                                          "<test-snapshot>")
    scaled = namespace["scaled"]
    scaled.__code__ = scaled.__code__.replace(co_filename="<test-snapshot>")
    g = grad(scaled)
    namespace["K"] = 10.0
    assert g(1.0) == 2.0  # documented: rebinding a global later needs a new grad()


def _helper(a, b=1.0, *, c=2.0):
    return a * b + c * a


def test_helper_functions_are_inlined_with_keywords_and_defaults():
    def outer(x, y):
        return _helper(x, b=y) + _helper(y, c=x)

    # d/dx = y + 2 + y ; d/dy = x + 1 + x
    assert grad(outer, wrt=("x", "y"))(2.0, 3.0) == (8.0, 5.0)


def test_grad_of_grad():
    def cube(x):
        return x * x * x

    assert grad(grad(cube))(2.0) == pytest.approx(12.0)
    assert grad(grad(grad(cube)))(2.0) == pytest.approx(6.0)


def test_seed_example_4_second_derivative():
    def g(v):
        return (math.exp(v) + 1) * math.exp(v)

    assert grad(g)(0.3) == pytest.approx(4.994096408357021, rel=1e-12)
    assert grad(grad(g))(0.3) == pytest.approx(8.638334009138038, rel=1e-12)


def test_parameter_named_like_a_module_does_not_break_codegen():
    def shadow(math_, math):
        return m.sin(math_) * math

    g = grad(shadow, wrt=(0, 1))
    assert g(0.5, 2.0) == pytest.approx((math.cos(0.5) * 2.0, math.sin(0.5)))


def test_variables_named_like_adjoints():
    def named(x, dx, d, _t1):
        dx = dx * x
        d = d + dx
        return d * _t1 * x

    g = grad(named, wrt=(0, 1, 2, 3))
    x, dx, d, t = 1.5, 2.0, 3.0, 0.5
    # f = (d + dx*x) * t * x
    expected = (dx * t * x + (d + dx * x) * t, x * t * x, t * x, (d + dx * x) * x)
    assert g(x, dx, d, t) == pytest.approx(expected)


def test_unused_parameter_gets_zero_gradient():
    def only_x(x, y):
        return x * 2.0

    assert grad(only_x, wrt="y")(1.0, 2.0) == 0.0


def test_integer_inputs_give_correct_gradients():
    def poly(x):
        return x ** 3 + 2 * x

    assert grad(poly)(3) == 29


def test_lambda():
    assert grad(lambda x: x * math.sin(x))(0.0) == 0.0


def test_max_tie_convention():
    g = grad(lambda x, y: max(x, y), wrt=(0, 1))
    assert g(3.0, 1.0) == (1.0, 0.0)
    assert g(1.0, 3.0) == (0.0, 1.0)
    assert g(2.0, 2.0) == (0.5, 0.5)  # documented: a tie splits the cotangent equally


def test_non_scalar_output_needs_vjp():
    def pair(x):
        return x, x

    with pytest.raises(DifferentiationError, match="vjp"):
        grad(pair)


def test_bad_wrt():
    with pytest.raises(DifferentiationError, match="not a parameter"):
        grad(f, wrt="z")
    with pytest.raises(DifferentiationError, match="out of range"):
        grad(f, wrt=5)


def linear_in_y(x, y):
    return x * y + x


@pytest.mark.parametrize("arg, shown", [
    ("abc", "str 'abc'"), (None, "None"), (1j, "complex 1j"),
    (np.array(["a", "b"]), "an array of dtype <U1"),
    (np.array([1j, 2.0]), "an array of dtype complex128"),
], ids=["str", "None", "complex", "str-array", "complex-array"])
def test_a_derivative_with_respect_to_something_not_real_is_a_clear_error(arg, shown):
    """d(x*y + x)/dy is x whatever y is: a str y would get 0.5, a number that means nothing."""
    for transform, at_2 in ((grad, 0.5), (value_and_grad, (1.5, 0.5)), (s2s_ad.hessian, 0.0)):
        g = transform(linear_in_y, wrt="y")
        with pytest.raises(DifferentiationError, match=f"respect to 'y': the argument is "
                                                       f"{re.escape(shown)}"):
            g(0.5, arg)
        assert g(0.5, 2.0) == at_2  # the failed call left nothing behind
    assert grad(linear_in_y, wrt="y")(0.5, 3) == 0.5  # ints are real: the float gradient


def test_parameters_annotated_as_numbers_need_no_check():
    def plain(x, y):
        return (x + y) * y

    def annotated(x: float, y: float):
        return (x + y) * y

    checked, unchecked = grad(plain, wrt=(0, 1)), grad(annotated, wrt=(0, 1))
    assert "__class__" in checked.source and "__class__" not in unchecked.source
    assert not hasattr(unchecked, "specialize")
    assert checked(2.0, 3.0) == unchecked(2.0, 3.0) == (3.0, 8.0)


def _run(script, tmp_path):
    """``script`` run from a file by a fresh interpreter."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


def test_import_s2s_ad_gives_its_numeric_module(tmp_path):
    done = _run("""
        import s2s_ad
        print(s2s_ad.numeric.central_difference(lambda x: x * x, 1.5))
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(3.0)


def test_an_uncaught_exception_shows_the_generated_line(tmp_path):
    """The interpreter's own display of an uncaught exception (C code up to Python 3.12)
    reads the line from the file ``co_filename`` names, not from linecache: the generated
    code has one, removed at exit."""
    done = _run("""
        import math, s2s_ad

        def f(x):
            return math.sqrt(x) * 2.0

        g = s2s_ad.grad(f)
        print(g.__code__.co_filename)
        print(g.source, end="")
        g(-1.0)  # math domain error, in the generated code
    """, tmp_path)
    assert done.stderr.endswith("ValueError: math domain error\n"), done.stderr
    filename, *source = done.stdout.splitlines()
    number, line = next((n, text) for n, text in enumerate(source, 1) if "math.sqrt(" in text)
    assert f'File "{filename}", line {number}, in f_grad\n    {line.strip()}\n' in done.stderr
    assert not os.path.exists(os.path.dirname(filename))  # removed at exit


def test_the_generated_file_goes_with_its_code():
    def cube(x: float):
        return x * x * x

    g = grad(cube)
    path = g.__code__.co_filename
    with open(path, encoding="utf-8") as file:
        assert file.read() == g.source
    del g
    gc.collect()
    assert not os.path.exists(path)


def test_the_directory_of_a_killed_process_goes_when_another_makes_one(tmp_path, monkeypatch):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    orphan, alive = tmp_path / f"s2s_ad-{int(ended.stdout)}-x", tmp_path / f"s2s_ad-{os.getpid()}-x"
    for directory in (orphan, alive):
        directory.mkdir()
        (directory / "f_grad_1.py").write_text("def f_grad(x):\n    return 1.0\n")
    files._remove_orphans()
    assert not orphan.exists() and alive.exists()


def test_where_no_file_can_be_written_the_name_is_in_brackets(monkeypatch):
    monkeypatch.setattr(files, "_made", (os.getpid(), ""))  # (no directory could be made)

    def div(x, y):
        return x / y

    g = grad(div, wrt="y")
    assert g.__code__.co_filename.startswith("<s2s_ad:div_grad:")
    assert inspect.getsource(g.__code__) == g.source
    with pytest.raises(ZeroDivisionError) as info:
        g(1.0, 0.0)
    assert "/ y" in "".join(traceback.format_exception(info.value))


def test_the_derivative_for_a_float_is_a_float_even_made_of_ints():
    def gate(a, b):
        return (a + b) * (b + 1)

    def weighted(x):
        return np.sum(np.arange(3) * x)

    for got, want in ((grad(gate)(2.0, 3), 4.0), (grad(gate)(np.float64(2.0), 3), 4.0),
                      (grad(weighted)(2.0), 3.0)):
        assert type(got) is float and got == want
    assert "float(b + 1)" in grad(gate).specialize(2.0, 3).source


def test_a_list_wrt_is_the_tuple():
    def pair(x, y):
        return x * y

    assert grad(pair, wrt=["x", "y"]) is grad(pair, wrt=("x", "y"))
    assert grad(pair, wrt=["x", "y"])(2.0, 3.0) == (3.0, 2.0)
