"""The optimizer: passes composed and repeated until the program stops shrinking."""

from __future__ import annotations

from ..ir.core import Function
from .copyprop import copyprop
from .cse import cse
from .dce import dce
from .fold import fold
from .rewrite import op_count
from .simplify import simplify

PASSES = (fold, simplify, cse, copyprop, dce)
MAX_ROUNDS = 10


def optimize(fn: Function) -> Function:
    """Run ``PASSES`` in order, again and again, until op counts stop changing."""
    before = None
    for _ in range(MAX_ROUNDS):
        for run in PASSES:
            fn = run(fn)
        count = (op_count(fn), len(fn.body.ops))
        if count == before:
            break
        before = count
    return fn
