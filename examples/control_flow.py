"""Loops and branches: the generated gradient keeps the program's shape.

The lecture notes this project started from warn that "programs with loops and if
statements need more care". Here are four: a time-stepping recurrence (the backward loop
runs the steps in reverse, saving one float a step), a piecewise function with early returns
(the backward pass takes the same branch), a loop over a list of coefficients (Horner's
rule, with gradients with respect to the coefficients), and Newton's method returning from
inside its loop when it has converged (the backward loop runs the steps it took). And a
softmax over named scores, built by a dict comprehension (the loop that builds the dict).

Run: python examples/control_flow.py
"""

import math

import s2s_ad


def simulate(x, w, n):
    """n explicit Euler steps of dx/dt = sin(w x)."""
    dt = 0.1
    for i in range(n):  # noqa: B007  (the step counter is unused, as users write it)
        x = x + dt * math.sin(w * x)
    return x


def piecewise(x, y):
    """A smooth-by-pieces function with an early return in each piece."""
    if x < 0:
        return -x * y
    t = x * x
    if t > 4:
        return t * y
    return t + math.sin(y)


def horner(coeffs, x):
    """The polynomial coeffs[0] x^(n-1) + ... + coeffs[-1]."""
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def newton_root(a, x0):
    """The root of x**3 + x = a by Newton's method, returned as soon as it has converged."""
    x = x0
    for k in range(50):  # noqa: B007
        step = (x ** 3 + x - a) / (3 * x * x + 1)
        x = x - step
        if abs(step) < 1e-12:
            return x
    return x


def softmax_loss(scores, t, target):
    """Cross-entropy of a softmax at temperature t over a dict of named scores."""
    z = {k: math.exp(v / t) for k, v in scores.items()}
    return -math.log(z[target] / sum(z.values()))


if __name__ == "__main__":
    dsim = s2s_ad.grad(simulate, wrt=("x", "w"))
    print("simulate(0.5, 1.3, 10) =", simulate(0.5, 1.3, 10))
    print("d/d(x, w) =", dsim(0.5, 1.3, 10))
    print(dsim.source)
    dpiece = s2s_ad.grad(piecewise, wrt=("x", "y"))
    for point in [(-1.0, 2.0), (1.0, 2.0), (3.0, 2.0)]:
        print(f"piecewise{point} gradient =", dpiece(*point))
    print(dpiece.source)
    dhorner = s2s_ad.grad(horner, wrt=("coeffs", "x"))
    print("horner((1, 2, 3), 0.5) gradient =", dhorner([1.0, 2.0, 3.0], 0.5))
    print(dhorner.source)
    droot = s2s_ad.grad(newton_root, wrt="a")
    print("newton_root(2.0, 0.5) =", newton_root(2.0, 0.5))  # 1.0
    print("d/da =", droot(2.0, 0.5))  # 1 / (3 x**2 + 1) = 0.25 at the root x = 1
    print(droot.source)
    dsoft = s2s_ad.grad(softmax_loss, wrt=("scores", "t"))
    scores = {"cat": 1.0, "dog": 2.0, "bird": 0.5}
    print("softmax_loss gradient =", dsoft(scores, 0.7, "cat"))
    print(dsoft.specialize(scores, 0.7, "cat").source)
