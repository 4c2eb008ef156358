"""The optimizer: passes composed and repeated until the program stops shrinking."""

from __future__ import annotations

from functools import partial

from ..ir import verify
from ..ir.core import Function
from .copyprop import copyprop
from .cse import cse
from .dce import dce
from .fold import fold
from .rewrite import op_count
from .rows import carried_rows
from .simplify import simplify

PASSES = (fold, simplify, cse, copyprop, dce, carried_rows)
MAX_ROUNDS = 10


def optimize(fn: Function, *, exact_results: int | None = None) -> Function:
    """Run ``PASSES`` in order, again and again, until op counts stop changing, or until no
    pass finds anything more to do (a pass that changes nothing returns what it was given).

    ``exact_results``: how many leading results keep their exact value and type (default:
    all); the rest are derivatives, which ``simplify`` may compute more loosely.
    """
    passes = [partial(simplify, exact_results=exact_results) if run is simplify else run
              for run in PASSES]
    if verify.ENABLED:
        verify.verify(fn, "before optimizing")
    before = None
    settled = 0  # passes in a row that left the function as they found it
    for _ in range(MAX_ROUNDS):
        for run, plain in zip(passes, PASSES):
            result = run(fn)
            settled = settled + 1 if result is fn else 0
            fn = result
            if verify.ENABLED:
                verify.verify(fn, f"after {plain.__name__}")
            if settled == len(PASSES):  # every pass has seen fn as it is: a fixed point
                return fn
        count = (op_count(fn), len(fn.body.ops))
        if count == before:
            break
        before = count
    return fn
