"""Hygiene: generated names never collide, deep and long programs transform, sources from
notebook cells work, and nothing the user passes in is modified."""

import importlib.util
import linecache
import math
import os

import pytest

import s2s_ad
from s2s_ad.numeric import numerical_grad, relative_error


def _module_from_source(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_expression_nested_as_deep_as_python_allows(tmp_path):
    expr = "x"
    for _ in range(190):  # Python's parser stops at 200 nested parentheses
        expr = f"({expr} * 1.01 + math.sin(x))"
    module = _module_from_source(tmp_path, "deep", f"import math\ndef f(x):\n    return {expr}\n")
    got = s2s_ad.grad(module.f)(0.3)
    assert relative_error(got, numerical_grad(module.f, (0.3,), method="richardson")) < 1e-8


def test_calls_nested_as_deep_as_python_allows(tmp_path):
    """bench/long_program.py's nesting: a call and two operators a level, three frames of
    lowering each; 190 levels took more stack than Python's default limit leaves."""
    expr = "x"
    for i in range(190):
        expr = f"math.sin({expr} * 0.9 + {i % 5}e-3)" if i % 2 else f"({expr} * 1.001 - 0.01)"
    source = f"import math\ndef f(x):\n    return {expr}\n"
    module = _module_from_source(tmp_path, "deep_calls", source)
    got = s2s_ad.grad(module.f)(0.3)
    assert relative_error(got, numerical_grad(module.f, (0.3,), method="richardson")) < 1e-8


def test_a_sum_of_a_thousand_terms(tmp_path):
    terms = " + ".join(f"math.sin({k}.0 * x)" for k in range(1, 900))
    module = _module_from_source(tmp_path, "chain", f"import math\ndef f(x):\n    return {terms}\n")
    got = s2s_ad.grad(module.f)(0.3)
    assert got == pytest.approx(sum(k * math.cos(k * 0.3) for k in range(1, 900)), rel=1e-9)


def test_long_unary_chain():
    def f(x):
        return ----------------------------------------------------------------x * x  # noqa: B002

    assert s2s_ad.grad(f)(1.5) == 3.0


@pytest.mark.slow
def test_long_straight_line_program(tmp_path):
    lines = ["def f(x):", "    y = x"]
    lines += [f"    y = y * 0.999 + math.sin(y) * {i % 7}e-4" for i in range(2000)]
    lines.append("    return y")
    module = _module_from_source(tmp_path, "long", "import math\n" + "\n".join(lines) + "\n")
    got = s2s_ad.grad(module.f)(0.4)
    assert relative_error(got, numerical_grad(module.f, (0.4,), method="richardson")) < 1e-7


_t1 = 2.0  # a global named like our temporaries


def uses_our_names(x, zeros_like, like, add_at, _t2):
    tape = x * _t1
    for range_ in (zeros_like, like):
        tape = tape + range_ * add_at
    return tape * _t2


def test_names_like_ours_do_not_collide():
    args = (1.5, 2.0, 3.0, 0.5, 4.0)
    got = s2s_ad.grad(uses_our_names, wrt=(0, 1, 2, 3, 4))(*args)
    expected = numerical_grad(uses_our_names, args, wrt=(0, 1, 2, 3, 4))
    assert all(relative_error(a, b) < 1e-8 for a, b in zip(got, expected))


def test_locals_named_like_the_builtins_the_code_uses():
    def f(xs, range, reversed, len):
        total = 0.0
        for x in xs:  # the gradient loops with range/reversed/len of its own
            total = total + x * range * reversed * len
        return total

    g = s2s_ad.grad(f, wrt=(0, 1))([1.0, 2.0], 2.0, 3.0, 4.0)
    assert g == ([24.0, 24.0], 36.0)


abs = math.fabs  # noqa: A001  (a module global shadowing a builtin, on purpose)


def shadowed_abs(x):
    return abs(x) * x


def test_a_global_shadowing_a_builtin_is_what_the_code_calls():
    g = s2s_ad.grad(shadowed_abs)
    assert g(-2.0) == pytest.approx(4.0)  # d/dx |x| x = 2|x| sign... = -2x at x < 0
    assert "fabs" in g.source


def test_function_from_a_notebook_cell():
    source = "def cell_f(x):\n    return x ** 3\n"
    filename = "<ipython-input-7-0123456789ab>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    assert s2s_ad.grad(namespace["cell_f"])(2.0) == 12.0


def test_arguments_are_never_modified():
    d = {"a": [1.0, 2.0], "b": (3.0,)}
    snapshot = {"a": [1.0, 2.0], "b": (3.0,)}

    def f(p):
        return p["a"][0] * p["a"][1] + p["b"][0] ** 2

    g = s2s_ad.grad(f)(d)
    assert d == snapshot
    assert g == {"a": [2.0, 1.0], "b": (6.0,)}


def test_the_original_function_is_untouched():
    def f(x):
        return math.sin(x)

    code, defaults = f.__code__, f.__defaults__
    s2s_ad.grad(f)
    s2s_ad.hessian(f)
    assert f.__code__ is code and f.__defaults__ is defaults and f(0.5) == math.sin(0.5)


def test_the_package_says_it_is_typed():
    """PEP 561: type checkers read s2s_ad's annotations only when ``py.typed`` ships with it
    (pyproject.toml's package-data puts it in the wheel)."""
    assert os.path.isfile(os.path.join(os.path.dirname(s2s_ad.__file__), "py.typed"))


def _package_imports():
    """``{module: modules of the package it imports}``, from the source (every import, also
    those inside functions; not those for type annotations only), as dotted names."""
    import ast
    import pathlib

    root = pathlib.Path(s2s_ad.__file__).parent
    graph = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if parts[-1] == "__init__" else name.rpartition(".")[0]
        found = set()
        nodes = [ast.parse(path.read_text())]
        while nodes:
            node = nodes.pop()
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                continue  # for annotations only: not an import when it runs
            nodes.extend(ast.iter_child_nodes(node))
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("s2s_ad"))
        graph[name] = found
    return {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}


def test_the_optimizer_and_codegen_import_no_transform():
    """A stage never imports a later one: the passes and codegen work on any IR, and what
    they need to know of values comes from s2s_ad/analysis."""
    graph = _package_imports()
    offending = sorted((m, t) for m, targets in graph.items() for t in targets
                       if m.startswith(("s2s_ad.optimize", "s2s_ad.codegen", "s2s_ad.ir",
                                        "s2s_ad.frontend", "s2s_ad.analysis",
                                        "s2s_ad.primitives"))
                       and t.startswith(("s2s_ad.transforms", "s2s_ad.api", "s2s_ad.staging")))
    assert not offending, offending


def test_the_transforms_import_no_cycle():
    """``reverse`` and ``tape`` used to import each other (one of them inside a function)."""
    graph = _package_imports()
    transforms = {m: {t for t in ts if t.startswith("s2s_ad.transforms.")}
                  for m, ts in graph.items() if m.startswith("s2s_ad.transforms.")}
    for start in transforms:
        stack, seen = list(transforms[start]), set()
        while stack:
            m = stack.pop()
            assert m != start, f"{start} imports itself through {sorted(seen)}"
            if m not in seen:
                seen.add(m)
                stack.extend(transforms.get(m, ()))
