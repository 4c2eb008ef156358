"""Comprehensions as the loops they stand for, before lowering.

``ys = [f(x) for x in xs if c(x)]`` is lowered as ``ys = []`` and a ``for`` loop that
appends (a list that grows in a loop, which s2s_ad differentiates); nested ``for`` clauses
are nested loops, ``if`` clauses an ``if`` around the append. A generator expression is
that list too (``sum(f(x) for x in xs)`` sums it). The list is built where the statement
that holds the comprehension starts, which is when Python evaluates it -- except inside a
conditional expression's arms, after the first operand of ``and``/``or``, and in a
``while`` condition (evaluated again each time), where that would change what runs: there
it is a located error. A comprehension's names stay its own: one the function also uses
elsewhere is renamed (``x_2``).

A dict comprehension ``d = {k: v for ...}`` appends each key and value (in that order, as
Python evaluates them) to two lists, ``d_keys`` and ``d_values``, and ``d`` is
``DICT_OF(d_keys, d_values)``: ``dict(zip(...))``, later keys replacing earlier ones, as in
Python. A set comprehension appends to ``s_items`` and ``s`` is ``SET_OF(s_items)``. The
lowerer knows the two markers (they are no names the user could shadow).
"""

from __future__ import annotations

import ast
import itertools
from collections import Counter
from collections.abc import Iterator

from ..errors import UnsupportedSyntaxError
from .closures import scope_names
from .source import Source


class _Marker:
    """A function of s2s_ad's own that a desugared comprehension calls (an ``ast.Constant``
    callee: no name lookup, so nothing the user binds can shadow it)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


DICT_OF = _Marker("dict")  # DICT_OF(keys, values): dict(zip(keys, values))
SET_OF = _Marker("set")  # SET_OF(items): set(items)
_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)
_Comprehension = ast.ListComp | ast.GeneratorExp | ast.DictComp | ast.SetComp
# where a statement's own expressions sit (its bodies are statement lists of their own)
_EXPRESSIONS = {ast.Assign: ("value",), ast.AugAssign: ("value",), ast.AnnAssign: ("value",),
                ast.Return: ("value",), ast.Expr: ("value",), ast.If: ("test",),
                ast.For: ("iter",)}


def desugar(source: Source, function: str) -> None:
    """Rewrite the comprehensions in ``source``'s function body as loops, in place."""
    node = source.node
    if isinstance(node, ast.FunctionDef) and any(
            isinstance(n, _COMPREHENSIONS) for n in ast.walk(node)):
        node.body = _Desugar(source, function, node).block(node.body)


