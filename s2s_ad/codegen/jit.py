"""The Numba backend: generated code compiled by ``numba.njit(cache=True)``, the only module
that imports ``numba`` (an optional extra: ``pip install 's2s-ad[jit]'``).

The code is emitted for Numba from the start (``to_ast(..., backend="numba")``): no type
guard (the caller dispatches on the arguments before the call), loops that count down with
``range(n - 1, -1, -1)``, no ``try`` (the Python code locates a division by zero). Before
anything is compiled, ``check`` refuses, with the user's line, what Numba cannot compile:
s2s_ad's run-time helpers, user rules (``s2s_ad.defvjp``) whose functions are not
``numba.njit`` functions, dataclass fields, a dict returned. What Numba itself refuses when
it types the code (a NumPy call outside its subset) becomes the same located error
(``compile_for``), never a Numba traceback.

Each function is written once, as a standalone module (the text of ``s2s-ad export
--backend numba``), to a file named by the hash of its text in the cache directory
(``$S2S_AD_CACHE``, else ``~/.cache/s2s_ad/numba``), and imported from there: Numba's own
cache (``cache=True``) keeps the machine code next to it, so a second process that builds
the same code compiles nothing.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import runtime
from ..errors import BackendError, Loc
from ..ir.core import Function, Op, walk
from ..primitives import get
from ..primitives.registry import Call, Field
from .emit import to_source
from .located import Locator
from .to_ast import integer_index, numba_zero, to_ast
from .writes import settle_writes

# builtins that Numba compiles (the rest of a Call's objects are NumPy's or math's)
_BUILTINS = frozenset({abs, max, min, float, int, round, bool, len, slice, range})
# s2s_ad's run-time helpers that Numba compiles (the module holds a copy under numba.njit)
_COMPILED_HELPERS = frozenset({runtime.setitem, runtime.index_add_item})
_HINT = "use backend='python' (the default), or backend='auto' to fall back to it"


def available() -> bool:
    """Is Numba installed?"""
    return importlib.util.find_spec("numba") is not None


@dataclass(slots=True)
class Compiled:
    """A generated function compiled by Numba: the ``njit`` dispatcher, its source (what
    ``.source`` shows), the module it was imported from, and where each line's ops are."""

    function: Any  # numba's CPUDispatcher
    source: str
    code: types.FunctionType  # the same code as Python, reading the globals it compiles with
    # (export.module_source writes it as a module for Numba)
    module_text: str
    path: str
    locator: Locator


def check(fn: Function, where: str) -> None:
    """Refuse, naming the construct and the user's line, what the Numba backend cannot
    compile in ``fn`` (``where``: the stage, for the message)."""
    if _has_dict(fn.out_tree):
        raise BackendError("the Numba backend cannot return a dict or a record (a dataclass, a "
                           "named tuple)", hint=_HINT, stage=where)
    near = None  # (an op a derivative made has no line: the last one before it that has)
    for op in walk(fn.body):
        near = op.loc or near
        refused = _refusal(op)
        if refused is not None:
            message, hint = refused
            loc = near or next((o.loc for o in walk(fn.body) if o.loc is not None), None)
            raise BackendError(f"the Numba backend cannot compile {message}", loc=loc,
                               hint=hint, stage=where)


