"""Algebraic identities, one row each, all exact in IEEE arithmetic for finite inputs.

Each rule sees an op whose operands are already simplified and returns a value that the
op's result becomes, a replacement op, or ``None`` to keep it. ``x + 0 -> x`` changes
only the sign of a zero result (``-0.0 + 0 == 0.0``); none of these rules applies to
``0 * x`` (``0 * inf`` is ``nan``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..analysis.kinds import prove
from ..ir.avals import Array, Number
from ..ir.core import Function, Op, Value, const_value
from .rewrite import ancestors, rewrite, use_counts

_MISSING = object()
# what rules ask about
_ASKED = frozenset({"neg", "mul", "sub", "tuple", "T", "np.eye", "zeros_array", "np.zeros"})


class _Facts:
    """What the rules may ask about an operand: its constant value, its defining op."""

    def __init__(self, fn: Function, uses: dict[Value, int], exact: set[Value]) -> None:
        self.fn = fn
        self.numbers: set[Value] | None = None  # known numbers, found when first asked
        self.consts: dict[Value, Any] = {}
        self.units: set[Value] = set()  # constants that are 1 or -1 (an int or a float)
        self.defs: dict[Value, Op] = {}
        self.uses = uses
        self.exact = exact  # values that must keep their exact value and type
        self.loose = False  # may the op being simplified change type or last bit?
        self.pending: list[Op] = []  # ops a rule creates, emitted just before its result

    def note(self, op: Op) -> None:
        """``op`` is emitted: later rules may ask for its results' definition (and value)."""
        if op.prim == "const":
            value = self.consts[op.out] = const_value(op)
            if type(value) in (int, float) and (value == 1 or value == -1):
                self.units.add(op.out)
        elif op.prim in _ASKED:  # (the others' definitions no rule asks for)
            for out in op.outs:
                self.defs[out] = op

    def const(self, v: Value) -> Any:
        return self.consts.get(v, _MISSING)

    def same(self, v: Value) -> Value | None:
        """``v``, as the result of an op that would return it unchanged (``x + 0``), or None
        where that is not exact: an array op makes a fresh, contiguous array, and a matrix
        product of a strided view rounds differently (a value must stay bit for bit)."""
        if self.loose:
            return v
        if self.numbers is None:
            self.numbers = prove(self.fn).numbers
        return v if v in self.numbers else None

    def is_const(self, v: Value, number: float) -> bool:
        c = self.consts.get(v, _MISSING)
        return type(c) in (int, float) and c == number

    def is_unit(self, v: Value, number: int) -> bool:
        """``v`` is ``number`` (0, 1 or -1), and dropping it cannot change a result's type:
        ``n * 1.0`` is a float for an int ``n``, ``n * 1`` is not."""
        c = self.consts.get(v, _MISSING)
        return type(c) in (int, float) and c == number and (self.loose or type(c) is int)

    def is_negative(self, v: Value) -> bool:
        c = self.consts.get(v, _MISSING)
        return type(c) in (int, float) and c < 0

    def negated(self, v: Value, at: Op) -> Value:
        """A new constant ``-c`` for the negative constant ``v`` (emitted before ``at``)."""
        out = Value()
        self.pending.append(Op("const", (), (out,), (("value", -self.consts[v]),), (), at.loc))
        return out

    def negate(self, at: Op, inner: Op) -> Op:
        """``-(inner)``: ``inner`` gets a fresh result and is emitted before ``at``."""
        fresh = Value()
        self.pending.append(replace(inner, outs=(fresh,)))
        return replace(at, prim="neg", args=(fresh,))

    def defined_by(self, v: Value, prim: str) -> Op | None:
        assert prim in _ASKED, f"add {prim!r} to _ASKED"
        op = self.defs.get(v)
        return op if op is not None and op.prim == prim else None


def _updated(op: Op, f: _Facts) -> Value | None:
    """``updated(u + v, u)`` -> ``u + v`` for a number ``u`` (or where layout and dtype may
    change: a derivative); for an array it says ``u + v`` keeps ``u``'s (analysis/aliasing.py)."""
    new, old = op.args
    return new if f.same(old) is not None else None


def _as(op: Op, prim: str, *args: Value) -> Op:
    return replace(op, prim=prim, args=args)


