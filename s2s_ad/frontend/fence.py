"""Reject what s2s_ad cannot differentiate, before lowering, with a located hint."""

from __future__ import annotations

import ast

from ..errors import UnsupportedSyntaxError
from .source import NO_CHILDREN, Source, child_nodes

# node type -> (what to call it, what to do instead)
UNSUPPORTED: dict[type, tuple[str, str]] = {
    ast.Try: ("a try statement", "move error handling outside the differentiated function"),
    ast.With: ("a with statement", "open resources outside the differentiated function"),
    ast.AsyncWith: ("an async with statement", "differentiate synchronous code"),
    ast.AsyncFor: ("an async for loop", "differentiate synchronous code"),
    ast.Await: ("an await expression", "differentiate synchronous code"),
    ast.Yield: ("a yield expression (generator)", "return a value, e.g. a list"),
    ast.YieldFrom: ("a yield from expression (generator)", "return a value, e.g. a list"),
    ast.Global: ("a global statement", "pass the value in as an argument and return the new "
                 "value"),
    ast.Nonlocal: ("a nonlocal statement", "pass the value in as an argument and return the "
                   "new value"),
    ast.ClassDef: ("a class definition", "define classes outside the differentiated function"),
    ast.AsyncFunctionDef: ("an async function definition", "define helpers at module level"),
    ast.Import: ("an import inside the function", "import at module level"),
    ast.ImportFrom: ("an import inside the function", "import at module level"),
    ast.Raise: ("a raise statement", "check inputs before calling the gradient"),
    ast.Assert: ("an assert statement", "check inputs before calling the gradient"),
    # (desugar.py lowers the others as loops; one left is where no statement holds it)
    ast.ListComp: ("a list comprehension here", "compute it into a variable first"),
    ast.GeneratorExp: ("a generator expression here", "compute it into a variable first"),
    ast.SetComp: ("a set comprehension here", "compute it into a variable first"),
    ast.DictComp: ("a dict comprehension here", "compute it into a variable first"),
    ast.Set: ("a set display", "use a tuple or a list"),
    ast.JoinedStr: ("an f-string", "strings carry no derivative; build them outside"),
    ast.NamedExpr: ("an assignment expression (:=)", "assign in a separate statement"),
    ast.Match: ("a match statement", "use if/elif/else"),
}


_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)


def fence(source: Source, allowed: frozenset[type] = frozenset()) -> None:
    """Raise ``UnsupportedSyntaxError`` at the first construct outside the subset.

    ``allowed`` lifts entries of ``UNSUPPORTED`` for the caller (a later stage that handles
    them).
    """
    fn = source.node
    roots = [fn.body] if isinstance(fn, ast.Lambda) else list(fn.body)
    stack: list[ast.AST] = list(reversed(roots))
    while stack:
        node = stack.pop()
        entry = UNSUPPORTED.get(type(node))
        if entry is not None and type(node) not in allowed:
            what, hint = entry
            if isinstance(fn, ast.Lambda) and type(node) in _COMPREHENSIONS:
                what = what.replace(" here", " in a lambda")
                hint = "write the function with def: its comprehensions become loops"
            raise UnsupportedSyntaxError(f"cannot differentiate {what}", loc=source.loc(node),
                                         hint=hint, stage=_stage(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("eval", "exec"):
            raise UnsupportedSyntaxError(
                f"cannot differentiate a call to {node.func.id}()", loc=source.loc(node),
                hint="write the code out in the function", stage=_stage(source))
        if node.__class__ in NO_CHILDREN:
            continue
        children = source.children[id(node)] = child_nodes(node)
        stack += reversed(children)  # (popped in order)


def _stage(source: Source) -> str:
    name = "<lambda>" if isinstance(source.node, ast.Lambda) else source.node.name
    return f"while lowering {name!r}"
