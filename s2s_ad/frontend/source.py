"""Find and parse a function's source, and map AST nodes back to ``file:line:col``."""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from dataclasses import dataclass

from ..errors import Loc, NoSourceError, UnsupportedSyntaxError


@dataclass(slots=True)
class Source:
    """A parsed function: its ``def`` (or ``lambda``) node and where it lives."""

    node: ast.FunctionDef | ast.Lambda
    file: str
    lines: list[str]  # the function's raw source lines, as in the file
    first_line: int  # file line of lines[0]
    indent: int  # columns removed by dedenting

    def loc(self, node: ast.AST) -> Loc:
        lineno = getattr(node, "lineno", self.node.lineno)
        col = getattr(node, "col_offset", 0) + self.indent
        end_line = getattr(node, "end_lineno", lineno)
        end_col = getattr(node, "end_col_offset", None)
        text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        if end_col is None or end_line != lineno:
            end_col_abs = len(text.rstrip("\n"))
        else:
            end_col_abs = end_col + self.indent
        return Loc(self.file, self.first_line + lineno - 1, col, end_col_abs, text)


def parse_function(fn: types.FunctionType) -> Source:
    """Parse ``fn``'s source (through linecache, so notebook cells work too)."""
    name = getattr(fn, "__qualname__", repr(fn))
    try:
        lines, first_line = inspect.getsourcelines(fn)
        file = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise NoSourceError(
            f"cannot read the source of {name!r}",
            hint="define the function in a file or a notebook cell (a plain REPL keeps no "
                 "source), or register a rule for it with s2s_ad.defvjp",
        ) from exc
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    first = lines[0]
    indent = len(first) - len(first.lstrip()) if dedented != text else 0
    try:
        module = ast.parse(dedented)
    except SyntaxError:
        module = None
    node = _find_def(module, fn) if module is not None else None
    if node is None and fn.__name__ == "<lambda>":
        node = _find_lambda(lines, fn)
        indent = len(first) - len(first.lstrip())  # its first line is parsed stripped
    if node is None:
        raise NoSourceError(f"cannot locate the definition of {name!r} in its source",
                            hint="define it with `def` on its own lines")
    return Source(node, file, lines, max(first_line, 1), indent)


def _find_def(module: ast.Module, fn: types.FunctionType) -> ast.FunctionDef | None:
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == fn.__name__:
            return node
        if isinstance(node, ast.AsyncFunctionDef):
            raise UnsupportedSyntaxError(
                f"cannot differentiate the async function {fn.__name__!r}",
                hint="differentiate a plain `def` function")
    return None


def _find_lambda(lines: list[str], fn: types.FunctionType) -> ast.Lambda | None:
    """The one lambda on ``fn``'s source line(s) with ``fn``'s parameters."""
    text = textwrap.dedent("".join(lines)).strip()
    # The lines may hold a fragment (``f = grad(lambda x: x*x,``): trim until it parses.
    for end in range(len(text), 0, -1):
        try:
            tree = ast.parse(text[:end])
            break
        except SyntaxError:
            continue
    else:
        return None
    code = fn.__code__
    wanted = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
             and tuple(a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs)
             == wanted]
    if len(found) != 1:
        return None
    return found[0]
