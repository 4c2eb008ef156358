"""The primitive registry and its domain tables (importing this fills the registry)."""

from . import control, scalar, structures  # noqa: F401  (register their tables)
from .registry import PRIMITIVES, Primitive, defjvp, defvjp, get, primitive_for

__all__ = ["PRIMITIVES", "Primitive", "defjvp", "defvjp", "get", "primitive_for"]
