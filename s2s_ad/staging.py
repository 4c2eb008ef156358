"""Which generated function a transform returns, and the builds behind it: staging.

A transform runs once per (function, wrt, options) and is cached (``transform``). What it
returns depends on what the arguments can be (``analysis/kinds.py``):

- the code proves they are numbers: the generated function itself, no wrapper;
- plain arithmetic that arrays could also go through: the code for numbers, whose first
  line sends other arguments to the general version (``_guarded``);
- NumPy code: a function that generates, once per argument types, shapes and dtypes, the
  code specialized to them, and calls it (``_specializing``).

Each build (``_build``) lifts the function once (``_lifted``, shared by the builds of one
function), derives (``transforms/compose.py``), optimizes, and compiles.
"""

from __future__ import annotations

import functools
import inspect
import operator
import warnings
import weakref
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

import numpy as np

from .analysis.aliasing import mark_shared_updates, shared_update
from .analysis.fields import check_fields, is_record
from .analysis.kinds import (
    _STAND_INS,
    UNKNOWN,
    annotated,
    could_take_arrays,
    infer,
    is_array_op,
    prove,
    prove_inexact,
)
from .analysis.kinds import arrays as arrays_in
from .codegen import dispatch
from .codegen.load import cycle_collection_paused, load
from .codegen.to_ast import Guard
from .codegen.updates import settle_updates
from .display import attach
from .errors import BackendError, BackendWarning, DifferentiationError
from .frontend.lower import lift
from .generated import Deferred, name_as_call
from .ir.avals import Number
from .ir.core import Function, Value, const_value, tree_leaves, walk
from .methods import bind, is_bound_method, method_wrt, unbound
from .optimize import OpCounts, count_ops
from .optimize import optimize as run_optimizer
from .primitives import get
from .transforms.compose import SCALAR_ONLY, Axes, Wrt, derive, resolve_wrt
from .transforms.finish import float_gradients, no_aliases

_Key = tuple[str, Wrt, bool, str, str]  # kind, wrt, optimize, mode, backend
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
    __s2s_call__: tuple[Any, ...]  # (f, kind, wrt, optimize, mode): what s2s_ad.jit rebuilds

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


