"""Dataclasses and named tuples built inside the differentiated function.

``p = Point(x, y)`` binds the arguments as the class's ``__init__`` would (defaults too)
and gives, when the derivative is built, a :class:`Record`: the class and an entry per
field. ``p.x`` is that entry, so the generated code never builds the object: ``p.x * p.y``
reads as ``x * y``. A named tuple is a tuple too: indexed with a constant and unpacked.
The class's methods and properties written in Python are inlined, ``self`` the record.
What would run code of the class that the derivative cannot see -- a dataclass with its
own ``__init__`` or a ``__post_init__``, a field without an ``__init__`` parameter or with
a ``default_factory``, a method not written in Python (``Span(x).count(x)``) -- is a
located error. A record returned is a ``RecordTree`` in the function's ``out_tree``: one
output per field, built by its class where the generated code returns.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import types
from dataclasses import dataclass
from typing import Any

from ..errors import DifferentiationError


@dataclass(frozen=True, eq=False, slots=True)
class Record:
    """A dataclass or named tuple built here: its class and its fields' entries, in order."""

    cls: type
    fields: dict[str, Any]

    @property
    def named_tuple(self) -> bool:
        return hasattr(self.cls, "_fields")

    def items(self) -> tuple:
        """A named tuple's items, in order (a tuple built here)."""
        return tuple(self.fields.values())


def is_record_class(obj: Any) -> bool:
    return isinstance(obj, type) and (hasattr(obj, "__dataclass_fields__")
                                      or (issubclass(obj, tuple) and hasattr(obj, "_fields")))


def build(lowerer: Any, cls: type, args: list, kwargs: dict, node: ast.AST) -> Record:
    """``cls(*args, **kwargs)`` as a :class:`Record`, after the checks that its
    ``__init__`` only stores its parameters."""
    name = cls.__name__
    if hasattr(cls, "__dataclass_fields__"):
        init = cls.__dict__.get("__init__")
        generated = init is not None and getattr(init, "__code__", None) is not None and (
            init.__code__.co_filename == "<string>")  # (dataclasses writes it with exec)
        if not generated or hasattr(cls, "__post_init__"):
            what = "a __post_init__" if generated else "an __init__ of its own"
            raise lowerer.error(node, f"cannot differentiate building {name}, a dataclass "
                                f"with {what}, in the function", hint="build it outside and "
                                "pass it in, or return a tuple or a dict of its fields")
        hidden = [f.name for f in dataclasses.fields(cls) if not f.init
                  or f.default_factory is not dataclasses.MISSING]
        if hidden:
            raise lowerer.error(node, f"cannot differentiate building {name} in the function: "
                                f"its field {hidden[0]!r} is set by the class (init=False or "
                                "a default_factory)", hint="build it outside and pass it in")
        names = [f.name for f in dataclasses.fields(cls)]
    else:
        names = list(cls._fields)
    signature = inspect.signature(cls)
    try:
        arguments = dict(signature.bind(*args, **kwargs).arguments)
    except TypeError as exc:
        raise lowerer.error(node, f"bad call to {name}: {exc}", hint=f"call it as it is "
                            f"defined: {name}{signature}", kind=DifferentiationError) from None
    for p in signature.parameters.values():  # defaults: values known now
        arguments.setdefault(p.name, lowerer.static(p.default))
    return Record(cls, {n: arguments[n] for n in names})


def attribute(lowerer: Any, record: Record, node: ast.Attribute) -> Any:
    """``p.name`` of a record built here: its field's entry, or its class's property
    (inlined, ``self`` the record)."""
    if node.attr in record.fields:
        return record.fields[node.attr]
    found = inspect.getattr_static(record.cls, node.attr, None)
    if isinstance(found, property) and isinstance(found.fget, types.FunctionType):
        return lowerer.inline(found.fget, [record], {}, node)
    raise lowerer.error(node, f"cannot differentiate reading .{node.attr} of the "
                        f"{record.cls.__name__} built in the function (not a field, nor a "
                        "method or property written in Python)", hint="read its fields, and "
                        "compute the rest from them in the function")


def method_call(lowerer: Any, record: Record, node: ast.Call, args: list,
                kwargs: dict) -> Any:
    """``p.method(...)`` of a record built here: the class's function, inlined with
    ``self`` the record (a static method without it)."""
    name = node.func.attr  # type: ignore[attr-defined]
    found = inspect.getattr_static(record.cls, name, None)
    if isinstance(found, staticmethod):
        found, args = found.__func__, list(args)
    elif isinstance(found, types.FunctionType):
        args = [record, *args]
    else:
        found = None
    if not isinstance(found, types.FunctionType):
        raise lowerer.error(node, f"cannot differentiate reading .{name} of the "
                            f"{record.cls.__name__} built in the function (not a field, nor a "
                            "method or property written in Python)", hint="read its fields, "
                            "and compute the rest from them in the function")
    return lowerer.inline(found, args, kwargs, node)


STRUCTURES = (tuple, list, Record)  # what control flow carries and joins part by part


def parts(entry: Any) -> list:
    """The parts of a tuple, list or record built here, in order."""
    return list(entry.fields.values()) if isinstance(entry, Record) else list(entry)


def rebuilt(entry: Any, new: Any) -> Any:
    """``entry`` (a tuple, list or record) with its parts replaced by ``new``, in order."""
    if isinstance(entry, Record):
        return Record(entry.cls, dict(zip(entry.fields, new)))
    return type(entry)(new)


def same_shape(a: Any, b: Any) -> bool:
    """Do the structures ``a`` and ``b`` hold their parts the same way?"""
    if isinstance(a, Record) or isinstance(b, Record):
        return isinstance(a, Record) and isinstance(b, Record) and a.cls is b.cls
    return type(a) is type(b) and len(a) == len(b)
