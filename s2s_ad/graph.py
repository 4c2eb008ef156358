"""The computational graph of an IR function, in Graphviz DOT, as the lecture notes draw it.

Inputs are green ellipses, operations boxes, returned values have a double border. Given
the ``primal`` function as well, :func:`to_dot` draws the *extended graph* of seed 000
("reverse mode AD by extending the graph"): every operation that the primal function also
computes is a forward node (blue), every other one an adjoint node (red). Operations are
matched by value numbering -- same primitive, same attributes, same operands -- so the
colouring needs no bookkeeping from the transform and works on optimized code too.

>>> from s2s_ad.frontend.lower import lift
>>> from s2s_ad.demo import f
>>> print(to_dot(lift(f)).splitlines()[0])
digraph f {
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from .ir.core import Function, Op, Region, Value, const_value
from .ir.names import Namer
from .primitives import get

FORMATS = ("dot", "svg", "png", "pdf")
_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "truediv": "÷",
            "pow": "**", "matmul": "@", "floordiv": "//", "mod": "%"}
_LITERALS = (bool, int, float, complex, str, bytes, type(None))
# (fill, border) per kind of node
_COLOURS = {"input": ("#d5e8d4", "#82b366"), "forward": ("#dae8fc", "#6c8ebf"),
            "adjoint": ("#f8cecc", "#b85450")}
_ADJOINT_EDGE = "#b85450"


class RenderError(Exception):
    """Graphviz is missing or failed (the message says how to install it)."""


def to_dot(fn: Function, primal: Function | None = None, *, title: str = "") -> str:
    """``fn`` as a DOT digraph; with ``primal``, ops that ``primal`` lacks are adjoint nodes."""
    table: dict[Any, int] = {}
    forward: set[int] = set()
    if primal is not None:  # the numbers of everything the primal computes
        forward = set(_number(primal, table).values())
    numbers = _number(fn, table)
    arity = None if primal is None else len(primal.params)
    return _Drawing(fn, numbers, forward, arity).dot(title)


def render(dot: str, path: str) -> None:
    """Write ``dot`` to ``path``: as text for ``.dot``, else rendered by Graphviz's ``dot``."""
    fmt = output_format(path)
    if fmt == "dot":
        with open(path, "w", encoding="utf-8") as out:
            out.write(dot)
        return
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError(
            f"rendering {path} needs Graphviz's `dot`, which is not installed: install "
            "Graphviz (apt-get install graphviz, brew install graphviz, conda install "
            "graphviz or https://graphviz.org/download/) or write DOT with -o graph.dot")
    done = subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot.encode(),
                          capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().replace("\n", "; ")
        raise RenderError(f"Graphviz's dot failed to render {path}: {message}")


