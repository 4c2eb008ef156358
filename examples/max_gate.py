"""Seed example 14: the max gate, ``f(x, y) = max(x, y)`` (seed 002).

The lecture's rule is df/dx = 1(x >= y), df/dy = 1(y >= x): the gate routes the whole
gradient to the input that won. At x=3, y=1 the gradient is (1, 0).

At a tie (x == y) both indicators are true, so s2s_ad gives (1, 1): each input receives the
full incoming gradient. (max is not differentiable there; (1, 1) is not a subgradient of
max -- those are (t, 1 - t) for 0 <= t <= 1 -- but it is the convention the seed writes
down, and what the generated code below does.)
"""

from s2s_ad import grad


def f(x, y):
    return max(x, y)


if __name__ == "__main__":
    df = grad(f, wrt=("x", "y"))
    print("f(3, 1)              =", f(3.0, 1.0))
    print("(df/dx, df/dy)(3, 1) =", df(3.0, 1.0))
    print("(df/dx, df/dy)(1, 3) =", df(1.0, 3.0))
    print("(df/dx, df/dy)(2, 2) =", df(2.0, 2.0), " <- a tie: both partials are 1")
    print()
    print(df.source)
