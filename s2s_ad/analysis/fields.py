"""Which fields a function reads, checked against the arguments of a call.

``p.T``, ``p.shape``, ``p.ndim``, ``p.size`` and ``p.dtype`` are lowered as NumPy's array
attributes when the class of ``p`` is not known when lowering (an argument): right for an
array, but for a dataclass or a named tuple with a field of that name they would read the
field and differentiate it as a transpose (``.T``) or not at all. Code specialized to
arguments knows them: ``check_fields`` stops there with a located error. It follows the
arguments through the reads of constant fields and items (``p.inner.T``). So does the
read of a property of a dataclass being differentiated (``p.norm``): its derivative has
no field to go to.
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


def is_structure(x: Any) -> bool:
    """Is ``x`` a tuple, list, dict, dataclass instance or named tuple?"""
    return isinstance(x, (tuple, list, dict)) or is_record(x)


def read_constant(prim: str, base: Any, key: Any) -> Any:
    """``base.key`` (``prim`` "getattr") or ``base[key]``: what a read by a constant key
    gives for an example ``base`` (it raises what the read would)."""
    return getattr(base, key) if prim == "getattr" else base[key]


def fields_of(record: Any) -> tuple[str, ...]:
    """The field names of a dataclass instance or a named tuple."""
    kind = type(record)
    if hasattr(kind, "__dataclass_fields__"):
        import dataclasses

        return tuple(f.name for f in dataclasses.fields(record))
    return tuple(kind._fields)


def check_fields(fn: Function, args: Sequence[Any], wrt: Sequence[int] = ()) -> None:
    """Stop, at its location, where ``fn`` reads ``.T``/``.shape``/... of a dataclass or a
    named tuple among ``args`` (or inside one of them) as NumPy's attribute, or, inside an
    argument in ``wrt`` (positions), an attribute of one that is not a field (a property:
    its derivative would have nowhere to go)."""
    known: dict[Any, Any] = {p: a for p, a in zip(fn.params, args)}
    if not any(map(is_structure, args)):
        return
    active = {fn.params[i] for i in wrt}
    constants: dict[Any, Any] = {}
    for op in walk(fn.body):
        if op.prim == "const":
            constants[op.out] = const_value(op)
        elif op.prim in ("getattr", "getitem") and op.args[0] in known and (
                op.args[1] in constants):
            key = constants[op.args[1]]
            base = known[op.args[0]]
            if (op.prim == "getattr" and op.args[0] in active and is_record(base)
                    and key not in fields_of(base)):
                record = type(base).__name__
                raise DifferentiationError(
                    f"cannot differentiate .{key} of a {record}: it is not a field of "
                    f"{record} (a property or another attribute of its class), so its "
                    "derivative has no field to go to", loc=op.loc,
                    hint=f"compute it from the fields ({', '.join(fields_of(base))}) in the "
                         "function, or leave the argument out of wrt",
                    stage="while specializing to the arguments")
            try:
                known[op.out] = read_constant(op.prim, base, key)
            except Exception:  # noqa: BLE001 -- the call would raise it; nothing to follow
                continue
            if op.args[0] in active:
                active.add(op.out)
        elif op.prim in _ARRAY_ATTRIBUTES and op.args and is_record(known.get(op.args[0])):
            name = _ARRAY_ATTRIBUTES[op.prim]
            record = type(known[op.args[0]]).__name__
            raise DifferentiationError(
                f"cannot differentiate .{name} of a {record}: s2s_ad reads .{name} of a value "
                "whose class it does not know when lowering as NumPy's array attribute",
                loc=op.loc, hint=f"rename the field {name!r} of {record} (or pass it as an "
                                 "argument of its own)",
                stage="while specializing to the arguments")
