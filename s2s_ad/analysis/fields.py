"""Which fields a function reads, checked against the arguments of a call.

``p.T``, ``p.shape``, ``p.ndim``, ``p.size`` and ``p.dtype`` are lowered as NumPy's array
attributes when the class of ``p`` is not known when lowering (an argument): right for an
array, but for a dataclass or a named tuple with a field of that name they would read the
field and differentiate it as a transpose (``.T``) or not at all. Code specialized to
arguments knows them: ``check_fields`` stops there with a located error. It follows the
arguments through the reads of constant fields and items (``p.inner.T``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import DifferentiationError
from ..ir.core import Function, const_value, walk

# NumPy's attributes that have primitives of their own (registry: `Attribute` emissions)
_ARRAY_ATTRIBUTES = {"T": "T", ".shape": "shape", ".ndim": "ndim", ".size": "size",
                     ".dtype": "dtype"}


def is_record(x: Any) -> bool:
    """Is ``x`` an instance of a dataclass or a named tuple?"""
    kind = type(x)
    return hasattr(kind, "__dataclass_fields__") or (isinstance(x, tuple)
                                                     and hasattr(kind, "_fields"))


def check_fields(fn: Function, args: Sequence[Any]) -> None:
    """Stop, at its location, where ``fn`` reads ``.T``/``.shape``/... of a dataclass or a
    named tuple among ``args`` (or inside one of them) as NumPy's attribute."""
    known: dict[Any, Any] = {p: a for p, a in zip(fn.params, args)}
    if not any(isinstance(a, (tuple, list, dict)) or is_record(a) for a in args):
        return
    constants: dict[Any, Any] = {}
    for op in walk(fn.body):
        if op.prim == "const":
            constants[op.out] = const_value(op)
        elif op.prim in ("getattr", "getitem") and op.args[0] in known and (
                op.args[1] in constants):
            key = constants[op.args[1]]
            try:
                base = known[op.args[0]]
                known[op.out] = getattr(base, key) if op.prim == "getattr" else base[key]
            except Exception:  # noqa: BLE001 -- the call would raise it; nothing to follow
                continue
        elif op.prim in _ARRAY_ATTRIBUTES and op.args and is_record(known.get(op.args[0])):
            name = _ARRAY_ATTRIBUTES[op.prim]
            record = type(known[op.args[0]]).__name__
            raise DifferentiationError(
                f"cannot differentiate .{name} of a {record}: s2s_ad reads .{name} of a value "
                "whose class it does not know when lowering as NumPy's array attribute",
                loc=op.loc, hint=f"rename the field {name!r} of {record} (or pass it as an "
                                 "argument of its own)",
                stage="while specializing to the arguments")
