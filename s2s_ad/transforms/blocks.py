"""Jacobian blocks from sweeps: the builders ``compose``'s kinds call.

A block ``d out_k / d x_j`` of shape ``out_k.shape + x_j.shape`` is one sweep batched
over the unit vectors of ``x_j`` (forward mode: the block's columns) or of ``out_k``
(reverse mode: its rows), ``basis_sweeps``; over fewer directions where the block is
sparse (``sparsity.py``). Where a sweep cannot be batched (shapes known only when the
code runs), each block is a loop of JVPs along the unit vectors (``looped_blocks``,
``basis_jacobian``). For numbers, ``jacobian`` stacks a sweep per input or output.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..analysis.kinds import infer
from ..codegen.load import load
from ..errors import DifferentiationError
from ..ir.avals import Unknown, shape_of
from ..ir.builder import Emitter
from ..ir.clone import clone_ops
from ..ir.core import Function, Op, Region, Value, tree_leaves
from ..optimize.dce import dce
from ..primitives import get
from .batch import batch
from .forward import jvp as forward_jvp
from .reverse import vjp as reverse_vjp
from .sparsity import coloring, decompressed
from .trees import map_leaves, project, stack


def looped_blocks(fn: Function, indices: tuple[int, ...], single: bool, name: str,
                   example: list[Any] | None, gradient: bool = False) -> Function:
    """Every block ``d out_k / d x_j`` of ``fn`` as a loop of JVPs along the unit vectors of
    ``x_j`` (``_basis_jacobian``), where they cannot be one batched sweep: shape-generic
    code (shapes read when it runs), or what vmap cannot batch. ``gradient``: ``fn`` is the
    gradient with respect to ``indices`` (its result k shaped like argument k)."""
    params = [Value(p.hint) for p in fn.params]
    e = Emitter(Region(list(params)))
    leaves = []
    for k in range(len(fn.body.results)):
        part = project(fn, k)
        for j, i in enumerate(indices):
            block = basis_jacobian(part, i, name, example, gradient=gradient and j == k)
            leaves.extend(inline(e, block, params))
    n = len(indices)
    tree = map_leaves(fn.out_tree, lambda k: k * n if single
                      else tuple(range(k * n, k * n + n)))
    return Function(name, params, fn.kinds, Region(list(params), e.region.ops, leaves), tree,
                    fn.defaults, fn.kwdefaults, fn.file, fn.globals_ns, fn.numbers)


def basis_sweeps(fn: Function, indices: tuple[int, ...], single: bool, mode: str, name: str,
                  example: list[Any], polish: Callable[[Function], Function],
                  gradient: bool = False) -> Function:
    """Every block ``d out_i / d x_j`` of ``fn``, of shape ``out_i.shape + x_j.shape``: per
    input, one JVP batched over its unit vectors (forward mode: the block's columns), or per
    output, one VJP batched over its unit vectors (reverse mode: the rows). "auto" picks
    the mode with fewer unit vectors in all. ``gradient``: ``fn`` is a gradient, each result
    shaped like its argument."""
    avals = infer(fn, example)
    ins: list[tuple[int, ...]] = [tuple(np.shape(example[i])) for i in indices]
    known = (list(ins) if gradient and len(fn.body.results) == len(ins) else
             [shape_of(avals.get(v, v.aval)) for v in fn.body.results])
    if mode == "auto":
        mode = ("fwd" if None in known or sum(math.prod(s) for s in ins)
                <= sum(math.prod(s) for s in known if s is not None) else "rev")
    if mode == "rev" and None in known:
        raise DifferentiationError(
            f"a reverse-mode jacobian of {fn.name!r}: the shape of a result is not known "
            "when the code is built (it comes from a branch or a list built in a loop)",
            hint="use mode='fwd', or s2s_ad.vjp along chosen directions")
    params = [Value(p.hint) for p in fn.params]
    e = Emitter(Region(list(params)))
    blocks: list[list[Value]] = [[] for _ in known]  # blocks[i][j]: d out i / d x j
    if mode == "fwd":
        for j, i in enumerate(indices):
            if not ins[j]:  # a number: one JVP, seeded with 1.0
                sweep = forward_jvp(fn, (i,), seeds=[1.0], name=name, example=example)
                for k, column in enumerate(inline(e, project(sweep, sweep.out_tree[1]),
                                                   params)):
                    blocks[k].append(column)
                continue
            sweep = forward_jvp(fn, (i,), name=name, example=example)
            sweep = polish(project(sweep, sweep.out_tree[1]))
            dtype = np.result_type(getattr(example[i], "dtype", float), 0.0)
            columns = _on_basis(e, sweep, params, ins[j], dtype, example,
                                "d" + fn.params[i].hint)
            for k, column in enumerate(columns):  # (n, *out): the basis first
                blocks[k].append(_columns_last(e, column, known[k], ins[j]))
    else:
        outs = [shape for shape in known if shape is not None]
        for k in range(len(outs)):
            if not outs[k]:  # a number: one VJP, seeded with 1.0 (the gradient)
                blocks[k] = inline(e, reverse_vjp(dce(project(fn, k)), indices, seed=1.0,
                                                   single=False, example=example), params)
                continue
            sweep = polish(reverse_vjp(dce(project(fn, k)), indices, single=False,
                                       example=example))
            dtype = np.result_type(getattr(avals.get(fn.body.results[k]), "dtype", None)
                                   or float, 0.0)
            rows = _on_basis(e, sweep, params, outs[k], dtype, example, "g")
            blocks[k] = [_reshaped(e, row, (math.prod(outs[k]), *ins[j]), outs[k] + ins[j])
                         for j, row in enumerate(rows)]
    leaves = [block for row in blocks for block in row]
    for leaf in leaves:
        if not leaf.hint or gradient and leaf.hint == "jac":  # (a Hessian's block: hess)
            leaf.hint = "hess" if gradient else "jac"
    n = len(indices)
    tree = map_leaves(fn.out_tree, lambda k: k * n if single
                      else tuple(range(k * n, k * n + n)))
    return Function(name, params, fn.kinds, Region(list(params), e.region.ops, leaves), tree,
                    fn.defaults, fn.kwdefaults, fn.file, fn.globals_ns, fn.numbers)


def _on_basis(e: Emitter, sweep: Function, params: list[Value], shape: tuple[int, ...],
              dtype: np.dtype, example: list[Any], hint: str) -> list[Value]:
    """``sweep``'s results along each unit vector of ``shape`` (its last parameter; of
    ``dtype``), batched (transforms/batch.py), inline in ``e``: each with the unit vectors
    on its first axis."""
    size = math.prod(shape)
    direction = np.zeros(shape, dtype) if shape else dtype.type(0.0)
    axes = (None,) * len(params) + (0,)

    def batched_over(k: int) -> Function:
        return batch(sweep, axes, 0, [*example, direction], sweep.name, k)

    # unit vectors that never meet in a result share a direction (transforms/sparsity.py)
    colors = (coloring(batched_over, example, shape, dtype,
                       lambda fn: load(fn, sweep.name)[0])
              if shape and not any(isinstance(a, Unknown) for a in example) else None)
    batched = batched_over(size if colors is None else colors.count)
    if colors is not None:
        basis = e.const(colors.seeds(dtype).reshape((colors.count, *shape)), hint=hint)
    else:
        attrs: dict[str, Any] = {} if dtype == np.float64 else {"dtype": dtype.type}
        basis = e.emit("np.eye", e.const(size), hint="basis", **attrs)[0]
        if shape != (size,):
            basis = e.emit("np.reshape", basis, e.const((size, *shape)), hint="basis")[0]
    basis.hint = hint
    mapping = dict(zip(batched.params, [*params, basis]))
    e.region.ops.extend(clone_ops(batched.body.ops, mapping))
    for old, new in mapping.items():  # (the same values: what is known of them holds)
        if isinstance(new.aval, Unknown):
            new.aval = old.aval
    results = [mapping.get(v, v) for v in batched.body.results]
    if colors is None:
        return results
    return [decompressed(e, r, colors, k) for k, r in enumerate(results)]


def _columns_last(e: Emitter, column: Value, out: tuple[int, ...] | None,
                  shape: tuple[int, ...]) -> Value:
    """The columns of a block (``(n, *out)``: the unit vectors first) as the block, of shape
    ``out + shape``; ``out`` read when the code runs where it is not known when building."""
    if out is not None:
        moved = (column if not out else e.emit("T", column)[0] if len(out) == 1
                 else e.emit("np.moveaxis", column, source=0, destination=-1)[0])
        return _reshaped(e, moved, out + (math.prod(shape),), out + shape)
    moved = e.emit("np.moveaxis", column, source=0, destination=-1)[0]
    leading = e.getitem(e.emit("np.shape", moved)[0], e.const(slice(None, -1)))
    return e.emit("np.reshape", moved, e.add(leading, e.const(shape)), hint="jac")[0]


def inline(e: Emitter, fn: Function, params: list[Value]) -> list[Value]:
    """``fn``'s ops inline in ``e``, on ``params``; its results."""
    mapping = dict(zip(fn.params, params))
    e.region.ops.extend(clone_ops(fn.body.ops, mapping))
    return [mapping.get(v, v) for v in fn.body.results]