def _add(op: Op, f: _Facts) -> Value | Op | None:
    x, y = op.args
    if x in f.consts or y in f.consts:  # (the next rows ask about constants)
        if f.is_unit(y, 0) and f.same(x):
            return x  # x + 0 -> x
        if f.is_unit(x, 0) and f.same(y):
            return y  # 0 + x -> x
        if f.is_negative(x):
            return _as(op, "sub", y, f.negated(x, op))  # -c + y -> y - c
        if f.is_negative(y):
            return _as(op, "sub", x, f.negated(y, op))  # x + -c -> x - c
    for a, b in ((x, y), (y, x)):  # x + zeros (an adjoint nothing went into) -> x
        if f.loose and f.uses.get(b) == 1 and _zeros_shaped_like(b, a, f):
            return a
    if (n := f.defined_by(y, "neg")) is not None:
        return _as(op, "sub", x, n.args[0])  # x + -y -> x - y
    if (n := f.defined_by(x, "neg")) is not None:
        return _as(op, "sub", y, n.args[0])  # -x + y -> y - x
    for a, b in ((x, y), (y, x)):
        m = f.defined_by(b, "mul")
        if m is not None and f.uses.get(b) == 1 and f.is_negative(m.args[0]):
            product = Value()  # x + -c * y -> x - c * y
            f.pending.append(replace(m, args=(f.negated(m.args[0], op), m.args[1]),
                                     outs=(product,)))
            return _as(op, "sub", a, product)
    return None


def _zeros_shaped_like(z: Value, x: Value, f: _Facts) -> bool:
    """Is ``z`` a fresh array of float zeros (``np.zeros(shape)``) of ``x``'s shape, so that
    ``x + z`` is ``x`` (but for the sign of a zero, and an int ``x``'s type)?"""
    made = f.defined_by(z, "zeros_array") or f.defined_by(z, "np.zeros")
    if made is None or len(made.args) != 1 or made.attrs:
        return False
    aval = x.aval  # (an int array would become floats: not in a derivative, f.loose)
    return isinstance(aval, Array) and f.const(made.args[0]) == aval.shape


def _sub(op: Op, f: _Facts) -> Value | Op | None:
    x, y = op.args
    if f.is_unit(y, 0) and f.same(x):
        return x  # x - 0 -> x
    if f.is_unit(x, 0):
        return _as(op, "neg", y)  # 0 - y -> -y
    if (n := f.defined_by(y, "neg")) is not None:
        return _as(op, "add", x, n.args[0])  # x - -y -> x + y
    return None


def _mul(op: Op, f: _Facts) -> Value | Op | None:
    x, y = op.args
    if x in f.units or y in f.units:  # (the next rows ask about 1 and -1)
        if f.is_unit(y, 1) and f.same(x):
            return x  # x * 1 -> x
        if f.is_unit(x, 1) and f.same(y):
            return y  # 1 * x -> x
        if f.is_unit(y, -1):
            return _as(op, "neg", x)  # x * -1 -> -x
        if f.is_unit(x, -1):
            return _as(op, "neg", y)  # -1 * x -> -x
    nx, ny = f.defined_by(x, "neg"), f.defined_by(y, "neg")
    if nx is not None and ny is not None:
        return _as(op, "mul", nx.args[0], ny.args[0])  # -x * -y -> x * y
    # x * -y -> -(x * y): moves the sign outward, where `a - -b` and `--a` absorb it
    if ny is not None and f.uses.get(y, 0) == 1:
        return f.negate(op, _as(op, "mul", x, ny.args[0]))
    if nx is not None and f.uses.get(x, 0) == 1:
        return f.negate(op, _as(op, "mul", nx.args[0], y))
    return None


def _truediv(op: Op, f: _Facts) -> Value | Op | None:
    x, y = op.args
    if f.loose and f.is_const(y, 1):
        return x  # x / 1 -> x (true division: a float for an int x)
    if f.loose and f.is_const(y, -1):
        return _as(op, "neg", x)  # x / -1 -> -x
    return None


def _neg(op: Op, f: _Facts) -> Value | Op | None:
    (x,) = op.args
    if (n := f.defined_by(x, "neg")) is not None and f.same(n.args[0]):
        return n.args[0]  # --x -> x
    if (s := f.defined_by(x, "sub")) is not None and f.uses.get(x, 0) == 1:
        return _as(op, "sub", s.args[1], s.args[0])  # -(a - b) -> b - a
    return None


def _pow(op: Op, f: _Facts) -> Value | Op | None:
    x, y = op.args
    if f.is_unit(y, 1) and f.same(x):
        return x  # x ** 1 -> x
    if f.loose and f.is_const(y, 2):
        return _as(op, "mul", x, x)  # x ** 2 -> x * x: faster; see `simplify` for when
    return None


def _select(op: Op, f: _Facts) -> Value | Op | None:
    c, a, b = op.args
    if a is b:
        return a  # a if c else a -> a
    if (known := f.const(c)) is not _MISSING:
        return a if known else b  # a condition known when transforming
    return None


def _pos(op: Op, f: _Facts) -> Value | Op | None:
    return f.same(op.args[0])  # +x -> x


def _getitem(op: Op, f: _Facts) -> Value | Op | None:
    t, i = op.args
    k, items = f.const(i), f.defined_by(t, "tuple")
    if items is not None and type(k) is int and -len(items.args) <= k < len(items.args):
        return items.args[k]  # (a, b)[1] -> b: no arithmetic
    return None


