"""Abstract values: what is known about a value when a derivative is built.

Every ``Value`` carries one (``v.aval``). ``UNKNOWN`` says nothing; ``Number(dtype)`` is a
Python or NumPy number (a 0-d array counts as one); ``Array(shape, dtype)`` an array of at
least one axis. A ``dtype`` of ``None`` means the dtype is not known (only that it is a
number, or the shape). JAX's avals are the model: rules ask the value, not a side table.
A ``Tuple(items)`` is a tuple whose length the arguments' kinds decide (``x.shape``).
``Numbers(kind)`` is a list or tuple argument of Python numbers, of any length: code
specialized to it makes its adjoint ``[0.0] * len(xs)``, with no run-time look at its items.
Other containers are ``UNKNOWN``: a list's length can change from one loop step to the next,
and code specialized to a tuple or list argument serves every length.

The lifted IR's values know what holds for every call (a numeric constant is a number); a
transform's copy of it is given the avals of the call it is specialized to
(``analysis/kinds.py``'s ``infer``), and the ops rules build get theirs as they are built
(``transforms/shapes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Unknown:
    """Nothing is known: a number, an array or a container."""

    def __repr__(self) -> str:
        return "?"


@dataclass(frozen=True, slots=True)
class Number:
    """A number: ``float``, ``int``, ``bool``, a NumPy scalar or a 0-d array."""

    dtype: np.dtype | None = None

    def __repr__(self) -> str:
        return _short(self.dtype) or "num"


@dataclass(frozen=True, slots=True)
class Array:
    """A NumPy array with at least one axis."""

    shape: tuple[int, ...]
    dtype: np.dtype | None = None

    def __repr__(self) -> str:
        return f"{_short(self.dtype) or 'array'}[{','.join(map(str, self.shape))}]"


@dataclass(frozen=True, slots=True)
class Tuple:
    """A tuple whose length every call the code is for shares (``x.shape`` of an array of
    known shape): its items' avals. (A tuple argument's length is not part of what code is
    specialized to: its aval is ``UNKNOWN``.)"""

    items: tuple[Number | Array | Unknown, ...]

    def __repr__(self) -> str:
        return "(" + ", ".join(map(repr, self.items)) + ("," if len(self.items) == 1 else "") + ")"


@dataclass(frozen=True, slots=True)
class Numbers:
    """A list or tuple argument (``kind``: ``list`` or ``tuple``, never a named tuple) whose
    items are all Python numbers (``float``, ``int``, ``bool``), of any length: what code
    specialized to a list of floats knows of it (``staging._signature``'s key)."""

    kind: type

    def __repr__(self) -> str:
        return f"{self.kind.__name__}[num]"


Aval = Unknown | Number | Array | Tuple | Numbers
UNKNOWN = Unknown()
NUMBER = Number()  # a number of unknown dtype


def aval_of(x: Any) -> Aval:
    """The aval of a Python value (an example argument, a stand-in's result)."""
    if isinstance(x, np.ndarray):
        return Array(x.shape, x.dtype) if x.ndim else Number(x.dtype)
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return Number(np.dtype(type(x)) if not isinstance(x, np.generic) else x.dtype)
    return UNKNOWN


def numbers_of(x: Any) -> Numbers | None:
    """``Numbers(list)`` or ``Numbers(tuple)`` for a list or tuple whose items are all Python
    numbers (an example argument); None for anything else."""
    kind = type(x)
    if kind is not list and kind is not tuple:
        return None
    return Numbers(kind) if set(map(type, x)) <= _PYTHON_NUMBERS else None


_PYTHON_NUMBERS = frozenset({float, int, bool})


def shape_of(aval: Aval) -> tuple[int, ...] | None:
    """A number's shape ``()`` or an array's; None for anything else."""
    if isinstance(aval, Number):
        return ()
    if isinstance(aval, Array):
        return aval.shape
    return None


def with_shape(shape: tuple[int, ...], dtype: np.dtype | None = None) -> Number | Array:
    """The aval of a number (``shape == ()``) or an array of ``shape``."""
    return Array(tuple(shape), dtype) if shape else Number(dtype)


def _short(dtype: np.dtype | None) -> str:
    if dtype is None:
        return ""
    return {"f": "f", "i": "i", "u": "u", "b": "bool", "c": "c"}.get(
        dtype.kind, dtype.kind) + (str(dtype.itemsize * 8) if dtype.kind != "b" else "")