def transform(f: Any, kind: str, wrt: Wrt, optimize: bool,
              mode: str = "", backend: str = "python") -> GeneratedFunction:
    """Derivative ``kind`` of ``f`` (what the public functions return), built once per
    (function, wrt, options) with the cycle collector paused (see ``load``). ``backend``:
    "python" (the generated Python code), "numba" (that code compiled by Numba, see
    ``_compiling``) or "auto" (Numba where it pays, else Python)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, "
                         f"not {backend!r}")
    per_call = getattr(f, "__s2s_transform__", None)
    if per_call is not None:  # vmap(f), or a derivative of one: built per call (batched.py)
        if backend != "python":
            raise DifferentiationError("a transform of a vmap runs on the Python backend",
                                       hint="leave backend='python' here")
        return cast(GeneratedFunction, per_call(kind, wrt, optimize, mode))
    if is_bound_method(f):  # model.loss: its function's derivative, bound to model
        generated = transform(unbound(f), kind, method_wrt(f, wrt), optimize, mode, backend)
        return bind(generated, f, (kind, f, wrt, optimize, mode, backend))
    if isinstance(wrt, list):  # `wrt=["x", "y"]` means the tuple (and keys the cache)
        wrt = tuple(wrt)
    key = (kind, wrt, optimize, mode, backend)
    try:
        per_function = _CACHE.setdefault(f, {})
    except TypeError:  # not weak-referenceable (a builtin): lift() explains
        per_function = {}
    ref = per_function.get(key)
    cached = None if ref is None else ref()
    if cached is not None:
        return cached
    with cycle_collection_paused():
        if backend == "python":
            generated = _transformed(f, kind, wrt, optimize, mode)
        else:
            generated = _compiling(f, kind, wrt, optimize, mode, backend)
    generated.__s2s_call__ = (f, kind, wrt, optimize, mode)  # (what s2s_ad.jit rebuilds)
    # weakly: a generated function refers to f (__wrapped__), and a strong value would
    # keep f, its key, alive forever
    per_function[key] = weakref.ref(generated)
    return generated


def _transformed(f: Any, kind: str, wrt: Wrt, optimize: bool, mode: str) -> GeneratedFunction:
    """``transform``'s function, built (the code for floats alone where it can be)."""
    memo: _Memo = {}
    try:
        floats = _floats_first(f, kind, wrt, optimize, mode, memo)
        if floats is not None:
            name_as_call(floats, f, kind, wrt, optimize, mode)
            return floats
        generated = _build(f, kind, wrt, optimize, mode, memo=memo)
    except DifferentiationError as err:
        raise err.with_traceback(None) from None  # users never see our frames
    # (on the optimized IR too: dead code may have held the only proof that x is a number)
    # a result read as it is (`return t`, `return t[0]`): a tuple there must reach the check
    # that says grad needs a number, as an array must; the cheap questions first (each
    # primal's proof is a pass over the whole function)
    primals = [v for v in memo.values() if isinstance(v, Function)]
    arrays = _may_return_an_array(generated.__s2s__) or (
        _shape_dependent(generated.__s2s__)
        and any(could_take_arrays(p, _proven(p)) for p in primals))
    # a Jacobian's shape-generic code seeds each wrt argument with 1.0: right for numbers
    arrays = arrays or (kind in ("jacobian", "hessian") and not _wrt_numbers(generated))
    # (and a Jacobian seeds each result with 1.0: right for numbers, not for a list)
    arrays = arrays or (kind == "jacobian" and not _results_numbers(generated))
    ints = _may_give_ints(generated.__s2s__)
    if arrays or ints:
        dispatcher = _specializing(f, kind, wrt, optimize, mode, generated, memo)
        generated = _guarded(f, kind, wrt, optimize, mode, dispatcher, memo,
                             generated.__s2s__ if ints else None) or dispatcher
    name_as_call(generated, f, kind, wrt, optimize, mode)  # how pickle saves it (generated.py)
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
    if kind not in SCALAR_ONLY:
        return None
    primal = _lifted(f, memo)
    proven = _proven(primal)
    if (any(is_array_op(op.prim) for op in walk(primal.body))
            or not could_take_arrays(primal, proven)):
        return None
    if set(primal.body.results) <= proven:
        return None
    read_as_container = {op.args[0] for op in walk(primal.body) if get(op.prim).structural}
    if any(p in proven and p not in read_as_container and p.hint not in primal.numbers
           for p in primal.params):
        return None  # whether ints need their own code depends on the generic derivative
    def build_generic() -> GeneratedFunction:
        with cycle_collection_paused():
            return _build(f, kind, wrt, optimize, mode, memo=memo)

    generic = Deferred(build_generic)
    dispatcher = _specializing(f, kind, wrt, optimize, mode, generic, memo, hidden=True)
    return _guarded(f, kind, wrt, optimize, mode, dispatcher, memo, proven=proven)


_BLOCKS = frozenset({"jacobian", "hessian"})  # kinds whose result is shaped by wrt's


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
    if kind in _BLOCKS and any(primal.params[i] in read_as_container
                               for i in resolve_wrt(primal, wrt)[0]):
        return None  # (an array read by items: its block's shape is the array's, not 0.0's)
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
    """Are the ``wrt`` arguments of ``generated`` proven numbers? (One that is indexed or
    iterated may be a container, which the shape-generic code handles at run time, or an
    array, whose block it cannot shape: code specialized to the arguments does both.)"""
    primal = generated.__s2s__.primal
    proven = _proven(primal)
    return all(primal.params[i] in proven for i in generated.__s2s__.wrt)


def _results_numbers(generated: Any) -> bool:
    """Are the results of ``generated``'s function proven numbers?"""
    primal = generated.__s2s__.primal
    return set(primal.body.results) <= _proven(primal)


def _may_return_an_array(generated: Generated) -> bool:
    """Might ``grad``'s function return an array (``x * 2.0``)? Then arrays must reach the
    check that says grad needs a number, even where the derivative (``2.0``) would run."""
    primal = generated.primal
    return generated.kind in SCALAR_ONLY and not set(primal.body.results) <= _proven(primal)


