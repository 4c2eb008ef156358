"""Reverse mode: a forward sweep, then a backward sweep that builds adjoints as IR.

Adjoints are created on first write and added to after that -- never zero-initialised.
Rules come from the registry and build IR through the emitter, so the result is an
ordinary ``Function``: the optimizer simplifies it and the transforms accept it again.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ..errors import NoDerivativeRuleError, UnsupportedSyntaxError
from ..ir.builder import Emitter
from ..ir.clone import clone_ops
from ..ir.core import Function, Region, Value
from ..ir.names import Namer
from ..primitives import get
from .activity import active_values


def vjp(fn: Function, wrt: Sequence[int], *, seed: Any = None, keep_value: bool = False,
        single: bool = True, name: str | None = None) -> Function:
    """The vector-Jacobian product of ``fn`` with respect to parameters ``wrt``.

    With ``seed=None`` the result takes one cotangent parameter per returned leaf (after
    the original parameters); otherwise every cotangent is the constant ``seed`` (``1.0``
    makes a gradient), or, for a list, leaf ``i``'s cotangent is ``seed[i]`` (``None``:
    zero). It returns the gradients (one, or a tuple when ``single`` is false),
    preceded by the original value when ``keep_value``.
    """
    mapping = {p: Value(p.hint) for p in fn.params}
    params = [mapping[p] for p in fn.params]
    e = Emitter(Region(list(params), clone_ops(fn.body.ops, mapping)))
    forward = list(e.region.ops)
    results = [mapping.get(v, v) for v in fn.body.results]
    wrt_params = [params[i] for i in wrt]
    clone = Function(fn.name, params, fn.kinds, Region(params, forward, results), fn.out_tree)
    active = active_values(clone, wrt_params)

    cotangents: list[Value] = []
    adjoint: dict[Value, Value] = {}

    def accumulate(x: Value, contribution: Value) -> None:
        hint = "d" + x.hint if x.hint else ""
        if x in adjoint:
            # new contributions come from earlier ops: first, so sums read in program order
            adjoint[x] = e.emit("add", contribution, adjoint[x], hint=hint)[0]
        else:
            if not contribution.hint:
                contribution.hint = hint
            adjoint[x] = contribution

    # Cotangent parameters are named after the results (``dy``), unique among parameters.
    namer = Namer(reserved={p.hint for p in params})
    per_leaf = list(seed) if isinstance(seed, (list, tuple)) else [seed] * len(results)
    for leaf, leaf_seed in zip(results, per_leaf):
        if seed is None:
            ct = Value(namer.fresh("d" + (leaf.hint or "out")))
            cotangents.append(ct)
        elif leaf_seed is None:
            continue  # a zero cotangent: this result contributes nothing
        else:
            ct = e.const(leaf_seed)
        if leaf in active:
            accumulate(leaf, ct)

    for op in reversed(forward):
        if not any(o in adjoint for o in op.outs):
            continue
        if op.regions:
            raise UnsupportedSyntaxError(f"reverse mode of {op.prim!r} regions is not "
                                         "supported yet", loc=op.loc)
        prim = get(op.prim)
        if prim.vjp is None:
            raise NoDerivativeRuleError(f"no VJP rule for the primitive {op.prim!r}",
                                        loc=op.loc, hint="register one with s2s_ad.defvjp",
                                        stage="while differentiating (reverse mode)")
        g = adjoint[op.out]
        attrs = dict(op.attrs)
        with e.at(op.loc):
            for x, rule in zip(op.args, prim.vjp):
                if rule is not None and x in active:
                    accumulate(x, rule(e, g, *op.args, **attrs))

    grads = [adjoint[p] if p in adjoint else e.const(0.0, "d" + p.hint) for p in wrt_params]
    leaves: list[Value] = []
    tree: Any
    if keep_value:
        leaves.extend(results)
        value_tree = fn.out_tree
    grad_tree: Any = len(leaves) if single else tuple(range(len(leaves),
                                                           len(leaves) + len(grads)))
    leaves.extend(grads)
    tree = (value_tree, grad_tree) if keep_value else grad_tree

    kinds = list(fn.kinds)
    if seed is None:
        params.extend(cotangents)
        # Cotangents follow the parameters; keyword-only when f has defaults.
        trailing = (inspect.Parameter.KEYWORD_ONLY if fn.defaults or inspect.Parameter.KEYWORD_ONLY
                    in kinds else inspect.Parameter.POSITIONAL_OR_KEYWORD)
        kinds.extend([trailing] * len(cotangents))
    body = Region(list(params), e.region.ops, leaves)
    return Function(name or fn.name, params, kinds, body, tree, fn.defaults, fn.kwdefaults,
                    fn.file, fn.globals_ns)
