"""Readable, unique names from hints: ``x``, then ``x_2``; unnamed temporaries ``_t1``."""

from __future__ import annotations

import builtins
import keyword
import re

_NOT_IDENT = re.compile(r"\W")
_SOFT_RESERVED = frozenset(keyword.kwlist) | {"__builtins__"}


def sanitize(hint: str) -> str:
    """The identifier closest to ``hint`` ('' when nothing usable is left)."""
    name = _NOT_IDENT.sub("_", hint)
    if name and name[0].isdigit():
        name = "_" + name
    return name


class Namer:
    """Hands out names that never collide with each other or with ``reserved``."""

    def __init__(self, reserved: tuple[str, ...] | set[str] = (), joint: str = "_") -> None:
        """``joint``: what joins a hint and its number (``x_2``; ``x2`` for code Numba
        compiles, whose array-expression pass names versions of ``x`` ``x_2_1`` too)."""
        self._taken: set[str] = set(_SOFT_RESERVED) | set(reserved)
        self._joint = joint
        self._temps = 0
        self._next: dict[str, int] = {}

    def reserve(self, name: str) -> str:
        """Claim ``name`` exactly (a parameter's name cannot change)."""
        self._taken.add(name)
        return name

    def is_taken(self, name: str) -> bool:
        return name in self._taken

    def fresh(self, hint: str) -> str:
        base = sanitize(hint)
        if not base:
            while True:
                self._temps += 1
                name = f"_t{self._temps}"
                if name not in self._taken:
                    return self.reserve(name)
        if base not in self._taken:
            return self.reserve(base)
        n = self._next.get(base, 2)  # resume where the last search for base stopped
        joint = "_" if base[-1].isdigit() else self._joint
        while f"{base}{joint}{n}" in self._taken:
            n += 1
        self._next[base] = n + 1
        return self.reserve(f"{base}{joint}{n}")


BUILTIN_NAMES = frozenset(dir(builtins))
