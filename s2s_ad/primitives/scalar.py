"""Python operators, ``math`` and scalar builtins: emission, folding, and VJP rules.

Subgradient convention: ``max(x, y)`` sends the cotangent to ``x`` when ``x > y``, to ``y``
when ``y > x``, and half to each at a tie (as JAX and PyTorch do); ``max(x, y, z, ...)``
splits it equally among all the tied operands, and ``min`` likewise. A tangent is split the
same way: at a tie, ``max(x, y)`` moves by ``(dx + dy) / 2``. ``abs(x)`` and ``fabs(x)`` have
derivative ``+1`` at ``x == 0``.
"""

from __future__ import annotations

import ast
import builtins
import functools
import math
import operator
from collections.abc import Callable
from typing import Any

from .registry import (
    PRIMITIVES,
    Call,
    Compare,
    Each,
    Identity,
    Infix,
    Prefix,
    Select,
    declare,
    defprim,
    defvjp,
    nondifferentiable,
    views,
)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _select(cond, a, b):
    return a if cond else b


def _fn(obj, attr=None, module=None):
    return Call(obj, attr or obj.__name__, module)


# --- operators --------------------------------------------------------------------------------
defprim("add", Infix(ast.Add), operator.add, commutative=True, broadcasts=True,
        callables=(operator.add,))
defprim("sub", Infix(ast.Sub), operator.sub, broadcasts=True, callables=(operator.sub,))
defprim("mul", Infix(ast.Mult), operator.mul, commutative=True, broadcasts=True,
        callables=(operator.mul,))
defprim("truediv", Infix(ast.Div), operator.truediv, broadcasts=True,
        callables=(operator.truediv,))
defprim("floordiv", Infix(ast.FloorDiv), operator.floordiv, callables=(operator.floordiv,))
defprim("mod", Infix(ast.Mod), operator.mod, broadcasts=True, callables=(operator.mod,))
defprim("pow", Infix(ast.Pow), operator.pow, broadcasts=True,
        callables=(operator.pow, builtins.pow))
defprim("neg", Prefix(ast.USub), operator.neg, callables=(operator.neg,))
defprim("pos", Prefix(ast.UAdd), operator.pos, callables=(operator.pos,))
defprim("not_", Prefix(ast.Not), operator.not_, callables=(operator.not_,))
for _name, _cmp in [("lt", ast.Lt), ("le", ast.LtE), ("gt", ast.Gt), ("ge", ast.GtE),
                    ("eq", ast.Eq), ("ne", ast.NotEq)]:
    defprim(_name, Compare(_cmp), getattr(operator, _name), callables=(getattr(operator, _name),))
# `x in c`: membership (in a set or dict a comprehension built, a tuple or list argument)
defprim("contains", Compare(ast.In), lambda x, c: x in c, doc="x in c")
defprim("not_contains", Compare(ast.NotIn), lambda x, c: x not in c, doc="x not in c")
defprim("const", None, doc="a constant; its value is the attribute `value`")
defprim("select", Select(), _select, doc="select(c, a, b) is `a if c else b`")
defprim("copy", Identity(), lambda x: x, doc="the value itself; copy propagation removes it")
views("copy")

# --- math ---------------------------------------------------------------------------------
_UNARY_MATH = ("sin cos tan asin acos atan sinh cosh tanh exp expm1 log log2 log10 log1p "
               "sqrt erf erfc fabs floor ceil trunc").split()
for _name in _UNARY_MATH:
    defprim(_name, _fn(getattr(math, _name), module=math), getattr(math, _name),
            callables=(getattr(math, _name),))
defprim("atan2", _fn(math.atan2, module=math), math.atan2, callables=(math.atan2,))
defprim("hypot", _fn(math.hypot, module=math), math.hypot, callables=(math.hypot,))
defprim("math_pow", _fn(math.pow, module=math), math.pow, callables=(math.pow,))

# --- builtins -----------------------------------------------------------------------------
defprim("abs", _fn(builtins.abs), builtins.abs, callables=(builtins.abs,))
# max/min are not commutative: max(nan, 1) is nan but max(1, nan) is 1
defprim("max", _fn(builtins.max), builtins.max, callables=(builtins.max,))
defprim("min", _fn(builtins.min), builtins.min, callables=(builtins.min,))
defprim("float", _fn(builtins.float), builtins.float, callables=(builtins.float,))
defprim("int", _fn(builtins.int), builtins.int, callables=(builtins.int,))
defprim("round", _fn(builtins.round), builtins.round, callables=(builtins.round,))
defprim("bool", _fn(builtins.bool), builtins.bool, callables=(builtins.bool,))

nondifferentiable("const", "floordiv", "not_", "lt", "le", "gt", "ge", "eq", "ne",
                  "contains", "not_contains", "floor", "ceil", "trunc", "int", "round", "bool")
declare("floor", "ceil", "trunc", "int", "round", "bool", "floordiv", "mod", "not_", "lt", "le",
        "gt", "ge", "eq", "ne", "contains", "not_contains", int_result=True)
