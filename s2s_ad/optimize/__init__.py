"""The optimizer: passes from IR to IR, composed to a fixed point."""

from .pipeline import PASSES, optimize
from .stats import OpCounts, count_ops

__all__ = ["PASSES", "OpCounts", "count_ops", "optimize"]