def _may_give_ints(generated: Generated, floats: Sequence[Value] = ()) -> bool:
    """Might a derivative be an int for int arguments (``x + x`` for ``x * x``), the
    parameters ``floats`` of its IR aside? Then ints go to code specialized to them, which
    makes the derivative a float."""
    fn = generated.ir
    values = len(generated.primal.body.results) if generated.kind in _KEEPS_VALUE else 0
    # (a result proven inexact is never an int: where one pass forward proves them all,
    # no fixpoint is needed)
    facts = prove_inexact(fn, fn.body.results[values:], floats=[*floats, *annotated(fn)])
    numeric = facts.numeric
    left = [v for v in fn.body.results[values:] if v not in facts.inexact]
    if not left:
        return False
    made_by = {out: op.prim for op in walk(fn.body) for out in op.outs}
    return any(v in fn.params or v in numeric or (v in made_by and get(made_by[v]).keeps_ints)
               for v in left)


_KEEPS_VALUE = frozenset({"value_and_grad", "jvp"})


_NUMBER_TYPES = {float, int, bool}


def _signature(arg: Any) -> Any:
    """What a specialization depends on: the type, an array's shape and dtype, and the
    signatures of a container's items (a set: a list of floats of any length is one)."""
    kind = type(arg)
    if kind is np.ndarray:
        return arg.shape, arg.dtype
    if kind is list or kind is tuple:
        # at C speed, and the common case first: a list of floats costs ~10 ns an item
        if arg and operator.countOf(map(type, arg), float) == len(arg):
            return kind, float
        types = set(map(type, arg))
        if len(types) == 1 and types <= _NUMBER_TYPES:
            return kind, types.pop()
        return kind, frozenset(map(_signature, arg))
    if kind is dict:
        return kind, tuple(arg), frozenset(map(_signature, arg.values()))
    if isinstance(arg, tuple):  # a named tuple: its class and its items' signatures
        return kind, tuple(map(_signature, arg))
    if hasattr(kind, "__dataclass_fields__"):  # its class and its fields' signatures
        return kind, tuple(_signature(getattr(arg, name)) for name in kind.__dataclass_fields__)
    return kind


def _collects(signature: inspect.Signature) -> bool:
    """Does ``signature`` have ``*args`` or ``**kwargs`` (a tuple or dict of the arguments)?"""
    return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in signature.parameters.values())


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
    loose: set[tuple[Any, ...]] = set()  # keys whose code takes ints in a list of floats
    signatures: list[inspect.Signature] = []  # of the generated code

    def signature_of(fn: Any) -> None:
        if not signatures:
            signatures.append(inspect.signature(fn, follow_wrapped=False))
            dispatch.refresh(call, signatures[0], table, loose)

    def specialize(*args: Any, **kwargs: Any) -> GeneratedFunction:
        signature = signatures[0]
        if kwargs or len(args) != len(signature.parameters) or _collects(signature):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments.values())
        key = tuple(map(_signature, args))
        fn = table.get(key)
        if fn is None:
            _check_wrt_arguments(_lifted(f, memo), wrt, args)
            check_fields(_lifted(f, memo), args, resolve_wrt(_lifted(f, memo), wrt)[0])
            example = [a if isinstance(a, (*_STAND_INS, list, tuple, dict))
                       or is_record(a) else UNKNOWN for a in args]
            try:
                with cycle_collection_paused():
                    fn = table[key] = _build(f, kind, wrt, optimize, mode, example, memo=memo,
                                             args=args)
                if _ints_allowed(fn.__s2s__, key, args):
                    loose.add(key)
                dispatch.refresh(call, signature, table, loose)  # (a test for it inline)
            except DifferentiationError as err:
                raise err.with_traceback(None) from None
        return fn

    def fallback(*args: Any, **kwargs: Any) -> Any:  # (what the tests inline do not send)
        if not kwargs:
            fn = table.get((_signature(args[0]),) if len(args) == 1 else
                           tuple(map(_signature, args)))
            if fn is not None:
                return fn(*args)
        return specialize(*args, **kwargs)(*args, **kwargs)

    call = dispatch.dispatcher(f"{_lifted(f, memo).name.strip('<>')}_{kind}", fallback)
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


