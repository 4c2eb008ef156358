"""Python ``ast`` -> source text. The only module that imports ``astor``."""

from __future__ import annotations

import ast

import astor


def to_source(tree: ast.AST) -> str:
    # astor's default pretty-printer breaks long lines at odd places (``math\n.cos``);
    # the inliner keeps expressions short, so lines stay as written.
    return astor.to_source(tree, pretty_source="".join)
