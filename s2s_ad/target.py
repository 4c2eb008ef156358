"""Find the function a command-line target names: ``PATH.py:FUNC``, ``package.module:func``
or ``-`` (source on standard input).

Loading a file runs it as a module (not as ``__main__``, so its ``if __name__ ==
"__main__":`` block does not run), with the file's folder first on ``sys.path`` as
``python PATH.py`` would have it. Modules are imported from ``sys.path`` (the command line
puts the current folder first, as ``python -m`` does). Every problem is a
:class:`TargetError` with a one-line message: the command line is wrong, not the function.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import linecache
import os
import sys
import types
from dataclasses import dataclass
from typing import Any, TextIO

STDIN = "-"
_STDIN_FILE = "<stdin>"


class TargetError(Exception):
    """The target cannot be found or loaded (a usage error: exit code 2)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A function to transform and where it came from (``origin`` as the user wrote it)."""

    fn: types.FunctionType
    origin: str


def load_target(spec: str, stdin: TextIO | None = None) -> Target:
    """The function ``spec`` names.

    >>> load_target("s2s_ad.demo:f").fn.__name__
    'f'
    """
    where, _, name = spec.rpartition(":") if ":" in spec else (spec, "", "")
    is_file = where.endswith(".py") or os.sep in where or "/" in where
    if not name and not is_file and where != STDIN:
        where = ""  # a module needs :FUNC
    if where == STDIN:
        module = _load_stdin(stdin or sys.stdin)
        label = "standard input"
    elif is_file:
        module = _load_file(where)
        label = where
    elif where and all(part.isidentifier() for part in where.split(".")):
        module = _import(where)
        label = where
    else:
        raise TargetError(f"{spec!r} is not a target: write PATH.py:FUNC, package.module:FUNC "
                          "or - (source on standard input)")
    functions = _functions(module)
    if not name:
        if where == STDIN and len(functions) == 1:
            name = functions[0]
        else:
            raise TargetError(f"name the function in {label}: {where or spec}:FUNC"
                              + _choices(functions))
    fn: Any = module
    for part in name.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise TargetError(f"{label} has no function {name!r}" + _choices(functions))
    if not isinstance(fn, types.FunctionType):
        raise TargetError(f"{label}:{name} is a {type(fn).__name__}, not a Python function "
                          "defined with def or lambda")
    return Target(fn, f"{where}:{name}" if where != STDIN else f"<stdin>:{name}")


def _load_file(path: str) -> types.ModuleType:
    if not os.path.isfile(path):
        raise TargetError(f"no such file: {path}")
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem.isidentifier() and stem not in sys.modules else "__s2s_ad_target__"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, pickle and inspect look modules up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        del sys.modules[name]
        raise TargetError(_syntax_message(err)) from err
    except Exception as err:
        del sys.modules[name]
        raise TargetError(f"running {path} failed: {type(err).__name__}: {err}") from err
    return module


def _load_stdin(stdin: TextIO) -> types.ModuleType:
    source = stdin.read()
    lines = source.splitlines(True)
    # inspect.getsource (and so s2s_ad) finds the code through linecache
    linecache.cache[_STDIN_FILE] = (len(source), None, lines, _STDIN_FILE)
    module = types.ModuleType("__s2s_ad_stdin__")
    module.__file__ = _STDIN_FILE
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, _STDIN_FILE, "exec"), module.__dict__)
    except SyntaxError as err:
        raise TargetError(_syntax_message(err)) from err
    except Exception as err:
        raise TargetError(f"running standard input failed: {type(err).__name__}: {err}") \
            from err
    return module


def _import(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name and name.startswith(err.name):
            raise TargetError(f"no module named {err.name!r}") from err
        raise TargetError(f"importing {name} failed: {err}") from err
    except SyntaxError as err:
        raise TargetError(_syntax_message(err)) from err
    except Exception as err:
        raise TargetError(f"importing {name} failed: {type(err).__name__}: {err}") from err


def _functions(module: types.ModuleType) -> list[str]:
    """Names of the functions defined (not imported) at the top of ``module``."""
    return [name for name, obj in vars(module).items()
            if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__
            and not name.startswith("_")]


def _choices(functions: list[str]) -> str:
    return f" (functions: {', '.join(functions)})" if functions else " (it defines no functions)"


def _syntax_message(err: SyntaxError) -> str:
    where = f"{err.filename}:{err.lineno}" + (f":{err.offset}" if err.offset else "")
    return f"{where}: {type(err).__name__}: {err.msg}"


def parse_wrt(text: str | None) -> Any:
    """``--wrt`` as s2s_ad reads ``wrt``: ``"x,y"`` -> ``("x", "y")``, ``"1"`` -> ``1``.

    >>> parse_wrt("x1, 1")
    ('x1', 1)
    >>> parse_wrt("x2")
    'x2'
    """
    if text is None:
        return None
    items: list[int | str] = []
    for raw in text.split(","):
        item = raw.strip()
        if item.lstrip("-").isdigit():
            items.append(int(item))
        elif item.isidentifier():
            items.append(item)
        else:
            raise TargetError(f"--wrt {text!r}: {item!r} is not a parameter name or index")
    return items[0] if len(items) == 1 else tuple(items)


def parse_point(text: str, option: str = "--at") -> tuple[Any, ...]:
    """``--at`` (or ``--like``, named by ``option`` in errors) as Python literals:
    ``"2, 5.0"`` -> ``(2, 5.0)``; lists and tuples are allowed.

    >>> parse_point("2, 5.0")
    (2, 5.0)
    >>> parse_point("(3, 4), 0", "--like")
    ((3, 4), 0)
    """
    try:
        value = ast.literal_eval(f"({text},)")
    except (ValueError, SyntaxError):
        raise TargetError(f"{option} {text!r} is not a comma-separated list of Python "
                          "literals") from None
    return tuple(value)
