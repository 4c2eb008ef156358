"""The public transforms: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``,
``hessian``, ``hvp``.

Each returns a generated Python function with ``.source`` (its code), ``.ir`` (its IR),
``.stats`` (op counts before and after optimization) and ``__wrapped__`` (the original
function). The transform runs once per (function, wrt, options) and is cached. Which
function depends on what the arguments can be (``analysis/kinds.py``):

- the code proves they are numbers: the generated function itself, no wrapper;
- plain arithmetic that arrays could also go through: the code for numbers, whose first
  line sends other arguments to the general version (``_guarded``);
- NumPy code: a function that generates, once per argument types, shapes and dtypes, the
  code specialized to them, and calls it (``_specializing``).
"""

from __future__ import annotations

import functools
import inspect
import math
import weakref
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar, cast

import numpy as np

from .analysis.aliasing import mark_shared_updates, shared_update
from .analysis.kinds import (
    _STAND_INS,
    UNKNOWN,
    annotated,
    infer,
    is_array_op,
    prove,
)
from .analysis.kinds import arrays as arrays_in
from .codegen.load import load
from .codegen.to_ast import Guard
from .codegen.updates import settle_updates
from .display import attach
from .errors import DifferentiationError
from .frontend.lower import lift
from .generated import Deferred, name_as_call
from .ir.avals import Number, shape_of
from .ir.builder import Emitter
from .ir.clone import clone_ops
from .ir.core import Function, Op, Region, Value, tree_leaves, walk
from .optimize import OpCounts, count_ops
from .optimize import optimize as run_optimizer
from .optimize.dce import dce
from .primitives import get
from .transforms.finish import float_gradients, no_aliases
from .transforms.forward import jvp as forward_jvp
from .transforms.reverse import vjp as reverse_vjp
from .transforms.trees import map_leaves, project, stack

F = TypeVar("F", bound=Callable[..., Any])
Wrt = int | str | tuple[int | str, ...] | None

_Key = tuple[str, Wrt, bool, str]  # kind, wrt, optimize, mode
# what one build keeps for the next of the same function: "primal" (its IR), "shared" (its
# updates of shared values), ("optimized", n) (its IR optimized, n results kept exact)
_Memo = dict[str | tuple[str, int], Any]


@dataclass(frozen=True, slots=True)
class Stats:
    """Op counts of a generated function, before and after optimization."""

    function: OpCounts
    unoptimized: OpCounts
    optimized: OpCounts

    def __str__(self) -> str:
        return (f"function:    {self.function}\n"
                f"unoptimized: {self.unoptimized}\n"
                f"optimized:   {self.optimized}")


@dataclass(frozen=True, slots=True)
class Generated:
    """What s2s_ad keeps about a generated function (``g.__s2s__``)."""

    ir: Function  # what the function computes (optimized unless optimize=False)
    unoptimized: Function
    primal: Function  # the IR of the function that was differentiated
    wrt: tuple[int, ...]
    kind: str = "grad"  # which transform


class GeneratedFunction(Protocol):
    """What the transforms return: a generated function (or a dispatcher to the code
    specialized to its arguments), with its source, IR and op counts."""

    __s2s__: Generated
    __wrapped__: Callable[..., Any]  # the function it differentiates
    source: str
    ir: Function
    stats: Stats

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


class Dispatcher(GeneratedFunction, Protocol):
    """A generated function that calls the code specialized to its arguments' kinds,
    shapes and dtypes (see ``_specializing``)."""

    specialize: Callable[..., GeneratedFunction]
    specializations: dict[tuple[Any, ...], GeneratedFunction]
    general: GeneratedFunction  # the shape-generic code
    signature_of: Callable[[Any], None]  # learns its parameters from the code for floats


_CACHE: weakref.WeakKeyDictionary[Any, dict[_Key, weakref.ref[GeneratedFunction]]] = (
    weakref.WeakKeyDictionary())


def grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """The gradient of a scalar-valued ``f``, as generated Python source compiled to a function.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (default: the first
    parameter). A single ``wrt`` gives a single gradient; a tuple gives a tuple in that
    order. Use as ``grad(f)``, ``@grad`` or ``@grad(wrt=("x", "y"))``.

    >>> import math
    >>> def f(x1, x2):
    ...     return math.log(x1) + x1 * x2 - math.sin(x2)
    >>> df = grad(f, wrt=("x1", "x2"))
    >>> df(2.0, 5.0)
    (5.5, 1.7163378145367738)
    >>> print(df.source)
    def f_grad(x1, x2):
        dx2 = x1 - math.cos(x2)
        dx1 = 1.0 / x1 + x2
        return dx1, dx2
    <BLANKLINE>
    """
    if f is None:
        return functools.partial(grad, wrt=wrt, optimize=optimize)
    return _transform(f, "grad", wrt, optimize)


def value_and_grad(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """Like :func:`grad`, but the function returns ``(f(*args), gradient)``.

    >>> vg = value_and_grad(lambda x: x * x)
    >>> vg(3.0)
    (9.0, 6.0)
    """
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt, optimize=optimize)
    return _transform(f, "value_and_grad", wrt, optimize)


def vjp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """The vector-Jacobian product: a function of ``(*args, cotangent)``.

    It returns the gradient of ``<cotangent, f(*args)>`` with respect to ``wrt``. The
    cotangent is one argument shaped like ``f``'s value: a tuple for a function returning a
    tuple (as in JAX, autograd and PyTorch). When ``f`` has default or keyword-only
    parameters, the cotangent is keyword-only (named ``d`` + the returned variable's name,
    e.g. ``dy``, or ``dout`` for a tuple).

    >>> def f(x, y):
    ...     return x * y, x + y
    >>> vjp(f, wrt=("x", "y"))(2.0, 3.0, (1.0, 10.0))
    (13.0, 12.0)
    """
    if f is None:
        return functools.partial(vjp, wrt=wrt, optimize=optimize)
    return _transform(f, "vjp", wrt, optimize)


