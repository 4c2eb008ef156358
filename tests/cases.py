"""The rule table's rows: every differentiable scalar primitive, written as a user writes it.

A row is ``Case(name, fn, inputs, domain)``: ``inputs`` is a hypothesis strategy of argument
tuples, all inside ``domain`` -- where ``fn`` is smooth: kinks (``abs``, ``max``), jumps
(``%``, the branch cut of ``atan2``) and singularities (``log`` at 0, ``asin`` at +-1) are
kept at least ``MARGIN`` away, more than the widest finite-difference stencil the tests use
(``+-2e-3``), so every difference quotient sees one smooth piece.

The functions are ``def``s on purpose: s2s_ad reads their source.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import NamedTuple

from hypothesis import strategies as st

MARGIN = 0.01  # distance kept from kinks, jumps and singularities


class Case(NamedTuple):
    name: str
    fn: Callable[..., float]
    inputs: st.SearchStrategy[tuple[float, ...]]
    domain: str


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A float with ``lo <= |x| <= hi``, either sign."""
    return st.one_of(floats(lo, hi), floats(-hi, -lo))


def points(*coordinates: st.SearchStrategy[float],
           where: Callable[..., bool] | None = None) -> st.SearchStrategy[tuple[float, ...]]:
    tuples = st.tuples(*coordinates)
    return tuples if where is None else tuples.filter(lambda args: where(*args))


def _frac_distance(q: float) -> float:
    """How far ``q`` is from the nearest integer."""
    return abs(q - round(q))


# --- the functions ------------------------------------------------------------------------
def add(x, y):
    return x + y


def add_const(x):
    return 2.5 + x


def sub(x, y):
    return x - y


def rsub_const(x):
    return 1.5 - x


def mul(x, y):
    return x * y


def mul_self(x):
    return x * x


def mul_const(x):
    return x * -3.0


def truediv(x, y):
    return x / y


def rtruediv_const(x):
    return 2.0 / x


def mod(x, y):
    return x % y


def power(x, y):
    return x**y


def power_int(x):
    return x**3


def power_negative_int(x):
    return x**-2


def power_half(x):
    return x**0.5


def power_of_const(x):
    return 2.0**x


def builtin_pow(x, y):
    return pow(x, y)


def neg(x):
    return -x


def pos(x):
    return +x


def operator_module(x, y):
    return operator.add(operator.mul(x, y),
                        operator.sub(operator.truediv(x, y), operator.pow(y, 2)))


def operator_unary(x):
    return operator.neg(operator.pos(x))


def operator_mod(x, y):
    return operator.mod(x, y)


def sin(x):
    return math.sin(x)


def cos(x):
    return math.cos(x)


def tan(x):
    return math.tan(x)


def asin(x):
    return math.asin(x)


def acos(x):
    return math.acos(x)


def atan(x):
    return math.atan(x)


def atan2(y, x):
    return math.atan2(y, x)


def sinh(x):
    return math.sinh(x)


def cosh(x):
    return math.cosh(x)


def tanh(x):
    return math.tanh(x)


def exp(x):
    return math.exp(x)


def expm1(x):
    return math.expm1(x)


def log(x):
    return math.log(x)


def log_base(x, base):
    return math.log(x, base)


def log2(x):
    return math.log2(x)


def log10(x):
    return math.log10(x)


def log1p(x):
    return math.log1p(x)


def sqrt(x):
    return math.sqrt(x)


def math_pow(x, y):
    return math.pow(x, y)


def hypot(x, y):
    return math.hypot(x, y)


def fabs(x):
    return math.fabs(x)


def erf(x):
    return math.erf(x)


def erfc(x):
    return math.erfc(x)


def builtin_abs(x):
    return abs(x)


def builtin_min(x, y):
    return min(x, y)


def builtin_max(x, y):
    return max(x, y)


def builtin_max3(x, y, z):
    return max(x, y, z)


def builtin_min3(x, y, z):
    return min(x * y, z, y)


def builtin_float(x):
    return float(x) * x


def composite(x, y):
    """Several rules meeting: a shared operand, a product rule, a chain rule."""
    t = math.sin(x) * y
    return math.exp(t / (1.0 + y * y)) + math.log(1.0 + x * x) * t


# --- the rows -----------------------------------------------------------------------------
ANY = floats(-5.0, 5.0)
POSITIVE = floats(0.1, 10.0)
NONZERO = away(0.5, 5.0)
BASE = floats(0.2, 3.0)
EXPONENT = floats(-2.0, 2.0)


def _off_the_grid(x: float, y: float) -> bool:
    """``x / y`` at least 0.05 from an integer: ``x % y`` is smooth around ``(x, y)``."""
    return _frac_distance(x / y) > 0.05


def _off_the_cut(y: float, x: float) -> bool:
    """Away from the origin and from atan2's jump on the negative x axis."""
    return math.hypot(x, y) > 0.5 and (x > 0.0 or abs(y) > 0.1)


def _apart(x: float, y: float) -> bool:
    return abs(x - y) > MARGIN


def _all_apart(*xs: float) -> bool:
    return all(_apart(x, y) for k, x in enumerate(xs) for y in xs[k + 1:])


