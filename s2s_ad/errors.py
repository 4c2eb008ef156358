"""Errors for humans: what went wrong, where, and what to do instead."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, unsafe_hash=True)
class Loc:
    """A span of user source: ``file:line:col`` plus the line's text for the caret. Treated
    as immutable (and hashed by its fields); not declared ``frozen``, whose ``__init__``
    sets each field through ``object.__setattr__``: lowering makes one per expression, and
    that took three times as long."""

    file: str
    line: int
    col: int  # 0-based, like ast
    end_col: int
    text: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col + 1}"


class DifferentiationError(Exception):
    """Base class of every error s2s_ad raises about a user's function.

    The message names the file, line and column, shows the offending line with a caret
    under the construct, and says what to do instead::

        model.py:12:9: cannot differentiate a set display
            s = {a, b}
                ^^^^^^
        hint: use a tuple or a list
        (while lowering 'loss')
    """

    def __init__(self, message: str, *, loc: Loc | None = None, hint: str | None = None,
                 stage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint
        self.stage = stage

    def __str__(self) -> str:
        lines = [f"{self.loc}: {self.message}" if self.loc else self.message]
        if self.loc and self.loc.text:
            raw = self.loc.text.rstrip("\n")
            text = raw.lstrip()
            indent = len(raw) - len(text)
            start = max(self.loc.col - indent, 0)
            width = max(min(self.loc.end_col, len(raw)) - self.loc.col, 1)
            lines.append("    " + text)
            lines.append("    " + " " * start + "^" * width)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        if self.stage:
            lines.append(f"({self.stage})")
        return "\n".join(lines)


class UnsupportedSyntaxError(DifferentiationError):
    """The function uses a Python construct that s2s_ad cannot differentiate."""


class NoDerivativeRuleError(DifferentiationError):
    """The function calls something that has no derivative rule and no visible source."""


class NoSourceError(DifferentiationError):
    """The function's source is not available (a builtin, a C extension, a REPL line)."""


class InfiniteDerivativeError(DifferentiationError, ZeroDivisionError):
    """Generated code divided by zero: at this point the derivative of the operation at
    ``loc`` is infinite or undefined (``math.sqrt`` at 0, ``math.acos`` at 1). Raised when
    the derivative runs, by code on Python numbers (NumPy gives ``inf``/``nan`` instead);
    it is a ``ZeroDivisionError`` too, so ``except ZeroDivisionError`` still catches it::

        dist.py:5:12: the derivative of `math.sqrt` is infinite or undefined at this point
        (division by zero in the generated line 'ddx = 0.5 / math.sqrt(dx * dx + dy * dy) * dx')
            return math.sqrt(dx * dx + dy * dy)
                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        hint: ...
        (while running 'dist_grad')
    """


class BackendError(DifferentiationError):
    """The compiled backend (``backend="numba"``) cannot compile a construct of the
    derivative: a dict returned, a user rule with no Numba version, a NumPy call outside
    Numba's subset, an argument Numba cannot take. It names the construct and the user's
    line; ``backend="auto"`` warns once and runs the Python code instead::

        model.py:7:12: the Numba backend cannot compile a call to 'softplus', a function
        with a user rule and no Numba version
            return softplus(x) * 2.0
                   ^^^^^^^^^^^
        hint: register numba.njit versions of the function and of its rules ...
        (while compiling 'f_grad' with Numba)
    """


class BackendWarning(UserWarning):
    """``backend="auto"``: Numba cannot compile a derivative, which runs as Python code (the
    message is the ``BackendError`` that says why). Issued once per transform."""
