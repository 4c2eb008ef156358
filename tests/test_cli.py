"""The ``s2s-ad`` command line, run as ``python -m s2s_ad.cli`` in subprocesses.

Every command's output is checked by using it: dumped and exported modules are imported by
a fresh Python where s2s_ad cannot be, the DOT is parsed (and rendered when Graphviz is
installed). Bad input must give a short error and the documented exit code:
0 ok, 1 cannot differentiate (or export, render, check), 2 usage error.
"""

import contextlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from s2s_ad import grad
from s2s_ad.cli import SHAPE_GENERIC, main
from s2s_ad.export import ExportError, module_source
from s2s_ad.graph import to_dot
from s2s_ad.highlight import PYTHON, highlight
from s2s_ad.target import TargetError, load_target, parse_wrt

ROOT = Path(__file__).resolve().parents[1]
SEED1 = "examples/worked/log_mul_sin.py:f"
LOSS = "examples/worked/cross_entropy.py:loss"  # loss(h, y): NumPy, and an int index y
Y, DX1, DX2 = 11.652071455223084, 5.5, 1.7163378145367738
ANSI = "\x1b["


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "s2s_ad.cli", *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def run_all(argvs: list[list[str]], cwd: Path = ROOT) -> list[subprocess.CompletedProcess]:
    """Several runs at once: each is mostly interpreter start-up."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda argv: run(*argv, cwd=cwd), argvs))


def load_function(source: str, name: str):
    namespace: dict = {}
    exec(compile(source, "<dumped>", "exec"), namespace)
    return namespace[name]


# --- the commands -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def outputs() -> dict[str, subprocess.CompletedProcess]:
    """One run of each command on seed example 1, started together."""
    both = ["--wrt", "x1,x2"]
    commands = {
        "demo": [],
        "dump": ["dump", SEED1, *both],
        "bare": ["dump", SEED1, *both, "--bare"],
        "dump_value": ["dump", SEED1, "--value", "--wrt", "1", "--no-optimize"],
        "ir": ["ir", SEED1, "--adjoint", *both],
        "stats": ["stats", SEED1, *both],
        "graph": ["graph", SEED1, "--adjoint", *both],
        "check": ["check", SEED1, "--at", "2,5"],
        "color": ["dump", SEED1, *both, "--color"],
    }
    return dict(zip(commands, run_all(list(commands.values()))))


def test_demo_prints_seed_example_1_and_its_gradient(outputs):
    done = outputs["demo"]
    assert done.returncode == 0, done.stderr
    assert "math.log(x1) + x1 * x2 - math.sin(x2)" in done.stdout
    assert "def f_grad(x1, x2):" in done.stdout
    assert f"y      = {Y!r}" in done.stdout
    assert f"dy/dx1 = {DX1!r}" in done.stdout
    assert f"dy/dx2 = {DX2!r}" in done.stdout
    assert ANSI not in done.stdout  # piped: plain


def test_dump_prints_a_module_that_computes_the_gradient(outputs):
    done = outputs["dump"]
    assert done.returncode == 0, done.stderr
    assert "\nimport math\n" in done.stdout  # math code: the same for every argument, so
    assert SHAPE_GENERIC not in done.stdout  # no note
    f_grad = load_function(done.stdout, "f_grad")
    assert f_grad(2.0, 5.0) == pytest.approx((DX1, DX2), rel=1e-12)


def test_dump_bare_prints_the_function_alone(outputs):
    done = outputs["bare"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("def f_grad(x1, x2):")
    f_grad = load_function("import math\n" + done.stdout, "f_grad")
    assert f_grad(2.0, 5.0) == pytest.approx((DX1, DX2), rel=1e-12)


def test_dump_value_wrt_index_unoptimized(outputs):
    done = outputs["dump_value"]
    assert done.returncode == 0, done.stderr
    vg = load_function(done.stdout, "f_value_and_grad")
    value, dx2 = vg(2.0, 5.0)
    assert (value, dx2) == pytest.approx((Y, DX2), rel=1e-12)


def test_ir_shows_function_and_derivative_before_and_after_optimization(outputs):
    done = outputs["ir"]
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "fn f(x1, x2):\n  _t1 = log x1" in text
    assert "# f_grad, before optimization" in text
    assert "# f_grad, after optimization (13 -> 4 ops)" in text
    assert text.index("before optimization") < text.index("after optimization")


def test_stats_counts_ops_by_kind_and_the_cost_ratio(outputs):
    done = outputs["stats"]
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["op", "kind", "f", "f_grad,", "unoptimized", "f_grad,",
                                "optimized"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if line[:1].isalpha()}
    assert rows["total"] == ["5", "13", "4"]
    assert rows["adds"] == ["2", "4", "2"]
    assert rows["cos"] == ["-", "1", "1"]
    assert "cost ratio f_grad/f: 4/5 ops = 0.80" in done.stdout


def test_check_agrees_with_central_differences(outputs):
    done = outputs["check"]
    assert done.returncode == 0, done.stderr
    assert re.search(r"dy/dx1\s+5\.5\s+5\.4999", done.stdout)
    assert "dy/dx2" not in done.stdout  # --wrt: the first parameter by default
    assert done.stdout.splitlines()[-1].startswith("ok: largest relative error")


def test_check_of_a_function_with_an_int_parameter_n(tmp_path, monkeypatch):
    (tmp_path / "series.py").write_text(textwrap.dedent("""
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x ** i
            return s
    """))
    monkeypatch.chdir(tmp_path)
    done = run_in_process(["check", "series.py:f", "--at", "2,3"])
    assert done.returncode == 0, done.stderr + done.stdout
    assert re.search(r"ds/dx\s+5\.0\s", done.stdout)  # d(1 + x + x**2)/dx = 5 at x = 2
    assert "/dn" not in done.stdout
    assert done.stdout.splitlines()[-1].startswith("ok: largest relative error")


def test_check_fails_with_exit_code_1_when_the_tolerance_is_not_met():
    done = run("check", SEED1, "--at", "2,5", "--tol", "0", "--eps", "1e-2")
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1].startswith("FAILED")


def test_colour_only_when_asked_or_on_a_terminal(outputs):
    assert ANSI not in outputs["dump"].stdout
    coloured = outputs["color"].stdout
    assert "\x1b[1;35mdef\x1b[0m" in coloured and "\x1b[36m1.0\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[\d;]*m", "", coloured) == outputs["dump"].stdout


def test_highlight_keeps_the_text():
    source = "def f(x):\n    return 'a' + 1.5e3  # note\n"
    painted = highlight(source, PYTHON)
    assert re.sub(r"\x1b\[[\d;]*m", "", painted) == source
    assert "\x1b[32m'a'\x1b[0m" in painted and "\x1b[90m# note\x1b[0m" in painted


def test_stdin_target_and_python_dash_m_s2s_ad():
    source = "import math\n\ndef g(a, b):\n    return a * math.exp(b)\n"
    done = run("dump", "-", "--wrt", "b", stdin=source)
    assert done.returncode == 0, done.stderr
    assert load_function(done.stdout, "g_grad")(2.0, 0.0) == 2.0
    two = source + "\ndef h(a):\n    return a * a\n"
    picked = subprocess.run([sys.executable, "-m", "s2s_ad", "dump", "-:h"], input=two,
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert picked.returncode == 0, picked.stderr
    assert "def h_grad(a):" in picked.stdout


def test_module_target(tmp_path):
    (tmp_path / "mymodel.py").write_text("def loss(w):\n    return w * w * w\n")
    done = run("dump", "mymodel:loss", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert load_function(done.stdout, "loss_grad")(2.0) == 12.0


H, LABEL = [1.0, 2.0, 0.5], 1  # a point for LOSS


def test_dumped_modules_run_in_a_fresh_python(tmp_path):
    """What dump prints is pasted into a file and imported by a Python without s2s_ad."""
    dumps = {"seed1": ["dump", SEED1, "--wrt", "x1,x2"],
             "loss_generic": ["dump", LOSS],
             "loss_like": ["dump", LOSS, "--like", "(3,), 0"]}
    done = run_all([argv + ["--no-color"] for argv in dumps.values()])
    assert [d.returncode for d in done] == [0] * len(dumps), [d.stderr for d in done]
    for name, d in zip(dumps, done):
        (tmp_path / f"{name}.py").write_text(d.stdout)
    script = _HIDE_S2S_AD.format(folder=str(tmp_path)) + textwrap.dedent(f"""
        import json
        import numpy as np
        import seed1, loss_generic, loss_like
        h = np.array({H!r})
        print(json.dumps([list(seed1.f_grad(2.0, 5.0)),
                          loss_generic.loss_grad(h, {LABEL}).tolist(),
                          loss_like.loss_grad(h, {LABEL}).tolist()]))
    """)
    used = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert used.returncode == 0, used.stderr
    seed1, generic, like = json.loads(used.stdout)
    assert seed1 == pytest.approx([DX1, DX2], rel=1e-12)
    expected = grad(load_target(str(ROOT / LOSS)).fn)(np.array(H), LABEL)
    assert generic == pytest.approx(expected.tolist(), rel=1e-12)
    assert like == pytest.approx(expected.tolist(), rel=1e-12)


SHAPED = [  # (command, does it print code whose first line is a comment?)
    (["dump"], True), (["dump", "--bare"], True), (["export"], True),
    (["dump", "--mode", "forward"], True), (["ir", "--adjoint"], True), (["stats"], True),
    (["graph", "--adjoint"], False),  # in the graph's title
]


@pytest.mark.parametrize("argv, first", SHAPED, ids=[" ".join(a) for a, _ in SHAPED])
def test_numpy_output_is_shape_generic_unless_at_or_like_give_arguments(argv, first,
                                                                         monkeypatch):
    monkeypatch.chdir(ROOT)
    generic, at, like = (run_in_process([*argv, LOSS, "--no-color", *example]) for example in
                         ([], ["--at", f"{H}, {LABEL}"], ["--like", "(3,), 0"]))
    for done in (generic, at, like):
        assert done.returncode == 0, done.stderr
    assert SHAPE_GENERIC in generic.stdout
    assert SHAPE_GENERIC not in at.stdout and SHAPE_GENERIC not in like.stdout
    assert "specialized to the types and shapes of --like (3,), 0" in like.stdout
    if first:
        assert generic.stdout.startswith(f"# {SHAPE_GENERIC}\n")
        assert at.stdout.startswith(f"# specialized to the types and shapes of --at {H}")
        # the same types and shapes: the same code, which is not the shape-generic code
        code = [done.stdout.split("\n", 1)[1] for done in (generic, at, like)]
        assert code[1] == code[2] != code[0]


def test_code_for_numbers_is_printed_without_a_note(monkeypatch):
    monkeypatch.chdir(ROOT)
    plain, at = (run_in_process(["dump", SEED1, "--bare", *example])
                 for example in ([], ["--at", "2,5"]))
    assert plain.stdout == at.stdout
    assert plain.stdout.startswith("def f_grad(x1, x2):")


# --- graph --------------------------------------------------------------------------------
_DOT_LINE = re.compile(r"""
    (?P<attr>(graph|node|edge)\ \[.*\];|(label|style|color|labelloc)=.*;)
  | (?P<edge>(?P<a>\w+)\ ->\ (?P<b>\w+)(\ \[.*\])?;)
  | (?P<node>(?P<n>\w+)\ \[.*\];)
  | (?P<open>(digraph\ \w+|subgraph\ cluster_\d+)\ \{)
  | (?P<close>\})
