"""The computational graph ``e = (a + b) * (b + 1)``.

Worked example 12 of the lecture notes this project started from (lecture 002).

The lecture splits the expression into atomic nodes c = a + b, d = b + 1, e = c * d,
evaluates it at a=2, b=1 (e = 6) and back-propagates from e to the leaves:

    de/da = d = 2,   de/db = d + c = 5

Reverse mode gets both partials in one backward sweep; the generated code is exactly
the sum over the paths from e to each leaf.
"""

from s2s_ad import grad


def f(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


if __name__ == "__main__":
    de = grad(f, wrt=("a", "b"))
    print("e(2, 1)              =", f(2.0, 1.0))
    print("(de/da, de/db)(2, 1) =", de(2.0, 1.0))
    print()
    print(de.source)
