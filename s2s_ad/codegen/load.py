"""Compile generated source into a function; register it so tracebacks show its lines
(``linecache``, and a file: see ``files``)."""

from __future__ import annotations

import builtins
import gc
import linecache
from collections.abc import Iterator
from contextlib import contextmanager
from types import FunctionType
from typing import Any

import numpy as np

from ..display import attach
from ..ir.core import Function
from . import files
from .emit import to_source
from .to_ast import Guard, to_ast
from .writes import settle_writes

_SHOWN_ENTRIES = 8  # a constant array this small is shown whole in the note


def load(fn: Function, name: str, guard: Guard | None = None) -> tuple[FunctionType, str]:
    """The compiled function for ``fn`` named ``name`` and its source (see ``to_ast`` for
    ``guard``)."""
    with cycle_collection_paused():
        module = to_ast(settle_writes(fn), name, guard)
        source = _constants_note(fn, module.globals) + to_source(module.tree)
        if module.locator is not None:
            module.locator.index(module.tree, source, module.origins)
        filename = files.write(module.name, source)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {"__builtins__": builtins, "__name__": "s2s_ad.generated", **module.globals}
        exec(compile(source, filename, "exec"), namespace)
    compiled = namespace[module.name]
    files.remove_with(compiled.__code__, filename)
    attach(compiled)  # a notebook shows its source
    return compiled, source


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """The code is built of many small objects (AST nodes, strings; IR while a derivative is
    built), which reference counting frees when it is done; meanwhile their number would set
    off the cycle collector, which walks the whole heap (the IR too) each time: up to half
    the time of ``load`` for a long function. (Left alone when the program disabled it.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _constants_note(fn: Function, objects: dict[str, Any]) -> str:
    """Comments that say what the arrays built when generating the code hold (``np.zeros(3)``
    of constants runs once): the source reads ``s = _c + x``, and this says what ``_c`` is.
    The user's own globals need no note."""
    user = fn.globals_ns or {}
    lines = []
    for name, obj in objects.items():
        if isinstance(obj, np.ndarray) and user.get(name) is not obj:
            shown = (f"np.{obj!r}" if obj.size <= _SHOWN_ENTRIES and "\n" not in repr(obj)
                     else f"a {obj.dtype} array of shape {obj.shape}")
            lines.append(f"# {name} = {shown}  (built once, with the code)\n")
    return "".join(lines)