declare("contains", "not_contains", kind="number", arity=2)
declare("add", "sub", "mul", "neg", "pos", "floordiv", "mod", "pow", "abs", "max", "min",
        "select", "copy", keeps_ints=True)
declare("abs", "pow", array_rule=True)
# elementwise: a number when (and only when) every operand is one
declare("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "abs", "lt",
        "le", "gt", "ge", "eq", "ne", "max", "min", "copy", kind="elementwise")
_OF_NUMBERS = (*_UNARY_MATH, "atan2", "hypot", "math_pow", "float", "int", "round", "bool")
declare(*_OF_NUMBERS, "not_", kind="number", number_operands=True)
declare(*(n for n in _OF_NUMBERS if not PRIMITIVES[n].int_result), float_result=True)
declare("max", "min", number_operands=True)  # (of numbers: max(a, b) of arrays raises)
declare("add", "mul", "copy", "max", "min", keeps_containers=True)
declare("mul", "truediv", tangent_spans_result=True)
declare("add", "sub", "mul", "truediv", "floordiv", "mod", "lt", "le", "gt", "ge", "eq", "ne",
        "atan2", "hypot", "pow", "math_pow", "max", "min", arity=2)
declare("select", arity=3)


# --- VJP rules: one row per primitive, one rule per operand ---------------------------------
def _vjp_pow_exponent(e, g, x, y):
    # d(x**y)/dy = x**y * log(x): defined for x > 0 only (documented in README).
    log = e.log(x) if e.scalar(x) else e.emit("np.log", x)[0]
    return e.mul(g, e.mul(e.pow(x, y), log))


def atan2_partial(e, g, y, x, wrt_y):
    """g times d atan2(y, x) / dy (``wrt_y``) or / dx: elementwise, so ``np.arctan2``'s
    rule too (primitives/numpy.py)."""
    r2 = e.add(e.mul(x, x), e.mul(y, y))
    return e.truediv(e.mul(g, x), r2) if wrt_y else e.neg(e.truediv(e.mul(g, y), r2))


defvjp("add", lambda e, g, x, y: g, lambda e, g, x, y: g)
defvjp("sub", lambda e, g, x, y: g, lambda e, g, x, y: e.neg(g))
defvjp("mul", lambda e, g, x, y: e.mul(g, y), lambda e, g, x, y: e.mul(g, x))
defvjp("truediv", lambda e, g, x, y: e.truediv(g, y),
       lambda e, g, x, y: e.neg(e.mul(g, e.truediv(e.truediv(x, y), y))))
def _vjp_pow_base(e, g, x, y, power="pow"):
    # y * x**(y-1). At x == 0 and y == 0 alone the exponent is 1, so 0 ** -1 is never
    # evaluated (the product is 0 anyway); everywhere else the rule stays differentiable
    # in y. For a constant y the selects fold away.
    y_minus_1 = e.sub(y, 1)
    exponent = e.select(e.eq(x, 0), e.select(e.eq(y, 0), 1, y_minus_1), y_minus_1)
    return e.mul(g, e.mul(y, e.emit(power, x, exponent)[0]))


def _vjp_pow_array_base(e, g, x, y):
    # y * x**(y-1), for arrays or values of either kind. Where y may be 0 (not a constant),
    # the exponent is y - 1 + (x == 0) * (y == 0): 0 where both are (0 ** -1 would raise for
    # a number, be inf for an array; the product is 0 anyway), y - 1 everywhere else
    if y in e.constants:
        return e.mul(g, e.mul(y, e.pow(x, e.sub(y, 1))))
    exponent = e.add(e.sub(y, 1), e.mul(e.eq(x, 0), e.eq(y, 0)))
    return e.mul(g, e.mul(y, e.pow(x, exponent)))


def _vjp_pow(e, g, x, y, power="pow"):
    if _is_zero(e.constants.get(y)):  # x ** 0 is 1 for every x (no 0 ** -1 either)
        return None
    if power == "math_pow" or e.scalar(x, y):
        return _vjp_pow_base(e, g, x, y, power)
    return _vjp_pow_array_base(e, g, x, y)


def _is_zero(value) -> bool:
    return type(value) in (int, float) and value == 0


defvjp("pow", _vjp_pow, _vjp_pow_exponent)
defvjp("math_pow", lambda e, g, x, y: _vjp_pow(e, g, x, y, "math_pow"),
       lambda e, g, x, y: e.mul(g, e.mul(e.math_pow(x, y), e.log(x))))
defvjp("mod", lambda e, g, x, y: g, lambda e, g, x, y: e.neg(e.mul(g, e.floordiv(x, y))))
defvjp("neg", lambda e, g, x: e.neg(g))
defvjp("pos", lambda e, g, x: g)
defvjp("float", lambda e, g, x: g)
defvjp("copy", lambda e, g, x: g)
defvjp("select", None, lambda e, g, c, a, b: e.select(c, g, 0.0),
       lambda e, g, c, a, b: e.select(c, 0.0, g))

def _times_one_minus_square(e, g, t):
    return e.mul(g, e.sub(1.0, e.mul(t, t)))  # (t computed once, even unoptimized)


