"""Python ``ast`` -> source text, fast, for the trees ``to_ast`` builds: astor's text exactly.

``astor.to_source`` visits every node through a generic visitor that writes one small string
at a time; on a long function it was a sixth of the transform. This printer writes the same
text (same parentheses, spacing, number spelling: it follows astor 0.8.1's ``SourceGenerator``
rule for rule, with the precedence of the parent passed down instead of stored on the
child as ``_pp``) for the node types ``to_ast`` makes, and raises :class:`Unsupported` on
any other, or on a string constant astor might print as a triple-quoted string, so that
``emit.to_source`` hands the whole tree to astor instead. ``emit.CHECK`` compares the two.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

# astor.op_util's precedences (``Precedence``), as numbers
_GENERATOR_EXP, _ASSIGN, _AUG_ASSIGN, _EXPR = 1, 3, 5, 5
_IF, _FOR, _WHILE, _RETURN, _SLICE, _SUBSCRIPT, _TUPLE, _COMMA = 9, 9, 9, 11, 13, 13, 19, 21
_CALL_ONE_ARG, _IF_EXP, _POW, _POW_RHS, _CONSTANT, _HIGHEST = 25, 27, 55, 51, 61, 63

_PRECEDENCE: dict[type, int] = {
    ast.Or: 31, ast.And: 33, ast.Not: 35,
    ast.Eq: 37, ast.Gt: 37, ast.GtE: 37, ast.In: 37, ast.Is: 37, ast.NotEq: 37, ast.Lt: 37,
    ast.LtE: 37, ast.NotIn: 37, ast.IsNot: 37,
    ast.BitOr: 39, ast.BitXor: 41, ast.BitAnd: 43, ast.LShift: 45, ast.RShift: 45,
    ast.Add: 47, ast.Sub: 47, ast.Mult: 49, ast.Div: 49, ast.Mod: 49, ast.FloorDiv: 49,
    ast.MatMult: 49, ast.Invert: 53, ast.UAdd: 53, ast.USub: 53, ast.Pow: 55,
}
_SYMBOL: dict[type, str] = {
    ast.Or: "or", ast.And: "and", ast.Not: "not",
    ast.Eq: "==", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.Is: "is", ast.NotEq: "!=",
    ast.Lt: "<", ast.LtE: "<=", ast.NotIn: "not in", ast.IsNot: "is not",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.LShift: "<<", ast.RShift: ">>",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%", ast.FloorDiv: "//",
    ast.MatMult: "@", ast.Invert: "~", ast.UAdd: "+", ast.USub: "-", ast.Pow: "**",
}
_INDENT = "    "
_TRIPLE_QUOTE_FROM = 20  # astor's min_trip_str: a shorter string is always written by repr


class Unsupported(Exception):
    """A node this printer does not write as astor would: astor prints the tree."""


def to_source(tree: ast.Module) -> str:
    """The text astor writes for ``tree`` (a module of one top-level ``def``)."""
    if len(tree.body) != 1 or type(tree.body[0]) is not ast.FunctionDef:
        raise Unsupported("a module of other than one def")
    lines: list[str] = []
    _function(tree.body[0], lines)
    lines.append("\n")
    return "".join(lines)


# --- statements: each appends its lines to ``out`` (every line but the first starts with
# "\n" and its indentation, as astor's ``newline`` writes them) ----------------------------

def _function(node: ast.FunctionDef, out: list[str]) -> None:
    if node.decorator_list or node.returns is not None:
        raise Unsupported("decorators or a return annotation")
    out.append(f"def {node.name}({_arguments(node.args)}):")
    _body(node.body, 1, out)


def _arguments(args: ast.arguments) -> str:
    if args.posonlyargs or args.defaults or any(d is not None for d in args.kw_defaults):
        raise Unsupported("positional-only parameters or defaults")
    parts = [_arg(a) for a in args.args]
    if args.vararg is not None:
        parts.append("*" + _arg(args.vararg))
    if args.kwonlyargs:
        if args.vararg is None:
            parts.append("*")
        parts += [_arg(a) for a in args.kwonlyargs]
    if args.kwarg is not None:
        parts.append("**" + _arg(args.kwarg))
    return ", ".join(parts)


def _arg(node: ast.arg) -> str:
    if node.annotation is not None:
        raise Unsupported("an annotation")
    return node.arg


def _body(statements: list[ast.stmt], depth: int, out: list[str]) -> None:
    for stmt in statements:
        writer = _STATEMENTS.get(type(stmt))
        if writer is None:
            raise Unsupported(type(stmt).__name__)
        writer(stmt, depth, out)


def _line(depth: int) -> str:
    return "\n" + _INDENT * depth


def _assign(node: ast.Assign, depth: int, out: list[str]) -> None:
    nodes = node.targets
    targets = (_expr(nodes[0], _ASSIGN) + " = " if len(nodes) == 1  # (most)
               else "".join(_expr(t, _ASSIGN) + " = " for t in nodes))
    out.append(f"{_line(depth)}{targets}{_expr(node.value, _ASSIGN)}")


def _aug_assign(node: ast.AugAssign, depth: int, out: list[str]) -> None:
    out.append(f"{_line(depth)}{_expr(node.target, _AUG_ASSIGN)} {_SYMBOL[type(node.op)]}= "
               f"{_expr(node.value, _AUG_ASSIGN)}")


def _expression_statement(node: ast.Expr, depth: int, out: list[str]) -> None:
    text = _expr(node.value, _EXPR)
    if text[:1] in ("'", '"'):  # a string first on its line: astor may triple-quote it
        raise Unsupported("a statement that starts with a string")
    out.append(_line(depth) + text)


def _return(node: ast.Return, depth: int, out: list[str]) -> None:
    value = "" if node.value is None else " " + _expr(node.value, _RETURN)
    out.append(f"{_line(depth)}return{value}")


def _if(node: ast.If, depth: int, out: list[str]) -> None:
    out.append(f"{_line(depth)}if {_expr(node.test, _IF)}:")
    _body(node.body, depth + 1, out)
    while True:
        orelse = node.orelse
        if len(orelse) == 1 and type(orelse[0]) is ast.If:
            node = orelse[0]
            out.append(f"{_line(depth)}elif {_expr(node.test, _IF)}:")
            _body(node.body, depth + 1, out)
        else:
            _else(orelse, depth, out)
            return


def _else(orelse: list[ast.stmt], depth: int, out: list[str]) -> None:
    if orelse:
        out.append(_line(depth) + "else:")
        _body(orelse, depth + 1, out)


def _for(node: ast.For, depth: int, out: list[str]) -> None:
    if node.type_comment is not None:
        raise Unsupported("a type comment")
    out.append(f"{_line(depth)}for {_expr(node.target, _FOR)} in "
               f"{_expr(node.iter, _HIGHEST)}:")
    _body(node.body, depth + 1, out)
    _else(node.orelse, depth, out)


def _while(node: ast.While, depth: int, out: list[str]) -> None:
    out.append(f"{_line(depth)}while {_expr(node.test, _WHILE)}:")
    _body(node.body, depth + 1, out)
    _else(node.orelse, depth, out)


def _try(node: ast.Try, depth: int, out: list[str]) -> None:
    out.append(_line(depth) + "try:")
    _body(node.body, depth + 1, out)
    for handler in node.handlers:
        text = "except"
        if handler.type is not None:
            text += " " + _expr(handler.type, _HIGHEST)
            if handler.name is not None:
                text += " as " + handler.name
        out.append(f"{_line(depth)}{text}:")
        _body(handler.body, depth + 1, out)
    _else(node.orelse, depth, out)
    if node.finalbody:
        out.append(_line(depth) + "finally:")
        _body(node.finalbody, depth + 1, out)


def _raise(node: ast.Raise, depth: int, out: list[str]) -> None:
    text = "raise"
    if node.exc is not None:
        text += " " + _expr(node.exc, _HIGHEST)
        if node.cause is not None:
            text += " from " + _expr(node.cause, _HIGHEST)
    elif node.cause is not None:
        raise Unsupported("a cause without an exception")
    out.append(_line(depth) + text)


def _keyword(word: str) -> Callable[[ast.stmt, int, list[str]], None]:
    def write(node: ast.stmt, depth: int, out: list[str]) -> None:
        out.append(_line(depth) + word)
    return write


_STATEMENTS: dict[type, Callable[..., None]] = {
    ast.Assign: _assign, ast.AugAssign: _aug_assign, ast.Expr: _expression_statement,
    ast.Return: _return, ast.If: _if, ast.For: _for, ast.While: _while, ast.Try: _try,
    ast.Raise: _raise, ast.Pass: _keyword("pass"), ast.Break: _keyword("break"),
    ast.Continue: _keyword("continue"),
}


# --- expressions: ``pp`` is the precedence astor's parent sets on the node (its ``_pp``;
# the highest where astor sets none): a node of lower precedence is parenthesized --------

def _expr(node: ast.expr, pp: int) -> str:
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined,no-any-return]
    writer = _EXPRESSIONS.get(kind)
    if writer is None:
        raise Unsupported(kind.__name__)
    return writer(node, pp)


def _parenthesized(text: str, p: int, pp: int) -> str:
    return text if p >= pp else f"({text})"


def _constant(node: ast.Constant, pp: int) -> str:
    value = node.value
    if isinstance(value, (int, float, complex)):
        return _parenthesized(_number(value), _CONSTANT, pp)
    if isinstance(value, str):
        # astor writes repr() for a one-line string inside an expression (``embedded``);
        # other strings it may triple-quote
        if type(value) is not str or "\n" in value or getattr(node, "kind", None) or not (
                pp > _EXPR or len(repr(value)) < _TRIPLE_QUOTE_FROM):
            raise Unsupported("a string astor may triple-quote")
        return repr(value)
    if value is Ellipsis:
        return "..."
    return repr(value)


def _number(value: int | float | complex) -> str:
    """astor's ``_handle_numeric_constant``."""
    if type(value) is int or (type(value) is float and math.isfinite(value)):  # (most)
        return repr(value)  # (what part() gives them)

    def part(p: float, imaginary: bool) -> str:
        s = "j" if imaginary else ""
        try:
            if math.isinf(p):
                return ("-1e1000" if p < 0 else "1e1000") + s
            if math.isnan(p):
                return f"(1e1000{s}-1e1000{s})"
        except OverflowError:  # an int too large for a float
            pass
        return repr(p) + s

    if not isinstance(value, complex):
        return part(value, False)
    real, imag = part(value.real, False), part(value.imag, True)
    if value.real == 0:
        return imag
    if value.imag == 0:
        return f"({real}+0j)"
    return f"({real}{'' if imag.startswith('-') else '+'}{imag})"


