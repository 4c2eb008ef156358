"""The primitive registry and its domain tables (importing this fills the registry)."""

from . import (  # noqa: F401  (register their tables)
    batching,  # (it imports the tables whose entries it covers first)
    control,
    numpy,  # noqa: F401, I001  (after scalar: its JVP rows are its own)
    scalar,
    structures,
)
from .registry import PRIMITIVES, Primitive, defjvp, defvjp, get, primitive_for

__all__ = ["PRIMITIVES", "Primitive", "defjvp", "defvjp", "get", "primitive_for"]
