"""Early exits from loops as the flags they stand for, before lowering.

A ``return`` inside a loop becomes an assignment to the value the function returns, a
flag saying it returned, and a ``break``; after each loop that holds one, the flag is
checked: a loop inside another breaks out of it too, and after the outermost loop the
function returns the value::

    for k in range(50):                    returned = False
        x = x - step(x)                    for k in range(50):
        if abs(x) < 1e-12:        ->           x = x - step(x)
            return x                           if abs(x) < 1e-12:
    return x * 2                                   result = x
                                                   returned = True
                                                   break
                                           if returned:
                                               return result
                                           return x * 2

The loop carries ``result`` out although nothing binds it before the loop: lowering
starts it from a stand-in that nothing reads (the ``returned`` flag guards every read).
A loop's ``else:`` clause runs when the loop ends without ``break``: it follows the loop,
behind a flag set at each ``break`` of the user's (``broke``) where the body has one.
"""

from __future__ import annotations

import ast
import itertools

from .source import child_nodes

_LOOPS = (ast.For, ast.While)


def rewrite_exits(node: ast.FunctionDef | ast.Lambda) -> frozenset[str]:
    """Rewrite the loops with a ``return`` or an ``else:`` in ``node``'s body (and in the
    functions defined in it), in place; the names of the values returned from inside loops
    (lowering carries them out of loops from a stand-in)."""
    if isinstance(node, ast.Lambda) or not any(
            isinstance(n, _LOOPS) and (n.orelse or _holds_return(n.body))
            for n in ast.walk(node)):
        return frozenset()
    rewrite = _Exits(node)
    node.body = rewrite.block(node.body, depth=0)
    return frozenset({rewrite.result}) if rewrite.used else frozenset()


class _Exits:
    def __init__(self, node: ast.FunctionDef) -> None:
        self.taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        self.taken |= {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
        self.result = _fresh("result", self.taken)
        self.returned = _fresh("returned", self.taken)
        self.used = False  # has a return been rewritten?
        self.loops: list[ast.For | ast.While] = []  # around the statement being rewritten
        self.first_exit: dict[int, ast.Return] = {}  # id(loop) -> its first return
        self.flagged = 0  # returns rewritten so far that set `returned`

    def block(self, stmts: list[ast.stmt], depth: int) -> list[ast.stmt]:
        """``stmts`` rewritten; ``depth``: the loops around them."""
        out: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ast.Return) and depth:
                out += self.exit(stmt)
                return out  # (what follows never runs)
            if isinstance(stmt, (ast.Break, ast.Continue)):
                out.append(stmt)
                return out  # (nor here: a return there is no exit)
            if isinstance(stmt, ast.If):
                stmt.body = self.block(stmt.body, depth)
                stmt.orelse = self.block(stmt.orelse, depth)
            elif isinstance(stmt, ast.FunctionDef):  # a nested function: its own loops
                saved, self.loops = self.loops, []
                stmt.body = self.block(stmt.body, depth=0)
                self.loops = saved
            elif isinstance(stmt, _LOOPS):
                out += self.loop(stmt, depth)
                continue
            out.append(stmt)
        return out

    def exit(self, ret: ast.Return) -> list[ast.stmt]:
        """``return v`` inside a loop: ``result = v; returned = True; break``."""
        self.used = True
        for loop in self.loops:
            self.first_exit.setdefault(id(loop), ret)
        value = ret.value if ret.value is not None else ast.Constant(None)
        out = [_at(ret, _assign(self.result, value))]
        if not all(map(_ends_by_returning, self.loops)):  # (the flag says how a loop ended)
            self.flagged += 1
            out.append(_at(ret, _assign(self.returned, ast.Constant(True))))
        return [*out, _exit_break(ret)]

    def loop(self, loop: ast.For | ast.While, depth: int) -> list[ast.stmt]:
        """The loop and what follows it in place of its ``else:`` and its returns."""
        orelse, loop.orelse = loop.orelse, []
        broke = _fresh("broke", self.taken) if orelse and _breaks_of(loop.body) else None
        if broke:  # the user's breaks skip the else clause (a flag per loop: they nest)
            loop.body = self.flag_breaks(loop.body, broke)
        flagged = self.flagged
        self.loops.append(loop)
        loop.body = self.block(loop.body, depth + 1)
        self.loops.pop()
        returns = self.first_exit.get(id(loop))
        out: list[ast.stmt] = []
        if self.flagged > flagged:  # False where each iteration starts (True leaves)
            start = _at(loop, _assign(self.returned, ast.Constant(False)))
            loop.body.insert(0, start)
            if depth == 0:
                out.append(start)
        if broke:
            out.append(_at(loop, _assign(broke, ast.Constant(False))))
        out.append(loop)
        if returns is not None:  # leave the loop around it too, or return now
            leave = (_at(returns, ast.Return(value=_name(self.result))) if depth == 0
                     else _exit_break(returns))
            out.append(leave if _ends_by_returning(loop) else _at(returns, ast.If(
                test=_name(self.returned), body=[leave], orelse=[])))
        orelse = self.block(orelse, depth)
        if broke and orelse:
            out.append(_at(orelse[0], ast.If(test=ast.UnaryOp(op=ast.Not(), operand=_name(broke)),
                                             body=orelse, orelse=[])))
        else:
            out += orelse
        return out

    def flag_breaks(self, stmts: list[ast.stmt], broke: str) -> list[ast.stmt]:
        """``break`` (of this loop) as ``broke = True; break``."""
        out: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ast.Break):
                out.append(_at(stmt, _assign(broke, ast.Constant(True))))
            elif isinstance(stmt, ast.If):
                stmt.body = self.flag_breaks(stmt.body, broke)
                stmt.orelse = self.flag_breaks(stmt.orelse, broke)
            out.append(stmt)
        return out