class _Desugar:
    def __init__(self, source: Source, function: str, node: ast.FunctionDef) -> None:
        self.source, self.function = source, function
        self.uses = Counter(n.id for n in scope_names(node))  # (not a nested function's own)
        self.uses.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        self.taken = set(self.uses)

    def error(self, node: ast.AST, message: str, hint: str) -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(message, loc=self.source.loc(node), hint=hint,
                                      stage=f"while lowering {self.function!r}")

    def block(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in statements:
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(stmt, field, self.block(inner))
            if isinstance(stmt, ast.While) and _holds_comprehension(stmt.test):
                comp = next(_comprehensions_in(stmt.test))
                raise self.error(comp, "cannot differentiate a comprehension in a while "
                                 "condition (it is evaluated again each time)",
                                 hint="compute it into a variable before the loop and again "
                                      "at the end of its body")
            for field in _EXPRESSIONS.get(type(stmt), ()):
                value = getattr(stmt, field)
                if value is not None and _holds_comprehension(value):
                    setattr(stmt, field, self.hoist(value, stmt, out))  # (before stmt)
            out.append(stmt)
        return out

    def hoist(self, node: ast.AST, stmt: ast.stmt, out: list[ast.stmt],
              late: bool = False) -> ast.AST:
        """``node`` with each comprehension in it (in the order Python evaluates them)
        replaced by the name of the list that statements appended to ``out`` build;
        ``late``: ``node`` runs only on some paths."""
        if isinstance(node, _COMPREHENSIONS):
            if late:
                raise self.error(node, "cannot differentiate a comprehension that runs only "
                                 "on some paths (in a conditional expression's arm, or after "
                                 "`and`/`or`)", hint="build the list with a for loop inside "
                                                     "an if")
            return self.build(node, stmt, out)
        if isinstance(node, ast.Lambda):  # (its body runs when it is called, not here)
            raise self.error(next(_comprehensions_in(node)), "cannot differentiate a "
                             "comprehension inside a lambda", hint="write the lambda as a "
                             "nested def that builds the list in a statement")
        lateness = _evaluated_late(node)
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for k, child in enumerate(items):
                if isinstance(child, ast.AST) and _holds_comprehension(child):
                    new = self.hoist(child, stmt, out, late or id(child) in lateness)
                    if isinstance(value, list):
                        value[k] = new
                    else:
                        setattr(node, field, new)
        return node

    def build(self, comp: _Comprehension, stmt: ast.stmt, out: list[ast.stmt]) -> ast.expr:
        """The statements that build ``comp``'s list (appended to ``out``), and its name (a
        dict or set comprehension: the call that makes the dict or set from its lists)."""
        if any(g.is_async for g in comp.generators):
            raise self.error(comp, "cannot differentiate an async comprehension",
                             hint="build the list with a for loop")
        self.rename_targets(comp)
        name = self.list_name(comp, stmt)  # (a dict's or set's: the stem of its lists')
        if isinstance(comp, ast.DictComp):
            names = [self.fresh(f"{name}_keys"), self.fresh(f"{name}_values")]
            elts, marker = [comp.key, comp.value], DICT_OF
        elif isinstance(comp, ast.SetComp):
            names, elts, marker = [self.fresh(f"{name}_items")], [comp.elt], SET_OF
        else:
            names, elts, marker = [name], [comp.elt], None
        body: list[ast.stmt] = [_at(comp, ast.Expr(value=ast.Call(
            func=ast.Attribute(value=ast.Name(id=n, ctx=ast.Load()), attr="append",
                               ctx=ast.Load()), args=[elt], keywords=[])))
            for n, elt in zip(names, elts)]
        for generator in reversed(comp.generators):
            for test in reversed(generator.ifs):
                body = [_at(test, ast.If(test=test, body=body, orelse=[]))]
            body = [_at(comp, ast.For(target=generator.target, iter=generator.iter, body=body,
                                      orelse=[], type_comment=None))]
        starts = [_at(comp, ast.Assign(targets=[ast.Name(id=n, ctx=ast.Store())],
                                       value=ast.List(elts=[], ctx=ast.Load()),
                                       type_comment=None)) for n in names]
        out.extend(self.block([*starts, *body]))  # (comprehensions inside it, in place)
        lists: list[ast.expr] = [_at(comp, ast.Name(id=n, ctx=ast.Load())) for n in names]
        if marker is None:
            return lists[0]
        return _at(comp, ast.Call(func=ast.Constant(value=marker), args=lists, keywords=[]))

    def list_name(self, comp: ast.expr, stmt: ast.stmt) -> str:
        """The assignment's target where the statement is ``ys = [...]`` and the
        comprehension does not read ``ys``; a fresh name otherwise."""
        if (isinstance(stmt, ast.Assign) and stmt.value is comp and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            target = stmt.targets[0].id
            if not any(isinstance(n, ast.Name) and n.id == target for n in ast.walk(comp)):
                return target
        if isinstance(comp, (ast.DictComp, ast.SetComp)):  # (the lists get fresh names)
            return "d" if isinstance(comp, ast.DictComp) else "s"
        return self.fresh("items")

    def rename_targets(self, comp: _Comprehension) -> None:
        """A loop variable the function also uses outside the comprehension gets a name of
        its own (Python keeps a comprehension's variables to it)."""
        inside = Counter(n.id for n in scope_names(comp))
        own = {n.id for g in comp.generators for n in ast.walk(g.target)
               if isinstance(n, ast.Name)}
        renames = {name: self.fresh(name) for name in sorted(own)
                   if self.uses[name] > inside[name]}
        if not renames:
            return
        first_iter = comp.generators[0].iter  # evaluated outside: keeps the outer names
        for part in _scoped_parts(comp):
            if part is not first_iter:
                for n in scope_names(part):
                    if n.id in renames:
                        n.id = renames[n.id]

    def fresh(self, stem: str) -> str:
        """``items`` (then ``items_2``...) for a list, ``d_keys``... for a dict's; ``x_2``...
        for a renamed ``x``."""
        first = [stem] if stem == "items" or stem.endswith(_LISTS) else []
        name = next(c for c in itertools.chain(first, (f"{stem}_{k}" for k in itertools.count(2)))
                    if c not in self.taken)
        self.taken.add(name)
        return name


_LISTS = ("_keys", "_values", "_items")  # (a dict's or set's lists: d_keys, d_values)


def _scoped_parts(comp: _Comprehension) -> Iterator[ast.AST]:
    if isinstance(comp, ast.DictComp):
        yield comp.key
        yield comp.value
    else:
        yield comp.elt
    for g in comp.generators:
        yield g.target
        yield g.iter
        yield from g.ifs


def _holds_comprehension(node: ast.AST) -> bool:
    return any(isinstance(n, _COMPREHENSIONS) for n in ast.walk(node))


def _comprehensions_in(node: ast.AST) -> Iterator[ast.expr]:
    return (n for n in ast.walk(node) if isinstance(n, _COMPREHENSIONS))


def _evaluated_late(node: ast.AST) -> set[int]:
    """The ids of ``node``'s operands that run only on some paths."""
    if isinstance(node, ast.IfExp):
        return {id(node.body), id(node.orelse)}
    if isinstance(node, ast.BoolOp):
        return {id(v) for v in node.values[1:]}
    return set()


def _at(origin: ast.AST, node: ast.AST) -> ast.AST:
    """``node`` and the nodes in it without a position, at ``origin``'s."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and not hasattr(n, "lineno"):
            ast.copy_location(n, origin)
    return node
