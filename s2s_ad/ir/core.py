"""The SSA IR: values defined once, ops over them, structured regions for control flow.

A ``Function`` owns a ``Region`` (its body); a region is a list of ops plus the values it
yields. Ops that carry regions (``if``, loops) nest further regions, so the IR keeps the
user's program shape and codegen can write it back as ``if``/``for``/``while``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import Loc
from .avals import UNKNOWN, Aval

Attrs = tuple[tuple[str, Any], ...]


@dataclass(slots=True, eq=False)
class Value:
    """An SSA value. Compared by identity; ``hint`` is the user's name for it, if any;
    ``aval`` what is known about it when the derivative is built (ir/avals.py)."""

    hint: str = ""
    user: bool = False  # the hint is a variable name from the user's source
    aval: Aval = UNKNOWN

    def __repr__(self) -> str:
        return f"<Value {self.hint or '_'} at {id(self):#x}>"


@dataclass(slots=True, eq=False)
class Region:
    """A block of ops. ``params`` are bound on entry, ``results`` are yielded on exit."""

    params: list[Value] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    results: list[Value] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Op:
    """One primitive application: ``outs = prim[attrs](*args)``, with nested regions."""

    prim: str
    args: tuple[Value, ...]
    outs: tuple[Value, ...]
    attrs: Attrs = ()
    regions: tuple[Region, ...] = ()
    loc: Loc | None = None

    @property
    def out(self) -> Value:
        assert len(self.outs) == 1, f"{self.prim} has {len(self.outs)} results"
        return self.outs[0]

    def attr(self, name: str, default: Any = None) -> Any:
        for key, value in self.attrs:
            if key == name:
                return value
        return default

    # named parts of the structured ops (primitives/control.py; ir/verify.py checks them):
    # ``if``: (cond,) and two regions; ``for_range``: (start, stop, step, *inits) and a
    # body with params (i, *carried); ``while``: inits, a condition region and a body, each
    # with the carried values as params. ``n = len(outs)`` values are carried.
    @property
    def body(self) -> Region:
        """A loop's body: its last region."""
        return self.regions[-1]

    @property
    def inits(self) -> tuple[Value, ...]:
        """A loop's initial carried values: its last ``len(outs)`` operands."""
        return self.args[len(self.args) - len(self.outs):]

    @property
    def bounds(self) -> tuple[Value, ...]:
        """A ``for_range``'s ``(start, stop, step)``; empty for a ``while``."""
        return self.args[:len(self.args) - len(self.outs)]

    @property
    def index(self) -> Value:
        """A ``for_range``'s loop index: its body's first parameter."""
        assert self.prim == "for_range", self.prim
        return self.regions[-1].params[0]

    @property
    def nexts(self) -> list[Value]:
        """A loop body's next carried values (its results before a ``broke`` flag)."""
        return self.regions[-1].results[:len(self.outs)]

    def carried(self, region: Region | None = None) -> list[Value]:
        """The carried values as ``region`` (default: the body) sees them: its last
        ``len(outs)`` parameters."""
        params = (region or self.regions[-1]).params
        return params[len(params) - len(self.outs):]


@dataclass(frozen=True)
class Update:
    """``name op= ...`` at ``loc``: ``old`` was the value before, ``new`` the one after."""

    old: Value
    new: Value
    name: str
    op: str
    loc: Loc | None
    others: tuple[str, ...] = ()  # other names bound to the old value there


@dataclass(slots=True, eq=False)
class Function:
    """A function in IR.

    ``params`` are the Python parameters in order (``kinds`` says positional or
    keyword-only); ``body.results`` are the returned leaves and ``out_tree`` nests them
    back into the Python structure that is returned: an ``int`` is a leaf index, and
    tuples, lists and dicts of trees are themselves (a :class:`RecordTree`, a dict of its
    fields' trees, is a dataclass or a named tuple built in the function).
    """

    name: str
    params: list[Value]
    kinds: list[inspect._ParameterKind]
    body: Region
    out_tree: Any
    defaults: tuple[Any, ...] | None = None
    kwdefaults: dict[str, Any] | None = None
    file: str = "<s2s_ad>"
    globals_ns: dict[str, Any] | None = None  # the user's globals, for codegen's names
    numbers: frozenset[str] = frozenset()  # parameters annotated as numbers (`x: float`)
    updates: tuple[Update, ...] = ()  # `u += v` as lifted (analysis/aliasing.py)
    # parameters the function it derives from cannot run with at 0 (it takes their log, or
    # divides by them): a derivative's division by one cannot raise (codegen/located.py)
    nonzero: frozenset[str] = frozenset()
    # what the results are called apart from their values' names, which optimization may
    # change from one specialization to the next (a gradient's "dx"): a cotangent of
    # result k is "d" + result_names[k], the same in every build (reverse.vjp)
    result_names: tuple[str, ...] = ()
    # values codegen keeps in variables of their own: read from an array before it is
    # written in place (codegen/writes.py), they must not be written in after the write
    pinned: frozenset[Value] = frozenset()

    @property
    def param_names(self) -> list[str]:
        return [p.hint for p in self.params]

    def __repr__(self) -> str:
        from .printer import format_function

        return format_function(self)


# the structured ops that loop (primitives/control.py); their last region is the body
LOOPS = ("for_range", "while")


def const_value(op: Op) -> Any:
    """The Python value of a ``const`` op."""
    return op.attrs[0][1]


def walk(region: Region) -> Iterator[Op]:
    """Every op in ``region`` and its nested regions, in program order (no recursion)."""
    stack: list[Iterator[Op]] = [iter(region.ops)]
    while stack:
        for op in stack[-1]:
            yield op
            if op.regions:  # its regions first; then this iterator resumes after op
                stack.extend(iter(inner.ops) for inner in reversed(op.regions))
                break
        else:
            stack.pop()


class RecordTree(dict):
    """A dataclass or a named tuple in an ``out_tree``: a dict of its fields' trees (read,
    walked and mapped as a dict is) that is returned as an object of ``cls``, built with
    the fields by name (``P(a=dx_a, b=dx_b)``: a Jacobian, a tangent, a cotangent of it)."""

    __slots__ = ("cls",)

    def __init__(self, cls: type, fields: Any = ()) -> None:
        super().__init__(fields)
        self.cls = cls

    def __reduce__(self) -> Any:
        return RecordTree, (self.cls, dict(self))

    def __repr__(self) -> str:
        return f"{self.cls.__name__}({', '.join(f'{k}={v!r}' for k, v in self.items())})"


def like_tree(tree: dict, items: Any) -> dict:
    """A dict of ``items`` as ``tree`` is one: a record of its class for a :class:`RecordTree`."""
    return RecordTree(tree.cls, items) if isinstance(tree, RecordTree) else dict(items)


def tree_leaves(tree: Any) -> list[int]:
    """Leaf indices of an ``out_tree`` in order."""
    leaves: list[int] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, int):
            leaves.append(node)
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        else:
            stack.extend(reversed(node))
    return leaves