def _refusal(op: Op) -> tuple[str, str] | None:
    """(what, hint) where Numba cannot compile ``op``'s code; else None."""
    prim = get(op.prim)
    spec = prim.emission
    if isinstance(spec, Field):
        return "a field of a dataclass or named tuple", _HINT
    if op.prim == "keys":
        return "a dict", _HINT
    if op.prim in ("zeros_list", "as_tuple"):  # ([0.0] * n, tuple(dxs): a tuple's gradient)
        return ("the gradient of a tuple argument read item by item (a list of its items' "
                "adjoints)", "pass a NumPy array instead of the tuple, or " + _HINT)
    if not isinstance(spec, Call) or spec.module is not None:
        return None
    if (op.prim == "zero_gradient" and numba_zero(op.args[0]) is not None) or (
            op.prim == "index_add" and integer_index(op)):
        return None  # (written as 0.0, np.zeros(shape), index_add_item: to_ast.py)
    obj = spec.obj
    if _jitted(obj) or any(obj is b for b in (*_BUILTINS, *_COMPILED_HELPERS)):
        return None
    module = getattr(obj, "__module__", "") or ""
    if module.partition(".")[0] == "s2s_ad":
        where = "" if op.loc is not None else f" (for the primitive {op.prim!r})"
        return (f"s2s_ad's run-time helper {spec.attr!r}{where}",
                "give the arguments' shapes (arrays, not lists) so the code needs no "
                "helper, or " + _HINT)
    if op.prim.startswith(("vjp:", "jvp:")):  # (custom.py's rows: "the user's vjp rule 0
        what = prim.doc.removeprefix("the user's ")  # for softplus")
        label = f"{what} ({getattr(obj, '__qualname__', spec.attr)})"
    else:
        label = f"a call to {getattr(obj, '__qualname__', spec.attr)!r}"
    return (f"{label}: a Python function, not a numba.njit one",
            f"register numba.njit versions of the function and of its rules "
            f"(s2s_ad.defvjp(numba.njit(f), numba.njit(rule))) and call that, or {_HINT}")


def _jitted(obj: Any) -> bool:
    """Is ``obj`` a function Numba compiled (``numba.njit(f)``)?"""
    return type(obj).__module__.startswith("numba.") and hasattr(obj, "py_func")


def _has_dict(tree: Any) -> bool:
    if isinstance(tree, dict):
        return True
    return isinstance(tree, (list, tuple)) and any(_has_dict(t) for t in tree)


def build(fn: Function, name: str, where: str) -> Compiled:
    """``fn`` as a function compiled by ``numba.njit(cache=True)`` (lazily: Numba compiles
    on ``compile_for`` or the first call), imported from its module in the cache directory."""
    if not available():
        raise BackendError("the Numba backend needs Numba, which is not installed",
                           hint="pip install 's2s-ad[jit]' (or numba); or use backend='python'",
                           stage=where)
    written = settle_writes(fn)  # (what is emitted: x[i] += v in place, where it can)
    check(written, where)
    module = to_ast(written, name, backend="numba")
    source = to_source(module.tree)
    locator = Locator(module.name)
    locator.index(module.tree, source, module.origins)
    namespace = {"__builtins__": builtins, "__name__": "s2s_ad.generated", **module.globals}
    exec(compile(source, f"<s2s_ad:{module.name}:numba>", "exec"), namespace)
    py = namespace[module.name]
    py.source = source
    for key, obj in module.globals.items():
        if not _writable(obj):
            raise BackendError(f"the Numba backend cannot compile code that reads "
                               f"{key!r} ({type(obj).__name__})", hint=_HINT, stage=where)
    # the user's numba.njit functions (rules) are set on the module after it is imported:
    # the text names them, with a hash of their source, so that other code is another file
    injected = {key: obj for key, obj in module.globals.items() if _jitted(obj)}
    shown = types.FunctionType(py.__code__, {key: obj for key, obj in namespace.items()
                                             if key not in injected
                                             and key != module.name}, module.name)
    shown.source = source  # type: ignore[attr-defined]
    shown.__doc__ = f"{module.name}, generated by s2s_ad for Numba."
    from ..export import module_source  # (export reads generated functions: a later stage)
    text = module_source(shown, command="jit", backend="numba") + "".join(
        f"# {key}: a numba.njit function set by s2s_ad "
        f"(source {_source_hash(obj.py_func)})\n" for key, obj in injected.items())
    path = _cached_file(module.name, text)
    imported = _import(path)
    for key, obj in injected.items():
        setattr(imported, key, obj)
    code = types.FunctionType(py.__code__, {key: obj for key, obj in namespace.items()
                                            if key != module.name}, module.name)
    code.source = source  # type: ignore[attr-defined]
    code.__doc__ = shown.__doc__
    return Compiled(getattr(imported, module.name), source, code, text, path, locator)


