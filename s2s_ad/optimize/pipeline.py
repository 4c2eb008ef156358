"""The optimizer: passes composed and repeated until the program stops shrinking."""

from __future__ import annotations

from functools import partial

from ..ir.core import Function
from .copyprop import copyprop
from .cse import cse
from .dce import dce
from .fold import fold
from .rewrite import op_count
from .simplify import simplify

PASSES = (fold, simplify, cse, copyprop, dce)
MAX_ROUNDS = 10


def optimize(fn: Function, *, squares: bool = False) -> Function:
    """Run ``PASSES`` in order, again and again, until op counts stop changing.

    ``squares``: let ``simplify`` turn ``x ** 2`` into ``x * x`` (derivative-only programs).
    """
    passes = [partial(simplify, squares=True) if run is simplify else run for run in PASSES] \
        if squares else PASSES
    before = None
    for _ in range(MAX_ROUNDS):
        for run in passes:
            fn = run(fn)
        count = (op_count(fn), len(fn.body.ops))
        if count == before:
            break
        before = count
    return fn
