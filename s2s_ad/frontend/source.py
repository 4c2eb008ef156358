"""Find and parse a function's source, and map AST nodes back to ``file:line:col``."""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import Loc, NoSourceError, UnsupportedSyntaxError


@dataclass(slots=True)
class Source:
    """A parsed function: its ``def`` (or ``lambda``) node and where it lives."""

    node: ast.FunctionDef | ast.Lambda
    file: str
    lines: list[str]  # the function's raw source lines, as in the file
    first_line: int  # file line of lines[0]
    indent: int  # columns removed by dedenting
    # id(node) -> child_nodes(node), for the nodes of the body once fence() has walked them
    # (the walks after it ask again; the tree does not change after fence)
    children: dict[int, list[ast.AST]] = field(default_factory=dict)

    def loc(self, node: ast.AST) -> Loc:
        try:  # (a parsed node has all four)
            lineno, col = node.lineno, node.col_offset + self.indent  # type: ignore[attr-defined]
            end_line, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
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


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))`` without the ``ctx`` of a name (``Load()``,
    ``Store()``: nothing here looks at it as a node), in a third of the time."""
    fields = _CHILD_FIELDS.get(node.__class__)
    if fields is None:
        fields = _CHILD_FIELDS[node.__class__] = tuple(
            name for name in node._fields if name != "ctx")
    children: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            children += [item for item in value if isinstance(item, AST)]
        elif isinstance(value, AST):
            children.append(value)
    return children


AST = ast.AST
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # node type -> its fields but ``ctx``
# the node types whose child_nodes() is empty: names, constants (a parse holds no node in
# one's value) and operators (``ast.Add()``, ``ast.Load()``: no fields)
NO_CHILDREN = frozenset({ast.Name, ast.Constant, *(
    kind for kind in vars(ast).values()
    if isinstance(kind, type) and issubclass(kind, ast.AST) and kind._fields == ())})


def parse_function(fn: types.FunctionType) -> Source:
    """Parse ``fn``'s source (through linecache, so notebook cells work too)."""
    name = getattr(fn, "__qualname__", repr(fn))
    try:
        lines, first_line, module = _source_lines(fn)
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
    if module is None:
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


def _source_lines(fn: types.FunctionType) -> tuple[list[str], int, ast.Module | None]:
    """``inspect.getsourcelines(fn)``, and the parsed module when it was parsed to find them.

    ``inspect`` finds where the ``def`` ends by tokenizing it, which takes longer than
    parsing it; ``_def_lines`` finds the same lines from their indentation, or says it
    cannot be sure."""
    lines, start = inspect.findsource(inspect.unwrap(fn))
    found = _def_lines(lines, start, fn.__name__)
    if found is None:
        return (*inspect.getsourcelines(fn), None)
    block, module = found
    return block, start + 1, module


def _def_lines(lines: list[str], start: int, name: str,
               ) -> tuple[list[str], ast.Module] | None:
    """The lines ``inspect.getblock`` gives for the ``def name`` (or its decorators) at
    ``lines[start]``, and their parse; None when in doubt (``inspect`` then decides).

    The block ends before the first line after the header indented no deeper than its first
    line (neither blank nor a comment), plus the comments before it that are indented as its
    body is. A line that only looks like that one (in a string, in brackets, after a
    backslash) cuts the text inside a string or an expression: the text does not parse, and
    the next such line is tried. The parse must hold one ``def name``, with its body on
    lines of its own, that ends on the last line of code: then no line is missing or extra.
    """
    if not lines[start].lstrip(" ").startswith(("@", "def ")):
        return None  # (a lambda, `async def`, or indented with tabs)
    base = _indentation(lines[start])
    for end in itertools.islice(_possible_ends(lines, start, base), _ATTEMPTS):
        if end is None:
            return None
        code_end = end
        while _is_blank_or_comment(lines[code_end - 1]):
            code_end -= 1
        try:
            module = ast.parse(textwrap.dedent("".join(lines[start:code_end])))
        except SyntaxError:
            continue
        node = module.body[0] if len(module.body) == 1 else None
        if not (isinstance(node, ast.FunctionDef) and node.name == name
                and node.end_lineno == code_end - start):
            return None
        body_column = _indentation(lines[start + node.body[0].lineno - 1])
        if body_column != base + node.body[0].col_offset:
            return None  # (`def f(x): return x`, or tabs)
        last = _last_comment(lines, code_end, end, body_column)
        return None if last is None else (lines[start:max(last, code_end)], module)
    return None


_ATTEMPTS = 4  # lines that only look like the end of the def (see _def_lines)


def _possible_ends(lines: list[str], start: int, base: int) -> Iterator[int | None]:
    """After ``lines[start]``, the indices of the lines of code indented at most ``base``
    (then ``len(lines)``); None for a line indented with tabs (they count as more columns)."""
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not _is_blank_or_comment(line):
            indentation = _indentation(line)
            if indentation is None or indentation <= base:
                yield None if indentation is None else i
    yield len(lines)


def _last_comment(lines: list[str], begin: int, end: int, column: int) -> int | None:
    """The end of the last comment line in ``lines[begin:end]`` indented ``column`` deep or
    more (``inspect`` keeps those after a body), 0 if none; None for one indented with tabs."""
    last = 0
    for i in range(begin, end):
        if lines[i].strip():
            indentation = _indentation(lines[i])
            if indentation is None:
                return None
            if indentation >= column:
                last = i + 1
    return last


def _indentation(line: str) -> int | None:
    """The spaces ``line`` starts with; None when other white space follows them."""
    text = line.lstrip(" ")
    if text[:1].isspace() and text.strip():
        return None
    return len(line) - len(text)


def _is_blank_or_comment(line: str) -> bool:
    text = line.lstrip()
    return not text or text.startswith("#")


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