def _ints_allowed(generated: Generated, key: tuple[Any, ...], args: Sequence[Any]) -> bool:
    """May a list or tuple of floats among ``args`` (the arguments ``generated`` was built
    for, with signatures ``key``) hold ints and bools too (``dispatch.py``'s ``loose``)?
    The code is the same (the aval of both is ``Numbers``) and gives the same values; what
    could differ is a derivative's type, an int where an item is one (``dxs[i] = xs[i] +
    xs[i]``). So: where every derivative is proven a float with the items not known to be
    floats, each derivative of a list being ``[0.0] * n`` that only such floats are added
    into."""
    if (list, float) not in key and (tuple, float) not in key:
        return False
    fn = generated.ir
    values = len(generated.primal.body.results) if generated.kind in _KEEPS_VALUE else 0
    results = set(fn.body.results[values:])
    lists: set[Value] = set()  # (made before they are used: one pass in program order)
    asked = []
    for op in walk(fn.body):
        for k, a in enumerate(op.args):
            if a in lists:
                if op.prim != "add_item" or k != 0:
                    return False  # (written some other way, or read: not proven)
                asked.append(op.args[2])
        if op.prim == "zeros_list" and op.out in results:
            lists.add(op.out)
    asked += [v for v in fn.body.results[values:] if v not in lists]
    floats = [p for p, a in zip(fn.params, args) if type(a) is float]
    facts = prove_inexact(fn, asked, floats=[*floats, *annotated(fn)])
    return all(v in facts.inexact for v in asked)


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
        elif isinstance(arg, _REAL_TYPES) or is_record(arg):
            continue
        else:
            kind = "None" if arg is None else f"{type(arg).__name__} {_short_repr(arg)}"
        raise DifferentiationError(
            f"cannot differentiate {primal.name} with respect to {primal.param_names[i]!r}: "
            f"the argument is {kind}",
            hint="pass a float, an int, a real NumPy array, or a tuple, list, dict, dataclass "
                 "or named tuple of those (s2s_ad differentiates real functions); or leave "
                 "the argument out of wrt")


