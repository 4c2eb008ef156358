"""Terminal colours for code: keywords, numbers, strings and comments in ANSI escapes.

A regex pass, not a parser, so it colours Python, the printed IR and DOT alike and never
fails on text that does not tokenize.

>>> highlight("x = 1  # one", PYTHON) == "x = \\x1b[36m1\\x1b[0m  \\x1b[90m# one\\x1b[0m"
True
"""

from __future__ import annotations

import keyword
import re

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
_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")
  | (?P<name>[A-Za-z_]\w*)
  | (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?j?)
""", re.VERBOSE)


def highlight(text: str, keywords: frozenset[str] = PYTHON) -> str:
    """``text`` with ANSI colours; ``keywords`` are the words to show as keywords."""
    out: list[str] = []
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
        out.append(text[last:match.start()])
        out.append(f"{_STYLES[style]}{token}{_RESET}" if style else token)
        last = match.end()
    out.append(text[last:])
    return "".join(out)