""", re.VERBOSE)


def parse_dot(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Nodes (id -> attributes) and edges of our DOT subset; fails on anything else."""
    nodes: dict[str, str] = {}
    edges = []
    depth = 0
    for line in text.splitlines():
        match = _DOT_LINE.fullmatch(line.strip())
        assert match, f"not DOT: {line!r}"
        if match["edge"]:
            edges.append((match["a"], match["b"]))
        elif match["node"]:
            nodes[match["n"]] = nodes.get(match["n"], "") + line
        depth += bool(match["open"]) - bool(match["close"])
        assert depth >= 0
    assert depth == 0, "unbalanced braces"
    assert all(a in nodes and b in nodes for a, b in edges), "an edge to an undeclared node"
    return nodes, edges


def test_graph_dot_is_the_extended_graph(outputs, tmp_path):
    done = outputs["graph"]
    assert done.returncode == 0, done.stderr
    nodes, edges = parse_dot(done.stdout)
    forward = [n for n, attrs in nodes.items() if "#dae8fc" in attrs]  # blue
    adjoint = [n for n, attrs in nodes.items() if "#f8cecc" in attrs]  # red
    labels = {n: re.search(r'label="([^"]*)"', a)[1] for n, a in nodes.items()}
    assert sorted(labels[n] for n in forward) == sorted(
        ["_t1 = log", "_t2 = ×", "_t3 = +", "_t4 = sin", "y = −"])
    assert sorted(labels[n] for n in adjoint) == sorted(
        ["_t5 = cos", "dx2 = −", "_t6 = ÷", "dx1 = +"])
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: DOT parsed, rendering skipped")
    svg = tmp_path / "graph.svg"
    rendered = run("graph", SEED1, "--adjoint", "-o", str(svg))
    assert rendered.returncode == 0, rendered.stderr
    assert "<svg" in svg.read_text()


