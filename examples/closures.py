"""Nested functions, lambdas and functools.partial inside the differentiated function.

A model written the way it reads: a `predict` lambda that closes over the parameters, a
nested `def` for the squared error, and a sum over the data. s2s_ad inlines each call of a
nested function (its free names read as Python reads them, at the call), so the generated
gradient is one loop over the data, as if written by hand. `functools.partial` and `map`
over a list built in the function work the same way.

Run: python examples/closures.py
"""

import functools
import math

import s2s_ad


def line_fit(w, xs, ys):
    """Squared error of the line w[0] x + w[1] on the points (xs, ys)."""
    predict = lambda x: w[0] * x + w[1]  # noqa: E731  (as users write it)

    def squared(r):
        return r * r

    return sum(squared(predict(x) - y) for x, y in zip(xs, ys))


def mul(a, b):
    return a * b


def harmonics(x, a):
    """sin(a x) + sin(2 a x) + sin(3 a x), through a partial and map."""
    scale = functools.partial(mul, a)
    return sum(map(lambda t: math.sin(scale(t)), [x, 2 * x, 3 * x]))


if __name__ == "__main__":
    points = ([0.0, 1.0, 2.0, 3.0], [1.1, 2.9, 5.2, 6.8])
    dfit = s2s_ad.grad(line_fit, wrt="w")
    print("line_fit((2.0, 1.0), ...) =", line_fit((2.0, 1.0), *points))
    print("d/dw =", dfit((2.0, 1.0), *points))
    print(dfit.source)
    dh = s2s_ad.grad(harmonics, wrt=("x", "a"))
    print("d harmonics / d(x, a) at (0.3, 1.2) =", dh(0.3, 1.2))
    print(dh.source)
