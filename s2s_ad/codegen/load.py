"""Compile generated source into a function; register it so tracebacks show its lines."""

from __future__ import annotations

import builtins
import itertools
import linecache
from types import FunctionType

from ..ir.core import Function
from .emit import to_source
from .to_ast import Guard, to_ast

_counter = itertools.count(1)


def load(fn: Function, name: str, guard: Guard | None = None) -> tuple[FunctionType, str]:
    """The compiled function for ``fn`` named ``name`` and its source (see ``to_ast`` for
    ``guard``)."""
    module = to_ast(fn, name, guard)
    source = to_source(module.tree)
    filename = f"<s2s_ad:{module.name}:{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__builtins__": builtins, "__name__": "s2s_ad.generated", **module.globals}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[module.name], source