def test_graph_of_control_flow_parses(tmp_path):
    (tmp_path / "flow.py").write_text(textwrap.dedent("""
        def f(x, n):
            s = 0.0
            for i in range(n):
                if x > 0:
                    s = s + x * i
                else:
                    s = s - x
            return s
    """))
    from s2s_ad.target import load_target

    fn = load_target(str(tmp_path / "flow.py") + ":f").fn
    g = grad(fn, wrt="x")
    nodes, _ = parse_dot(to_dot(g.__s2s__.unoptimized, g.__s2s__.primal))
    assert any("#f8cecc" in a for a in nodes.values())
    assert "subgraph cluster_" in to_dot(g.__s2s__.primal)


def test_graph_without_dot_says_how_to_install_it(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no dot on this PATH
    done = subprocess.run([sys.executable, "-m", "s2s_ad.cli", "graph", SEED1, "-o",
                           str(tmp_path / "g.png")], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 1
    assert "apt-get install graphviz" in done.stderr and len(done.stderr.splitlines()) == 1


# --- export -------------------------------------------------------------------------------
_HIDE_S2S_AD = """
import sys

class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "s2s_ad" or name.startswith("s2s_ad."):
            raise ImportError("s2s_ad is hidden in this test")

sys.meta_path.insert(0, _Hide())
sys.path.insert(0, {folder!r})
try:
    import s2s_ad
except ImportError:
    pass
else:
    raise SystemExit("s2s_ad is still importable")
"""


def test_export_runs_without_s2s_ad_and_pickles(tmp_path):
    out = tmp_path / "grad_f.py"
    # seed 6: the adjoint of a dict needs s2s_ad's runtime helpers, copied into the module
    (tmp_path / "pets.py").write_text("def f(d):\n    b = d['cat']\n    return b * b\n")
    done = run_all([["export", SEED1, "--wrt", "x1,x2", "-o", str(out)],
                    ["export", f"{tmp_path}/pets.py:f", "-o", str(tmp_path / "grad_pets.py")]])
    assert [d.returncode for d in done] == [0, 0], [d.stderr for d in done]
    (tmp_path / "pets.py").unlink()
    script = _HIDE_S2S_AD.format(folder=str(tmp_path)) + textwrap.dedent("""
        import pickle
        import grad_f, grad_pets
        g = pickle.loads(pickle.dumps(grad_f.f_grad))
        assert g is grad_f.f_grad
        print(repr(g(2.0, 5.0)))
        print(grad_pets.f_grad({"cat": 3.0, "dog": 1.0}))
        try:  # where the derivative is infinite: Python's own error (s2s_ad's needs s2s_ad)
            grad_f.f_grad(0.0, 5.0)
        except ZeroDivisionError as error:
            print(type(error).__name__)
        assert not any(m.startswith("s2s_ad") for m in sys.modules)
    """)
    used = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert used.returncode == 0, used.stderr
    assert used.stdout.splitlines() == [repr((DX1, DX2)), "{'cat': 6.0, 'dog': 0.0}",
                                        "ZeroDivisionError"]


def _generated(source: str, name: str, **globals_):
    """A function shaped like s2s_ad's output (source, globals) for export tests."""
    namespace = {"__name__": "s2s_ad.generated", **globals_}
    exec(compile(source, "<gen>", "exec"), namespace)
    fn = namespace[name]
    fn.source = source
    return fn


def test_export_writes_constants_numpy_arrays_and_imports(tmp_path):
    g = _generated("def f_grad(x):\n    return np.sum(W * x) * SCALE + top - neg_inf\n",
                   "f_grad", np=np, W=np.array([[1.5, -2.0]]), SCALE=np.float64(0.5),
                   top=float("inf"), neg_inf=-math.inf, sqrt=math.sqrt)
    text = module_source(g, origin="test")
    assert "import numpy as np" in text
    assert "W = np.array([[1.5, -2.0]], dtype='float64')" in text
    assert "SCALE = np.float64(0.5)" in text
    assert 'top = float("inf")' in text and 'neg_inf = float("-inf")' in text
    assert "from math import sqrt" in text
    namespace: dict = {}
    exec(compile(text, "grad_module.py", "exec"), namespace)
    assert namespace["f_grad"](1.0) == g(1.0)


def test_export_refuses_objects_that_are_not_source():
    class Table:
        pass

    g = _generated("def f_grad(x):\n    return x\n", "f_grad", table=Table())
    with pytest.raises(ExportError, match="'table', a Table that cannot be written"):
        module_source(g)


# --- bad input ----------------------------------------------------------------------------
BAD_INPUT = [  # (argv, exit code, start of the error, run in a subprocess?)
    (["dump", "examples/missing.py:f"], 2, "s2s-ad: error: no such file", True),
    (["dump", "examples/worked/log_mul_sin.py:g"], 2, "s2s-ad: error: examples/worked/log_mul"
                                                     "_sin.py has no function 'g'", True),
    (["dump", SEED1, "--wrt", "x3"], 2, "s2s-ad: error: --wrt x3: wrt names 'x3'", True),
    (["dump", "{tmp}/broken.py:f"], 2, "s2s-ad: error: {tmp}/broken.py:2:", True),
    (["dump", "{tmp}/guarded.py:f"], 1, "{tmp}/guarded.py:3:5: cannot differentiate a try", True),
    (["check", SEED1, "--at", "2,5", "--mode", "forward"], 2,
     "s2s-ad: error: check compares the gradient", True),
    (["dump", SEED1, "--wrt", "7"], 2, "s2s-ad: error: --wrt 7: wrt index 7 is out of range",
     False),
    (["dump", SEED1, "--wrt", "x1+1"], 2, "s2s-ad: error: --wrt 'x1+1'", False),
    (["dump", "examples/worked/log_mul_sin.py"], 2, "s2s-ad: error: name the function in", False),
    (["dump", "no_such_module:f"], 2, "s2s-ad: error: no module named 'no_such_module'", False),
    (["dump", "math:sin"], 2, "s2s-ad: error: math:sin is a builtin_function_or_method", False),
    (["check", SEED1, "--at", "2"], 2, "s2s-ad: error: --at 2: f(x1, x2) takes 2 arguments",
     False),
    (["check", SEED1, "--at=-2,5"], 1, "s2s-ad: error: evaluating f at (-2.0, 5) failed: "
                                       "ValueError: math domain error", False),
    (["stats", SEED1, "--at", "2"], 2, "s2s-ad: error: --at 2: f(x1, x2) takes 2 arguments",
     False),
    (["dump", LOSS, "--like", "(-3,), 0"], 2, "s2s-ad: error: --like: (-3,) is not an array "
                                              "shape", False),
    (["dump", LOSS, "--at", "[1.0, 2.0], 'a'", "--wrt", "y"], 2,
     "s2s-ad: error: --at: the value of y must be a number", False),
    (["graph", SEED1, "-o", "graph.jpg"], 2, "s2s-ad: error: cannot write a graph as 'graph.jpg'",
     False),
]


def run_in_process(argv: list[str]) -> subprocess.CompletedProcess:
    """``main(argv)`` with its output captured, shaped like a subprocess result."""
    out, err = io.StringIO(), io.StringIO()
    path = list(sys.path)  # main() puts the target's folder first, as python would
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        sys.path[:] = path
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory) -> list[tuple[subprocess.CompletedProcess, str]]:
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "broken.py").write_text("def f(x):\n    return x +\n")
    (tmp / "guarded.py").write_text(
        "def f(x):\n    y = x\n    try:\n        y = x * x\n    except ValueError:\n"
        "        pass\n    return y\n")
    argvs = [[a.format(tmp=tmp) for a in argv] for argv, _, _, _ in BAD_INPUT]
    separate = run_all([argv for argv, case in zip(argvs, BAD_INPUT) if case[3]])
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        runs = [separate.pop(0) if case[3] else run_in_process(argv)
                for argv, case in zip(argvs, BAD_INPUT)]
    finally:
        os.chdir(cwd)
    return [(done, str(tmp)) for done in runs]