# Rules that call a function of their own family (math.cos for math.sin, np.cos for
# np.sin), written once: ``f(name, v)`` is the family's version of math's ``name`` applied
# to ``v``. numpy.py gives them NumPy's functions (``family_rule``).
FAMILY_RULES: dict[str, Callable[..., Any]] = {
    "sin": lambda f, e, g, x: e.mul(g, f("cos", x)),
    "cos": lambda f, e, g, x: e.neg(e.mul(g, f("sin", x))),
    "tan": lambda f, e, g, x: e.mul(g, e.add(1.0, e.mul(f("tan", x), f("tan", x)))),
    "asin": lambda f, e, g, x: e.truediv(g, f("sqrt", e.sub(1.0, e.mul(x, x)))),
    "acos": lambda f, e, g, x: e.neg(e.truediv(g, f("sqrt", e.sub(1.0, e.mul(x, x))))),
    "sinh": lambda f, e, g, x: e.mul(g, f("cosh", x)),
    "cosh": lambda f, e, g, x: e.mul(g, f("sinh", x)),
    "tanh": lambda f, e, g, x: _times_one_minus_square(e, g, f("tanh", x)),
    "exp": lambda f, e, g, x: e.mul(g, f("exp", x)),
    "expm1": lambda f, e, g, x: e.mul(g, e.add(f("expm1", x), 1.0)),
    "sqrt": lambda f, e, g, x: e.truediv(e.mul(g, 0.5), f("sqrt", x)),
}


def family_rule(rule: Callable[..., Any], family: Callable[..., Any]) -> Callable[..., Any]:
    """``rule`` (of ``FAMILY_RULES``) as a VJP rule calling ``family(e, name, v)``."""
    return lambda e, g, x: rule(lambda name, v: family(e, name, v), e, g, x)


for _name, _rule in FAMILY_RULES.items():
    defvjp(_name, family_rule(_rule, lambda e, name, v: e.emit(name, v)[0]))
defvjp("atan", lambda e, g, x: e.truediv(g, e.add(1.0, e.mul(x, x))))
defvjp("atan2", lambda e, g, y, x: atan2_partial(e, g, y, x, True),
       lambda e, g, y, x: atan2_partial(e, g, y, x, False))
defvjp("log", lambda e, g, x: e.truediv(g, x))
defvjp("log2", lambda e, g, x: e.truediv(g, e.mul(x, math.log(2.0))))
defvjp("log10", lambda e, g, x: e.truediv(g, e.mul(x, math.log(10.0))))
defvjp("log1p", lambda e, g, x: e.truediv(g, e.add(1.0, x)))
defvjp("erf", lambda e, g, x: e.mul(g, e.mul(_TWO_OVER_SQRT_PI, e.exp(e.neg(e.mul(x, x))))))
defvjp("erfc", lambda e, g, x: e.neg(e.mul(g, e.mul(_TWO_OVER_SQRT_PI,
                                                     e.exp(e.neg(e.mul(x, x)))))))
defvjp("hypot", lambda e, g, x, y: e.mul(g, e.truediv(x, e.hypot(x, y))),
       lambda e, g, x, y: e.mul(g, e.truediv(y, e.hypot(x, y))))
defvjp("abs", lambda e, g, x: (e.select(e.ge(x, 0.0), g, e.neg(g)) if e.scalar(x)
                               else e.emit("np.where", e.ge(x, 0.0), g, e.neg(g))[0]))
defvjp("fabs", lambda e, g, x: e.select(e.ge(x, 0.0), g, e.neg(g)))


def _vjp_max(e, g, *xs, k, which="max"):
    # ties split g equally: `g if x > y else 0.5 * g if x == y else 0.0` for two operands;
    # for more, g over the number of operands equal to the result (none of them if it is nan)
    if len(xs) == 2:
        wins = e.gt(xs[k], xs[1 - k]) if which == "max" else e.lt(xs[k], xs[1 - k])
        return e.select(wins, g, e.select(e.eq(*xs), e.mul(0.5, g), 0.0))
    top = e.emit(which, *xs)[0]
    hits = [e.eq(x, top) for x in xs]
    ties = e.max(functools.reduce(e.add, hits), 1)
    return e.select(hits[k], e.truediv(g, ties), 0.0)


defvjp("max", Each(_vjp_max))
defvjp("min", Each(lambda e, g, *xs, k: _vjp_max(e, g, *xs, k=k, which="min")))


# --- JVP rules ----------------------------------------------------------------------------
# A scalar primitive maps numbers to a number, so each partial derivative is a number and
# multiplies a tangent exactly as it multiplies a cotangent: the JVP rule of an operand is
# its VJP rule with the tangent in place of the cotangent. (Array primitives need their
# own JVP rows: there the two rules differ, e.g. sum vs broadcast.)
def _jvp_rows_from_vjp_rows() -> None:
    from .registry import PRIMITIVES, defjvp

    for prim in PRIMITIVES.values():
        if prim.vjp is not None and prim.jvp is None:
            defjvp(prim.name, *((prim.vjp,) if isinstance(prim.vjp, Each) else prim.vjp))


_jvp_rows_from_vjp_rows()