def _short_repr(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _for_floats(f: Any) -> bool:
    """Is ``f`` a derivative s2s_ad generated as code for floats (checking its arguments
    and calling its ``general`` code for others)? Its IR holds only for floats."""
    general = getattr(f, "general", None)
    return (general is not None and hasattr(f, "__s2s__")
            and getattr(general, "__s2s__", None) is not f.__s2s__)


def _inner_specialized(f: Any, args: Sequence[Any] | None) -> Function | None:
    """When ``f`` is a derivative s2s_ad generated for arguments of any shape: its IR
    specialized to ``args``, as transforms take it: where the code that runs reads a float
    vector as a list of floats (``transforms/items.py``, for the Python code alone), built
    again reading the vector as it is (its items' tangents are the vector's tangent's)."""
    specialize = getattr(f, "specialize", None)
    if args is None or specialize is None or not hasattr(f, "__s2s__"):
        return None
    specialized: GeneratedFunction = specialize(*args)
    ir = specialized.__s2s__.ir
    made = getattr(f, "__s2s_call__", None)
    if made is None or not any(op.prim == "tolist" for op in walk(ir.body)):
        return ir
    g, kind, wrt, optimize, mode = made
    example = [a if isinstance(a, (*_STAND_INS, list, tuple, dict)) or is_record(a)
               else UNKNOWN for a in args]
    with cycle_collection_paused():
        return _build(g, kind, wrt, optimize, mode, example, args=args, items=False).__s2s__.ir


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
           args: Sequence[Any] | None = None, axes: Axes | None = None,
           backend: str = "python", items: bool = True) -> GeneratedFunction:
    """Generate the derivative; ``memo`` keeps ``f``'s IR (lifted and optimized) for the
    next build of the same function (its specializations). ``args``: the arguments that
    ``example`` stands for; ``axes``: vmap's (``kind == "vmap"``, ``example`` one example).
    ``backend="numba"``: compiled by Numba for arguments like ``args`` (``_numba``).
    ``items``: a float vector read item by item may be read as a list of floats."""
    memo = {} if memo is None else memo
    primal = _lifted(f, memo)
    inner = _inner_specialized(f, None if args is None else args[:len(primal.params)])
    if inner is not None:  # f is a derivative: its IR for these arguments, not the generic
        primal = inner  # one (which assumes vectors where ranks are unknown)
        memo = {"primal": primal, "shared": ()}
    elif example is None and _for_floats(f):  # f is code for floats: the code for any
        primal = lift(f.general)  # arguments derives from f's for any arguments
        memo = {"primal": primal, "shared": ()}
    if example is not None and memo["shared"]:
        avals = infer(primal, example)
        shared_update(memo["shared"], {v for v, a in avals.items() if isinstance(a, Number)},
                      set(arrays_in(avals)), f"while lowering {primal.name!r}")
    indices, single = resolve_wrt(primal, wrt)
    if kind in SCALAR_ONLY and not isinstance(primal.out_tree, int):
        raise DifferentiationError(
            f"{kind} needs a function that returns one number; {primal.name!r} returns "
            f"{len(tree_leaves(primal.out_tree))} values",
            hint="use s2s_ad.vjp, s2s_ad.jvp or s2s_ad.jacobian for functions with several "
                 "outputs")
    if kind in SCALAR_ONLY and (returned := _constant_result(primal)) is not None:
        raise DifferentiationError(  # (its derivative would be a guess: 0.0)
            f"{kind} needs a function that returns one number; {primal.name!r} returns "
            f"{returned}", hint="return the number to differentiate")
    name = f"{primal.name.strip('<>')}_{kind}"  # "<lambda>" -> "lambda_grad"
    # The values of f that are returned stay exact (value and type); derivatives may be
    # simplified more loosely (see simplify).
    values = len(primal.body.results) if kind in _KEEPS_VALUE or kind == "vmap" else 0
    if optimize:
        polish = functools.partial(run_optimizer, exact_results=0)
        # optimizing f first lets repeated subexpressions share one adjoint
        if ("optimized", values) not in memo:
            memo["optimized", values] = run_optimizer(primal, exact_results=values)
        raw = derive(memo["optimized", values], kind, indices, single, mode, name, polish,
                      example, axes=axes, backend=backend if items else "")
        final = run_optimizer(raw, exact_results=values)
    else:
        raw = final = derive(primal, kind, indices, single, mode, name, lambda fn: fn,
                              example, axes=axes, backend=backend if items else "")
    gradients = len(final.body.results) - values  # one leaf per wrt argument: `dx`
    names = ([""] * values + ["d" + primal.params[i].hint for i in indices]
             if kind in _GRADIENTS and gradients == len(indices) else None)
    if names:  # a function that differentiates this one names cotangents after them
        final = replace(final, result_names=tuple(names))
    if example is not None and kind != "vmap":  # (vmap's example is one example)
        if kind in ("grad", "value_and_grad", "vjp", "elementwise_grad") and (
                gradients == len(indices)):
            final = float_gradients(final, example, values, indices)  # (a fresh array)
        final = no_aliases(final, example, names)
    # (`.ir` keeps the marks of `u op= v`: a function that calls this one settles them)
    settled = settle_updates(final, None if example is None or kind == "vmap"
                             else _arrays_of(final, example))
    settled = replace(settled, nonzero=_nonzero_params(primal))
    if backend == "numba":
        assert args is not None and guard is None
        compiled, source = _numba(settled, name, tuple(args))
    else:
        compiled, source = load(settled, name, guard)
    fn = cast(GeneratedFunction, compiled)  # (given its attributes here)
    fn.__s2s__ = Generated(final, raw, primal, indices, kind)
    fn.source = source
    fn.ir = final
    fn.stats = Stats(count_ops(primal), count_ops(raw), count_ops(final))
    fn.__wrapped__ = f
    fn.__doc__ = f"{kind} of {primal.name} with respect to " + ", ".join(
        primal.params[i].hint for i in indices) + " (generated by s2s_ad)."
    return fn