def _transpose(op: Op, f: _Facts) -> Value | Op | None:
    inner = f.defined_by(op.args[0], "T")
    return None if inner is None else inner.args[0]  # x.T.T -> x (no copy either way)


def _matmul(op: Op, f: _Facts) -> Value | Op | None:
    """A product with the unit vectors of a batched Jacobian (``np.eye(n)``): ``eye @ A``
    is ``A``, and ``(eye * v) @ A`` (``diag(v) @ A``) is ``v[:, None] * A``: O(n²), not
    O(n³). (Derivatives only: ``eye @ A`` is ``nan`` where ``A`` has an ``inf``.)"""
    if not f.loose:
        return None
    a, b = op.args
    if _eye(a, f) is not None:
        return b
    if _eye(b, f) is not None:
        return a
    scaled = f.defs.get(a)
    if scaled is None or scaled.prim != "mul":
        return None
    for eye, v in (scaled.args, scaled.args[::-1]):
        n = _eye(eye, f)
        shape = getattr(v.aval, "shape", None) if not isinstance(v.aval, Number) else ()
        if n is None or shape is None:
            continue
        if shape in ((), (n, 1), (1, 1)):
            return replace(op, prim="mul", args=(v, b))
        if shape == (n,):  # a row: diag(v) -> v[:, None]
            column, index = Value(), Value()
            f.pending.append(Op("const", (), (index,), (("value", (slice(None), None)),), (),
                                op.loc))
            f.pending.append(Op("getitem", (v, index), (column,), (), (), op.loc))
            return replace(op, prim="mul", args=(column, b))
    return None


def _eye(v: Value, f: _Facts) -> int | None:
    """``n`` where ``v`` is ``np.eye(n)`` (square, on the diagonal), else None."""
    made = f.defs.get(v)
    if made is None or made.prim != "np.eye" or len(made.args) != 1:
        return None
    n = f.const(made.args[0])
    return n if type(n) is int else None


def _if(op: Op, f: _Facts, subst: dict[Value, Value]) -> Op | list[Op] | None:
    """Results that need no branch: the same value on both sides, or the condition itself."""
    then, other = op.regions
    keep: list[int] = []
    replacements: list[Op] = []
    for k, out in enumerate(op.outs):
        a, b = then.results[k], other.results[k]
        if a is b:
            subst[out] = a  # if c: y = v else: y = v  ->  y = v
        elif f.const(a) is True and f.const(b) is False:
            subst[out] = op.args[0]  # if c: y = True else: y = False  ->  y = c
        elif f.const(a) is False and f.const(b) is True:
            replacements.append(replace(op, prim="not_", outs=(out,), regions=()))
        else:
            keep.append(k)
    if len(keep) == len(op.outs):
        return None
    pruned = replace(op, outs=tuple(op.outs[k] for k in keep), regions=tuple(
        replace(r, results=[r.results[k] for k in keep]) for r in op.regions))
    return [pruned, *replacements]


RULES: dict[str, Callable[[Op, _Facts], Value | Op | None]] = {
    "add": _add, "sub": _sub, "mul": _mul, "truediv": _truediv, "neg": _neg, "pow": _pow,
    "pos": _pos, "select": _select, "getitem": _getitem, "updated": _updated,
    "T": _transpose, "matmul": _matmul,
}


def simplify(fn: Function, *, exact_results: int | None = None) -> Function:
    """Apply ``RULES`` once over ``fn`` (the pipeline repeats passes to a fixed point).

    The first ``exact_results`` results (default: all) keep their exact value and type:
    ``value_and_grad``'s value is exactly ``f(*args)``. Everything else -- derivatives --
    may also use rows that change a type or a last bit, never a meaning: ``x ** 2 -> x * x``
    (faster; ``pow`` may round differently, and overflows with an error where ``*`` gives
    ``inf``), and dropping ``* 1.0``, ``+ 0.0`` or ``/ 1`` (so an int input may give an int
    derivative).
    """
    count = len(fn.body.results) if exact_results is None else exact_results
    exact = ancestors(fn, fn.body.results[:count])
    facts = _Facts(fn, use_counts(fn), exact)

    def visit(op: Op, subst: dict[Value, Value]) -> Op | list[Op] | Value:
        if op.prim == "if":
            return _if(op, facts, subst) or op
        rule = RULES.get(op.prim)
        result = None
        if rule is not None:
            facts.loose = facts.exact.isdisjoint(op.outs)
            result = rule(op, facts)
        if result is None:
            result = op
        if isinstance(result, Value):
            return result
        if not facts.pending:
            facts.note(result)
            return result
        emitted = [*facts.pending, result]
        facts.pending.clear()
        for new in emitted:
            facts.note(new)
        return emitted

    return rewrite(fn, visit)
