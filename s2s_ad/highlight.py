"""Colours for code: ANSI escapes for a terminal, HTML spans for a notebook. Keywords,
numbers, strings and comments.

A regex pass, not a parser, so it colours Python, the printed IR and DOT alike and never
fails on text that does not tokenize.

>>> highlight("x = 1  # one", PYTHON) == "x = \\x1b[36m1\\x1b[0m  \\x1b[90m# one\\x1b[0m"
True
>>> highlight_html("a < 1", PYTHON)
'a &lt; <span style="color:#098658">1</span>'
"""

from __future__ import annotations

import html
import keyword
import os
import re
from collections.abc import Iterator
from typing import TextIO

PYTHON = frozenset(keyword.kwlist)
IR = frozenset({"fn", "return", "yield", "if", "for", "while"})
DOT = frozenset({"digraph", "graph", "subgraph", "node", "edge", "strict"})
_DEFINERS = frozenset({"def", "fn", "class", "digraph", "subgraph"})

_RESET = "\x1b[0m"
_STYLES = {
    "comment": "\x1b[90m",  # grey
    "string": "\x1b[32m",  # green
    "number": "\x1b[36m",  # cyan
    "keyword": "\x1b[1;35m",  # bold magenta
    "defined": "\x1b[1;34m",  # bold blue: the name after def / fn
}
# the same kinds in CSS, readable on a light and on a dark notebook theme
_CSS = {
    "comment": "color:#808080",
    "string": "color:#2e9949",
    "number": "color:#098658",
    "keyword": "color:#af00db;font-weight:bold",
    "defined": "color:#2f6fd6;font-weight:bold",
}
_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")
  | (?P<name>[A-Za-z_]\w*)
  | (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?j?)
""", re.VERBOSE)


def highlight(text: str, keywords: frozenset[str] = PYTHON) -> str:
    """``text`` with ANSI colours; ``keywords`` are the words to show as keywords."""
    return "".join(f"{_STYLES[style]}{piece}{_RESET}" if style else piece
                   for style, piece in _pieces(text, keywords))


def highlight_html(text: str, keywords: frozenset[str] = PYTHON) -> str:
    """``text`` escaped for HTML, its tokens in ``<span style=...>`` (no stylesheet needed:
    a notebook shows it as it is)."""
    return "".join(f'<span style="{_CSS[style]}">{html.escape(piece)}</span>' if style
                   else html.escape(piece) for style, piece in _pieces(text, keywords))


def wants_colour(stream: TextIO) -> bool:
    """Colour for ``stream``: a terminal, unless ``NO_COLOR`` is set or ``TERM=dumb``."""
    isatty = getattr(stream, "isatty", None)
    return (isatty is not None and isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


def _pieces(text: str, keywords: frozenset[str]) -> Iterator[tuple[str, str]]:
    """``text`` cut into ``(style, piece)``: a style of ``_STYLES``, or "" for plain text."""
    last = 0
    after_definer = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or ""
        token = match.group()
        style = kind
        if kind == "name":
            if after_definer:
                style = "defined"
            elif token in keywords:
                style = "keyword"
            else:
                style = ""
            after_definer = token in _DEFINERS and token in keywords
        else:
            after_definer = False
        yield "", text[last:match.start()]
        yield style, token
        last = match.end()
    yield "", text[last:]
