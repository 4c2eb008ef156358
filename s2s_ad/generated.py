"""The module of every generated function (``g.__module__``), so that the standard
library's ``pickle`` saves one as it saves any function: by reference, as a module and a
qualified name that importing finds again.

The qualified name of what ``grad``, ``jvp``, ... return for a function ``f`` that pickle
can find (defined at the top of a module) is the call that made it, with ``f`` named by
its module and qualified name (dots written ``/``: pickle reads a dot as an attribute
step): ``s2s_ad.grad(loss, wrt=("w", "b"))`` for ``loss`` in ``model/fit.py`` is::

    grad('model/fit:loss', wrt=('w', 'b'))

Looking that name up here (a PEP 562 ``__getattr__``) makes the call. In the process that
built the function it returns the very same object (the transforms are cached per
function), which is what pickle checks; a process that unpickles it and can import s2s_ad
and ``f``'s module builds the derivative there, once (this module keeps it). Nothing
changes on the hot path: the generated function is the one that runs.

A derivative of a lambda, of a function defined inside another or in a module that
importing does not give is named ``grad(<lambda>)`` and has no ``__module__``: pickle then
asks each module for the name, and this one answers with a ``PicklingError`` that says why
and what to do instead.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pickle
import sys
from collections.abc import Callable
from typing import Any

# the transforms whose calls a name spells (s2s_ad.api's public functions), and their options
_KINDS = frozenset({"grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp"})
_DEFAULTS = {"wrt": None, "optimize": True, "mode": "auto"}

# what was rebuilt here, kept alive: the transforms cache holds derivatives weakly, and a
# worker would otherwise build one again for each task that brings it
_KEPT: dict[str, Any] = {}
# the name of a derivative pickle cannot save -> (what it differentiates, what to do)
_UNNAMED: dict[str, tuple[str, str]] = {}

_HINT = ("define the function with `def` at the top level of a module that the process "
         "unpickling it can import, or pickle with cloudpickle, which saves code by value")


def name_as_call(g: Any, f: Any, kind: str, wrt: Any, optimize: bool, mode: str) -> None:
    """Name ``g``, what ``s2s_ad.<kind>(f, wrt=wrt, optimize=optimize, mode=mode)``
    returned, by that call, so that pickle finds it here; or, when pickle cannot find
    ``f``, say why when it asks."""
    options = {"wrt": wrt, "optimize": optimize, "mode": mode or "auto"}
    shown = "".join(f", {key}={value!r}" for key, value in options.items()
                    if value != _DEFAULTS[key])
    unnamed = _unnamed(f)
    qualname = "" if unnamed else f"{kind}({_reference(f)}{shown})"
    if not unnamed and ("." in qualname or _parse(qualname) is None):
        unnamed = (f"options that a name cannot spell ({shown.lstrip(', ')})", _HINT)
    if unnamed:  # named for people, and apart from the functions inside it (g.general)
        label = getattr(f, "__name__", "?").strip("<>")
        qualname = f"{kind}(<{label}>{'' if '.' in shown else shown})"
        _UNNAMED[qualname] = unnamed
        g.__module__ = None  # no module to look in: pickle asks them all, __getattr__ answers
    g.__qualname__ = qualname


def _reference(f: Any) -> str:
    """How a name spells ``f``: as the call that made it, for a derivative named here;
    else ``'module:qualname'``, its dots written ``/``."""
    if hasattr(f, "__s2s__"):
        return f.__qualname__  # grad(grad(f)): grad(f) is named by the call that made it
    return repr(f"{f.__module__}:{f.__qualname__}".replace(".", "/"))


def _unnamed(f: Any) -> tuple[str, str] | None:
    """Why pickle cannot find ``f`` by name, and what to do instead (None: it can)."""
    module = getattr(f, "__module__", None)
    qualname = getattr(f, "__qualname__", None)
    if hasattr(f, "__s2s__"):
        if qualname in _UNNAMED and module is None:
            return _UNNAMED[qualname]  # a derivative of one
        if module == __name__ and _parse(qualname) is not None:
            return None
        return (f"{qualname!r}, a generated function that s2s_ad.grad, s2s_ad.jvp, ... did "
                "not return (a .specialize(...) or .general of one)",
                "differentiate the function that s2s_ad returned, which pickles")
    if not isinstance(module, str) or not isinstance(qualname, str):
        return "a function without a module and a name", _HINT
    if "<lambda>" in qualname:
        return "a lambda", _HINT
    if "<locals>" in qualname:
        return f"{f.__name__!r}, a function defined inside another function", _HINT
    if module not in sys.modules:
        return (f"{qualname!r} of module {module!r}, which importing does not give (it is "
                "not in sys.modules: a file run by path, or code made by exec)", _HINT)
    return None


@functools.lru_cache(maxsize=256)
def _parse(name: str) -> tuple[str, tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]] | None:
    """``"grad(hessian('m/n:f'), wrt=1)"`` -> ``('m.n:f', (('hessian', ()), ('grad',
    (('wrt', 1),))))``: the function's reference and the calls, innermost first; None for
    a name that is not such a call."""
    if not name.endswith(")"):
        return None
    try:
        node = ast.parse(name, mode="eval").body
    except (SyntaxError, ValueError):
        return None
    calls = []
    while isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in _KINDS
                and len(node.args) == 1 and all(k.arg in _DEFAULTS for k in node.keywords)):
            return None
        try:
            options = tuple((k.arg, ast.literal_eval(k.value)) for k in node.keywords)
        except ValueError:
            return None
        calls.append((node.func.id, options))
        node = node.args[0]
    if not calls or not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    return node.value.replace("/", "."), tuple(reversed(calls))


def __getattr__(name: str) -> Any:
    """The generated function named ``name``: for ``grad('m:f')``, ``s2s_ad.grad(m.f)``."""
    unnamed = _UNNAMED.get(name)
    if unnamed is not None:
        what, hint = unnamed
        raise pickle.PicklingError(
            f"cannot pickle {name}: pickle saves a derivative by the name of the function it "
            f"differentiates, which a process imports to rebuild it, and it differentiates "
            f"{what}\nhint: {hint}")
    parsed = _parse(name)
    if parsed is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    reference, calls = parsed
    if _cloudpickle_saves_by_value(reference.partition(":")[0]):
        raise AttributeError(f"{name}: cloudpickle saves this derivative by value")
    fn = _find(reference, name)
    from . import api  # (api imports this module)

    for kind, options in calls:
        fn = getattr(api, kind)(fn, **dict(options))
    _KEPT[name] = fn
    return fn


def _cloudpickle_saves_by_value(module: str) -> bool:
    """Is cloudpickle (Dask's, joblib's) asking, about a function of ``module``, which it
    saves by value (``__main__``; or a module registered with ``register_pickle_by_value``)?
    Then this name is not found, and cloudpickle saves the derivative by value too, as it
    saves the function: a worker that never ran the script (a remote Dask worker) could not
    rebuild it. It asks before it decides (``_lookup_module_and_qualname``), a few frames
    up; the standard pickle asks from C, with no frame of its own."""
    frame = sys._getframe(2)
    for _ in range(_CLOUDPICKLE_DEPTH):
        if frame is None:
            return False
        if "cloudpickle" in (frame.f_globals.get("__name__") or ""):
            registry = frame.f_globals.get("list_registry_pickle_by_value")
            by_value = registry() if callable(registry) else ()
            return module == "__main__" or any(module == m or module.startswith(m + ".")
                                               for m in by_value)
        frame = frame.f_back
    return False


_CLOUDPICKLE_DEPTH = 4  # __getattr__ <- pickle._getattribute <- cloudpickle's 1 or 2 frames


def _find(reference: str, name: str) -> Any:
    """The function ``'module:qualname'`` names; a derivative that ``@grad`` put in its
    place at the top of its module stands for the function it wraps."""
    module, _, qualname = reference.partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"cannot rebuild s2s_ad.generated.{name}: {err}\nhint: a process that unpickles a "
            f"derivative needs s2s_ad and the module {module!r} (on its sys.path or "
            "PYTHONPATH, or installed)", name=err.name) from err
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise AttributeError(f"cannot rebuild s2s_ad.generated.{name}: module {module!r} "
                                 f"has no function {qualname!r}")
    while hasattr(obj, "__s2s__") and hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    return obj


class Deferred:
    """A generated function built on first use (an attribute read or a call): the
    shape-generic code behind code for floats, which most programs never run."""

    __slots__ = ("_make", "_fn", "__weakref__")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._fn: Any | None = None

    def built(self) -> Any:
        if self._fn is None:
            assert self._make is not None
            self._fn, self._make = self._make(), None
        return self._fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.built()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in Deferred.__slots__:  # not set yet: an object pickle is rebuilding
            raise AttributeError(name)
        return getattr(self.built(), name)

    def __reduce__(self) -> tuple[Any, ...]:
        return _itself, (self.built(),)  # (cloudpickle saves code for floats by value)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.built(), follow_wrapped=False)

    def __repr__(self) -> str:
        return repr(self.built())


def _itself(fn: Any) -> Any:
    return fn
