"""Control flow and the reverse-mode tape.

``if[cond]`` has a then and an else region, each yielding the op's results.
``for_range(start, stop, step, *inits)`` has a body region ``(i, *carried)`` yielding the
next carried values (and, with ``breaks``, a last flag that ends the loop); ``reverse``
runs it over ``reversed(range(start, stop, step))``. ``while(*inits)`` has a condition
region and a body region, both over the carried values.
The tape ops are the only impure primitives: ``tape_new`` makes a list, ``push`` appends
to it in the forward sweep and ``pop`` takes back in the backward sweep.
"""

from __future__ import annotations

from .registry import EmptyList, Method, Structured, defprim, nondifferentiable

defprim("if", Structured(), doc="if cond: region0 else: region1")
defprim("for_range", Structured(), doc="for i in range(start, stop, step): region0")
defprim("while", Structured(), doc="while region0: region1")
defprim("tape_new", EmptyList(), pure=False, doc="a new, empty tape (a list)")
defprim("push", Method("append", pack=True), pure=False, doc="tape.append(values)")
defprim("pop", Method("pop"), pure=False, doc="values = tape.pop()")
nondifferentiable("tape_new", "push", "pop")