CASES: list[Case] = [
    # operators
    Case("add", add, points(ANY, ANY), "all x, y"),
    Case("add_const", add_const, points(ANY), "all x"),
    Case("sub", sub, points(ANY, ANY), "all x, y"),
    Case("rsub_const", rsub_const, points(ANY), "all x"),
    Case("mul", mul, points(ANY, ANY), "all x, y"),
    Case("mul_self", mul_self, points(ANY), "all x"),
    Case("mul_const", mul_const, points(ANY), "all x"),
    Case("truediv", truediv, points(ANY, NONZERO), "|y| >= 0.5"),
    Case("rtruediv_const", rtruediv_const, points(NONZERO), "|x| >= 0.5"),
    Case("mod", mod, points(floats(-4.0, 4.0), away(0.5, 3.0), where=_off_the_grid),
         "|y| >= 0.5, x/y at least 0.05 from an integer"),
    Case("power", power, points(BASE, EXPONENT),
         "0.2 <= x <= 3, y != 0"),
    Case("power_int", power_int, points(floats(-3.0, 3.0)), "all x"),
    Case("power_negative_int", power_negative_int, points(away(0.3, 3.0)), "|x| >= 0.3"),
    Case("power_half", power_half, points(POSITIVE), "x >= 0.1"),
    Case("power_of_const", power_of_const, points(floats(-3.0, 3.0)), "all x"),
    Case("builtin_pow", builtin_pow, points(BASE, EXPONENT),
         "0.2 <= x <= 3, y != 0"),
    Case("neg", neg, points(ANY), "all x"),
    Case("pos", pos, points(ANY), "all x"),
    Case("operator_module", operator_module, points(ANY, NONZERO), "|y| >= 0.5"),
    Case("operator_unary", operator_unary, points(ANY), "all x"),
    Case("operator_mod", operator_mod, points(floats(-4.0, 4.0), away(0.5, 3.0),
                                              where=_off_the_grid),
         "|y| >= 0.5, x/y at least 0.05 from an integer"),
    # math
    Case("sin", sin, points(ANY), "all x"),
    Case("cos", cos, points(ANY), "all x"),
    Case("tan", tan, points(floats(-1.4, 1.4)), "|x| <= 1.4 (pi/2 = 1.57)"),
    Case("asin", asin, points(floats(-0.9, 0.9)), "|x| <= 0.9"),
    Case("acos", acos, points(floats(-0.9, 0.9)), "|x| <= 0.9"),
    Case("atan", atan, points(ANY), "all x"),
    Case("atan2", atan2, points(ANY, ANY, where=_off_the_cut),
         "r >= 0.5, not within 0.1 of the negative x axis"),
    Case("sinh", sinh, points(floats(-3.0, 3.0)), "|x| <= 3"),
    Case("cosh", cosh, points(floats(-3.0, 3.0)), "|x| <= 3"),
    Case("tanh", tanh, points(floats(-3.0, 3.0)), "|x| <= 3"),
    Case("exp", exp, points(ANY), "|x| <= 5"),
    Case("expm1", expm1, points(ANY), "|x| <= 5"),
    Case("log", log, points(POSITIVE), "x >= 0.1"),
    Case("log_base", log_base, points(POSITIVE, st.one_of(floats(0.1, 0.7), floats(1.5, 10.0))),
         "x >= 0.1, base in [0.1, 0.7] or [1.5, 10] (away from 1)"),
    Case("log2", log2, points(POSITIVE), "x >= 0.1"),
    Case("log10", log10, points(POSITIVE), "x >= 0.1"),
    Case("log1p", log1p, points(floats(-0.9, 10.0)), "x >= -0.9"),
    Case("sqrt", sqrt, points(POSITIVE), "x >= 0.1"),
    Case("math_pow", math_pow, points(BASE, EXPONENT),
         "0.2 <= x <= 3, y != 0"),
    Case("hypot", hypot, points(ANY, ANY, where=lambda x, y: math.hypot(x, y) > 0.5),
         "r >= 0.5"),
    Case("fabs", fabs, points(away(MARGIN, 5.0)), f"|x| >= {MARGIN}"),
    Case("erf", erf, points(floats(-3.0, 3.0)), "|x| <= 3"),
    Case("erfc", erfc, points(floats(-3.0, 3.0)), "|x| <= 3"),
    # builtins
    Case("abs", builtin_abs, points(away(MARGIN, 5.0)), f"|x| >= {MARGIN}"),
    Case("min", builtin_min, points(ANY, ANY, where=_apart), f"|x - y| > {MARGIN}"),
    Case("max", builtin_max, points(ANY, ANY, where=_apart), f"|x - y| > {MARGIN}"),
    Case("max3", builtin_max3, points(ANY, ANY, ANY, where=_all_apart),
         f"x, y, z pairwise more than {MARGIN} apart"),
    Case("min3", builtin_min3, points(ANY, ANY, ANY, where=lambda x, y, z: _all_apart(x * y, z, y)),
         f"x * y, z, y pairwise more than {MARGIN} apart"),
    Case("float", builtin_float, points(ANY), "all x"),
    # rules meeting each other
    Case("composite", composite, points(floats(-2.0, 2.0), floats(-2.0, 2.0)), "|x|, |y| <= 2"),
]


def arity(case: Case) -> int:
    return case.fn.__code__.co_argcount


def by_name(name: str) -> Case:
    return next(case for case in CASES if case.name == name)


__all__ = ["CASES", "MARGIN", "Case", "arity", "by_name"]
