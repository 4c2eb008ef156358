"""Tuples, lists and dicts that arrive at run time (arguments): reading them.

``getitem(c, i)`` is ``c[i]``. Its adjoint goes into ``dc``, a mutable container of zeros
made once per container (``runtime.zeros_like``): ``dc[i] += g`` when ``c[i]`` is a number
(``add_item``), ``runtime.add_at`` when it is itself a container. Reverse mode does that
itself (see ``Reverse.accumulate_item``), so the VJP slot for ``c`` is empty.
"""

from __future__ import annotations

import builtins

from .. import runtime
from .registry import AddItem, Call, Subscript, defjvp, defprim, nondifferentiable

defprim("getitem", Subscript(), lambda c, i: c[i], doc="c[i]")
defprim("len", Call(builtins.len, "len"), builtins.len, doc="len(c)")
defprim("keys", Call(builtins.list, "list"), lambda d: list(d), doc="list(d): a dict's keys")
defprim("zeros_like", Call(runtime.zeros_like, "zeros_like"), pure=False,
        doc="a fresh, mutable container of zeros shaped like c")
defprim("add_item", AddItem(), pure=False, doc="acc[i] += g for a number g, in place")
defprim("add_at", Call(runtime.add_at, "add_at"), pure=False,
        doc="acc[i] += g for a container of cotangents g, in place")
defprim("like", Call(runtime.like, "like"), doc="acc with c's structure (tuples kept)")
nondifferentiable("len", "keys", "zeros_like", "add_item", "add_at", "like")
defjvp("getitem", lambda e, dc, c, i: e.getitem(dc, i), None)