_GRADIENTS = frozenset({"grad", "value_and_grad", "elementwise_grad"})


def _constant_result(primal: Function) -> str | None:
    """What ``primal`` returns where that is a constant other than a number (``None``, of a
    function that returns nothing; a string), shown; else None."""
    made = {op.out: op for op in primal.body.ops if op.prim == "const"}
    op = made.get(primal.body.results[0]) if primal.body.results else None
    if op is None:
        return None
    value = const_value(op)
    if isinstance(value, (bool, int, float, np.number, np.ndarray)):
        return None
    return "None" if value is None else f"{type(value).__name__} {value!r:.40}"


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



BACKENDS = ("python", "numba", "auto")


def _numba(fn: Function, name: str, args: tuple[Any, ...]) -> tuple[Callable[..., Any], str]:
    """``fn`` compiled by Numba for arguments like ``args``, and its source: a function
    that calls the compiled code and, where it raises (a division by zero), runs the Python
    code for ``fn``, which raises the error s2s_ad locates (or gives the value)."""
    from .codegen import jit

    where = f"while compiling {name!r} with Numba"
    compiled = jit.build(fn, name, where)
    jit.compile_for(compiled, args, where)
    function = compiled.function
    python = Deferred(lambda: load(fn, name)[0])

    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except Exception:  # (Numba's errors say no line; the Python code's do)
            return python(*args)

    call.__name__ = call.__qualname__ = name
    call.numba_code = compiled.code  # type: ignore[attr-defined]  # (what export writes)
    return call, compiled.source


def _compiling(f: Any, kind: str, wrt: Wrt, optimize: bool, mode: str,
               backend: str) -> GeneratedFunction:
    """The derivative compiled by Numba (``backend="numba"``) for each new kind of
    arguments (their types, shapes and dtypes, as ``_specializing`` keys them); its
    ``.source`` is the code last compiled (before a call: the shape-generic Python code).
    ``backend="auto"`` compiles a function with a loop, where Numba pays for its call
    overhead and compile time; for one without, it is the Python backend's function; and
    where Numba cannot compile the derivative, it runs the Python code, with one warning."""
    memo: _Memo = {}
    try:
        primal = _lifted(f, memo)
    except DifferentiationError as err:
        raise err.with_traceback(None) from None
    loops = any(op.prim in ("for_range", "while") for op in walk(primal.body))
    if backend == "auto" and not loops:  # the Python backend's function, dispatch and all
        return _transformed(f, kind, wrt, optimize, mode)
    warned: list[str] = []

    def build(args: tuple[Any, ...], example: list[Any]) -> GeneratedFunction:
        try:
            _check_numba_arguments(primal, args)
            return _build(f, kind, wrt, optimize, mode, example, memo=memo, args=args,
                          backend="numba")
        except BackendError as err:
            if backend == "numba":
                raise
            if not warned:
                warned.append(str(err))
                warnings.warn(f"{err}\n(running the Python code instead)", BackendWarning,
                              stacklevel=4)
        return _build(f, kind, wrt, optimize, mode, example, memo=memo, args=args)

    with cycle_collection_paused():
        generic = Deferred(lambda: _build(f, kind, wrt, optimize, mode, memo=memo))
    compiling = _Compiling(f, primal, wrt, generic, build, memo)
    compiling.made_by = (f, kind, wrt, optimize, mode, backend)
    return cast(GeneratedFunction, compiling)




def _check_numba_arguments(primal: Function, args: Sequence[Any]) -> None:
    """Numba takes numbers, NumPy arrays and tuples of them: say which argument is not."""
    for name, arg in zip(primal.param_names, args):
        items = arg if type(arg) is tuple else (arg,)
        for item in items:
            if not isinstance(item, _NUMBER_ARGUMENTS) or (
                    isinstance(item, np.ndarray) and item.dtype.kind not in "biuf"):
                kind = type(item).__name__ if not isinstance(item, np.ndarray) else (
                    f"an array of dtype {item.dtype}")
                raise BackendError(
                    f"the Numba backend cannot take the argument {name!r} ({kind})",
                    hint="pass numbers, NumPy arrays or tuples of them; or use "
                         "backend='python' (the default)")


