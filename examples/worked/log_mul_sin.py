"""The forward trace of ``y = ln(x1) + x1*x2 - sin(x2)``.

Worked example 1 of the lecture notes this project started from (lecture 000).

The lecture evaluates this function at x1=2, x2=5 as a trace of elementary steps
(v1 ... v7), then differentiates it twice by hand: a forward-mode trace for dy/dx1 and a
reverse-mode (adjoint) trace for both partials at once. s2s_ad does the reverse-mode trace
for us and prints it as Python:

    y = 11.652071455223084,  dy/dx1 = 1/x1 + x2 = 5.5,  dy/dx2 = x1 - cos(x2) = 1.7163378145367738

``f`` is the function written as one would; ``f_trace`` is the lecture's trace, one
elementary operation per line. Both give the same generated gradient: the optimizer
removes the copies (v1 = x1) and the forward values the gradient does not need.
"""

import math

from s2s_ad import grad


def f(x1, x2):
    y = math.log(x1) + x1 * x2 - math.sin(x2)
    return y


def f_trace(x1, x2):
    v1 = x1
    v2 = x2
    v3 = math.log(v1)
    v4 = v1 * v2
    v5 = math.sin(v2)
    v6 = v3 + v4
    v7 = v6 - v5
    y = v7
    return y


if __name__ == "__main__":
    df = grad(f, wrt=("x1", "x2"))
    print("y(2, 5)                 =", f(2.0, 5.0))
    print("(dy/dx1, dy/dx2)(2, 5) =", df(2.0, 5.0))
    print()
    print(df.source)
    df_trace = grad(f_trace, wrt=("x1", "x2"))
    print("the same, from the lecture's trace v1 ... v7:", df_trace(2.0, 5.0))
    print()
    print(df_trace.source)
