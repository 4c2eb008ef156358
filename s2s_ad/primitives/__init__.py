"""The primitive registry and its domain tables (importing this fills the registry)."""

from . import scalar  # noqa: F401  (registers the scalar table)
from .registry import PRIMITIVES, Primitive, defjvp, defvjp, get, primitive_for

__all__ = ["PRIMITIVES", "Primitive", "defjvp", "defvjp", "get", "primitive_for"]