def _reshaped(e: Emitter, x: Value, have: tuple[int, ...], shape: tuple[int, ...]) -> Value:
    """``x`` (of shape ``have``) as ``shape``: a number for ``()``."""
    if have == shape:
        return x
    if not shape:
        return e.emit("getitem", x, e.const((0,) * len(have) if len(have) > 1 else 0),
                      hint="jac")[0]
    return e.emit("np.reshape", x, e.const(shape), hint="jac")[0]


def basis_jacobian(fn: Function, i: int, name: str, example: list[Any] | None = None,
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
        # a gradient is shaped like x; another result's shape is read when the code runs
        jac_shape = e.add(x_shape, x_shape) if gradient else None
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
    runtime_shape = jac_shape is None
    if jac_shape is None:  # out.shape known only now: stacked out.shape + (x.size,)
        out = e.getitem(e.emit("np.shape", jac)[0], e.emit("slice", None, -1, None)[0])
        jac_shape = e.add(out, x_shape)
    if example is None or len(shape) != 1:
        jac = e.emit("np.reshape", jac, jac_shape, hint="jac")[0]
        if runtime_shape:  # (a number where the block is one: [()] of a 0-d array)
            jac = e.emit("getitem", jac, e.const(()), hint="jac")[0]
    return Function(name, params, fn.kinds, Region(list(params), e.region.ops, [jac]), 0,
                    fn.defaults, fn.kwdefaults, fn.file, fn.globals_ns, fn.numbers)


def jacobian(fn: Function, indices: tuple[int, ...], single: bool, mode: str,
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
