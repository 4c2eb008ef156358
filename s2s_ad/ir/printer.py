"""Print IR like a jaxpr: one op per line, user names, literals inline.

    fn f(x1, x2):
      a = log x1
      b = mul x1 x2
      y = add a b
      return y

In code specialized to its arguments (whose parameters know their dtypes), each value
shows its abstract value after its name, as a jaxpr does: ``h:f64[4] = tanh _t2``; ``num``
is a number and ``array[4]`` an array whose dtype is not known.
"""

from __future__ import annotations

from typing import Any

from .avals import Array, Number
from .core import Function, Op, RecordTree, Region, Value, const_value
from .names import Namer

_LITERALS = (bool, int, float, complex, str, type(None))


class _Printer:
    def __init__(self, fn: Function) -> None:
        self.namer = Namer()
        self.names: dict[Value, str] = {}
        self.literals: dict[Value, str] = {}
        for p in fn.params:
            self.names[p] = self.namer.reserve(p.hint)
        self.lines: list[str] = []
        self.avals = any(getattr(p.aval, "dtype", None) is not None for p in fn.params)

    def name(self, v: Value) -> str:
        if v in self.literals:
            return self.literals[v]
        if v not in self.names:
            self.names[v] = self.namer.fresh(v.hint)
        return self.names[v]

    def region(self, region: Region, depth: int) -> None:
        # Loops over ops; recursion only over region nesting, which Python's own
        # indentation limit (100 levels) bounds.
        pad = "  " * depth
        for op in region.ops:
            if op.prim == "const" and isinstance(const_value(op), _LITERALS):
                self.literals[op.out] = repr(const_value(op))
                continue
            self.lines.append(pad + self.op_line(op))
            for i, inner in enumerate(op.regions):
                params = ", ".join(self.typed(p) for p in inner.params)
                self.lines.append(f"{pad}  region{i}({params}):")
                self.region(inner, depth + 2)
                self.lines.append(f"{pad}    yield {self.names_of(inner.results)}")

    def typed(self, v: Value) -> str:
        """``v``'s name, with its aval where one is known (in specialized code)."""
        if self.avals and isinstance(v.aval, (Number, Array)):
            return f"{self.name(v)}:{v.aval!r}"
        return self.name(v)

    def names_of(self, values: list[Value]) -> str:
        return ", ".join(self.name(v) for v in values)

    def op_line(self, op: Op) -> str:
        outs = ", ".join(self.typed(v) for v in op.outs)
        if op.prim == "const":
            return f"{outs} = const[{_short(const_value(op))}]"
        shown = [(k, v) for k, v in op.attrs if v is not False]  # flags only when set
        attrs = "[" + " ".join(f"{k}={_short(v)}" for k, v in shown) + "]" if shown else ""
        args = " ".join(self.name(a) for a in op.args)
        rhs = f"{op.prim}{attrs} {args}".rstrip()
        return f"{outs} = {rhs}" if op.outs else rhs


def _short(value: Any) -> str:
    if isinstance(value, _LITERALS):
        return repr(value)
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if name:
        return name
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 30 else text[:27] + "..."


def _format_tree(tree: Any, leaves: list[str]) -> str:
    if isinstance(tree, int):
        return leaves[tree]
    if isinstance(tree, RecordTree):
        return f"{tree.cls.__name__}(" + ", ".join(
            f"{k}={_format_tree(v, leaves)}" for k, v in tree.items()) + ")"
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_format_tree(v, leaves)}" for k, v in tree.items()) + "}"
    inner = ", ".join(_format_tree(t, leaves) for t in tree)
    if isinstance(tree, list):
        return f"[{inner}]"
    return f"({inner},)" if len(tree) == 1 else f"({inner})"


def format_function(fn: Function) -> str:
    """The IR of ``fn`` as text (also ``repr(fn)``)."""
    p = _Printer(fn)
    header = f"fn {fn.name}({', '.join(p.typed(v) for v in fn.params)}):"
    p.region(fn.body, 1)
    leaves = [p.name(v) for v in fn.body.results]
    ret = _format_tree(fn.out_tree, leaves)
    if ret.startswith("(") and ret.endswith(")") and not isinstance(fn.out_tree, int):
        ret = ret[1:-1].rstrip(",")
    return "\n".join([header, *p.lines, f"  return {ret}"])
