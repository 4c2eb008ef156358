"""A division by zero in generated code, reported at the user's operation.

Where the derivative of an operation is infinite (``math.sqrt`` at 0, ``math.acos`` at 1),
its formula divides by zero: NumPy gives ``inf``/``nan``, and Python's ``/`` raises. Code
that divides numbers that may be Python's is therefore written as::

    def dist_grad(dx, dy):
        try:
            ...
        except ZeroDivisionError as error:
            raise derivative_error(error) from None

CPython (3.11 and later) runs a ``try`` at no cost until something raises. Then
``derivative_error``, a ``Locator``, finds the generated line and the operation in it that
divided, and the user's operation that the generated one comes from (every op carries its
source location), and returns an ``InfiniteDerivativeError`` (also a
``ZeroDivisionError``) saying so, with the original traceback.
"""

from __future__ import annotations

import ast
from types import TracebackType
from typing import Any

from ..errors import DifferentiationError, InfiniteDerivativeError, Loc
from ..ir.core import Function, Op, Value, const_value, walk
from ..primitives import get
from ..primitives.registry import PRIMITIVES, Infix

# Python's operators that raise ZeroDivisionError on numbers (NumPy's return inf or nan)
_DIVIDING = (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_HINT = ("no finite derivative exists at this point: differentiate at another point, or "
         "make the function smooth there (math.sqrt(r + 1e-12) for math.sqrt(r)); NumPy "
         "arrays give inf or nan here instead of raising")
_NAME_LIMIT = 40  # characters of the user's expression shown in the message


def may_divide_by_zero(fn: Function) -> bool:
    """Can ``fn``'s code raise ZeroDivisionError: does it divide by a value that may be a
    Python number and may be 0? (Results of NumPy functions and methods, and arithmetic on
    them, are NumPy's: they give inf or nan. ``1 + math.exp(x)`` is at least 1.) A power
    divides when its exponent may be negative and its base may be 0. A parameter in
    ``fn.nonzero`` is not 0 (the function it derives from takes its log, or divides by it)."""
    dividing = {name for name, prim in PRIMITIVES.items() if _divides(prim.emission)}
    if not any(op.prim in dividing for op in walk(fn.body)):
        return False  # (most code: no sign to follow)
    facts: dict[Value, int] = {p: _NONZERO for p in fn.params if p.hint in fn.nonzero}
    numpy_values: set[Value] = set()
    for op in walk(fn.body):  # in program order: operands before their uses
        spec = get(op.prim).emission
        if op.prim.startswith(("np.", ".")) or op.prim in ("matmul", "T") or (
                isinstance(spec, Infix) and any(a in numpy_values for a in op.args)):
            numpy_values.update(op.outs)
        elif isinstance(spec, Infix) and spec.op in _DIVIDING:
            by = op.args[0] if spec.op is ast.Pow else op.args[1]
            exponent = facts.get(op.args[1], 0) if spec.op is ast.Pow else 0
            if not (facts.get(by, 0) & _NONZERO or exponent & _NONNEG):
                return True
        if len(op.outs) == 1:
            facts[op.out] = _sign(op, facts)
    return False


# what is known of a number: bits of a mask (at least 1 implies the other two)
_NONNEG, _NONZERO, _AT_LEAST_1 = 1, 2, 4
_POSITIVE = _NONNEG | _NONZERO
_GE1 = _AT_LEAST_1 | _POSITIVE


def _sign(op: Op, facts: dict[Value, int]) -> int:
    """What is known of the sign of ``op``'s result, in floating point: ``x * y`` of two
    positive numbers may underflow to 0, a sum of positive ones cannot."""
    a, b = (facts.get(v, 0) for v in (*op.args, None, None)[:2])
    prim = op.prim
    if prim == "const":
        value = const_value(op)
        if not isinstance(value, (int, float)) or value != value:
            return 0
        return (_GE1 if value >= 1 else _POSITIVE if value > 0 else _NONNEG if value == 0
                else _NONZERO)
    if prim in ("copy", "pos", "float", "updated"):
        return a
    if prim == "neg":
        return a & _NONZERO
    if prim in ("abs", "fabs"):
        return _NONNEG | (a & _NONZERO)
    if prim == "exp":  # exp(-800.0) is 0.0
        return _GE1 if a & _NONNEG else _NONNEG
    if prim == "cosh":
        return _GE1
    if prim == "sqrt":  # (of a negative number: raises ValueError)
        return _NONNEG | (a & _GE1)
    if prim == "add":
        if (a & _AT_LEAST_1 and b & _NONNEG) or (b & _AT_LEAST_1 and a & _NONNEG):
            return _GE1
        if (a & b) & _NONNEG:
            return _NONNEG | ((a | b) & _NONZERO)
        return 0
    if prim == "mul":
        if op.args[0] is op.args[1]:  # x * x
            return _GE1 if a & _AT_LEAST_1 else _NONNEG
        return _GE1 if (a & b) & _AT_LEAST_1 else (a & b) & _NONNEG
    return 0


def _dividing(op: Op) -> bool:
    return _divides(get(op.prim).emission)


def _divides(spec: Any) -> bool:
    return isinstance(spec, Infix) and spec.op in _DIVIDING


class Locator:
    """``derivative_error`` of one generated function: maps a ZeroDivisionError raised in it
    to the user's operation (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: list[str] = []  # the generated source
        self.spans: dict[tuple[int, int, int, int], Op] = {}  # (line, end, col, end col)
        self.by_line: dict[int, list[Op]] = {}

    def index(self, tree: ast.Module, source: str, origins: list[tuple[ast.expr, Op]]) -> None:
        """Learn where each op's expression is in ``source``, the text of ``tree`` (whose
        expression nodes ``origins`` maps to ops): the parsed text is walked beside the tree
        that made it, and a subtree that reads back differently (``-1.0``) is skipped."""
        self.lines = source.splitlines()
        made = {id(node): op for node, op in origins}
        stack: list[tuple[Any, Any]] = [(tree, ast.parse(source))]
        while stack:
            a, b = stack.pop()
            if type(a) is not type(b) or not isinstance(a, ast.AST):
                continue
            op = made.get(id(a))
            if op is not None and hasattr(b, "lineno"):
                self.spans[b.lineno, b.end_lineno, b.col_offset, b.end_col_offset] = op
                self.by_line.setdefault(b.lineno, []).append(op)
            for field in a._fields:
                x, y = getattr(a, field, None), getattr(b, field, None)
                if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
                    stack.extend(zip(x, y))
                elif isinstance(x, ast.AST):
                    stack.append((x, y))

    def __call__(self, error: BaseException) -> BaseException:
        tb = error.__traceback__
        if tb is None or tb.tb_next is not None or isinstance(error, DifferentiationError):
            return error  # raised further in (a rule of yours): as it is
        line, op = self.where(tb)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        loc = op.loc if op is not None else None
        what = f"the derivative of {_operation(loc)}" if loc else "the derivative"
        located = InfiniteDerivativeError(
            f"{what} is infinite or undefined at this point (division by zero in the "
            f"generated line {text!r})", loc=loc, hint=_HINT,
            stage=f"while running {self.name!r}")
        return located.with_traceback(tb)

    def where(self, tb: TracebackType) -> tuple[int, Op | None]:
        """The generated line that raised, and the op whose code raised (or one on it)."""
        code = tb.tb_frame.f_code
        positions = list(code.co_positions())
        index = tb.tb_lasti // 2
        if not 0 <= index < len(positions) or positions[index][0] is None:
            return tb.tb_lineno, None
        line, end, col, end_col = positions[index]
        op = self.spans.get((line, end, col, end_col))
        if op is None:
            on_line = self.by_line.get(line, [])
            dividing = [o for o in on_line if _dividing(o)]
            op = (dividing or on_line or [None])[0]
        return line, op


def _operation(loc: Loc) -> str:
    """The user's operation at ``loc``, as written: `math.sqrt` for a call, else the
    expression (`x ** 0.5`)."""
    text = loc.text.rstrip("\n")[loc.col:loc.end_col].strip()
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        node = None
    if isinstance(node, ast.Call):
        text = ast.unparse(node.func)
    if len(text) > _NAME_LIMIT:
        text = text[:_NAME_LIMIT - 3] + "..."
    return f"`{text}`" if text else "this operation"


def derivative_error(error: BaseException) -> BaseException:
    # a Locator, in a module exported to run without s2s_ad: the ZeroDivisionError as it is
    return error