def _source_hash(fn: Any) -> str:
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):  # no source: the code object's bytes and constants
        code = fn.__code__
        text = repr((code.co_code, code.co_consts, code.co_names))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _writable(obj: Any) -> bool:
    """Can the module text hold ``obj`` (and Numba read it as a constant)?"""
    return (isinstance(obj, (types.ModuleType, np.ndarray, bool, int, float, complex))
            or _jitted(obj) or any(obj is b for b in (*_BUILTINS, *_COMPILED_HELPERS))
            or (isinstance(obj, type) and obj.__module__ == "numpy"))


def cache_directory() -> str:
    """Where compiled modules live: ``$S2S_AD_CACHE``, else ``~/.cache/s2s_ad/numba``
    (``$XDG_CACHE_HOME`` honoured), else a directory in the temporary directory."""
    chosen = os.environ.get("S2S_AD_CACHE")
    if not chosen:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        chosen = os.path.join(base, "s2s_ad", "numba")
    try:
        os.makedirs(chosen, exist_ok=True)
    except OSError:
        chosen = os.path.join(tempfile.gettempdir(), f"s2s_ad-numba-{os.getuid()}")
        os.makedirs(chosen, exist_ok=True)
    return chosen


def _cached_file(name: str, text: str) -> str:
    """The file holding ``text``, written once: its name is the hash of its text, so a file
    that exists holds it already (and keeps the time stamp Numba's cache checks)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = os.path.join(cache_directory(), f"{name}_{digest}.py")
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)  # (atomic: another process may write it too)
    return path


def _import(path: str) -> types.ModuleType:
    name = "s2s_ad_jit_" + os.path.basename(path)[:-3]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    imported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(imported)
    sys.modules[name] = imported
    return imported


def compile_for(compiled: Compiled, args: tuple[Any, ...], where: str) -> None:
    """Compile ``compiled`` for arguments like ``args`` now (or load it from Numba's cache),
    turning what Numba refuses into a located error."""
    import numba
    from numba.core.errors import NumbaError

    try:
        signature = tuple(numba.typeof(a) for a in args)
    except ValueError as err:
        raise BackendError(f"the Numba backend cannot take an argument: {err}", hint=_HINT,
                           stage=where) from None
    try:
        compiled.function.compile(signature)
    except NumbaError as err:
        raise _located(compiled, str(err), where) from None
    except Exception as err:  # (Numba's own failure: an assertion inside it)
        raise BackendError(f"Numba failed to compile {compiled.code.__name__} "
                           f"({type(err).__name__}: {err})", hint=_HINT,
                           stage=where) from None


_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _located(compiled: Compiled, message: str, where: str) -> BackendError:
    """Numba's message, as an error at the user's line that the generated line came from."""
    message = _ANSI.sub("", message)
    reason = next((line.strip() for line in message.splitlines()
                   if line.strip() and not line.startswith(("Failed in", "During:"))),
                  "Numba refused it")
    loc: Loc | None = None
    shown = ""
    text = compiled.module_text
    first = text.count("\n", 0, text.find("\n" + compiled.source.split("\n", 1)[0])) + 2
    for file, number in _LINE.findall(message):
        if os.path.basename(file) != os.path.basename(compiled.path):
            continue
        line = int(number) - first + 1  # the line of .source
        ops = compiled.locator.by_line.get(line, [])
        if line >= 1 and line <= len(compiled.locator.lines):
            shown = compiled.locator.lines[line - 1].strip()
        located = [op.loc for op in ops if op.loc is not None]
        if located:
            loc = located[0]
    code = f" (generated line: `{shown}`)" if shown else ""
    return BackendError(f"the Numba backend cannot compile this: {reason}{code}", loc=loc,
                        hint=_HINT, stage=where)
