"""The emitter ``e`` through which the frontend, the transforms and every rule build IR.

``e.mul(g, e.cos(x))`` appends a ``cos`` op and a ``mul`` op to the current region and
returns the ``mul``'s value. Plain numbers become ``const`` ops, so rules can say
``e.mul(g, 2.0)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import Loc
from .avals import Array, Number, aval_of, shape_of, with_shape
from .core import Op, Region, Value, walk

_NUMBERS = (bool, int, float, complex)


class Emitter:
    """Appends ops to ``region``; attribute access names a primitive: ``e.sin(x)``."""

    def __init__(self, region: Region | None = None, loc: Loc | None = None) -> None:
        self.region = region if region is not None else Region()
        self.loc = loc
        self.constants: dict[Value, Any] = {}  # values of the constants made here
        # consulted first by ``emit``: returns a value to use instead, or None (see
        # transforms/shapes.py, which tracks shapes through the ops rules build)
        self.hook: Any = None
        self.deferred: dict[Value, Any] = {}
        self.basic: set[Value] = set()  # indices that never repeat an entry (kinds.py)
        self.numeric: set[Value] = set()  # numbers or arrays, never lists (kinds.py)
        self.names: set[Value] = set()  # string constants: a dict's key, a field's name
        # fresh lists a rule made, one adjoint per item of a list (dict_values): a list's
        # appends are undone by popping them as they are
        self.fresh_lists: set[Value] = set()
        # a value a loop writes items into (`xs[i] = v`) -> the loop's result, which has its
        # structure (a list's length, a dict's keys and more): what an adjoint spread over
        # it reads, so that the loop never tapes the value (transforms/reverse.py)
        self.shape_like: dict[Value, Value] = {}

    def note_constants(self, region: Region) -> None:
        """Know the number and tuple constants of ``region`` (the function being
        differentiated) as if made here: rules ask ``constants`` (``x ** 0``)."""
        for op in walk(region):
            if op.prim == "const" and isinstance(op.attrs[0][1], (*_NUMBERS, tuple)):
                self.constants.setdefault(op.out, op.attrs[0][1])
            elif op.prim == "const" and isinstance(op.attrs[0][1], str):
                self.names.add(op.out)

    def share_kind(self, new: Value, old: Value) -> None:
        """``new`` is a number, or an array of the shape, that ``old`` is (a copy of it, what
        a tape gives back, an adjoint shaped like its value); its dtype may differ."""
        shape = shape_of(old.aval)
        if shape is not None:
            new.aval = with_shape(shape)

    def may_be_container(self, v: Value) -> bool:
        """Might ``v`` be a list or a dict (not known to be a number or an array)?"""
        return v not in self.numeric and not isinstance(v.aval, (Number, Array))

    def scalar(self, *values: Value) -> bool:
        """Are all ``values`` known to be numbers (Python or NumPy scalars)?"""
        for v in values:  # (asked once or twice per op of a sweep: no generator)
            if not isinstance(v.aval, Number):
                return False
        return True

    @staticmethod
    def array_shape(v: Value) -> tuple[int, ...] | None:
        """The shape of ``v`` when it is known to be an array (of at least one axis)."""
        return v.aval.shape if isinstance(v.aval, Array) else None

    @staticmethod
    def array_dtype(v: Value) -> Any:
        """The dtype of ``v`` when it is known to be an array of a known dtype."""
        return v.aval.dtype if isinstance(v.aval, Array) else None

    def ndim(self, v: Value) -> int | None:
        """The number of axes of ``v``, when known."""
        shape = shape_of(v.aval)
        return None if shape is None else len(shape)

    def emit(self, prim: str, *args: Value | Any, nouts: int = 1, hint: str = "",
             regions: tuple[Region, ...] = (), **attrs: Any) -> tuple[Value, ...]:
        """Append ``prim(*args)`` and return its ``nouts`` result values."""
        operands = tuple([a if isinstance(a, Value) else self.const(a) for a in args])
        if self.hook is not None and nouts == 1 and not regions:
            out = self.hook(self, prim, operands, attrs, hint)
            if out is not None:
                return (out,)
        outs = (Value(hint),) if nouts == 1 else tuple([Value(hint) for _ in range(nouts)])
        self.region.ops.append(Op(prim, operands, outs, tuple(attrs.items()), regions, self.loc))
        return outs

    def append(self, prim: str, args: tuple[Value, ...], attrs: dict[str, Any],
               hint: str = "") -> Value:
        """Append one op as it is (no hook); return its value."""
        out = Value(hint)
        self.region.ops.append(Op(prim, args, (out,), tuple(attrs.items()), (), self.loc))
        return out

    def const(self, value: Any, hint: str = "") -> Value:
        out = Value(hint)
        self.region.ops.append(Op("const", (), (out,), (("value", value),), (), self.loc))
        if isinstance(value, _NUMBERS):
            out.aval = aval_of(value)
        if isinstance(value, (*_NUMBERS, tuple)):
            self.constants[out] = value
        return out

    def __getattr__(self, prim: str):
        if prim.startswith("_"):
            raise AttributeError(prim)

        def build(emitter: Emitter, *args: Value | Any, **attrs: Any) -> Value:
            return emitter.emit(prim, *args, **attrs)[0]

        build.__name__ = prim
        # a method of the class: found without __getattr__ the next time (on the class, so
        # no emitter refers to itself and reference counting frees it with its IR)
        setattr(Emitter, prim, build)
        return getattr(self, prim)

    def at(self, loc: Loc | None) -> _At:
        """Ops emitted inside carry ``loc`` (the user's line they come from). (A class, not
        a generator: entered once per op of a sweep.)"""
        return _At(self, loc)

    @contextmanager
    def into(self, region: Region) -> Iterator[Emitter]:
        """Ops emitted inside go to ``region`` (a branch or loop body)."""
        saved, self.region = self.region, region
        try:
            yield self
        finally:
            self.region = saved


class _At:
    """``Emitter.at``'s context: ``loc`` while inside, the previous one after."""

    __slots__ = ("e", "loc", "saved")

    def __init__(self, e: Emitter, loc: Loc | None) -> None:
        self.e, self.loc = e, loc

    def __enter__(self) -> Emitter:
        self.saved, self.e.loc = self.e.loc, self.loc
        return self.e

    def __exit__(self, *exc: object) -> None:
        self.e.loc = self.saved
