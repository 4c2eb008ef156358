"""Transforms of bound methods: ``s2s_ad.grad(model.loss)``.

A bound method is its function with ``self`` bound to an object. Its derivative is the
derivative of the function, with ``self`` a parameter like the others (read at run time:
``self.w`` in the generated code reads the object's attribute at each call, so changing
``model.w`` afterwards changes what the derivative computes, never silently the value it
had when the derivative was built), bound to the same object. ``wrt`` counts and names the
method's own parameters, as its signature shows them: ``self`` is never differentiated.

The class of the object is known when the derivative is built, so a call of another
method on ``self`` (``self.predict(x)``) or a property read inlines the class's function
(``frontend/lower.py``); the function is lifted with that class attached
(``__s2s_self__`` on a copy of it, one per function and class, so the transforms' cache
keeps one derivative per class).
"""

from __future__ import annotations

import inspect
import types
import weakref
from typing import Any

from .errors import DifferentiationError

# function -> {class of self: the function's copy that knows it}
_OWNED: weakref.WeakKeyDictionary[types.FunctionType, dict[type, types.FunctionType]] = (
    weakref.WeakKeyDictionary())


def is_bound_method(f: Any) -> bool:
    """Is ``f`` a method bound to an object, whose function s2s_ad can differentiate (a
    Python function, or a derivative s2s_ad generated)?"""
    if isinstance(f, BoundDerivative):
        return True
    return isinstance(f, types.MethodType) and (
        isinstance(f.__func__, types.FunctionType) or hasattr(f.__func__, "__s2s__"))


def unbound(f: Any) -> Any:
    """The function to differentiate for the bound method ``f``: its function, knowing the
    class of ``self`` (a derivative s2s_ad generated: itself, already lowered)."""
    fn = f.__func__
    if hasattr(fn, "__s2s__"):
        return fn
    owner = type(f.__self__)
    per_class = _OWNED.setdefault(fn, {})
    owned = per_class.get(owner)
    if owned is None:
        owned = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                                   fn.__closure__)
        owned.__kwdefaults__ = fn.__kwdefaults__
        owned.__qualname__, owned.__module__ = fn.__qualname__, fn.__module__
        owned.__doc__, owned.__annotations__ = fn.__doc__, fn.__annotations__
        owned.__s2s_self__ = owner  # type: ignore[attr-defined]  # (read by lift)
        per_class[owner] = owned
    return owned


def method_wrt(f: Any, wrt: Any) -> Any:
    """``wrt`` of the bound method ``f`` (its own parameters, counted without ``self``) as
    ``wrt`` of its function (``self`` first): indices move by one, names stay, and naming
    ``self`` is an error."""
    names = list(inspect.signature(f).parameters)
    self_name = next(iter(inspect.signature(f.__func__).parameters), "self")
    label = getattr(f.__func__, "__qualname__", "the method")

    def shift(item: Any) -> Any:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            return item  # (resolve_wrt says what is wrong with it)
        if isinstance(item, str):
            if item == self_name:
                raise DifferentiationError(
                    f"cannot differentiate the bound method {label} with respect to "
                    f"{self_name!r}, the object it is bound to",
                    hint=f"differentiate with respect to its parameters {names}; for a "
                         f"gradient with respect to the object (a dataclass), differentiate "
                         f"the function: s2s_ad.grad({label}) with the object as its first "
                         "argument")
            return item
        if not -len(names) <= item < len(names):
            raise DifferentiationError(
                f"wrt index {item} is out of range for the bound method {label}"
                f"({', '.join(names)})", hint=f"an index below {len(names)}, or a name "
                                             f"from {names}")
        return item % len(names) + 1

    if wrt is None:
        if not names:
            raise DifferentiationError(f"the bound method {label} has no parameters to "
                                       "differentiate besides self")
        return 1
    if isinstance(wrt, (tuple, list)):
        return tuple(shift(item) for item in wrt)
    return shift(wrt)


class BoundDerivative:
    """A derivative of a bound method: the generated function (``__func__``, whose first
    parameter is ``self``) with ``self`` bound to the method's object (``__self__``), as a
    bound method is. ``.source``, ``.ir``, ``.stats`` are the generated function's;
    ``.specialize(*args)`` takes the method's arguments. It pickles as the transform of the
    bound method (its object pickled with it), built again where it is loaded."""

    __slots__ = ("__func__", "__self__", "_made_by", "__weakref__")

    def __init__(self, generated: Any, obj: Any, made_by: tuple[Any, ...]) -> None:
        self.__func__ = generated
        self.__self__ = obj
        self._made_by = made_by  # (kind, the bound method, wrt, optimize, mode, backend)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__func__(self.__self__, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "specialize" and hasattr(self.__func__, "specialize"):
            return lambda *args, **kwargs: self.__func__.specialize(self.__self__, *args,
                                                                    **kwargs)
        return getattr(self.__func__, name)

    @property
    def __signature__(self) -> inspect.Signature:
        signature = inspect.signature(self.__func__)
        return signature.replace(parameters=list(signature.parameters.values())[1:])

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, self._made_by

    def __repr__(self) -> str:
        return f"<{self.__func__.__name__} of {self.__self__!r} (generated by s2s_ad)>"


def _rebuild(kind: str, method: Any, wrt: Any, optimize: bool, mode: str,
             backend: str = "python") -> BoundDerivative:
    """What ``BoundDerivative`` pickles as: the transform of the bound method, built here."""
    from .staging import transform

    return transform(method, kind, wrt, optimize, mode, backend)  # type: ignore[return-value]


def bind(generated: Any, f: Any, made_by: tuple[Any, ...]) -> BoundDerivative:
    """The derivative ``generated`` of ``f``'s function, bound to ``f``'s object."""
    return BoundDerivative(generated, f.__self__, made_by)
