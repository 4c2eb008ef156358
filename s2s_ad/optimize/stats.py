"""Op counts by kind: how much work a program does."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..ir.core import Function, walk

# primitives grouped as people count them
KINDS = {"add": "adds", "sub": "adds", "neg": "negations", "mul": "multiplies",
         "truediv": "divisions", "pow": "powers", "math_pow": "powers", "matmul": "matmuls"}


@dataclass(frozen=True, slots=True)
class OpCounts:
    by_prim: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_prim.values())

    def by_kind(self) -> dict[str, int]:
        """``{"adds": 2, "multiplies": 3, "calls": {"cos": 1}}``-style flat counts."""
        kinds: Counter[str] = Counter()
        for prim, n in self.by_prim.items():
            kinds[KINDS.get(prim, prim)] += n
        return dict(kinds)

    def __getitem__(self, prim: str) -> int:
        return self.by_prim.get(prim, 0)

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind().items()))
        return f"{self.total} ops ({parts})" if parts else "0 ops"


def count_ops(fn: Function) -> OpCounts:
    """Counts of every primitive in ``fn`` except constants."""
    counts = Counter(op.prim for op in walk(fn.body) if op.prim != "const")
    return OpCounts(dict(counts))
