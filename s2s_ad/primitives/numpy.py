"""NumPy: emission, folding, and VJP/JVP rules for the everyday array surface.

Rules are written for arrays of any shape. Elementwise rows need no unbroadcast of their
own: reverse mode sums a cotangent back to its operand's shape in one place
(``Reverse.backward_op``). Reductions take ``axis``/``keepdims`` as attributes, so their
rules put the cotangent back on the reduced axes.

Conventions at kinks: ``np.abs`` has derivative +1 at 0; ``np.maximum``/``np.minimum``
give each operand half the cotangent at a tie (like ``max``/``min``; a tangent is likewise
``(dx + dy) / 2`` there), and ``np.max``/``np.min`` share it equally among the tied entries;
``np.clip(x, lo, hi)`` gives it all to ``x`` at a bound; ``np.sort`` at a tie follows the
order ``np.argsort`` picks (the derivative on one side); ``np.sign``, comparisons and
``np.argmax``/``np.argmin``/``np.argsort`` carry no derivative.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator

import numpy as np

from .. import runtime
from ..ir import avals
from ..ir.core import Value
from . import scalar  # noqa: F401  (first: np rules share its rows; its JVP rows are its own)
from .registry import (
    PRIMITIVES,
    Attribute,
    Call,
    Each,
    Infix,
    Method,
    declare,
    defjvp,
    defprim,
    defvjp,
    nondifferentiable,
    views,
)


def _np(e, name, *args, **attrs):
    """Emit ``np.<name>(*args, **attrs)``; returns its value."""
    return e.emit("np." + name, *args, **attrs)[0]


def _call(attr: str, obj) -> Call:
    return Call(obj, attr, np)


def _defnp(name: str, *, elementwise: bool = False, reduction: bool = False,
           pack: bool = False, leading: tuple[str, ...] = (),
           obj=None) -> None:
    """Declare ``np.<name>`` (``linalg.inv`` for ``np.linalg.inv``)."""
    if obj is None:
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part)
    kind = ("elementwise" if elementwise else "reduction" if reduction
            else "")
    evaluate = obj
    if pack:
        def evaluate(*xs, **attrs):
            return obj(xs, **attrs)
    elif leading:
        def evaluate(*xs, **attrs):
            return obj(*(attrs.pop(a) for a in leading), *xs, **attrs)
    defprim("np." + name, Call(obj, name, np, pack=pack, leading=leading), evaluate,
            broadcasts=elementwise and name not in _UNARY, kind=kind, callables=(obj,))


_UNARY = ("sin cos tan arcsin arccos arctan sinh cosh tanh exp expm1 log log1p log2 log10 "
          "sqrt square abs sign floor ceil negative").split()
_BINARY = "arctan2 power maximum minimum logaddexp".split()
for _name in _UNARY + _BINARY:
    _defnp(_name, elementwise=True)
_defnp("where", elementwise=True)
_defnp("clip", elementwise=True)
for _name in "sum mean prod max min var std".split():
    _defnp(_name, reduction=True)
_defnp("linalg.norm", reduction=True)
for _name in ("matmul dot outer inner transpose trace linalg.solve linalg.inv reshape ravel "
              "squeeze expand_dims broadcast_to cumsum shape size ndim copy").split():
    _defnp(_name)
_defnp("linalg.det")
for _name in "concatenate stack hstack vstack".split():
    _defnp(_name, pack=True)
_defnp("einsum", leading=("subscripts",))
# constructors: see "constructors" below for what carries a derivative
for _name in ("zeros ones full eye identity arange linspace zeros_like ones_like full_like "
              "array asarray").split():
    _defnp(_name)
_defnp("add.at", obj=np.add.at)
defprim("T", Attribute("T"), lambda x: x.T, doc="x.T")
defprim("astype", Method("astype"), lambda x, dtype: x.astype(dtype), doc="x.astype(dtype)")
declare("astype", shaped_like_first=True)
# x.sum(axis=...) of an array known to be one: NumPy's method, cheaper than np.sum's wrapper
defprim(".sum", Method("sum"), lambda x, **attrs: x.sum(**attrs), kind="reduction",
        doc="x.sum(axis=..., keepdims=...) of an ndarray")
for _name in ("shape", "ndim", "size", "dtype"):
    defprim("." + _name, Attribute(_name), operator.attrgetter(_name), doc=f"x.{_name}")
PRIMITIVES["np.asarray"].kind = PRIMITIVES["np.array"].kind = "elementwise"
nondifferentiable("np.sign", "np.floor", "np.ceil", "np.shape", "np.size", "np.ndim",
                  "np.zeros", "np.ones", "np.eye", "np.identity",
                  "np.zeros_like", "np.ones_like", "np.add.at", ".shape", "astype",
                  ".ndim", ".size", ".dtype")
for _name in ("np.ndim", "np.size", ".ndim", ".size", "np.linalg.det"):
    PRIMITIVES[_name].kind = "number"
views("T", "np.transpose", "np.reshape", "np.ravel", "np.squeeze", "np.expand_dims",
      "np.broadcast_to", "np.asarray")
declare("T", array_op=True)
# their shapes are found by running them on stand-ins of the operands' shapes
declare("np.expand_dims", "np.sum", ".sum", "np.mean", "np.max", "np.min", "np.prod", "T",
        "np.transpose", "np.reshape", "np.outer", "np.dot",
        "np.ones_like", "np.zeros_like", "np.var", "np.std", "np.linalg.norm", "np.cumsum",
        "np.linalg.inv", "np.linalg.solve", "np.squeeze", "np.ravel", shape_by_example=True)


# --- helpers for the rules -------------------------------------------------------------
def _shape(e, x):
    shape = e.array_shape(x)
    return e.const(shape) if shape is not None else _np(e, "shape", x)


def _size(e, x):
    shape = e.array_shape(x)
    return e.const(math.prod(shape)) if shape is not None else _np(e, "size", x)


def _unreduce(e, g, x, axis=None, keepdims=False):
    """``g`` (a reduction's cotangent) broadcast back over the axes ``x`` lost."""
    source = e.deferred.get(g)
    if source is not None and e.scalar(source[0]):  # already a broadcast number
        g = source[0]
    elif axis is not None and not keepdims and not e.scalar(g):
        ndim = e.ndim(x)
        shape = e.array_shape(g)
        if isinstance(axis, int) and ndim is not None and shape is not None:
            colon = e.emit("slice", None, None, None)[0]  # g[:, None]: cheaper than a call
            axis %= ndim
            g = e.getitem(g, e.emit("tuple", *[colon] * axis, e.const(None))[0])
            g.aval = avals.with_shape(shape[:axis] + (1,) + shape[axis:])
        else:
            g = _np(e, "expand_dims", g, axis=axis)
    return _np(e, "broadcast_to", g, _shape(e, x))


def _count(e, g, x):
    """How many entries of ``x`` each entry of the reduction ``g`` summarises."""
    return e.truediv(_size(e, x), 1 if e.scalar(g) else _size(e, g))


def _swap(e, x):
    """``x`` with its last two axes swapped (``x.T`` for matrices)."""
    return _np(e, "swapaxes", x, -1, -2)


# --- elementwise ---------------------------------------------------------------------------
def _vjp_logaddexp(e, g, x, y, first):
    return e.mul(g, _np(e, "exp", e.sub(x if first else y, _np(e, "logaddexp", x, y))))


def _vjp_power_base(e, g, x, y):
    value = e.constants.get(y)
    if type(value) in (int, float) and value == 0:  # x ** 0 is 1 for every x
        return None
    return e.mul(g, e.mul(y, _np(e, "power", x, e.sub(y, 1))))


def _where(e, cond, g, operands, otherwise=0.0):
    """``g`` where ``cond`` holds, else ``otherwise``: Python's ternary when the primal
    ``operands`` are numbers (np.where would give a number's derivative as a 0-d array)."""
    if e.scalar(*operands):
        return e.select(cond, g, otherwise)
    return _np(e, "where", cond, g, otherwise)


def _vjp_maximum(e, g, x, y, wins):
    # g where this operand wins, half of it at a tie (a subgradient, as in JAX):
    # np.where(x > y, g, np.where(x == y, 0.5 * g, 0.0))
    return _where(e, wins, g, (x, y), _where(e, e.eq(x, y), e.mul(0.5, g), (x, y)))


# math's rules that call their own family (scalar.FAMILY_RULES), with NumPy's functions
_NP_NAMES = {"asin": "arcsin", "acos": "arccos"}  # where NumPy's name is not math's
for _math_name, _rule in scalar.FAMILY_RULES.items():
    defvjp("np." + _NP_NAMES.get(_math_name, _math_name), scalar.family_rule(
        _rule, lambda e, name, v: _np(e, _NP_NAMES.get(name, name), v)))
defvjp("np.square", lambda e, g, x: e.mul(g, e.mul(2.0, x)))
defvjp("np.abs", lambda e, g, x: _where(e, e.ge(x, 0.0), g, (x,), e.neg(g)))
# the rules that call no function of x are math's (scalar.py): elementwise, for arrays too
for _np_name, _math_name in (("arctan2", "atan2"), ("arctan", "atan"), ("log", "log"),
                             ("log1p", "log1p"), ("log2", "log2"), ("log10", "log10"),
                             ("negative", "neg")):
    defvjp("np." + _np_name, *PRIMITIVES[_math_name].vjp)
defvjp("np.power", _vjp_power_base,
       lambda e, g, x, y: e.mul(g, e.mul(_np(e, "power", x, y), _np(e, "log", x))))
defvjp("np.maximum", lambda e, g, x, y: _vjp_maximum(e, g, x, y, e.gt(x, y)),
       lambda e, g, x, y: _vjp_maximum(e, g, x, y, e.gt(y, x)))
defvjp("np.minimum", lambda e, g, x, y: _vjp_maximum(e, g, x, y, e.lt(x, y)),
       lambda e, g, x, y: _vjp_maximum(e, g, x, y, e.lt(y, x)))
defvjp("np.logaddexp", lambda e, g, x, y: _vjp_logaddexp(e, g, x, y, True),
       lambda e, g, x, y: _vjp_logaddexp(e, g, x, y, False))
defvjp("np.where", None, lambda e, g, c, a, b: _where(e, c, g, (c, a, b)),
       lambda e, g, c, a, b: _where(e, c, 0.0, (c, a, b), g))
def _inside(e, x, lo, hi):
    """Where np.clip passes x through: lo <= x <= hi, unless lo == hi (a constant)."""
    inside = e.mul(e.ge(x, lo), e.le(x, hi))
    bounds = [e.constants.get(b) for b in (lo, hi)]
    if all(isinstance(b, (int, float)) for b in bounds) and bounds[0] < bounds[1]:
        return inside  # constant bounds, apart: no test
    return e.mul(inside, e.lt(lo, hi))


defvjp("np.clip",
       lambda e, g, x, lo, hi: _where(e, _inside(e, x, lo, hi), g, (x, lo, hi)),
       lambda e, g, x, lo, hi: _where(e, e.lt(x, lo), g, (x, lo, hi)),
       lambda e, g, x, lo, hi: _where(e, e.gt(x, hi), g, (x, lo, hi)))
# elementwise: the derivative multiplies a tangent as it multiplies a cotangent
for _name in _UNARY + _BINARY + ["where", "clip"]:
    if PRIMITIVES["np." + _name].vjp is not None:
        defjvp("np." + _name, *PRIMITIVES["np." + _name].vjp)


# --- reductions ------------------------------------------------------------------------------
def _vjp_max(e, g, x, axis=None, keepdims=False, which="max"):
    # ties share the cotangent equally
    top = _np(e, which, x, axis=axis, keepdims=True)
    hit = e.astype(e.eq(x, top), e.emit(".dtype", x)[0])  # in x's dtype: float32 stays
    share = e.truediv(hit, _np(e, "sum", hit, axis=axis, keepdims=True))
    return e.mul(share, _unreduce(e, g, x, axis, keepdims))


def _vjp_var(e, g, x, axis=None, keepdims=False, ddof=0):
    centred = e.sub(x, _np(e, "mean", x, axis=axis, keepdims=True))
    n = e.sub(_count(e, g, x), ddof)
    return e.mul(_unreduce(e, g, x, axis, keepdims), e.truediv(e.mul(2.0, centred), n))


def _vjp_std(e, g, x, axis=None, keepdims=False, ddof=0):
    s = _np(e, "std", x, axis=axis, keepdims=keepdims, **({"ddof": ddof} if ddof else {}))
    return _vjp_var(e, e.truediv(g, e.mul(2.0, s)), x, axis, keepdims, ddof)


def _vjp_norm(e, g, x, axis=None, keepdims=False):
    n = _np(e, "linalg.norm", x, axis=axis, keepdims=True)
    return e.mul(_unreduce(e, g, x, axis, keepdims), e.truediv(x, n))


def _vjp_prod(e, g, x, axis=None, keepdims=False):
    # prod / x: documented to give nan where an entry is 0
    p = _np(e, "prod", x, axis=axis, keepdims=True)
    return e.mul(_unreduce(e, g, x, axis, keepdims), e.truediv(p, x))


defvjp("np.sum", lambda e, g, x, axis=None, keepdims=False: _unreduce(e, g, x, axis, keepdims))
defvjp("np.mean", lambda e, g, x, axis=None, keepdims=False: e.truediv(
    _unreduce(e, g, x, axis, keepdims), _count(e, g, x)))
defvjp("np.prod", _vjp_prod)
defvjp("np.max", _vjp_max)
defvjp("np.min", lambda e, g, x, axis=None, keepdims=False: _vjp_max(e, g, x, axis, keepdims,
                                                                        "min"))
defvjp("np.var", _vjp_var)
defvjp("np.std", _vjp_std)
defvjp("np.linalg.norm", _vjp_norm)
defvjp("np.cumsum", lambda e, g, x, axis=None: (
    _np(e, "reshape", _np(e, "flip", _np(e, "cumsum", _np(e, "flip", g))), _shape(e, x))
    if axis is None else _np(e, "flip", _np(e, "cumsum", _np(e, "flip", g, axis=axis),
                                            axis=axis), axis=axis)))


def _jvp_same(name):
    """The JVP of a linear function: the function of the tangent."""
    return lambda e, dx, x, **attrs: _np(e, name, dx, **attrs)


def _jvp_from_vjp(name):
    """``sum(dx * vjp(ones))`` over the reduced axes: the JVP of a reduction."""
    def rule(e, dx, x, axis=None, keepdims=False, **attrs):
        ones = _np(e, "ones_like", _np(e, name, x, axis=axis, keepdims=keepdims, **attrs))
        local = PRIMITIVES["np." + name].vjp[0](e, ones, x, axis=axis, keepdims=keepdims,
                                                **attrs)
        return _np(e, "sum", e.mul(dx, local), axis=axis, keepdims=keepdims)
    return rule


for _name in ("sum", "mean", "cumsum", "transpose", "ravel", "squeeze", "expand_dims", "copy"):
    defjvp("np." + _name, _jvp_same(_name))
defjvp("np.reshape", lambda e, dx, x, shape: _np(e, "reshape", dx, shape), None)
for _name in ("max", "min", "prod", "var", "std", "linalg.norm"):
    defjvp("np." + _name, _jvp_from_vjp(_name))
# x.sum(axis=...) is written only by gradients (a broadcast operand's cotangent): forward
# mode over them (hessian, hvp) needs its JVP
defjvp(".sum", lambda e, dx, x, **attrs: e.emit(".sum", dx, **attrs)[0])
defvjp(".sum", PRIMITIVES["np.sum"].vjp[0])


# --- linear algebra --------------------------------------------------------------------------
defprim("matmul", Infix(ast.MatMult), operator.matmul, callables=(operator.matmul,))
declare("matmul", array_op=True, shape_by_example=True)


def _t(e, x):
    """``x.T`` for a matrix; the last two axes swapped for a stack of them."""
    return e.T(x) if e.ndim(x) == 2 else _swap(e, x)


def _vjp_matmul(e, g, a, b, wrt_a):
    """``g @ b.T`` and ``a.T @ g``, with vectors promoted as ``@`` promotes them."""
    ranks = (e.ndim(a), e.ndim(b))
    if ranks == (2, 2):
        return e.matmul(g, e.T(b)) if wrt_a else e.matmul(e.T(a), g)
    if ranks == (2, 1):  # A @ v
        return _np(e, "outer", g, b) if wrt_a else e.matmul(e.T(a), g)
    if ranks == (1, 2):  # v @ B
        return e.matmul(b, g) if wrt_a else _np(e, "outer", a, g)
    if ranks == (1, 1):
        return e.mul(g, b) if wrt_a else e.mul(g, a)
    if None not in ranks and min(ranks) > 2 or ranks in ((2, 3), (3, 2)):  # batches
        d = e.matmul(g, _t(e, b)) if wrt_a else e.matmul(_t(e, a), g)
    else:  # ranks unknown when transforming
        d = e.matmul_vjp(g, a, b, which=0 if wrt_a else 1)
    return e.unbroadcast(d, a if wrt_a else b)


defvjp("matmul", lambda e, g, a, b: _vjp_matmul(e, g, a, b, True),
       lambda e, g, a, b: _vjp_matmul(e, g, a, b, False))
defjvp("matmul", lambda e, da, a, b: e.matmul(da, b), lambda e, db, a, b: e.matmul(a, db))
defvjp("np.matmul", *PRIMITIVES["matmul"].vjp)
defjvp("np.matmul", *PRIMITIVES["matmul"].jvp)
defvjp("np.dot", lambda e, g, a, b: _vjp_matmul(e, g, a, b, True),
       lambda e, g, a, b: _vjp_matmul(e, g, a, b, False))
defjvp("np.dot", lambda e, da, a, b: _np(e, "dot", da, b), lambda e, db, a, b: _np(e, "dot", a, db))
def _vjp_outer(e, g, a, b, wrt_a):
    # np.outer ravels its operands: put the cotangent back in the operand's shape
    d = _np(e, "dot", g, _np(e, "ravel", b)) if wrt_a else _np(e, "dot", _np(e, "ravel", a), g)
    x = a if wrt_a else b
    return d if e.ndim(x) == 1 else _back_to(e, d, x)


defvjp("np.outer", lambda e, g, a, b: _vjp_outer(e, g, a, b, True),
       lambda e, g, a, b: _vjp_outer(e, g, a, b, False))
defjvp("np.outer", lambda e, da, a, b: _np(e, "outer", da, b),
       lambda e, db, a, b: _np(e, "outer", a, db))
def _vjp_inner(e, g, a, b, wrt_a):
    """inner(a, b) sums over the last axis of both: out[α, β] = Σk a[α, k] b[β, k]."""
    na, nb = e.ndim(a), e.ndim(b)
    if na is None or nb is None or (na, nb) == (1, 1) or 0 in (na, nb):
        return e.mul(g, b if wrt_a else a)  # vectors (the shape-generic code assumes them)
    if wrt_a:  # da[α, k] = Σβ g[α, β] b[β, k]
        axes = (tuple(range(na - 1, na + nb - 2)), tuple(range(nb - 1)))
        return _np(e, "tensordot", g, b, axes=axes)
    axes = (tuple(range(na - 1)), tuple(range(na - 1)))  # db[β, k] = Σα g[α, β] a[α, k]
    return _np(e, "tensordot", g, a, axes=axes)


defvjp("np.inner", lambda e, g, a, b: _vjp_inner(e, g, a, b, True),
       lambda e, g, a, b: _vjp_inner(e, g, a, b, False))
defjvp("np.inner", lambda e, da, a, b: _np(e, "inner", da, b),
       lambda e, db, a, b: _np(e, "inner", a, db))
defvjp("T", lambda e, g, x: e.T(g))
defjvp("T", lambda e, dx, x: e.T(dx))
defvjp("np.transpose", lambda e, g, x, axes=None: _np(
    e, "transpose", g, **({"axes": tuple(int(i) for i in np.argsort(axes))} if axes else {})))
defvjp("np.trace", lambda e, g, x: e.mul(g, _np(e, "eye", e.getitem(_shape(e, x), 0),
                                                e.getitem(_shape(e, x), 1))))
defjvp("np.trace", _jvp_same("trace"))


def _inv_t(e, a):
    """``inv(a).T``, the last two axes swapped for a stack of matrices."""
    inv = _np(e, "linalg.inv", a)
    return e.T(inv) if e.ndim(a) == 2 else _swap(e, inv)


def _per_matrix(e, g, a):
    """``g``, one number per matrix of ``a``, ready to scale them: ``g[..., None, None]``
    for a stack (or a rank known only at run time)."""
    return g if e.ndim(a) == 2 else _np(e, "expand_dims", g, axis=(-2, -1))


def _dlogdet(e, da, a):
    """The tangent of ``log|det a|`` along ``da``: ``sum(inv(a).T * da)`` per matrix."""
    dl = e.mul(_inv_t(e, a), da)
    return _np(e, "sum", dl) if e.ndim(a) == 2 else _np(e, "sum", dl, axis=(-2, -1))


def _vjp_solve(e, g, a, b, wrt_a):
    # x = solve(a, b): db = solve(a.T, g), da = -db x.T
    db = _np(e, "linalg.solve", _swap(e, a), g)
    if not wrt_a:
        return db
    x = _np(e, "linalg.solve", a, b)
    return e.neg(_np(e, "outer", db, x) if e.ndim(b) == 1 else e.matmul(db, _swap(e, x)))


def _vjp_inv(e, g, a):
    inv_t = _swap(e, _np(e, "linalg.inv", a))
    return e.neg(e.matmul(inv_t, e.matmul(g, inv_t)))


defvjp("np.linalg.solve", lambda e, g, a, b: _vjp_solve(e, g, a, b, True),
       lambda e, g, a, b: _vjp_solve(e, g, a, b, False))
defjvp("np.linalg.solve", lambda e, da, a, b: e.neg(_np(e, "linalg.solve", a, e.matmul(
    da, _np(e, "linalg.solve", a, b)))), lambda e, db, a, b: _np(e, "linalg.solve", a, db))
defvjp("np.linalg.inv", _vjp_inv)
defjvp("np.linalg.inv", lambda e, da, a: e.neg(e.matmul(_np(e, "linalg.inv", a), e.matmul(
    da, _np(e, "linalg.inv", a)))))
defvjp("np.linalg.det", lambda e, g, a: e.mul(_per_matrix(e, e.mul(g, _np(e, "linalg.det", a)),
                                                          a), _inv_t(e, a)))
defjvp("np.linalg.det", lambda e, da, a: e.mul(_np(e, "linalg.det", a), _dlogdet(e, da, a)))


# --- shapes ----------------------------------------------------------------------------------
def _back_to(e, g, x):
    shape = e.array_shape(x)
    if shape is not None and e.array_shape(g) == shape:
        return g  # already x's shape
    return _np(e, "reshape", g, _shape(e, x))


defvjp("np.reshape", lambda e, g, x, shape: _back_to(e, g, x), None)
defvjp("np.ravel", lambda e, g, x: _back_to(e, g, x))
defvjp("np.squeeze", lambda e, g, x, **attrs: _back_to(e, g, x))
defvjp("np.expand_dims", lambda e, g, x, axis: _back_to(e, g, x))
defvjp("np.copy", lambda e, g, x: g)
# np.array(xs) of a list computed here (np.array([a, b]) is np.stack): the cotangent is
# the list's whole adjoint, which reverse mode adds up with its item adjoints
defvjp("np.array", lambda e, g, x, **attrs: g)
defjvp("np.array", lambda e, dx, x, **attrs: _np(e, "array", dx, **attrs))
defvjp("np.asarray", lambda e, g, x, **attrs: g)
defjvp("np.asarray", lambda e, dx, x, **attrs: _np(e, "asarray", dx, **attrs))
defvjp("np.broadcast_to", lambda e, g, x, shape: e.emit("unbroadcast", g, x)[0], None)
defjvp("np.broadcast_to", lambda e, dx, x, shape: _np(e, "broadcast_to", dx, shape), None)


def _bounds(e, sizes):
    """Where the pieces of sizes ``sizes`` start, after the first: ``np.split``'s indices."""
    starts, at = [], None
    for size in sizes[:-1]:
        at = size if at is None else e.add(at, size)
        starts.append(at)
    return e.emit("tuple", *starts)[0]


def _vjp_concatenate(e, g, *xs, k, axis=0):
    sizes = [e.getitem(_shape(e, x), axis) for x in xs]
    return e.getitem(_np(e, "split", g, _bounds(e, sizes), axis), k)


def _vjp_hstack(e, g, *xs, k):
    axis = e.select(e.eq(_np(e, "ndim", g), 1), 0, 1)
    sizes = [e.getitem(_shape(e, x), axis) for x in xs]
    return e.getitem(_np(e, "split", g, _bounds(e, sizes), axis), k)


def _vjp_vstack(e, g, *xs, k):
    # a vector is one row; anything else adds its first axis
    sizes = [e.select(e.eq(_np(e, "ndim", x), 1), 1, e.getitem(_shape(e, x), 0)) for x in xs]
    piece = e.getitem(_np(e, "split", g, _bounds(e, sizes), 0), k)
    return _back_to(e, piece, xs[k])


def _jvp_join(name):
    def rule(e, dx, *xs, k, **attrs):
        pieces = [dx if j == k else _np(e, "zeros_like", x) for j, x in enumerate(xs)]
        return _np(e, name, *pieces, **attrs)
    return rule


defvjp("np.concatenate", Each(_vjp_concatenate))
defvjp("np.stack", Each(lambda e, g, *xs, k, axis=0: _np(e, "take", g, k, axis=axis)))
defvjp("np.hstack", Each(_vjp_hstack))
defvjp("np.vstack", Each(_vjp_vstack))
for _name in ("concatenate", "stack", "hstack", "vstack"):
    defjvp("np." + _name, Each(_jvp_join(_name)))
    declare("np." + _name, joins=True)

defprim("np.moveaxis", Call(np.moveaxis, "moveaxis", np), np.moveaxis,
        callables=(np.moveaxis,), doc="np.moveaxis(x, source=..., destination=...)")
views("np.moveaxis")
defvjp("np.moveaxis", lambda e, g, x, source, destination: _np(
    e, "moveaxis", g, source=destination, destination=source))
defjvp("np.moveaxis", lambda e, dx, x, source, destination: _np(
    e, "moveaxis", dx, source=source, destination=destination))

# np.stack(xs) and np.concatenate(xs) of a list built at run time (appended to in a loop):
# the cotangent is the list's whole adjoint, a sequence of pieces, one per item (reverse
# mode adds it up with the item adjoints: runtime.merge_adjoints)
defprim("np.stack_items", Call(np.stack, "stack", np), doc="np.stack(xs) of a run-time list")
defprim("np.concatenate_items", Call(np.concatenate, "concatenate", np),
        doc="np.concatenate(xs) of a run-time list")
defprim("split_like", Call(runtime.split_like, "split_like"),
        doc="split_like(g, xs, axis): g cut into pieces shaped like the items of xs")
defvjp("np.stack_items", lambda e, g, xs, axis=0: g if axis == 0 else _np(
    e, "moveaxis", g, source=axis, destination=0))
defjvp("np.stack_items", lambda e, dxs, xs, axis=0: e.emit("np.stack_items", dxs, axis=axis)[0])
defvjp("np.concatenate_items", lambda e, g, xs, axis=0: e.split_like(g, xs, axis=axis))
for _join_kind in "hv":
    defprim(f"np.{_join_kind}stack_items", Call(getattr(np, f"{_join_kind}stack"),
                                                f"{_join_kind}stack", np),
            doc=f"np.{_join_kind}stack(xs) of a run-time list")
    defvjp(f"np.{_join_kind}stack_items",
           lambda e, g, xs, kind=_join_kind: e.split_like(g, xs, axis=kind))
    defjvp(f"np.{_join_kind}stack_items",
           lambda e, dxs, xs, kind=_join_kind: e.emit(f"np.{kind}stack_items", dxs)[0])
defjvp("np.concatenate_items",
       lambda e, dxs, xs, axis=0: e.emit("np.concatenate_items", dxs, axis=axis)[0])
defvjp("split_like", lambda e, ct, g, xs, axis=0: _join(e, ct, axis), None, None)
defjvp("split_like", lambda e, dg, g, xs, axis=0: e.emit(
    "split_like", dg, xs, *([axis] if isinstance(axis, Value) else []),
    **({} if isinstance(axis, Value) else {"axis": axis}))[0], None, None)
# np.concatenate(xs, axis) with the axis known only at run time (np.hstack's cotangent
# splits along 0 or 1, by the rank)
defprim("np.concatenate_along", Call(np.concatenate, "concatenate", np),
        doc="np.concatenate(xs, axis) of a run-time list, along an axis computed at run time")
defvjp("np.concatenate_along", lambda e, g, xs, axis: e.split_like(g, xs, axis), None)
defjvp("np.concatenate_along", lambda e, dxs, xs, axis: e.emit("np.concatenate_along", dxs,
                                                               axis)[0], None)


def _join(e, pieces, axis):
    """np.concatenate of a run-time list ``pieces`` along ``axis``: an int, or a value
    (a constant, or one computed at run time); np.hstack for "h", np.vstack for "v"."""
    if axis in ("h", "v"):
        return e.emit(f"np.{axis}stack_items", pieces)[0]
    if isinstance(axis, Value):
        if axis not in e.constants:
            return e.emit("np.concatenate_along", pieces, axis)[0]
        axis = e.constants[axis]
    return e.emit("np.concatenate_items", pieces, axis=axis)[0]


def _einsum_specs(subscripts: str, n: int) -> tuple[list[str], str]:
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise NotImplementedError("einsum with '...'")
    inputs, _, output = spec.partition("->")
    ins = inputs.split(",")
    if "->" not in spec:
        letters = "".join(ins)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(ins) != n or any(len(set(s)) != len(s) for s in ins):
        raise NotImplementedError("einsum with a repeated index in one operand")
    return ins, output


def _vjp_einsum(e, g, *xs, k, subscripts):
    ins, out = _einsum_specs(subscripts, len(xs))
    others = [x for j, x in enumerate(xs) if j != k]
    specs = [out] + [s for j, s in enumerate(ins) if j != k]
    if set(ins[k]) - set("".join(specs)):  # an index only operand k has: broadcast over it
        specs.append(ins[k])
        others.append(_np(e, "ones_like", xs[k]))
    return _np(e, "einsum", g, *others, subscripts=",".join(specs) + "->" + ins[k])


def _jvp_einsum(e, dx, *xs, k, subscripts):
    return _np(e, "einsum", *(dx if j == k else x for j, x in enumerate(xs)),
               subscripts=subscripts)


defvjp("np.einsum", Each(_vjp_einsum))
defjvp("np.einsum", Each(_jvp_einsum))
for _name in ("split", "take", "flip", "swapaxes", "multiply", "tensordot"):
    _defnp(_name)
# tensordot appears in np.inner's gradient (not in users' code): forward mode over it, which
# hessian and hvp run, needs its JVP; it is bilinear
defjvp("np.tensordot", lambda e, da, a, b, axes: _np(e, "tensordot", da, b, axes=axes),
       lambda e, db, a, b, axes: _np(e, "tensordot", a, db, axes=axes))


def _vjp_tensordot(e, g, a, b, axes, which):
    """Reverse mode over a gradient that has one (np.inner's): an einsum of g with the other
    operand, or, where the ranks are not known yet, the same at run time."""
    na, nb = e.ndim(a), e.ndim(b)
    if na is None or nb is None:
        return e.tensordot_vjp(g, a, b, axes=axes, which=which)
    spec = runtime.tensordot_spec(na, nb, axes, which)
    return _np(e, "einsum", g, b if which == 0 else a, subscripts=spec)


defvjp("np.tensordot", lambda e, g, a, b, axes: _vjp_tensordot(e, g, a, b, axes, 0),
       lambda e, g, a, b, axes: _vjp_tensordot(e, g, a, b, axes, 1))
defprim("tensordot_vjp", Call(runtime.tensordot_vjp, "tensordot_vjp"),
        doc="a cotangent of np.tensordot for operands of ranks unknown when transforming")
# tensordot_vjp(g, a, b, axes, which) is linear in g and, given g, in b (which=0) or a
defvjp("tensordot_vjp",
       lambda e, ct, g, a, b, axes, which: _np(e, "tensordot", *((ct, b) if which == 0
                                                                 else (a, ct)), axes=axes),
       lambda e, ct, g, a, b, axes, which: None if which == 0 else e.tensordot_vjp(
           g, a, ct, axes=axes, which=0),
       lambda e, ct, g, a, b, axes, which: None if which == 1 else e.tensordot_vjp(
           g, ct, b, axes=axes, which=1))
defjvp("tensordot_vjp",
       lambda e, dg, g, a, b, axes, which: e.tensordot_vjp(dg, a, b, axes=axes, which=which),
       lambda e, da, g, a, b, axes, which: None if which == 0 else e.tensordot_vjp(
           g, da, b, axes=axes, which=1),
       lambda e, db, g, a, b, axes, which: None if which == 1 else e.tensordot_vjp(
           g, a, db, axes=axes, which=0))
defvjp("np.take", lambda e, g, x, i, axis=None: e.emit("take_vjp", g, x, i, axis=axis)[0], None)
defjvp("np.take", lambda e, dx, x, i, **attrs: _np(e, "take", dx, i, **attrs), None)
defvjp("np.flip", lambda e, g, x, **attrs: _np(e, "flip", g, **attrs))
defjvp("np.flip", _jvp_same("flip"))
defvjp("np.swapaxes", lambda e, g, x, a, b: _np(e, "swapaxes", g, a, b), None, None)
defjvp("np.swapaxes", lambda e, dx, x, a, b: _np(e, "swapaxes", dx, a, b), None, None)
views("np.flip", "np.swapaxes")
declare("np.flip", "np.swapaxes", "np.take", shape_by_example=True)
defvjp("np.multiply", *PRIMITIVES["mul"].vjp)
defjvp("np.multiply", *PRIMITIVES["np.multiply"].vjp)
PRIMITIVES["np.multiply"].broadcasts = True
defprim("unbroadcast", Call(runtime.unbroadcast, "unbroadcast"),
        doc="g summed down to x's shape (the cotangent of a broadcast operand)")
views("unbroadcast")  # (g itself where the shapes match)
defprim("matmul_vjp", Call(runtime.matmul_vjp, "matmul_vjp"),
        doc="a cotangent of a @ b for operands of ranks unknown when transforming")
defprim("take_vjp", Call(runtime.take_vjp, "take_vjp"), doc="the cotangent of np.take")
declare("unbroadcast", "matmul_vjp", array_op=True)  # (their code depends on shapes)
defprim("slice", Call(builtins.slice, "slice"), builtins.slice, doc="a:b:c in an index")
nondifferentiable("slice")
# np.split(x, bounds, axis), also in the cotangents of np.concatenate and np.hstack: linear,
# its pieces a list (reverse mode gathers their adjoints in one, zeros where unread)
defjvp("np.split", lambda e, dx, x, bounds, axis=0: _np(e, "split", dx, bounds, axis), None,
       None)
defvjp("np.split", lambda e, ct, x, bounds, axis=0: _join(e, ct, axis), None, None)
views("np.split")  # (a list of views)
# matmul_vjp(g, a, b, which) is g @ b.T (which=0, a gives only its rank) or a.T @ g: linear
# in each operand it reads
defjvp("matmul_vjp", lambda e, dg, g, a, b, which: e.matmul_vjp(dg, a, b, which=which),
       lambda e, da, g, a, b, which: None if which == 0 else e.matmul_vjp(g, da, b, which=1),
       lambda e, db, g, a, b, which: None if which == 1 else e.matmul_vjp(g, a, db, which=0))
# and, given g, linear in b (which=0) or a: <ct, g @ b.T> = <g, ct @ b>
defvjp("matmul_vjp",
       lambda e, ct, g, a, b, which: e.matmul(ct, b) if which == 0 else e.matmul(a, ct),
       lambda e, ct, g, a, b, which: None if which == 0 else e.matmul_vjp(g, a, ct, which=0),
       lambda e, ct, g, a, b, which: None if which == 1 else e.matmul_vjp(g, ct, b, which=1))
# unbroadcast(g, x) and take_vjp(g, x, i) are linear in g
defvjp("unbroadcast", lambda e, ct, g, x: _np(e, "broadcast_to", ct, _shape(e, g)), None)
defjvp("unbroadcast", lambda e, dg, g, x: e.unbroadcast(dg, x), None)
defvjp("take_vjp", lambda e, ct, g, x, i, axis=None: _np(e, "take", ct, i, axis=axis), None,
       None)
defjvp("take_vjp", lambda e, dg, g, x, i, axis=None: e.take_vjp(dg, x, i, axis=axis), None,
       None)


# --- orderings and rearrangements ------------------------------------------------------------
# np.sort(x) is np.take_along_axis(x, np.argsort(x)): its tangent goes through that
# permutation, its cotangent back through the inverse one (at a tie, through the order
# np.argsort picks: one of the one-sided derivatives). np.argmax, np.argmin and np.argsort
# are integers: no derivative, and x[np.argmax(x)] reads x like any index. The cotangents of
# np.diagonal, np.take_along_axis and np.tile are scatters: a helper, linear in the
# cotangent (np.tile's tiles are summed with a reshape where the operand's shape is known).
for _name in ("diagonal atleast_1d atleast_2d atleast_3d roll tile repeat sort argsort "
              "take_along_axis linalg.slogdet").split():
    _defnp(_name)
for _name in ("argmax", "argmin"):
    _defnp(_name, reduction=True)  # a number unless an axis is given
nondifferentiable("np.argmax", "np.argmin", "np.argsort")
views("np.diagonal", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d")
declare("np.diagonal", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.roll", "np.tile",
        "np.repeat", "np.sort", "np.argsort", "np.argmax", "np.argmin", "np.take_along_axis",
        shape_by_example=True)


def _kind_of(e, v, like):
    """``v``, known to be shaped like ``like`` (a scatter's or a permutation's result: the
    shapes hook cannot run those on stand-ins of integer indices)."""
    e.share_kind(v, like)
    return v


def _along(axis, default=-1):
    """``axis=`` as written: nothing for the default."""
    return {} if axis == default else {"axis": axis}


def _order(e, x, axis, attrs):
    """The permutation ``np.sort(x, axis, **attrs)`` applies: ``np.argsort`` of the same."""
    return _np(e, "argsort", x, **_along(axis), **attrs)


def _vjp_sort(e, g, x, axis=-1, **attrs):
    # sorted[j] = x[order[j]], so dx[i] = g[inverse[i]] with inverse = argsort(order)
    inverse = _np(e, "argsort", _order(e, x, axis, attrs), **_along(-1 if axis is None
                                                                      else axis))
    if axis is None:  # np.sort(x, axis=None) sorts x flattened
        return _back_to(e, _kind_of(e, _np(e, "take", g, inverse), g), x)
    return _kind_of(e, _np(e, "take_along_axis", g, inverse, axis=axis), x)


def _jvp_sort(e, dx, x, axis=-1, **attrs):
    order = _order(e, x, axis, attrs)
    if axis is None:
        return _kind_of(e, _np(e, "take", dx, order), order)
    return _kind_of(e, _np(e, "take_along_axis", dx, order, axis=axis), x)


defvjp("np.sort", _vjp_sort)
defjvp("np.sort", _jvp_sort)
defvjp("np.take_along_axis", lambda e, g, x, i, axis=-1: _kind_of(e, e.take_along_axis_vjp(
    g, x, i, axis=axis), x), None)
defjvp("np.take_along_axis", lambda e, dx, x, i, axis=-1: _np(e, "take_along_axis", dx, i,
                                                               axis=axis), None)
defprim("take_along_axis_vjp", Call(runtime.take_along_axis_vjp, "take_along_axis_vjp"),
        doc="the cotangent of np.take_along_axis")
# take_along_axis_vjp(g, x, i, axis) and diagonal_vjp(g, x) are linear in g
defvjp("take_along_axis_vjp", lambda e, ct, g, x, i, axis: _kind_of(e, _np(
    e, "take_along_axis", ct, i, axis=axis), g), None, None, None)
defjvp("take_along_axis_vjp", lambda e, dg, g, x, i, axis: _kind_of(e, e.take_along_axis_vjp(
    dg, x, i, axis=axis), x), None, None, None)
defvjp("np.diagonal", lambda e, g, x, **attrs: _kind_of(e, e.diagonal_vjp(g, x, **attrs), x))
defjvp("np.diagonal", _jvp_same("diagonal"))
defprim("diagonal_vjp", Call(runtime.diagonal_vjp, "diagonal_vjp"),
        doc="the cotangent of np.diagonal: g on that diagonal, zeros elsewhere")
defvjp("diagonal_vjp", lambda e, ct, g, x, **attrs: _np(e, "diagonal", ct, **attrs), None)
defjvp("diagonal_vjp", lambda e, dg, g, x, **attrs: _kind_of(e, e.diagonal_vjp(dg, x, **attrs),
                                                              x), None)
for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    defvjp("np." + _name, lambda e, g, x: _np(e, "sum", g) if e.scalar(x) else _back_to(e, g, x))
    defjvp("np." + _name, _jvp_same(_name))
defvjp("np.roll", lambda e, g, x, shift, **attrs: _np(
    e, "roll", g, shift=tuple(-s for s in shift) if isinstance(shift, tuple) else -shift,
    **attrs))
defjvp("np.roll", _jvp_same("roll"))


def _vjp_tile(e, g, x, reps):
    """The tiles of ``g`` added up: ``np.sum(np.reshape(g, (tiles, size, ...)), axis=...)``,
    or ``tile_vjp`` where ``x``'s shape is known only at run time."""
    if e.scalar(x):
        return _np(e, "sum", g)
    shape = e.array_shape(x)
    if shape is None:
        return e.tile_vjp(g, x, reps=reps)
    counts = tuple(int(n) for n in np.atleast_1d(reps))
    d = max(len(shape), len(counts))
    split, axes = [], []
    for n, size in zip((1,) * (d - len(counts)) + counts, (1,) * (d - len(shape)) + shape):
        if n != 1:  # an axis of tiles, then the entries of one
            axes.append(len(split))
            split.append(n)
        split.append(size)
    if axes:
        g = _np(e, "sum", _np(e, "reshape", g, e.const(tuple(split))),
                axis=axes[0] if len(axes) == 1 else tuple(axes))
    return _back_to(e, g, x)


defvjp("np.tile", _vjp_tile)
defjvp("np.tile", _jvp_same("tile"))
defprim("tile_vjp", Call(runtime.tile_vjp, "tile_vjp"),
        doc="the cotangent of np.tile, for an operand of a shape known only at run time")
defvjp("tile_vjp", lambda e, ct, g, x, reps: _np(e, "tile", ct, reps=reps), None)
defjvp("tile_vjp", lambda e, dg, g, x, reps: e.tile_vjp(dg, x, reps=reps), None)


def _vjp_repeat(e, g, x, repeats, axis=None):
    """Each run of ``repeats`` copies added up: a reshape that splits the runs off, a sum."""
    if e.scalar(x):
        return _np(e, "sum", g)
    if axis is None:  # x flattened
        runs = _np(e, "reshape", g, e.const((-1, repeats)))
        return _back_to(e, _np(e, "sum", runs, axis=1), x)
    shape = e.array_shape(x)
    if shape is not None:
        axis %= len(shape)
        runs = _np(e, "reshape", g, e.const(shape[:axis + 1] + (repeats,) + shape[axis + 1:]))
        return _np(e, "sum", runs, axis=axis + 1)
    # the shape known only at run time: the axis moved last, its runs summed, moved back
    # (x may be a number: np.repeat takes it as np.atleast_1d(x))
    last = _np(e, "moveaxis", g, source=axis, destination=-1)
    summed = _np(e, "sum", _np(e, "reshape", last, e.const((-1, repeats))), axis=1)
    like_x = _np(e, "reshape", summed, _shape(e, _np(e, "moveaxis", _np(e, "atleast_1d", x),
                                                     source=axis, destination=-1)))
    return _back_to(e, _np(e, "moveaxis", like_x, source=-1, destination=axis), x)


defvjp("np.repeat", _vjp_repeat)
defjvp("np.repeat", _jvp_same("repeat"))


# (sign, log|det a|): the sign is constant where the determinant is not 0;
# d log|det a| / da = inv(a).T
defvjp("np.linalg.slogdet", lambda e, g, a: e.mul(_per_matrix(e, e.getitem(g, 1), a),
                                                  _inv_t(e, a)))


def _jvp_slogdet(e, da, a):
    if e.ndim(a) == 2:
        return e.tuple(0.0, _dlogdet(e, da, a))
    sign = e.getitem(_np(e, "linalg.slogdet", a), 0)
    return e.tuple(e.zero_adjoint(sign), _dlogdet(e, da, a))


defjvp("np.linalg.slogdet", _jvp_slogdet)
# x.tolist() of a 1-d float64 array: its items as Python floats, which the Python code of a
# gradient specialized to such an x reads in its loops instead of x[i] (transforms/items.py);
# the adjoint, a list of floats, becomes x's gradient as an array of x's shape. (No JVP:
# transforms of such a gradient take it built without tolist, staging._inner_specialized.)
def _vjp_tolist(e, g, x):
    dx = _np(e, "array", g)
    e.share_kind(dx, x)
    return dx


defprim("tolist", Method("tolist"), lambda x: x.tolist(),
        doc="x.tolist(): the items of a 1-d float array as a list of floats")
defvjp("tolist", _vjp_tolist)
declare("np.split", container_result="arrays")
declare("tolist", container_result="floats")
declare(".shape", "np.shape", container_result="ints")
declare("np.linalg.slogdet", container_result="floats")




# --- constructors ----------------------------------------------------------------------------
# np.linspace(a, b, n)[i] = a (1 - i/d) + b i/d (d = n - 1, or n with endpoint=False): the
# weights are linspaces too; np.arange(a, b, h)[i] = a + i h (the stop, like np.arange(b)'s
# only operand, sets only the length: derivative 0); np.full(s, v) and np.full_like(x, v) are
# v everywhere. Shapes, sizes, and np.zeros ones eye identity zeros_like ones_like, do not
# depend on values (derivative 0); neither does a result of an integer dtype (it rounds).
def _rounds(e, dtype, like=None) -> bool:
    """Does a constructor of ``dtype`` (not given: ``like``'s, when known) round?"""
    if dtype is None and like is not None:
        dtype = e.array_dtype(like)
    return dtype is not None and not np.issubdtype(dtype, np.inexact)


def _total(e, g):
    """The sum of ``g``'s entries: a broadcast number times their count."""
    source = e.deferred.get(g)
    if source is not None and e.scalar(source[0]):
        return e.mul(source[0], math.prod(source[1]))
    return _np(e, "sum", g)


def _sum_back(e, g, v):
    """The cotangent of a fill value ``v``: ``g`` summed back to ``v``'s shape."""
    return _total(e, g) if e.scalar(v) else e.unbroadcast(g, v)


def _ramp(e, num, k, endpoint):
    """How the entries of ``np.linspace`` move with its start (``k=0``) or stop, and their
    sum when ``num`` is known (the weights are then built once, with the code)."""
    ends = (1.0, 0.0) if k == 0 else (0.0, 1.0)
    n = 50 if num is None else e.constants.get(num)
    if type(n) is not int:  # a count computed at run time
        return _np(e, "linspace", *ends, num, **({} if endpoint else {"endpoint": False})), None
    w = np.linspace(*ends, n, endpoint=endpoint)
    weights = e.const(w)
    weights.aval = avals.aval_of(w)
    return weights, float(np.sum(w))


def _vjp_linspace(e, g, start, stop, num=None, *, k, endpoint=True, dtype=None):
    if k == 2 or _rounds(e, dtype):
        return None  # the count sets the length
    weights, total = _ramp(e, num, k, endpoint)
    if not e.scalar(start, stop):  # rows of g, weighted, summed back to the operand's shape
        return e.unbroadcast(_np(e, "tensordot", weights, g, axes=1), (start, stop)[k])
    source = e.deferred.get(g)
    if source is not None and e.scalar(source[0]) and total is not None:
        return e.mul(source[0], total)  # a broadcast number
    return _np(e, "dot", g, weights)


def _jvp_linspace(e, d, start, stop, *rest, k, **attrs):
    """The linspace of the tangent: ``np.linspace(0.0, dT, n)`` for ``np.linspace(0.0, T, n)``."""
    if k == 2 or _rounds(e, attrs.get("dtype")):
        return None
    other = (stop, start)[k]
    zero = 0.0 if e.scalar(other) else _np(e, "zeros_like", other)
    return _np(e, "linspace", *((d, zero) if k == 0 else (zero, d)), *rest, **attrs)


def _vjp_arange(e, g, *args, k, **attrs):
    if len(args) == 1 or k == 1 or _rounds(e, attrs.get("dtype")):
        return None  # the stop sets the length
    if k == 0:
        return _total(e, g)
    entries = _np(e, "arange", *args, **attrs)  # the primal's (CSE merges the two)
    return _np(e, "dot", g, _np(e, "arange", _size(e, entries)))  # the step: sum of i g[i]


def _jvp_arange(e, d, *args, k, **attrs):
    if len(args) == 1 or k == 1 or _rounds(e, attrs.get("dtype")):
        return None
    entries = _np(e, "arange", *args, **attrs)
    if k == 0:
        return _np(e, "full", _shape(e, entries), d)
    return e.mul(d, _np(e, "arange", _size(e, entries)))


defvjp("np.linspace", Each(_vjp_linspace))
defjvp("np.linspace", Each(_jvp_linspace))
defvjp("np.arange", Each(_vjp_arange))
defjvp("np.arange", Each(_jvp_arange))
defvjp("np.full", None, lambda e, g, shape, v, dtype=None: (
    None if _rounds(e, dtype) else _sum_back(e, g, v)))
defjvp("np.full", None, lambda e, dv, shape, v, **attrs: (
    None if _rounds(e, attrs.get("dtype")) else _np(e, "full", shape, dv, **attrs)))
defvjp("np.full_like", None, lambda e, g, x, v, dtype=None: (
    None if _rounds(e, dtype, x) else _sum_back(e, g, v)))
defjvp("np.full_like", None, lambda e, dv, x, v, **attrs: (
    None if _rounds(e, attrs.get("dtype"), x) else _np(e, "full_like", x, dv, **attrs)))
# the operands that set a constructor's shape: their values, not only their kinds
for _name, _sizes in (("zeros", (0,)), ("ones", (0,)), ("full", (0,)), ("eye", (0, 1)),
                      ("identity", (0,)), ("arange", (0, 1, 2)), ("linspace", (2,))):
    PRIMITIVES["np." + _name].sized_by = _sizes

# How calls bind: (leading operands, attributes they may be given). Operands may be
# computed at run time; attributes must be known when the derivative is built.
_REDUCE = ("axis", "keepdims")
_SORTS = ("kind", "stable")
for _names, _binds in [
    (_UNARY, (1, ())),
    (_BINARY + ["matmul", "dot", "outer", "inner", "multiply", "linalg.solve", "reshape",
                "broadcast_to"], (2, ())),
    (("where", "clip", "swapaxes"), (3, ())),
    (("sum", "mean", "prod", "max", "min", "argmax", "argmin"), (1, _REDUCE)),
    (("var", "std"), (1, _REDUCE + ("ddof",))), (("linalg.norm",), (1, ("ord",) + _REDUCE)),
    (("transpose",), (1, ("axes",))),
    (("trace", "linalg.inv", "linalg.det", "ravel", "copy", "shape", "size", "ndim", "hstack",
      "vstack", "atleast_1d", "atleast_2d", "atleast_3d", "linalg.slogdet"), (1, ())),
    (("squeeze", "expand_dims", "cumsum", "flip", "concatenate", "stack"), (1, ("axis",))),
    (("take", "take_along_axis"), (2, ("axis",))), (("moveaxis",), (1, ("source", "destination"))),
    (("diagonal",), (1, ("offset", "axis1", "axis2"))), (("roll",), (1, ("shift", "axis"))),
    (("tile",), (1, ("reps",))), (("repeat",), (1, ("repeats", "axis"))),
    (("sort", "argsort"), (1, ("axis",) + _SORTS)),
]:
    declare(*("np." + n for n in _names), binds=_binds)
# constructors: (operands, in NumPy's order; attributes they may be given). An operand left
# out before a given one is its default (np.eye(n, k=1) is np.eye(n, None, 1))
declare("np.zeros", "np.ones", constructor=(("shape",), ("dtype",)))
declare("np.full", constructor=(("shape", "fill_value"), ("dtype",)))
declare("np.eye", constructor=(("N", "M", "k"), ("dtype",)))
declare("np.identity", constructor=(("n",), ("dtype",)))
declare("np.arange", constructor=(("start_or_stop", "stop", "step"), ("dtype",)))
declare("np.linspace", constructor=(("start", "stop", "num"), ("endpoint", "dtype")))
declare("np.zeros_like", "np.ones_like", constructor=(("a",), ("dtype",)))
declare("np.full_like", constructor=(("a", "fill_value"), ("dtype",)))
declare("np.array", constructor=(("object",), ("dtype",)))
# array methods that are NumPy functions of the array
for _name in ("sum mean prod max min var std reshape ravel squeeze transpose cumsum dot clip "
              "copy swapaxes take diagonal repeat argmax argmin argsort").split():
    PRIMITIVES["np." + _name].methods = (_name,)
PRIMITIVES["np.ravel"].methods = ("ravel", "flatten")  # (x.sort() sorts x in place: refused)

