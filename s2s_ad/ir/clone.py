"""Copy ops with fresh values, so a function's IR can be spliced into another."""

from __future__ import annotations

from .core import Op, Region, Value


def clone_ops(ops: list[Op], mapping: dict[Value, Value]) -> list[Op]:
    """Copies of ``ops`` reading ``mapping[v]`` for ``v``; ``mapping`` gains every new value.

    Values not in ``mapping`` (defined outside ``ops``) are read as they are.
    """
    out: list[Op] = []
    for op in ops:
        regions = tuple([clone_region(r, mapping) for r in op.regions]) if op.regions else ()
        outs = tuple([_fresh(v, mapping) for v in op.outs])
        out.append(Op(op.prim, tuple([mapping.get(a, a) for a in op.args]), outs, op.attrs,
                      regions, op.loc))
    return out


def clone_region(region: Region, mapping: dict[Value, Value]) -> Region:
    params = [_fresh(p, mapping) for p in region.params]
    ops = clone_ops(region.ops, mapping)
    return Region(params, ops, [mapping.get(v, v) for v in region.results])


def _fresh(v: Value, mapping: dict[Value, Value]) -> Value:
    new = Value(v.hint, v.user)
    mapping[v] = new
    return new
