"""The built-in demo (``s2s-ad`` with no arguments): seed example 1 of the lecture notes.

``y = ln(x1) + x1*x2 - sin(x2)`` at ``(x1, x2) = (2, 5)``: the lecture traces it forward and
then back, by hand, to ``dy/dx1 = 1/x1 + x2`` and ``dy/dx2 = x1 - cos(x2)``.

>>> from s2s_ad import grad
>>> grad(f, wrt=("x1", "x2"))(*POINT)
(5.5, 1.7163378145367738)
"""

import math

POINT = (2.0, 5.0)
WRT = ("x1", "x2")


def f(x1, x2):
    y = math.log(x1) + x1 * x2 - math.sin(x2)
    return y