def _ends_by_returning(loop: ast.For | ast.While) -> bool:
    """Does ``loop`` end only by a ``return`` (``while True:`` without a ``break`` of the
    user's)? After it, the function returns; no flag says so."""
    return (isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant)
            and bool(loop.test.value) and not _breaks_of(loop.body, user=True))


def _exit_break(ret: ast.Return) -> ast.Break:
    """A ``break`` that leaves a loop for the user's ``return``: at its place, and marked
    (a loop that cannot break names the ``return``)."""
    brk = _at(ret, ast.Break())
    brk.returns = True  # type: ignore[attr-defined]
    return brk


def is_exit(node: ast.AST) -> bool:
    """Is ``node`` a ``break`` that stands for a ``return`` (see ``rewrite_exits``)?"""
    return getattr(node, "returns", False)


def _holds_return(stmts: list[ast.stmt]) -> bool:
    return _first_return(stmts) is not None


def _first_return(stmts: list[ast.stmt]) -> ast.Return | None:
    """The first ``return`` in ``stmts`` (nested loops and branches included)."""
    stack: list[ast.AST] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            return node
        if isinstance(node, ast.stmt):
            stack += reversed([c for c in child_nodes(node) if isinstance(c, ast.stmt)])
    return None


def _breaks_of(stmts: list[ast.stmt], user: bool = False) -> bool:
    """Does ``stmts`` hold a ``break`` of the loop whose body it is (not of an inner loop;
    ``user``: one the user wrote)?"""
    stack: list[ast.AST] = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break) and not (user and is_exit(node)):
            return True
        if isinstance(node, ast.If):
            stack += node.body + node.orelse
    return False


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value,
                      type_comment=None)


def _name(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _fresh(stem: str, taken: set[str]) -> str:
    name = next(c for c in itertools.chain([stem], (f"{stem}_{k}" for k in itertools.count(2)))
                if c not in taken)
    taken.add(name)
    return name


def _at(origin: ast.AST, node: ast.AST) -> ast.AST:
    """``node`` and the nodes in it without a position, at ``origin``'s."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and not hasattr(n, "lineno"):
            ast.copy_location(n, origin)
    return node
