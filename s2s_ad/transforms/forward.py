"""Forward mode: every active value gets a tangent computed right beside it.

This is seed 001's dual-number construction done on the program text: ``y = x1 * x2``
gains ``dy = dx1 * x2 + x1 * dx2``. The result is an ordinary ``Function`` returning
``(value, tangent)``, which the optimizer simplifies and the transforms accept again.
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
from .trees import shift_tree


def jvp(fn: Function, wrt: Sequence[int], *, seeds: Sequence[Any] | None = None,
        name: str | None = None) -> Function:
    """The Jacobian-vector product of ``fn`` along tangents of the parameters ``wrt``.

    With ``seeds=None`` the result takes one tangent parameter per ``wrt`` entry (after the
    original parameters; keyword-only when ``fn`` has defaults), else the tangents are those
    constants. It returns ``(value, tangent)``, the tangent shaped like the value.
    """
    mapping = {p: Value(p.hint) for p in fn.params}
    params = [mapping[p] for p in fn.params]
    e = Emitter(Region(list(params)))
    namer = Namer(reserved={p.hint for p in params})
    tangent: dict[Value, Value] = {}
    new_params: list[Value] = []
    for k, i in enumerate(wrt):
        p = params[i]
        if seeds is None:
            t = Value(namer.fresh("d" + p.hint))
            new_params.append(t)
        else:
            if seeds[k] is None:
                continue
            t = e.const(seeds[k])
        tangent[p] = e.emit("add", tangent[p], t)[0] if p in tangent else t

    for op in clone_ops(fn.body.ops, mapping):
        e.region.ops.append(op)
        if not any(a in tangent for a in op.args):
            continue
        prim = get(op.prim)
        if not prim.differentiable:
            continue
        if op.regions:
            raise UnsupportedSyntaxError(f"forward mode of {op.prim!r} regions is not "
                                         "supported yet", loc=op.loc)
        if prim.jvp is None:
            raise NoDerivativeRuleError(f"no JVP rule for the primitive {op.prim!r}",
                                        loc=op.loc, hint="register one with s2s_ad.defjvp",
                                        stage="while differentiating (forward mode)")
        attrs = dict(op.attrs)
        total: Value | None = None
        with e.at(op.loc):
            for x, rule in zip(op.args, prim.jvp):
                if rule is None or x not in tangent:
                    continue
                part = rule(e, tangent[x], *op.args, **attrs)
                total = part if total is None else e.add(total, part)
        if total is not None:
            if not total.hint and op.out.hint:
                total.hint = "d" + op.out.hint
            tangent[op.out] = total

    values = [mapping.get(v, v) for v in fn.body.results]
    tangents = [tangent[v] if v in tangent else e.const(0.0) for v in values]
    tree = (fn.out_tree, shift_tree(fn.out_tree, len(values)))
    kinds = list(fn.kinds)
    params.extend(new_params)
    trailing = (inspect.Parameter.KEYWORD_ONLY if fn.defaults or inspect.Parameter.KEYWORD_ONLY
                in kinds else inspect.Parameter.POSITIONAL_OR_KEYWORD)
    kinds.extend([trailing] * len(new_params))
    body = Region(list(params), e.region.ops, values + tangents)
    return Function(name or fn.name, params, kinds, body, tree, fn.defaults, fn.kwdefaults,
                    fn.file, fn.globals_ns)
