"""Derivatives made of transforms: which sweeps build each kind (``derive``'s table).

``grad``, ``value_and_grad`` and ``vjp`` are one reverse sweep, ``jvp`` one forward
sweep; ``jacobian`` is a forward sweep per input or a reverse sweep per output (a JVP per
unit vector, stacked, for an array argument), ``hessian`` forward over reverse, and ``hvp``
one forward sweep of the gradient. A ``Request`` says what is asked; ``resolve_wrt``
turns ``wrt`` into parameter positions. The blocks of Jacobians and Hessians are built in
``blocks.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..analysis.fields import is_structure
from ..analysis.kinds import (
    Facts,
    analyze,
    annotated,
    infer,
    is_array_op,
    prove,
)
from ..analysis.kinds import arrays as arrays_in
from ..errors import DifferentiationError
from ..ir.avals import Array, Number
from ..ir.core import LOOPS, Function, Op, Region, Value, walk
from ..primitives import get
from .batch import batch
from .blocks import basis_jacobian, basis_sweeps, jacobian, looped_blocks
from .forward import jvp as forward_jvp
from .items import as_lists, reads_alike
from .reverse import ONES
from .reverse import vjp as reverse_vjp
from .trees import map_leaves, project

Wrt = int | str | tuple[int | str, ...] | None
# vmap's axes: the batch axis of each parameter (None: the same for every example), and of
# the results
Axes = tuple[tuple[int | None, ...], int | None]
SCALAR_ONLY = ("grad", "value_and_grad", "hessian", "hvp")  # for functions of one number


@dataclass(frozen=True, slots=True)
class _Request:
    """What ``derive`` is asked for, passed to the builder of one kind."""

    primal: Function
    indices: tuple[int, ...]
    single: bool
    mode: str
    name: str
    polish: Callable[[Function], Function]  # the optimizer between two transforms
    example: list[Any] | None
    arrays: list[str]  # the wrt arguments that are arrays in ``example``
    array_outputs: bool  # a result is an array in ``example``
    facts: Facts | None = None  # analyze(primal, example), when example is given
    axes: Axes | None = None  # vmap's: each parameter's batch axis, and the results'

    def gradient(self, single: bool | None = None) -> Function:
        """The optimized gradient, the inner transform of ``hessian`` and ``hvp``."""
        return self.polish(reverse_vjp(self.primal, self.indices, seed=1.0,
                                       single=self.single if single is None else single,
                                       name=self.name, example=self.example,
                                       facts=self.facts))


def derive(primal: Function, kind: str, indices: tuple[int, ...], single: bool, mode: str,
            name: str, polish: Callable[[Function], Function],
            example: list[Any] | None = None, axes: Axes | None = None,
            backend: str = "python") -> Function:
    """The raw (unoptimized) IR of derivative ``kind`` of ``primal`` (specialized to
    arguments like ``example``, when given). ``axes``: vmap's batch axes (see ``Axes``).
    A Python ``grad`` reads a float vector that a loop reads item by item as a list of
    floats, where that is exact (``transforms/items.py``)."""
    if kind == "grad" and example is not None and backend == "python":
        listed = as_lists(primal, example, indices)
        if listed is not None:
            raw = derive(listed, kind, indices, single, mode, name, polish, example, axes,
                         backend="")
            if reads_alike(raw, 0):
                return raw
    arrays: list[str] = []
    array_outputs = False
    facts = None
    if example is not None:
        primal, example = _lists_as_arrays(primal, example)
        facts = analyze(primal, example)
        shapes = arrays_in(facts.avals)
        arrays = [primal.params[i].hint for i in indices if primal.params[i] in shapes]
        array_outputs = any(v in shapes for v in primal.body.results)
        container = any(v in facts.containers for v in primal.body.results)
        if (array_outputs or container) and kind in SCALAR_ONLY:
            what = "an array" if array_outputs else "a tuple, list or dict"
            raise DifferentiationError(
                f"{kind} needs a function that returns one number; {primal.name!r} returns "
                f"{what} for these arguments", hint="reduce it to a number (np.sum, np.mean,"
                " ...) or use s2s_ad.vjp with a cotangent")
    request = _Request(primal, indices, single, mode, name, polish, example, arrays,
                       array_outputs, facts, axes)
    return _DERIVE[kind](request, kind)


def _derive_reverse(r: _Request, kind: str) -> Function:
    seed = None if kind == "vjp" else ONES if kind == "elementwise_grad" else 1.0
    return reverse_vjp(r.primal, r.indices, seed=seed,
                       keep_value=kind == "value_and_grad", single=r.single, name=r.name,
                       example=r.example, facts=r.facts)


def _derive_vmap(r: _Request, kind: str) -> Function:
    """The function over a batch (transforms/batch.py), for one example like ``example``."""
    assert r.axes is not None and r.example is not None, "vmap is built per call"
    in_axes, out_axes = r.axes
    return batch(r.primal, in_axes, out_axes, r.example, r.name)


def _derive_jvp(r: _Request, kind: str) -> Function:
    return forward_jvp(r.primal, r.indices, name=r.name, example=r.example)


def _derive_jacobian(r: _Request, kind: str) -> Function:
    """Forward mode (a JVP per input) or reverse mode (a VJP per output), as ``mode``
    says or, for "auto", whichever needs fewer sweeps."""
    containers = _container_params(r.primal, r.indices, r.example)
    structured = _structured_results(r)
    if structured and (r.mode == "rev" or containers or r.arrays):
        where = ("in reverse mode" if r.mode == "rev" else "with respect to the "
                 + ("tuple/list/dict" if containers else "array") + " argument "
                 + repr((containers or r.arrays)[0]))
        raise DifferentiationError(
            f"a jacobian of {r.primal.name!r}, which returns {structured} built when it "
            f"runs, {where} is not supported",
            hint="return a tuple display of its items (`return (a, b)`), or use "
                 "mode='fwd' with respect to numbers, or s2s_ad.vjp with a cotangent of "
                 "its structure")
    if structured:  # a JVP per number argument: its tangent has the result's structure
        return jacobian(r.primal, r.indices, r.single, "fwd", r.name, r.example)
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
    if mode == "fwd" and containers and r.example is None:
        # shape-generic code, which every call with such an argument replaces by the code
        # specialized to it (staging._wrt_numbers): an array, or a list (refused there)
        mode = "rev"
    if mode == "fwd" and containers:
        raise DifferentiationError(
            f"forward-mode jacobian with respect to the tuple/list/dict argument "
            f"{containers[0]!r} is not supported yet", hint="use mode='rev'")
    return jacobian(r.primal, r.indices, r.single, mode, r.name, r.example)


def _derive_hessian(r: _Request, kind: str) -> Function:
    """Forward mode over the reverse-mode gradient."""
    containers = _container_params(r.primal, r.indices, r.example)
    if r.arrays and not containers:
        return _array_block(r, kind)
    if containers and r.example is None:  # an array, or a list: see
        if len(r.indices) > 1:  # (as every call is: arrays alone, lists not at all)
            return looped_blocks(r.gradient(), r.indices, r.single, r.name, None, True)
        gradient = r.gradient(single=True)
        jac = basis_jacobian(gradient, r.indices[0], r.name, gradient=True)  # specialized
        return jac if r.single else replace(jac, out_tree=((0,),))
    if containers:
        raise DifferentiationError(
            f"{kind} with respect to the tuple/list/dict argument {containers[0]!r} is not "
            "supported yet", hint="pass the items as separate arguments")
    return jacobian(r.gradient(), r.indices, r.single, "fwd", r.name, r.example)


def _derive_hvp(r: _Request, kind: str) -> Function:
    """Forward mode over the reverse-mode gradient, along the tangents given."""
    tangent = forward_jvp(r.gradient(), r.indices, name=r.name, example=r.example)
    return project(tangent, tangent.out_tree[1])


def _array_block(r: _Request, kind: str) -> Function:
    """The Jacobian (or Hessian) of a function of arrays: blocks of shape ``out + in``
    (JAX's convention), each a batched sweep over unit vectors (``_basis_sweeps``). Where
    that cannot be built (shape-generic code; what vmap cannot batch), for one array
    argument and one result: a loop of JVPs in the generated code."""
    fn = r.gradient() if kind == "hessian" else r.primal
    if r.example is not None:
        try:
            return basis_sweeps(fn, r.indices, r.single, "fwd" if kind == "hessian"
                                 else r.mode, r.name, r.example, r.polish, kind == "hessian")
        except DifferentiationError:
            if len(r.indices) > 1 or len(r.primal.body.results) > 1 or r.mode == "rev":
                return looped_blocks(fn, r.indices, r.single, r.name, r.example,
                                      kind == "hessian")
    elif len(r.indices) > 1 or r.mode == "rev" or len(r.primal.body.results) > 1:
        return looped_blocks(fn, r.indices, r.single, r.name, None, kind == "hessian")
    primal = r.gradient(single=True) if kind == "hessian" else r.primal
    jac = basis_jacobian(primal, r.indices[0], r.name, r.example, gradient=kind == "hessian")
    # f's output structure, its one leaf the block (a tuple of one for a tuple wrt, as
    # for numbers: ((H,),) for a hessian)
    tree = map_leaves(0 if kind == "hessian" else primal.out_tree,
                      lambda _: 0 if r.single else (0,))
    return replace(jac, out_tree=tree if kind == "jacobian" or r.single else (tree,))


# which builder makes each kind of derivative: reverse mode, forward mode, and their
# compositions
_DERIVE: dict[str, Callable[[_Request, str], Function]] = {
    "grad": _derive_reverse, "value_and_grad": _derive_reverse, "vjp": _derive_reverse,
    "elementwise_grad": _derive_reverse,  # (a cotangent of ones)
    "jvp": _derive_jvp, "jacobian": _derive_jacobian, "hessian": _derive_hessian,
    "hvp": _derive_hvp,
    "vmap": _derive_vmap,  # (not a derivative: the same function over a batch)
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
    # NumPy scalars, also where their shapes are not known when building), and what is
    # computed from them (`b - w[:, None]`)
    numpy = {op.out for op in walk(fn.body) if len(op.outs) == 1 and get(op.prim).array_op
             and not get(op.prim).container_result and get(op.prim).kind != "number"}
    # and the array arguments (a loop that carries one: `b = np.sin(b + L)`)
    numpy.update(p for p, a in zip(fn.params, example) if isinstance(a, np.ndarray))
    for op in walk(fn.body):  # (in program order) an item or a slice of one is NumPy's too
        if op.prim in ("getitem", "getitem_mut") and op.args[0] in numpy:
            numpy.add(op.out)
    inexact = prove(fn, floats=[*annotated(fn), *numpy]).inexact
    uses: dict[Value, list[Op]] = {}
    for op in walk(fn.body):
        if get(op.prim).check:  # a check (of `u += v`, of unpacking) reads values as they are
            continue
        for a in op.args:
            if a in candidates:
                uses.setdefault(a, []).append(op)
    converted = {}
    for p, ops in uses.items():
        # (an adjoint in a container's structure reads the container's structure only:
        # full_like(g, xs) in a gradient differentiated again)
        as_array = [op for op in ops if not get(op.prim).structural and not op.regions
                    and not get(op.prim).container_like
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


def _structured_results(r: _Request) -> str:
    """What a result of ``r.primal`` is where it is a tuple, list or dict (a value, not a
    display the out_tree rebuilds) or may be one ("" where every result is a number or an
    array for these arguments). Known only in code specialized to arguments."""
    facts = r.facts
    if facts is None or r.example is None:
        return ""
    made = {out: op for op in walk(r.primal.body) for out in op.outs}
    given = {p for p, x in zip(r.primal.params, r.example)
             if is_structure(x)}

    def structure(v: Value, depth: int = 0) -> bool:
        if v in facts.containers or v in given:
            return True
        op = made.get(v)
        if op is None or depth > 50 or isinstance(facts.avals.get(v), (Number, Array)):
            return False
        if op.prim in _STRUCTURES:
            return True
        k = op.outs.index(v)
        if op.prim == "if":
            return any(structure(region.results[k], depth + 1) for region in op.regions)
        if op.prim in LOOPS:
            return (structure(op.inits[k], depth + 1)
                    or structure(op.body.results[k], depth + 1))
        return False

    return next(("a tuple, list or dict" for v in r.primal.body.results if structure(v)), "")


# what makes a tuple, list or dict (or copies one)
_STRUCTURES = frozenset({"list_new", "tuple", "like", "zeros_like", "copy_of", "keys",
                         "dict_from", "dict_values", "set_from", "set_items"})


def _container_params(fn: Function, indices: tuple[int, ...],
                      example: list[Any] | None = None) -> list[str]:
    """Names of the ``wrt`` parameters that the function indexes (tuples, lists, dicts; an
    array argument of ``example`` is indexed as an array)."""
    indexed = {op.args[0] for op in walk(fn.body) if op.prim in ("getitem", "getattr")}
    return [fn.params[i].hint for i in indices if fn.params[i] in indexed
            and not (example is not None and isinstance(example[i], np.ndarray))
            or example is not None and is_structure(example[i])]


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