def output_format(path: str) -> str:
    """The format a file name asks for: ``graph.svg`` -> ``"svg"``."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"cannot write a graph as {path!r}: use a file name ending in "
                         + ", ".join("." + f for f in FORMATS))
    return fmt


# --- value numbering: which ops of a derivative the primal computes too ------------------
def _number(fn: Function, table: dict[Any, int]) -> dict[Value | Op, int]:
    """A number per value and op: equal numbers mean the same computation (across functions).

    An op with regions is numbered after them (post-order), so its key includes what its
    regions yield: the backward sweep's ``if`` is not the forward one.
    """
    numbers: dict[Value | Op, int] = {}

    def intern(key: Any) -> int:
        return table.setdefault(key, len(table))

    for i, p in enumerate(fn.params):
        numbers[p] = intern(("param", i))
    stack: list[tuple[bool, Op]] = [(False, op) for op in reversed(fn.body.ops)]
    while stack:
        done, op = stack.pop()
        args = tuple(numbers.get(a, -1) for a in op.args)
        if get(op.prim).commutative:
            args = tuple(sorted(args))
        head = intern((op.prim, tuple((k, _attr_key(v)) for k, v in op.attrs), args))
        if op.regions and not done:
            for r, region in enumerate(op.regions):
                for k, p in enumerate(region.params):
                    numbers[p] = intern(("region", head, r, k))
            stack.append((True, op))
            for region in reversed(op.regions):
                stack.extend((False, inner) for inner in reversed(region.ops))
            continue
        yielded = tuple(tuple(numbers.get(v, -1) for v in region.results)
                        for region in op.regions)
        numbers[op] = key = intern((head, yielded))
        for j, v in enumerate(op.outs):
            numbers[v] = intern(("out", key, j))
    return numbers


def _attr_key(value: Any) -> Any:
    return ("lit", type(value).__name__, repr(value)) if isinstance(value, _LITERALS) \
        else ("obj", id(value))


# --- drawing ------------------------------------------------------------------------------
class _Drawing:
    def __init__(self, fn: Function, numbers: dict[Value | Op, int], forward: set[int],
                 primal_arity: int | None) -> None:
        self.fn = fn
        self.numbers = numbers
        self.forward = forward
        self.extended = primal_arity is not None
        self.primal_arity = len(fn.params) if primal_arity is None else primal_arity
        self.returned = set(fn.body.results)
        self.namer = Namer()
        self.node_of: dict[Value, str] = {}  # value -> the node that produces it
        self.literals: dict[Value, str] = {}
        self.edges: list[str] = []
        self.count = 0

    def dot(self, title: str) -> str:
        fn = self.fn
        lines = [f"digraph {_quote_id(fn.name)} {{",
                 '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=b];',
                 '  node [fontname="Helvetica", fontsize=12, style=filled];',
                 '  edge [color="#555555", arrowsize=0.7, fontname="Helvetica"];']
        if title:
            lines.append(f"  label={_quote(title)};")
        for i, p in enumerate(fn.params):
            kind = "adjoint" if i >= self.primal_arity else "input"
            self.node_of[p] = node = self.node()
            lines.append(f"  {node} [label={_quote(self.namer.reserve(p.hint))}, "
                         f"shape=ellipse, {_colour(kind)}];")
        lines.extend(self.region_lines(fn.body))
        for k, v in enumerate(fn.body.results):
            if v in fn.params or v in self.literals:  # no op node to mark: add one
                lines.append(f'  ret{k} [label="return", shape=plaintext, style=""];')
                self.edge(v, f"ret{k}", "forward")
        lines.extend(self.edges)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def node(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def region_lines(self, body: Region) -> list[str]:
        """Node lines of ``body`` and, as clusters, of its nested regions (no recursion)."""
        lines: list[str] = []
        stack: list[tuple[Region | str, int]] = [(body, 1)]
        yields: list[tuple[Region, str, str]] = []
        while stack:
            item, depth = stack.pop()
            pad = "  " * depth
            if isinstance(item, str):
                lines.append(pad + item)
                continue
            nested: list[tuple[Region | str, int]] = []
            for op in item.ops:
                if op.prim == "const" and isinstance(const_value(op), _LITERALS):
                    self.literals[op.out] = _short(const_value(op))
                    continue
                node, kind, line = self.op_line(op)
                lines.append(pad + line)
                for r, region in enumerate(op.regions):
                    self.count += 1
                    nested.append((f"subgraph cluster_{self.count} {{", depth))
                    nested.append((f"  label={_quote(f'{op.prim}: region {r}')}; "
                                   'style=dashed; color="#999999"; labelloc=t;', depth))
                    for p in region.params:
                        self.node_of[p] = inner = self.node()
                        name = _quote(self.namer.fresh(p.hint))
                        nested.append((f"  {inner} [label={name}, shape=ellipse, "
                                       f'{_colour(kind)}, style="filled,dashed"];', depth))
                        self.edges.append(f"  {node} -> {inner} [style=dashed];")
                    nested.append((region, depth + 1))
                    nested.append(("}", depth))
                    yields.append((region, node, kind))
            stack.extend(reversed(nested))
        for region, node, kind in yields:
            for v in region.results:
                self.edge(v, node, kind, 'style=dashed, label="yield", fontsize=10')
        return lines

    def op_line(self, op: Op) -> tuple[str, str, str]:
        """The op's node, its kind and its DOT line; queues the edges from its operands."""
        kind = "forward" if not self.extended or self.numbers[op] in self.forward else "adjoint"
        node = self.node()
        names = []
        for v in op.outs:
            self.node_of[v] = node
            names.append(self.namer.fresh(v.hint))
        if op.prim == "const":
            label, shape = f"{names[0]} = {_short(const_value(op))}", "note"
        else:
            symbol = _SYMBOLS.get(op.prim, op.prim)
            label = f"{', '.join(names)} = {symbol}" if names else symbol
            shape = "box3d" if op.regions else "box"
        for a in op.args:
            self.edge(a, node, kind)
        ring = ", peripheries=2" if self.returned.intersection(op.outs) else ""
        return node, kind, f"{node} [label={_quote(label)}, shape={shape}, {_colour(kind)}{ring}];"

    def edge(self, v: Value, target: str, kind: str, extra: str = "") -> None:
        colour = f'color="{_ADJOINT_EDGE}"' if kind == "adjoint" else ""
        attrs = ", ".join(a for a in (colour, extra) if a)
        attrs = f" [{attrs}]" if attrs else ""
        if v in self.literals:  # a small node per use keeps constants next to their use
            source = self.node()
            self.edges.append(f"  {source} [label={_quote(self.literals[v])}, shape=plaintext, "
                              'style="", fontsize=10];')
        else:
            assert v in self.node_of, f"{v} is used before it is defined\n{self.fn}"
            source = self.node_of[v]
        self.edges.append(f"  {source} -> {target}{attrs};")


def _short(value: Any) -> str:
    """A label for a constant: a literal as written, another object by its name."""
    if isinstance(value, _LITERALS):
        return repr(value)
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    text = name if isinstance(name, str) else repr(value).replace("\n", " ")
    return text if len(text) <= 30 else text[:27] + "..."


def _colour(kind: str) -> str:
    fill, border = _COLOURS[kind]
    return f'fillcolor="{fill}", color="{border}"'


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _quote_id(name: str) -> str:
    return name if name.isidentifier() else _quote(name)
