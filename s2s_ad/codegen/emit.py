"""Python ``ast`` -> source text. The only module that imports ``astor``.

``printer.to_source`` writes astor's text for the trees codegen builds, several times faster;
a tree it does not know goes to astor. With ``S2S_AD_CHECK_PRINTER=1`` in the environment
every tree goes to both and a difference raises (the tests of the printer set ``CHECK``).
"""

from __future__ import annotations

import ast
import os

import astor

from . import printer

CHECK = os.environ.get("S2S_AD_CHECK_PRINTER") == "1"


def to_source(tree: ast.AST) -> str:
    try:
        text = printer.to_source(tree)  # type: ignore[arg-type]
    except printer.Unsupported:
        return astor_source(tree)
    if CHECK:
        expected = astor_source(tree)
        if text != expected:
            raise AssertionError(f"printer and astor differ:\n{text}\n---- astor:\n{expected}")
    return text


def astor_source(tree: ast.AST) -> str:
    # astor's default pretty-printer breaks long lines at odd places (``math\n.cos``);
    # the inliner keeps expressions short, so lines stay as written.
    return astor.to_source(tree, pretty_source="".join)