@pytest.mark.parametrize("case", range(len(BAD_INPUT)),
                         ids=[" ".join(argv[:3]) for argv, _, _, _ in BAD_INPUT])
def test_bad_input_gives_a_short_error_and_the_exit_code(case, bad_runs):
    argv, code, start, _ = BAD_INPUT[case]
    done, tmp = bad_runs[case]
    assert (done.returncode, done.stdout) == (code, ""), done.stderr
    assert done.stderr.startswith(start.format(tmp=tmp)), done.stderr
    assert "Traceback" not in done.stderr
    if done.stderr.startswith("s2s-ad: error:"):
        assert len(done.stderr.splitlines()) == 1, done.stderr
    else:  # a DifferentiationError: location line, source line, caret, hint, stage
        assert done.stderr.splitlines()[2].strip().startswith("^")


def test_traceback_on_request(monkeypatch):
    monkeypatch.chdir(ROOT)
    plain = run_in_process(["check", SEED1, "--at=-2,5"])
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    traced = run_in_process(["check", SEED1, "--at=-2,5", "--traceback"])
    assert traced.returncode == 1
    assert "Traceback" in traced.stderr and "math domain error" in traced.stderr


def test_parse_wrt():
    assert parse_wrt("x1,x2") == ("x1", "x2")
    assert parse_wrt(" 0 , y ") == (0, "y")
    assert parse_wrt("-1") == -1
    assert parse_wrt(None) is None
    with pytest.raises(TargetError):
        parse_wrt("x,")


def test_forward_mode_and_second_order_dump():
    forward = run("dump", SEED1, "--mode", "forward", "--wrt", "x1", "--no-color")
    assert forward.returncode == 0, forward.stderr
    namespace = {"math": math}
    exec(forward.stdout, namespace)
    assert namespace["f_jvp"](2.0, 5.0, 1.0) == pytest.approx((11.652071455223084, 5.5))
    second = run("dump", SEED1, "--order", "2", "--wrt", "x1,x2", "--no-color")
    assert second.returncode == 0, second.stderr
    exec(second.stdout, namespace)
    # d2/dx1^2 = -1/x1^2, d2/dx1dx2 = 1, d2/dx2^2 = sin(x2)
    rows = namespace["f_hessian"](2.0, 5.0)
    assert rows[0] == pytest.approx((-0.25, 1.0))
    assert rows[1] == pytest.approx((1.0, math.sin(5.0)))
