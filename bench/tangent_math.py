"""Tangent adjoints for the ``math`` functions the scalar workloads call.

tangent-ad ships adjoints for NumPy's functions but not for ``math.sin`` and friends (it
raises ``ReverseNotImplementedError: Reverse mode for function "sin"``). Rather than
rewrite the workloads with NumPy calls on Python floats (which turns every float into a
NumPy scalar), this registers the five rules with Tangent's own extension API,
``tangent.register_adjoint``, written like Tangent's NumPy ones (``tangent/grads.py``).
The templates are Tangent's DSL: ``d[v]`` is the adjoint of ``v``; ``y`` is the output.
"""

import math

import tangent


@tangent.register_adjoint(math.sin)
def _sin(y, x):
    d[x] = d[y] * math.cos(x)  # noqa: F821 -- d is Tangent's template syntax


@tangent.register_adjoint(math.cos)
def _cos(y, x):
    d[x] = -d[y] * math.sin(x)  # noqa: F821


@tangent.register_adjoint(math.exp)
def _exp(y, x):
    d[x] = y * d[y]  # noqa: F821


@tangent.register_adjoint(math.log)
def _log(y, x):
    d[x] = d[y] / x  # noqa: F821


@tangent.register_adjoint(math.sqrt)
def _sqrt(y, x):
    d[x] = d[y] / (2.0 * y)  # noqa: F821