_NUMBER_ARGUMENTS = (bool, int, float, np.ndarray, np.generic)


class _Compiling:
    """What ``_compiling`` returns: a dispatcher to the code built for each new kind of
    arguments (``specialize(*args)``, ``specializations``), with the attributes of a
    generated function (those of the code last built; before a call, the generic code's)."""

    def __init__(self, f: Any, primal: Function, wrt: Wrt, generic: Deferred,
                 build: Callable[[tuple[Any, ...], list[Any]], GeneratedFunction],
                 memo: _Memo) -> None:
        self.__wrapped__ = f
        self.general = generic
        self.specializations: dict[tuple[Any, ...], GeneratedFunction] = {}
        # the same, for arguments that are all Python numbers, keyed by their types alone
        # (what _signature gives them, in a tenth of its time)
        self._numbers: dict[tuple[type, ...], GeneratedFunction] = {}
        self._f, self._primal, self._wrt, self._build, self._memo = f, primal, wrt, build, memo
        self._last: GeneratedFunction | None = None
        self.made_by: tuple[Any, ...] = ()  # transform's arguments: how it pickles
        self.__name__ = self.__qualname__ = f"{primal.name.strip('<>')}"

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.general, follow_wrapped=False)

    def _positional(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    def _shown(self) -> GeneratedFunction:
        return self._last if self._last is not None else cast(GeneratedFunction, self.general)

    @property
    def source(self) -> str:
        return self._shown().source

    @property
    def ir(self) -> Function:
        return self._shown().ir

    @property
    def stats(self) -> Stats:
        return self._shown().stats

    @property
    def __s2s__(self) -> Generated:
        return self._shown().__s2s__

    def specialize(self, *args: Any, **kwargs: Any) -> GeneratedFunction:
        """The function built for arguments like these (its ``.source``: the code that
        runs)."""
        if kwargs or len(args) != len(self.__signature__.parameters):
            args = self._positional(args, kwargs)
        key = tuple(map(_signature, args))
        fn = self.specializations.get(key)
        if fn is None:
            primal = self._primal
            _check_wrt_arguments(primal, self._wrt, args)
            check_fields(primal, args, resolve_wrt(primal, self._wrt)[0])
            example = [a if isinstance(a, (*_STAND_INS, list, tuple, dict))
                       or is_record(a) else UNKNOWN for a in args]
            try:
                with cycle_collection_paused():
                    fn = self.specializations[key] = self._build(args, example)
            except DifferentiationError as err:
                raise err.with_traceback(None) from None
            if all(type(a) in _NUMBER_TYPES for a in args):
                self._numbers[key] = fn
        self._last = fn
        return fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = None if kwargs else self._numbers.get(tuple(map(type, args)))
        if fn is None and not kwargs:
            fn = self.specializations.get(tuple(map(_signature, args)))
        if fn is None and (kwargs or len(args) != len(self.__signature__.parameters)):
            args = self._positional(args, kwargs)
            fn = self.specializations.get(tuple(map(_signature, args)))
        if fn is None:
            fn = self.specialize(*args)
        return fn(*args)

    def __repr__(self) -> str:
        return f"<{self.__name__} compiled by s2s_ad>"

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as the call that made it
        return transform, self.made_by


def compiled(g: Any) -> GeneratedFunction:
    """``s2s_ad.jit(g)``: the transform that made ``g``, with ``backend="numba"``."""
    made = getattr(g, "__s2s_call__", None)
    if made is None:
        made_by = getattr(g, "_made_by", None)  # a derivative of a bound method
        if made_by is None:
            raise TypeError(f"s2s_ad.jit takes a function that an s2s_ad transform returned, "
                            f"not {g!r}")
        kind, method, wrt, optimize, mode = made_by[:5]
        return transform(method, kind, wrt, optimize, mode, "numba")
    f, kind, wrt, optimize, mode = made
    return transform(f, kind, wrt, optimize, mode, "numba")