def jvp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """The Jacobian-vector product (forward mode): a function of ``(*args, *tangents)``.

    It returns ``(f(*args), tangent)``: the directional derivative of ``f`` along the
    tangents of the ``wrt`` parameters, shaped like ``f``'s value. Tangent arguments follow
    the parameters, one per ``wrt`` entry, named ``d`` + the parameter (``dx``); they are
    keyword-only when ``f`` has default or keyword-only parameters.

    >>> def f(x1, x2, x3):
    ...     return (x1 + x2) * x3
    >>> jvp(f, wrt="x1")(1.0, 2.0, 3.0, 1.0)
    (9.0, 3.0)
    """
    if f is None:
        return functools.partial(jvp, wrt=wrt, optimize=optimize)
    return _transform(f, "jvp", wrt, optimize)


def jacobian(f: F | None = None, wrt: Wrt = None, *, mode: str = "auto",
             optimize: bool = True) -> Any:
    """The Jacobian of ``f``: one function that returns every partial derivative.

    The result has ``f``'s output structure, with each output replaced by its derivatives
    with respect to ``wrt`` (a single one, or a tuple for a tuple ``wrt``).
    ``mode="rev"`` builds one VJP per output, ``"fwd"`` one JVP per input, and ``"auto"``
    (the default) picks the one with fewer sweeps, as seed 001's table explains: forward
    when there are no more inputs than outputs. All sweeps live in one generated function,
    so they share the forward computation.

    >>> def f(x0, x1, x2):
    ...     return [x0 * x0 + x1, x1 * x2]
    >>> jacobian(f, wrt=(0, 1, 2))(1.0, 2.0, 3.0)
    [(2.0, 1.0, 0.0), (0.0, 3.0, 2.0)]
    """
    if mode not in ("auto", "fwd", "rev"):
        raise ValueError(f"mode must be 'auto', 'fwd' or 'rev', not {mode!r}")
    if f is None:
        return functools.partial(jacobian, wrt=wrt, mode=mode, optimize=optimize)
    return _transform(f, "jacobian", wrt, optimize, mode)


