"""A generated function shows its code: in a notebook through IPython's display formatter
(``_repr_html_``, ``_repr_markdown_``) and in a terminal through ``s2s_ad.show``."""

import html
import io
import math
import re

import numpy as np
import pytest

import s2s_ad


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def relu_square(x):
    if x < 0.0:
        return 0.0 * x
    return x * x


def loss(w, X):
    return np.sum(np.tanh(X @ w) ** 2)


F_SOURCE = """\
def f_grad(x1, x2):
    dx2 = x1 - math.cos(x2)
    dx1 = 1.0 / x1 + x2
    return dx1, dx2
"""
OPTIMIZED = "optimized:   4 ops (adds 2, cos 1, divisions 1)"


def _counts(g):
    """``g``'s op counts as ``show`` prints them: comments."""
    assert OPTIMIZED in str(g.stats)
    return "".join(f"# {line}\n" for line in str(g.stats).splitlines())


def _formatted(g):
    IPython = pytest.importorskip("IPython")
    data, metadata = IPython.core.formatters.DisplayFormatter().format(g)
    return data


def _text(markup):
    """What a browser shows of ``markup``: no tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def test_notebook_shows_highlighted_source_with_ir_and_counts_one_click_away():
    g = s2s_ad.grad(f, wrt=("x1", "x2"))
    assert g.source == F_SOURCE
    data = _formatted(g)
    page = data["text/html"]
    shown = _text(page)
    for line in F_SOURCE.splitlines():
        assert line in shown
    assert '<span style="color:#098658">1.0</span>' in page  # highlighted, not plain text
    details = page[page.index("<details>"):page.index("</details>")]
    before = g.stats.unoptimized.total
    assert f"<summary>IR and op counts: 4 ops ({before} before optimizing)</summary>" in details
    for line in str(g.ir).splitlines() + str(g.stats).splitlines():
        assert line in _text(details)


def test_notebook_html_escapes_the_source():
    page = _formatted(s2s_ad.grad(relu_square))["text/html"]
    assert "if</span> x &lt; <span" in page
    assert " < " not in page
    assert "if x < 0.0:" in _text(page)


def test_notebook_markdown_is_a_python_fence_and_the_counts():
    g = s2s_ad.grad(f, wrt=("x1", "x2"))
    markdown = _formatted(g)["text/markdown"]
    assert markdown.startswith("```python\n" + F_SOURCE + "```\n")
    assert "- optimized: 4 ops (adds 2, cos 1, divisions 1)" in markdown
    assert "- function: 5 ops (adds 2, log 1, multiplies 1, sin 1)" in markdown


def test_notebook_shows_a_dispatcher_and_its_specializations():
    g = s2s_ad.grad(loss)
    before = _formatted(g)["text/markdown"]
    assert before.startswith("*shape-generic code: ")
    assert "(none built yet)" in before
    assert before.count("```python\n") == 1
    g(np.ones(3), np.ones((4, 3)))
    data = _formatted(g)
    specialized = g.specializations[next(iter(g.specializations))]
    markdown = data["text/markdown"]
    assert "(1 built so far)" in markdown
    assert markdown.count("```python\n") == 2
    assert "*specialized to w: float64\\[3\\], X: float64\\[4,3\\]*" in markdown
    assert "```python\n" + specialized.source + "```" in markdown
    shown = _text(data["text/html"])
    assert "specialized to w: float64[3], X: float64[4,3]" in shown
    for line in (g.source + specialized.source).splitlines():
        assert line in shown
    assert "dw = X.T @" in shown


def test_show_prints_plain_source_and_counts(capsys):
    g = s2s_ad.grad(f, wrt=("x1", "x2"))
    s2s_ad.show(g)
    assert capsys.readouterr().out == F_SOURCE + "\n" + _counts(g)


def test_show_ir(capsys):
    g = s2s_ad.grad(f, wrt=("x1", "x2"))
    s2s_ad.show(g, ir=True)
    assert capsys.readouterr().out == F_SOURCE + "\n" + f"{g.ir}\n" + "\n" + _counts(g)


def test_show_a_dispatcher(capsys):
    g = s2s_ad.grad(loss)
    g(np.ones(3), np.ones((4, 3)))
    g(np.ones(2), np.ones((5, 2)))
    s2s_ad.show(g)
    out = capsys.readouterr().out
    assert out.startswith("# shape-generic code: ")
    assert "(2 built so far)\n" + g.source in out
    for fn in g.specializations.values():
        assert fn.source in out
    assert "# specialized to w: float64[3], X: float64[4,3]\ndef loss_grad(w, X):\n" in out
    assert "# specialized to w: float64[2], X: float64[5,2]\n" in out
    assert out.count("# optimized:") == 3
    assert "\x1b[" not in out


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_show_colours_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    g = s2s_ad.grad(f, wrt=("x1", "x2"))
    terminal = _Terminal()
    s2s_ad.show(g, file=terminal)
    out = terminal.getvalue()
    assert "\x1b[1;35mdef\x1b[0m \x1b[1;34mf_grad\x1b[0m(x1, x2):" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == F_SOURCE + "\n" + _counts(g)
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = _Terminal()
    s2s_ad.show(g, file=terminal)
    assert terminal.getvalue() == F_SOURCE + "\n" + _counts(g)


def test_specializations_name_every_argument(capsys):
    def f(x, y):
        return np.sum(x * y)

    g = s2s_ad.jvp(f)  # (x, y, dx): the tangent is an argument too
    g(np.ones(2), np.ones(2), np.ones(2, dtype=np.float32))
    s2s_ad.show(g)
    assert "# specialized to x: float64[2], y: float64[2], dx: float32[2]\n" in (
        capsys.readouterr().out)


def test_show_takes_only_generated_functions():
    with pytest.raises(TypeError, match="show takes a function generated by s2s_ad"):
        s2s_ad.show(f)
