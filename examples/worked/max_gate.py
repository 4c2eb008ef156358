"""The max gate, ``f(x, y) = max(x, y)``.

Worked example 14 of the lecture notes this project started from (lecture 002).

The lecture's rule is df/dx = 1(x >= y), df/dy = 1(y >= x): the gate routes the whole
gradient to the input that won. At x=3, y=1 the gradient is (1, 0).

At a tie (x == y) both of the lecture's indicators are true, which would give (1, 1): each
input would receive the full incoming gradient, and max-pooling over tied pairs would double
it. max is not differentiable there, and (1, 1) is not a subgradient -- those are
(t, 1 - t) for 0 <= t <= 1. s2s_ad splits the gradient equally, as JAX, autograd and
PyTorch do: (0.5, 0.5), what the generated code below does.
"""

from s2s_ad import grad


def f(x, y):
    return max(x, y)


if __name__ == "__main__":
    df = grad(f, wrt=("x", "y"))
    print("f(3, 1)              =", f(3.0, 1.0))
    print("(df/dx, df/dy)(3, 1) =", df(3.0, 1.0))
    print("(df/dx, df/dy)(1, 3) =", df(1.0, 3.0))
    print("(df/dx, df/dy)(2, 2) =", df(2.0, 2.0), " <- a tie: the gradient is split equally")
    print()
    print(df.source)
