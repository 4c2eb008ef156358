"""The micro autodiff engine's test, ``f(x) = exp(x) + x*x``.

Worked example 20 of the lecture notes this project started from (lecture 004).

The lecture builds a tiny tape-based engine and checks it on this function at x = 2:
f'(x) = exp(x) + 2x, so f'(2) = e**2 + 4 = 11.38905609893065. Here the derivative is
generated as source instead of being replayed from a tape.
"""

import math

from s2s_ad import grad


def f(x):
    y = math.exp(x) + x * x
    return y


if __name__ == "__main__":
    df = grad(f)
    print("f(2)  =", f(2.0))
    print("f'(2) =", df(2.0))
    print()
    print(df.source)