def _bin_op(node: ast.BinOp, pp: int) -> str:
    kind = type(node.op)
    p = _PRECEDENCE[kind]
    if kind is ast.Pow:
        text = f"{_expr(node.left, _POW + 1)} ** {_expr(node.right, _POW_RHS)}"
    else:
        text = f"{_expr(node.left, p)} {_SYMBOL[kind]} {_expr(node.right, p + 1)}"
    return _parenthesized(text, p, pp)


def _unary_op(node: ast.UnaryOp, pp: int) -> str:
    kind = type(node.op)
    p = _PRECEDENCE[kind]
    symbol = _SYMBOL[kind]
    text = symbol + (" " if symbol.isalpha() else "") + _expr(node.operand, p)
    return _parenthesized(text, p, pp)


def _bool_op(node: ast.BoolOp, pp: int) -> str:
    kind = type(node.op)
    p = _PRECEDENCE[kind]
    text = f" {_SYMBOL[kind]} ".join(_expr(v, p + 1) for v in node.values)
    return _parenthesized(text, p, pp)


def _compare(node: ast.Compare, pp: int) -> str:
    p = _PRECEDENCE[type(node.ops[0])]
    parts = [_expr(node.left, p + 1)]
    for op, right in zip(node.ops, node.comparators):
        parts.append(f" {_SYMBOL[type(op)]} {_expr(right, p + 1)}")
    return _parenthesized("".join(parts), p, pp)


