"""Forward mode with dual numbers, ``y = (x1 + x2) * x3``.

Worked example 9 of the lecture notes this project started from (lecture 001).

The lecture carries a tangent beside every value: seeding x1 with the tangent 1 (and x2,
x3 with 0) and pushing it through each operation gives dy/dx1 = x3. s2s_ad does the same
construction on the program text: ``jvp(f, wrt)`` generates a function that computes each
value's tangent right beside it, taking one tangent argument per ``wrt`` parameter after
the ordinary parameters, and returns ``(value, tangent)``.
"""

from s2s_ad import jvp


def f(x1, x2, x3):
    y = (x1 + x2) * x3
    return y


if __name__ == "__main__":
    x1, x2, x3 = 1.0, 2.0, 3.0

    fx1 = jvp(f, wrt="x1")  # tangent of x1 only: the other tangents are zero
    value, tangent = fx1(x1, x2, x3, 1.0)
    print(f"y = {value}, dy with dx1 = 1: {tangent} (= x3 = {x3})")
    print(fx1.source)

    fall = jvp(f, wrt=("x1", "x2", "x3"))  # every input carries a tangent
    for seed in [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]:
        print("tangents", seed, "-> dy =", fall(x1, x2, x3, *seed)[1])
    print(fall.source)
