"""One registry of primitives: how each is written in Python, folded, and differentiated.

Domain tables (``scalar.py``, ``numpy.py``, ``structures.py``) fill it with one row per
primitive. A VJP rule is ``rule(e, g, *args, **attrs) -> Value`` building IR through the
emitter ``e``; a JVP rule is ``rule(e, dx, *args, **attrs)`` for one tangent input.
``None`` in a rule slot means that operand gets no gradient.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ir.avals import UNKNOWN, Aval, shape_of, with_shape

VJPRule = Callable[..., Any]
JVPRule = Callable[..., Any]


# --- how a primitive reads in Python -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Infix:
    """``a <op> b``"""

    op: type[ast.operator]


@dataclass(frozen=True, slots=True)
class Prefix:
    """``<op>a``"""

    op: type[ast.unaryop]


@dataclass(frozen=True, slots=True)
class Compare:
    """``a <cmp> b``"""

    op: type[ast.cmpop]


@dataclass(frozen=True, slots=True)
class Call:
    """``obj(*args)``, where ``obj`` is bound as a global of the generated module.

    ``module``/``attr`` say how it is spelled: ``math.cos`` (``module="math"``) or a bare
    name (``module=None``, ``attr="abs"``).
    """

    obj: Any
    attr: str
    module: Any = None
    pack: bool = False  # the operands go as one tuple: ``np.stack((a, b), axis=0)``
    leading: tuple[str, ...] = ()  # attributes written first, by position (einsum's spec)


@dataclass(frozen=True, slots=True)
class Select:
    """``a if cond else b`` (scalar select; arguments ``cond, a, b``)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The value itself (no code)."""


@dataclass(frozen=True, slots=True)
class Method:
    """``args[0].name(*args[1:])``; with ``pack``, several arguments go as one tuple."""

    name: str
    pack: bool = False


@dataclass(frozen=True, slots=True)
class Attribute:
    """``args[0].name`` (``x.T``, ``x.shape``)"""

    name: str


@dataclass(frozen=True, slots=True)
class Subscript:
    """``args[0][args[1]]``"""


@dataclass(frozen=True, slots=True)
class AddItem:
    """The statement ``args[0][args[1]] += args[2]``."""


@dataclass(frozen=True, slots=True)
class StoreItem:
    """The statement ``args[0][args[1]] = args[2]``."""


@dataclass(frozen=True, slots=True)
class TupleDisplay:
    """``(args[0], args[1], ...)``"""


@dataclass(frozen=True, slots=True)
class Field:
    """``args[0].<name>``, the name the constant ``args[1]`` holds (a dataclass's or a
    named tuple's field)"""


@dataclass(frozen=True, slots=True)
class EmptyList:
    """``[]``"""


@dataclass(frozen=True, slots=True)
class Zeros:
    """``[0.0] * args[0]``: a fresh list of float zeros."""


@dataclass(frozen=True, slots=True)
class Into:
    """``np.<ufunc>(args[0], args[1], out=np.empty_like(args[2]))``: the value of
    ``args[0] op= args[1]`` on an array, in its layout and dtype, without writing it."""

    ufunc: str


@dataclass(frozen=True, slots=True)
class Structured:
    """A control-flow op with regions; codegen writes it as a Python statement."""


Emission = (Infix | Prefix | Compare | Call | Select | Identity | Method | Attribute | Field
            | EmptyList | Subscript | AddItem | StoreItem | TupleDisplay | Zeros | Into
            | Structured)


@dataclass(slots=True)
class Primitive:
    name: str
    emission: Emission | None
    evaluate: Callable[..., Any] | None = None  # the Python meaning, used to fold constants
    vjp: tuple[VJPRule | None, ...] | Each | None = None
    jvp: tuple[JVPRule | None, ...] | Each | None = None
    differentiable: bool = True
    commutative: bool = False
    pure: bool = True  # no side effect: dead code elimination may drop it
    mergeable: bool = True  # same operands, same result: CSE may merge two of them
    broadcasts: bool = False  # elementwise over broadcast operands (reverse mode sums back)
    # what its result is (analysis/kinds.py): "elementwise" (a number when the operands
    # are), "reduction" (a number when it reduces every axis), "number" (always a number)
    kind: str = ""
    sized_by: tuple[int, ...] = ()  # operands whose values set the result's shape (np.zeros')
    # its result may be its first operand or share its memory: a view (``x.T``, ``x[1:]``,
    # ``np.reshape``), views in a list (``np.split``), the operand itself (``np.asarray``)
    view: bool = False
    # it works on arrays: its presence says the function does NumPy (every ``np.*`` and
    # array method; ``@``, ``.T`` and the array helpers of derivatives)
    array_op: bool = False
    # its derivative is written one way for numbers, another for arrays (``abs``, ``**``)
    array_rule: bool = False
    # its result's shape depends on its operands' shapes only: running it on stand-ins
    # (ones) finds it, while a derivative is built for known shapes (transforms/shapes.py)
    shape_by_example: bool = False
    # its result has its first operand's shape, whatever the others are (``x.astype(d)``
    # of a dtype read at run time)
    shaped_like_first: bool = False
    int_result: bool = False  # may be an int or a bool, whatever the operands (floor, <, //)
    # a float (or float array), whatever the operands (math.sin, float(), a zero adjoint)
    float_result: bool = False
    # the program cannot run unless its operands are numbers (math.*, float(), not)
    number_operands: bool = False
    # a list operand may make a list of it (``xs + ys``, ``xs * 2``, ``max(xs, ys)``)
    keeps_containers: bool = False
    # a tuple or list, of "ints" (``x.shape``), "floats" (``slogdet``), "arrays" (``np.split``)
    container_result: str = ""
    # it reads its operands as containers or as their items, never as numbers (``c[i]``,
    # ``len(c)``, a dict's keys, a tuple display)
    structural: bool = False
    # a run-time check that stops the program (no result): it reads its operands as they
    # are, never as numbers or arrays (``unshared``, ``unpacks``)
    check: bool = False
    # in forward mode, each operand's part reads the other operand (``dx * y``, ``x * dy``),
    # so it has the result's shape already and needs no np.broadcast_to
    tangent_spans_result: bool = False
    arity: int = 1  # operands, where a call of its Python function lowers to it (math.atan2)
    # how a call of its NumPy function binds: (leading operands, names of the attributes it
    # may be given); operands may be computed at run time, attributes must be known
    binds: tuple[int, tuple[str, ...]] | None = None
    # a constructor's (operands in NumPy's order, attributes): np.linspace(start, stop, num)
    constructor: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    methods: tuple[str, ...] = ()  # array methods that are this function (x.sum, x.flatten)
    keeps_ints: bool = False  # an int for ints (+, -, *, abs, max; not /)
    like_first: bool = False  # the result has the first operand's aval (x[i] = v's value)
    # its result may be a list or a dict in its operands' structure (``list(xs)``, and the
    # adjoints of containers: ``full_like(g, xs)``, ``merge_adjoints``): reverse mode takes
    # its whole adjoint and passes it back in that structure, where parts add up as such
    container_like: bool = False
    # its result is its operands laid side by side (np.stack, np.concatenate): its tangent
    # is the same op on the operands' tangents, one op however many of them move
    joins: bool = False
    # how vmap computes it over a batch (primitives/batching.py): ``rule(b, op) -> outs``, or
    # None there for operands it does not cover (the op then runs once per example)
    batch: Callable[..., Any] | None = None
    doc: str = ""
    callables: list[Any] = field(default_factory=list)


class Each:
    """The rule of every operand of a variadic primitive (``np.concatenate``); it is
    called with the operand's position as ``k``: ``rule(e, g, *args, k=k, **attrs)``."""

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def rules(self, n: int) -> tuple[Callable[..., Any], ...]:
        return tuple(functools.partial(self.rule, k=k) for k in range(n))


def rules_for(rules: tuple[Any, ...] | Each, n: int) -> tuple[Any, ...]:
    """The rule of each of ``n`` operands."""
    return rules.rules(n) if isinstance(rules, Each) else rules


PRIMITIVES: dict[str, Primitive] = {}
_BY_CALLABLE: dict[int, tuple[Any, str]] = {}


def defprim(name: str, emission: Emission | None, evaluate: Callable[..., Any] | None = None,
            *, commutative: bool = False, pure: bool = True, mergeable: bool | None = None,
            broadcasts: bool = False, kind: str = "", callables: tuple[Any, ...] = (),
            doc: str = "") -> Primitive:
    """Declare primitive ``name``; ``callables`` are the Python objects that lower to it.

    ``mergeable`` defaults to ``pure``; a read of something that changes (a list being
    appended to) is pure but not mergeable.
    """
    prim = Primitive(name, emission, evaluate, commutative=commutative, pure=pure,
                     mergeable=pure if mergeable is None else mergeable,
                     broadcasts=broadcasts, kind=kind, doc=doc,
                     array_op=name.startswith(("np.", ".")))
    PRIMITIVES[name] = prim
    for obj in callables:
        register_callable(obj, name)
    return prim


def register_callable(obj: Any, name: str) -> None:
    """Calls to ``obj`` in user code lower to primitive ``name``."""
    _BY_CALLABLE[id(obj)] = (obj, name)
    PRIMITIVES[name].callables.append(obj)


def primitive_for(obj: Any) -> str | None:
    """The primitive that a call to ``obj`` lowers to, if any."""
    hit = _BY_CALLABLE.get(id(obj))
    return hit[1] if hit is not None and hit[0] is obj else None


def no_rule_hint(name: str, rule: str) -> str:
    """What to do when ``name`` has no ``rule`` ("defvjp"/"defjvp"): register one for a
    function the user calls; for a step of a derivative s2s_ad generated, compose another
    way (the user never wrote it, so registering a rule is no answer)."""
    if PRIMITIVES[name].callables:
        return f"register one with s2s_ad.{rule}"
    return (f"{name!r} is a step of a derivative s2s_ad generated, and this composition "
            "is not supported yet: take the second derivative with s2s_ad.hvp, "
            "s2s_ad.hessian or s2s_ad.jvp of the gradient (and please report it)")


def get(name: str) -> Primitive:
    return PRIMITIVES[name]


def defvjp(name: str, *rules: VJPRule | Each | None) -> None:
    """One VJP rule per operand: ``defvjp("mul", lambda e, g, x, y: e.mul(g, y), ...)``."""
    PRIMITIVES[name].vjp = rules[0] if len(rules) == 1 and isinstance(rules[0], Each) else rules


def defjvp(name: str, *rules: JVPRule | Each | None) -> None:
    """One JVP rule per operand: ``defjvp("sin", lambda e, dx, x: e.mul(dx, e.cos(x)))``."""
    PRIMITIVES[name].jvp = rules[0] if len(rules) == 1 and isinstance(rules[0], Each) else rules


def defbatch(name: str, rule: Callable[..., Any]) -> None:
    """The batching rule of ``name`` (``vmap``): ``rule(b, op)`` emits ``op`` over a batch
    through the batcher ``b`` and returns its results, or None (see primitives/batching.py)."""
    PRIMITIVES[name].batch = rule


def pure_op(op: Any) -> bool:
    """Is ``op``, with every op inside its regions, free of side effects?"""
    stack = [op]
    while stack:
        current = stack.pop()
        if not PRIMITIVES[current.prim].pure:
            return False
        for region in current.regions:
            stack.extend(region.ops)
    return True


def declare(*names: str, **facts: Any) -> None:
    """Facts about these primitives (fields of ``Primitive``): ``declare("abs", "pow",
    array_rule=True)``."""
    for name in names:
        prim = PRIMITIVES[name]
        for fact, value in facts.items():
            if not hasattr(prim, fact):
                raise AttributeError(f"a primitive has no fact {fact!r}")
            setattr(prim, fact, value)


def method_index() -> dict[str, str]:
    """``{array method: primitive}`` (``"flatten": "np.ravel"``), from the entries."""
    return {m: name for name, prim in PRIMITIVES.items() for m in prim.methods}


def attribute_index() -> dict[str, str]:
    """``{array attribute: primitive}`` (``"T": "T"``, ``"shape": ".shape"``): the entries
    written as an attribute."""
    return {prim.emission.name: name for name, prim in PRIMITIVES.items()
            if isinstance(prim.emission, Attribute)}


def views(*names: str) -> None:
    """These primitives' results may share their first operand's memory (``Primitive.view``):
    an update of the operand in place shows through them."""
    declare(*names, view=True)


NOT_CONSTANT = object()


def abstract_eval(name: str, operands: Sequence[Aval], attrs: dict[str, Any],
                  constants: Sequence[Any] = ()) -> Aval:
    """The aval of primitive ``name``'s result for operands of ``operands``' avals (and,
    per operand, its value where it is a constant, else ``NOT_CONSTANT``), from the facts
    on its entry: an elementwise primitive broadcasts its operands' shapes, and one whose
    result's shape depends on its operands' shapes alone (``shape_by_example``) is run on
    stand-ins of them, as is a constructor whose sizes (``sized_by``) are constants.
    ``UNKNOWN`` for anything else, or where an operand's shape is not
    known. The dtype is not followed (``None``)."""
    prim = PRIMITIVES[name]
    if prim.like_first:
        return operands[0] if operands else UNKNOWN
    shapes = [shape_of(a) for a in operands]
    if prim.shaped_like_first:
        return UNKNOWN if not shapes or shapes[0] is None else with_shape(shapes[0])
    if prim.broadcasts or prim.kind == "elementwise":
        if None in shapes or not shapes:
            return UNKNOWN
        try:
            return with_shape(np.broadcast_shapes(*shapes))
        except ValueError:
            return UNKNOWN  # NumPy will say so when the code runs
    constants = list(constants) + [NOT_CONSTANT] * (len(operands) - len(constants))
    # a constructor whose sizes are constants (np.zeros((3, 4))) is one too
    sized = bool(prim.sized_by) and all(
        constants[i] is not NOT_CONSTANT for i in prim.sized_by if i < len(operands))
    if not (prim.shape_by_example or sized) or prim.evaluate is None:
        return UNKNOWN
    stand_ins = []
    for shape, value in zip(shapes, constants):
        if value is not NOT_CONSTANT:
            stand_ins.append(value)
        elif shape is None:
            return UNKNOWN
        else:
            stand_ins.append(np.ones(shape))
    try:
        return with_shape(np.shape(prim.evaluate(*stand_ins, **attrs)))
    except Exception:  # noqa: BLE001 -- then the shape stays unknown
        return UNKNOWN


def nondifferentiable(*names: str) -> None:
    """These primitives' results carry no derivative (comparisons, rounding, ...)."""
    for name in names:
        PRIMITIVES[name].differentiable = False
