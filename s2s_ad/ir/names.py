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

    def __init__(self, reserved: tuple[str, ...] | set[str] = ()) -> None:
        self._taken: set[str] = set(_SOFT_RESERVED) | set(reserved)
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
        while f"{base}_{n}" in self._taken:
            n += 1
        self._next[base] = n + 1
        return self.reserve(f"{base}_{n}")


BUILTIN_NAMES = frozenset(dir(builtins))
