"""The SSA intermediate representation shared by every stage."""

from .core import Function, Op, Region, Value, walk

__all__ = ["Function", "Op", "Region", "Value", "walk"]