def hessian(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """The Hessian of a scalar ``f`` (forward mode over the reverse-mode gradient).

    A single ``wrt`` gives the second derivative; a tuple gives a tuple of rows.

    >>> def f(x, y):
    ...     return x * x * y
    >>> hessian(f, wrt=("x", "y"))(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    if f is None:
        return functools.partial(hessian, wrt=wrt, optimize=optimize)
    return _transform(f, "hessian", wrt, optimize)


def hvp(f: F | None = None, wrt: Wrt = None, *, optimize: bool = True) -> Any:
    """Hessian-vector product without forming the Hessian: ``(*args, *v) -> H v``.

    ``v`` has one entry per ``wrt`` parameter (named ``d`` + the parameter).

    >>> def f(x, y):
    ...     return x * x * y
    >>> hvp(f, wrt=("x", "y"))(3.0, 2.0, 1.0, 0.0)
    (4.0, 6.0)
    """
    if f is None:
        return functools.partial(hvp, wrt=wrt, optimize=optimize)
    return _transform(f, "hvp", wrt, optimize)


def _transform(f: Any, kind: str, wrt: Wrt, optimize: bool,
               mode: str = "") -> GeneratedFunction:
    if isinstance(wrt, list):  # `wrt=["x", "y"]` means the tuple (and keys the cache)
        wrt = tuple(wrt)
    key = (kind, wrt, optimize, mode)
    try:
        per_function = _CACHE.setdefault(f, {})
    except TypeError:  # not weak-referenceable (a builtin): lift() explains
        per_function = {}
    ref = per_function.get(key)
    cached = None if ref is None else ref()
    if cached is not None:
        return cached
    memo: _Memo = {}
    try:
        floats = _floats_first(f, kind, wrt, optimize, mode, memo)
        if floats is not None:
            name_as_call(floats, f, kind, wrt, optimize, mode)
            per_function[key] = weakref.ref(floats)
            return floats
        generated = _build(f, kind, wrt, optimize, mode, memo=memo)
    except DifferentiationError as err:
        raise err.with_traceback(None) from None  # users never see our frames
    # (on the optimized IR too: dead code may have held the only proof that x is a number)
    primals = [v for v in memo.values() if isinstance(v, Function)]
    arrays = any(map(_could_take_arrays, primals)) and (
        _shape_dependent(generated.__s2s__) or _may_return_an_array(generated.__s2s__))
    # a Jacobian's shape-generic code seeds each wrt argument with 1.0: right for numbers
    arrays = arrays or (kind in ("jacobian", "hessian") and not _wrt_numbers(generated))
    ints = _may_give_ints(generated.__s2s__)
    if arrays or ints:
        dispatcher = _specializing(f, kind, wrt, optimize, mode, generated, memo)
        generated = _guarded(f, kind, wrt, optimize, mode, dispatcher, memo,
                             generated.__s2s__ if ints else None) or dispatcher
    name_as_call(generated, f, kind, wrt, optimize, mode)  # how pickle saves it (generated.py)
    # weakly: a generated function refers to f (__wrapped__), and a strong value would
    # keep f, its key, alive forever
    per_function[key] = weakref.ref(generated)
    return generated


def _floats_first(f: Any, kind: str, wrt: Wrt, optimize: bool, mode: str,
                  memo: _Memo) -> Dispatcher | None:
    """The code for floats with its check inline, built without the shape-generic code
    (built on first use: ``g.general``, display, export), where what ``_transform`` would
    decide from the generic code is known from ``f`` alone: a gradient of a function of
    numbers that may take arrays (``x * y``: no operand proven a number), that does no NumPy
    and whose value is not proven a number (so an array argument must reach the check that
    says grad needs a number). One build instead of two, the common case of scalar code.
    None where that does not hold, or the code for floats would depend on shapes."""
    if kind not in _SCALAR_ONLY:
        return None
    primal = _lifted(f, memo)
    proven = _proven(primal)
    if (any(is_array_op(op.prim) for op in walk(primal.body))
            or not _could_take_arrays(primal, proven)):
        return None
    if set(primal.body.results) <= proven:
        return None
    read_as_container = {op.args[0] for op in walk(primal.body) if get(op.prim).structural}
    if any(p in proven and p not in read_as_container and p.hint not in primal.numbers
           for p in primal.params):
        return None  # whether ints need their own code depends on the generic derivative
    generic = Deferred(lambda: _build(f, kind, wrt, optimize, mode, memo=memo))
    dispatcher = _specializing(f, kind, wrt, optimize, mode, generic, memo, hidden=True)
    return _guarded(f, kind, wrt, optimize, mode, dispatcher, memo, proven=proven)


@functools.lru_cache(maxsize=8)  # (the functions one transform asks about: a few)
def _proven(primal: Function) -> frozenset[Value]:
    """``prove(primal).numbers``, once per function: the transforms of one function ask it
    five to seven times (a Function hashes by identity; the lifted IR is changed in place
    only by ``mark_shared_updates``' checks, which prove nothing about numbers)."""
    return frozenset(prove(primal).numbers)


def _guarded(f: Any, kind: str, wrt: Wrt, optimize: bool, mode: str, dispatcher: Dispatcher,
             memo: _Memo, ints: Generated | None = None,
             proven: AbstractSet[Value] | None = None) -> Dispatcher | None:
    """For a function of numbers that could also take arrays (``(a + b) * (b + 1)``), or
    ints (``ints``: the shape-generic derivative, where one would be an int), the code for
    floats, starting with a check that sends other arguments to ``dispatcher`` (about 15 ns
    per argument, instead of a dispatch per call). None if that code would still depend on
    shapes. ``proven``: the numbers ``prove`` finds in ``f``'s IR, where the caller has it."""
    primal = _lifted(f, memo)
    if any(is_array_op(op.prim) for op in walk(primal.body)):
        return None
    read_as_container = {op.args[0] for op in walk(primal.body) if get(op.prim).structural}
    if proven is None:  # no need to check what only a number can be
        proven = _proven(primal)
    numbers = [p for p in primal.params if p not in read_as_container and p not in proven]
    if ints is not None:  # and the numbers whose ints would make a derivative one
        numbers = _float_checks(ints, primal, numbers, [
            p for p in primal.params if p not in read_as_container and p in proven
            and p.hint not in primal.numbers])  # `x: float`: trusted
    if not numbers:
        return None
    checked = set(numbers)
    example = [1.0 if p in checked or p in proven else UNKNOWN for p in primal.params]
    guard = Guard(tuple(p.hint for p in numbers), dispatcher,
                  f"{primal.name.strip('<>')}_{kind}_any")
    try:
        fn = _build(f, kind, wrt, optimize, mode, example, guard, memo)
    except DifferentiationError:
        return None
    if _shape_dependent(fn.__s2s__, primal=False):
        return None
    dispatcher.signature_of(fn)
    guarded = cast(Dispatcher, fn)  # (given the dispatcher's attributes here)
    guarded.specialize = dispatcher.specialize
    guarded.specializations = dispatcher.specializations
    guarded.general = dispatcher.general
    return guarded


_FEWEST_OF = 8  # candidates _float_checks tries to leave out, one analysis each


def _float_checks(generated: Generated, primal: Function, checked: list[Value],
                  candidates: list[Value]) -> list[Value]:
    """``checked`` and the fewest of ``candidates`` that, known to be floats, leave no
    derivative an int (all of them where that is not enough): ``n`` of ``range(n)`` need not
    be a float, ``x`` in ``d(-x * y)/dy`` must."""
    position = {p: k for k, p in enumerate(primal.params)}

    def ints(chosen: list[Value]) -> bool:
        return _may_give_ints(generated, [generated.ir.params[position[p]] for p in chosen])

    chosen = checked + candidates
    if len(candidates) > _FEWEST_OF or ints(chosen):  # (one analysis per candidate: linear
        return chosen  # time needs a bound; past it every number is checked, as before)
    for c in candidates:
        trial = [p for p in chosen if p is not c]
        if not ints(trial):
            chosen = trial
    kept = set(chosen)
    return [p for p in primal.params if p in kept]


def _shape_dependent(generated: Generated, primal: bool = True) -> bool:
    """Would knowing the arguments' shapes change the generated code?"""
    fns = (generated.primal, generated.ir) if primal else (generated.ir,)
    if any(is_array_op(op.prim) for fn in fns for op in walk(fn.body)):
        return True
    # rules with a form for numbers and one for arrays (`**`, `abs`) took the array form;
    # in forward mode, a tangent of a broadcast operand must be broadcast
    numbers = _proven(generated.primal)
    forward = generated.kind in _FORWARD
    return primal and any((get(op.prim).array_rule or (forward and get(op.prim).broadcasts))
                          and not all(a in numbers for a in op.args)
                          for op in walk(generated.primal.body))


_FORWARD = frozenset({"jvp", "jacobian", "hessian", "hvp"})


def _wrt_numbers(generated: Any) -> bool:
    """Are the ``wrt`` arguments of ``generated`` proven numbers (or containers, which the
    shape-generic code handles at run time)?"""
    primal = generated.__s2s__.primal
    proven = _proven(primal)
    indexed = {op.args[0] for op in walk(primal.body) if get(op.prim).structural}
    return all(primal.params[i] in proven or primal.params[i] in indexed
               for i in generated.__s2s__.wrt)


def _may_return_an_array(generated: Generated) -> bool:
    """Might ``grad``'s function return an array (``x * 2.0``)? Then arrays must reach the
    check that says grad needs a number, even where the derivative (``2.0``) would run."""
    primal = generated.primal
    return generated.kind in _SCALAR_ONLY and not set(primal.body.results) <= _proven(primal)


def _may_give_ints(generated: Generated, floats: Sequence[Value] = ()) -> bool:
    """Might a derivative be an int for int arguments (``x + x`` for ``x * x``), the
    parameters ``floats`` of its IR aside? Then ints go to code specialized to them, which
    makes the derivative a float."""
    fn = generated.ir
    values = len(generated.primal.body.results) if generated.kind in _KEEPS_VALUE else 0
    facts = prove(fn, floats=[*floats, *annotated(fn)])
    numeric, inexact = facts.numeric, facts.inexact
    made_by = {out: op.prim for op in walk(fn.body) for out in op.outs}
    return any(v not in inexact and (v in fn.params or v in numeric
                                     or (v in made_by and get(made_by[v]).keeps_ints))
               for v in fn.body.results[values:])


_KEEPS_VALUE = frozenset({"value_and_grad", "jvp"})


def _could_take_arrays(primal: Function, numbers: AbstractSet[Value] | None = None) -> bool:
    """Could an array argument change what the derivative must do? Not when the function
    does no NumPy and every operand of its elementwise operators is proven a number
    (``numbers``: the numbers ``prove`` finds in ``primal``, where the caller has it)."""
    numbers = _proven(primal) if numbers is None else numbers
    return any(is_array_op(op.prim) or ((get(op.prim).broadcasts or get(op.prim).array_rule)
                                         and not all(a in numbers for a in op.args))
               for op in walk(primal.body))


_NUMBER_TYPES = {float, int, bool}


def _signature(arg: Any) -> Any:
    """What a specialization depends on: the type, an array's shape and dtype, and the
    signatures of a container's items (a set: a list of floats of any length is one)."""
    kind = type(arg)
    if kind is np.ndarray:
        return arg.shape, arg.dtype
    if kind is list or kind is tuple:
        types = set(map(type, arg))  # at C speed: a list of floats costs ~15 ns an item
        if len(types) == 1 and types <= _NUMBER_TYPES:
            return kind, types.pop()
        return kind, frozenset(map(_signature, arg))
    if kind is dict:
        return kind, tuple(arg), frozenset(map(_signature, arg.values()))
    return kind


def _specializing(f: Any, kind: str, wrt: Wrt, optimize: bool, mode: str,
                  generic: GeneratedFunction, memo: _Memo, hidden: bool = False) -> Dispatcher:
    """A function that generates (once) and calls the derivative specialized to the shapes
    and dtypes of its arguments: exact unbroadcasts, matrix transposes, no run-time checks.

    It has the attributes of a generated function (those of the shape-generic one, which
    ``s2s-ad`` prints without ``--at``/``--like``), ``specialize(*args)``, the generated
    function for such arguments (its ``.source`` is the code that runs), ``specializations``
    and ``general``, the shape-generic generated function (what ``s2s-ad export`` writes
    without them).

    ``hidden``: only the code for floats calls it (``_floats_first``), and tells it its
    signature (``signature_of``): ``generic`` is built on first use, not here.
    """
    table: dict[tuple[Any, ...], GeneratedFunction] = {}
    signatures: list[inspect.Signature] = []  # of the generated code

    def signature_of(fn: Any) -> None:
        if not signatures:
            signatures.append(inspect.signature(fn, follow_wrapped=False))

    def specialize(*args: Any, **kwargs: Any) -> GeneratedFunction:
        signature = signatures[0]
        if kwargs or len(args) != len(signature.parameters):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments.values())
        key = tuple(map(_signature, args))
        fn = table.get(key)
        if fn is None:
            _check_wrt_arguments(_lifted(f, memo), wrt, args)
            example = [a if isinstance(a, (*_STAND_INS, list, tuple, dict)) else UNKNOWN
                       for a in args]
            try:
                fn = table[key] = _build(f, kind, wrt, optimize, mode, example, memo=memo,
                                         args=args)
            except DifferentiationError as err:
                raise err.with_traceback(None) from None
        return fn

    def call(*args: Any, **kwargs: Any) -> Any:
        fn = None if kwargs else table.get(tuple(map(_signature, args)))
        if fn is None:
            fn = specialize(*args, **kwargs)
        return fn(*args, **kwargs)

    dispatcher = cast(Dispatcher, call)  # (given its attributes here)
    dispatcher.specialize = specialize
    dispatcher.specializations = table
    dispatcher.general = generic
    dispatcher.signature_of = signature_of
    if hidden:
        return dispatcher
    signature_of(generic)
    functools.update_wrapper(call, generic)
    for name in ("source", "ir", "stats", "__s2s__", "__wrapped__"):
        setattr(dispatcher, name, getattr(generic, name))
    call.__signature__ = signatures[0]  # type: ignore[attr-defined]  # inspect.signature reads it
    attach(dispatcher)  # (wraps copied generic's display, which shows generic alone)
    return dispatcher


_SCALAR_ONLY = ("grad", "value_and_grad", "hessian", "hvp")
_REAL_TYPES = (bool, int, float, np.integer, np.floating, np.bool_, list, tuple, dict)


def _check_wrt_arguments(primal: Function, wrt: Wrt, args: Sequence[Any]) -> None:
    """A derivative with respect to a string, None or a complex number would be a number that
    means nothing (``x`` for ``x * y``, whatever ``y`` is): say so instead. Checked when code
    for a new kind of argument is built, never per call."""
    for i in resolve_wrt(primal, wrt)[0]:
        arg = args[i]  # bound, with defaults: every parameter is there
        if isinstance(arg, np.ndarray):
            if arg.dtype.kind in "biuf":
                continue
            kind = f"an array of dtype {arg.dtype}"
        elif isinstance(arg, _REAL_TYPES):
            continue
        else:
            kind = "None" if arg is None else f"{type(arg).__name__} {_short_repr(arg)}"
        raise DifferentiationError(
            f"cannot differentiate {primal.name} with respect to {primal.param_names[i]!r}: "
            f"the argument is {kind}",
            hint="pass a float, an int, a real NumPy array, or a tuple, list or dict of those "
                 "(s2s_ad differentiates real functions); or leave the argument out of wrt")


def _short_repr(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _inner_specialized(f: Any, args: Sequence[Any] | None) -> Function | None:
    """When ``f`` is a derivative s2s_ad generated for arguments of any shape: its IR
    specialized to ``args``."""
    specialize = getattr(f, "specialize", None)
    if args is None or specialize is None or not hasattr(f, "__s2s__"):
        return None
    specialized: GeneratedFunction = specialize(*args)
    return specialized.__s2s__.ir


def _lifted(f: Any, memo: _Memo) -> Function:
    """``f``'s IR, lifted once for all the builds that ``memo`` serves."""
    if "primal" not in memo:
        memo["primal"] = primal = lift(f)
        # `u += v` where something else reads the old u: checked where u is an array
        memo["shared"] = primal.updates and mark_shared_updates(
            primal, list(primal.updates), set(_proven(primal)))
    return cast(Function, memo["primal"])


def _build(f: Any, kind: str, wrt: Wrt, optimize: bool, mode: str,
           example: list[Any] | None = None, guard: Guard | None = None,
           memo: _Memo | None = None,
           args: Sequence[Any] | None = None) -> GeneratedFunction:
    """Generate the derivative; ``memo`` keeps ``f``'s IR (lifted and optimized) for the
    next build of the same function (its specializations). ``args``: the arguments that
    ``example`` stands for."""
    memo = {} if memo is None else memo
    primal = _lifted(f, memo)
    inner = _inner_specialized(f, None if args is None else args[:len(primal.params)])
    if inner is not None:  # f is a derivative: its IR for these arguments, not the generic
        primal = inner  # one (which assumes vectors where ranks are unknown)
        memo = {"primal": primal, "shared": ()}
    if example is not None and memo["shared"]:
        avals = infer(primal, example)
        shared_update(memo["shared"], {v for v, a in avals.items() if isinstance(a, Number)},
                      set(arrays_in(avals)), f"while lowering {primal.name!r}")
    indices, single = resolve_wrt(primal, wrt)
    if kind in _SCALAR_ONLY and not isinstance(primal.out_tree, int):
        raise DifferentiationError(
            f"{kind} needs a function that returns one number; {primal.name!r} returns "
            f"{len(tree_leaves(primal.out_tree))} values",
            hint="use s2s_ad.vjp, s2s_ad.jvp or s2s_ad.jacobian for functions with several "
                 "outputs")
    name = f"{primal.name.strip('<>')}_{kind}"  # "<lambda>" -> "lambda_grad"
    # The values of f that are returned stay exact (value and type); derivatives may be
    # simplified more loosely (see simplify).
    values = len(primal.body.results) if kind in _KEEPS_VALUE else 0
    if optimize:
        polish = functools.partial(run_optimizer, exact_results=0)
        # optimizing f first lets repeated subexpressions share one adjoint
        if ("optimized", values) not in memo:
            memo["optimized", values] = run_optimizer(primal, exact_results=values)
        raw = _derive(memo["optimized", values], kind, indices, single, mode, name, polish,
                      example)
        final = run_optimizer(raw, exact_results=values)
    else:
        raw = final = _derive(primal, kind, indices, single, mode, name, lambda fn: fn,
                              example)
    gradients = len(final.body.results) - values  # one leaf per wrt argument: `dx`
    names = ([""] * values + ["d" + primal.params[i].hint for i in indices]
             if kind in _GRADIENTS and gradients == len(indices) else None)
    if names:  # a function that differentiates this one names cotangents after them
        final = replace(final, result_names=tuple(names))
    if example is not None:
        if kind in ("grad", "value_and_grad", "vjp") and gradients == len(indices):
            final = float_gradients(final, example, values, indices)  # (a fresh array)
        final = no_aliases(final, example, names)
    # (`.ir` keeps the marks of `u op= v`: a function that calls this one settles them)
    settled = settle_updates(final, None if example is None else _arrays_of(final, example))
    compiled, source = load(replace(settled, nonzero=_nonzero_params(primal)), name, guard)
    fn = cast(GeneratedFunction, compiled)  # (given its attributes here)
    fn.__s2s__ = Generated(final, raw, primal, indices, kind)
    fn.source = source
    fn.ir = final
    fn.stats = Stats(count_ops(primal), count_ops(raw), count_ops(final))
    fn.__wrapped__ = f
    fn.__doc__ = f"{kind} of {primal.name} with respect to " + ", ".join(
        primal.params[i].hint for i in indices) + " (generated by s2s_ad)."
    return fn


_GRADIENTS = frozenset({"grad", "value_and_grad"})


def _arrays_of(fn: Function, example: list[Any]) -> set[Value]:
    """The values of ``fn`` that are arrays (of at least one axis) for arguments like
    ``example``; run only where ``fn`` updates a value in place."""
    if not any(op.prim == "updated" for op in walk(fn.body)):
        return set()
    return set(arrays_in(infer(fn, example)))


# what math raises on for a 0 operand (ValueError, ZeroDivisionError): operand position
_NONZERO_OPERANDS = {"log": 0, "log2": 0, "log10": 0, "truediv": 1, "floordiv": 1, "mod": 1}


def _nonzero_params(primal: Function) -> frozenset[str]:
    """Parameters that ``primal`` cannot run with at 0: an op of its top region (one that
    always runs) takes their log or divides by them, so ``1.0 / x`` in a derivative cannot
    divide by zero where ``f`` is defined. (Array parameters give inf/nan anyway.)"""
    params = set(primal.params)
    return frozenset(op.args[k].hint for op in primal.body.ops
                     if (k := _NONZERO_OPERANDS.get(op.prim)) is not None
                     and len(op.args) > k and op.args[k] in params)


@dataclass(frozen=True, slots=True)
class _Request:
    """What ``_derive`` is asked for, passed to the builder of one kind."""

    primal: Function
    indices: tuple[int, ...]
    single: bool
    mode: str
    name: str
    polish: Callable[[Function], Function]  # the optimizer between two transforms
    example: list[Any] | None
    arrays: list[str]  # the wrt arguments that are arrays in ``example``
    array_outputs: bool  # a result is an array in ``example``

    def gradient(self, single: bool | None = None) -> Function:
        """The optimized gradient, the inner transform of ``hessian`` and ``hvp``."""
        return self.polish(reverse_vjp(self.primal, self.indices, seed=1.0,
                                       single=self.single if single is None else single,
                                       name=self.name, example=self.example))


def _derive(primal: Function, kind: str, indices: tuple[int, ...], single: bool, mode: str,
            name: str, polish: Callable[[Function], Function],
            example: list[Any] | None = None) -> Function:
    """The raw (unoptimized) IR of derivative ``kind`` of ``primal`` (specialized to
    arguments like ``example``, when given)."""
    arrays: list[str] = []
    array_outputs = False
    if example is not None:
        primal, example = _lists_as_arrays(primal, example)
        shapes = arrays_in(infer(primal, example))
        arrays = [primal.params[i].hint for i in indices if primal.params[i] in shapes]
        array_outputs = any(v in shapes for v in primal.body.results)
        if array_outputs and kind in _SCALAR_ONLY:
            raise DifferentiationError(
                f"{kind} needs a function that returns one number; {primal.name!r} returns "
                "an array for these arguments", hint="reduce it to a number (np.sum, np.mean,"
                " ...) or use s2s_ad.vjp with a cotangent")
    request = _Request(primal, indices, single, mode, name, polish, example, arrays,
                       array_outputs)
    return _DERIVE[kind](request, kind)


def _derive_reverse(r: _Request, kind: str) -> Function:
    return reverse_vjp(r.primal, r.indices, seed=None if kind == "vjp" else 1.0,
                       keep_value=kind == "value_and_grad", single=r.single, name=r.name,
                       example=r.example)


def _derive_jvp(r: _Request, kind: str) -> Function:
    return forward_jvp(r.primal, r.indices, name=r.name, example=r.example)


def _derive_jacobian(r: _Request, kind: str) -> Function:
    """Forward mode (a JVP per input) or reverse mode (a VJP per output), as ``mode``
    says or, for "auto", whichever needs fewer sweeps."""
    containers = _container_params(r.primal, r.indices, r.example)
    if r.arrays and not containers:
        return _array_block(r, kind)
    outputs = len(r.primal.body.results)
    mode = r.mode
    if mode == "auto":
        mode = ("fwd" if (len(r.indices) <= outputs or r.array_outputs) and not containers
                else "rev")
    if mode == "rev" and r.array_outputs:
        raise DifferentiationError(
            f"a reverse-mode jacobian of {r.primal.name!r}, which returns an array, is not "
            "supported", hint="use mode='fwd' (one column per argument)")
    if mode == "fwd" and containers and r.example is None and _could_take_arrays(r.primal):
        mode = "rev"  # shape-generic code, specialized per call: an array or a list
    if mode == "fwd" and containers:
        raise DifferentiationError(
            f"forward-mode jacobian with respect to the tuple/list/dict argument "
            f"{containers[0]!r} is not supported yet", hint="use mode='rev'")
    return _jacobian(r.primal, r.indices, r.single, mode, r.name, r.example)


def _derive_hessian(r: _Request, kind: str) -> Function:
    """Forward mode over the reverse-mode gradient."""
    containers = _container_params(r.primal, r.indices, r.example)
    if r.arrays and not containers:
        return _array_block(r, kind)
    if containers and r.example is None:  # an array, or a list: see
        if len(r.indices) > 1:  # (as every call is: arrays alone, lists not at all)
            raise DifferentiationError(
                f"{kind} with respect to the array argument {containers[0]!r} is supported "
                "for one argument and one result, in forward mode", hint="differentiate with "
                "respect to one array at a time, or use s2s_ad.hvp")
        gradient = r.gradient(single=True)
        jac = _basis_jacobian(gradient, r.indices[0], r.name, gradient=True)  # specialized
        return jac if r.single else replace(jac, out_tree=((0,),))
    if containers:
        raise DifferentiationError(
            f"{kind} with respect to the tuple/list/dict argument {containers[0]!r} is not "
            "supported yet", hint="pass the items as separate arguments")
    return _jacobian(r.gradient(), r.indices, r.single, "fwd", r.name, r.example)


def _derive_hvp(r: _Request, kind: str) -> Function:
    """Forward mode over the reverse-mode gradient, along the tangents given."""
    tangent = forward_jvp(r.gradient(), r.indices, name=r.name, example=r.example)
    return project(tangent, tangent.out_tree[1])


def _array_block(r: _Request, kind: str) -> Function:
    """The Jacobian (or Hessian) block of one array argument and one result: a JVP per
    unit vector, stacked (``_basis_jacobian``)."""
    if len(r.indices) > 1 or r.mode == "rev" or len(r.primal.body.results) > 1:
        raise DifferentiationError(
            f"{kind} with respect to the array argument {r.arrays[0]!r} is supported for "
            "one argument and one result, in forward mode", hint="differentiate with "
            "respect to one array at a time, or use s2s_ad.vjp or s2s_ad.jvp (one row "
            "or column per call), or hvp")
    primal = r.gradient(single=True) if kind == "hessian" else r.primal
    jac = _basis_jacobian(primal, r.indices[0], r.name, r.example, gradient=kind == "hessian")
    # f's output structure, its one leaf the block (a tuple of one for a tuple wrt, as
    # for numbers: ((H,),) for a hessian)
    tree = map_leaves(0 if kind == "hessian" else primal.out_tree,
                      lambda _: 0 if r.single else (0,))
    return replace(jac, out_tree=tree if kind == "jacobian" or r.single else (tree,))


# which builder makes each kind of derivative: reverse mode, forward mode, and their
# compositions
_DERIVE: dict[str, Callable[[_Request, str], Function]] = {
    "grad": _derive_reverse, "value_and_grad": _derive_reverse, "vjp": _derive_reverse,
    "jvp": _derive_jvp, "jacobian": _derive_jacobian, "hessian": _derive_hessian,
    "hvp": _derive_hvp,
}


def _lists_as_arrays(fn: Function, example: list[Any]) -> tuple[Function, list[Any]]:
    """A list (or tuple) argument that the function uses only where NumPy takes it as an
    array (``X @ w``, ``X * w`` with an array ``w``) is one: ``X = np.asarray(X)`` starts the
    code, and its gradient is an array. A list used both as an array and as a list
    (``X[0]`` too) is a clear error: the two readings differ."""
    candidates = {p: k for k, p in enumerate(fn.params)
                  if isinstance(example[k], (list, tuple)) and example[k]}
    if not candidates:
        return fn, example
    shapes = arrays_in(infer(fn, example))
    # what `+` and `*` cannot take for a list's: floats, arrays, NumPy's results (arrays or
    # NumPy scalars, also where their shapes are not known when building)
    inexact = prove(fn, floats=annotated(fn)).inexact
    numpy = {op.out for op in walk(fn.body) if len(op.outs) == 1 and get(op.prim).array_op
             and not get(op.prim).container_result and get(op.prim).kind != "number"}
    for op in walk(fn.body):  # (in program order) an item or a slice of one is NumPy's too
        if op.prim in ("getitem", "getitem_mut") and op.args[0] in numpy:
            numpy.add(op.out)
    inexact |= numpy
    uses: dict[Value, list[Op]] = {}
    for op in walk(fn.body):
        if op.prim == "unshared":  # a check of `u += v` reads values as they are
            continue
        for a in op.args:
            if a in candidates:
                uses.setdefault(a, []).append(op)
    converted = {}
    for p, ops in uses.items():
        as_array = [op for op in ops if not get(op.prim).structural and not op.regions
                    and (is_array_op(op.prim) or any(o in shapes for o in op.outs)
                         or any(a in inexact for a in op.args if a is not p))]
        if not as_array:
            continue
        if len(as_array) < len(ops):
            other = next(op for op in ops if op not in as_array)
            raise DifferentiationError(
                f"the list argument {p.hint!r} is used as an array (by "
                f"{as_array[0].prim}) and as a list (by {other.prim})", loc=other.loc,
                hint=f"pass np.asarray({p.hint}), or use it one way")
        try:
            array = np.asarray(example[candidates[p]])
        except (TypeError, ValueError):
            continue  # ragged: NumPy would not take it either
        if array.dtype.kind in "biuf":
            converted[p] = array
    if not converted:
        return fn, example
    params, ops = list(fn.params), []
    example = list(example)
    for p, array in converted.items():
        k = candidates[p]
        params[k] = Value(p.hint)
        ops.append(Op("np.asarray", (params[k],), (p,)))  # p is now what it computes
        example[k] = array
    body = Region(list(params), ops + fn.body.ops, fn.body.results)
    return replace(fn, params=params, body=body), example


def _basis_jacobian(fn: Function, i: int, name: str, example: list[Any] | None = None,
                    gradient: bool = False) -> Function:
    """The Jacobian of ``fn``'s one result with respect to its array argument ``i``, of
    shape ``result.shape + x.shape``: a loop in the generated code runs the JVP along each
    unit vector and stacks the columns. The part of the JVP that does not depend on the
    unit vector (``fn`` itself) runs once, before the loop. ``gradient``: ``fn``'s result
    is shaped like ``x`` (it must be, without ``example``: shapes known only at run time)."""
    tangents = forward_jvp(fn, (i,), name=name, example=example)
    params = [Value(p.hint) for p in fn.params]
    x = params[i]
    e = Emitter(Region(list(params)))
    if example is not None:
        shape = np.shape(example[i])
        result = fn.body.results[0]
        avals = infer(fn, example)
        out_shape = shape if gradient else shape_of(avals[result]) if result in avals else None
        size, x_shape = e.const(math.prod(shape)), e.const(shape)
        jac_shape = None if out_shape is None else e.const(out_shape + shape)
    else:
        size, x_shape = e.emit("np.size", x)[0], e.emit("np.shape", x)[0]
        jac_shape = e.add(x_shape, x_shape)  # (a gradient is shaped like x)
    columns = e.emit("list_new", hint="columns")[0]
    outer = e.region
    k = Value("k")
    body = Region([k])
    with e.into(body):
        dtype = np.result_type(getattr(example[i], "dtype", float), 0.0) if example else None
        attrs: dict[str, Any] = {} if dtype in (None, np.float64) else {"dtype": dtype.type}
        unit = e.emit("zeros_array", e.emit("tuple", size)[0], hint="unit", **attrs)[0]
        e.emit("add_item", unit, k, e.const(1.0), nouts=0)
        direction = (unit if example is not None and len(shape) == 1
                     else e.emit("np.reshape", unit, x_shape)[0])
        direction.hint = "d" + x.hint
        mapping = dict(zip(tangents.params, params))
        mapping[tangents.params[len(params)]] = direction
        varying = {k, unit, direction}
        for op in clone_ops(tangents.body.ops, mapping):  # what the unit moves runs in the loop
            if op.regions or not get(op.prim).pure or varying.intersection(op.args):
                varying.update(op.outs)
                body.ops.append(op)
            else:
                outer.ops.append(op)
        column = tangents.body.results[1]
        e.emit("append", columns, mapping.get(column, column), nouts=0)
    e.region.ops.append(Op("for_range", (e.const(0), size, e.const(1)), (), (), (body,)))
    jac = e.emit("np.stack_items", columns, axis=-1, hint="jac")[0]
    if jac_shape is None:  # out.shape known only now: stacked out.shape + (x.size,)
        out = e.getitem(e.emit("np.shape", jac)[0], e.emit("slice", None, -1, None)[0])
        jac_shape = e.add(out, x_shape)
    if example is None or len(shape) != 1:
        jac = e.emit("np.reshape", jac, jac_shape, hint="jac")[0]
    return Function(name, params, fn.kinds, Region(list(params), e.region.ops, [jac]), 0,
                    fn.defaults, fn.kwdefaults, fn.file, fn.globals_ns, fn.numbers)


def _container_params(fn: Function, indices: tuple[int, ...],
                      example: list[Any] | None = None) -> list[str]:
    """Names of the ``wrt`` parameters that the function indexes (tuples, lists, dicts; an
    array argument of ``example`` is indexed as an array)."""
    indexed = {op.args[0] for op in walk(fn.body) if op.prim == "getitem"}
    return [fn.params[i].hint for i in indices if fn.params[i] in indexed
            and not (example is not None and isinstance(example[i], np.ndarray))]


def _jacobian(fn: Function, indices: tuple[int, ...], single: bool, mode: str,
              name: str, example: list[Any] | None = None) -> Function:
    """All partials of ``fn`` in one function: one sweep per output (rev) or input (fwd)."""
    m, n = len(fn.body.results), len(indices)
    if mode == "rev":
        # each row differentiates only what its output depends on (dce of the projection),
        # so m rows cost the sum of their slices, not m times the whole function
        rows = [reverse_vjp(dce(project(fn, i)), indices, seed=1.0, single=single,
                            example=example) for i in range(m)]
        return stack(rows, fn, lambda trees: map_leaves(fn.out_tree, trees.__getitem__), name)
    columns = [forward_jvp(fn, indices, seeds=[1.0 if k == j else None for k in range(n)],
                           suffix="_d" + fn.params[i].hint if n > 1 else "", example=example)
               for j, i in enumerate(indices)]

    def tree_of(trees: list[Any]) -> Any:
        cols = [tree_leaves(t[1]) for t in trees]  # cols[j][i]: d output i / d wrt j
        return map_leaves(fn.out_tree, lambda i: cols[0][i] if single
                          else tuple(col[i] for col in cols))

    stacked = stack(columns, fn, tree_of, name)
    return project(stacked, stacked.out_tree)


def resolve_wrt(fn: Function, wrt: Wrt) -> tuple[tuple[int, ...], bool]:
    """Parameter indices for ``wrt``, and whether a single gradient (not a tuple) is wanted."""
    names = fn.param_names
    single = not isinstance(wrt, (tuple, list))
    items = [0 if wrt is None else wrt] if single else list(wrt)  # type: ignore[arg-type]
    if not names:
        raise DifferentiationError(f"{fn.name!r} has no parameters to differentiate")
    position = {name: i for i, name in enumerate(names)}
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DifferentiationError(f"wrt must be parameter indices or names, not {item!r}",
                                       hint=f"an index like 0, a name from {names}, or a "
                                            "tuple of them")
        if isinstance(item, str):
            if item not in position:
                raise DifferentiationError(
                    f"wrt names {item!r}, which is not a parameter of "
                    f"{fn.name}({', '.join(names)})", hint=f"choose from {names}")
            indices.append(position[item])
        else:
            if not -len(names) <= item < len(names):
                raise DifferentiationError(
                    f"wrt index {item} is out of range for {fn.name}({', '.join(names)})",
                    hint=f"an index below {len(names)}, or a name from {names}")
            indices.append(item % len(names))
    return tuple(indices), single


def stats(g: GeneratedFunction) -> Stats:
    """Op counts by kind of a generated function (``g.stats``): before and after optimizing."""
    return g.stats