def _if_exp(node: ast.IfExp, pp: int) -> str:
    text = (f"{_expr(node.body, _IF_EXP + 1)} if {_expr(node.test, _IF_EXP + 1)} else "
            f"{_expr(node.orelse, _IF_EXP)}")
    return _parenthesized(text, _IF_EXP, pp)


def _call(node: ast.Call, pp: int) -> str:
    args, keywords = node.args, node.keywords
    p = _COMMA if len(args) + len(keywords) > 1 else _CALL_ONE_ARG
    parts = [_expr(a, p) for a in args]
    for keyword in keywords:
        name = keyword.arg
        parts.append(f"{name}={_expr(keyword.value, _COMMA)}" if name
                     else "**" + _expr(keyword.value, _COMMA))
    return f"{_expr(node.func, _HIGHEST)}({', '.join(parts)})"


def _attribute(node: ast.Attribute, pp: int) -> str:
    return f"{_expr(node.value, _HIGHEST)}.{node.attr}"


def _subscript(node: ast.Subscript, pp: int) -> str:
    return f"{_expr(node.value, _HIGHEST)}[{_expr(node.slice, _SUBSCRIPT)}]"


def _slice(node: ast.Slice, pp: int) -> str:
    text = "" if node.lower is None else _expr(node.lower, _SLICE)
    text += ":"
    if node.upper is not None:
        text += _expr(node.upper, _SLICE)
    if node.step is not None:
        text += ":"
        step = node.step
        if not (type(step) is ast.Name and step.id == "None"):
            text += _expr(step, _SLICE)
    return text


def _tuple(node: ast.Tuple, pp: int) -> str:
    elts = node.elts
    text = ", ".join(_expr(e, _COMMA) for e in elts) + ("," if len(elts) == 1 else "")
    return text if elts and _TUPLE >= pp else f"({text})"


def _list(node: ast.List, pp: int) -> str:
    return "[" + ", ".join(_expr(e, _COMMA) for e in node.elts) + "]"


def _dict(node: ast.Dict, pp: int) -> str:
    parts = []
    for key, value in zip(node.keys, node.values):
        parts.append(f"{_expr(key, _HIGHEST)}: {_expr(value, _COMMA)}" if key
                     else "**" + _expr(value, _COMMA))
    return "{" + ", ".join(parts) + "}"


def _starred(node: ast.Starred, pp: int) -> str:
    return "*" + _expr(node.value, _HIGHEST)


_EXPRESSIONS: dict[type, Callable[..., str]] = {
    ast.Constant: _constant, ast.BinOp: _bin_op, ast.UnaryOp: _unary_op,
    ast.BoolOp: _bool_op, ast.Compare: _compare, ast.IfExp: _if_exp, ast.Call: _call,
    ast.Attribute: _attribute, ast.Subscript: _subscript, ast.Slice: _slice,
    ast.Tuple: _tuple, ast.List: _list, ast.Dict: _dict, ast.Starred: _starred,
}
